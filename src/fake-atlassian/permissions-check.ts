/**
 * Jira's permission catalogue and its evaluation of one account's permissions, from the tenant:
 *   GET  /rest/api/3/permissions        every permission key (global and project), anonymous allowed
 *   POST /rest/api/3/permissions/check  the global permissions an account holds and, per project
 *                                       permission, the projects it holds it in (Administer Jira to
 *                                       ask about another account; without accountId: the caller)
 *
 * Project permissions are answered from the same model as the permission schemes the connector
 * reads (Tenant.projectPermissionHolders): roles (incl. group actors), groups, application roles
 * (with or without a product key), named users and the project lead; a grant to `anyone` gives the
 * permission to every account as well (anonymous access includes signed-in users). Issue-level
 * holders (reporter, assignee, custom fields) depend on each issue: they give no permission on the
 * project as a whole, and the fake answers `issues: []`. Team-managed projects have no scheme: no
 * project permission is reported for them.
 *
 * Global permissions are held through groups (Jira Cloud grants them to groups only). The model:
 *   SYSTEM_ADMIN                    site-admins, system-administrators
 *   ADMINISTER                      jira-administrators, and every SYSTEM_ADMIN holder
 *   USER_PICKER                     the product access groups, and every ADMINISTER holder
 *   CREATE_SHARED_OBJECTS           the product access groups of Jira and Jira Service Management
 *   MANAGE_GROUP_FILTER_SUBSCRIPTIONS jira-administrators, Engineering Team
 *   BULK_CHANGE                     jira-software-users, jira-administrators
 *   CREATE_PROJECT                  Engineering Team, jira-administrators (team-managed projects)
 * The first three are the ones the fake also enforces on callers (Tenant.effectivePermissions), so
 * the answer and the enforcement never disagree. Inactive accounts keep what their groups give (as
 * the scheme model does); accounts without site access hold nothing.
 */
import type { Handler } from './context';
import { jiraError } from './context';
import type { Tenant } from './tenant';

type Holders = { groups: readonly string[]; implied?: readonly string[] };

interface PermissionDef {
  key: string;
  name: string;
  description: string;
  type: 'GLOBAL' | 'PROJECT';
}

/** Global permissions and the groups (by name) that hold them; `implied`: holders of these keys hold it too. */
const GLOBAL_MODEL: Record<string, Holders & { name: string; description: string }> = {
  SYSTEM_ADMIN: { name: 'Jira System Administrators', description: 'Ability to perform all administration functions.', groups: ['site-admins', 'system-administrators'] },
  ADMINISTER: { name: 'Administer Jira', description: 'Create and administer projects, issue types, fields, workflows, and schemes.', groups: ['jira-administrators'], implied: ['SYSTEM_ADMIN'] },
  USER_PICKER: {
    name: 'Browse users and groups',
    description: 'View and select users or groups from the user picker, and share issues.',
    groups: ['jira-software-users', 'jira-servicemanagement-users', 'jira-product-discovery-users', 'jira-administrators', 'site-admins'],
    implied: ['ADMINISTER'],
  },
  CREATE_SHARED_OBJECTS: { name: 'Share dashboards and filters', description: 'Share dashboards and filters with other users.', groups: ['jira-software-users', 'jira-servicemanagement-users'] },
  MANAGE_GROUP_FILTER_SUBSCRIPTIONS: { name: 'Manage group filter subscriptions', description: 'Create and delete group filter subscriptions.', groups: ['jira-administrators', 'Engineering Team'] },
  BULK_CHANGE: { name: 'Make bulk changes', description: 'Modify collections of issues at once.', groups: ['jira-software-users', 'jira-administrators'] },
  CREATE_PROJECT: { name: 'Create team-managed projects', description: 'Create projects separate from shared configurations and schemes.', groups: ['Engineering Team', 'jira-administrators'] },
};

const PROJECT_KEYS: Array<[string, string]> = [
  ['ADD_COMMENTS', 'Add Comments'],
  ['ADMINISTER_PROJECTS', 'Administer Projects'],
  ['ASSIGNABLE_USER', 'Assignable User'],
  ['ASSIGN_ISSUES', 'Assign Issues'],
  ['BROWSE_PROJECTS', 'Browse Projects'],
  ['CLOSE_ISSUES', 'Close Issues'],
  ['CREATE_ATTACHMENTS', 'Create Attachments'],
  ['CREATE_ISSUES', 'Create Issues'],
  ['DELETE_ISSUES', 'Delete Issues'],
  ['EDIT_ISSUES', 'Edit Issues'],
  ['LINK_ISSUES', 'Link Issues'],
  ['MANAGE_SPRINTS_PERMISSION', 'Manage sprints'],
  ['MANAGE_WATCHERS', 'Manage Watchers'],
  ['MODIFY_REPORTER', 'Modify Reporter'],
  ['MOVE_ISSUES', 'Move Issues'],
  ['RESOLVE_ISSUES', 'Resolve Issues'],
  ['SCHEDULE_ISSUES', 'Schedule Issues'],
  ['TRANSITION_ISSUES', 'Transition Issues'],
  ['VIEW_DEV_TOOLS', 'View Development Tools'],
  ['WORK_ON_ISSUES', 'Work On Issues'],
];

/** Every permission Jira knows in the fake (GET /permissions). */
export function permissionCatalogue(): PermissionDef[] {
  return [
    ...Object.entries(GLOBAL_MODEL).map(([key, d]) => ({ key, name: d.name, description: d.description, type: 'GLOBAL' as const })),
    ...PROJECT_KEYS.map(([key, name]) => ({ key, name, description: `${name} in the project`, type: 'PROJECT' as const })),
  ];
}

/** The global permission keys the fake models. */
export function globalPermissionKeys(): string[] {
  return Object.keys(GLOBAL_MODEL);
}

/** The global permissions an account holds (ground truth for tests, and the answer of permissions/check). */
export function globalPermissionsOf(t: Tenant, accountId: string): string[] {
  const u = t.user(accountId);
  if (!u || !u.inJira) return [];
  const names = new Set(t.userGroups(accountId).map((g) => g.name.toLowerCase()));
  const holds = (key: string, seen: Set<string> = new Set()): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    const m = GLOBAL_MODEL[key];
    return m.groups.some((g) => names.has(g.toLowerCase())) || (m.implied ?? []).some((k) => holds(k, seen));
  };
  return globalPermissionKeys().filter((k) => holds(k));
}

/** Whether an account holds a project permission in a project (scheme model, plus `anyone`). */
export function holdsProjectPermission(t: Tenant, accountId: string, projectId: string, key: string): boolean {
  const u = t.user(accountId);
  if (!u || !u.inJira) return false;
  const h = t.projectPermissionHolders(projectId, key);
  return h.anyone || h.accountIds.has(accountId);
}

const allPermissions: Handler = () => {
  const out: Record<string, unknown> = {};
  for (const p of permissionCatalogue()) out[p.key] = { key: p.key, name: p.name, type: p.type, description: p.description };
  return { status: 200, body: { permissions: out } };
};

interface CheckBody {
  accountId?: string;
  globalPermissions?: Array<string | null>;
  projectPermissions?: Array<{ permissions: Array<string | null>; projects?: Array<number | null>; issues?: Array<number | null> }>;
}

const MAX_IDS = 1000;

const check: Handler = (ctx) => {
  const b = (ctx.body ?? {}) as CheckBody;
  const t = ctx.s.tenant;
  const callerId = ctx.principal?.accountId;
  const accountId = b.accountId ?? callerId;
  if (b.accountId !== undefined && b.accountId !== callerId && !ctx.perms.administerJira) return jiraError(403, 'You do not have permission to check the permissions of other users.');
  const catalogue = new Map(permissionCatalogue().map((p) => [p.key, p.type]));
  const errors: Record<string, string> = {};
  const globals = (b.globalPermissions ?? []).filter((k): k is string => typeof k === 'string');
  for (const k of globals) if (catalogue.get(k) !== 'GLOBAL') errors[k] = 'Unrecognized permission';
  const projectReqs = b.projectPermissions ?? [];
  let projectCount = 0;
  let issueCount = 0;
  for (const r of projectReqs) {
    projectCount += (r.projects ?? []).length;
    issueCount += (r.issues ?? []).length;
    for (const k of r.permissions) if (typeof k === 'string' && k !== '' && catalogue.get(k) !== 'PROJECT') errors[k] = 'Unrecognized permission';
  }
  if (Object.keys(errors).length) return jiraError(400, [], errors);
  if (projectCount > MAX_IDS || issueCount > MAX_IDS) return jiraError(400, `A maximum of ${MAX_IDS} projects and ${MAX_IDS} issues can be checked.`);
  const held = accountId ? new Set(globalPermissionsOf(t, accountId)) : new Set<string>();
  const byPermission = new Map<string, Set<number>>();
  for (const r of projectReqs) {
    for (const k of r.permissions) {
      if (typeof k !== 'string' || k === '') continue;
      let s = byPermission.get(k);
      if (!s) byPermission.set(k, (s = new Set()));
      for (const pid of r.projects ?? []) {
        if (typeof pid !== 'number') continue;
        const p = t.project(String(pid));
        // unknown project ids are ignored, as Jira documents
        if (p && accountId && holdsProjectPermission(t, accountId, p.id, k)) s.add(pid);
      }
    }
  }
  return {
    status: 200,
    body: {
      globalPermissions: globals.filter((k) => held.has(k)),
      projectPermissions: [...byPermission].map(([permission, projects]) => ({ permission, projects: [...projects].sort((x, y) => x - y), issues: [] })),
    },
  };
};

/** The routes, served under /rest/api/3 (JIRA_ROUTES in jira.ts includes them). */
export const PERMISSION_ROUTES: Array<{ method: string; suffix: string; handler: Handler; anonymousOk?: boolean }> = [
  { method: 'GET', suffix: '/permissions', handler: allPermissions, anonymousOk: true },
  { method: 'POST', suffix: '/permissions/check', handler: check },
];
