/**
 * The Jira connector: resource types wired to the Atlassian client.
 */
import type { Connector, CallContext, ResourceSyncer } from './types';
import type { ConnectorConfig } from '../config/schema';
import type { JiraApi, OrgApi } from './jira-api';
import { userSyncer } from './resources/user';
import { groupSyncer } from './resources/group';
import { projectSyncer } from './resources/project';
import { projectRoleSyncer, ProjectRef } from './resources/project-role';
import { applicationRoleSyncer, applicationRoleList } from './resources/application-role';
import { projectRoles } from './resources/roles';
import { projectPermissions } from './resources/project-permission';
import { globalPermissions } from './resources/global-permission';
import { fieldByName } from '../config/fields';
import { PromiseCache, syncKey } from './cache';
import { Prefetcher } from './prefetch';
import { accountManager, accountAction, AccountActionName } from './accounts';
import { invalidInput } from '../errors';
import { checkId } from '../id-shapes';
import type { ActionManager } from './types';
import { USER, userPageSize } from './resources/user';
import { organizationSyncer } from './resources/organization';
import { siteSyncer } from './resources/site';
import { adminRoleAccess } from './resources/admin-roles';
import { apiTokenSyncer } from './resources/api-token';
import { offboardingGuard, siteRemoval, offboardingAction, OFFBOARDING_ACTIONS, OffboardingActionName, OffboardingOptions } from './offboarding';
import { createTicketManager } from './tickets/manager';
import type { IssuesApi, ActivityApi } from './jira-api';
import { auditDates } from './audit-dates';
import { issueActivity, startingIssueActivity } from './issue-activity';
import { workItemSyncer, WORK_ITEM } from './resources/work-item';

export const CONNECTOR_INFO = {
  displayName: 'Jira Cloud',
  description: 'Jira Cloud and Atlassian organization access: users, groups, projects, project roles and product access, with group and project-role provisioning.',
  helpUrl: 'https://github.com/jira-identity-connector/jira-identity-connector#readme',
};

/** BATON_JIRA_PROJECT_PERMISSIONS's default (declared in fields.ts), for a connector built without a configuration */
const DEFAULT_PROJECT_PERMISSIONS = fieldByName('jira-project-permissions')?.default as string[];

export interface JiraConnectorDeps {
  api: JiraApi;
  /** the Atlassian organization, when configured */
  org?: OrgApi;
  /** runs the upstream checks of Validate */
  validate: (ctx: CallContext) => Promise<void>;
  close?: () => Promise<void>;
  /** work items, for ticketing (BATON_TICKETING) */
  issues?: IssuesApi;
  /** the clock of the audit-log window (tests inject one) */
  now?: () => number;
  /** issue search and changelogs (BATON_JIRA_ACTIVITY_DAYS, BATON_JIRA_WORK_ITEMS) */
  activity?: ActivityApi;
}

/** Most bytes of prefetched reads waiting for the syncer (member pages as account ids, role actors). */
const PREFETCH_BYTES = 48 * 1024 * 1024;

/**
 * Background reads in flight: two below the client's concurrency, so the syncer's own calls always
 * find a slot (at least one).
 */
function prefetchInFlight(maxConcurrency = 8): number {
  return Math.max(1, maxConcurrency - 2);
}

/** https site URL for deep links, or undefined (links must be https). */
function linkBase(cfg?: ConnectorConfig): string | undefined {
  const s = cfg?.jira.siteUrl;
  return s && s.startsWith('https://') ? s : undefined;
}

export function createJiraConnector(cfg: ConnectorConfig | undefined, deps: JiraConnectorDeps): Connector {
  const api = deps.api;
  const dryRun = cfg?.dryRun ?? false;
  const prefetch = new Prefetcher({ maxInFlight: prefetchInFlight(cfg?.maxConcurrency), maxBytes: PREFETCH_BYTES });
  const roles = projectRoles(api, prefetch);
  const applicationRoles = applicationRoleList(api);
  const projectRefs = new PromiseCache<ProjectRef>({ maxEntries: 20_000, maxBytes: 8 * 1024 * 1024, ttlMs: 30 * 60 * 1000 });
  const base = linkBase(cfg);
  const workItems = cfg?.workItems?.enabled && deps.activity ? cfg.workItems : undefined;
  const projectOf = (projectId: string, ctx: CallContext) =>
    projectRefs.get(projectId, async () => {
      const p = await api.getProject(projectId, ctx);
      return { id: p.id, name: p.name, key: p.key };
    });
  const workItemTypes =
    workItems && deps.activity ? workItemSyncer(deps.activity, { ...workItems, linkBase: base, prefetch, projectKey: async (id, ctx) => (await projectOf(id, ctx)).key ?? '' }) : undefined;

  const project = projectSyncer(api, roles, {
    projectKeys: cfg?.projectKeys ?? [],
    skipParticipants: cfg?.skipProjectParticipants ?? false,
    childTypes: workItems ? [WORK_ITEM] : [],
    linkBase: base,
    prefetch,
    permissions: projectPermissions(api, roles, applicationRoles, cfg?.projectPermissions ?? DEFAULT_PROJECT_PERMISSIONS, { expandProductGrants: cfg?.expandProductGrants ?? false }),
    onListed: (projects, ctx) => {
      for (const p of projects) projectRefs.get(p.id, async () => ({ id: p.id, name: p.name, key: p.key }));
      roles.noteProjects(
        projects.map((p) => ({ id: p.id, style: p.style })),
        ctx,
      );
      workItemTypes?.noteProjects(projects, ctx);
    },
  });

  const offboarding: OffboardingOptions = { allowDelete: cfg?.allowDelete ?? false, dryRun, authMode: cfg?.jira.authMode };
  const guard = offboardingGuard(offboarding);
  const activity = cfg?.activityDays && deps.activity ? issueActivity(deps.activity, { days: cfg.activityDays, projectKeys: cfg.projectKeys, prefetch }) : undefined;
  const globals = globalPermissions(api, { enabled: cfg?.globalPermissions ?? false, pageSize: userPageSize(!!deps.org), skipCustomers: cfg?.skipCustomerUser ?? false });

  // BATON_JIRA_AUDIT_DAYS: dates from Jira's audit log on group and project-role grants (audit-dates.ts)
  const dates = cfg?.auditDays ? auditDates(api, { days: cfg.auditDays, now: deps.now }) : undefined;
  const withDates = (kind: 'groups' | 'roles', s: ResourceSyncer): ResourceSyncer => (dates ? dates[kind](s) : s);

  // the registry: one entry per resource type
  const syncers: ResourceSyncer[] = [
    {
      ...userSyncer(api, { skipCustomers: cfg?.skipCustomerUser ?? false, linkBase: base, org: deps.org, onPage: globals.notePage, issueActivity: activity, prefetch }),
      deleter: siteRemoval(api, offboarding, guard),
    },
    withDates('groups', groupSyncer(api, { org: deps.org, dryRun, prefetch })),
    project,
    withDates('roles', projectRoleSyncer(api, roles, projectOf, { dryRun })),
    applicationRoleSyncer(applicationRoles),
    apiTokenSyncer(deps.org, guard),
    globals.syncer,
  ];
  if (workItemTypes) syncers.push(workItemTypes);
  // administration roles (with the organization): the organization and the site
  if (deps.org) {
    const adminRoles = adminRoleAccess(deps.org, dryRun);
    syncers.push(organizationSyncer(deps.org, adminRoles), siteSyncer(deps.org, adminRoles, applicationRoles));
  }
  // BATON_JIRA_ACTIVITY_DAYS: a sync's first listing call, of whatever type, starts the issue-activity pass in the background
  const served = activity ? syncers.map((s) => startingIssueActivity(s, activity)) : syncers;

  return {
    info: CONNECTOR_INFO,
    syncers: served,
    accountManager: accountManager(api, base, deps.org),
    actions: withOffboardingActions(accountActions(deps.org), deps.org, guard),
    tickets: cfg?.ticketing && deps.issues ? createTicketManager(api, deps.issues, { projectKeys: cfg.projectKeys, siteUrl: cfg.jira.siteUrl }) : undefined,
    async validate(ctx) {
      await deps.validate(ctx);
      return [];
    },
    async cleanup(activeSyncId) {
      // drops what the sync's calls cached (they would expire on their own, later)
      roles.dropSync(activeSyncId);
      prefetch.dropScope(syncKey(activeSyncId));
      activity?.dropSync(activeSyncId);
      for (const s of syncers) await s.cleanup?.(activeSyncId);
    },
    close: deps.close,
  };
}

/** ACCOUNT_DISABLE / ACCOUNT_ENABLE: suspend and restore a managed account in the organization. */
function accountActions(org: OrgApi | undefined): ActionManager {
  const argument = { name: 'resource_id', displayName: 'Account', description: 'The user resource (Atlassian account ID) to act on' };
  return {
    specs: [
      {
        name: 'account_disable',
        displayName: 'Suspend account',
        description: "Suspends the managed account's access in the Atlassian organization (frees its licences, keeps its groups)",
        actionType: 'ACCOUNT_DISABLE',
        resourceTypeId: USER,
        argument,
      },
      {
        name: 'account_enable',
        displayName: 'Restore account',
        description: "Restores a suspended managed account's access in the Atlassian organization",
        actionType: 'ACCOUNT_ENABLE',
        resourceTypeId: USER,
        argument,
      },
    ],
    async invoke(name, args, ctx) {
      const accountId = accountIdArg(args);
      const r = await accountAction(org, name as AccountActionName, accountId, ctx);
      return { account_id: r.accountId, suspended: r.suspended, changed: r.changed };
    },
  };
}

/** The account actions plus the offboarding ones (offboarding.ts): deactivate, activate, delete, cancel delete, remove from the organization. */
function withOffboardingActions(base: ActionManager, org: OrgApi | undefined, guard: ReturnType<typeof offboardingGuard>): ActionManager {
  const names = new Set<string>(OFFBOARDING_ACTIONS.map((a) => a.name));
  return {
    specs: [...base.specs, ...OFFBOARDING_ACTIONS],
    async invoke(name, args, ctx) {
      if (!names.has(name)) return base.invoke(name, args, ctx);
      return { ...(await offboardingAction(org, guard, name as OffboardingActionName, accountIdArg(args), ctx)) };
    },
  };
}

/** The account from the action arguments: a plain id, or a resource id as a struct; checked to be an account id. */
function accountIdArg(args: Record<string, unknown>): string {
  const v = args.resource_id ?? args.account_id ?? args.user_id;
  if (typeof v === 'string' && v) return checkId('accountId', v, 'args.resource_id');
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const type = o.resource_type_id ?? o.resourceTypeId ?? o.resource_type ?? o.resourceType;
    const id = o.resource_id ?? o.resourceId ?? o.resource;
    if (type !== undefined && type !== USER) throw invalidInput(`resource_id must be a ${USER} resource, got ${JSON.stringify(String(type).slice(0, 64))}`);
    if (typeof id === 'string' && id) return checkId('accountId', id, 'args.resource_id.resource_id');
  }
  throw invalidInput('args.resource_id is required: the account ID of the user, or {resource_type_id: "user", resource_id: "<accountId>"}');
}
