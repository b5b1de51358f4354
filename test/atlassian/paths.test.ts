/**
 * The one path builder and the admin cursors, against the fake: a hostile id in any path parameter
 * ("..", ".", "%2e%2e", "", "a/b", ...) is INVALID_ARGUMENT naming the parameter and no request
 * reaches the fake; a forged cursor is refused and never followed; next links are reduced to their
 * cursor value.
 */
import { useFake, basicRaw } from './helpers';
import { fillPath, PATH_PARAM_SHAPES, templateParams } from '../../src/atlassian/paths';
import { ConnectorError } from '../../src/errors';

// a small v1 page so the managed accounts take several pages
const h = useFake({ adminV1PageSize: 7 });

const HOSTILE = ['..', '.', '%2e%2e', '.%2E', '%252e%252e', '', 'a/b', '10000/..', '..%2f', 'a\\b', 'x\u0000'];

describe('fillPath', () => {
  it('encodes ids that have their shape', () => {
    expect(fillPath('/rest/api/3/project/{projectIdOrKey}/role/{id}', { projectIdOrKey: 'ENG', id: 10002 })).toBe('/rest/api/3/project/ENG/role/10002');
    expect(fillPath('/users/{accountId}/manage/api-tokens', { accountId: '557058:3c6e2d4a-0c1f-4b6e-9d3a-2f1e0b9c8a7d' })).toBe(
      '/users/557058%3A3c6e2d4a-0c1f-4b6e-9d3a-2f1e0b9c8a7d/manage/api-tokens',
    );
    expect(fillPath('/admin/v1/orgs')).toBe('/admin/v1/orgs');
  });

  it.each(Object.keys(PATH_PARAM_SHAPES))('refuses traversal and junk in {%s}, naming it', (name) => {
    const template = `/x/{${name}}/y`;
    for (const v of HOSTILE) {
      let err: unknown;
      try {
        fillPath(template, { [name]: v });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).kind).toBe('invalid-input');
      expect((err as ConnectorError).message).toContain(`path parameter ${name}`);
    }
  });

  it('refuses dot segments and slashes in parameters without a known shape too', () => {
    for (const v of HOSTILE) expect(() => fillPath('/x/{other}', { other: v })).toThrow(/path parameter other/);
    expect(fillPath('/x/{other}', { other: 'a b?c#d' })).toBe('/x/a%20b%3Fc%23d');
  });

  it('refuses numbers that are not ids, values of other types and 10 MB strings without echoing them', () => {
    for (const v of [-1, 1.5, Number.NaN, 1e21]) expect(() => fillPath('/r/{id}', { id: v })).toThrow(/path parameter id/);
    expect(() => fillPath('/r/{id}', { id: {} as unknown as string })).toThrow(/path parameter id/);
    const big = 'A'.repeat(10 * 1024 * 1024);
    let msg = '';
    try {
      fillPath('/rest/api/3/project/{projectIdOrKey}', { projectIdOrKey: big });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/path parameter projectIdOrKey/);
    expect(msg.length).toBeLessThan(200);
  });

  it('takes "-" (every directory) only on the directory list and search endpoints', () => {
    expect(fillPath('/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search', { orgId: 'o1', directoryId: '-' })).toBe('/admin/v2/orgs/o1/directories/-/users/search');
    expect(fillPath('/admin/v2/orgs/{orgId}/directories/{directoryId}/groups', { orgId: 'o1', directoryId: '-' })).toBe('/admin/v2/orgs/o1/directories/-/groups');
    expect(() => fillPath('/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend', { orgId: 'o1', directoryId: '-', accountId: 'a1' })).toThrow(/path parameter directoryId/);
  });

  it('treats a broken template or a parameter it does not use as our bug', () => {
    expect(() => fillPath('/a/../b')).toThrow(expect.objectContaining({ kind: 'internal' }));
    expect(() => fillPath('/a?x=1')).toThrow(expect.objectContaining({ kind: 'internal' }));
    expect(() => fillPath('/a/{id}', { id: 1, other: 'x' })).toThrow(expect.objectContaining({ kind: 'internal' }));
    expect(templateParams('/p/{projectIdOrKey}/role/{id}')).toEqual(['projectIdOrKey', 'id']);
  });
});

describe('no request with a hostile path parameter reaches Atlassian', () => {
  const clients = () => h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key }));

  /** every client method that puts a caller value into a path, one entry per parameter */
  function cases(): Array<{ name: string; param: string; call: (v: string) => Promise<unknown> }> {
    const c = clients();
    const j = c.jira;
    const a = c.admin!;
    const t = h.fake.tenant;
    const project = t.projects()[0].key;
    const role = t.roles()[0].id;
    const user = t.users()[0].accountId;
    const org = h.fake.orgId;
    const dir = t.directories()[0].directoryId;
    const group = t.directoryGroups(dir)[0].groupId;
    return [
      { name: 'getProject', param: 'projectIdOrKey', call: (v) => j.getProject(v) },
      { name: 'projectRoleDetails', param: 'projectIdOrKey', call: (v) => j.projectRoleDetails(v) },
      { name: 'projectPermissionScheme', param: 'projectKeyOrId', call: (v) => j.projectPermissionScheme(v) },
      { name: 'projectRole', param: 'projectIdOrKey', call: (v) => j.projectRole(v, role) },
      { name: 'projectRole', param: 'id', call: (v) => j.projectRole(project, v) },
      { name: 'addRoleActors', param: 'projectIdOrKey', call: (v) => j.addRoleActors(v, role, { users: [user] }) },
      { name: 'addRoleActors', param: 'id', call: (v) => j.addRoleActors(project, v, { users: [user], groupIds: [t.groups()[0].groupId] }) },
      { name: 'removeRoleActor', param: 'projectIdOrKey', call: (v) => j.removeRoleActor(v, role, { accountId: user }) },
      { name: 'removeRoleActor', param: 'id', call: (v) => j.removeRoleActor(project, v, { groupId: t.groups()[0].groupId }) },
      { name: 'orgUsers', param: 'orgId', call: (v) => a.orgUsers(v) },
      { name: 'lastActiveDates', param: 'orgId', call: (v) => a.lastActiveDates(v, user) },
      { name: 'lastActiveDates', param: 'accountId', call: (v) => a.lastActiveDates(org, v) },
      { name: 'directories', param: 'orgId', call: (v) => a.directories(v) },
      { name: 'directoryUsers', param: 'directoryId', call: (v) => a.directoryUsers(org, v) },
      { name: 'searchDirectoryUsers', param: 'orgId', call: (v) => a.searchDirectoryUsers(v, dir, {}) },
      { name: 'searchDirectoryUsers', param: 'directoryId', call: (v) => a.searchDirectoryUsers(org, v, {}) },
      { name: 'directoryGroups', param: 'directoryId', call: (v) => a.directoryGroups(org, v) },
      { name: 'searchDirectoryGroups', param: 'directoryId', call: (v) => a.searchDirectoryGroups(org, v, {}) },
      { name: 'addDirectoryGroupMember', param: 'orgId', call: (v) => a.addDirectoryGroupMember(v, dir, group, user) },
      { name: 'addDirectoryGroupMember', param: 'directoryId', call: (v) => a.addDirectoryGroupMember(org, v, group, user) },
      { name: 'addDirectoryGroupMember', param: 'groupId', call: (v) => a.addDirectoryGroupMember(org, dir, v, user) },
      { name: 'removeDirectoryGroupMember', param: 'groupId', call: (v) => a.removeDirectoryGroupMember(org, dir, v, user) },
      { name: 'removeDirectoryGroupMember', param: 'accountId', call: (v) => a.removeDirectoryGroupMember(org, dir, group, v) },
      { name: 'suspendUser (v1)', param: 'accountId', call: (v) => a.suspendUser(org, v) },
      { name: 'suspendUser (v2)', param: 'directoryId', call: (v) => a.suspendUser(org, user, v) },
      { name: 'restoreUser (v2)', param: 'accountId', call: (v) => a.restoreUser(org, v, dir) },
      { name: 'userApiTokens', param: 'accountId', call: (v) => a.userApiTokens(v) },
      { name: 'workspaces', param: 'orgId', call: (v) => a.workspaces(v) },
      { name: 'revokeApiToken', param: 'tokenId', call: (v) => a.revokeApiToken(user, v) },
      { name: 'revokeApiToken', param: 'accountId', call: (v) => a.revokeApiToken(v, 'token-1') },
      { name: 'accountLifecycle', param: 'accountId', call: (v) => a.accountLifecycle(v, 'disable') },
      { name: 'removeOrgUser', param: 'accountId', call: (v) => a.removeOrgUser(org, v) },
      { name: 'createMetaFields', param: 'projectIdOrKey', call: (v) => c.issues.createMetaFields(v, '10001', 0, 10) },
      { name: 'createMetaFields', param: 'issueTypeId', call: (v) => c.issues.createMetaFields(project, v, 0, 10) },
      { name: 'getIssue', param: 'issueIdOrKey', call: (v) => c.issues.getIssue(v) },
    ];
  }

  it('covers every parameter kind', () => {
    expect(new Set(cases().map((c) => c.param))).toEqual(new Set(Object.keys(PATH_PARAM_SHAPES)));
  });

  it.each(HOSTILE)('%j: INVALID_ARGUMENT naming the parameter, nothing sent, nothing changed', async (v) => {
    const before = h.fake.stats.total;
    const truth = JSON.stringify(h.fake.groundTruthCounts());
    for (const c of cases()) {
      const e = await h.fails(c.call(v));
      expect({ method: c.name, kind: e.kind }).toEqual({ method: c.name, kind: 'invalid-input' });
      expect(e.message).toMatch(new RegExp(`path parameter ${c.param}\\b`));
    }
    expect(h.fake.stats.total).toBe(before);
    expect(JSON.stringify(h.fake.groundTruthCounts())).toBe(truth);
  });

  it('still sends good ids (the same calls with real values reach the fake)', async () => {
    const c = clients();
    const t = h.fake.tenant;
    const before = h.fake.stats.total;
    const p = await c.jira.getProject(t.projects()[0].id);
    expect(p.key).toBe(t.projects()[0].key);
    expect((await c.jira.projectRole(t.projects()[0].key, String(t.roles()[0].id))).id).toBe(t.roles()[0].id);
    expect((await c.admin!.searchDirectoryUsers(h.fake.orgId, '-', { limit: 1 })).data.length).toBe(1);
    expect(h.fake.stats.total).toBe(before + 3);
  });
});

describe('admin cursors: only the cursor value travels', () => {
  const admin = () => h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key })).admin!;

  it('hands out v1 next links as their cursor value and pages the managed accounts with it', async () => {
    const a = admin();
    const ids: string[] = [];
    const cursors: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await a.orgUsers(h.fake.orgId, cursor);
      ids.push(...p.data.map((u) => u.account_id));
      cursor = p.nextCursor;
      if (cursor) cursors.push(cursor);
    } while (cursor && cursors.length < 100);
    expect(ids.length).toBe(h.fake.tenant.orgUsers().length);
    expect(cursors.length).toBeGreaterThan(0);
    for (const c of cursors) expect(c).not.toMatch(/[:/?&]/);
  });

  it.each([
    ['userinfo on our own host', (api: string, org: string) => `${api.replace('://', '://u:p@')}/admin/v1/orgs/${org}/users?cursor=abc`],
    ['a foreign host', (_api: string, org: string) => `https://evil.example/admin/v1/orgs/${org}/users?cursor=abc`],
    ['our endpoint with extra query parameters', (api: string, org: string) => `${api}/admin/v1/orgs/${org}/users?cursor=abc&limit=1000&orgId=x`],
    ['another endpoint', (api: string, org: string) => `${api}/admin/v1/orgs/${org}/directory/users/x/suspend-access?cursor=abc`],
  ])('a forged cursor with %s is refused before anything is sent', async (_what, forge) => {
    const a = admin();
    const before = h.fake.stats.total;
    const e = await h.fails(a.orgUsers(h.fake.orgId, forge(h.fake.apiUrl, h.fake.orgId)));
    expect(e.kind).toBe('invalid-input');
    expect(e.message).toMatch(/page cursor/);
    expect(h.fake.stats.total).toBe(before);
  });

  it('refuses URL cursors and oversized cursors on every paged admin call', async () => {
    const a = admin();
    const t = h.fake.tenant;
    const org = h.fake.orgId;
    const dir = t.directories()[0].directoryId;
    const before = h.fake.stats.total;
    for (const bad of [`${h.fake.apiUrl}/admin/v2/orgs/${org}/directories`, 'x'.repeat(5000), 'a b']) {
      for (const call of [
        () => a.orgs(bad),
        () => a.directories(org, bad),
        () => a.directoryUsers(org, dir, bad),
        () => a.directoryGroups(org, dir, bad),
        () => a.searchDirectoryUsers(org, dir, { cursor: bad }),
        () => a.searchDirectoryGroups(org, dir, { cursor: bad }),
        () => a.directoryGroupMembers(org, dir, t.directoryGroups(dir)[0].groupId, bad),
        () => a.workspaces(org, bad),
      ])
        expect((await h.fails(call())).kind).toBe('invalid-input');
    }
    expect(h.fake.stats.total).toBe(before);
  });

  it.each([
    ['with credentials', (api: string, org: string) => `${api.replace('://', '://u:p@')}/admin/v1/orgs/${org}/users?cursor=abc`],
    ['to a foreign host', (_api: string, org: string) => `https://evil.example/admin/v1/orgs/${org}/users?cursor=abc`],
    ['to another endpoint', (api: string) => `${api}/admin/v1/orgs/other/users?cursor=abc`],
    ['without a cursor', (api: string, org: string) => `${api}/admin/v1/orgs/${org}/users?page=2`],
  ])('a next link from Atlassian %s is bad-upstream and handed out to nobody', async (_what, link) => {
    const a = admin();
    const rule = h.fake.faults.add({ match: 'getUsers', status: { code: 200, count: 1, body: { data: [], links: { next: link(h.fake.apiUrl, h.fake.orgId) } } } });
    try {
      const e = await h.fails(a.orgUsers(h.fake.orgId));
      expect(e.kind).toBe('bad-upstream');
      expect(e.message).toMatch(/refusing to follow/);
    } finally {
      h.fake.faults.remove(rule);
    }
  });

  it('drops extra query parameters of an upstream next link: the next request carries only the cursor', async () => {
    const a = admin();
    const first = await a.orgUsers(h.fake.orgId);
    const cursor = first.nextCursor!;
    const rule = h.fake.faults.add({
      match: 'getUsers',
      status: { code: 200, count: 1, body: { data: [], links: { next: `${h.fake.apiUrl}/admin/v1/orgs/${h.fake.orgId}/users?cursor=${cursor}&limit=1` } } },
    });
    let handed: string | undefined;
    try {
      handed = (await a.orgUsers(h.fake.orgId)).nextCursor;
    } finally {
      h.fake.faults.remove(rule);
    }
    expect(handed).toBe(cursor);
    // the fake rejects query parameters the document does not list: a leaked "limit" would fail here
    const second = await a.orgUsers(h.fake.orgId, handed);
    expect(second.data.length).toBeGreaterThan(0);
  });
});
