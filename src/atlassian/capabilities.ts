/**
 * The one table of what the connector asks of Atlassian: every endpoint the clients call (method
 * and path template, as sent and as counted in ClientStats), with the classic and granular scopes
 * Atlassian's documents give the operation (`x-atlassian-oauth2-scopes`; for the admin API, the
 * organization API key scopes of atlassian-api.md §3(e)/§4.2) and the permission the account or key
 * needs; and every capability of the connector with the endpoints it uses.
 *
 * Everything else derives from it: the clients take their templates from ENDPOINTS, the error hints
 * (errors.ts) their scopes and permissions, `validate` (probe.ts) its checks and scope advice, and
 * connector.yaml (cli/manifest.ts) the scopes per capability. test/atlassian/capabilities.test.ts
 * ties them together: the scopes equal the documents as the fake loads them, every endpoint the
 * clients call is here, and every probe check belongs to the capability it reports.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Endpoint {
  readonly method: Method;
  /** path template, relative to the Jira base (site or gateway) or to the API origin */
  readonly path: string;
  /** classic OAuth / scoped-token scopes; for the admin API, the scope an organization API key with scopes needs */
  readonly classic: readonly string[];
  /** granular scopes (all of them are needed); none for the admin API */
  readonly granular: readonly string[];
  /** the Jira or organization permission, in admin words ('' for anonymous endpoints) */
  readonly permission: string;
}

const JIRA = '/rest/api/3';
const V1 = '/admin/v1/orgs';
const V2 = '/admin/v2/orgs';

const BROWSE_USERS = 'the global permission "Browse users and groups"';
const ADMINISTER_JIRA = 'the global permission "Administer Jira"';
const PROJECT_ADMIN = '"Administer projects" on the project (or the global permission "Administer Jira")';
const SITE_ADMIN = 'site administration (membership of the site-admins group, or the org admin role)';
const ORG_KEY = 'an organization admin API key';
const ORG_ROLE_ADMIN = 'an organization admin API key (only an organization admin can give or take admin roles)';
const CREATE_ISSUES = '"Browse projects" and "Create issues" on the project';
const BROWSE_PROJECT = '"Browse projects" on the project';
const ORG_GROUP_ADMIN = 'an organization admin API key of an admin who can manage the group (not synced from an identity provider)';

const USER_GRANULAR = ['read:user:jira', 'read:group:jira', 'read:application-role:jira', 'read:avatar:jira'];
const PROJECT_GRANULAR = [
  'read:project:jira',
  'read:user:jira',
  'read:group:jira',
  'read:avatar:jira',
  'read:application-role:jira',
  'read:issue-type:jira',
  'read:project.property:jira',
  'read:issue-type-hierarchy:jira',
  'read:project-category:jira',
  'read:project-version:jira',
  'read:project.component:jira',
];
const ROLE_GRANULAR = ['read:project-role:jira', 'read:project:jira', 'read:user:jira', 'read:group:jira', 'read:avatar:jira', 'read:project-category:jira'];

const jira = (method: Method, path: string, classic: string[], granular: string[], permission: string): Endpoint => ({ method, path: JIRA + path, classic, granular, permission });
const admin = (method: Method, path: string, scope: string, permission = ORG_KEY): Endpoint => ({ method, path, classic: [scope], granular: [], permission });

export const ENDPOINTS = {
  // where Jira is (no credentials) and who we are
  tenantInfo: { method: 'GET', path: '/_edge/tenant_info', classic: [], granular: [], permission: '' },
  /** the OAuth token endpoint: its path is the one of atlassian-auth-url (default https://auth.atlassian.com/oauth/token) */
  oauthToken: { method: 'POST', path: '/oauth/token', classic: [], granular: [], permission: 'a valid OAuth client (and refresh token for 3LO)' },
  myself: jira('GET', '/myself', ['read:jira-user'], USER_GRANULAR, 'access to Jira (a product licence on the site)'),
  serverInfo: jira('GET', '/serverInfo', [], [], ''),
  // users and groups
  usersSearch: jira('GET', '/users/search', ['read:jira-user'], USER_GRANULAR, BROWSE_USERS),
  user: jira('GET', '/user', ['read:jira-user'], USER_GRANULAR, BROWSE_USERS),
  userSearch: jira('GET', '/user/search', ['read:jira-user'], [...USER_GRANULAR, 'read:user.property:jira'], BROWSE_USERS),
  userGroups: jira('GET', '/user/groups', ['read:jira-user'], ['read:group:jira'], BROWSE_USERS),
  groupBulk: jira('GET', '/group/bulk', ['read:jira-user'], ['read:group:jira'], BROWSE_USERS),
  groupMember: jira('GET', '/group/member', ['manage:jira-configuration'], ['read:group:jira', 'read:user:jira', 'read:avatar:jira'], `${BROWSE_USERS} (or "Administer Jira")`),
  addGroupUser: jira('POST', '/group/user', ['manage:jira-configuration'], ['write:group:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'], SITE_ADMIN),
  removeGroupUser: jira('DELETE', '/group/user', ['manage:jira-configuration'], ['write:group:jira'], SITE_ADMIN),
  // projects and project roles
  projectSearch: jira(
    'GET',
    '/project/search',
    ['read:jira-work'],
    PROJECT_GRANULAR,
    '"Browse projects" or "Administer projects" on each project (or the global permission "Administer Jira" to see every project)',
  ),
  project: jira('GET', '/project/{projectIdOrKey}', ['read:jira-work'], PROJECT_GRANULAR, '"Browse projects" or "Administer projects" on the project (or the global permission "Administer Jira")'),
  roles: jira('GET', '/role', ['manage:jira-configuration'], ROLE_GRANULAR, ADMINISTER_JIRA),
  roleDetails: jira(
    'GET',
    '/project/{projectIdOrKey}/roledetails',
    ['read:jira-work'],
    ['read:project-role:jira', 'read:project:jira', 'read:project-category:jira', 'read:avatar:jira'],
    PROJECT_ADMIN,
  ),
  projectRole: jira('GET', '/project/{projectIdOrKey}/role/{id}', ['read:jira-work'], ROLE_GRANULAR, PROJECT_ADMIN),
  addRoleActors: jira('POST', '/project/{projectIdOrKey}/role/{id}', ['manage:jira-configuration'], ['write:project-role:jira', ...ROLE_GRANULAR], PROJECT_ADMIN),
  removeRoleActor: jira('DELETE', '/project/{projectIdOrKey}/role/{id}', ['manage:jira-project'], ['delete:project-role:jira'], PROJECT_ADMIN),
  // product access, accounts, permissions
  applicationRoles: jira('GET', '/applicationrole', ['manage:jira-configuration'], ['read:application-role:jira'], ADMINISTER_JIRA),
  createUser: jira('POST', '/user', ['manage:jira-configuration'], ['write:user:jira'], `${ADMINISTER_JIRA} (and a free product licence)`),
  permissionSchemes: jira(
    'GET',
    '/permissionscheme',
    ['read:jira-work'],
    [
      'read:permission-scheme:jira',
      'read:permission:jira',
      'read:project-role:jira',
      'read:group:jira',
      'read:user:jira',
      'read:field:jira',
      'read:application-role:jira',
      'read:avatar:jira',
      'read:project-category:jira',
      'read:project:jira',
    ],
    'Jira access',
  ),
  projectPermissionScheme: jira(
    'GET',
    '/project/{projectKeyOrId}/permissionscheme',
    ['read:jira-work'],
    [
      'read:permission-scheme:jira',
      'read:permission:jira',
      'read:project-role:jira',
      'read:group:jira',
      'read:user:jira',
      'read:field:jira',
      'read:application-role:jira',
      'read:avatar:jira',
      'read:project-category:jira',
      'read:project:jira',
    ],
    PROJECT_ADMIN,
  ),
  myPermissions: jira('GET', '/mypermissions', ['read:jira-work'], ['read:permission:jira'], 'Jira access'),
  allPermissions: jira('GET', '/permissions', ['manage:jira-configuration'], ['read:permission:jira'], 'Jira access'),
  permissionsCheck: jira('POST', '/permissions/check', [], ['read:permission:jira'], `${ADMINISTER_JIRA} (to check other accounts)`),
  auditRecords: jira('GET', '/auditing/record', ['manage:jira-configuration'], ['read:audit-log:jira', 'read:user:jira'], `${ADMINISTER_JIRA} (and a paid Jira plan)`),
  // ticketing: create metadata, workflow statuses, create and read work items, find one by its request label
  createMetaIssueTypes: jira('GET', '/issue/createmeta/{projectIdOrKey}/issuetypes', ['read:jira-work'], ['read:issue-meta:jira', 'read:avatar:jira', 'read:field-configuration:jira'], CREATE_ISSUES),
  createMetaFields: jira(
    'GET',
    '/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}',
    ['read:jira-work'],
    ['read:issue-meta:jira', 'read:avatar:jira', 'read:field-configuration:jira'],
    CREATE_ISSUES,
  ),
  projectStatuses: jira('GET', '/project/{projectIdOrKey}/statuses', ['read:jira-work'], ['read:issue-status:jira', 'read:issue-type:jira', 'read:status:jira'], BROWSE_PROJECT),
  createIssue: jira('POST', '/issue', ['write:jira-work'], ['write:issue:jira', 'write:comment:jira', 'write:comment.property:jira', 'write:attachment:jira', 'read:issue:jira'], CREATE_ISSUES),
  getIssue: jira(
    'GET',
    '/issue/{issueIdOrKey}',
    ['read:jira-work'],
    [
      'read:issue-meta:jira',
      'read:issue-security-level:jira',
      'read:issue.vote:jira',
      'read:issue.changelog:jira',
      'read:avatar:jira',
      'read:issue:jira',
      'read:status:jira',
      'read:user:jira',
      'read:field-configuration:jira',
    ],
    BROWSE_PROJECT,
  ),
  searchIssues: jira(
    'GET',
    '/search/jql',
    ['read:jira-work'],
    ['read:issue-details:jira', 'read:audit-log:jira', 'read:avatar:jira', 'read:field-configuration:jira', 'read:issue-meta:jira'],
    BROWSE_PROJECT,
  ),
  bulkChangelogs: jira('POST', '/changelog/bulkfetch', ['read:jira-work'], ['read:issue-meta:jira', 'read:avatar:jira', 'read:issue.changelog:jira'], BROWSE_PROJECT),
  // organization admin API (org API key as Bearer)
  orgs: admin('GET', V1, 'read:orgs:admin'),
  orgUsers: admin('GET', `${V1}/{orgId}/users`, 'read:accounts:admin'),
  lastActiveDates: admin('GET', `${V1}/{orgId}/directory/users/{accountId}/last-active-dates`, 'read:accounts:admin'),
  suspendAccess: admin('POST', `${V1}/{orgId}/directory/users/{accountId}/suspend-access`, 'write:accounts:admin'),
  restoreAccess: admin('POST', `${V1}/{orgId}/directory/users/{accountId}/restore-access`, 'write:accounts:admin'),
  directories: admin('GET', `${V2}/{orgId}/directories`, 'read:directories:admin'),
  directoryUsers: admin('GET', `${V2}/{orgId}/directories/{directoryId}/users`, 'read:directories:admin'),
  searchDirectoryUsers: admin('POST', `${V2}/{orgId}/directories/{directoryId}/users/search`, 'read:directories:admin'),
  suspendDirectoryUser: admin('POST', `${V2}/{orgId}/directories/{directoryId}/users/{accountId}/suspend`, 'write:directories:admin'),
  restoreDirectoryUser: admin('POST', `${V2}/{orgId}/directories/{directoryId}/users/{accountId}/restore`, 'write:directories:admin'),
  directoryGroups: admin('GET', `${V2}/{orgId}/directories/{directoryId}/groups`, 'read:groups:admin'),
  searchDirectoryGroups: admin('POST', `${V2}/{orgId}/directories/{directoryId}/groups/search`, 'read:groups:admin'),
  addDirectoryGroupMember: admin('POST', `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/memberships`, 'write:groups:admin', ORG_GROUP_ADMIN),
  removeDirectoryGroupMember: admin('DELETE', `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}`, 'write:groups:admin', ORG_GROUP_ADMIN),
  workspaces: admin('POST', `${V2}/{orgId}/workspaces`, 'read:workspaces:admin'),
  // administration roles (admin-roles.ts); scopes of the v1 role writes [unverified]
  userRoleAssignments: admin('GET', `${V2}/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments`, 'read:directories:admin'),
  assignGroupRole: admin('POST', `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/assign`, 'write:groups:admin', ORG_ROLE_ADMIN),
  revokeGroupRole: admin('POST', `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke`, 'write:groups:admin', ORG_ROLE_ADMIN),
  assignUserRole: admin('POST', `${V1}/{orgId}/users/{accountId}/roles/assign`, 'write:directories:admin', ORG_ROLE_ADMIN),
  revokeUserRole: admin('POST', `${V1}/{orgId}/users/{accountId}/roles/revoke`, 'write:directories:admin', ORG_ROLE_ADMIN),
  // user management API (same key; the account must be managed by the org)
  apiTokens: admin('GET', '/users/{accountId}/manage/api-tokens', 'read:tokens:admin', `${ORG_KEY} of an org that manages the account (verified domain)`),
  // organization posture (issue 15): verified domains and policies [unverified scopes]
  orgDomains: admin('GET', `${V1}/{orgId}/domains`, 'read:orgs:admin'),
  orgPolicies: admin('GET', `${V1}/{orgId}/policies`, 'read:orgs:admin'),
  // offboarding (issue 15): removal, deactivation, deletion and token revocation
  removeUser: jira('DELETE', '/user', ['manage:jira-configuration'], ['write:user:jira'], `${SITE_ADMIN}, with a classic API token (not OAuth 2.0 or a scoped token)`),
  removeOrgUser: admin('DELETE', `${V1}/{orgId}/directory/users/{accountId}`, 'write:accounts:admin'),
  deactivateAccount: admin('POST', '/users/{accountId}/manage/lifecycle/disable', 'write:accounts:admin', `${ORG_KEY} of an org that manages the account (lifecycle.enablement)`),
  activateAccount: admin('POST', '/users/{accountId}/manage/lifecycle/enable', 'write:accounts:admin', `${ORG_KEY} of an org that manages the account (lifecycle.enablement)`),
  deleteAccount: admin('POST', '/users/{accountId}/manage/lifecycle/delete', 'write:accounts:admin', `${ORG_KEY} of an org that manages the account (lifecycle.delete)`),
  cancelDeleteAccount: admin('POST', '/users/{accountId}/manage/lifecycle/cancel-delete', 'write:accounts:admin', `${ORG_KEY} of an org that manages the account (lifecycle.delete)`),
  revokeApiToken: admin('DELETE', '/users/{accountId}/manage/api-tokens/{tokenId}', 'write:tokens:admin', `${ORG_KEY} of an org that manages the account (apiToken.delete)`),
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;

/** "METHOD /template", the way ClientStats and error details name an endpoint. */
export function endpointKey(name: EndpointName): string {
  const e = ENDPOINTS[name];
  return `${e.method} ${e.path}`;
}

const BY_KEY = new Map<string, Endpoint>(Object.values(ENDPOINTS).map((e) => [`${e.method} ${e.path}`, e]));

/** The needs of an endpoint named "METHOD /template" (undefined for one not in the table). */
export function endpointNeeds(key: string): Endpoint | undefined {
  return BY_KEY.get(key);
}

export interface Capability {
  /** stable id, published in connector.yaml */
  readonly id: string;
  /** what `validate` calls it in its report */
  readonly label: string;
  readonly what: string;
  /** the permission the account (or key) needs for the whole capability */
  readonly permission: string;
  readonly endpoints: readonly EndpointName[];
}

export const CAPABILITIES = [
  {
    id: 'credentials',
    label: 'credentials',
    what: 'find the site and check the credential',
    permission: 'access to Jira (a product licence on the site)',
    endpoints: ['tenantInfo', 'myself'],
  },
  { id: 'sync-users', label: 'read users', what: 'list users', permission: 'global permission "Browse users and groups"', endpoints: ['usersSearch', 'user'] },
  { id: 'sync-groups', label: 'browse groups', what: 'list groups and their members', permission: 'global permission "Browse users and groups"', endpoints: ['groupBulk', 'groupMember'] },
  {
    id: 'sync-projects',
    label: 'read projects and roles',
    what: 'list projects, their roles and role actors',
    permission: '"Administer Jira" (or "Administer projects" on every project to review)',
    endpoints: ['projectSearch', 'project', 'roles', 'roleDetails', 'projectRole'],
  },
  {
    id: 'sync-project-permissions',
    label: 'read permission schemes',
    what: 'list permission schemes with their grants, and the scheme of each company-managed project (BATON_JIRA_PROJECT_PERMISSIONS)',
    permission: '"Administer Jira" (or "Administer projects" on every project to review)',
    endpoints: ['permissionSchemes', 'projectPermissionScheme'],
  },
  {
    id: 'sync-all-project-permissions',
    label: 'list permission keys',
    what: 'BATON_JIRA_PROJECT_PERMISSIONS=all: every project permission key Jira lists (GET /permissions), read once per sync',
    permission: 'Jira access',
    endpoints: ['allPermissions'],
  },
  {
    id: 'sync-global-permissions',
    label: 'check global permissions',
    what: "list permission keys and check each account's global permissions, one request per account (BATON_JIRA_GLOBAL_PERMISSIONS); the explain command checks one account",
    permission: '"Administer Jira" (to check other accounts)',
    endpoints: ['allPermissions', 'permissionsCheck'],
  },
  {
    id: 'sync-audit-dates',
    label: 'read the audit log',
    what: 'read the audit records of the last BATON_JIRA_AUDIT_DAYS days once per sync, for the date a group membership or role actor was added',
    permission: '"Administer Jira" (and a paid Jira plan)',
    endpoints: ['auditRecords'],
  },
  { id: 'sync-product-access', label: 'application roles', what: 'list product access and its groups', permission: '"Administer Jira"', endpoints: ['applicationRoles'] },
  {
    id: 'provision-groups',
    label: 'provisioning',
    what: 'add and remove group members (validate checks the permission first)',
    permission: 'site administration (member of the site-admins group)',
    endpoints: ['addGroupUser', 'removeGroupUser', 'userGroups', 'groupBulk', 'myPermissions'],
  },
  {
    id: 'provision-project-roles',
    label: 'provisioning',
    what: 'add and remove role actors (validate checks the permission first)',
    permission: '"Administer Jira" or "Administer projects" on the project',
    endpoints: ['addRoleActors', 'removeRoleActor', 'projectRole', 'myself', 'myPermissions'],
  },
  {
    id: 'provision-accounts',
    label: 'provisioning',
    what: 'create accounts (invite by email; an existing account is looked up first)',
    permission: '"Administer Jira"',
    endpoints: ['createUser', 'userSearch'],
  },
  {
    id: 'ticketing',
    label: 'ticketing',
    what: 'file and read work items for the platform (BATON_TICKETING): create metadata, statuses, create, get, and the search that keeps a retried create from filing twice',
    permission: '"Browse projects" and "Create issues" on every project tickets go to',
    endpoints: ['projectSearch', 'project', 'createMetaIssueTypes', 'createMetaFields', 'projectStatuses', 'createIssue', 'getIssue', 'searchIssues'],
  },
  {
    id: 'issue-activity',
    label: 'issue activity and work items',
    what: 'last issue activity per account (BATON_JIRA_ACTIVITY_DAYS) and the work-item inventory (BATON_JIRA_WORK_ITEMS): one search over the issues, changelogs in bulk when a search truncates them',
    permission: BROWSE_PROJECT + ' (only the projects the account can browse are seen)',
    endpoints: ['searchIssues', 'bulkChangelogs'],
  },
  {
    id: 'organization',
    label: 'organization admin API',
    what: 'managed accounts, directories, directory groups and API token counts (admin API, organization API key)',
    permission: "organization admin (the API key inherits its creator's rights)",
    endpoints: ['orgs', 'orgUsers', 'directories', 'searchDirectoryUsers', 'searchDirectoryGroups', 'apiTokens', 'orgDomains', 'orgPolicies'],
  },
  {
    id: 'organization-provisioning',
    label: 'organization provisioning',
    what: 'directory group membership, suspend and restore access (admin API)',
    permission: 'organization admin',
    endpoints: ['addDirectoryGroupMember', 'removeDirectoryGroupMember', 'searchDirectoryUsers', 'searchDirectoryGroups', 'suspendAccess', 'restoreAccess'],
  },
  {
    id: 'sync-admin-roles',
    label: 'administration roles',
    what: 'organization admin, site admin, user access admin and product roles of users and groups (admin API)',
    permission: 'organization admin',
    endpoints: ['orgs', 'workspaces', 'directories', 'searchDirectoryUsers', 'searchDirectoryGroups', 'userRoleAssignments', 'applicationRoles'],
  },
  {
    id: 'provision-admin-roles',
    label: 'administration role provisioning',
    what: 'give and take administration and product roles of users (v1 roles) and groups (v2 role assignments)',
    permission: 'organization admin',
    endpoints: ['assignGroupRole', 'revokeGroupRole', 'assignUserRole', 'revokeUserRole', 'userRoleAssignments', 'searchDirectoryGroups', 'searchDirectoryUsers', 'directories'],
  },
  {
    id: 'offboarding',
    label: 'offboarding',
    what: 'remove an account from the site or the organization, deactivate, delete (and undo) a managed account, list and revoke API tokens (BATON_ALLOW_DELETE for the irreversible ones)',
    permission: 'site administration (a classic API token) for site removal; organization admin for the rest',
    endpoints: ['removeUser', 'user', 'removeOrgUser', 'searchDirectoryUsers', 'deactivateAccount', 'activateAccount', 'deleteAccount', 'cancelDeleteAccount', 'apiTokens', 'revokeApiToken'],
  },
] as const satisfies readonly Capability[];

export type CapabilityId = (typeof CAPABILITIES)[number]['id'];

export function capability(id: CapabilityId): Capability {
  return CAPABILITIES.find((c) => c.id === id)!;
}

export interface ScopeSet {
  classic: string[];
  granular: string[];
}

/** The scopes of some capabilities: the union over their endpoints, sorted. */
export function scopesOf(...ids: CapabilityId[]): ScopeSet {
  const classic = new Set<string>();
  const granular = new Set<string>();
  for (const id of ids)
    for (const n of capability(id).endpoints) {
      for (const s of ENDPOINTS[n].classic) classic.add(s);
      for (const s of ENDPOINTS[n].granular) granular.add(s);
    }
  return { classic: [...classic].sort(), granular: [...granular].sort() };
}

/** "the classic scope a, b or the granular scopes c, d": what a credential must carry. */
export function describeScopes(s: { classic: readonly string[]; granular: readonly string[] }): string {
  const c = s.classic.length ? `the classic scope${s.classic.length > 1 ? 's' : ''} ${s.classic.join(', ')}` : '';
  const g = s.granular.length ? `the granular scopes ${s.granular.join(', ')}` : '';
  return [c, g].filter(Boolean).join(' or ');
}

/** A 3LO app also needs this scope to get refresh tokens. */
export const OAUTH_REFRESH_SCOPE = 'offline_access';
