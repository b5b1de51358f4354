/** Organization admin API: v1 full-URL paging, v2 cursor tokens, envelopes, writes, user management API. */
import { startFakeAtlassian, type FakeAtlassian } from '../../src/fake-atlassian/index';
import { admin, call, expectNoValidationErrors, site, takeValidationErrors } from './test-helpers';

let fake: FakeAtlassian;

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'M', seed: 3, adminV1PageSize: 100 });
});
afterAll(() => fake.stop());
afterEach(() => expectNoValidationErrors(fake));

const enc = encodeURIComponent;

describe('v1', () => {
  test('GET /admin/v1/orgs and /orgs/{orgId}', async () => {
    const orgs = await admin(fake, '/admin/v1/orgs');
    expect(orgs.json.data).toEqual([expect.objectContaining({ id: fake.orgId, type: 'orgs', attributes: { name: 'Acme Corp' } })]);
    expect((await admin(fake, `/admin/v1/orgs/${fake.orgId}`)).json.data.id).toBe(fake.orgId);
    const missing = await admin(fake, '/admin/v1/orgs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0]).toMatchObject({ status: '404', code: 'ADMIN-404-2', title: expect.any(String), detail: expect.any(String), id: expect.any(String) });
  });

  test('managed accounts page with links.next as a FULL URL over several pages', async () => {
    let url: string | undefined = `${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/users`;
    const ids: string[] = [];
    let pages = 0;
    while (url) {
      const r: Awaited<ReturnType<typeof call>> = await call(url, { auth: fake.credentials.orgApiKey.authorization });
      expect(r.status).toBe(200);
      const body = r.json as { data: Array<{ account_id: string; email?: string }>; meta: { total: number }; links: { next?: string } };
      expect(body.meta.total).toBe(fake.tenant.orgUsers().length);
      ids.push(...body.data.map((u) => u.account_id));
      if (body.links.next) expect(body.links.next.startsWith(`${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/users?cursor=`)).toBe(true);
      url = body.links.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(fake.tenant.orgUsers().length / 100));
    expect(pages).toBeGreaterThan(3);
    expect(ids).toEqual(fake.tenant.orgUsers().map((u) => u.accountId));
    // managed accounts without Jira access are included; hidden-in-Jira emails are still known to the admin API
    const noSite = fake.tenant.orgUsers().find((u) => !u.inJira)!;
    expect(ids).toContain(noSite.accountId);
    const bad = await admin(fake, `/admin/v1/orgs/${fake.orgId}/users?cursor=garbage`);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].code).toBe('ADMIN-400-1');
  });

  test('v1 email is present for managed accounts even when Jira hides it', async () => {
    const hidden = fake.tenant.orgUsers().find((u) => !u.emailVisible && u.inJira)!;
    const idx = fake.tenant.orgUsers().indexOf(hidden);
    let url: string | undefined = `${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/users`;
    for (let i = 0; i < Math.floor(idx / 100); i++) url = (await call(url as string, { auth: fake.credentials.orgApiKey.authorization })).json.links.next;
    const page = await call(url as string, { auth: fake.credentials.orgApiKey.authorization });
    const row = page.json.data.find((u: { account_id: string }) => u.account_id === hidden.accountId);
    expect(row.email).toBe(hidden.email);
    const jira = await site(fake, `/rest/api/3/user?accountId=${enc(hidden.accountId)}`);
    expect(jira.json.emailAddress).toBeUndefined();
  });

  test('last-active-dates, suspend-access and restore-access (Jira then reports active=false)', async () => {
    const u = fake.tenant.users().find((x) => x.claimStatus === 'managed' && x.accountType === 'atlassian' && fake.tenant.isActiveInJira(x) && x.index > 1)!;
    const lad = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/users/${enc(u.accountId)}/last-active-dates`);
    expect(lad.status).toBe(200);
    expect(lad.json.data.added_to_org).toBe(u.addedToOrg.slice(0, 10));
    const sus = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/users/${enc(u.accountId)}/suspend-access`, { method: 'POST' });
    expect(sus.status).toBe(200);
    expect(sus.json.message).toContain('suspended');
    expect(fake.tenant.user(u.accountId)!.suspended).toBe(true);
    expect((await site(fake, `/rest/api/3/user?accountId=${enc(u.accountId)}`)).json.active).toBe(false);
    expect((await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/users/${enc(u.accountId)}/restore-access`, { method: 'POST' })).status).toBe(200);
    expect(fake.tenant.user(u.accountId)!.suspended).toBe(false);
    const nobody = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/users/nobody/last-active-dates`);
    expect(nobody.status).toBe(404);
    expect(nobody.json.errors[0].code).toBe('ADMIN-404-8');
  });

  test('v1 group memberships (snake_case body); IdP-synced groups are refused with ADMIN-403-5', async () => {
    const t = fake.tenant;
    const g = t.directoryGroups(t.directories()[0].directoryId).find((x) => !x.externalSynced && x.name.startsWith('team-'))!;
    const u = t.users().find((x) => x.directoryId === g.directoryId && x.accountType === 'atlassian' && !t.isGroupMember(g.groupId, x.accountId))!;
    const add = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/groups/${g.groupId}/memberships`, { method: 'POST', body: { account_id: u.accountId } });
    expect(add.status).toBe(200);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    const del = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/groups/${g.groupId}/memberships/${enc(u.accountId)}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
    const synced = t.directoryGroups().find((x) => x.externalSynced)!;
    const refused = await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/groups/${synced.groupId}/memberships`, { method: 'POST', body: { account_id: u.accountId } });
    expect(refused.status).toBe(403);
    expect(refused.json.errors[0].code).toBe('ADMIN-403-5');
    const system = t.groups().find((x) => x.system)!;
    expect((await admin(fake, `/admin/v1/orgs/${fake.orgId}/directory/groups/${system.groupId}/memberships`, { method: 'POST', body: { account_id: u.accountId } })).json.errors[0].code).toBe(
      'ADMIN-404-10',
    );
  });

  test('workspaces (POST, body cursor rules) expose the Jira site hostUrl', async () => {
    const r = await admin(fake, `/admin/v2/orgs/${fake.orgId}/workspaces`, { method: 'POST', body: { limit: 1 } });
    expect(r.status).toBe(200);
    expect(r.json.data[0].attributes.hostUrl).toBe(fake.siteUrl);
    const next = r.json.links.next as string;
    expect(next.startsWith('http')).toBe(false);
    const page2 = await admin(fake, `/admin/v2/orgs/${fake.orgId}/workspaces`, { method: 'POST', body: { cursor: next } });
    expect(page2.json.data[0].attributes.typeKey).toBe('confluence');
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/workspaces`, { method: 'POST', body: { cursor: next, limit: 5 } })).status).toBe(400);
  });
});

describe('v2 directory API (hand-written schemas, atlassian-api.md §4.2)', () => {
  test('directories list', async () => {
    const r = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories`);
    expect(r.json.data).toEqual(fake.tenant.directories());
  });

  test('users list pages with cursor tokens (not URLs), default 20, max 100', async () => {
    const base = `/admin/v2/orgs/${fake.orgId}/directories/-/users`;
    const first = await admin(fake, base);
    expect(first.json.data).toHaveLength(20);
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await admin(fake, cursor ? `${base}?cursor=${enc(cursor)}` : `${base}?limit=100`);
      expect(r.status).toBe(200);
      ids.push(...r.json.data.map((u: { accountId: string }) => u.accountId));
      cursor = r.json.links.next ?? undefined;
      if (cursor) expect(cursor).not.toMatch(/^https?:/);
      pages++;
    } while (cursor);
    expect(ids).toEqual(fake.tenant.directoryUsers().map((u) => u.accountId));
    expect(pages).toBe(Math.ceil(fake.tenant.directoryUsers().length / 100));
    const tooBig = await admin(fake, `${base}?limit=500`);
    expect(tooBig.status).toBe(400);
    expect(tooBig.json.errors[0].code).toBe('ADMIN-400-4');
    expect(takeValidationErrors(fake)).toEqual([expect.objectContaining({ direction: 'request', operation: 'getDirectoryUsers', problems: ["query parameter 'limit' must be <= 100"] })]);
  });

  test('users search (POST) with filters and expansions; the cursor carries the query', async () => {
    const t = fake.tenant;
    const dir = t.directories()[0].directoryId;
    const g = t.directoryGroups(dir).find((x) => t.groupSize(x.groupId) > 12)!;
    const url = `/admin/v2/orgs/${fake.orgId}/directories/${dir}/users/search`;
    const first = await admin(fake, url, { method: 'POST', body: { limit: 10, groupIds: [g.groupId], expand: ['groups', 'productAccess', 'platformRoles'] } });
    expect(first.status).toBe(200);
    const got = [...first.json.data];
    let cursor = first.json.links.next;
    while (cursor) {
      const r = await admin(fake, url, { method: 'POST', body: { cursor } });
      got.push(...r.json.data);
      cursor = r.json.links.next;
    }
    expect(got.map((u: { accountId: string }) => u.accountId).sort()).toEqual(
      t
        .directoryGroupMembers(dir, g.groupId)
        .filter((id) => t.user(id)!.directoryId === dir)
        .sort(),
    );
    expect(got.every((u: { groups: Array<{ id: string }> }) => u.groups.some((x) => x.id === g.groupId))).toBe(true);
    const managed = await admin(fake, url, { method: 'POST', body: { claimStatus: 'unmanaged', limit: 100 } });
    expect(managed.json.data.every((u: { claimStatus: string }) => u.claimStatus === 'unmanaged')).toBe(true);
    expect((await admin(fake, url, { method: 'POST', body: { searchTerm: 'a', emails: ['x@y.z'] } })).status).toBe(400);
    const site = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/users?limit=100&resourceIds=${enc(`ari:cloud:jira::site/${fake.cloudId}`)}&status=suspended`);
    expect(site.json.data.map((u: { accountId: string }) => u.accountId).sort()).toEqual(
      t
        .directoryUsers()
        .filter((u) => u.inJira && u.suspended && u.accountStatus === 'active')
        .map((u) => u.accountId)
        .sort(),
    );
  });

  test('groups list and search; counts; externalSynced; single group and user details', async () => {
    const t = fake.tenant;
    const all: Array<{ id: string; externalSynced: boolean; counts?: { users: number } }> = [];
    let cursor: string | undefined;
    do {
      const r = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/groups?limit=50&counts=true${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      all.push(...r.json.data);
      cursor = r.json.links.next ?? undefined;
    } while (cursor);
    expect(all.map((g) => g.id)).toEqual(t.directoryGroups().map((g) => g.groupId));
    expect(all.some((g) => g.externalSynced)).toBe(true);
    expect(all[0].counts!.users).toBe(t.groupSize(all[0].id));
    const byName = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/groups/search`, { method: 'POST', body: { groupNames: ['ENGINEERING TEAM'], expand: ['counts.users'] } });
    expect(byName.json.data).toHaveLength(1);
    expect(byName.json.data[0].name).toBe('Engineering Team');
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/groups/search`, { method: 'POST', body: { groupNames: ['a'], searchTerm: 'b' } })).status).toBe(400);
    const one = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/groups/${all[0].id}`);
    expect(one.json.data.id).toBe(all[0].id);
    const u = await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/users/${enc(t.adminAccountId)}`);
    expect(u.json.data.accountId).toBe(t.adminAccountId);
  });

  test('v2 memberships add/remove (camelCase body, 204); "-" is refused on writes; synced groups refused', async () => {
    const t = fake.tenant;
    const dir = t.directories()[0].directoryId;
    const g = t.directoryGroups(dir).find((x) => !x.externalSynced && x.name.startsWith('team-'))!;
    const u = t.users().find((x) => x.directoryId === dir && !t.isGroupMember(g.groupId, x.accountId))!;
    const path = `/admin/v2/orgs/${fake.orgId}/directories/${dir}/groups/${g.groupId}/memberships`;
    const add = await admin(fake, path, { method: 'POST', body: { accountId: u.accountId } });
    expect(add.status).toBe(204);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    const viaJira = await site(fake, `/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=true&maxResults=50`);
    expect(viaJira.json.total).toBe(t.groupSize(g.groupId));
    expect((await admin(fake, `${path}/${enc(u.accountId)}`, { method: 'DELETE' })).status).toBe(204);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/-/groups/${g.groupId}/memberships`, { method: 'POST', body: { accountId: u.accountId } })).status).toBe(400);
    const labsUser = t.directoryUsers(t.directories()[1].directoryId)[0];
    const cross = await admin(fake, path, { method: 'POST', body: { accountId: labsUser.accountId } });
    expect(cross.status).toBe(400);
    const synced = t.directoryGroups(dir).find((x) => x.externalSynced)!;
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/${dir}/groups/${synced.groupId}/memberships`, { method: 'POST', body: { accountId: u.accountId } })).status).toBe(403);
    const v1Body = await admin(fake, path, { method: 'POST', body: { account_id: u.accountId } }); // v1 body on v2
    expect(v1Body.status).toBe(400);
    expect(v1Body.json.errors[0].code).toBe('ADMIN-400-24');
    expect(takeValidationErrors(fake)).toHaveLength(1);
  });

  test('v2 suspend/restore', async () => {
    const t = fake.tenant;
    const dir = t.directories()[0].directoryId;
    const u = t.users().find((x) => x.directoryId === dir && !x.suspended && x.accountStatus === 'active' && x.index > 1)!;
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/${dir}/users/${enc(u.accountId)}/suspend`, { method: 'POST' })).status).toBe(204);
    expect(t.user(u.accountId)!.suspended).toBe(true);
    expect((await admin(fake, `/admin/v2/orgs/${fake.orgId}/directories/${dir}/users/${enc(u.accountId)}/restore`, { method: 'POST' })).status).toBe(204);
    expect(t.user(u.accountId)!.suspended).toBe(false);
  });
});

describe('user management API', () => {
  test('API tokens of a managed user; unmanaged users are forbidden; delete a token', async () => {
    const t = fake.tenant;
    const u = t.orgUsers().find((x) => x.apiTokenCount >= 2)!;
    const r = await admin(fake, `/users/${enc(u.accountId)}/manage/api-tokens`);
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(u.apiTokenCount);
    expect(r.json[0]).toEqual(expect.objectContaining({ id: expect.any(String), label: expect.any(String), createdAt: expect.any(String) }));
    expect((await admin(fake, `/users/${enc(u.accountId)}/manage/api-tokens/${r.json[0].id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(fake, `/users/${enc(u.accountId)}/manage/api-tokens`)).json).toHaveLength(u.apiTokenCount - 1);
    const ext = t.users().find((x) => x.claimStatus === 'unmanaged' && x.accountType === 'atlassian')!;
    expect((await admin(fake, `/users/${enc(ext.accountId)}/manage/api-tokens`)).json).toEqual({ key: 'forbidden' });
    expect((await admin(fake, '/users/unknown-account/manage/api-tokens')).json).toEqual({ key: 'accountNotFound' });
  });
});

describe('a site without an organization', () => {
  test('withOrg: false makes the admin API answer ADMIN-404-2 and lists no orgs', async () => {
    const f = await startFakeAtlassian({ tier: 'S', withOrg: false });
    try {
      expect((await admin(f, '/admin/v1/orgs')).json.data).toEqual([]);
      expect((await admin(f, `/admin/v1/orgs/${f.orgId}/users`)).json.errors[0].code).toBe('ADMIN-404-2');
      expect((await site(f, '/rest/api/3/myself')).status).toBe(200);
      expectNoValidationErrors(f);
    } finally {
      await f.stop();
    }
  });
});
