/**
 * Jira Cloud platform REST v3 endpoints (served at /rest/api/3/... on the site URL and at
 * /ex/jira/<cloudId>/rest/api/3/... on the gateway; /rest/api/2/... is served by the same
 * handlers). Behaviour follows atlassian-api.md §1; the shapes are validated against
 * jira-platform.openapi.json by the server.
 */
import {
  administersAnyProject,
  avatarUrls,
  canAdministerProject,
  canBrowseProject,
  clampInt,
  groupSelf,
  jiraError,
  searchOffset,
  searchToken,
  userSelf,
  type Ctx,
  type Handler,
  type Reply,
} from './context';
import type { TenantGroup, TenantProject, TenantRole, TenantUser } from './tenant';
import { PERMISSION_ROUTES } from './permissions-check';
import { AUDIT_ROUTES } from './audit-log';
import { ISSUE_ROUTES, searchCreatedIssues } from './issues';
import { wantsWorkItems, searchWorkItems, bulkChangelogs } from './work-items';

export interface JiraRoute {
  method: string;
  /** Path after /rest/api/3 */
  suffix: string;
  handler: Handler;
  /** Serve anonymous callers (the document allows it and Atlassian answers them). */
  anonymousOk?: boolean;
}

type J = Record<string, unknown>;

function expandSet(v: unknown): Set<string> {
  return new Set(
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );
}

function restBase(ctx: Ctx): string {
  // /rest/api/2 or /rest/api/3, as the client called it
  return ctx.base + ctx.path.slice(0, 11);
}

export function renderUser(ctx: Ctx, u: TenantUser, opts: { expand?: Set<string>; locale?: boolean } = {}): J {
  const out: J = { self: userSelf(ctx.base, u), accountId: u.accountId, accountType: u.accountType };
  if (u.accountType === 'app' && u.appType) out.appType = u.appType;
  if (u.emailVisible && !u.formerUser) out.emailAddress = u.email;
  else if (ctx.s.settings.hiddenEmail === 'null') out.emailAddress = null;
  out.avatarUrls = avatarUrls(u.displayName);
  out.displayName = u.displayName;
  out.active = ctx.s.tenant.isActiveInJira(u);
  out.timeZone = u.timeZone;
  if (opts.locale) out.locale = u.locale;
  const ex = opts.expand;
  if (ex?.has('groups')) {
    const gs = ctx.s.tenant.userGroups(u.accountId, { jiraOnly: true });
    out.groups = { size: gs.length, items: gs.map((g) => ({ name: g.name, groupId: g.groupId, self: groupSelf(ctx.base, g) })), 'max-results': 1000 };
  }
  if (ex?.has('applicationRoles')) {
    const keys = ctx.s.tenant.userProducts(u.accountId);
    const roles = renderApplicationRoles(ctx).filter((r) => keys.includes(r.key as string));
    out.applicationRoles = { size: roles.length, items: roles, 'max-results': 1000 };
  }
  out.expand = 'groups,applicationRoles';
  return out;
}

/** Jira's user-search match: a word of the display name or the visible email starts with the query (lower case), or the email or account id equals it. */
function matchesUserQuery(u: TenantUser, q: string): boolean {
  const email = u.email.toLowerCase();
  const byName = u.displayName
    .toLowerCase()
    .split(/\s+/)
    .some((w) => w.startsWith(q));
  return byName || (u.emailVisible && email.startsWith(q)) || email === q || u.accountId.toLowerCase() === q;
}

/** UserDetails (group/member values): no appType, no locale, no expand. */
export function renderUserDetails(ctx: Ctx, u: TenantUser): J {
  const out: J = { self: userSelf(ctx.base, u), accountId: u.accountId, accountType: u.accountType };
  if (u.emailVisible && !u.formerUser) out.emailAddress = u.email;
  else if (ctx.s.settings.hiddenEmail === 'null') out.emailAddress = null;
  out.avatarUrls = avatarUrls(u.displayName);
  out.displayName = u.displayName;
  out.active = ctx.s.tenant.isActiveInJira(u);
  out.timeZone = u.timeZone;
  return out;
}

function renderApplicationRoles(ctx: Ctx): J[] {
  const t = ctx.s.tenant;
  return t.applicationRoles().map((r) => {
    const groups = r.groups.map((id) => t.group(id)).filter((g): g is TenantGroup => !!g);
    const defaults = r.defaultGroups.map((id) => t.group(id)).filter((g): g is TenantGroup => !!g);
    const gn = (g: TenantGroup): J => ({ name: g.name, groupId: g.groupId, self: groupSelf(ctx.base, g) });
    return {
      key: r.key,
      groups: groups.map((g) => g.name),
      groupDetails: groups.map(gn),
      name: r.name,
      defaultGroups: defaults.map((g) => g.name),
      defaultGroupsDetails: defaults.map(gn),
      selectedByDefault: r.selectedByDefault,
      defined: false,
      numberOfSeats: r.hasUnlimitedSeats ? -1 : r.numberOfSeats,
      remainingSeats: r.hasUnlimitedSeats ? -1 : Math.max(0, r.numberOfSeats - r.userCount),
      userCount: r.userCount,
      userCountDescription: 'users',
      hasUnlimitedSeats: r.hasUnlimitedSeats,
      platform: r.platform,
    };
  });
}

/** A PageBean {self, nextPage, maxResults, startAt, total, isLast, values}. */
function pageBean(ctx: Ctx, values: unknown[], startAt: number, maxResults: number, total: number): J {
  const isLast = startAt + values.length >= total;
  const out: J = { self: ctx.selfUrl, maxResults, startAt, total, isLast, values };
  if (!isLast) {
    const next = new URLSearchParams(ctx.rawQuery);
    next.set('startAt', String(startAt + maxResults));
    next.set('maxResults', String(maxResults));
    out.nextPage = `${ctx.base}${ctx.path}?${next.toString()}`;
  }
  // keep key order like Jira (self, nextPage, maxResults, ...)
  return out.nextPage ? { self: out.self, nextPage: out.nextPage, maxResults, startAt, total, isLast, values } : out;
}

function startAtOf(ctx: Ctx): number {
  return Math.max(0, typeof ctx.q.startAt === 'number' ? ctx.q.startAt : 0);
}

function me(ctx: Ctx): TenantUser {
  return ctx.principal?.user as TenantUser;
}

/** Resolve groupId XOR groupname (Jira's rule for group endpoints). */
function resolveGroup(ctx: Ctx): { group?: TenantGroup; error?: Reply } {
  const id = ctx.q.groupId as string | undefined;
  const name = (ctx.q.groupname ?? ctx.q.groupName) as string | undefined;
  if (id !== undefined && name !== undefined) return { error: jiraError(400, 'You must specify a group name or a group ID, but not both.') };
  if (id === undefined && name === undefined) return { error: jiraError(400, 'You must specify a group name or a group ID.') };
  const t = ctx.s.tenant;
  const g = id !== undefined ? t.group(id) : t.group(name as string);
  if (!g || !g.inJira || (id !== undefined && g.groupId !== id)) return { error: jiraError(404, id !== undefined ? `Group with id '${id}' does not exist.` : `Group '${name}' does not exist.`) };
  return { group: g };
}

function projectJson(ctx: Ctx, p: TenantProject, opts: { expand?: Set<string>; full?: boolean }): J {
  const t = ctx.s.tenant;
  const out: J = {
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    self: `${restBase(ctx)}/project/${p.id}`,
    id: p.id,
    key: p.key,
  };
  if (opts.full || opts.expand?.has('description')) out.description = p.description;
  if (opts.full || opts.expand?.has('lead')) {
    const lead = t.user(p.leadAccountId);
    if (lead) out.lead = renderUser(ctx, lead);
  }
  out.name = p.name;
  out.avatarUrls = {
    '48x48': `${ctx.base}/rest/api/3/universal_avatar/view/type/project/avatar/10400`,
    '24x24': `${ctx.base}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size=small`,
    '16x16': `${ctx.base}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size=xsmall`,
    '32x32': `${ctx.base}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size=medium`,
  };
  out.projectTypeKey = p.projectTypeKey;
  out.simplified = p.simplified;
  out.style = p.style;
  out.isPrivate = p.isPrivate;
  out.properties = {};
  if (p.uuid) out.uuid = p.uuid;
  if (opts.full) {
    out.assigneeType = 'PROJECT_LEAD';
    out.roles = Object.fromEntries(t.projectRoles(p.id).map((r) => [r.name, `${restBase(ctx)}/project/${p.id}/role/${r.id}`]));
  }
  if (opts.expand?.has('url') || opts.full) out.url = `${ctx.s.siteUrl}/browse/${p.key}`;
  return out;
}

function roleBase(ctx: Ctx, p: TenantProject, r: TenantRole): J {
  return {
    self: `${restBase(ctx)}/project/${p.id}/role/${r.id}`,
    name: r.name,
    id: r.id,
    description: r.description,
  };
}

function collate(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function renderProjectRole(ctx: Ctx, p: TenantProject, r: TenantRole, excludeInactive: boolean): J {
  const t = ctx.s.tenant;
  const entries = t.roleActorEntries(p.id, r.id) ?? { users: [], groups: [] };
  const actors: Array<{ sort: string; json: J }> = [];
  for (const { user, actorId } of entries.users) {
    if (excludeInactive && !t.isActiveInJira(user)) continue;
    actors.push({
      sort: user.displayName,
      json: { id: actorId, displayName: user.displayName, type: 'atlassian-user-role-actor', avatarUrl: avatarUrls(user.displayName)['48x48'], actorUser: { accountId: user.accountId } },
    });
  }
  for (const { group, actorId } of entries.groups) {
    actors.push({
      sort: group.name,
      json: { id: actorId, displayName: group.name, name: group.name, type: 'atlassian-group-role-actor', actorGroup: { name: group.name, displayName: group.name, groupId: group.groupId } },
    });
  }
  actors.sort((a, b) => collate(a.sort, b.sort));
  const meId = ctx.principal?.accountId;
  const currentUserRole = !!meId && t.isRoleMember(p.id, r.id, meId);
  return {
    ...roleBase(ctx, p, r),
    actors: actors.map((a) => a.json),
    translatedName: r.name,
    currentUserRole,
    admin: r.admin,
    roleConfigurable: true,
    default: r.id === 10001,
  };
}

function stripUndefined(o: J): J {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** Project + role lookup with Atlassian's 404/401 rules for project-role endpoints. */
function projectRoleAccess(ctx: Ctx, mode: 'read404' | 'write401' | 'write404'): { p?: TenantProject; r?: TenantRole; error?: Reply } {
  const t = ctx.s.tenant;
  const key = ctx.params.projectIdOrKey;
  const p = t.project(key);
  if (!p || !canBrowseProject(ctx.perms, p.id)) return { error: jiraError(404, `No project could be found with key '${key}'.`) };
  if (!canAdministerProject(ctx.perms, p.id)) {
    // Atlassian: GET/DELETE answer 404 when the caller is not a project admin; POST answers 401.
    if (mode === 'write401') return { error: jiraError(401, 'You cannot edit the configuration of this project.') };
    return { error: jiraError(404, `No project could be found with key '${key}'.`) };
  }
  const roleId = ctx.params.id !== undefined ? Number(ctx.params.id) : undefined;
  if (roleId !== undefined) {
    const r = t.projectRoles(p.id).find((x) => x.id === roleId);
    if (!r) return { error: jiraError(404, `No project role with id '${roleId}' was found.`) };
    return { p, r };
  }
  return { p };
}

// ----------------------------------------------------------------------------------------------
// JQL (tiny subset: AND of field = value / field in (...) clauses, ORDER BY)

interface JqlClause {
  field: string;
  not: boolean;
  values: string[];
  /** '>=' (work-item searches: `updated >= -90d`); absent: = or IN */
  op?: string;
}

function parseJql(jql: string): { clauses: JqlClause[]; order: Array<{ field: string; desc: boolean }>; error?: string } {
  const tokens = jql.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|>=|!=|=|\(|\)|,|[^\s=!(),]+(?:\(\))?/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string | undefined => tokens[i++];
  const unq = (s: string): string => (/^["']/.test(s) ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);
  const clauses: JqlClause[] = [];
  const order: Array<{ field: string; desc: boolean }> = [];
  while (i < tokens.length) {
    const t = peek() as string;
    if (/^order$/i.test(t)) break;
    if (clauses.length > 0) {
      if (/^and$/i.test(t)) next();
      else if (/^or$/i.test(t)) return { clauses, order, error: 'fake-atlassian: JQL OR is not supported by the fake (only AND of =, != and IN clauses).' };
      else return { clauses, order, error: `Error in the JQL Query: Expecting either 'OR' or 'AND' but got '${t}'.` };
    }
    const field = unq(next() ?? '').toLowerCase();
    let op = next()?.toLowerCase();
    let not = false;
    if (op === 'not') {
      not = true;
      op = next()?.toLowerCase() === 'in' ? 'in' : undefined;
    } else if (op === '!=') {
      not = true;
      op = '=';
    }
    if (op === '>=') {
      const v = next();
      if (v === undefined) return { clauses, order, error: 'Error in the JQL Query: Expecting a value.' };
      clauses.push({ field, not, values: [unq(v)], op });
    } else if (op === '=') {
      const v = next();
      if (v === undefined) return { clauses, order, error: 'Error in the JQL Query: Expecting a value.' };
      clauses.push({ field, not, values: [unq(v)] });
    } else if (op === 'in') {
      if (next() !== '(') return { clauses, order, error: "Error in the JQL Query: Expecting '(' after IN." };
      const values: string[] = [];
      while (peek() !== undefined && peek() !== ')') {
        const v = next() as string;
        if (v !== ',') values.push(unq(v));
      }
      next();
      clauses.push({ field, not, values });
    } else return { clauses, order, error: `fake-atlassian: unsupported JQL operator after '${field}'.` };
  }
  if (i < tokens.length) {
    next();
    if (!/^by$/i.test(next() ?? '')) return { clauses, order, error: "Error in the JQL Query: Expecting 'by' after 'order'." };
    while (i < tokens.length) {
      const f = next() as string;
      if (f === ',') continue;
      let desc = false;
      if (/^(asc|desc)$/i.test(peek() ?? '')) desc = /^desc$/i.test(next() as string);
      order.push({ field: unq(f).toLowerCase(), desc });
    }
  }
  return { clauses, order };
}

function searchJql(ctx: Ctx, input: { jql?: string; nextPageToken?: string; maxResults?: number; fields?: string[]; expand?: string }): Reply {
  const t = ctx.s.tenant;
  const jql = (input.jql ?? '').trim();
  const parsed = parseJql(jql);
  if (parsed.error) return jiraError(400, parsed.error);
  if (parsed.clauses.length === 0) return jiraError(400, 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  // issues created through the API carry labels (ticketing's idempotency key): issues.ts answers those searches
  if (parsed.clauses.some((c) => c.field === 'labels')) return searchCreatedIssues(ctx, parsed.clauses, input.fields);
  // statuses, dates, changelogs (issue 16): the work-item model answers (work-items.ts)
  if (wantsWorkItems(parsed.clauses, input.fields, input.expand))
    return searchWorkItems(
      ctx,
      parsed,
      { ...input, jql },
      (u) => renderUser(ctx, u),
      (u) => renderUserDetails(ctx, u),
    );
  if (parsed.order.length > 7) return jiraError(400, 'The ORDER BY clause can contain at most 7 fields.');
  const known = new Set(['project', 'assignee', 'reporter', 'key', 'issuekey', 'id']);
  for (const c of parsed.clauses) if (!known.has(c.field)) return jiraError(400, `Field '${c.field}' does not exist or you do not have permission to view it.`);
  const meId = ctx.principal?.accountId;
  const userMatch = (idx: number, v: string): boolean => {
    if (/^(empty|null)$/i.test(v)) return idx < 0;
    if (/^currentuser\(\)$/i.test(v)) return idx >= 0 && t.userAt(idx).accountId === meId;
    return idx >= 0 && t.userAt(idx).accountId === v;
  };
  const records = t.issueRecords().filter((r) => {
    const p = t.projectAt(r.projectIdx);
    if (!canBrowseProject(ctx.perms, p.id)) return false;
    return parsed.clauses.every((c) => {
      let hit: boolean;
      switch (c.field) {
        case 'project':
          hit = c.values.some((v) => v.toUpperCase() === p.key || v === p.id || v.toLowerCase() === p.name.toLowerCase());
          break;
        case 'assignee':
          hit = c.values.some((v) => userMatch(r.assignee, v));
          break;
        case 'reporter':
          hit = c.values.some((v) => userMatch(r.reporter, v));
          break;
        case 'id':
          hit = c.values.includes(String(r.id));
          break;
        default:
          hit = c.values.some((v) => v.toUpperCase() === `${p.key}-${r.seq}`);
      }
      return c.not ? !hit : hit;
    });
  });
  if (parsed.order.length > 0) {
    records.sort((a, b) => {
      for (const o of parsed.order) {
        let d = 0;
        if (o.field === 'updated')
          d = b.updatedDay - a.updatedDay; // newer first when ascending by date means older first; invert below
        else if (o.field === 'key' || o.field === 'issuekey') d = t.projectAt(a.projectIdx).key.localeCompare(t.projectAt(b.projectIdx).key) || a.seq - b.seq;
        else d = a.id - b.id;
        if (o.field === 'updated') d = -d;
        if (d !== 0) return o.desc ? -d : d;
      }
      return a.id - b.id;
    });
  }
  const fields = (input.fields && input.fields.length > 0 ? input.fields : ['id']).flatMap((f) => f.split(',')).map((f) => f.trim());
  const idKeyOnly = fields.every((f) => f === 'id' || f === 'key');
  const maxResults = clampInt(input.maxResults, 50, 1, idKeyOnly ? 5000 : 100);
  const offset = searchOffset(input.nextPageToken, jql);
  if (offset === undefined) return jiraError(400, 'The provided next page token is invalid or expired.');
  const page = records.slice(offset, offset + maxResults);
  const all = fields.includes('*all') || fields.includes('*navigable');
  const want = (f: string): boolean => all || fields.includes(f);
  const issues = page.map((r) => {
    const v = t.issueView(r as Parameters<typeof t.issueView>[0]);
    const out: J = { id: v.id };
    if (want('key') || all) out.key = v.key;
    out.self = `${restBase(ctx)}/issue/${v.id}`;
    const f: J = {};
    if (want('summary')) f.summary = v.summary;
    if (want('assignee')) f.assignee = v.assigneeAccountId ? renderUser(ctx, t.user(v.assigneeAccountId) as TenantUser) : null;
    if (want('reporter')) f.reporter = v.reporterAccountId ? renderUser(ctx, t.user(v.reporterAccountId) as TenantUser) : null;
    if (want('updated')) f.updated = v.updated.replace('Z', '+0000');
    if (want('project')) {
      const p = t.project(v.projectId) as TenantProject;
      f.project = { self: `${restBase(ctx)}/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: p.simplified };
    }
    if (Object.keys(f).length > 0) out.fields = f;
    return out;
  });
  const isLast = offset + page.length >= records.length;
  const body: J = { issues, isLast };
  if (!isLast) body.nextPageToken = searchToken(offset + page.length, jql);
  return { status: 200, body };
}

// ----------------------------------------------------------------------------------------------

const PRODUCTS = ['jira-core', 'jira-servicedesk', 'jira-product-discovery', 'jira-software'];

export const JIRA_ROUTES: JiraRoute[] = [
  {
    method: 'GET',
    suffix: '/myself',
    handler: (ctx) => ({ status: 200, body: renderUser(ctx, me(ctx), { expand: expandSet(ctx.q.expand), locale: true }) }),
  },
  {
    method: 'GET',
    suffix: '/serverInfo',
    anonymousOk: true,
    handler: (ctx) => ({
      status: 200,
      body: {
        baseUrl: ctx.s.siteUrl,
        displayUrl: ctx.s.siteUrl,
        version: '1001.0.0-SNAPSHOT',
        versionNumbers: [1001, 0, 0],
        deploymentType: 'Cloud',
        // Real Jira sends "...+0000", which is not RFC 3339 and fails the document's format: date-time; the fake sends Z.
        buildNumber: 100294,
        buildDate: '2026-05-20T09:00:00.000Z',
        serverTime: new Date().toISOString(),
        scmInfo: 'fa7a3c2b6c8e0d5d9e0c1a5b8f3e2d1c0b9a8f7e',
        serverTitle: 'Jira',
        serverTimeZone: 'Etc/UTC',
      },
    }),
  },
  ...['/users/search', '/users'].map((suffix): JiraRoute => ({
    method: 'GET',
    suffix,
    anonymousOk: true,
    handler: (ctx) => {
      // Bare array, no end marker; maxResults silently clamped to 1000 (atlassian-api.md §1.2).
      // Anonymous callers get an empty 200 (the "accessible anonymously" trap, §1.0).
      if (!ctx.principal) return { status: 200, body: [] };
      if (!ctx.perms.browseUsersAndGroups) return jiraError(403, 'Browse users and groups permission is required to view users.');
      const startAt = startAtOf(ctx);
      const max = clampInt(ctx.q.maxResults, 50, 0, 1000);
      const order = ctx.s.tenant.jiraUserIndexOrder();
      const out: J[] = [];
      for (let i = startAt; i < Math.min(order.length, startAt + max); i++) out.push(renderUser(ctx, ctx.s.tenant.userAt(order[i])));
      return { status: 200, body: out };
    },
  })),
  {
    method: 'GET',
    suffix: '/user',
    handler: (ctx) => {
      if (!ctx.perms.browseUsersAndGroups) return jiraError(403, 'You do not have the permission to see the specified user.');
      const id = ctx.q.accountId as string | undefined;
      const u = id ? ctx.s.tenant.user(id) : undefined;
      if (!u || !u.inJira) return jiraError(404, `Specified user does not exist or you do not have required permissions`);
      return { status: 200, body: renderUser(ctx, u, { expand: expandSet(ctx.q.expand) }) };
    },
  },
  {
    // GET /user/search: active users whose display name (any word) or email starts with the query;
    // Jira searches only the first 1,000 matches, and answers an empty list without "Browse users and groups".
    method: 'GET',
    suffix: '/user/search',
    handler: (ctx) => {
      if (!ctx.perms.browseUsersAndGroups) return { status: 200, body: [] };
      const t = ctx.s.tenant;
      const q = String(ctx.q.query ?? ctx.q.accountId ?? '').toLowerCase();
      const startAt = clampInt(ctx.q.startAt, 0, 0, 1000);
      const max = clampInt(ctx.q.maxResults, 50, 0, 1000);
      if (!q) return { status: 200, body: [] };
      const matches: TenantUser[] = [];
      for (const u of t.users()) {
        if (!t.isActiveInJira(u)) continue;
        if (matchesUserQuery(u, q)) matches.push(u);
        if (matches.length >= 1000) break;
      }
      return { status: 200, body: matches.slice(startAt, startAt + max).map((u) => renderUser(ctx, u)) };
    },
  },
  {
    // GET /user/viewissue/search (findUsersWithBrowsePermission). baton-jira calls it as
    // /rest/api/2/user/viewissue/search for every project (query=., projectKey, startAt, maxResults=50);
    // like every route here it is served under /rest/api/3 and /rest/api/2, and since the shared
    // documents hold only the v3 operation, the v2 path is validated against the v3 one.
    // As Atlassian documents it: the operation takes the window startAt..startAt+maxResults of the
    // user list, up to the 1,000th user, and returns only the users of that window who match the query
    // and can browse the project's (or the issue's) issues, so a page usually holds fewer than
    // maxResults and nothing lies past the 1,000th user. Who can browse: tenant.issueBrowsers (active
    // accounts only). 400 without query/accountId, with both, or without projectKey/issueKey; 404 for an
    // unknown project (the key is case sensitive) or issue; empty without "Browse users and groups"
    // (anonymous included). query "." matches every user [unverified: baton-jira relies on it].
    method: 'GET',
    suffix: '/user/viewissue/search',
    anonymousOk: true,
    handler: (ctx) => {
      const t = ctx.s.tenant;
      const query = ctx.q.query as string | undefined;
      const accountId = ctx.q.accountId as string | undefined;
      if (query === undefined && accountId === undefined) return jiraError(400, 'The query parameter or the accountId parameter is required.');
      if (query !== undefined && accountId !== undefined) return jiraError(400, 'The query parameter and the accountId parameter cannot be provided together.');
      const projectKey = ctx.q.projectKey as string | undefined;
      const issueKey = ctx.q.issueKey as string | undefined;
      if (projectKey === undefined && issueKey === undefined) return jiraError(400, 'Either the issueKey or the projectKey parameter is required.');
      let project: TenantProject | undefined;
      if (issueKey !== undefined) {
        const dash = issueKey.lastIndexOf('-');
        const p = dash > 0 ? t.project(issueKey.slice(0, dash)) : undefined;
        const seq = Number(issueKey.slice(dash + 1));
        const found = p && p.key === issueKey.slice(0, dash) && t.issueRecords().some((r) => r.projectIdx === p.index && r.seq === seq);
        if (!found) return jiraError(404, `Issue '${issueKey}' does not exist or you do not have permission to see it.`);
        project = p;
      } else {
        const p = t.project(projectKey as string);
        if (!p || p.key !== projectKey) return jiraError(404, `No project could be found with key '${projectKey}'.`);
        project = p;
      }
      if (!ctx.perms.browseUsersAndGroups) return { status: 200, body: [] };
      const startAt = clampInt(ctx.q.startAt, 0, 0, Number.MAX_SAFE_INTEGER);
      const max = clampInt(ctx.q.maxResults, 50, 0, 1000);
      const end = Math.min(startAt + max, 1000);
      const browsers = t.issueBrowsers(project.id);
      const q = (query ?? accountId ?? '').toLowerCase();
      const out: J[] = [];
      const users = t.users();
      for (let i = startAt; i < end && i < users.length; i++) {
        const u = users[i];
        if (!t.isActiveInJira(u) || !(browsers.anyone || browsers.accountIds.has(u.accountId))) continue;
        if (accountId !== undefined ? u.accountId === accountId : q === '.' || matchesUserQuery(u, q)) out.push(renderUser(ctx, u));
      }
      return { status: 200, body: out };
    },
  },
  {
    // GET /mypermissions: which of the asked permission keys the caller holds.
    method: 'GET',
    suffix: '/mypermissions',
    handler: (ctx) => {
      const keys = String(ctx.q.permissions ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      if (!keys.length) return jiraError(400, 'The permissions parameter is required.');
      const p = ctx.perms;
      const have: Record<string, [boolean, 'GLOBAL' | 'PROJECT', string]> = {
        ADMINISTER: [p.administerJira, 'GLOBAL', 'Administer Jira'],
        SYSTEM_ADMIN: [p.siteAdmin, 'GLOBAL', 'Administer Jira (system)'],
        USER_PICKER: [p.browseUsersAndGroups, 'GLOBAL', 'Browse users and groups'],
        BROWSE_PROJECTS: [p.browseProjects !== false, 'PROJECT', 'Browse Projects'],
        ADMINISTER_PROJECTS: [p.administerProjects !== false, 'PROJECT', 'Administer Projects'],
      };
      const out: J = {};
      for (const k of keys) {
        const h = have[k];
        if (!h) return jiraError(404, `Permission ${k} does not exist.`);
        out[k] = { id: String(Object.keys(have).indexOf(k) + 1), key: k, name: h[2], type: h[1], description: h[2], havePermission: h[0] };
      }
      return { status: 200, body: { permissions: out } };
    },
  },
  {
    method: 'POST',
    suffix: '/user',
    handler: (ctx) => {
      if (!ctx.perms.administerJira) return jiraError(403, 'You do not have permission to create users.');
      const body = ctx.body as { emailAddress?: string; products?: string[]; displayName?: string };
      const email = body.emailAddress ?? '';
      const bad = (body.products ?? []).filter((p) => !PRODUCTS.includes(p));
      if (bad.length > 0) return jiraError(400, `Invalid product(s): ${bad.join(', ')}. Valid products are: ${PRODUCTS.join(', ')}.`, { products: 'invalid' });
      const existing = ctx.s.tenant.userByEmailAddress(email);
      if (existing && !existing.inJira) return jiraError(400, `User with email '${email}' already exists but does not have access to Jira.`);
      const res = ctx.s.tenant.createUser({ emailAddress: email, products: body.products ?? [], displayName: body.displayName });
      if (res.result === 'invalid') return jiraError(400, 'The email address is invalid.', { emailAddress: 'invalid' });
      return { status: 201, body: renderUser(ctx, res.user as TenantUser) };
    },
  },
  {
    method: 'DELETE',
    suffix: '/user',
    handler: (ctx) => {
      if (!ctx.perms.siteAdmin) return jiraError(403, 'You must be a site administrator to delete users.');
      const id = ctx.q.accountId as string;
      const u = ctx.s.tenant.user(id);
      if (!u || !u.inJira) return jiraError(404, `User with accountId '${id}' does not exist.`);
      if (id === ctx.principal?.accountId) return jiraError(400, 'You cannot delete yourself.');
      ctx.s.tenant.deleteUser(id);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    suffix: '/user/groups',
    handler: (ctx) => {
      if (!ctx.perms.browseUsersAndGroups) return jiraError(403, 'You do not have the permission to see the specified user.');
      const u = ctx.s.tenant.user(ctx.q.accountId as string);
      if (!u || !u.inJira) return jiraError(404, 'Specified user does not exist or you do not have required permissions');
      const gs = ctx.s.tenant.userGroups(u.accountId, { jiraOnly: true });
      return { status: 200, body: gs.map((g) => ({ name: g.name, groupId: g.groupId, self: groupSelf(ctx.base, g) })) };
    },
  },
  {
    method: 'GET',
    suffix: '/user/bulk',
    handler: (ctx) => {
      const ids = (ctx.q.accountId as string[] | undefined) ?? [];
      if (ids.length === 0) return jiraError(400, 'You must specify at least one accountId.');
      const users = ids.map((id) => ctx.s.tenant.user(id)).filter((u): u is TenantUser => !!u && u.inJira);
      const startAt = startAtOf(ctx);
      const max = clampInt(ctx.q.maxResults, 10, 1, 200);
      const values = users.slice(startAt, startAt + max).map((u) => renderUser(ctx, u));
      return { status: 200, body: pageBean(ctx, values, startAt, max, users.length) };
    },
  },
  {
    method: 'GET',
    suffix: '/group/bulk',
    handler: (ctx) => {
      if (!ctx.perms.browseUsersAndGroups) return jiraError(403, 'Browse users and groups permission is required to view groups.');
      const t = ctx.s.tenant;
      let groups: readonly TenantGroup[] | undefined;
      const all = (): readonly TenantGroup[] => groups ?? t.groups();
      const ids = ctx.q.groupId as string[] | undefined;
      const names = ctx.q.groupName as string[] | undefined;
      if (ids?.length || names?.length) {
        const idSet = new Set(ids ?? []);
        const nameSet = new Set((names ?? []).map((n) => n.toLowerCase()));
        groups = all().filter((g) => idSet.has(g.groupId) || nameSet.has(g.name.toLowerCase()));
      }
      const accessType = ctx.q.accessType as string | undefined;
      if (accessType !== undefined) {
        if (!['site-admin', 'admin', 'user'].includes(accessType)) return jiraError(400, `Invalid accessType '${accessType}'. Valid values: site-admin, admin, user.`);
        const keep = new Set<string>();
        if (accessType === 'site-admin') ['site-admins', 'system-administrators'].forEach((n) => keep.add(n));
        else if (accessType === 'admin') ['jira-administrators', 'site-admins'].forEach((n) => keep.add(n));
        else for (const r of t.applicationRoles()) for (const id of r.groups) keep.add(t.group(id)?.name ?? '');
        groups = all().filter((g) => keep.has(g.name));
      }
      const appKey = ctx.q.applicationKey as string | undefined;
      if (appKey !== undefined) {
        const role = t.applicationRoles().find((r) => r.key === appKey);
        if (!role && !['jira-core'].includes(appKey)) return jiraError(400, `Invalid applicationKey '${appKey}'.`);
        const keep = new Set(role?.groups ?? []);
        groups = all().filter((g) => keep.has(g.groupId));
      }
      const startAt = startAtOf(ctx);
      const max = clampInt(ctx.q.maxResults, 50, 0, 1_000_000);
      let values: J[];
      let total: number;
      if (groups) {
        values = groups.slice(startAt, startAt + max).map((g) => ({ name: g.name, groupId: g.groupId }));
        total = groups.length;
      } else {
        // no filter: page over the cached order without materialising every group
        const order = t.jiraGroupIndexOrder();
        values = order.slice(startAt, startAt + max).map((i) => {
          const g = t.groupAt(i);
          return { name: g.name, groupId: g.groupId };
        });
        total = order.length;
      }
      return { status: 200, body: pageBean(ctx, values, startAt, max, total) };
    },
  },
  {
    method: 'GET',
    suffix: '/group/member',
    handler: (ctx) => {
      if (!ctx.perms.browseUsersAndGroups && !ctx.perms.administerJira) return jiraError(403, 'You do not have permission to view the members of this group.');
      const { group, error } = resolveGroup(ctx);
      if (error) return error;
      const g = group as TenantGroup;
      const t = ctx.s.tenant;
      // Inactive users are left out unless includeInactiveUsers=true; maxResults is clamped to 1..50.
      const includeInactive = ctx.q.includeInactiveUsers === true;
      const members = t.jiraMembers(g.index, includeInactive);
      const startAt = startAtOf(ctx);
      const max = clampInt(ctx.q.maxResults, 50, 1, 50);
      const values = members.slice(startAt, startAt + max).map((i) => renderUserDetails(ctx, t.userAt(i)));
      return { status: 200, body: pageBean(ctx, values, startAt, max, members.length) };
    },
  },
  {
    method: 'POST',
    suffix: '/group/user',
    handler: (ctx) => {
      if (!ctx.perms.siteAdmin) return jiraError(403, 'You must be a site administrator to add users to groups.');
      const { group, error } = resolveGroup(ctx);
      if (error) return error;
      const g = group as TenantGroup;
      const accountId = (ctx.body as { accountId?: string }).accountId;
      if (!accountId) return jiraError(400, 'You must specify the accountId of the user to add.');
      const t = ctx.s.tenant;
      const u = t.user(accountId);
      if (!u || !u.inJira) return jiraError(404, `User with accountId '${accountId}' does not exist.`);
      if (g.externalSynced) return jiraError(400, `Group '${g.name}' is synced from an external identity provider; change its membership there.`);
      if (t.isGroupMember(g.groupId, accountId)) return jiraError(400, `User is already a member of '${g.name}'.`);
      t.addGroupMember(g.groupId, accountId);
      return {
        status: 201,
        body: {
          name: g.name,
          groupId: g.groupId,
          self: groupSelf(ctx.base, g),
          users: { size: t.groupSize(g.groupId), items: [], 'max-results': 50, 'start-index': 0, 'end-index': 0 },
          expand: 'users',
        },
      };
    },
  },
  {
    method: 'DELETE',
    suffix: '/group/user',
    handler: (ctx) => {
      if (!ctx.perms.siteAdmin) return jiraError(403, 'You must be a site administrator to remove users from groups.');
      const { group, error } = resolveGroup(ctx);
      if (error) return error;
      const g = group as TenantGroup;
      const accountId = ctx.q.accountId as string;
      const t = ctx.s.tenant;
      const u = t.user(accountId);
      if (!u || !u.inJira) return jiraError(404, `User with accountId '${accountId}' does not exist.`);
      if (g.externalSynced) return jiraError(400, `Group '${g.name}' is synced from an external identity provider; change its membership there.`);
      if (!t.isGroupMember(g.groupId, accountId)) return jiraError(400, `User '${accountId}' is not a member of '${g.name}'.`);
      t.removeGroupMember(g.groupId, accountId);
      return { status: 200 };
    },
  },
  {
    method: 'GET',
    suffix: '/project/search',
    anonymousOk: true,
    handler: (ctx) => {
      const t = ctx.s.tenant;
      const perms = ctx.perms;
      const action = (ctx.q.action as string | undefined) ?? 'view';
      const orderBy = (ctx.q.orderBy as string | undefined) ?? 'key';
      const seesAll = action === 'edit' ? perms.administerJira || perms.administerProjects === true : perms.browseProjects === true || perms.administerJira;
      let projects: readonly TenantProject[] = t.projectOrder(orderBy);
      if (!seesAll) projects = projects.filter((p) => (action === 'edit' ? canAdministerProject(perms, p.id) : canBrowseProject(perms, p.id)));
      const ids = ctx.q.id as number[] | undefined;
      const keys = ctx.q.keys as string[] | undefined;
      const query = ctx.q.query as string | undefined;
      const typeKey = ctx.q.typeKey as string | undefined;
      const status = (ctx.q.status as string[] | undefined) ?? ['live'];
      let filtered = false;
      if ((ids?.length ?? 0) > 50 || (keys?.length ?? 0) > 50) return jiraError(400, 'Up to 50 project IDs or keys can be provided.');
      if (ids?.length || keys?.length) {
        filtered = true;
        const idSet = new Set((ids ?? []).map(String));
        const keySet = new Set((keys ?? []).map((k) => k.toUpperCase()));
        projects = projects.filter((p) => idSet.has(p.id) || keySet.has(p.key));
      }
      if (query) {
        filtered = true;
        const ql = query.toLowerCase();
        projects = projects.filter((p) => p.key.toLowerCase().includes(ql) || p.name.toLowerCase().includes(ql));
      }
      if (typeKey) {
        filtered = true;
        const types = new Set(typeKey.split(',').map((s) => s.trim()));
        projects = projects.filter((p) => types.has(p.projectTypeKey));
      }
      if (ctx.q.categoryId !== undefined) {
        filtered = true;
        projects = [];
      }
      if (!status.includes('live')) projects = [];
      if (filtered && projects.length === 0) return jiraError(404, 'No projects were found matching the search criteria.');
      const startAt = startAtOf(ctx);
      const max = clampInt(ctx.q.maxResults, 50, 0, 100);
      const expand = expandSet(ctx.q.expand);
      const values = projects.slice(startAt, startAt + max).map((p) => projectJson(ctx, p, { expand }));
      return { status: 200, body: pageBean(ctx, values, startAt, max, projects.length) };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectIdOrKey}',
    handler: (ctx) => {
      const key = ctx.params.projectIdOrKey;
      const p = ctx.s.tenant.project(key);
      if (!p || !canBrowseProject(ctx.perms, p.id)) return jiraError(404, `No project could be found with key '${key}'.`);
      return { status: 200, body: projectJson(ctx, p, { full: true, expand: expandSet(ctx.q.expand) }) };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectIdOrKey}/role',
    handler: (ctx) => {
      const key = ctx.params.projectIdOrKey;
      const p = ctx.s.tenant.project(key);
      if (!p || !canBrowseProject(ctx.perms, p.id)) return jiraError(404, `No project could be found with key '${key}'.`);
      // Atlassian: 401 when the caller lacks administrative permissions (sic).
      if (!administersAnyProject(ctx.perms)) return jiraError(401, 'You cannot view the project roles of this project.');
      return { status: 200, body: Object.fromEntries(ctx.s.tenant.projectRoles(p.id).map((r) => [r.name, `${restBase(ctx)}/project/${p.id}/role/${r.id}`])) };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectIdOrKey}/roledetails',
    handler: (ctx) => {
      const { p, error } = projectRoleAccess(ctx, 'read404');
      if (error) return error;
      const t = ctx.s.tenant;
      const proj = p as TenantProject;
      let roles = t.projectRoles(proj.id);
      if (ctx.q.currentMember === true) {
        const meId = ctx.principal?.accountId ?? '';
        roles = roles.filter((r) => t.isRoleMember(proj.id, r.id, meId));
      }
      return {
        status: 200,
        body: roles.map((r) => ({ ...roleBase(ctx, proj, r), admin: r.admin, default: r.id === 10001, roleConfigurable: true, translatedName: r.name })),
      };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectIdOrKey}/role/{id}',
    handler: (ctx) => {
      const { p, r, error } = projectRoleAccess(ctx, 'read404');
      if (error) return error;
      return { status: 200, body: stripUndefined(renderProjectRole(ctx, p as TenantProject, r as TenantRole, ctx.q.excludeInactiveUsers === true)) };
    },
  },
  {
    method: 'POST',
    suffix: '/project/{projectIdOrKey}/role/{id}',
    handler: (ctx) => {
      const { p, r, error } = projectRoleAccess(ctx, 'write401');
      if (error) return error;
      const proj = p as TenantProject;
      const role = r as TenantRole;
      const t = ctx.s.tenant;
      const body = (ctx.body ?? {}) as { user?: string[]; group?: string[]; groupId?: string[] };
      if (body.group && body.groupId) return jiraError(400, "You can't specify both 'group' and 'groupId'.");
      const current = t.roleActors(proj.id, role.id);
      const users: TenantUser[] = [];
      for (const id of body.user ?? []) {
        const u = t.user(id);
        if (!u || !u.inJira) return jiraError(404, `User with account ID '${id}' does not exist.`);
        if (!t.isActiveInJira(u)) return jiraError(404, `User '${u.displayName}' is not active.`);
        if (current.users.includes(id)) return jiraError(400, `'${u.displayName}' is already a member of the project role.`);
        users.push(u);
      }
      const groups: TenantGroup[] = [];
      for (const ref of [...(body.groupId ?? []), ...(body.group ?? [])]) {
        const g = t.group(ref);
        if (!g || !g.inJira) return jiraError(404, `Group '${ref}' does not exist.`);
        if (current.groups.includes(g.groupId)) return jiraError(400, `'${g.name}' is already a member of the project role.`);
        groups.push(g);
      }
      for (const u of users) t.addRoleActorUser(proj.id, role.id, u.accountId);
      for (const g of groups) t.addRoleActorGroup(proj.id, role.id, g.groupId);
      return { status: 200, body: stripUndefined(renderProjectRole(ctx, proj, role, false)) };
    },
  },
  {
    method: 'DELETE',
    suffix: '/project/{projectIdOrKey}/role/{id}',
    handler: (ctx) => {
      const given = ['user', 'group', 'groupId'].filter((k) => ctx.q[k] !== undefined);
      if (given.length !== 1) return jiraError(400, 'You must specify exactly one of user, group or groupId.');
      const { p, r, error } = projectRoleAccess(ctx, 'write404');
      if (error) return error;
      const proj = p as TenantProject;
      const role = r as TenantRole;
      const t = ctx.s.tenant;
      if (ctx.q.user !== undefined) {
        const id = ctx.q.user as string;
        const u = t.user(id);
        if (!u) return jiraError(404, `User with account ID '${id}' does not exist.`);
        if (t.removeRoleActorUser(proj.id, role.id, id) !== 'ok') return jiraError(404, `User '${u.displayName}' is not a member of the project role.`);
      } else {
        const ref = (ctx.q.groupId ?? ctx.q.group) as string;
        const g = t.group(ref);
        if (!g || (ctx.q.groupId !== undefined && g.groupId !== ref)) return jiraError(404, `Group '${ref}' does not exist.`);
        if (t.removeRoleActorGroup(proj.id, role.id, g.groupId) !== 'ok') return jiraError(404, `Group '${g.name}' is not a member of the project role.`);
      }
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    suffix: '/role',
    handler: (ctx) => {
      if (!ctx.perms.administerJira) return jiraError(403, 'You do not have administrative permissions.');
      return { status: 200, body: ctx.s.tenant.roles().map((r) => globalRole(ctx, r)) };
    },
  },
  {
    method: 'GET',
    suffix: '/role/{id}',
    handler: (ctx) => {
      if (!ctx.perms.administerJira) return jiraError(403, 'You do not have administrative permissions.');
      const r = ctx.s.tenant.role(Number(ctx.params.id));
      if (!r) return jiraError(404, `No project role with id '${ctx.params.id}' was found.`);
      return { status: 200, body: globalRole(ctx, r) };
    },
  },
  {
    method: 'GET',
    suffix: '/applicationrole',
    handler: (ctx) => {
      if (!ctx.perms.administerJira) return jiraError(403, 'You are not an administrator.');
      return { status: 200, body: renderApplicationRoles(ctx) };
    },
  },
  {
    method: 'GET',
    suffix: '/applicationrole/{key}',
    handler: (ctx) => {
      if (!ctx.perms.administerJira) return jiraError(403, 'You are not an administrator.');
      const r = renderApplicationRoles(ctx).find((x) => x.key === ctx.params.key);
      return r ? { status: 200, body: r } : jiraError(404, `The application role '${ctx.params.key}' does not exist.`);
    },
  },
  {
    method: 'GET',
    suffix: '/permissionscheme',
    handler: (ctx) => {
      const ex = expandSet(ctx.q.expand);
      const withPerms = ex.has('permissions') || ex.has('all');
      return { status: 200, body: { permissionSchemes: ctx.s.tenant.permissionSchemes().map((s) => schemeJson(ctx, s, withPerms)) } };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectKeyOrId}/permissionscheme',
    handler: (ctx) => {
      const key = ctx.params.projectKeyOrId;
      const p = ctx.s.tenant.project(key);
      if (!p || !canBrowseProject(ctx.perms, p.id)) return jiraError(404, `No project could be found with key '${key}'.`);
      if (!canAdministerProject(ctx.perms, p.id)) return jiraError(403, "You don't have permission to view the project's configuration.");
      const s = ctx.s.tenant.permissionScheme(p.permissionSchemeId);
      const ex = expandSet(ctx.q.expand);
      return { status: 200, body: schemeJson(ctx, s as NonNullable<typeof s>, ex.has('permissions') || ex.has('all')) };
    },
  },
  {
    method: 'GET',
    suffix: '/search/jql',
    handler: (ctx) =>
      searchJql(ctx, {
        jql: ctx.q.jql as string | undefined,
        nextPageToken: ctx.q.nextPageToken as string | undefined,
        maxResults: ctx.q.maxResults as number | undefined,
        fields: ctx.q.fields as string[] | undefined,
        expand: ctx.q.expand as string | undefined,
      }),
  },
  {
    method: 'POST',
    suffix: '/search/jql',
    handler: (ctx) => {
      const b = (ctx.body ?? {}) as { jql?: string; nextPageToken?: string; maxResults?: number; fields?: string[]; expand?: string };
      return searchJql(ctx, b);
    },
  },
  { method: 'POST', suffix: '/changelog/bulkfetch', handler: (ctx) => bulkChangelogs(ctx, (u) => renderUserDetails(ctx, u)) },
  // GET /permissions, POST /permissions/check (permissions-check.ts)
  ...PERMISSION_ROUTES,
  // GET /auditing/record (audit-log.ts)
  ...AUDIT_ROUTES,
  // work items: create metadata, statuses, create and get (issues.ts)
  ...ISSUE_ROUTES,
];

function globalRole(ctx: Ctx, r: TenantRole): J {
  const t = ctx.s.tenant;
  // Default actors (applied to new projects only).
  const defaults = r.admin ? ['jira-administrators'] : r.id === 10001 ? ['jira-software-users'] : [];
  let actorId = 20000 + (r.id % 1000) * 10;
  const actors = defaults
    .map((n) => t.group(n))
    .filter((g): g is TenantGroup => !!g)
    .map((g) => ({ id: actorId++, displayName: g.name, name: g.name, type: 'atlassian-group-role-actor', actorGroup: { name: g.name, displayName: g.name, groupId: g.groupId } }));
  return {
    self: `${restBase(ctx)}/role/${r.id}`,
    name: r.name,
    id: r.id,
    description: r.description,
    actors,
    translatedName: r.name,
    admin: r.admin,
    default: r.id === 10001,
    roleConfigurable: true,
  } as J;
}

function schemeJson(
  ctx: Ctx,
  s: { id: number; name: string; description: string; permissions: Array<{ id: number; permission: string; holder: { type: string; parameter?: string; value?: string } }> },
  withPerms: boolean,
): J {
  const out: J = { expand: 'permissions,user,group,projectRole,field,all', id: s.id, self: `${restBase(ctx)}/permissionscheme/${s.id}`, name: s.name, description: s.description };
  if (withPerms) {
    out.permissions = s.permissions.map((g) => ({
      id: g.id,
      self: `${restBase(ctx)}/permissionscheme/${s.id}/permission/${g.id}`,
      holder: stripUndefined({
        type: g.holder.type,
        parameter: g.holder.parameter,
        value: g.holder.value,
        expand: g.holder.type === 'group' ? 'group' : g.holder.type === 'projectRole' ? 'projectRole' : undefined,
      }),
      permission: g.permission,
    }));
  }
  return out;
}
