/**
 * The fake's GET /user/viewissue/search (findUsersWithBrowsePermission), as baton-jira calls it
 * (/rest/api/2/user/viewissue/search?query=.&projectKey=&startAt=&maxResults=50). Ground truth: who
 * can view the project's issues in the tenant model (BROWSE_PROJECTS through the scheme, a
 * team-managed project's role holders), seen through Atlassian's 1,000-user window.
 */
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian/index';
import type { TenantProject, TenantUser } from '../../src/fake-atlassian/index';
import { holdsProjectPermission } from '../../src/fake-atlassian/permissions-check';
import { site, call, expectNoValidationErrors } from './test-helpers';

type U = { accountId: string; displayName: string };

/** Users of the window [startAt, min(startAt + max, 1000)) of the user list who are active and can view the project's issues. */
function expectedPage(fake: FakeAtlassian, p: TenantProject, startAt: number, max: number): string[] {
  const t = fake.tenant;
  const b = t.issueBrowsers(p.id);
  return t
    .users()
    .slice(startAt, Math.min(startAt + max, 1000))
    .filter((u) => t.isActiveInJira(u) && (b.anyone || b.accountIds.has(u.accountId)))
    .map((u) => u.accountId);
}

/** Independent check of who may view a project's issues: the permission check for company-managed projects, role holders for team-managed ones. */
function canView(fake: FakeAtlassian, p: TenantProject, u: TenantUser): boolean {
  const t = fake.tenant;
  if (p.style === 'classic') return holdsProjectPermission(t, u.accountId, p.id, 'BROWSE_PROJECTS');
  return t.projectRoles(p.id).some((r) => t.isRoleMember(p.id, r.id, u.accountId));
}

describe('tier S', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 5 });
  });
  afterAll(async () => fake?.stop());

  test('every project, as baton-jira pages it (v2 path, query ".", 50 a page until an empty page): the active users who can view its issues', async () => {
    const t = fake.tenant;
    const before = fake.stats.count('GET /rest/api/2/user/viewissue/search');
    let requests = 0;
    for (const p of t.projects()) {
      const seen: string[] = [];
      for (let startAt = 0; ; startAt += 50) {
        requests++;
        const r = await site<U[]>(fake, `/rest/api/2/user/viewissue/search?query=.&startAt=${startAt}&maxResults=50&projectKey=${p.key}`);
        expect(r.status).toBe(200);
        const ids = r.json.map((u) => u.accountId);
        expect(ids).toEqual(expectedPage(fake, p, startAt, 50));
        if (ids.length === 0) break;
        seen.push(...ids);
      }
      const truth = t.users().filter((u) => t.isActiveInJira(u) && canView(fake, p, u));
      expect(seen.sort()).toEqual(truth.map((u) => u.accountId).sort());
    }
    // the team-managed project without roles: nobody; the project open to anyone: every active user
    const roleless = t.projects().find((p) => p.style !== 'classic' && t.projectRoles(p.id).length === 0)!;
    expect(expectedPage(fake, roleless, 0, 50)).toEqual([]);
    const open = t.projects().find((p) => t.issueBrowsers(p.id).anyone)!;
    expect(expectedPage(fake, open, 0, 50)).toEqual(
      t
        .users()
        .filter((u) => t.isActiveInJira(u))
        .map((u) => u.accountId),
    );
    // the fake's stats count the /rest/api/2 requests under their own key (and the v3 operationId)
    expect(fake.stats.count('GET /rest/api/2/user/viewissue/search') - before).toBe(requests);
    expect(fake.stats.count('findUsersWithBrowsePermission')).toBe(fake.stats.count('GET /rest/api/2/user/viewissue/search'));
    expectNoValidationErrors(fake);
  });

  test('a window holds fewer users than maxResults; the v3 path, the query, accountId and issueKey', async () => {
    const t = fake.tenant;
    const narrow = t.projects().find((p) => p.style === 'classic' && !t.issueBrowsers(p.id).anyone && t.issueBrowsers(p.id).accountIds.size < 10)!;
    const r = await site<U[]>(fake, `/rest/api/3/user/viewissue/search?query=.&projectKey=${narrow.key}&maxResults=50`);
    expect(r.json.map((u) => u.accountId)).toEqual(expectedPage(fake, narrow, 0, 50));
    expect(r.json.length).toBeLessThan(50);
    // a window of 10 users starting at 20: only those of users 20..29 who can view
    const w = await site<U[]>(fake, `/rest/api/3/user/viewissue/search?query=.&projectKey=${narrow.key}&startAt=20&maxResults=10`);
    expect(w.json.map((u) => u.accountId)).toEqual(expectedPage(fake, narrow, 20, 10));

    const p = t.projects().find((x) => t.issueBrowsers(x.id).accountIds.size > 5)!;
    const viewer = t.users().find((u) => t.isActiveInJira(u) && canView(fake, p, u) && u.index > 1)!;
    const word = viewer.displayName.split(' ')[0];
    const q = await site<U[]>(fake, `/rest/api/3/user/viewissue/search?query=${encodeURIComponent(word)}&projectKey=${p.key}`);
    expect(q.json.map((u) => u.accountId)).toContain(viewer.accountId);
    for (const u of q.json)
      expect(
        u.displayName
          .toLowerCase()
          .split(/\s+/)
          .some((x) => x.startsWith(word.toLowerCase())),
      ).toBe(true);
    const byId = await site<U[]>(fake, `/rest/api/3/user/viewissue/search?accountId=${encodeURIComponent(viewer.accountId)}&projectKey=${p.key}`);
    expect(byId.json.map((u) => u.accountId)).toEqual([viewer.accountId]);

    const issue = t.issues().find((i) => i.projectId === p.id)!;
    const byIssue = await site<U[]>(fake, `/rest/api/3/user/viewissue/search?query=.&issueKey=${issue.key}`);
    expect(byIssue.json.map((u) => u.accountId)).toEqual(expectedPage(fake, p, 0, 50));
    expectNoValidationErrors(fake);
  });

  test('400 without query/accountId, with both, or without project/issue; 404 for an unknown project (key case sensitive) or issue; empty without Browse users and groups', async () => {
    const p = fake.tenant.projects()[0];
    const status = async (qs: string) => (await site(fake, `/rest/api/2/user/viewissue/search?${qs}`)).status;
    expect(await status(`projectKey=${p.key}`)).toBe(400);
    expect(await status(`query=.&accountId=x&projectKey=${p.key}`)).toBe(400);
    expect(await status('query=.')).toBe(400);
    expect(await status('query=.&projectKey=NOPE')).toBe(404);
    expect(await status(`query=.&projectKey=${p.key.toLowerCase()}`)).toBe(404);
    expect(await status(`query=.&issueKey=${p.key}-99999`)).toBe(404);
    const weak = fake.credentials.mintClassicToken({ permissions: { browseUsersAndGroups: false } });
    const empty = await call<unknown[]>(`${fake.siteUrl}/rest/api/2/user/viewissue/search?query=.&projectKey=${p.key}`, { auth: weak.authorization });
    expect([empty.status, empty.json]).toEqual([200, []]);
    const anonymous = await call<unknown[]>(`${fake.siteUrl}/rest/api/2/user/viewissue/search?query=.&projectKey=${p.key}`);
    expect([anonymous.status, anonymous.json]).toEqual([200, []]);
    expectNoValidationErrors(fake);
  });
});

describe('tier L (20,000 users)', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'L', seed: 1, withOrg: false });
  });
  afterAll(async () => fake?.stop());

  test('nothing past the 1,000th user, although users past it can view the issues', async () => {
    const t = fake.tenant;
    const p = t.projects().find((x) => x.style === 'classic' && !t.issueBrowsers(x.id).anyone && t.issueBrowsers(x.id).accountIds.size > 2000)!;
    const holders = t.projectPermissionHolders(p.id, 'BROWSE_PROJECTS').accountIds;
    const beyond = t
      .users()
      .slice(1000)
      .filter((u) => t.isActiveInJira(u) && holders.has(u.accountId));
    expect(beyond.length).toBeGreaterThan(0);
    const last = await site<U[]>(fake, `/rest/api/2/user/viewissue/search?query=.&projectKey=${p.key}&startAt=950&maxResults=100`);
    expect(last.json.map((u) => u.accountId)).toEqual(expectedPage(fake, p, 950, 50));
    const past = await site<U[]>(fake, `/rest/api/2/user/viewissue/search?query=.&projectKey=${p.key}&startAt=1000&maxResults=50`);
    expect([past.status, past.json]).toEqual([200, []]);
    expectNoValidationErrors(fake);
  });
});
