/**
 * With the organization configured, directory-group memberships change through the admin API,
 * whose add and remove answer success whether or not anything changed. Concurrent duplicate
 * Grant/Revoke calls on one membership must send one write and answer "changed" once; the rest
 * wait for it and answer from the state (issue 13 finding 8). Ground truth: the tenant and the
 * fake's request counters.
 */
import { startHarness, Harness } from '../helpers/harness';
import { GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest } from '../../src/gen/c1/connector/v2/grant';
import { Resource } from '../../src/gen/c1/connector/v2/resource';
import { typeName } from '../../src/connector/annotations';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    fake: { tier: 'S', seed: 12 },
    provisioning: true,
    config: (fake) => ({ 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key }),
  });
});
afterAll(async () => h?.stop());

const stub = (resourceType: string, resource: string) => Resource.fromPartial({ id: { resourceType, resource } });
const grantReq = (g: string, u: string) => GrantManagerServiceGrantRequest.fromPartial({ entitlement: { id: `group:${g}:member`, resource: stub('group', g) }, principal: stub('user', u) });
const revokeReq = (g: string, u: string) =>
  GrantManagerServiceRevokeRequest.fromPartial({ grant: { id: `group:${g}:member:user:${u}`, entitlement: { id: `group:${g}:member`, resource: stub('group', g) }, principal: stub('user', u) } });
const noop = (a: { typeUrl: string }[]) => a.some((x) => ['c1.connector.v2.GrantAlreadyExists', 'c1.connector.v2.GrantAlreadyRevoked'].includes(typeName(x as never)));

const ADD = 'POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships';
const REMOVE = 'DELETE /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}';

test('five concurrent duplicates of each of 18 grants, then of 18 revokes: one write per membership, one "changed" answer each', async () => {
  const t = h.fake.tenant;
  const groups = t.directoryGroups().filter((g) => !g.externalSynced && !g.system && g.name !== 'site-admins' && g.directoryId);
  const pairs: { g: string; u: string }[] = [];
  for (const g of groups) {
    for (const u of t.directoryUsers(g.directoryId!)) {
      if (pairs.length >= 18) break;
      if (u.accountType !== 'atlassian' || t.isGroupMember(g.groupId, u.accountId) || pairs.filter((p) => p.g === g.groupId).length >= 6) continue;
      pairs.push({ g: g.groupId, u: u.accountId });
    }
  }
  expect(pairs).toHaveLength(18);

  h.fake.stats.reset();
  const granted = await Promise.all(pairs.flatMap((p) => Array.from({ length: 5 }, () => h.client.grantManager.grant(grantReq(p.g, p.u)).then((r) => ({ ...p, noop: noop(r.annotations) })))));
  for (const p of pairs) {
    expect(t.isGroupMember(p.g, p.u)).toBe(true);
    expect(granted.filter((r) => r.g === p.g && r.u === p.u && !r.noop)).toHaveLength(1);
  }
  expect(h.fake.stats.count(ADD)).toBe(18);
  expect(h.fake.stats.count('POST /rest/api/3/group/user')).toBe(0);

  h.fake.stats.reset();
  const revoked = await Promise.all(pairs.flatMap((p) => Array.from({ length: 5 }, () => h.client.grantManager.revoke(revokeReq(p.g, p.u)).then((r) => ({ ...p, noop: noop(r.annotations) })))));
  for (const p of pairs) {
    expect(t.isGroupMember(p.g, p.u)).toBe(false);
    expect(revoked.filter((r) => r.g === p.g && r.u === p.u && !r.noop)).toHaveLength(1);
  }
  expect(h.fake.stats.count(REMOVE)).toBe(18);
  expect(h.fake.stats.count('DELETE /rest/api/3/group/user')).toBe(0);
});
