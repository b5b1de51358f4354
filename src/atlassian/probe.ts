/**
 * Capability probe for the Validate RPC and the `validate` command: one cheap read (page size 1)
 * per thing each configured capability needs, reported in words a Jira or org admin can act on.
 * Nothing here changes Atlassian state. Capability labels, checked endpoints and the scopes named
 * in the advice come from the capability table (capabilities.ts).
 */
import type { ConnectorConfig } from '../config/schema';
import { ConnectorError, ErrorKind } from '../errors';
import { statusClauses } from '../jql';
import { describeAuthMode } from './errors';
import type { RequestContext } from './http';
import type { AtlassianClients } from './clients';
import { createAtlassianClients } from './clients';
import { capability, CapabilityId, describeScopes, endpointKey, scopesOf } from './capabilities';

export interface ProbeResult {
  /** what the connector wants to do: "credentials", "read users", "browse groups", ... */
  capability: string;
  /** what was tried, e.g. "GET /rest/api/3/users/search" */
  check: string;
  ok: boolean;
  /** Validate fails when a required check fails; optional ones are warnings */
  required: boolean;
  /** what happened, in plain words */
  detail: string;
  /** what an admin can do about a failure */
  fix?: string;
  /** the error kind when the check failed (auth, permission, ...) */
  kind?: ErrorKind;
  status?: number;
}

function who(cfg: ConnectorConfig): string {
  const j = cfg.jira;
  if (j.authMode === 'basic' || j.authMode === 'scoped-basic') return j.email ?? 'the account';
  if (j.authMode === 'oauth-refresh-token') return 'the user who authorized the OAuth app';
  return 'the service account';
}

function scopeAdvice(cfg: ConnectorConfig, ...ids: CapabilityId[]): string {
  return cfg.jira.authMode === 'basic' ? '' : ` The ${cfg.jira.authMode.startsWith('oauth') ? 'OAuth credential' : 'token'} must also carry ${describeScopes(scopesOf(...ids))}.`;
}

const label = (id: CapabilityId): string => capability(id).label;

export async function probeCapabilities(clients: AtlassianClients, cfg: ConnectorConfig, ctx?: RequestContext): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  const jira = clients.jira;
  const account = who(cfg);

  async function run<T>(
    capability: string,
    check: string,
    required: boolean,
    fn: () => Promise<T>,
    ok: (v: T) => { ok: boolean; detail: string; fix?: string; kind?: ErrorKind },
  ): Promise<T | undefined> {
    try {
      const v = await fn();
      const r = ok(v);
      out.push({ capability, check, required, ...r, kind: r.ok ? undefined : (r.kind ?? 'permission') });
      return r.ok ? v : undefined;
    } catch (e) {
      const ce = e instanceof ConnectorError ? e : new ConnectorError('internal', `unexpected failure: ${e instanceof Error ? e.message : String(e)}`);
      const said = ce.details.upstreamMessage ? ` Atlassian said: ${ce.details.upstreamMessage}` : '';
      out.push({ capability, check, required, ok: false, detail: `${ce.message}.${said}`, fix: ce.details.hint, kind: ce.kind, status: ce.details.status });
      return undefined;
    }
  }

  // 1. credentials: who are we, and does Jira accept the credential at all
  let base = '';
  try {
    base = await jira.baseUrl(ctx);
  } catch (e) {
    const ce = e instanceof ConnectorError ? e : undefined;
    out.push({
      capability: label('credentials'),
      check: endpointKey('tenantInfo'),
      required: true,
      ok: false,
      detail: ce?.message ?? 'could not find where to send Jira requests',
      fix: ce?.details.hint,
      kind: ce?.kind ?? 'invalid-input',
      status: ce?.details.status,
    });
    return out;
  }
  const me = await run(
    label('credentials'),
    endpointKey('myself'),
    true,
    () => jira.myself(ctx),
    (u) => ({
      ok: true,
      detail: `authenticated as ${u.displayName ?? u.accountId} (${u.accountType ?? 'atlassian'}${u.appType ? `/${u.appType}` : ''} account ${u.accountId}) with ${describeAuthMode(cfg.jira.authMode)} at ${base}`,
    }),
  );
  if (!me) {
    // nothing else can work; the credential problem is the one to fix. A token of the other kind
    // (classic vs scoped) is the most common cause: try the same credential the other way.
    const last = out[out.length - 1];
    if (last.kind === 'auth') {
      const diag = await diagnoseTokenKind(cfg, ctx);
      if (diag) last.fix = diag;
    }
    return out;
  }

  // 2. read users: users/search answers an empty list (not 403) without "Browse users and groups"
  await run(
    label('sync-users'),
    endpointKey('usersSearch'),
    true,
    () => jira.searchUsers(0, 1, ctx),
    (users) =>
      users.length > 0
        ? { ok: true, detail: 'can list the users of the site' }
        : {
            ok: false,
            kind: 'permission',
            detail: 'Jira returned no users at all, which is what it does when the account lacks the global permission "Browse users and groups"',
            fix: `Grant ${account} the global permission "Browse users and groups" (Jira settings > System > Global permissions, e.g. through a group it belongs to).${scopeAdvice(cfg, 'sync-users')}`,
          },
  );

  // 3. browse groups and their members
  const groups = await run(
    label('sync-groups'),
    endpointKey('groupBulk'),
    true,
    () => jira.listGroups(0, 1, ctx),
    (p) => ({ ok: true, detail: p.values.length ? 'can list groups' : 'can list groups (the site has none)' }),
  );
  if (groups?.values[0]) {
    const g = groups.values[0];
    await run(
      label('sync-groups'),
      endpointKey('groupMember'),
      true,
      () => jira.groupMembers(g.groupId, 0, 1, ctx),
      () => ({ ok: true, detail: 'can list group members (inactive users included)' }),
    );
  }

  // 4. projects and project roles
  const projects = await run(
    label('sync-projects'),
    endpointKey('projectSearch'),
    true,
    () => jira.searchProjects({ startAt: 0, maxResults: 1, keys: cfg.projectKeys.slice(0, 1) }, ctx),
    (p) =>
      p.values.length
        ? { ok: true, detail: 'can list projects' }
        : {
            ok: true,
            detail: `no project is visible to ${account}; project and project-role grants will be empty`,
            fix: `If the site has projects, give ${account} the global permission "Administer Jira" (or "Administer projects" on each project to sync).`,
          },
  );
  await run(
    label('sync-projects'),
    endpointKey('roles'),
    false,
    () => jira.roles(ctx),
    (r) => ({ ok: true, detail: `can list the ${r.length} project roles` }),
  );
  const project = projects?.values[0];
  if (project) {
    const details = await run(
      label('sync-projects'),
      endpointKey('roleDetails'),
      true,
      () => jira.projectRoleDetails(project.id, ctx),
      (r) => ({ ok: true, detail: `can read the roles of project ${project.key} (${r.length})` }),
    );
    const role = details?.[0];
    if (role)
      await run(
        label('sync-projects'),
        endpointKey('projectRole'),
        true,
        () => jira.projectRole(project.id, role.id, ctx),
        () => ({ ok: true, detail: `can read who holds role "${role.name}" in ${project.key}` }),
      );
  }

  // 5. application roles (product access): Administer Jira
  await run(
    label('sync-product-access'),
    endpointKey('applicationRoles'),
    false,
    () => jira.applicationRoles(ctx),
    (r) => ({ ok: true, detail: `can read product access (${r.map((a) => a.key).join(', ') || 'none'})` }),
  );

  // 5b. global permissions (BATON_JIRA_GLOBAL_PERMISSIONS): the key list, and permissions/check, which for other accounts needs Administer Jira
  if (cfg.globalPermissions) {
    await run(
      label('sync-global-permissions'),
      endpointKey('allPermissions'),
      true,
      () => jira.allPermissions(ctx),
      (ps) => ({ ok: true, detail: `can list the ${ps.filter((p) => p.type === 'GLOBAL').length} global permission keys` }),
    );
    await run(
      label('sync-global-permissions'),
      endpointKey('permissionsCheck'),
      true,
      () => jira.checkPermissions({ accountId: me.accountId, globalPermissions: ['ADMINISTER'] }, ctx),
      (r) =>
        r.globalPermissions.includes('ADMINISTER')
          ? { ok: true, detail: `${account} has "Administer Jira": can check the global permissions of every account` }
          : {
              ok: false,
              kind: 'permission',
              detail: `${account} lacks "Administer Jira", which POST /permissions/check needs to answer for other accounts (BATON_JIRA_GLOBAL_PERMISSIONS)`,
              fix: `Add ${account} to a group that holds "Administer Jira", or turn BATON_JIRA_GLOBAL_PERMISSIONS off.${scopeAdvice(cfg, 'sync-global-permissions')}`,
            },
    );
  }

  // 5c. audit-log dates (BATON_JIRA_AUDIT_DAYS): optional, a sync without them goes on (one warning, no dates)
  if (cfg.auditDays) {
    await run(
      label('sync-audit-dates'),
      endpointKey('auditRecords'),
      false,
      () => jira.auditRecords({ offset: 0, limit: 1, from: new Date(Date.now() - cfg.auditDays * 86_400_000).toISOString() }, ctx),
      () => ({ ok: true, detail: `can read Jira's audit log (the last ${cfg.auditDays} days date group memberships and role actors)` }),
    );
    const last = out[out.length - 1];
    if (!last.ok)
      last.fix = `Add ${account} to a group that holds "Administer Jira" (audit logs also need a paid Jira plan), or turn BATON_JIRA_AUDIT_DAYS off; until then grants carry no added_at dates.${scopeAdvice(cfg, 'sync-audit-dates')}`;
  }

  // 5c. issue activity and work items (issue 16): the issue search answers (a bounded one-issue query)
  if (cfg.activityDays || cfg.workItems?.enabled) {
    await run(
      label('issue-activity'),
      endpointKey('searchIssues'),
      true,
      () => clients.activity.searchIssuesPage('updated >= -1d ORDER BY id ASC', { fields: ['created'], maxResults: 1 }, ctx),
      (p) => ({
        ok: true,
        detail: `the issue search answers (${p.issues.length ? 'issues are visible' : 'no issue updated in the last day is visible'}); only projects ${account} can browse are seen`,
      }),
    );
    // Jira refuses a status name it does not know: say so now rather than in the middle of a sync
    const statuses = cfg.workItems?.enabled ? statusClauses(cfg.workItems.statuses, cfg.workItems.excludeStatuses) : [];
    if (statuses.length)
      await run(
        label('issue-activity'),
        endpointKey('searchIssues'),
        true,
        () => clients.activity.searchIssuesPage(`${statuses.join(' AND ')} ORDER BY id ASC`, { fields: ['status'], maxResults: 1 }, ctx),
        () => ({ ok: true, detail: 'Jira knows every status of BATON_JIRA_WORK_ITEM_STATUSES and BATON_JIRA_WORK_ITEM_EXCLUDE_STATUSES' }),
      );
  }

  // 6. provisioning: writes need permissions we can check without changing anything
  if (cfg.provisioning) {
    const writeScopes = scopeAdvice(cfg, 'provision-groups', 'provision-project-roles', 'provision-accounts');
    const provisioning = label('provision-project-roles');
    const check = endpointKey('myPermissions');
    let perms: Record<string, boolean> | undefined;
    try {
      perms = await jira.myPermissions(['ADMINISTER', 'SYSTEM_ADMIN', 'USER_PICKER'], ctx);
    } catch (e) {
      const ce = e instanceof ConnectorError ? e : new ConnectorError('internal', String(e));
      // a site without the endpoint cannot be checked; any other failure is a real answer
      const unknown = ce.kind === 'not-found';
      out.push({
        capability: provisioning,
        check,
        required: !unknown,
        ok: false,
        detail: unknown
          ? `could not check the write permissions of ${account} (${ce.message}); the first Grant or Revoke will tell`
          : `${ce.message}.${ce.details.upstreamMessage ? ` Atlassian said: ${ce.details.upstreamMessage}` : ''}`,
        fix: unknown ? undefined : ce.details.hint,
        kind: ce.kind,
        status: ce.details.status,
      });
    }
    if (perms) {
      out.push(
        perms.ADMINISTER
          ? { capability: provisioning, check, required: true, ok: true, detail: `${account} has "Administer Jira": can change project roles and create users` }
          : {
              capability: provisioning,
              check,
              required: true,
              ok: false,
              kind: 'permission',
              detail: `${account} lacks the global permission "Administer Jira", which provisioning needs (project-role changes, account creation)`,
              fix: `Add ${account} to a group that holds "Administer Jira" (Jira settings > System > Global permissions).${writeScopes}`,
            },
      );
      out.push(
        perms.SYSTEM_ADMIN
          ? { capability: provisioning, check, required: false, ok: true, detail: `${account} is a site administrator: can change group memberships` }
          : {
              capability: provisioning,
              check,
              required: false,
              ok: false,
              kind: 'permission',
              detail: `${account} is not a site administrator, so adding and removing group members will be refused`,
              fix: `Make ${account} a site admin (admin.atlassian.com > Directory > Users > the account > Grant access > site admin) if group memberships should be provisioned.${writeScopes}`,
            },
      );
    }
  }

  // 6b. ticketing: the credential can create issues in a project tickets may go to
  if (cfg.ticketing) {
    const key = cfg.projectKeys[0];
    const project = await run(
      label('ticketing'),
      endpointKey(key ? 'project' : 'projectSearch'),
      true,
      async () => (key ? await jira.getProject(key, ctx) : (await jira.searchProjects({ startAt: 0, maxResults: 1, expand: [] }, ctx)).values[0]),
      (p) =>
        p
          ? { ok: true, detail: `tickets can go to ${p.key} (${p.name})` }
          : {
              ok: false,
              kind: 'permission',
              detail: 'the account sees no project, so it cannot file tickets',
              fix: `Give ${account} "Browse projects" on the projects tickets go to.${scopeAdvice(cfg, 'ticketing')}`,
            },
    );
    if (project)
      await run(
        label('ticketing'),
        endpointKey('createMetaIssueTypes'),
        true,
        () => clients.issues.createMetaIssueTypes(project.key, 0, 50, ctx),
        (p) =>
          p.values.some((t) => !t.subtask)
            ? {
                ok: true,
                detail: `can create ${p.values
                  .filter((t) => !t.subtask)
                  .map((t) => t.name)
                  .join(', ')} issues in ${project.key}`,
              }
            : {
                ok: false,
                kind: 'permission',
                detail: `${account} cannot create issues in ${project.key}`,
                fix: `Give ${account} "Create issues" on the projects tickets go to (their permission scheme).${scopeAdvice(cfg, 'ticketing')}`,
              },
      );
  }

  // 7. organization admin API
  if (clients.admin && cfg.org) {
    const admin = clients.admin;
    const orgId = cfg.org.orgId;
    const orgs = await run(
      label('organization'),
      endpointKey('orgs'),
      true,
      () => admin.orgs(undefined, ctx),
      (p) =>
        p.data.some((o) => o.id === orgId) || p.nextCursor
          ? { ok: true, detail: 'the organization API key is accepted' }
          : {
              ok: false,
              kind: 'permission',
              detail: `the organization API key does not give access to organization ${orgId} (it sees ${p.data.map((o) => o.id).join(', ') || 'no organization'})`,
              fix: 'Check atlassian-orgid (admin.atlassian.com/o/<orgId>/...) and that the key was created in that organization.',
            },
    );
    if (orgs) {
      await run(
        label('organization'),
        endpointKey('orgUsers'),
        true,
        () => admin.orgUsers(orgId, undefined, ctx),
        () => ({ ok: true, detail: 'can list managed accounts' }),
      );
      await run(
        label('organization'),
        endpointKey('directories'),
        false,
        () => admin.directories(orgId, undefined, ctx),
        (p) => ({ ok: true, detail: `can list directories (${p.data.length})` }),
      );
    }
  }
  return out;
}

/** Retries the credential the other way (site URL vs gateway); says what to change when that works. */
async function diagnoseTokenKind(cfg: ConnectorConfig, ctx?: RequestContext): Promise<string | undefined> {
  const j = cfg.jira;
  if (!j.siteUrl || !j.email || !j.apiToken) return undefined;
  const alt = j.authMode === 'basic' ? 'scoped-basic' : j.authMode === 'scoped-basic' ? 'basic' : undefined;
  if (!alt) return undefined;
  const altCfg: ConnectorConfig = { ...cfg, org: undefined, jira: { ...j, authMode: alt, authModeReason: 'validate: trying the other token kind' } };
  const c = createAtlassianClients(altCfg, { retry: { maxFaultRetries: 1, maxRateLimitRetries: 1 } });
  try {
    await c.jira.myself(ctx);
    return alt === 'scoped-basic'
      ? 'The same email and token work through the api.atlassian.com gateway: the token is a scoped API token. Set jira-auth-mode to scoped-basic (or jira-url to https://api.atlassian.com/ex/jira/<cloudId>).'
      : 'The same email and token work on the site URL: the token is a classic (unscoped) API token. Set jira-auth-mode to basic with jira-url https://<site>.atlassian.net.';
  } catch {
    return undefined;
  } finally {
    await c.close();
  }
}

/** The error Validate should throw for the first failed required check (undefined: all required checks passed). */
export function probeFailure(results: ProbeResult[]): ConnectorError | undefined {
  const f = results.find((r) => r.required && !r.ok);
  if (!f) return undefined;
  const kind: ErrorKind = f.kind ?? 'permission';
  return new ConnectorError(kind, `${f.capability}: ${f.detail}`, { endpoint: f.check, status: f.status, hint: f.fix });
}
