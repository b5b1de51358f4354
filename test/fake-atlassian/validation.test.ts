/** OpenAPI validation: requests that break Atlassian's documents are rejected; normal traffic is clean. */
import { startFakeAtlassian, type FakeAtlassian } from '../../src/fake-atlassian/index';
import { admin, call, expectNoValidationErrors, gw, site, takeValidationErrors } from './test-helpers';

let fake: FakeAtlassian;

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 5 });
});
afterAll(() => fake.stop());
afterEach(() => expectNoValidationErrors(fake));

async function expectRejected(p: Promise<{ status: number; json: any; headers: Headers }>, operation: string, problem: RegExp): Promise<void> {
  const r = await p;
  expect(r.status).toBe(400);
  expect(r.headers.get('x-fake-atlassian-validation')).toBe('request');
  const issues = takeValidationErrors(fake);
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatchObject({ direction: 'request', operation });
  expect(issues[0].problems.join(' | ')).toMatch(problem);
  const text = JSON.stringify(r.json);
  expect(text).toContain(operation);
}

describe('requests that break the documents are answered 400, naming the operation', () => {
  test('wrong-typed query parameters', async () => {
    await expectRejected(site(fake, '/rest/api/3/users/search?startAt=abc'), 'getAllUsers', /startAt.*integer/);
    await expectRejected(site(fake, '/rest/api/3/project/search?maxResults=1.5'), 'searchProjects', /maxResults.*integer/);
  });

  test('includeInactiveUsers=1 (Jira would silently read it as false) is rejected', async () => {
    const g = fake.tenant.groups()[0];
    await expectRejected(site(fake, `/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=1`), 'getUsersFromGroup', /includeInactiveUsers.*true or false/);
  });

  test('enum violations and undocumented query parameters', async () => {
    await expectRejected(site(fake, '/rest/api/3/project/search?orderBy=popularity'), 'searchProjects', /orderBy.*allowed values/);
    const g = fake.tenant.groups()[0];
    await expectRejected(site(fake, `/rest/api/3/group/member?groupId=${g.groupId}&includeInactive=true`), 'getUsersFromGroup', /'includeInactive' is not documented/);
  });

  test('wrong-typed path parameters', async () => {
    await expectRejected(site(fake, `/rest/api/3/project/${fake.tenant.projects()[1].key}/role/admins`), 'getProjectRole', /path parameter 'id'.*integer/);
  });

  test('bad JSON bodies: wrong type, unknown property, not JSON, missing', async () => {
    const g = fake.tenant.groups()[0];
    await expectRejected(site(fake, `/rest/api/3/group/user?groupId=${g.groupId}`, { method: 'POST', body: { accountId: 12345 } }), 'addUserToGroup', /body\/accountId must be string/);
    const p = fake.tenant.projects()[1];
    await expectRejected(site(fake, `/rest/api/3/project/${p.key}/role/10001`, { method: 'POST', body: { users: [fake.tenant.adminAccountId] } }), 'addActorUsers', /additional properties 'users'/);
    await expectRejected(site(fake, `/rest/api/3/group/user?groupId=${g.groupId}`, { method: 'POST', body: '{"accountId": ' }), 'addUserToGroup', /not valid JSON/);
    await expectRejected(site(fake, '/rest/api/3/user', { method: 'POST' }), 'createUser', /request body is required/);
    await expectRejected(site(fake, '/rest/api/3/user', { method: 'POST', body: { emailAddress: 'a@acme.example' } }), 'createUser', /required property 'products'/);
  });

  test('admin and user-management documents too (ADMIN-400-xx envelope)', async () => {
    const g = fake.tenant.directoryGroups().find((x) => !x.externalSynced)!;
    const r = admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/groups/${g.groupId}/memberships`, { method: 'POST', body: { accountId: fake.tenant.adminAccountId } });
    await expectRejected(r, 'addUserToGroup', /required property 'account_id'/);
    await expectRejected(admin(fake, '/users/bad%20id!/manage/api-tokens'), 'getApiTokens', /account_id.*pattern/);
    await expectRejected(admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/users?status=sleeping`), 'getDirectoryUsers', /status.*allowed values/);
    await expectRejected(call(fake.authUrl, { method: 'POST', body: { client_id: 'x' } }), 'oauthToken', /grant_type/);
  });

  test('unknown routes are recorded and answered 404/405', async () => {
    const r = await site(fake, '/rest/api/3/groups/picker');
    expect(r.status).toBe(404);
    const m = await site(fake, '/rest/api/3/myself', { method: 'DELETE' });
    expect(m.status).toBe(405);
    const issues = takeValidationErrors(fake);
    expect(issues.map((i) => i.direction)).toEqual(['route', 'route']);
  });
});

describe('response validation catches the fake itself', () => {
  test('a response that breaks the document is recorded with the operation and flagged in a header', async () => {
    const p = fake.tenant.projects()[1];
    const saved = p.projectTypeKey;
    (p as { projectTypeKey: string }).projectTypeKey = 'quantum'; // not in the documented enum
    try {
      const r = await site(fake, `/rest/api/3/project/${p.key}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-fake-atlassian-validation')).toBe('response');
      const issues = takeValidationErrors(fake);
      expect(issues).toEqual([expect.objectContaining({ direction: 'response', operation: 'getProject', status: 200, document: 'jira-platform.openapi.json' })]);
      expect(issues[0].problems.join()).toMatch(/projectTypeKey/);
    } finally {
      p.projectTypeKey = saved;
    }
  });
});

describe('validation modes', () => {
  test("'requests' validates requests only; 'off' lets anything through", async () => {
    const off = await startFakeAtlassian({ tier: 'S', validate: 'off' });
    const req = await startFakeAtlassian({ tier: 'S', validate: 'requests' });
    try {
      expect((await site(off, '/rest/api/3/users/search?startAt=abc&bogus=1')).status).toBe(200);
      expect(off.validationErrors).toEqual([]);
      expect((await site(req, '/rest/api/3/users/search?startAt=abc')).status).toBe(400);
      const p = req.tenant.projects()[1];
      (p as { projectTypeKey: string }).projectTypeKey = 'quantum';
      expect((await site(req, `/rest/api/3/project/${p.key}`)).status).toBe(200);
      expect(req.validationErrors.map((i) => i.direction)).toEqual(['request']);
    } finally {
      await Promise.all([off.stop(), req.stop()]);
    }
  });
});

describe('normal traffic produces zero validation errors', () => {
  test('a crawl over every read endpoint, on the site URL and the gateway', async () => {
    const t = fake.tenant;
    const p = t.projects()[1];
    const u = t.users().find((x) => x.accountId.includes(':'))!;
    const g = t.group('Équipe Produit – Paris')!;
    const enc = encodeURIComponent;
    const jira = [
      '/rest/api/3/myself?expand=groups,applicationRoles',
      '/rest/api/3/serverInfo',
      '/rest/api/3/users/search?maxResults=1000',
      '/rest/api/3/users?startAt=10',
      `/rest/api/3/user?accountId=${enc(u.accountId)}&expand=groups,applicationRoles`,
      `/rest/api/3/user/groups?accountId=${enc(u.accountId)}`,
      `/rest/api/3/user/bulk?accountId=${enc(u.accountId)}`,
      '/rest/api/3/group/bulk?accessType=admin',
      `/rest/api/3/group/bulk?groupName=${enc(g.name)}&applicationKey=jira-software`,
      `/rest/api/3/group/member?groupname=${enc(g.name)}&includeInactiveUsers=true&startAt=0&maxResults=50`,
      '/rest/api/3/project/search?expand=lead,description,url&orderBy=-name&typeKey=software,business&status=live',
      `/rest/api/3/project/${p.key}?expand=lead`,
      `/rest/api/3/project/${p.id}/role`,
      `/rest/api/3/project/${p.key}/roledetails?currentMember=false&excludeConnectAddons=true`,
      ...t.roles().map((r) => `/rest/api/3/project/${p.key}/role/${r.id}?excludeInactiveUsers=false`),
      '/rest/api/3/role',
      '/rest/api/3/role/10002',
      '/rest/api/3/applicationrole',
      '/rest/api/3/applicationrole/jira-software',
      '/rest/api/3/permissionscheme?expand=all',
      `/rest/api/3/project/${p.key}/permissionscheme?expand=permissions`,
      `/rest/api/3/search/jql?jql=${enc(`project = ${p.key} AND assignee != EMPTY ORDER BY updated DESC`)}&fields=*all&maxResults=2`,
    ];
    for (const path of jira) {
      for (const r of [await site(fake, path), await gw(fake, path)]) expect([path, r.status]).toEqual([path, 200]);
    }
    const org = `/admin/v1/orgs/${fake.orgId}`;
    const v2 = `/admin/v2/orgs/${fake.orgId}/directories`;
    const adminPaths = [
      '/admin/v1/orgs',
      org,
      `${org}/users`,
      `${org}/directory/users/${enc(t.adminAccountId)}/last-active-dates`,
      v2,
      `${v2}/-/users?limit=5&groupIds=${g.groupId}`,
      `${v2}/-/users?claimStatus=managed&accountStatus=active&membershipStatus=active&emailDomains=acme.example&searchTerm=a&mfaEnabled=true`,
      `${v2}/-/groups?counts=true&searchTerm=team`,
      `${v2}/-/users/${enc(t.adminAccountId)}`,
      `${v2}/-/groups/${g.groupId}`,
      `/users/${enc(t.adminAccountId)}/manage/api-tokens`,
    ];
    for (const path of adminPaths) expect([path, (await admin(fake, path)).status]).toEqual([path, 200]);
    for (const [path, body] of [
      [`${v2}/-/users/search`, { expand: ['groups', 'productAccess', 'platformRoles', 'counts.resources'], limit: 100 }],
      [`${v2}/-/groups/search`, { expand: ['counts.users', 'counts.resources'] }],
      [`/admin/v2/orgs/${fake.orgId}/workspaces`, {}],
    ] as const) {
      expect([path, (await admin(fake, path, { method: 'POST', body })).status]).toEqual([path, 200]);
    }
    expect(fake.validationErrors).toEqual([]);
  });
});
