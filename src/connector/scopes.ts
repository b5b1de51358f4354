/**
 * Atlassian scopes and permissions each capability needs, from the operations' own
 * `x-atlassian-oauth2-scopes` in Atlassian's OpenAPI documents (see ../shared/atlassian/) and
 * atlassian-api.md §1.1. Shown by `validate`, the README and connector.yaml.
 */
export interface CapabilityScopes {
  capability: string;
  what: string;
  /** classic OAuth / scoped-token scopes */
  classic: string[];
  /** granular scopes (all needed) */
  granular: string[];
  /** Jira or organization permission of the account */
  permission: string;
}

export const SCOPES: CapabilityScopes[] = [
  {
    capability: 'sync-users',
    what: 'list users (GET /rest/api/3/users/search, /user)',
    classic: ['read:jira-user'],
    granular: ['read:user:jira', 'read:group:jira', 'read:application-role:jira', 'read:avatar:jira'],
    permission: 'global permission "Browse users and groups"',
  },
  {
    capability: 'sync-groups',
    what: 'list groups and their members (GET /group/bulk, /group/member)',
    classic: ['read:jira-user', 'manage:jira-configuration'],
    granular: ['read:group:jira', 'read:user:jira', 'read:avatar:jira'],
    permission: 'global permission "Browse users and groups"',
  },
  {
    capability: 'sync-projects',
    what: 'list projects, their roles and role actors (GET /project/search, /role, /project/{id}/roledetails, /project/{id}/role/{id})',
    classic: ['read:jira-work', 'manage:jira-configuration'],
    granular: ['read:project:jira', 'read:project-role:jira', 'read:project-category:jira', 'read:user:jira', 'read:group:jira', 'read:avatar:jira'],
    permission: '"Administer Jira" (or "Administer projects" on every project to review)',
  },
  {
    capability: 'sync-product-access',
    what: 'list product access and its groups (GET /applicationrole)',
    classic: ['manage:jira-configuration'],
    granular: ['read:application-role:jira'],
    permission: '"Administer Jira"',
  },
  {
    capability: 'provision-groups',
    what: 'add and remove group members (POST/DELETE /group/user)',
    classic: ['manage:jira-configuration'],
    granular: ['write:group:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
    permission: 'site administration (member of the site-admins group)',
  },
  {
    capability: 'provision-project-roles',
    what: 'add and remove role actors (POST/DELETE /project/{id}/role/{id})',
    classic: ['manage:jira-configuration', 'manage:jira-project'],
    granular: ['write:project-role:jira', 'delete:project-role:jira', 'read:project-role:jira', 'read:project:jira', 'read:user:jira', 'read:group:jira'],
    permission: '"Administer Jira" or "Administer projects" on the project',
  },
  {
    capability: 'organization',
    what: 'managed accounts, directories and directory groups (admin API, organization API key)',
    classic: ['read:orgs:admin', 'read:accounts:admin', 'read:directories:admin', 'read:groups:admin'],
    granular: [],
    permission: "organization admin (the API key inherits its creator's rights)",
  },
  {
    capability: 'organization-provisioning',
    what: 'directory group membership, suspend and restore access (admin API)',
    classic: ['write:groups:admin', 'write:directories:admin'],
    granular: [],
    permission: 'organization admin',
  },
];

export const OAUTH_REFRESH_SCOPE = 'offline_access';
