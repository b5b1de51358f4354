/**
 * The fewest upstream requests a complete sync of a tenant can make, given Atlassian's page caps
 * (atlassian-api.md §5): users/search 1000 per page plus the empty page that ends a bare array;
 * group/bulk 50; group/member 50 (at least one per group); project/search 100; the global role
 * list once; roledetails once per team-managed project; role actors once per (project, role);
 * application roles once; with project permissions (BATON_JIRA_PROJECT_PERMISSIONS, on by default)
 * the permission schemes once and each company-managed project's scheme once.
 */
import type { Tenant } from '../src/fake-atlassian';

export interface Minimum {
  total: number;
  byEndpoint: Record<string, number>;
}

export function minimumRequests(t: Tenant): Minimum {
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
    'GET /rest/api/3/permissionscheme': 1,
    'GET /rest/api/3/project/{projectKeyOrId}/permissionscheme': projects.length - nextGen,
  };
  return { total: Object.values(byEndpoint).reduce((a, b) => a + b, 0), byEndpoint };
}
