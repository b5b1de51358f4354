/** A group with 20,000 members (inactive ones included) round-trips through a full sync. */
import { startHarness, Harness } from '../helpers/harness';
import { generateTenant } from '../../src/fake-atlassian';
import { runSync } from '../../src/client/sync';

let h: Harness;
beforeAll(async () => {
  const tenant = generateTenant({
    tier: 'S',
    seed: 77,
    spec: { users: 20000, groups: 12, projects: 2, rolesPerProject: 2, orgOnlyUsers: 0, issuesPerProject: 0, bigGroup: true, avgGroupSize: 10, maxRoleUsers: 2 },
  });
  h = await startHarness({ fake: { tenant, validate: 'requests' } });
}, 120000);
afterAll(async () => h?.stop());

test('every member of the 20,000-member group is granted, inactive ones too', async () => {
  const t = h.fake.tenant;
  const big = t.groups().reduce((a, b) => (t.groupMembers(a.groupId).length >= t.groupMembers(b.groupId).length ? a : b));
  const site = new Set(t.users().map((u) => u.accountId));
  const want = new Set(t.groupMembers(big.groupId).filter((a) => site.has(a)));
  expect(want.size).toBeGreaterThanOrEqual(19000);
  expect([...want].some((a) => !t.isActiveInJira(t.user(a)!))).toBe(true);
  const r = await runSync(h.client, { workers: 4, expand: false });
  const got = new Set(r.grants.filter((g) => g.entitlement!.id === `group:${big.groupId}:member`).map((g) => g.principal!.id!.resource));
  expect(got.size).toBe(want.size);
  expect([...want].filter((a) => !got.has(a))).toEqual([]);
  expect(r.resources.filter((x) => x.id!.resourceType === 'user')).toHaveLength(site.size);
}, 120000);
