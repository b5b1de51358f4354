/** The fake's GET /permissions and POST /permissions/check: Jira's answers, from the tenant's schemes and global model. */
import { startFakeAtlassian, type FakeAtlassian } from '../../src/fake-atlassian/index';
import { globalPermissionKeys, globalPermissionsOf, holdsProjectPermission } from '../../src/fake-atlassian/permissions-check';
import { call, expectNoValidationErrors, gw, site } from './test-helpers';

let fake: FakeAtlassian;
beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 1 });
});
afterAll(() => fake.stop());
afterEach(() => expectNoValidationErrors(fake));

test('GET /permissions lists global and project keys, anonymously too', async () => {
  const anon = await call(`${fake.siteUrl}/rest/api/3/permissions`);
  expect(anon.status).toBe(200);
  const perms = anon.json.permissions as Record<string, { type: string }>;
  expect(
    Object.keys(perms)
      .filter((k) => perms[k].type === 'GLOBAL')
      .sort(),
  ).toEqual(globalPermissionKeys().sort());
  expect(perms.BROWSE_PROJECTS.type).toBe('PROJECT');
});

test("permissions/check answers every account's global and project permissions from the model", async () => {
  const t = fake.tenant;
  const projects = t.projects().map((p) => Number(p.id));
  const keys = ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS', 'ADD_COMMENTS'];
  for (const u of t.users()) {
    const r = await gw(fake, '/rest/api/3/permissions/check', {
      method: 'POST',
      body: { accountId: u.accountId, globalPermissions: globalPermissionKeys(), projectPermissions: [{ permissions: keys, projects: [...projects, 99999] }] },
    });
    expect(r.status).toBe(200);
    expect(r.json.globalPermissions.sort()).toEqual(globalPermissionsOf(t, u.accountId).sort());
    for (const k of keys) {
      const got = r.json.projectPermissions.find((x: { permission: string }) => x.permission === k).projects;
      expect([u.accountId, k, got]).toEqual([u.accountId, k, projects.filter((p) => holdsProjectPermission(t, u.accountId, String(p), k))]);
    }
  }
});

test('refusals: another account without Administer Jira (403), unknown keys (400), over 1000 projects (400)', async () => {
  const t = fake.tenant;
  const plain = t.users().find((u) => u.accountType === 'atlassian' && !globalPermissionsOf(t, u.accountId).includes('ADMINISTER') && t.isActiveInJira(u))!;
  const other = t.users().find((u) => u.accountId !== plain.accountId)!;
  const token = fake.credentials.mintClassicToken({ accountId: plain.accountId });
  const forbidden = await call(`${fake.siteUrl}/rest/api/3/permissions/check`, { method: 'POST', auth: token.authorization, body: { accountId: other.accountId, globalPermissions: ['ADMINISTER'] } });
  expect(forbidden.status).toBe(403);
  const self = await call(`${fake.siteUrl}/rest/api/3/permissions/check`, { method: 'POST', auth: token.authorization, body: { globalPermissions: ['USER_PICKER'] } });
  expect(self.status).toBe(200);
  const unknown = await site(fake, '/rest/api/3/permissions/check', { method: 'POST', body: { globalPermissions: ['BROWSE_PROJECTS', 'NOPE'] } });
  expect(unknown.status).toBe(400);
  expect(unknown.json.errors).toEqual({ BROWSE_PROJECTS: 'Unrecognized permission', NOPE: 'Unrecognized permission' });
  const many = await site(fake, '/rest/api/3/permissions/check', {
    method: 'POST',
    body: { projectPermissions: [{ permissions: ['BROWSE_PROJECTS'], projects: Array.from({ length: 1001 }, (_, i) => i + 1) }] },
  });
  expect(many.status).toBe(400);
});
