/**
 * Organization admin API (/admin/v1, /admin/v2) and the user management API (/users/{id}/manage).
 *
 * v1 + POST /v2/orgs/{orgId}/workspaces: validated against admin-organization.openapi.json;
 * api-tokens: admin-user-management.openapi.json; the v2 directory endpoints are NOT in the 2023
 * admin document and follow ../shared/reference/atlassian-api.md §4.2 (schemas in handwritten.ts).
 *
 * Paging: v1 returns `links.next` as a FULL URL; v2 returns bare cursor tokens in `links.next`
 * (pass them back as `cursor`); v2 default page size 20, max 100. Errors use the
 * {errors:[{id,status,code,title,detail}]} envelope with ADMIN-xxx codes; the gateway's own 401/429
 * use ProxyError {code,message}.
 */
import { adminError, avatarUrls, type Ctx, type Handler, type Reply } from './context';
import type { DocId } from './openapi';
import type { TenantGroup, TenantUser } from './tenant';
import { adminRoles } from './admin-roles';

export interface AdminRoute {
  method: string;
  /** Served path template. */
  path: string;
  doc: DocId;
  docPath: string;
  /** operationId for operations that have none in the document. */
  operationId?: string;
  handler: Handler;
}

type J = Record<string, unknown>;

function encodeCursor(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function decodeCursor<T>(c: string, kind: string): T | undefined {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as T & { k?: string };
    return v && v.k === kind ? v : undefined;
  } catch {
    return undefined;
  }
}

const badCursor = (): Reply => adminError(400, 'ADMIN-400-1', 'Invalid page cursor', 'The page cursor is invalid or expired.');

/** The path's org must be the tenant's and the key must belong to it. */
export function orgCheck(ctx: Ctx): Reply | undefined {
  const t = ctx.s.tenant;
  const orgId = ctx.params.orgId;
  const key = ctx.principal?.cred;
  const forbidden = !!key && (key.orgId !== orgId || key.canManageOrg === false);
  if (!t.withOrg || orgId !== t.orgId || (forbidden && !('403' in ctx.op.responses))) {
    return adminError(404, 'ADMIN-404-2', 'Organization not found', `Organization ${orgId} was not found.`);
  }
  if (forbidden) return adminError(403, 'ADMIN-403-3', 'Forbidden', 'You are not allowed to manage this organization.');
  return undefined;
}

const userNotFound = (id: string): Reply => adminError(404, 'ADMIN-404-8', 'User not found', `User ${id} was not found in the organization directory.`);
const groupNotFound = (id: string): Reply => adminError(404, 'ADMIN-404-10', 'Group not found', `Group ${id} was not found.`);

function v1ProductAccess(ctx: Ctx, u: TenantUser): J[] {
  if (!u.inJira) return [];
  const out: J[] = [];
  for (const key of ctx.s.tenant.userProducts(u.accountId)) {
    const mapped = key === 'jira-servicedesk' ? 'jira-service-desk' : key === 'jira-software' ? 'jira-software' : undefined;
    if (!mapped) continue; // jira-product-discovery is not in the 2023 document's Product enum
    const p: J = { key: mapped, name: mapped === 'jira-software' ? 'Jira Software' : 'Jira Service Management', url: ctx.s.siteUrl };
    if (u.lastActive) p.last_active = u.lastActive;
    out.push(p);
  }
  return out;
}

function v1User(ctx: Ctx, u: TenantUser): J {
  const out: J = {
    account_id: u.accountId,
    account_type: u.accountType,
    account_status: u.accountStatus,
    name: u.displayName,
    picture: avatarUrls(u.displayName)['48x48'],
    email: u.email,
    access_billable: u.inJira && ctx.s.tenant.isActiveInJira(u) && ctx.s.tenant.userProducts(u.accountId).length > 0,
  };
  if (u.lastActive) out.last_active = u.lastActive;
  out.product_access = v1ProductAccess(ctx, u);
  out.links = { self: `${ctx.s.apiUrl}/admin/v1/orgs/${ctx.s.tenant.orgId}/users/${encodeURIComponent(u.accountId)}` };
  return out;
}

function siteResourceIds(ctx: Ctx): Set<string> {
  const t = ctx.s.tenant;
  return new Set([`ari:cloud:jira::site/${t.cloudId}`, `ari:cloud:jira-software::site/${t.cloudId}`, `ari:cloud:jira-servicedesk::site/${t.cloudId}`, t.cloudId]);
}

function platformRoles(ctx: Ctx, u: TenantUser): string[] {
  const t = ctx.s.tenant;
  const roles: string[] = [];
  if (u.accountId === t.adminAccountId) roles.push('atlassian/org-admin');
  if (t.isGroupMember('site-admins', u.accountId)) roles.push('atlassian/site-admin');
  if (t.isGroupMember('jira-administrators', u.accountId)) roles.push('atlassian/admin');
  if (t.userProducts(u.accountId).length > 0 || u.directoryId === t.directoriesList[1].directoryId) roles.push('atlassian/user');
  // the administration roles model (admin-roles.ts)
  for (const h of adminRoles(t).rolesOfUser(u.accountId)) if (!roles.includes(h.roleId)) roles.push(h.roleId);
  return roles;
}

function v2Status(ctx: Ctx, u: TenantUser): string {
  if (u.accountStatus !== 'active') return 'deactivated';
  if (u.suspended) return 'suspended';
  return 'active';
}

function v2User(ctx: Ctx, u: TenantUser, expand: Set<string>, directoryId: string): J {
  const t = ctx.s.tenant;
  const out: J = {
    accountId: u.accountId,
    accountType: u.accountType,
    status: v2Status(ctx, u),
    accountStatus: u.accountStatus,
    membershipStatus: u.suspended ? 'suspended' : 'active',
    addedToOrg: u.addedToOrg,
    name: u.displayName,
    nickname: u.nickname,
  };
  if (u.claimStatus === 'managed' || u.emailVisible) out.email = u.email;
  out.emailVerified = true;
  out.claimStatus = u.claimStatus;
  if (expand.has('platformRoles')) out.platformRoles = platformRoles(ctx, u);
  out.picture = avatarUrls(u.displayName)['48x48'];
  out.avatar = avatarUrls(u.displayName)['48x48'];
  out.managementSource = u.claimStatus === 'managed' ? u.managementSource : null;
  if (u.claimStatus === 'managed') out.mfaEnabled = u.mfaEnabled;
  if (u.jobTitle) out.jobTitle = u.jobTitle;
  out.department = u.department;
  out.organization = u.claimStatus === 'managed' ? t.orgName : null;
  out.location = null;
  out.timeZone = u.timeZone;
  if (expand.has('counts.resources')) out.counts = { resources: u.inJira || u.directoryId === t.directoriesList[1].directoryId ? 1 : 0 };
  if (expand.has('productAccess')) {
    out.productAccess = u.inJira && u.lastActive ? t.userProducts(u.accountId).map((key) => ({ key, id: t.cloudId, lastActiveTimestamp: u.lastActive as string })) : [];
  }
  if (expand.has('groups')) {
    out.groups = t
      .userGroups(u.accountId)
      .filter((g) => g.directoryId !== null && (directoryId === '-' || g.directoryId === directoryId))
      .map((g) => ({ id: g.groupId, name: g.name, description: g.description }));
  }
  if (u.accountStatus !== 'active') out.deactivatedOn = u.lastActive ?? u.addedToOrg;
  out.links = { self: `${ctx.s.apiUrl}/admin/v2/orgs/${t.orgId}/directories/${u.directoryId}/users/${encodeURIComponent(u.accountId)}` };
  return out;
}

const PROTECTED_GROUPS = new Set(['site-admins', 'jira-administrators', 'jira-software-users', 'jira-servicemanagement-users', 'jira-product-discovery-users']);

function v2Group(ctx: Ctx, g: TenantGroup, counts: { users?: boolean; resources?: boolean }): J {
  const t = ctx.s.tenant;
  const out: J = {
    id: g.groupId,
    name: g.name,
    description: g.description,
    directoryId: g.directoryId as string,
    managementAccess: { deletable: !g.externalSynced && !PROTECTED_GROUPS.has(g.name), modifiable: !g.externalSynced, readable: true },
    externalSynced: g.externalSynced,
    managedBy: g.managedBy,
  };
  if (counts.users || counts.resources) {
    const c: J = {};
    if (counts.users) c.users = t.groupSize(g.groupId);
    if (counts.resources) c.resources = t.applicationRoles().some((r) => r.groups.includes(g.groupId)) ? 1 : 0;
    out.counts = c;
  }
  out.links = { self: `${ctx.s.apiUrl}/admin/v2/orgs/${t.orgId}/directories/${g.directoryId}/groups/${g.groupId}` };
  return out;
}

function directoryParam(ctx: Ctx, allowAll: boolean): { dir?: string; error?: Reply } {
  const d = ctx.params.directoryId;
  if (d === '-') {
    if (!allowAll) return { error: adminError(400, 'ADMIN-400-4', 'Invalid resource', "A concrete directoryId is required for this operation ('-' is only accepted on list and search calls).") };
    return { dir: '-' };
  }
  if (!ctx.s.tenant.directories().some((x) => x.directoryId === d)) return { error: adminError(404, 'ADMIN-404-1', 'Unknown resource', `Directory ${d} was not found.`) };
  return { dir: d };
}

interface UserFilters {
  accountIds?: string[];
  directoryIds?: string[];
  resourceIds?: string[];
  groupIds?: string[];
  mfaEnabled?: boolean;
  claimStatus?: string;
  status?: string[];
  accountStatus?: string[];
  membershipStatus?: string[];
  roleIds?: string[];
  emailDomains?: string[];
  searchTerm?: string;
  emails?: string[];
  expand?: string[];
  sortBy?: Array<{ field: string; direction: string }>;
}

function listUsers(ctx: Ctx, dir: string, input: UserFilters & { cursor?: string; limit?: number }): Reply {
  const t = ctx.s.tenant;
  let f: UserFilters = input;
  let offset = 0;
  let limit = input.limit ?? 20;
  if (input.cursor) {
    // "If present, all other parameters are discarded": the cursor carries the query.
    const c = decodeCursor<{ o: number; l: number; f: UserFilters; d: string }>(input.cursor, 'v2users');
    if (!c || c.d !== dir) return badCursor();
    f = c.f;
    offset = c.o;
    limit = c.l;
  } else if (f.searchTerm !== undefined && f.emails !== undefined) {
    return adminError(400, 'ADMIN-400-4', 'Bad request', 'searchTerm and emails are mutually exclusive.');
  }
  let users: readonly TenantUser[] = t.directoryUsersView(dir);
  const site = siteResourceIds(ctx);
  const sets = {
    acc: f.accountIds && new Set(f.accountIds),
    dirs: f.directoryIds && new Set(f.directoryIds),
    st: f.status && new Set(f.status),
    as: f.accountStatus && new Set(f.accountStatus),
    ms: f.membershipStatus && new Set(f.membershipStatus),
    dom: f.emailDomains && new Set(f.emailDomains.map((d) => d.toLowerCase().replace(/^@/, ''))),
    em: f.emails && new Set(f.emails.map((e) => e.toLowerCase())),
    roles: f.roleIds && new Set(f.roleIds),
  };
  const groupIdx = f.groupIds?.map((id) => t.group(id)).filter((g): g is TenantGroup => !!g);
  const term = f.searchTerm?.toLowerCase();
  const anyFilter = [
    'accountIds',
    'directoryIds',
    'resourceIds',
    'groupIds',
    'mfaEnabled',
    'claimStatus',
    'status',
    'accountStatus',
    'membershipStatus',
    'emailDomains',
    'emails',
    'roleIds',
    'searchTerm',
  ].some((k) => (f as Record<string, unknown>)[k] !== undefined);
  if (anyFilter)
    users = users.filter((u) => {
      if (sets.acc && !sets.acc.has(u.accountId)) return false;
      if (sets.dirs && !sets.dirs.has(u.directoryId as string)) return false;
      // roleIds with resourceIds: the role held on one of those resources (directly or through a group) [unverified]
      if (f.roleIds && f.resourceIds && !adminRoles(t).userHolds(u.accountId, f.roleIds, f.resourceIds)) return false;
      if (f.resourceIds && !f.roleIds) {
        const onSite = u.inJira && f.resourceIds.some((r) => site.has(r));
        const onWiki = u.directoryId === t.directoriesList[1].directoryId && f.resourceIds.some((r) => r === t.workspacesList[1].id);
        if (!onSite && !onWiki) return false;
      }
      if (groupIdx && !groupIdx.some((g) => t.isGroupMember(g.groupId, u.accountId))) return false;
      if (f.mfaEnabled !== undefined && (u.claimStatus !== 'managed' || u.mfaEnabled !== f.mfaEnabled)) return false;
      if (f.claimStatus && u.claimStatus !== f.claimStatus) return false;
      if (sets.st && !sets.st.has(v2Status(ctx, u))) return false;
      if (sets.as && !sets.as.has(u.accountStatus)) return false;
      if (sets.ms && !sets.ms.has(u.suspended ? 'suspended' : 'active')) return false;
      if (sets.dom && !sets.dom.has(u.email.split('@')[1].toLowerCase())) return false;
      if (sets.em && !sets.em.has(u.email.toLowerCase())) return false;
      if (sets.roles && !f.resourceIds && !platformRoles(ctx, u).some((r) => sets.roles?.has(r))) return false;
      if (term && !(u.nickname.toLowerCase().includes(term) || u.email.toLowerCase().includes(term) || u.displayName.toLowerCase().includes(term))) return false;
      return true;
    });
  if (f.sortBy?.length) {
    const desc = f.sortBy[0].direction === 'desc';
    users = users.slice().sort((a, b) => (a.nickname < b.nickname ? -1 : a.nickname > b.nickname ? 1 : 0) * (desc ? -1 : 1));
  }
  const expand = new Set(f.expand ?? []);
  const page = users.slice(offset, offset + limit);
  const links: J = { self: input.cursor ?? null };
  if (offset > 0) links.prev = encodeCursor({ k: 'v2users', o: Math.max(0, offset - limit), l: limit, f, d: dir });
  if (offset + page.length < users.length) links.next = encodeCursor({ k: 'v2users', o: offset + limit, l: limit, f, d: dir });
  return { status: 200, body: { data: page.map((u) => v2User(ctx, u, expand, dir)), links } };
}

interface GroupFilters {
  directoryIds?: string[];
  accountIds?: string[];
  groupIds?: string[];
  groupNames?: string[];
  resourceIds?: string[];
  searchTerm?: string;
  roleIds?: string[];
  resourceOwners?: string[];
  expand?: string[];
  counts?: boolean;
  sortBy?: Array<{ field?: string; direction?: string }>;
}

function listGroups(ctx: Ctx, dir: string, input: GroupFilters & { cursor?: string; limit?: number }): Reply {
  const t = ctx.s.tenant;
  let f: GroupFilters = input;
  let offset = 0;
  let limit = input.limit ?? 20;
  if (input.cursor) {
    const c = decodeCursor<{ o: number; l: number; f: GroupFilters; d: string }>(input.cursor, 'v2groups');
    if (!c || c.d !== dir) return badCursor();
    f = c.f;
    offset = c.o;
    limit = c.l;
  } else if ([f.searchTerm, f.groupIds, f.groupNames].filter((x) => x !== undefined).length > 1) {
    return adminError(400, 'ADMIN-400-4', 'Bad request', 'searchTerm, groupIds and groupNames are mutually exclusive.');
  }
  const site = siteResourceIds(ctx);
  const ids = f.groupIds && new Set(f.groupIds);
  const names = f.groupNames && new Set(f.groupNames.map((n) => n.toLowerCase()));
  const dirs = f.directoryIds && new Set(f.directoryIds);
  const term = f.searchTerm?.toLowerCase();
  let groups = t.directoryGroups(dir).filter((g) => {
    if (ids && !ids.has(g.groupId)) return false;
    if (names && !names.has(g.name.toLowerCase())) return false;
    if (dirs && !dirs.has(g.directoryId as string)) return false;
    if (term && !g.name.toLowerCase().includes(term)) return false;
    if (f.accountIds && !f.accountIds.some((a) => t.isGroupMember(g.groupId, a))) return false;
    // roleIds (with resourceIds: on one of those resources): groups the role is assigned to [unverified]
    if (f.roleIds && !adminRoles(t).groupHolds(g.groupId, f.roleIds, f.resourceIds)) return false;
    if (f.resourceIds && !f.roleIds) {
      const onSite = g.inJira && f.resourceIds.some((r) => site.has(r));
      const onWiki = !g.inJira && f.resourceIds.includes(t.workspacesList[1].id);
      if (!onSite && !onWiki) return false;
    }
    return true;
  });
  if (f.sortBy?.length && f.sortBy[0].direction === 'desc') groups = groups.slice().reverse();
  const expand = new Set(f.expand ?? []);
  const counts = { users: f.counts === true || expand.has('counts.users'), resources: f.counts === true || expand.has('counts.resources') };
  const page = groups.slice(offset, offset + limit);
  const links: J = { self: input.cursor ?? null };
  if (offset > 0) links.prev = encodeCursor({ k: 'v2groups', o: Math.max(0, offset - limit), l: limit, f, d: dir });
  if (offset + page.length < groups.length) links.next = encodeCursor({ k: 'v2groups', o: offset + limit, l: limit, f, d: dir });
  return { status: 200, body: { data: page.map((g) => v2Group(ctx, g, counts)), links } };
}

function directoryUser(ctx: Ctx, dir: string, accountId: string): TenantUser | undefined {
  const u = ctx.s.tenant.user(accountId);
  if (!u || u.directoryId === null || (dir !== '-' && u.directoryId !== dir)) return undefined;
  return u;
}

function membershipWrite(ctx: Ctx, groupId: string, accountId: string, add: boolean, dir: string | undefined): Reply | { ok: true; group: TenantGroup } {
  const t = ctx.s.tenant;
  const g = t.group(groupId);
  if (!g || g.groupId !== groupId || g.directoryId === null || (dir && g.directoryId !== dir)) return groupNotFound(groupId);
  const u = t.user(accountId);
  if (!u || u.directoryId === null) return userNotFound(accountId);
  if (g.externalSynced) return adminError(403, 'ADMIN-403-5', 'Forbidden', `Group ${g.name} is synced from an identity provider; change its memberships there.`);
  if (g.name === 'site-admins') return adminError(403, 'ADMIN-403-5', 'Forbidden', 'The site-admin group cannot be modified through this API.');
  if (add && u.directoryId !== g.directoryId) return adminError(400, 'ADMIN-400-4', 'Invalid resource', 'The user must be in the same directory as the group.');
  if (add) t.addGroupMember(g.groupId, u.accountId);
  else t.removeGroupMember(g.groupId, u.accountId);
  return { ok: true, group: g };
}

const ORG = '/v1/orgs/{orgId}';

export const ADMIN_ROUTES: AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/v1/orgs',
    doc: 'admin-organization',
    docPath: '/v1/orgs',
    handler: (ctx) => {
      const t = ctx.s.tenant;
      if (ctx.q.cursor !== undefined && !decodeCursor(ctx.q.cursor as string, 'v1orgs')) return badCursor();
      const key = ctx.principal?.cred;
      const visible = t.withOrg && key?.orgId === t.orgId && key.canManageOrg !== false;
      const data = visible ? [orgModel(ctx)] : [];
      return { status: 200, body: { data, links: { self: `${ctx.s.apiUrl}/admin/v1/orgs` } } };
    },
  },
  {
    method: 'GET',
    path: '/admin/v1/orgs/{orgId}',
    doc: 'admin-organization',
    docPath: ORG,
    handler: (ctx) => orgCheck(ctx) ?? { status: 200, body: { data: orgModel(ctx) } },
  },
  {
    method: 'GET',
    path: '/admin/v1/orgs/{orgId}/users',
    doc: 'admin-organization',
    docPath: `${ORG}/users`,
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      let offset = 0;
      if (ctx.q.cursor !== undefined) {
        const c = decodeCursor<{ o: number }>(ctx.q.cursor as string, 'v1users');
        if (!c) return badCursor();
        offset = c.o;
      }
      const all = ctx.s.tenant.orgUsersView();
      const size = ctx.s.settings.adminV1PageSize;
      const page = all.slice(offset, offset + size);
      const base = `${ctx.s.apiUrl}/admin/v1/orgs/${ctx.s.tenant.orgId}/users`;
      // v1: links are FULL URLs (atlassian-api.md §4.1, doc ID-8618)
      const links: J = { self: ctx.q.cursor !== undefined ? `${base}?cursor=${encodeURIComponent(ctx.q.cursor as string)}` : base };
      if (offset > 0) links.prev = `${base}?cursor=${encodeCursor({ k: 'v1users', o: Math.max(0, offset - size) })}`;
      if (offset + page.length < all.length) links.next = `${base}?cursor=${encodeCursor({ k: 'v1users', o: offset + size })}`;
      return { status: 200, body: { data: page.map((u) => v1User(ctx, u)), meta: { total: all.length }, links } };
    },
  },
  {
    method: 'GET',
    path: '/admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates',
    doc: 'admin-organization',
    docPath: `${ORG}/directory/users/{accountId}/last-active-dates`,
    operationId: 'getUserLastActiveDates',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      if (ctx.q.cursor !== undefined && !decodeCursor(ctx.q.cursor as string, 'lad')) return badCursor();
      const d = ctx.s.tenant.lastActiveDates(ctx.params.accountId);
      if (!d) return userNotFound(ctx.params.accountId);
      return { status: 200, body: { data: d, links: {} } };
    },
  },
  ...(['suspend', 'restore'] as const).map((action): AdminRoute => ({
    method: 'POST',
    path: `/admin/v1/orgs/{orgId}/directory/users/{accountId}/${action}-access`,
    doc: 'admin-organization',
    docPath: `${ORG}/directory/users/{accountId}/${action}-access`,
    operationId: action === 'suspend' ? 'suspendUserAccess' : 'restoreUserAccess',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const id = ctx.params.accountId;
      const t = ctx.s.tenant;
      const u = t.user(id);
      if (!u || u.directoryId === null) return userNotFound(id);
      if (action === 'suspend') t.suspendUser(id);
      else t.restoreUser(id);
      return { status: 200, body: { message: `Access to organization ${t.orgId} was ${action === 'suspend' ? 'suspended' : 'restored'} for user ${id}` } };
    },
  })),
  // organization posture: domains (the managed domains are verified, one more is not) and policies
  {
    method: 'GET',
    path: '/admin/v1/orgs/{orgId}/domains',
    doc: 'admin-organization',
    docPath: `${ORG}/domains`,
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const base = `${ctx.s.apiUrl}/admin/v1/orgs/${ctx.s.tenant.orgId}/domains`;
      const data = ctx.s.tenant.domains().map((d) => ({ id: d.id, type: 'domains', attributes: { name: d.name, claim: { type: d.claimType, status: d.status } }, links: { self: `${base}/${d.id}` } }));
      return { status: 200, body: { data, links: { self: base } } };
    },
  },
  {
    method: 'GET',
    path: '/admin/v1/orgs/{orgId}/policies',
    doc: 'admin-organization',
    docPath: `${ORG}/policies`,
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const t = ctx.s.tenant;
      const data = t.policies().map((p) => ({
        id: p.id,
        type: 'policy',
        attributes: { type: p.type, name: p.name, status: p.status, rule: { in: p.in }, resources: [{ id: `ari:cloud:jira::site/${t.cloudId}`, applicationStatus: 'applied' }] },
      }));
      return { status: 200, body: { data, links: { self: `${ctx.s.apiUrl}/admin/v1/orgs/${t.orgId}/policies` } } };
    },
  },
  {
    method: 'DELETE',
    path: '/admin/v1/orgs/{orgId}/directory/users/{accountId}',
    doc: 'admin-organization',
    docPath: `${ORG}/directory/users/{accountId}`,
    operationId: 'removeUserAccess',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const id = ctx.params.accountId;
      return ctx.s.tenant.removeFromOrg(id) === 'ok' ? { status: 204 } : userNotFound(id);
    },
  },
  {
    method: 'POST',
    path: '/admin/v1/orgs/{orgId}/directory/groups/{groupId}/memberships',
    doc: 'admin-organization',
    docPath: `${ORG}/directory/groups/{groupId}/memberships`,
    operationId: 'addUserToGroup',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const accountId = (ctx.body as { account_id: string }).account_id;
      const r = membershipWrite(ctx, ctx.params.groupId, accountId, true, undefined);
      if (!('ok' in r)) return r;
      return { status: 200, body: { message: `User ${accountId} was added to group ${r.group.groupId}` } };
    },
  },
  {
    method: 'DELETE',
    path: '/admin/v1/orgs/{orgId}/directory/groups/{groupId}/memberships/{accountId}',
    doc: 'admin-organization',
    docPath: `${ORG}/directory/groups/{groupId}/memberships/{accountId}`,
    operationId: 'removeUserFromGroup',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const r = membershipWrite(ctx, ctx.params.groupId, ctx.params.accountId, false, undefined);
      if (!('ok' in r)) return r;
      return { status: 200, body: { message: `User ${ctx.params.accountId} was removed from group ${r.group.groupId}` } };
    },
  },
  {
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/workspaces',
    doc: 'admin-organization',
    docPath: '/v2/orgs/{orgId}/workspaces',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const body = (ctx.body ?? {}) as { cursor?: string | null; limit?: number; query?: unknown; sort?: unknown };
      let offset = 0;
      let limit = body.limit ?? 20;
      if (body.cursor) {
        if (Object.keys(body).some((k) => k !== 'cursor')) return adminError(400, 'ADMIN-400-4', 'Bad request', 'When a cursor is provided in the request body, no other properties may be present.');
        const c = decodeCursor<{ o: number; l: number }>(body.cursor, 'ws');
        if (!c) return badCursor();
        offset = c.o;
        limit = c.l;
      }
      const t = ctx.s.tenant;
      const all = t.workspaces();
      const page = all.slice(offset, offset + limit);
      const links: J = { self: `${ctx.s.apiUrl}/admin/v2/orgs/${t.orgId}/workspaces` };
      if (offset + page.length < all.length) links.next = encodeCursor({ k: 'ws', o: offset + limit, l: limit });
      const data = page.map((w) => ({
        id: w.id,
        type: 'workspace',
        attributes: {
          name: w.name,
          typeKey: w.typeKey,
          type: w.type,
          owner: t.orgId,
          status: 'online',
          statusDetails: [],
          icons: {},
          avatars: {},
          labels: [],
          usage: w.typeKey === 'jira' ? t.users().length : t.directoryUsers(w.directoryId).length,
          capacity: null,
          createdAt: '2023-04-01T10:00:00.000Z',
          createdBy: t.adminAccountId,
          updatedAt: '2026-05-01T10:00:00.000Z',
          hostUrl: w.hostUrl ?? ctx.s.siteUrl,
          realm: 'us',
          regions: ['us-east-1'],
        },
        links: { self: `${ctx.s.apiUrl}/admin/v2/orgs/${t.orgId}/workspaces/${encodeURIComponent(w.id)}` },
      }));
      return { status: 200, body: { data, links, meta: { pageSize: limit, startIndex: offset, endIndex: offset + page.length, total: all.length } } };
    },
  },
  // ---- v2 directory API (hand-written schemas; atlassian-api.md §4.2) ----
  {
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const t = ctx.s.tenant;
      let dirs = t.directories();
      const ids = ctx.q.directoryIds as string[] | undefined;
      if (ids) dirs = dirs.filter((d) => ids.includes(d.directoryId));
      const term = (ctx.q.searchTerm as string | undefined)?.toLowerCase();
      if (term) dirs = dirs.filter((d) => d.name.toLowerCase().includes(term));
      const acc = ctx.q.accountId as string | undefined;
      if (acc) dirs = dirs.filter((d) => t.user(acc)?.directoryId === d.directoryId);
      let offset = 0;
      let limit = (ctx.q.limit as number | undefined) ?? 20;
      if (ctx.q.cursor !== undefined) {
        const c = decodeCursor<{ o: number; l: number }>(ctx.q.cursor as string, 'dirs');
        if (!c) return badCursor();
        offset = c.o;
        limit = c.l;
      }
      const page = dirs.slice(offset, offset + limit);
      const links: J = { self: (ctx.q.cursor as string | undefined) ?? null };
      if (offset + page.length < dirs.length) links.next = encodeCursor({ k: 'dirs', o: offset + limit, l: limit });
      return { status: 200, body: { data: page, links } };
    },
  },
  {
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      return listUsers(ctx, dir as string, { ...(ctx.q as UserFilters), sortBy: undefined, cursor: ctx.q.cursor as string | undefined, limit: ctx.q.limit as number | undefined });
    },
  },
  {
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      const body = (ctx.body ?? {}) as UserFilters & { cursor?: string; limit?: number };
      // which group's member page was asked for (tests count each page's reads)
      const groupIds = (body as { groupIds?: unknown }).groupIds;
      if (Array.isArray(groupIds) && groupIds.length === 1) ctx.s.stats.recordDetail(`directory-group-members|${String(groupIds[0])}|${body.cursor ?? ''}`);
      return listUsers(ctx, dir as string, body);
    },
  },
  {
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      const u = directoryUser(ctx, dir as string, ctx.params.accountId);
      if (!u) return userNotFound(ctx.params.accountId);
      return { status: 200, body: { data: v2User(ctx, u, new Set(['counts.resources']), dir as string) } };
    },
  },
  ...(['suspend', 'restore'] as const).map((action): AdminRoute => ({
    method: 'POST',
    path: `/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/${action}`,
    doc: 'fake-handwritten',
    docPath: `/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/${action}`,
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, false);
      if (error) return error;
      const u = directoryUser(ctx, dir as string, ctx.params.accountId);
      if (!u) return userNotFound(ctx.params.accountId);
      if (action === 'suspend') ctx.s.tenant.suspendUser(u.accountId);
      else ctx.s.tenant.restoreUser(u.accountId);
      return { status: 204 };
    },
  })),
  {
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      return listGroups(ctx, dir as string, { ...(ctx.q as GroupFilters), sortBy: undefined, cursor: ctx.q.cursor as string | undefined, limit: ctx.q.limit as number | undefined });
    },
  },
  {
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/search',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      return listGroups(ctx, dir as string, (ctx.body ?? {}) as GroupFilters & { cursor?: string; limit?: number });
    },
  },
  {
    method: 'GET',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, true);
      if (error) return error;
      const g = ctx.s.tenant.group(ctx.params.groupId);
      if (!g || g.groupId !== ctx.params.groupId || g.directoryId === null || (dir !== '-' && g.directoryId !== dir)) return groupNotFound(ctx.params.groupId);
      return { status: 200, body: { data: v2Group(ctx, g, { users: true, resources: true }) } };
    },
  },
  {
    method: 'POST',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, false);
      if (error) return error;
      const r = membershipWrite(ctx, ctx.params.groupId, (ctx.body as { accountId: string }).accountId, true, dir);
      return 'ok' in r ? { status: 204 } : r;
    },
  },
  {
    method: 'DELETE',
    path: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}',
    doc: 'fake-handwritten',
    docPath: '/admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}',
    handler: (ctx) => {
      const err = orgCheck(ctx);
      if (err) return err;
      const { dir, error } = directoryParam(ctx, false);
      if (error) return error;
      const r = membershipWrite(ctx, ctx.params.groupId, ctx.params.accountId, false, dir);
      return 'ok' in r ? { status: 204 } : r;
    },
  },
  // ---- user management API (admin-user-management.openapi.json) ----
  {
    method: 'GET',
    path: '/users/{account_id}/manage/api-tokens',
    doc: 'admin-user-management',
    docPath: '/users/{account_id}/manage/api-tokens',
    operationId: 'getApiTokens',
    handler: (ctx) => {
      const t = ctx.s.tenant;
      const u = t.user(ctx.params.account_id);
      if (!u) return { status: 404, body: { key: 'accountNotFound' } };
      if (u.claimStatus !== 'managed' || u.directoryId === null || !t.withOrg) return { status: 403, body: { key: 'forbidden' } };
      return { status: 200, body: t.apiTokens(u.accountId) };
    },
  },
  {
    method: 'DELETE',
    path: '/users/{account_id}/manage/api-tokens/{tokenId}',
    doc: 'admin-user-management',
    docPath: '/users/{account_id}/manage/api-tokens/{tokenId}',
    operationId: 'deleteApiToken',
    handler: (ctx) => {
      const t = ctx.s.tenant;
      const u = t.user(ctx.params.account_id);
      if (!u) return { status: 404, body: { key: 'accountNotFound' } };
      if (u.claimStatus !== 'managed' || u.directoryId === null || !t.withOrg) return { status: 403, body: { key: 'forbidden' } };
      return t.revokeApiToken(u.accountId, ctx.params.tokenId) === 'ok' ? { status: 204 } : { status: 404, body: { key: 'notFound' } };
    },
  },
  // lifecycle of a managed account (user management API, "Lifecycle")
  ...(['disable', 'enable', 'delete', 'cancel-delete'] as const).map((op): AdminRoute => ({
    method: 'POST',
    path: `/users/{account_id}/manage/lifecycle/${op}`,
    doc: 'admin-user-management',
    docPath: `/users/{account_id}/manage/lifecycle/${op}`,
    operationId: { disable: 'deactivateUser', enable: 'activateUser', delete: 'deleteAccount', 'cancel-delete': 'cancelDeleteAccount' }[op],
    handler: (ctx) => {
      const t = ctx.s.tenant;
      const u = t.user(ctx.params.account_id);
      if (!u) return { status: 404, body: { key: 'accountNotFound' } };
      if (u.claimStatus !== 'managed' || u.directoryId === null || !t.withOrg) return { status: 403, body: { key: 'forbidden' } };
      const r = t.accountLifecycle(u.accountId, op);
      if (r === 'invalid' || (r === 'already' && op === 'delete')) {
        if (op === 'cancel-delete') return { status: 404, body: { key: 'notFound' } };
        const message = r === 'already' ? 'The account is already scheduled for deletion.' : 'The account is scheduled for deletion; cancel the deletion first.';
        return {
          status: 409,
          body: { key: 'conflict.lifecycleErrors', context: { message, accountId: u.accountId, errorCodes: [{ code: r === 'already' ? 'ALREADY_SCHEDULED' : 'DELETION_SCHEDULED', message }] } },
        };
      }
      return op === 'delete' || op === 'cancel-delete' ? { status: 200, body: { message: 'Success' } } : { status: 204 };
    },
  })),
];

function orgModel(ctx: Ctx): J {
  const t = ctx.s.tenant;
  const base = `${ctx.s.apiUrl}/admin/v1/orgs/${t.orgId}`;
  return {
    id: t.orgId,
    type: 'orgs',
    attributes: { name: t.orgName },
    relationships: { domains: { links: { related: `${base}/domains` } }, users: { links: { related: `${base}/users` } } },
    links: { self: base },
  };
}
