/**
 * Atlassian administration roles (organization and site resources): a full sync through gRPC,
 * after grant expansion, yields for every role exactly the holders of the fake's model (direct
 * users and members of assigned groups); GetResource answers for both resources; provisioning gives
 * and takes roles of users and groups, idempotently by state, and refuses what the admin API cannot
 * do before any request.
 */
import { effectiveUsers } from '../helpers/effective';
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import type { Tenant } from '../../src/fake-atlassian';
import { adminRoles, ADMIN_ROLE } from '../../src/fake-atlassian/admin-roles';
import { grantReq, revokeReq, annos, code } from '../helpers/grant-requests';
import { grantImmutable } from '../../src/connector/anno';
import { ResourceGetterServiceGetResourceRequest } from '../../src/gen/c1/connector/v2/resource';

const orgConfig = (fake: Harness['fake']) => ({ 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key });
const getReq = (resourceType: string, resource: string) => ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType, resource } });

/** entitlement id of a (role, resource) pair of the model */
function entitlementOf(t: Tenant, roleId: string, resourceId: string): string {
  if (roleId === ADMIN_ROLE.orgAdmin) return `organization:${t.orgId}:org-admin`;
  if (roleId === ADMIN_ROLE.siteAdmin) return `site:${t.cloudId}:site-admin`;
  if (roleId === ADMIN_ROLE.userAccessAdmin) return `site:${t.cloudId}:user-access-admin`;
  const product = /^ari:cloud:([^:]+)::site\//.exec(resourceId)![1];
  return `site:${t.cloudId}:product:${product}:${roleId.slice('atlassian/'.length)}`;
}

function assertRoles(r: SyncResult, t: Tenant): void {
  const eff = effectiveUsers(r);
  const ents = new Set(r.entitlements.map((e) => e.id));
  const m = adminRoles(t);
  let compared = 0;
  for (const { roleId, resourceId } of m.pairs()) {
    const id = entitlementOf(t, roleId, resourceId);
    expect({ id, listed: ents.has(id) }).toEqual({ id, listed: true });
    expect([id, [...(eff.get(id) ?? [])].sort()]).toEqual([id, [...m.holders(roleId, resourceId)].sort()]);
    if (m.holders(roleId, resourceId).size) compared++;
  }
  expect(compared).toBeGreaterThanOrEqual(8);
}

describe.each([
  ['S', 1],
  ['M', 7],
])('tier %s', (tier, seed) => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: tier as 'S' | 'M', seed }, config: orgConfig });
    r = await runSync(h.client, { workers: 4 });
  });
  afterAll(async () => h?.stop());

  test('after expansion, every administration role has exactly the holders of the model', () => {
    assertRoles(r, h.fake.tenant);
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('grants go to users (direct assignments) and to groups (expandable); a direct assignment next to a group one is kept', () => {
    const t = h.fake.tenant;
    const roleGrants = r.grants.filter((g) => /^(organization|site):/.test(g.entitlement!.id));
    const m = adminRoles(t);
    for (const g of roleGrants) {
      const p = g.principal!.id!;
      expect(['user', 'group']).toContain(p.resourceType);
      if (p.resourceType === 'group') expect(annos(g.annotations)).toContain('c1.connector.v2.GrantExpandable');
      // every grant is an assignment of the model
      expect(m.assignments().some((a) => a.kind === p.resourceType && a.id === p.resource && entitlementOf(t, a.roleId, a.resourceId) === g.entitlement!.id)).toBe(true);
    }
    // the admin holds site admin both through site-admins and directly: the direct grant is listed
    expect(roleGrants.some((g) => g.id === `site:${t.cloudId}:site-admin:user:${t.adminAccountId}`)).toBe(true);
    expect(new Set(roleGrants.map((g) => g.principal!.id!.resourceType))).toEqual(new Set(['user', 'group']));
  });

  test('GetResource answers for the organization and the site; another id is NOT_FOUND', async () => {
    const t = h.fake.tenant;
    const org = await h.client.resourceGetter.getResource(getReq('organization', t.orgId));
    expect(org.resource!.displayName).toBe(t.orgName);
    const site = await h.client.resourceGetter.getResource(getReq('site', t.cloudId));
    expect(site.resource!.profile!.cloud_id).toBe(t.cloudId);
    const listed = r.resources.filter((x) => ['organization', 'site'].includes(x.id!.resourceType));
    expect(listed.map((x) => x.id!.resource).sort()).toEqual([t.orgId, t.cloudId].sort());
    const [c] = await code(h.client.resourceGetter.getResource(getReq('site', '00000000-0000-4000-8000-000000000000')));
    expect(c).toBe('NOT_FOUND');
  });
});

describe('provisioning', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 21 }, provisioning: true, config: orgConfig });
  });
  afterAll(async () => h?.stop());

  const product = (t: Tenant) => t.applicationRoles()[0].key;
  const candidate = (t: Tenant) =>
    t
      .users()
      .filter((u) => u.accountType === 'atlassian' && u.directoryId !== null && t.isActiveInJira(u))
      .at(-1)!.accountId;

  test('a user: give site admin, repeat is a no-op that says so, take it, repeat says so', async () => {
    const t = h.fake.tenant;
    const m = adminRoles(t);
    const u = candidate(t);
    const site = `ari:cloud:platform::site/${t.cloudId}`;
    expect(m.hasAssignment('user', u, ADMIN_ROLE.siteAdmin, site)).toBe(false);
    const r1 = await h.client.grantManager.grant(grantReq('site', t.cloudId, 'site-admin', 'user', u));
    expect(m.hasAssignment('user', u, ADMIN_ROLE.siteAdmin, site)).toBe(true);
    expect(r1.grants.map((g) => g.id)).toEqual([`site:${t.cloudId}:site-admin:user:${u}`]);
    expect(annos(r1.annotations)).toEqual([]);
    const r2 = await h.client.grantManager.grant(grantReq('site', t.cloudId, 'site-admin', 'user', u));
    expect(annos(r2.annotations)).toContain('c1.connector.v2.GrantAlreadyExists');
    const synced = await runSync(h.client, { expand: false });
    expect(synced.grants.some((g) => g.id === r1.grants[0].id)).toBe(true);
    const v1 = await h.client.grantManager.revoke(revokeReq('site', t.cloudId, 'site-admin', 'user', u));
    expect(annos(v1.annotations)).toEqual([]);
    expect(m.hasAssignment('user', u, ADMIN_ROLE.siteAdmin, site)).toBe(false);
    const v2 = await h.client.grantManager.revoke(revokeReq('site', t.cloudId, 'site-admin', 'user', u));
    expect(annos(v2.annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');
  });

  test('a user: organization admin (v1 roles, no resource)', async () => {
    const t = h.fake.tenant;
    const m = adminRoles(t);
    const u = candidate(t);
    const org = `ari:cloud:platform::org/${t.orgId}`;
    await h.client.grantManager.grant(grantReq('organization', t.orgId, 'org-admin', 'user', u));
    expect(m.hasAssignment('user', u, ADMIN_ROLE.orgAdmin, org)).toBe(true);
    await h.client.grantManager.revoke(revokeReq('organization', t.orgId, 'org-admin', 'user', u));
    expect(m.hasAssignment('user', u, ADMIN_ROLE.orgAdmin, org)).toBe(false);
  });

  test('a group: give a product role, repeat is a no-op, take it; its members hold it after expansion', async () => {
    const t = h.fake.tenant;
    const m = adminRoles(t);
    const key = product(t);
    const ari = `ari:cloud:${key}::site/${t.cloudId}`;
    const g = t.groups().find((x) => !x.system && x.directoryId !== null && !m.groupHolds(x.groupId, [ADMIN_ROLE.admin], [ari]))!;
    const slug = `product:${key}:admin`;
    const r1 = await h.client.grantManager.grant(grantReq('site', t.cloudId, slug, 'group', g.groupId));
    expect(m.hasAssignment('group', g.groupId, ADMIN_ROLE.admin, ari)).toBe(true);
    expect(annos(r1.grants[0].annotations)).toContain('c1.connector.v2.GrantExpandable');
    const r2 = await h.client.grantManager.grant(grantReq('site', t.cloudId, slug, 'group', g.groupId));
    expect(annos(r2.annotations)).toContain('c1.connector.v2.GrantAlreadyExists');
    const synced = await runSync(h.client, { workers: 4 });
    const holders = effectiveUsers(synced).get(`site:${t.cloudId}:${slug}`) ?? new Set();
    expect([...holders].sort()).toEqual([...m.holders(ADMIN_ROLE.admin, ari)].sort());
    const v1 = await h.client.grantManager.revoke(revokeReq('site', t.cloudId, slug, 'group', g.groupId));
    expect(annos(v1.annotations)).toEqual([]);
    expect(m.hasAssignment('group', g.groupId, ADMIN_ROLE.admin, ari)).toBe(false);
    const v2 = await h.client.grantManager.revoke(revokeReq('site', t.cloudId, slug, 'group', g.groupId));
    expect(annos(v2.annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');
  });

  test('refused before any request: organization admin to a group, an inherited grant, an unknown role, another principal type', async () => {
    const t = h.fake.tenant;
    const g = t.groups().find((x) => !x.system && x.directoryId !== null)!;
    const u = candidate(t);
    h.fake.stats.reset();
    const cases: [string, Promise<unknown>][] = [
      ['FAILED_PRECONDITION', h.client.grantManager.grant(grantReq('organization', t.orgId, 'org-admin', 'group', g.groupId))],
      ['FAILED_PRECONDITION', h.client.grantManager.revoke(revokeReq('organization', t.orgId, 'org-admin', 'group', g.groupId))],
      ['FAILED_PRECONDITION', h.client.grantManager.revoke(revokeReq('organization', t.orgId, 'org-admin', 'user', u, { grant: { annotations: [grantImmutable()] } }))],
      ['INVALID_ARGUMENT', h.client.grantManager.grant(grantReq('organization', t.orgId, 'owner', 'user', u))],
      ['INVALID_ARGUMENT', h.client.grantManager.grant(grantReq('site', t.cloudId, 'product:jira-software:owner', 'user', u))],
      ['INVALID_ARGUMENT', h.client.grantManager.grant(grantReq('site', t.cloudId, 'site-admin', 'application-role', 'jira-software'))],
      ['INVALID_ARGUMENT', h.client.grantManager.grant(grantReq('organization', t.orgId, 'org-admin', 'project-role', '10000:10002'))],
    ];
    for (const [want, p] of cases) {
      const [c, details] = await code(p);
      expect([c, details.length > 0]).toEqual([want, true]);
    }
    expect(h.fake.stats.total).toBe(0);
  });

  test('a user holding a role only through a group: revoking it at the user is refused, nothing changes', async () => {
    const t = h.fake.tenant;
    const m = adminRoles(t);
    const site = `ari:cloud:platform::site/${t.cloudId}`;
    const siteAdmins = t.group('site-admins')!.groupId;
    const u = t.groupMembers(siteAdmins).find((a) => !m.hasAssignment('user', a, ADMIN_ROLE.siteAdmin, site))!;
    const before = m.assignments();
    const [c, details] = await code(h.client.grantManager.revoke(revokeReq('site', t.cloudId, 'site-admin', 'user', u)));
    expect(c).toBe('FAILED_PRECONDITION');
    expect(details).toMatch(/only through a group/);
    expect(m.assignments()).toEqual(before);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('dry run: nothing is written', async () => {
    const d = await startHarness({ fake: { tier: 'S', seed: 22 }, provisioning: true, config: (f) => ({ 'dry-run': 'true', ...orgConfig(f) }) });
    try {
      const t = d.fake.tenant;
      const u = candidate(t);
      await d.client.grantManager.grant(grantReq('site', t.cloudId, 'user-access-admin', 'user', u));
      expect(adminRoles(t).hasAssignment('user', u, ADMIN_ROLE.userAccessAdmin, `ari:cloud:platform::site/${t.cloudId}`)).toBe(false);
    } finally {
      await d.stop();
    }
  });
});
