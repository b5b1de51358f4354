/**
 * Grant and Revoke through gRPC against the fake tenant: the tenant changes, a sync shows it,
 * repeating is a no-op with the right annotation, stubs with only ids work, wrong principals and
 * missing permissions get the right codes, 429s mid-operation never apply a change twice, and
 * many concurrent operations converge.
 */
import { startHarness, Harness, fakeConfig } from '../helpers/harness';
import { runSync } from '../../src/client/sync';
import { grantReq, revokeReq, annos, code } from '../helpers/grant-requests';
import { grantImmutable } from '../../src/connector/anno';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 21 }, provisioning: true });
});
afterAll(async () => h?.stop());

function nonMember(groupId: string): string {
  const t = h.fake.tenant;
  return t.users().find((u) => u.accountType === 'atlassian' && !t.isGroupMember(groupId, u.accountId) && t.isActiveInJira(u))!.accountId;
}

test('group membership: grant, sync shows it, repeat is a no-op, revoke, repeat is a no-op', async () => {
  const t = h.fake.tenant;
  const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
  const u = nonMember(g.groupId);
  const r1 = await h.client.grantManager.grant(grantReq('group', g.groupId, 'member', 'user', u));
  expect(t.isGroupMember(g.groupId, u)).toBe(true);
  expect(r1.grants.map((x) => x.id)).toEqual([`group:${g.groupId}:member:user:${u}`]);
  expect(annos(r1.annotations)).not.toContain('c1.connector.v2.GrantAlreadyExists');
  const synced = await runSync(h.client, { expand: false });
  expect(synced.grants.some((x) => x.id === `group:${g.groupId}:member:user:${u}`)).toBe(true);

  const r2 = await h.client.grantManager.grant(grantReq('group', g.groupId, 'member', 'user', u));
  expect(annos(r2.annotations)).toContain('c1.connector.v2.GrantAlreadyExists');
  expect(r2.grants[0].id).toBe(r1.grants[0].id);

  const v1 = await h.client.grantManager.revoke(revokeReq('group', g.groupId, 'member', 'user', u));
  expect(annos(v1.annotations)).toEqual([]);
  expect(t.isGroupMember(g.groupId, u)).toBe(false);
  const synced2 = await runSync(h.client, { expand: false });
  expect(synced2.grants.some((x) => x.id === `group:${g.groupId}:member:user:${u}`)).toBe(false);
  const v2 = await h.client.grantManager.revoke(revokeReq('group', g.groupId, 'member', 'user', u));
  expect(annos(v2.annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');
});

test('project role: users and groups as actors, grant and revoke, idempotent', async () => {
  const t = h.fake.tenant;
  const p = t.projects()[2];
  const role = t.roles()[1];
  const rid = `${p.id}:${role.id}`;
  const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.roleActors(p.id, role.id).users.includes(x.accountId))!.accountId;
  const g = t.groups().find((x) => !t.roleActors(p.id, role.id).groups.includes(x.groupId))!.groupId;

  const ru = await h.client.grantManager.grant(grantReq('project-role', rid, 'assigned', 'user', u));
  expect(t.roleActors(p.id, role.id).users).toContain(u);
  expect(ru.grants[0].id).toBe(`project-role:${rid}:assigned:user:${u}`);
  const rg = await h.client.grantManager.grant(grantReq('project-role', rid, 'assigned', 'group', g));
  expect(t.roleActors(p.id, role.id).groups).toContain(g);
  expect(annos(rg.grants[0].annotations)).toContain('c1.connector.v2.GrantExpandable');

  // the next sync shows both; the group's members hold the role through expansion
  const s = await runSync(h.client);
  expect(s.grants.map((x) => x.id)).toEqual(expect.arrayContaining([`project-role:${rid}:assigned:user:${u}`, `project-role:${rid}:assigned:group:${g}`]));
  for (const m of t.groupMembers(g).filter((a) => t.users().some((x) => x.accountId === a))) {
    const id = `project-role:${rid}:assigned:user:${m}`;
    expect(s.grants.some((x) => x.id === id) || s.expanded.some((x) => x.grant.id === id)).toBe(true);
  }

  expect(annos((await h.client.grantManager.grant(grantReq('project-role', rid, 'assigned', 'group', g))).annotations)).toContain('c1.connector.v2.GrantAlreadyExists');
  await h.client.grantManager.revoke(revokeReq('project-role', rid, 'assigned', 'group', g));
  await h.client.grantManager.revoke(revokeReq('project-role', rid, 'assigned', 'user', u));
  expect(t.roleActors(p.id, role.id).users).not.toContain(u);
  expect(t.roleActors(p.id, role.id).groups).not.toContain(g);
  expect(annos((await h.client.grantManager.revoke(revokeReq('project-role', rid, 'assigned', 'user', u))).annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');
  expect(annos((await h.client.grantManager.revoke(revokeReq('project-role', rid, 'assigned', 'group', g))).annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');
});

test('wrong principals, read-only entitlements and inherited grants are refused with the right code', async () => {
  const t = h.fake.tenant;
  const g = t.groups()[1].groupId;
  const g2 = t.groups()[2].groupId;
  const p = t.projects()[0];
  expect(await code(h.client.grantManager.grant(grantReq('group', g, 'member', 'group', g2)))).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/grantable to user/)]);
  expect((await code(h.client.grantManager.grant(grantReq('group', g, 'owner', 'user', t.users()[0].accountId))))[0]).toBe('INVALID_ARGUMENT');
  expect((await code(h.client.grantManager.grant(grantReq('project-role', `${p.id}:${t.roles()[0].id}`, 'assigned', 'project', p.id))))[0]).toBe('INVALID_ARGUMENT');
  expect((await code(h.client.grantManager.grant(grantReq('project', p.id, 'lead', 'user', t.users()[0].accountId))))[0]).toBe('UNIMPLEMENTED');
  const inherited = revokeReq('project-role', `${p.id}:${t.roles()[0].id}`, 'assigned', 'user', t.users()[0].accountId, { grant: { annotations: [grantImmutable()] } });
  expect(await code(h.client.grantManager.revoke(inherited))).toEqual(['FAILED_PRECONDITION', expect.stringMatching(/inherited/)]);
  // a well-formed group id that names no group: NOT_FOUND; an id that is not a group id at all: INVALID_ARGUMENT, before any request
  expect((await code(h.client.grantManager.grant(grantReq('group', '00000000-0000-4000-8000-000000000000', 'member', 'user', t.users()[0].accountId))))[0]).toBe('NOT_FOUND');
  expect(await code(h.client.grantManager.grant(grantReq('group', 'no-such-group', 'member', 'user', t.users()[0].accountId)))).toEqual([
    'INVALID_ARGUMENT',
    expect.stringMatching(/entitlement\.resource\.id\.resource "no-such-group" is not a Jira group id/),
  ]);
});

test('a 429 in the middle of a grant is retried and applied once', async () => {
  const t = h.fake.tenant;
  const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
  const u = nonMember(g.groupId);
  h.fake.faults.failWith(429, 2, { retryAfterSec: 1, match: 'POST /rest/api/3/group/user' });
  h.fake.stats.reset();
  const r = await h.client.grantManager.grant(grantReq('group', g.groupId, 'member', 'user', u));
  h.fake.faults.clear();
  expect(t.isGroupMember(g.groupId, u)).toBe(true);
  expect(annos(r.annotations)).not.toContain('c1.connector.v2.GrantAlreadyExists');
  expect(h.fake.stats.statusCount(429, 'POST /rest/api/3/group/user')).toBe(2);
  expect(h.fake.stats.statusCount(201, 'POST /rest/api/3/group/user')).toBe(1);
  await h.client.grantManager.revoke(revokeReq('group', g.groupId, 'member', 'user', u));
});

test('a 429 in the middle of a project-role grant is retried and applied once', async () => {
  const t = h.fake.tenant;
  const p = t.projects()[3];
  const role = t.roles()[2];
  const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.roleActors(p.id, role.id).users.includes(x.accountId))!.accountId;
  h.fake.faults.failWith(429, 2, { retryAfterSec: 1, match: 'POST /rest/api/3/project/{projectIdOrKey}/role/{id}' });
  h.fake.stats.reset();
  await h.client.grantManager.grant(grantReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', u));
  h.fake.faults.clear();
  expect(t.roleActors(p.id, role.id).users.filter((x) => x === u)).toHaveLength(1);
  expect(h.fake.stats.statusCount(429, 'POST /rest/api/3/project/{projectIdOrKey}/role/{id}')).toBe(2);
  expect(h.fake.stats.statusCount(200, 'POST /rest/api/3/project/{projectIdOrKey}/role/{id}')).toBe(1);
  await h.client.grantManager.revoke(revokeReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', u));
});

test('500 concurrent grants and revokes over 50 memberships converge to the intended state', async () => {
  const t = h.fake.tenant;
  const groups = t
    .groups()
    .filter((x) => !x.system && !x.externalSynced)
    .slice(0, 5);
  const users = t
    .users()
    .filter((u) => u.accountType === 'atlassian' && t.isActiveInJira(u))
    .slice(0, 10);
  const pairs = groups.flatMap((g) => users.map((u) => ({ g: g.groupId, u: u.accountId })));
  expect(pairs).toHaveLength(50);
  // intended final state: even-indexed pairs are members, odd ones are not; the last operation per pair decides
  const ops: { g: string; u: string; grant: boolean }[] = [];
  for (let round = 0; round < 10; round++) pairs.forEach((p, i) => ops.push({ ...p, grant: round < 9 ? (round + i) % 2 === 0 : i % 2 === 0 }));
  expect(ops).toHaveLength(500);
  const started = ops.map((o) => o);
  // run rounds in order, each round's 50 operations concurrently (the last round decides)
  for (let round = 0; round < 10; round++) {
    const batch = started.slice(round * 50, round * 50 + 50);
    await Promise.all(
      batch.map((o) => (o.grant ? h.client.grantManager.grant(grantReq('group', o.g, 'member', 'user', o.u)) : h.client.grantManager.revoke(revokeReq('group', o.g, 'member', 'user', o.u)))),
    );
  }
  pairs.forEach((p, i) => expect([p.g, p.u, t.isGroupMember(p.g, p.u)]).toEqual([p.g, p.u, i % 2 === 0]));

  // then all 500 at once: ten identical operations per pair race each other, towards the opposite state
  const flip = pairs.flatMap((p, i) => Array.from({ length: 10 }, () => ({ ...p, grant: i % 2 === 1 })));
  const results = await Promise.all(
    flip.map((o) =>
      (o.grant ? h.client.grantManager.grant(grantReq('group', o.g, 'member', 'user', o.u)) : h.client.grantManager.revoke(revokeReq('group', o.g, 'member', 'user', o.u))).then((r) =>
        annos(r.annotations),
      ),
    ),
  );
  pairs.forEach((p, i) => expect([p.g, p.u, t.isGroupMember(p.g, p.u)]).toEqual([p.g, p.u, i % 2 === 1]));
  // every operation succeeded; most of the duplicates were recognised as no-ops
  const noops = results.filter((a) => a.includes('c1.connector.v2.GrantAlreadyExists') || a.includes('c1.connector.v2.GrantAlreadyRevoked')).length;
  expect(noops).toBeGreaterThanOrEqual(450 - 50);
});

describe('without the needed permission', () => {
  let weak: Harness;
  beforeAll(async () => {
    weak = await startHarness({
      fake: { tier: 'S', seed: 21 },
      provisioning: true,
      config: (fake) => {
        const c = fake.credentials.mintClassicToken({ permissions: { siteAdmin: false, administerJira: false, administerProjects: false } });
        return { ...fakeConfig(fake), 'jira-email': c.email, 'jira-api-token': c.token };
      },
    });
  });
  afterAll(async () => weak?.stop());

  test('project roles: PERMISSION_DENIED naming what is missing (Jira answers 401 to non-admins here)', async () => {
    const t = weak.fake.tenant;
    const p = t.projects()[1];
    const role = t.roles()[0];
    const u = t.users().find((x) => x.accountType === 'atlassian' && !t.roleActors(p.id, role.id).users.includes(x.accountId))!.accountId;
    const [c, msg] = await code(weak.client.grantManager.grant(grantReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', u)));
    expect(c).toBe('PERMISSION_DENIED');
    expect(msg).toMatch(/administer/i);
    expect(t.roleActors(p.id, role.id).users).not.toContain(u);
  });

  test('PERMISSION_DENIED naming what is missing', async () => {
    const t = weak.fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced)!.groupId;
    const u = t.users().find((x) => x.accountType === 'atlassian' && !t.isGroupMember(g, x.accountId))!.accountId;
    const [c, msg] = await code(weak.client.grantManager.grant(grantReq('group', g, 'member', 'user', u)));
    expect(c).toBe('PERMISSION_DENIED');
    expect(msg).toMatch(/site admin/i);
    expect(t.isGroupMember(g, u)).toBe(false);
  });
});
