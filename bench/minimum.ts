/**
 * The fewest upstream requests a complete sync of a tenant can make, given Atlassian's page caps
 * (atlassian-api.md §5): users/search 1000 per page plus the empty page that ends a bare array;
 * group/bulk 50; group/member 50 (at least one per group); project/search 100; the global role
 * list once; roledetails once per team-managed project; role actors once per (project, role);
 * application roles once; with project permissions (BATON_JIRA_PROJECT_PERMISSIONS, on by default)
 * the permission schemes once and each company-managed project's scheme once.
 *
 * Each option the sync runs with adds its own endpoints (counted from the tenant model, keyed as the
 * fake's stats name them):
 * - `all` project permissions or global permissions: `GET /permissions` once (the keys);
 * - global permissions: one `POST /permissions/check` per account of the user listing;
 * - work items: per project, one `GET /search/jql` page per 100 of its issues (at least one);
 * - issue activity (n days): one `GET /search/jql` page per 100 issues updated in the window (at
 *   least one), and for the issues whose changelog the search cuts (more than 40 histories) one
 *   `POST /changelog/bulkfetch` per 1,000 issues and 10,000 histories;
 * - the organization: see orgMinimum below (the Jira user listing's pages stay at 1000 here, although
 *   the connector takes 100 a page with the organization, to bound each page's admin lookups).
 * Validate's probes (one small request per capability) are not part of it.
 */
import type { Tenant } from '../src/fake-atlassian';
import { SEARCH_CHANGELOG_CAP, workItemModel } from '../src/fake-atlassian/work-items';
import { ADMIN_ROLE, adminRoles } from '../src/fake-atlassian/admin-roles';

export interface Minimum {
  total: number;
  byEndpoint: Record<string, number>;
}

/** The sync's options the minimum depends on (the bench's server options). */
export interface MinimumOptions {
  /** BATON_JIRA_PROJECT_PERMISSIONS for the server: undefined = the connector's default, 'none' = off */
  projectPermissions?: string;
  /** BATON_JIRA_GLOBAL_PERMISSIONS=true for the server (one permissions/check per account) */
  globalPermissions?: boolean;
  /** BATON_JIRA_ACTIVITY_DAYS for the server (issue activity pass) */
  activityDays?: number;
  /** BATON_JIRA_WORK_ITEMS=true for the server */
  workItems?: boolean;
  /** the organization configured (BATON_ATLASSIAN_ORGID and its admin API key) */
  org?: boolean;
}

/** Jira's enhanced search: issues per page. */
const SEARCH_PAGE = 100;
/** POST /changelog/bulkfetch: issues per request, histories per page. */
const BULK_ISSUES = 1000;
const BULK_HISTORIES = 10_000;
const DAY = 86_400_000;

const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));

export function minimumRequests(t: Tenant, options: MinimumOptions = {}): Minimum {
  const users = t.users().length;
  const site = new Set(t.users().map((u) => u.accountId));
  const groups = t.groups();
  let members = 0;
  for (const g of groups) members += Math.max(1, Math.ceil(t.groupMembers(g.groupId).filter((a) => site.has(a)).length / 50));
  const projects = t.projects();
  const nextGen = projects.filter((p) => p.style !== 'classic').length;
  const byEndpoint: Record<string, number> = {
    'GET /rest/api/3/users/search': Math.ceil(users / 1000) + 1,
    'GET /rest/api/3/group/bulk': Math.max(1, Math.ceil(groups.length / 50)),
    'GET /rest/api/3/group/member': members,
    'GET /rest/api/3/project/search': Math.max(1, Math.ceil(projects.length / 100)),
    'GET /rest/api/3/role': 1,
    'GET /rest/api/3/project/{projectIdOrKey}/roledetails': nextGen,
    'GET /rest/api/3/project/{projectIdOrKey}/role/{id}': projects.reduce((n, p) => n + t.projectRoles(p.id).length, 0),
    'GET /rest/api/3/applicationrole': 1,
  };
  const add = (k: string, n: number) => {
    if (n > 0) byEndpoint[k] = (byEndpoint[k] ?? 0) + n;
  };
  const permissions = options.projectPermissions?.trim().toLowerCase();
  if (permissions !== 'none') {
    byEndpoint['GET /rest/api/3/permissionscheme'] = 1;
    byEndpoint['GET /rest/api/3/project/{projectKeyOrId}/permissionscheme'] = projects.length - nextGen;
  }
  // the permission keys: read once per sync, shared by `all` and the global permissions
  if (permissions === 'all' || options.globalPermissions) add('GET /rest/api/3/permissions', 1);
  if (options.globalPermissions) add('POST /rest/api/3/permissions/check', users);
  if (options.workItems) {
    const perProject = new Map<string, number>();
    for (const i of t.issues()) perProject.set(i.projectId, (perProject.get(i.projectId) ?? 0) + 1);
    add(
      'GET /rest/api/3/search/jql',
      projects.reduce((n, p) => n + pages(perProject.get(p.id) ?? 0, SEARCH_PAGE), 0),
    );
  }
  if (options.activityDays) {
    const m = workItemModel(t);
    const updated = m.items().filter((w) => m.updatedAgo(w) <= options.activityDays! * DAY);
    add('GET /rest/api/3/search/jql', pages(updated.length, SEARCH_PAGE));
    const cut = updated.filter((w) => w.changes.length > SEARCH_CHANGELOG_CAP);
    let bulk = 0;
    for (let i = 0; i < cut.length; i += BULK_ISSUES)
      bulk += pages(
        cut.slice(i, i + BULK_ISSUES).reduce((n, w) => n + w.changes.length, 0),
        BULK_HISTORIES,
      );
    add('POST /rest/api/3/changelog/bulkfetch', bulk);
  }
  if (options.org) for (const [k, n] of Object.entries(orgMinimum(t))) add(k, n);
  return { total: Object.values(byEndpoint).reduce((a, b) => a + b, 0), byEndpoint };
}

/** Admin API v2 searches and the v1 user listing: at most 100 a page. */
const ADMIN_PAGE = 100;
/** The administration roles, whose holders in a granting group have their own assignments read. */
const ADMINISTRATION = new Set<string>([ADMIN_ROLE.orgAdmin, ADMIN_ROLE.siteAdmin, ADMIN_ROLE.userAccessAdmin, ADMIN_ROLE.admin]);

/**
 * The organization's part (BATON_ATLASSIAN_ORGID and its API key): what the connector's types read,
 * each fact once, at the admin API's page cap of 100:
 * - `GET /admin/v1/orgs`, the directories, the workspaces, the domains and the policies: once each;
 * - the v1 managed-account listing (accounts without site access): one page per 100 managed accounts;
 * - directory user searches: the directory's users once (facts of every account, the managed
 *   accounts whose API tokens are read and the posture counts), each directory group's members
 *   (at least one page each) and each (role, resource) pair's holders (at least one page each);
 * - directory group searches: the directory's groups once, and each pair's granting groups;
 * - role assignments: one per holder of an administration role who is also in a group granting it;
 * - API tokens: one `GET /users/{account_id}/manage/api-tokens` per managed account.
 */
function orgMinimum(t: Tenant): Record<string, number> {
  const dirUsers = t.directoryUsersView();
  const inDirectory = new Set(dirUsers.map((u) => u.accountId));
  const roles = adminRoles(t);
  const assignments = roles.assignments();
  let holderPages = 0;
  let grantingPages = 0;
  let roleReads = 0;
  for (const p of roles.pairs()) {
    const holders = dirUsers.filter((u) => roles.userHolds(u.accountId, [p.roleId], [p.resourceId]));
    const granting = assignments.filter((a) => a.kind === 'group' && a.roleId === p.roleId && a.resourceId === p.resourceId).map((a) => a.id);
    holderPages += pages(holders.length, ADMIN_PAGE);
    grantingPages += pages(granting.length, ADMIN_PAGE);
    if (ADMINISTRATION.has(p.roleId)) roleReads += holders.filter((u) => granting.some((g) => t.isGroupMember(g, u.accountId))).length;
  }
  const dirGroups = t.directoryGroups();
  const memberPages = dirGroups.reduce((n, g) => n + pages(t.directoryGroupMembers('-', g.groupId).filter((a) => inDirectory.has(a)).length, ADMIN_PAGE), 0);
  const v2 = '/admin/v2/orgs/{orgId}/directories/{directoryId}';
  return {
    'GET /admin/v1/orgs': 1,
    'GET /admin/v2/orgs/{orgId}/directories': 1,
    'POST /admin/v2/orgs/{orgId}/workspaces': 1,
    'GET /admin/v1/orgs/{orgId}/domains': 1,
    'GET /admin/v1/orgs/{orgId}/policies': 1,
    'GET /admin/v1/orgs/{orgId}/users': pages(t.orgUsersView().length, ADMIN_PAGE),
    [`POST ${v2}/users/search`]: pages(dirUsers.length, ADMIN_PAGE) + memberPages + holderPages,
    [`POST ${v2}/groups/search`]: pages(dirGroups.length, ADMIN_PAGE) + grantingPages,
    [`GET ${v2}/users/{accountId}/role-assignments`]: roleReads,
    'GET /users/{account_id}/manage/api-tokens': dirUsers.filter((u) => u.claimStatus === 'managed').length,
  };
}
