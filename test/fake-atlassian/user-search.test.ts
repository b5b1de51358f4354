/** The fake's GET /user/search and GET /mypermissions. */
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian/index';
import { site, call } from './test-helpers';

let fake: FakeAtlassian;
beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 5 });
});
afterAll(async () => fake?.stop());

test('user/search finds active users by email (even hidden) and by name prefix; empty without Browse users and groups', async () => {
  const t = fake.tenant;
  const hidden = t.users().find((u) => !u.emailVisible && t.isActiveInJira(u) && u.accountType === 'atlassian')!;
  const r = await site<{ accountId: string }[]>(fake, `/rest/api/3/user/search?query=${encodeURIComponent(hidden.email)}`);
  expect(r.status).toBe(200);
  expect(r.json.map((u) => u.accountId)).toEqual([hidden.accountId]);
  const first = hidden.displayName.split(' ')[0];
  const byName = await site<{ accountId: string }[]>(fake, `/rest/api/3/user/search?query=${encodeURIComponent(first)}&maxResults=1000`);
  expect(byName.json.map((u) => u.accountId)).toContain(hidden.accountId);
  const inactive = t.users().find((u) => !t.isActiveInJira(u))!;
  const none = await site<unknown[]>(fake, `/rest/api/3/user/search?query=${encodeURIComponent(inactive.email)}`);
  expect(none.json).toEqual([]);
  const weak = fake.credentials.mintClassicToken({ permissions: { browseUsersAndGroups: false } });
  const empty = await call<unknown[]>(`${fake.siteUrl}/rest/api/3/user/search?query=${encodeURIComponent(hidden.email)}`, { auth: weak.authorization });
  expect([empty.status, empty.json]).toEqual([200, []]);
  expect(fake.validationErrors).toEqual([]);
});

test('mypermissions answers havePermission per key', async () => {
  const r = await site<{ permissions: Record<string, { havePermission: boolean }> }>(fake, '/rest/api/3/mypermissions?permissions=ADMINISTER,USER_PICKER');
  expect(r.status).toBe(200);
  expect(r.json.permissions.ADMINISTER.havePermission).toBe(true);
  const weak = fake.credentials.mintClassicToken({ permissions: { administerJira: false } });
  const w = await call<{ permissions: Record<string, { havePermission: boolean }> }>(`${fake.siteUrl}/rest/api/3/mypermissions?permissions=ADMINISTER`, { auth: weak.authorization });
  expect(w.json.permissions.ADMINISTER.havePermission).toBe(false);
  expect(fake.validationErrors).toEqual([]);
});
