/**
 * The Jira and admin clients against the fake: each method returns what the tenant's ground
 * truth says, writes change the tenant and are idempotent by state, failures are typed errors
 * that name the endpoint and carry Atlassian's message and an actionable hint.
 */
import { useFake, basicRaw } from './helpers';
import { ConnectorError } from '../../src/errors';
import { probeCapabilities, probeFailure } from '../../src/atlassian';

const h = useFake();

describe('Jira client (classic token on the site URL)', () => {
  const jira = () => h.clients(h.config(basicRaw(h.fake))).jira;

  it('reads myself and serverInfo', async () => {
    const j = jira();
    const me = await j.myself();
    expect(me.accountId).toBe(h.fake.credentials.admin.accountId);
    expect(me.active).toBe(true);
    const info = await j.serverInfo();
    expect(info.deploymentType).toBe('Cloud');
    expect(await j.baseUrl()).toBe(h.fake.siteUrl);
  });

  it('pages users/search until an empty page and matches the ground truth', async () => {
    const j = jira();
    const ids: string[] = [];
    for (let startAt = 0; ;) {
      const page = await j.searchUsers(startAt, 17);
      if (page.length === 0) break;
      ids.push(...page.map((u) => u.accountId));
      startAt += page.length;
    }
    expect(ids).toEqual(h.fake.tenant.users().map((u) => u.accountId));
    // hidden emails come back as undefined, never as a wrong value
    const u = await j.getUser(ids[3]);
    const truth = h.fake.tenant.user(ids[3])!;
    expect(u.emailAddress).toBe(truth.emailVisible ? truth.email : undefined);
  });

  it('lists groups and members (inactive included) as PageBeans', async () => {
    const j = jira();
    const groups = [];
    for (let startAt = 0; ;) {
      const p = await j.listGroups(startAt, 4);
      groups.push(...p.values);
      if (p.isLast || p.values.length === 0) break;
      startAt += p.values.length;
    }
    expect(groups.map((g) => g.groupId)).toEqual(h.fake.tenant.groups().map((g) => g.groupId));
    expect(await j.getGroup(groups[2].groupId)).toEqual(groups[2]);
    expect(await j.getGroup('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    const big = h.fake.tenant.groups().reduce((a, b) => (h.fake.tenant.groupSize(a.groupId) >= h.fake.tenant.groupSize(b.groupId) ? a : b));
    const members: string[] = [];
    for (let startAt = 0; ;) {
      const p = await j.groupMembers(big.groupId, startAt, 3);
      members.push(...p.values.map((m) => m.accountId));
      if (p.isLast || p.values.length === 0) break;
      startAt += p.values.length;
    }
    expect(members).toEqual(h.fake.tenant.groupMembers(big.groupId, { includeInactive: true }));
    const someone = members[0];
    expect((await j.userGroups(someone)).map((g) => g.groupId).sort()).toEqual(
      h.fake.tenant
        .userGroups(someone, { jiraOnly: true })
        .map((g) => g.groupId)
        .sort(),
    );
  });

  it('reads projects (lead expanded), roles and role actors', async () => {
    const j = jira();
    const page = await j.searchProjects({ startAt: 0, maxResults: 100 });
    expect(page.values.map((p) => p.id).sort()).toEqual(
      h.fake.tenant
        .projects()
        .map((p) => p.id)
        .sort(),
    );
    const p0 = page.values[0];
    expect(p0.lead?.accountId).toBe(h.fake.tenant.project(p0.id)!.leadAccountId);
    expect((await j.getProject(p0.key)).id).toBe(p0.id);
    // unknown keys: Jira answers 404, which is an empty last page
    const none = await j.searchProjects({ startAt: 0, maxResults: 10, keys: ['NOPE'] });
    expect(none).toMatchObject({ values: [], isLast: true });

    const roles = await j.roles();
    expect(roles.map((r) => r.id).sort()).toEqual(
      h.fake.tenant
        .roles()
        .map((r) => r.id)
        .sort(),
    );
    const details = await j.projectRoleDetails(p0.id);
    expect(details.length).toBeGreaterThan(0);
    const role = await j.projectRole(p0.id, details[0].id);
    const truth = h.fake.tenant.roleActors(p0.id, details[0].id);
    expect(
      role.actors
        .filter((a) => a.actorUser)
        .map((a) => a.actorUser!.accountId)
        .sort(),
    ).toEqual([...truth.users].sort());
    expect(
      role.actors
        .filter((a) => a.actorGroup)
        .map((a) => a.actorGroup!.groupId)
        .sort(),
    ).toEqual([...truth.groups].sort());

    const apps = await j.applicationRoles();
    expect(apps.map((a) => a.key).sort()).toEqual(
      h.fake.tenant
        .applicationRoles()
        .map((a) => a.key)
        .sort(),
    );
    const schemes = await j.permissionSchemes();
    expect(schemes.length).toBe(h.fake.tenant.permissionSchemes().length);
  });

  it('adds and removes group members idempotently', async () => {
    const j = jira();
    const t = h.fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
    const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.isGroupMember(g.groupId, x.accountId))!;
    expect(await j.addGroupMember(g.groupId, u.accountId)).toEqual({ changed: true });
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    expect(await j.addGroupMember(g.groupId, u.accountId)).toEqual({ changed: false });
    expect(await j.removeGroupMember(g.groupId, u.accountId)).toEqual({ changed: true });
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
    expect(await j.removeGroupMember(g.groupId, u.accountId)).toEqual({ changed: false });
  });

  it('adds and removes project-role actors idempotently', async () => {
    const j = jira();
    const t = h.fake.tenant;
    const p = t.projects()[1];
    const role = t.roles()[0];
    const before = t.roleActors(p.id, role.id);
    const users = t
      .users()
      .filter((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !before.users.includes(x.accountId))
      .slice(0, 2);
    const group = t.groups().find((g) => !before.groups.includes(g.groupId))!;
    expect(await j.addRoleActors(p.key, role.id, { users: [users[0].accountId] })).toEqual({ changed: true });
    // one of two already there: Jira refuses the whole request; the client adds the missing one
    expect(await j.addRoleActors(p.key, role.id, { users: users.map((u) => u.accountId), groupIds: [group.groupId] })).toEqual({ changed: true });
    expect(await j.addRoleActors(p.key, role.id, { users: [users[1].accountId] })).toEqual({ changed: false });
    const after = t.roleActors(p.id, role.id);
    expect(after.users).toEqual(expect.arrayContaining(users.map((u) => u.accountId)));
    expect(after.groups).toContain(group.groupId);
    expect(await j.removeRoleActor(p.key, role.id, { accountId: users[0].accountId })).toEqual({ changed: true });
    expect(await j.removeRoleActor(p.key, role.id, { accountId: users[0].accountId })).toEqual({ changed: false });
    expect(await j.removeRoleActor(p.key, role.id, { groupId: group.groupId })).toEqual({ changed: true });
    expect(t.roleActors(p.id, role.id).groups).not.toContain(group.groupId);
  });

  it('creates a user', async () => {
    const j = jira();
    const u = await j.createUser({ emailAddress: 'new.person@acme.example', products: [] });
    expect(h.fake.tenant.user(u.accountId)?.email).toBe('new.person@acme.example');
  });

  it('maps failures to typed errors with endpoint, Atlassian message and hint', async () => {
    const j = jira();
    const nf = await h.fails(j.getUser('no-such-account'));
    expect(nf).toBeInstanceOf(ConnectorError);
    expect(nf.kind).toBe('not-found');
    expect(nf.details.endpoint).toBe('GET /rest/api/3/user');
    expect(nf.details.upstreamMessage).toMatch(/does not exist/);
    const bad = await h.fails(j.addRoleActors('NOPE', 10002, { users: ['x'] }));
    expect(bad.kind).toBe('not-found');
    expect(bad.details.endpoint).toBe('POST /rest/api/3/project/{projectIdOrKey}/role/{id}');
    expect(bad.details.hint).toMatch(/Administer projects/);

    // an account without "Browse users and groups": 403 with the permission named
    const weak = h.fake.credentials.mintClassicToken({ permissions: { browseUsersAndGroups: false, administerJira: false, siteAdmin: false } });
    h.secret(weak.token);
    const jw = h.clients(h.config({ 'jira-email': weak.email, 'jira-api-token': weak.token })).jira;
    const e = await h.fails(jw.searchUsers(0, 10));
    expect(e.kind).toBe('permission');
    expect(e.details.status).toBe(403);
    expect(e.describe()).toMatch(/Browse users and groups/);
    // a non-admin cannot change groups: 403 naming site administration
    const g = h.fake.tenant.groups()[0];
    const w = await h.fails(jw.addGroupMember(g.groupId, h.fake.tenant.users()[0].accountId));
    expect(w.kind).toBe('permission');
    expect(w.details.hint).toMatch(/site administration/);
  });
});

describe('admin client (org API key)', () => {
  const admin = () => {
    const c = h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key }));
    return c.admin!;
  };

  it('lists orgs and pages managed accounts through full-URL next links', async () => {
    const a = admin();
    const orgs = await a.orgs();
    expect(orgs.data.map((o) => o.id)).toContain(h.fake.orgId);
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = await a.orgUsers(h.fake.orgId, cursor);
      ids.push(...p.data.map((u) => u.account_id));
      cursor = p.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(ids.sort()).toEqual(
      h.fake.tenant
        .orgUsers()
        .map((u) => u.accountId)
        .sort(),
    );
  });

  it('reads directories, users, groups, members, tokens, last-active dates and workspaces', async () => {
    const a = admin();
    const t = h.fake.tenant;
    const dirs = await a.directories(h.fake.orgId);
    expect(dirs.data.map((d) => d.directoryId).sort()).toEqual(
      t
        .directories()
        .map((d) => d.directoryId)
        .sort(),
    );
    const dir = dirs.data[0].directoryId;

    const users: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await a.searchDirectoryUsers(h.fake.orgId, dir, { cursor, limit: 7 });
      users.push(...p.data.map((u) => u.accountId));
      cursor = p.nextCursor;
    } while (cursor);
    expect(users.sort()).toEqual(
      t
        .directoryUsers(dir)
        .map((u) => u.accountId)
        .sort(),
    );
    const viaGet = await a.directoryUsers(h.fake.orgId, dir);
    expect(viaGet.data.length).toBeGreaterThan(0);

    const groups = await a.directoryGroups(h.fake.orgId, dir);
    expect(groups.data.length).toBeGreaterThan(0);
    const g = groups.data.find((x) => t.directoryGroupMembers(dir, x.id).length > 0)!;
    const members = await a.directoryGroupMembers(h.fake.orgId, dir, g.id);
    expect(members.data.map((u) => u.accountId).sort()).toEqual([...t.directoryGroupMembers(dir, g.id)].sort());

    const someone = t.directoryUsers(dir).find((u) => u.apiTokenCount > 0) ?? t.directoryUsers(dir)[0];
    const tokens = await a.userApiTokens(someone.accountId);
    expect(tokens.length).toBe(t.apiTokens(someone.accountId).length);
    const lad = await a.lastActiveDates(h.fake.orgId, someone.accountId);
    expect(Array.isArray(lad.productAccess)).toBe(true);
    const ws = await a.workspaces(h.fake.orgId);
    expect(ws.data.length).toBe(t.workspaces().length);
  });

  it('changes directory group membership and suspends/restores idempotently', async () => {
    const a = admin();
    const t = h.fake.tenant;
    const dir = t.directories()[0].directoryId;
    const g = t.directoryGroups(dir).find((x) => !x.externalSynced && !x.system && x.name !== 'site-admins' && x.directoryId === dir)!;
    const u = t.directoryUsers(dir).find((x) => !t.isGroupMember(g.groupId, x.accountId) && x.accountStatus === 'active')!;
    expect(await a.addDirectoryGroupMember(h.fake.orgId, dir, g.groupId, u.accountId)).toEqual({ changed: true });
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    // the v2 membership API is idempotent upstream: a repeat is simply accepted
    await a.addDirectoryGroupMember(h.fake.orgId, dir, g.groupId, u.accountId);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    expect(await a.removeDirectoryGroupMember(h.fake.orgId, dir, g.groupId, u.accountId)).toEqual({ changed: true });
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
    await a.removeDirectoryGroupMember(h.fake.orgId, dir, g.groupId, u.accountId);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);

    await a.suspendUser(h.fake.orgId, u.accountId);
    expect(t.user(u.accountId)!.suspended).toBe(true);
    await a.suspendUser(h.fake.orgId, u.accountId);
    await a.restoreUser(h.fake.orgId, u.accountId, dir);
    expect(t.user(u.accountId)!.suspended).toBe(false);
  });

  it('refuses a cursor that is a URL (cursors are values, see paths.test.ts)', async () => {
    const a = admin();
    const e = await h.fails(a.orgUsers(h.fake.orgId, 'https://evil.example/admin/v1/orgs/x/users?cursor=abc'));
    expect(e.kind).toBe('invalid-input');
    expect(e.message).toMatch(/page cursor/);
  });
});

describe('probeCapabilities', () => {
  it('reports every capability ok for the site admin with an org key', async () => {
    const cfg = h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(res.map((r) => r.capability))).toEqual(new Set(['credentials', 'read users', 'browse groups', 'read projects and roles', 'application roles', 'organization admin API']));
    expect(probeFailure(res)).toBeUndefined();
  });

  it('names the missing permission and fails Validate with the right kind', async () => {
    const weak = h.fake.credentials.mintClassicToken({ permissions: { browseUsersAndGroups: false, administerJira: false } });
    h.secret(weak.token);
    const cfg = h.config({ 'jira-email': weak.email, 'jira-api-token': weak.token });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    const users = res.find((r) => r.capability === 'read users')!;
    expect(users.ok).toBe(false);
    expect(users.fix).toMatch(/Browse users and groups/);
    const err = probeFailure(res)!;
    expect(err.kind).toBe('permission');
    expect(err.describe()).toMatch(/Browse users and groups/);
  });

  it('fails Validate with auth for a token that does not belong to the email', async () => {
    const cfg = h.config({ 'jira-email': 'someone.else@acme.example', 'jira-api-token': h.fake.credentials.admin.token });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(res).toHaveLength(1);
    const err = probeFailure(res)!;
    expect(err.kind).toBe('auth');
    expect(err.describe()).toMatch(/belongs|owner/);
  });
});

describe('probeCapabilities diagnoses the token kind', () => {
  it('a scoped token configured as classic: tells to switch to scoped-basic', async () => {
    const s = h.fake.credentials.scoped;
    const cfg = h.config({ 'jira-email': s.email, 'jira-api-token': s.token, 'jira-auth-mode': 'basic' });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(res).toHaveLength(1);
    expect(res[0].fix).toMatch(/scoped API token\. Set jira-auth-mode to scoped-basic/);
    expect(probeFailure(res)!.kind).toBe('auth');
  });

  it('a classic token configured as scoped: tells to switch to basic', async () => {
    const a = h.fake.credentials.admin;
    const cfg = h.config({ 'jira-email': a.email, 'jira-api-token': a.token, 'jira-auth-mode': 'scoped-basic' });
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(res[0].fix).toMatch(/classic \(unscoped\) API token\. Set jira-auth-mode to basic/);
  });
});

describe('probeCapabilities with provisioning', () => {
  it('checks write permissions without changing anything', async () => {
    const cfg = h.config({ ...basicRaw(h.fake), provisioning: true });
    const before = h.fake.tenant.snapshot();
    const res = await probeCapabilities(h.clients(cfg), cfg);
    expect(h.fake.tenant.snapshot()).toBe(before);
    const prov = res.filter((r) => r.capability === 'provisioning');
    expect(prov.length).toBeGreaterThan(0);
    // the site admin passes every required check (the fake may not serve /mypermissions: then it is a warning)
    expect(probeFailure(res)).toBeUndefined();
  });
});

describe('responses are parsed at the edge', () => {
  afterEach(() => h.fake.faults.clear());
  const USERS = 'GET /rest/api/3/users/search';

  it('accepts unknown extra fields and fails an unexpected shape with bad-upstream naming the endpoint', async () => {
    const j = h.clients(h.config(basicRaw(h.fake))).jira;
    h.fake.faults.failWith(200, 1, { match: USERS, body: [{ accountId: 'abc', active: true, brandNewField: { x: 1 } }] });
    expect(await j.searchUsers(0, 1)).toEqual([expect.objectContaining({ accountId: 'abc', active: true })]);
    h.fake.faults.failWith(200, 1, { match: USERS, body: { values: [] } });
    const e = await h.fails(j.searchUsers(0, 1));
    expect(e.kind).toBe('bad-upstream');
    expect(e.details.endpoint).toBe(USERS);
    expect(e.message).toMatch(/GET \/rest\/api\/3\/users\/search with an unexpected shape/);
    h.fake.faults.failWith(200, 1, { match: 'GET /rest/api/3/group/member', body: { startAt: 0, maxResults: 50, values: [{ accountId: 'x' }] } });
    const e2 = await h.fails(j.groupMembers(h.fake.tenant.groups()[0].groupId, 0, 50));
    expect(e2.message).toMatch(/values\.0\.active/);
  });
});
