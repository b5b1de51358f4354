/**
 * Routes of the administration roles (model in admin-roles.ts). None is in Atlassian's 2023 admin
 * document: their schemas are hand-written (handwritten.ts) from the admin API reference as
 * atlassian-api.md §4 and the jira.js admin client (generated from Atlassian's current spec) give them:
 *
 *   GET  /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments
 *        a user's roles per resource, each with how it is held (direct, group_direct)
 *   POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/assign|revoke
 *        body {resourceId, roleId}: a role for every member of the group
 *   POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/assign|revoke
 *        body {role, resource}: a role for one user (resource ignored for atlassian/org-admin)
 *
 * Writes answer 204 whether or not they changed anything [unverified: Atlassian does not say what a
 * repeated assign or revoke answers]; a role that cannot be held on the resource is 400 ADMIN-400-4.
 */
import { adminError, type Ctx, type Reply } from './context';
import { orgCheck, type AdminRoute } from './admin';
import { adminRoles, ADMIN_ROLE, type HeldRole } from './admin-roles';

const V2 = '/admin/v2/orgs/{orgId}/directories/{directoryId}';

const userNotFound = (id: string): Reply => adminError(404, 'ADMIN-404-8', 'User not found', `User ${id} was not found in the organization directory.`);
const groupNotFound = (id: string): Reply => adminError(404, 'ADMIN-404-10', 'Group not found', `Group ${id} was not found.`);
const invalidPair = (role: string, resource: string): Reply => adminError(400, 'ADMIN-400-4', 'Invalid resource', `Role ${role} cannot be assigned on resource ${resource}.`);

function directoryOk(ctx: Ctx, objectDirectory: string | null): boolean {
  const d = ctx.params.directoryId;
  return objectDirectory !== null && (d === '-' || d === objectDirectory);
}

/** the user's roles grouped by resource, as the v2 role-assignments page shows them */
function userRoleAssignments(held: HeldRole[], directoryId: string, filters: { resourceIds?: string[]; roleIds?: string[] }): Record<string, unknown>[] {
  const byResource = new Map<string, Map<string, Set<string>>>();
  for (const h of held) {
    if (filters.resourceIds && !filters.resourceIds.includes(h.resourceId)) continue;
    if (filters.roleIds && !filters.roleIds.includes(h.roleId)) continue;
    const roles = byResource.get(h.resourceId) ?? new Map<string, Set<string>>();
    byResource.set(h.resourceId, roles);
    const methods = roles.get(h.roleId) ?? new Set<string>();
    roles.set(h.roleId, methods);
    methods.add(h.via === 'direct' ? 'direct' : 'group_direct');
  }
  return [...byResource.entries()].map(([resourceId, roles]) => {
    const platform = resourceId.startsWith('ari:cloud:platform::');
    return {
      resourceId,
      roles: [...roles.keys()],
      roleAssignments: [...roles.entries()].map(([role, m]) => ({ role, roleAssignmentMethods: [...m] })),
      directoryId: platform ? null : directoryId,
      userDirectoryStatus: platform ? null : 'active',
    };
  });
}

function groupWrite(ctx: Ctx, assign: boolean): Reply {
  const err = orgCheck(ctx);
  if (err) return err;
  const t = ctx.s.tenant;
  const g = t.group(ctx.params.groupId);
  if (!g || g.groupId !== ctx.params.groupId || !directoryOk(ctx, g.directoryId)) return groupNotFound(ctx.params.groupId);
  const { resourceId, roleId } = ctx.body as { resourceId: string; roleId: string };
  const m = adminRoles(t);
  if (!m.validPair(roleId, resourceId) || roleId === ADMIN_ROLE.orgAdmin) return invalidPair(roleId, resourceId);
  if (assign) m.assign('group', g.groupId, roleId, resourceId);
  else m.revoke('group', g.groupId, roleId, resourceId);
  return { status: 204 };
}

function userWrite(ctx: Ctx, assign: boolean): Reply {
  const err = orgCheck(ctx);
  if (err) return err;
  const t = ctx.s.tenant;
  const u = t.user(ctx.params.accountId);
  if (!u || u.directoryId === null) return userNotFound(ctx.params.accountId);
  const body = ctx.body as { role: string; resource?: string };
  const m = adminRoles(t);
  // "Resource is required for all roles other than org-admin. Any resource passed for org-admin shall be ignored"
  const resourceId = body.role === ADMIN_ROLE.orgAdmin ? m.resources().org : body.resource;
  if (!resourceId || !m.validPair(body.role, resourceId)) return invalidPair(body.role, resourceId ?? '(none)');
  if (assign) m.assign('user', u.accountId, body.role, resourceId);
  else m.revoke('user', u.accountId, body.role, resourceId);
  return { status: 204 };
}

const arr = (v: unknown): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? (v as string[]) : [String(v)]);

export const ADMIN_ROLE_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: `${V2}/users/{accountId}/role-assignments`,
    doc: 'fake-handwritten',
    docPath: `${V2}/users/{accountId}/role-assignments`,
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const t = ctx.s.tenant;
      const u = t.user(ctx.params.accountId);
      if (!u || !directoryOk(ctx, u.directoryId)) return userNotFound(ctx.params.accountId);
      const data = userRoleAssignments(adminRoles(t).rolesOfUser(u.accountId), u.directoryId as string, { resourceIds: arr(ctx.q.resourceIds), roleIds: arr(ctx.q.roleIds) });
      // one page: a user holds a handful of roles
      return { status: 200, body: { data, links: { self: null } } };
    },
  },
  ...(['assign', 'revoke'] as const).map((action): AdminRoute => ({
    method: 'POST',
    path: `${V2}/groups/{groupId}/role-assignments/${action}`,
    doc: 'fake-handwritten',
    docPath: `${V2}/groups/{groupId}/role-assignments/${action}`,
    handler: (ctx) => groupWrite(ctx, action === 'assign'),
  })),
  ...(['assign', 'revoke'] as const).map((action): AdminRoute => ({
    method: 'POST',
    path: `/admin/v1/orgs/{orgId}/users/{accountId}/roles/${action}`,
    doc: 'fake-handwritten',
    docPath: `/admin/v1/orgs/{orgId}/users/{accountId}/roles/${action}`,
    handler: (ctx) => userWrite(ctx, action === 'assign'),
  })),
];
