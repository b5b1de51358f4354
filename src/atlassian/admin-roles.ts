/**
 * Administration roles through the organization admin API (org API key), one request per call:
 *
 *  - a user's role assignments (v2 GET …/users/{accountId}/role-assignments), each role with how it is
 *    held (`direct`, `group_direct`, `inferred`);
 *  - a group's role for every member (v2 POST …/groups/{groupId}/role-assignments/assign|revoke,
 *    body {resourceId, roleId});
 *  - a user's role (v1 POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/assign|revoke, body
 *    {role, resource}; the resource is left out for atlassian/org-admin, which Atlassian ignores it for).
 *
 * Assigning a role a principal holds, or revoking one it does not, ends in the same state: the
 * writes are safe to resend; callers decide "already so" from the state they read first.
 */
import { z } from 'zod';
import type { RequestContext, Upstream } from './http';
import { ENDPOINTS as E } from './capabilities';

const str = z.string();
const optStr = z.string().nullish();

const RoleAssignmentSchema = z.object({
  resourceId: str.min(1),
  roles: z.array(str).nullish(),
  roleAssignments: z.array(z.object({ role: str.min(1), roleAssignmentMethods: z.array(str).nullish() })).nullish(),
  directoryId: optStr,
});
const RoleAssignmentPageSchema = z.object({ data: z.array(RoleAssignmentSchema) });

export interface HeldAdminRole {
  resourceId: string;
  roleId: string;
  /** how it is held: direct, group_direct, inferred (empty when Atlassian does not say) */
  methods: string[];
}

export interface AdminRoleClient {
  /** the roles a user holds (optionally only these roles on these resources), one entry per (resource, role) */
  userRoleAssignments(orgId: string, directoryId: string, accountId: string, filter: { resourceIds?: string[]; roleIds?: string[] }, ctx?: RequestContext): Promise<HeldAdminRole[]>;
  assignGroupRole(orgId: string, directoryId: string, groupId: string, roleId: string, resourceId: string, ctx?: RequestContext): Promise<void>;
  revokeGroupRole(orgId: string, directoryId: string, groupId: string, roleId: string, resourceId: string, ctx?: RequestContext): Promise<void>;
  /** resourceId undefined only for atlassian/org-admin */
  assignUserRole(orgId: string, accountId: string, roleId: string, resourceId: string | undefined, ctx?: RequestContext): Promise<void>;
  revokeUserRole(orgId: string, accountId: string, roleId: string, resourceId: string | undefined, ctx?: RequestContext): Promise<void>;
}

export function adminRoleClient(up: Upstream): AdminRoleClient {
  const groupWrite = async (path: string, orgId: string, directoryId: string, groupId: string, roleId: string, resourceId: string, ctx?: RequestContext) => {
    await up.call({ method: 'POST', path, pathParams: { orgId, directoryId, groupId }, body: { resourceId, roleId }, idempotent: true }, ctx);
  };
  const userWrite = async (path: string, orgId: string, accountId: string, roleId: string, resourceId: string | undefined, ctx?: RequestContext) => {
    await up.call({ method: 'POST', path, pathParams: { orgId, accountId }, body: resourceId === undefined ? { role: roleId } : { role: roleId, resource: resourceId }, idempotent: true }, ctx);
  };
  return {
    async userRoleAssignments(orgId, directoryId, accountId, filter, ctx) {
      // a user holds a handful of roles: one page, filtered here (ARIs never travel in a query)
      const r = await up.call({ method: 'GET', path: E.userRoleAssignments.path, pathParams: { orgId, directoryId, accountId }, query: { limit: 100 }, schema: RoleAssignmentPageSchema }, ctx);
      const out: HeldAdminRole[] = [];
      for (const a of r.data) {
        if (a.roleAssignments?.length) for (const ra of a.roleAssignments) out.push({ resourceId: a.resourceId, roleId: ra.role, methods: ra.roleAssignmentMethods ?? [] });
        else for (const role of a.roles ?? []) out.push({ resourceId: a.resourceId, roleId: role, methods: [] });
      }
      return out.filter((h) => (!filter.resourceIds || filter.resourceIds.includes(h.resourceId)) && (!filter.roleIds || filter.roleIds.includes(h.roleId)));
    },
    assignGroupRole: (orgId, directoryId, groupId, roleId, resourceId, ctx) => groupWrite(E.assignGroupRole.path, orgId, directoryId, groupId, roleId, resourceId, ctx),
    revokeGroupRole: (orgId, directoryId, groupId, roleId, resourceId, ctx) => groupWrite(E.revokeGroupRole.path, orgId, directoryId, groupId, roleId, resourceId, ctx),
    assignUserRole: (orgId, accountId, roleId, resourceId, ctx) => userWrite(E.assignUserRole.path, orgId, accountId, roleId, resourceId, ctx),
    revokeUserRole: (orgId, accountId, roleId, resourceId, ctx) => userWrite(E.revokeUserRole.path, orgId, accountId, roleId, resourceId, ctx),
  };
}
