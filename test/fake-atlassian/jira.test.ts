/** Jira REST v3 behaviour of the fake: paging, clamping, end markers, hidden emails, permissions, writes. */
import { startFakeAtlassian, type FakeAtlassian, type TenantUser } from '../../src/fake-atlassian/index';
import { call, expectNoValidationErrors, followPageBean, gw, site } from './test-helpers';

let fake: FakeAtlassian; // S tier
let m: FakeAtlassian; // M tier (1,000 users)

beforeAll(async () => {
  [fake, m] = await Promise.all([startFakeAtlassian({ tier: 'S', seed: 1 }), startFakeAtlassian({ tier: 'M', seed: 1 })]);
});
afterAll(async () => {
  await Promise.all([fake.stop(), m.stop()]);
});
afterEach(() => {
  expectNoValidationErrors(fake);
  expectNoValidationErrors(m);
});

describe('users', () => {
  test('users/search is a bare array, maxResults is silently clamped to 1000 and there is no end marker', async () => {
    for (let i = 0; i < 10; i++) m.tenant.createUser({ emailAddress: `extra${i}@acme.example`, products: ['jira-software'] });
    const total = m.tenant.users().length;
    expect(total).toBe(1010);
    const first = await site(m, '/rest/api/3/users/search?maxResults=5000');
    expect(first.status).toBe(200);
    expect(Array.isArray(first.json)).toBe(true);
    expect(first.json).toHaveLength(1000); // clamped, no total/isLast/nextPage anywhere
    const second = await site(m, '/rest/api/3/users/search?startAt=1000&maxResults=1000');
    expect(second.json).toHaveLength(10);
    const third = await site(m, '/rest/api/3/users/search?startAt=1010&maxResults=1000');
    expect(third.json).toEqual([]); // the only end signal is an empty page
    const ids = [...first.json, ...second.json].map((u: { accountId: string }) => u.accountId);
    expect(ids).toEqual(m.tenant.users().map((u) => u.accountId));
  });

  test('default page is 50 and /users is the same operation', async () => {
    const a = await site(fake, '/rest/api/3/users/search');
    const b = await site(fake, '/rest/api/3/users');
    expect(a.json).toHaveLength(50);
    expect(b.json).toEqual(a.json);
  });

  test('users/search returns inactive, former, app and customer accounts, with emailAddress absent when hidden', async () => {
    const r = await site(fake, '/rest/api/3/users/search?maxResults=100');
    const byId = new Map<string, Record<string, unknown>>(r.json.map((u: Record<string, unknown>) => [u.accountId as string, u]));
    for (const u of fake.tenant.users()) {
      const j = byId.get(u.accountId)!;
      expect(j.accountType).toBe(u.accountType);
      expect(j.active).toBe(fake.tenant.isActiveInJira(u));
      if (u.emailVisible && !u.formerUser) expect(j.emailAddress).toBe(u.email);
      else expect('emailAddress' in j).toBe(false);
      if (u.accountType === 'app' && u.appType) expect(j.appType).toBe(u.appType);
    }
    expect(r.json.some((u: { accountId: string }) => u.accountId.includes(':'))).toBe(true);
    expect(r.json.some((u: { active: boolean }) => !u.active)).toBe(true);
  });

  test('hiddenEmail: "null" renders null instead of leaving the field out', async () => {
    const f = await startFakeAtlassian({ tier: 'S', seed: 1, hiddenEmail: 'null' });
    try {
      const hidden = f.tenant.users().find((u) => !u.emailVisible)!;
      const r = await site(f, `/rest/api/3/user?accountId=${encodeURIComponent(hidden.accountId)}`);
      expect(r.json.emailAddress).toBeNull();
      expectNoValidationErrors(f);
    } finally {
      await f.stop();
    }
  });

  test('user, user/groups, user/bulk and myself', async () => {
    const u = fake.tenant.users().find((x) => x.accountId.includes(':') && fake.tenant.userGroups(x.accountId).length > 1)!;
    const one = await site(fake, `/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}&expand=groups,applicationRoles`);
    expect(one.status).toBe(200);
    expect(one.json.groups.items.map((g: { groupId: string }) => g.groupId).sort()).toEqual(
      fake.tenant
        .userGroups(u.accountId, { jiraOnly: true })
        .map((g) => g.groupId)
        .sort(),
    );
    const groups = await site(fake, `/rest/api/3/user/groups?accountId=${encodeURIComponent(u.accountId)}`);
    expect(groups.json.map((g: { name: string }) => g.name)).toEqual(fake.tenant.userGroups(u.accountId, { jiraOnly: true }).map((g) => g.name));
    const missing = await site(fake, '/rest/api/3/user?accountId=nope');
    expect(missing.status).toBe(404);
    const bulk = await site(fake, `/rest/api/3/user/bulk?accountId=${encodeURIComponent(u.accountId)}&accountId=${encodeURIComponent(fake.tenant.adminAccountId)}`);
    expect(bulk.json.values).toHaveLength(2);
    const me = await site(fake, '/rest/api/3/myself');
    expect(me.json.accountId).toBe(fake.tenant.adminAccountId);
    expect(me.json.locale).toBeDefined();
  });

  test('a user without "Browse users and groups" gets 403 on users/search and group/bulk', async () => {
    const cred = fake.credentials.mintClassicToken({ accountId: fake.tenant.users()[3].accountId, permissions: { browseUsersAndGroups: false, administerJira: false, siteAdmin: false } });
    expect((await call(`${fake.siteUrl}/rest/api/3/users/search`, { auth: cred.authorization })).status).toBe(403);
    expect((await call(`${fake.siteUrl}/rest/api/3/group/bulk`, { auth: cred.authorization })).status).toBe(403);
    expect((await call(`${fake.siteUrl}/rest/api/3/myself`, { auth: cred.authorization })).status).toBe(200);
  });
});

describe('groups', () => {
  test('group/bulk is a PageBean; following nextPage returns every Jira group once', async () => {
    const { values, pages } = await followPageBean<{ groupId: string; name: string }>(m, `${m.siteUrl}/rest/api/3/group/bulk?maxResults=30`);
    expect(pages).toBe(Math.ceil(m.tenant.groups().length / 30));
    expect(values.map((g) => g.groupId)).toEqual(m.tenant.groups().map((g) => g.groupId));
    expectNoValidationErrors(m);
  });

  test('group/member clamps maxResults to 50 and leaves inactive users out unless includeInactiveUsers=true', async () => {
    const g = m.tenant.group('jira-software-users')!;
    const first = await site(m, `/rest/api/3/group/member?groupId=${g.groupId}&maxResults=500`);
    expect(first.json.maxResults).toBe(50);
    expect(first.json.values).toHaveLength(50);
    expect(first.json.isLast).toBe(false);
    expect(first.json.nextPage).toContain('startAt=50');
    const active = await followPageBean<{ accountId: string; active: boolean }>(m, `${m.siteUrl}/rest/api/3/group/member?groupId=${g.groupId}`);
    const all = await followPageBean<{ accountId: string }>(m, `${m.siteUrl}/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=true`);
    expect(active.values.every((u) => u.active)).toBe(true);
    expect(active.values.map((u) => u.accountId)).toEqual(m.tenant.groupMembers(g.groupId, { includeInactive: false }));
    expect(all.values.map((u) => u.accountId)).toEqual(m.tenant.groupMembers(g.groupId));
    expect(all.values.length).toBeGreaterThan(active.values.length);
  });

  test('group names with spaces and non-ASCII work by groupname, and groupId XOR groupname is enforced', async () => {
    const g = fake.tenant.group('Équipe Produit – Paris')!;
    const r = await site(fake, `/rest/api/3/group/member?groupname=${encodeURIComponent(g.name)}&includeInactiveUsers=true`);
    expect(r.status).toBe(200);
    expect(r.json.total).toBe(fake.tenant.groupSize(g.groupId));
    expect((await site(fake, `/rest/api/3/group/member?groupname=x&groupId=${g.groupId}`)).status).toBe(400);
    expect((await site(fake, '/rest/api/3/group/member')).status).toBe(400);
    expect((await site(fake, '/rest/api/3/group/member?groupId=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test("POST/DELETE group/user mutate the tenant; repeats answer 400 with Atlassian's texts; DELETE answers 200", async () => {
    const g = fake.tenant.group('Engineering Team')!;
    const u = fake.tenant.users().find((x) => x.accountType === 'atlassian' && !fake.tenant.isGroupMember(g.groupId, x.accountId))!;
    const add = await site(fake, `/rest/api/3/group/user?groupId=${g.groupId}`, { method: 'POST', body: { accountId: u.accountId } });
    expect(add.status).toBe(201);
    expect(add.json.groupId).toBe(g.groupId);
    expect(fake.tenant.isGroupMember(g.groupId, u.accountId)).toBe(true);
    const again = await site(fake, `/rest/api/3/group/user?groupId=${g.groupId}`, { method: 'POST', body: { accountId: u.accountId } });
    expect(again.status).toBe(400);
    expect(again.json.errorMessages[0]).toContain('User is already a member of');
    const del = await site(fake, `/rest/api/3/group/user?groupId=${g.groupId}&accountId=${encodeURIComponent(u.accountId)}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(fake.tenant.isGroupMember(g.groupId, u.accountId)).toBe(false);
    const delAgain = await site(fake, `/rest/api/3/group/user?groupId=${g.groupId}&accountId=${encodeURIComponent(u.accountId)}`, { method: 'DELETE' });
    expect(delAgain.status).toBe(400);
    expect(delAgain.json.errorMessages[0]).toContain('not a member of');
  });

  test('group writes need site admin (403 otherwise)', async () => {
    const g = fake.tenant.group('Engineering Team')!;
    const cred = fake.credentials.mintClassicToken({ accountId: fake.tenant.users()[4].accountId, permissions: { siteAdmin: false, administerJira: true } });
    const r = await call(`${fake.siteUrl}/rest/api/3/group/user?groupId=${g.groupId}`, { method: 'POST', auth: cred.authorization, body: { accountId: fake.tenant.adminAccountId } });
    expect(r.status).toBe(403);
  });
});

describe('projects and roles', () => {
  test('project/search is a PageBean with isLast/nextPage and maxResults silently clamped to 100', async () => {
    const r = await site(m, '/rest/api/3/project/search?maxResults=500');
    expect(r.status).toBe(200);
    expect(r.json.maxResults).toBe(100);
    expect(r.json.isLast).toBe(true);
    const { values, pages } = await followPageBean<{ id: string; key: string }>(m, `${m.siteUrl}/rest/api/3/project/search?maxResults=20&expand=lead`);
    expect(pages).toBe(3);
    expect(values.map((p) => p.key)).toEqual(
      m.tenant
        .projects()
        .map((p) => p.key)
        .sort(),
    );
    const none = await site(m, '/rest/api/3/project/search?query=zzzz-no-such');
    expect(none.status).toBe(404);
  });

  test('role actors are unpaged; a project without actors; a role with only group actors; excludeInactiveUsers', async () => {
    const t = fake.tenant;
    const [p0, p1] = t.projects();
    const empty = await site(fake, `/rest/api/3/project/${p0.key}/role/10002`);
    expect(empty.json.actors).toEqual([]);
    const dev = await site(fake, `/rest/api/3/project/${p1.id}/role/10000`);
    expect(dev.json.actors.length).toBeGreaterThan(0);
    expect(dev.json.actors.every((a: { type: string }) => a.type === 'atlassian-group-role-actor')).toBe(true);
    for (const p of t.projects()) {
      for (const role of t.roles()) {
        const r = await site(fake, `/rest/api/3/project/${p.key}/role/${role.id}`);
        if (t.projectRoles(p.id).length === 0) {
          // a team-managed project without roles: its role ids do not exist there
          expect(r.status).toBe(404);
          continue;
        }
        const truth = t.roleActors(p.id, role.id);
        const users = r.json.actors.filter((a: { actorUser?: unknown }) => a.actorUser).map((a: { actorUser: { accountId: string } }) => a.actorUser.accountId);
        const groups = r.json.actors.filter((a: { actorGroup?: unknown }) => a.actorGroup).map((a: { actorGroup: { groupId: string } }) => a.actorGroup.groupId);
        expect(users.sort()).toEqual([...truth.users].sort());
        expect(groups.sort()).toEqual([...truth.groups].sort());
      }
    }
    // excludeInactiveUsers
    const inactive = t.users().find((u) => !t.isActiveInJira(u) && u.inJira && !u.formerUser)!;
    t.addRoleActorUser(p1.id, 10001, inactive.accountId);
    const withInactive = await site(fake, `/rest/api/3/project/${p1.id}/role/10001`);
    const without = await site(fake, `/rest/api/3/project/${p1.id}/role/10001?excludeInactiveUsers=true`);
    expect(withInactive.json.actors.length).toBe(without.json.actors.length + 1);
    t.removeRoleActorUser(p1.id, 10001, inactive.accountId);
  });

  test('a team-managed project without roles lists none', async () => {
    const t = fake.tenant;
    const p = t.projects().find((x) => t.projectRoles(x.id).length === 0)!;
    expect(p.style).toBe('next-gen');
    expect((await site(fake, `/rest/api/3/project/${p.key}/roledetails`)).json).toEqual([]);
    expect((await site(fake, `/rest/api/3/project/${p.key}/role`)).json).toEqual({});
  });

  test('roledetails, project/{k}/role map, GET project, role and applicationrole', async () => {
    const p = fake.tenant.projects()[1];
    const details = await site(fake, `/rest/api/3/project/${p.key}/roledetails`);
    expect(details.json.map((r: { id: number }) => r.id)).toEqual(fake.tenant.roles().map((r) => r.id));
    const map = await site(fake, `/rest/api/3/project/${p.key}/role`);
    expect(Object.keys(map.json)).toEqual(fake.tenant.roles().map((r) => r.name));
    expect(Object.values(map.json)[0]).toMatch(new RegExp(`/project/${p.id}/role/\\d+$`));
    const proj = await site(fake, `/rest/api/3/project/${p.id}`);
    expect(proj.json.lead.accountId).toBe(p.leadAccountId);
    expect((await site(fake, '/rest/api/3/role')).json).toHaveLength(fake.tenant.roles().length);
    const app = await site(fake, '/rest/api/3/applicationrole');
    expect(app.json.map((r: { key: string }) => r.key)).toEqual(['jira-software', 'jira-servicedesk', 'jira-product-discovery']);
    expect(app.json[0].userCount).toBe(fake.tenant.applicationRoles()[0].userCount);
    expect((await site(fake, '/rest/api/3/permissionscheme?expand=permissions')).json.permissionSchemes[0].permissions.length).toBeGreaterThan(0);
    expect((await site(fake, `/rest/api/3/project/${p.key}/permissionscheme`)).status).toBe(200);
  });

  test('project-role endpoints answer 401/404 like Atlassian for non-admins; 404 for unknown projects', async () => {
    const p = fake.tenant.projects()[1];
    const cred = fake.credentials.mintClassicToken({
      accountId: fake.tenant.users()[5].accountId,
      permissions: { administerJira: false, siteAdmin: false, administerProjects: [], browseProjects: true },
    });
    const a = cred.authorization;
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/role`, { auth: a })).status).toBe(401);
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/roledetails`, { auth: a })).status).toBe(404);
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/role/10002`, { auth: a })).status).toBe(404);
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/role/10002`, { auth: a, method: 'POST', body: { user: [fake.tenant.adminAccountId] } })).status).toBe(401);
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/role/10002?user=${encodeURIComponent(fake.tenant.adminAccountId)}`, { auth: a, method: 'DELETE' })).status).toBe(404);
    expect((await call(`${fake.siteUrl}/rest/api/3/project/${p.key}/permissionscheme`, { auth: a })).status).toBe(403);
    expect((await call(`${fake.siteUrl}/rest/api/3/role`, { auth: a })).status).toBe(403);
    expect((await call(`${fake.siteUrl}/rest/api/3/applicationrole`, { auth: a })).status).toBe(403);
    expect((await site(fake, '/rest/api/3/project/NOPE/role/10002')).status).toBe(404);
    expect((await site(fake, `/rest/api/3/project/${p.key}/role/99999`)).status).toBe(404);
  });

  test('POST/DELETE role actors mutate the tenant; duplicates answer "already a member of the project role."; DELETE answers 204', async () => {
    const t = fake.tenant;
    const p = t.projects()[2];
    const u = t.users().find((x) => t.isActiveInJira(x) && x.accountType === 'atlassian' && !t.roleActors(p.id, 10001).users.includes(x.accountId))!;
    const g = t.groups().find((x) => !x.system && !t.roleActors(p.id, 10001).groups.includes(x.groupId))!;
    const add = await site(fake, `/rest/api/3/project/${p.key}/role/10001`, { method: 'POST', body: { user: [u.accountId], groupId: [g.groupId] } });
    expect(add.status).toBe(200);
    expect(t.roleActors(p.id, 10001).users).toContain(u.accountId);
    expect(t.roleActors(p.id, 10001).groups).toContain(g.groupId);
    expect(add.json.actors.length).toBe(t.roleActors(p.id, 10001).users.length + t.roleActors(p.id, 10001).groups.length);
    const dup = await site(fake, `/rest/api/3/project/${p.key}/role/10001`, { method: 'POST', body: { user: [u.accountId] } });
    expect(dup.status).toBe(400);
    expect(dup.json.errorMessages[0]).toContain('already a member of the project role.');
    const inactive = t.users().find((x) => !t.isActiveInJira(x) && x.inJira)!;
    expect((await site(fake, `/rest/api/3/project/${p.key}/role/10001`, { method: 'POST', body: { user: [inactive.accountId] } })).status).toBe(404);
    const del = await site(fake, `/rest/api/3/project/${p.key}/role/10001?user=${encodeURIComponent(u.accountId)}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    const delG = await site(fake, `/rest/api/3/project/${p.key}/role/10001?groupId=${g.groupId}`, { method: 'DELETE' });
    expect(delG.status).toBe(204);
    expect(t.roleActors(p.id, 10001).groups).not.toContain(g.groupId);
    expect((await site(fake, `/rest/api/3/project/${p.key}/role/10001?user=${encodeURIComponent(u.accountId)}`, { method: 'DELETE' })).status).toBe(404);
    expect((await site(fake, `/rest/api/3/project/${p.key}/role/10001?user=a&groupId=b`, { method: 'DELETE' })).status).toBe(400);
  });
});

describe('users: create and delete, search/jql, gateway and v2 paths', () => {
  test('POST /user creates (201) and DELETE /user removes from the site (204)', async () => {
    const created = await site(fake, '/rest/api/3/user', { method: 'POST', body: { emailAddress: 'created.one@acme.example', products: ['jira-software'] } });
    expect(created.status).toBe(201);
    const id = created.json.accountId as string;
    expect(fake.tenant.user(id)?.inJira).toBe(true);
    expect(fake.tenant.groupMembers(fake.tenant.group('jira-software-users')!.groupId)).toContain(id);
    const existingNoAccess = fake.tenant.orgUsers().find((u: TenantUser) => !u.inJira)!;
    expect((await site(fake, '/rest/api/3/user', { method: 'POST', body: { emailAddress: existingNoAccess.email, products: [] } })).status).toBe(400);
    expect((await site(fake, '/rest/api/3/user', { method: 'POST', body: { emailAddress: 'x@acme.example', products: ['confluence'] } })).status).toBe(400);
    const del = await site(fake, `/rest/api/3/user?accountId=${encodeURIComponent(id)}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(fake.tenant.users().map((u) => u.accountId)).not.toContain(id);
    expect((await site(fake, `/rest/api/3/user?accountId=${encodeURIComponent(id)}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('search/jql pages with nextPageToken (no total), rejects unbounded JQL', async () => {
    const t = m.tenant;
    const p = t.projects()[3];
    const truth = t.issues().filter((i) => i.projectId === p.id);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await site(
        m,
        `/rest/api/3/search/jql?jql=${encodeURIComponent(`project = ${p.key} ORDER BY key`)}&maxResults=1&fields=key${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`,
      );
      expect(r.status).toBe(200);
      expect(r.json.total).toBeUndefined();
      seen.push(...r.json.issues.map((i: { key: string }) => i.key));
      token = r.json.nextPageToken;
      pages++;
      if (!token) expect(r.json.isLast).toBe(true);
    } while (token);
    expect(pages).toBe(truth.length);
    expect(seen.sort()).toEqual(truth.map((i) => i.key).sort());
    const post = await site(m, '/rest/api/3/search/jql', { method: 'POST', body: { jql: `assignee = "${truth[0].assigneeAccountId ?? 'nobody'}"`, fields: ['assignee'] } });
    expect(post.status).toBe(200);
    expect((await site(m, '/rest/api/3/search/jql?jql=order%20by%20key')).status).toBe(400);
  });

  test('gateway form serves the same operations with gateway self links; /rest/api/2 is served too', async () => {
    const r = await gw(fake, '/rest/api/3/group/bulk?maxResults=2');
    expect(r.status).toBe(200);
    expect(r.json.nextPage.startsWith(fake.gatewayUrl)).toBe(true);
    const v2 = await site(fake, '/rest/api/2/project/search');
    expect(v2.status).toBe(200);
    expect(v2.json.values[0].self).toContain('/rest/api/2/project/');
    const info = await call(`${fake.siteUrl}/_edge/tenant_info`);
    expect(info.json).toEqual({ cloudId: fake.cloudId });
    expect((await call(`${fake.apiUrl}/ex/jira/not-my-cloud/rest/api/3/myself`, { auth: fake.credentials.scoped.authorization })).status).toBe(404);
  });
});
