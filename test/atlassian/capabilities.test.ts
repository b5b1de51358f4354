/**
 * The capability table (src/atlassian/capabilities.ts) against everything that derives from it:
 * Atlassian's documents as the fake loads them (scopes per operation), the endpoints the clients
 * really call (their request counters, every client method run against the fake), the path
 * builder's parameter shapes, validate's probes, the error hints, connector.yaml and the README.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useFake, basicRaw } from './helpers';
import { CAPABILITIES, ENDPOINTS, endpointKey, EndpointName, scopesOf } from '../../src/atlassian/capabilities';
import { fromHttpFailure } from '../../src/atlassian/errors';
import { PATH_PARAM_SHAPES, templateParams } from '../../src/atlassian/paths';
import { probeCapabilities } from '../../src/atlassian';
import type { AtlassianClients } from '../../src/atlassian';
import { sharedOpenApi } from '../../src/fake-atlassian/openapi';
import { ADMIN_SCOPES } from '../../src/fake-atlassian/handwritten';
import { manifestObject } from '../../src/cli/manifest';

const h = useFake();

const sorted = (xs: readonly string[]) => [...xs].sort();
/** the fake names path parameters as the documents do ({account_id}); compare templates without the names */
const shape = (template: string) => template.replace(/\{[^}]+\}/g, '{}');
const NAMES = Object.keys(ENDPOINTS) as EndpointName[];

describe('the capability table', () => {
  it('has the scopes Atlassian documents for every endpoint', () => {
    const reg = sharedOpenApi();
    const served = h.fake.endpoints();
    for (const name of NAMES) {
      const e = ENDPOINTS[name];
      const s = served.find((x) => x.method === e.method && shape(x.path) === shape(e.path));
      expect({ name, served: !!s }).toEqual({ name, served: true });
      if (e.path.startsWith('/rest/api/3/')) {
        const documented = reg.operation('jira-platform', e.path, e.method).oauthScopes ?? { classic: [], granular: [] };
        expect({ name, classic: sorted(e.classic), granular: sorted(e.granular) }).toEqual({ name, classic: sorted(documented.classic), granular: sorted(documented.granular) });
      } else {
        // the admin documents carry no scopes; the fake's hand mapping (atlassian-api.md §3(e)/§4.2) does
        expect({ name, classic: sorted(e.classic), granular: e.granular }).toEqual({ name, classic: sorted(ADMIN_SCOPES[s!.operationId] ?? []), granular: [] });
      }
    }
  });

  it('knows the id shape of every path parameter', () => {
    for (const name of NAMES) for (const p of templateParams(ENDPOINTS[name].path)) expect({ name, p, known: p in PATH_PARAM_SHAPES }).toEqual({ name, p, known: true });
  });

  it('is exactly the set of endpoints the clients call (every client method run against the fake)', async () => {
    const all: AtlassianClients[] = [];
    const clients = (raw: Record<string, unknown>) => {
      const c = h.clients(h.config({ ...raw, 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key }));
      all.push(c);
      return c;
    };
    const t = h.fake.tenant;
    const org = h.fake.orgId;
    const { jira: j, admin, issues, activity } = clients(basicRaw(h.fake));
    const a = admin!;

    await j.myself();
    await j.serverInfo();
    await j.searchUsers(0, 2);
    const someone = t.users().find((u) => u.accountType === 'atlassian' && t.isActiveInJira(u) && u.accountId !== h.fake.credentials.admin.accountId)!;
    await j.findUsers(someone.displayName.slice(0, 3), 0, 2);
    await j.getUser(someone.accountId);
    await j.userGroups(someone.accountId);
    await j.listGroups(0, 2);
    const g = t.groups().find((x) => !x.system && !x.externalSynced && !t.isGroupMember(x.groupId, someone.accountId))!;
    await j.getGroup(g.groupId);
    await j.groupMembers(g.groupId, 0, 2);
    await j.addGroupMember(g.groupId, someone.accountId);
    await j.removeGroupMember(g.groupId, someone.accountId);
    const p = t.projects()[0];
    await j.searchProjects({ startAt: 0, maxResults: 1 });
    await j.getProject(p.id);
    const role = (await j.roles())[0];
    await j.projectRoleDetails(p.key);
    await j.projectRole(p.key, role.id);
    await j.addRoleActors(p.key, role.id, { users: [someone.accountId] });
    await j.removeRoleActor(p.key, role.id, { accountId: someone.accountId });
    await j.applicationRoles();
    await j.createUser({ emailAddress: 'capability.table@acme.example', products: [] });
    await j.permissionSchemes();
    await j.projectPermissionScheme(p.key);
    await j.myPermissions(['ADMINISTER']);
    await j.allPermissions();
    await j.checkPermissions({ accountId: someone.accountId, globalPermissions: ['ADMINISTER'], projectPermissions: [{ permissions: ['BROWSE_PROJECTS'], projects: [Number(p.id)] }] });
    await j.auditRecords({ offset: 0, limit: 10, from: new Date(Date.now() - 86_400_000).toISOString(), filter: 'group' });
    // ticketing: create metadata, statuses, an idempotent create (label search first), get
    const type = (await issues.createMetaIssueTypes(p.key, 0, 10)).values[0];
    await issues.createMetaFields(p.key, type.id, 0, 10);
    await issues.projectStatuses(p.key);
    const made = await issues.createIssue(p.key, { project: { key: p.key }, issuetype: { id: type.id }, summary: 'Capability table' }, 'capability-table', { lookFirst: true });
    await issues.getIssue(made!.issue.id);
    // issue activity and work items (issue 16): a search page, a bulk changelog
    await activity.searchIssuesPage('updated >= -30d', { fields: ['created', 'creator'], changelog: true, maxResults: 5 });
    await activity.bulkChangelogs([t.issues()[0].id], undefined);

    await a.orgs();
    await a.orgUsers(org);
    await a.lastActiveDates(org, someone.accountId).catch(() => undefined);
    const dir = (await a.directories(org)).data[0].directoryId;
    await a.directoryUsers(org, dir);
    await a.searchDirectoryUsers(org, '-', { limit: 1 });
    await a.directoryGroups(org, dir);
    await a.searchDirectoryGroups(org, '-', { limit: 1 });
    const dg = t.directoryGroups(dir).find((x) => !x.externalSynced && !x.system && x.name !== 'site-admins' && x.directoryId === dir)!;
    const du = t.directoryUsers(dir).find((x) => !t.isGroupMember(dg.groupId, x.accountId) && x.accountStatus === 'active' && x.accountId !== h.fake.credentials.admin.accountId)!;
    await a.directoryGroupMembers(org, dir, dg.groupId);
    await a.addDirectoryGroupMember(org, dir, dg.groupId, du.accountId);
    await a.removeDirectoryGroupMember(org, dir, dg.groupId, du.accountId);
    await a.suspendUser(org, du.accountId);
    await a.restoreUser(org, du.accountId);
    await a.suspendUser(org, du.accountId, dir);
    await a.restoreUser(org, du.accountId, dir);
    await a.userApiTokens(du.accountId).catch(() => undefined);
    // offboarding (issue 15): every lifecycle call, a token revocation, org and site removal
    const mu = t
      .allAccounts()
      .find((x) => x.claimStatus === 'managed' && x.directoryId !== null && x.accountStatus === 'active' && x.accountId !== h.fake.credentials.admin.accountId && t.apiTokens(x.accountId).length > 0)!;
    await a.revokeApiToken(mu.accountId, t.apiTokens(mu.accountId)[0].id);
    for (const op of ['disable', 'enable', 'delete', 'cancel-delete'] as const) await a.accountLifecycle(mu.accountId, op);
    await j.removeUser(mu.accountId).catch(() => undefined);
    await a.removeOrgUser(org, mu.accountId);
    await a.domains(org);
    await a.policies(org);
    await a.workspaces(org);
    const site = `ari:cloud:platform::site/${t.cloudId}`;
    await a.userRoleAssignments(org, dir, du.accountId, {});
    await a.assignUserRole(org, du.accountId, 'atlassian/user-access-admin', site);
    await a.revokeUserRole(org, du.accountId, 'atlassian/user-access-admin', site);
    await a.assignGroupRole(org, dir, dg.groupId, 'atlassian/site-admin', site);
    await a.revokeGroupRole(org, dir, dg.groupId, 'atlassian/site-admin', site);

    // a scoped token on the site URL discovers the cloud ID; an OAuth client fetches a token
    const sc = h.fake.credentials.scoped;
    await clients({ 'jira-email': sc.email, 'jira-api-token': sc.token, 'jira-auth-mode': 'scoped-basic' }).jira.myself();
    const oc = h.fake.credentials.oauthClient;
    await clients({ 'jira-oauth-client-id': oc.clientId, 'jira-oauth-client-secret': oc.clientSecret }).jira.myself();

    const called = new Set(all.flatMap((c) => Object.keys(c.stats().requests)));
    expect([...called].sort()).toEqual(NAMES.map(endpointKey).sort());
  });

  it('names, for every capability, endpoints of the table; connector.yaml publishes the union of their scopes', () => {
    const m = manifestObject() as { scopes: { byCapability: Array<{ capability: string; endpoints: string[]; classic: string[]; granular: string[] }> } };
    expect(m.scopes.byCapability.map((c) => c.capability)).toEqual(CAPABILITIES.map((c) => c.id));
    for (const c of CAPABILITIES) {
      const published = m.scopes.byCapability.find((x) => x.capability === c.id)!;
      const classic = new Set(c.endpoints.flatMap((n) => ENDPOINTS[n].classic));
      const granular = new Set(c.endpoints.flatMap((n) => ENDPOINTS[n].granular));
      expect(published.endpoints).toEqual(c.endpoints.map(endpointKey));
      expect(published.classic).toEqual([...classic].sort());
      expect(published.granular).toEqual([...granular].sort());
    }
  });

  it('is what the README tells an admin to grant', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of readme.split('\n')) {
      const m = /^\| `([a-z-]+)` \| ([^|]*) \|/.exec(line);
      if (m && CAPABILITIES.some((c) => c.id === m[1]))
        rows.set(
          m[1],
          [...m[2].matchAll(/`([^`]+)`/g)].map((x) => x[1]),
        );
    }
    for (const c of CAPABILITIES) expect({ capability: c.id, classic: rows.get(c.id) }).toEqual({ capability: c.id, classic: scopesOf(c.id).classic });
  });

  it('gives the error hints their permission and scopes', () => {
    for (const name of NAMES) {
      const e = ENDPOINTS[name];
      const jira = e.path.startsWith('/rest/');
      const err = fromHttpFailure({ status: 403, body: {}, headers: {} }, { upstream: jira ? 'jira' : 'admin', endpoint: endpointKey(name), authMode: 'scoped-basic' });
      if (jira && e.permission) expect(err.details.hint).toContain(e.permission);
      for (const s of [...e.classic, ...e.granular]) expect({ name, hint: err.details.hint?.includes(s) }).toEqual({ name, hint: true });
    }
  });
});

describe("validate's probes", () => {
  it('check endpoints of the capability they report (provisioning, ticketing, global permissions and organization on)', async () => {
    const cfg = h.config({
      ...basicRaw(h.fake),
      provisioning: true,
      ticketing: true,
      'jira-global-permissions': true,
      'jira-audit-days': 30,
      'jira-activity-days': 30,
      'atlassian-orgid': h.fake.orgId,
      'atlassian-api-token': h.fake.credentials.orgApiKey.key,
    });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(res.length).toBeGreaterThan(8);
    expect(res.filter((r) => r.capability === 'issue activity and work items').map((r) => [r.check, r.ok])).toEqual([['GET /rest/api/3/search/jql', true]]);
    expect(res.filter((r) => r.capability === 'check global permissions').map((r) => [r.check, r.ok])).toEqual([
      ['GET /rest/api/3/permissions', true],
      ['POST /rest/api/3/permissions/check', true],
    ]);
    expect(res.filter((r) => r.capability === 'read the audit log').map((r) => [r.check, r.ok, r.required])).toEqual([['GET /rest/api/3/auditing/record', true, false]]);
    expect(res.filter((r) => r.capability === 'ticketing').map((r) => [r.check, r.ok])).toEqual([
      [endpointKey('projectSearch'), true],
      [endpointKey('createMetaIssueTypes'), true],
    ]);
    for (const r of res) {
      const owners = CAPABILITIES.filter((c) => c.label === r.capability && c.endpoints.some((n) => endpointKey(n) === r.check));
      expect({ capability: r.capability, check: r.check, owners: owners.length > 0 }).toEqual({ capability: r.capability, check: r.check, owners: true });
    }
  });

  it('advise the scopes of the table when a check fails', async () => {
    const sc = h.fake.credentials.scoped;
    const cfg = h.config({ 'jira-email': sc.email, 'jira-api-token': sc.token, 'jira-auth-mode': 'scoped-basic' });
    const rule = h.fake.faults.add({ match: 'getAllUsers', status: { code: 200, count: 1, body: [] } });
    try {
      const res = await probeCapabilities(h.clients(cfg), cfg);
      const users = res.find((r) => r.check === endpointKey('usersSearch'))!;
      expect(users.ok).toBe(false);
      for (const s of [...scopesOf('sync-users').classic, ...scopesOf('sync-users').granular]) expect(users.fix).toContain(s);
    } finally {
      h.fake.faults.remove(rule);
    }
  });
});
