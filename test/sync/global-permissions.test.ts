/**
 * Global permissions (BATON_JIRA_GLOBAL_PERMISSIONS): a full sync through gRPC yields, for every
 * global permission the fake's model knows, exactly the accounts that hold it; the cost is one
 * permissions/check per account and no second user listing. Without the option: the type says they
 * are not synced and lists nothing, and nothing is checked.
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { globalPermissionKeys, globalPermissionsOf } from '../../src/fake-atlassian/permissions-check';
import type { Tenant } from '../../src/fake-atlassian';
import { GrantsServiceListGrantsRequest } from '../../src/gen/c1/connector/v2/grant';
import { ResourceGetterServiceGetResourceRequest } from '../../src/gen/c1/connector/v2/resource';
import { stub, code } from '../helpers/grant-requests';

function holdersBySync(r: SyncResult): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const g of r.grants) {
    const e = g.entitlement!.resource!.id!;
    if (e.resourceType !== 'global-permission') continue;
    expect(g.principal!.id!.resourceType).toBe('user');
    if (!out.has(e.resource)) out.set(e.resource, new Set());
    out.get(e.resource)!.add(g.principal!.id!.resource);
  }
  return out;
}

function truth(t: Tenant, skipCustomers = false): Map<string, Set<string>> {
  const out = new Map(globalPermissionKeys().map((k) => [k, new Set<string>()]));
  for (const u of t.users()) {
    if (skipCustomers && u.accountType === 'customer') continue;
    for (const k of globalPermissionsOf(t, u.accountId)) out.get(k)!.add(u.accountId);
  }
  return out;
}

describe.each(['S', 'M'] as const)('global permissions on tier %s', (tier) => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier, seed: 1 }, config: () => ({ 'jira-global-permissions': true }) });
    r = await runSync(h.client);
  }, 120_000);
  afterAll(() => h?.stop());

  test("every global permission's grants are exactly the holders of the fake's model", () => {
    const resources = r.resources.filter((x) => x.id!.resourceType === 'global-permission').map((x) => x.id!.resource);
    expect(resources.sort()).toEqual(globalPermissionKeys().sort());
    const got = holdersBySync(r);
    for (const [key, want] of truth(h.fake.tenant)) expect([key, got.get(key) ?? new Set()]).toEqual([key, want]);
    expect([...truth(h.fake.tenant).values()].every((s) => s.size > 0)).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('cost: one permissions/check per site account, one GET /permissions, and the user listing read once', () => {
    const users = h.fake.tenant.users().length;
    // plus Validate's probe: one GET /permissions and one check of the connector's own account
    expect(h.fake.stats.count('getBulkPermissions')).toBe(users + 1);
    expect(h.fake.stats.count('getAllPermissions')).toBe(1 + 1);
    // the user listing (pages of 1000 without the organization, ending on an empty page) is read once, the checks reuse its
    // pages; plus Validate's one-user probe, as in a sync without the option
    expect(h.fake.stats.count('getAllUsers')).toBe(Math.ceil(users / 1000) + 1 + 1);
  });
});

describe('hostile requests for global permissions', () => {
  test('a malformed key or page token is INVALID_ARGUMENT naming the field, before any check is sent', async () => {
    const h = await startHarness({ config: () => ({ 'jira-global-permissions': true }) });
    try {
      const bad = Buffer.from(JSON.stringify({ v: 1, k: 'global-permission-grants', s: -1, o: 0 })).toString('base64url');
      const cases: [Promise<unknown>, RegExp][] = [
        [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('global-permission', '../x') })), /resource\.id\.resource/],
        [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('global-permission', 'ADMINISTER'), pageToken: bad })), /page_token/],
        [h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'global-permission', resource: 'a?b' } })), /resource_id\.resource/],
      ];
      for (const [p, re] of cases) {
        const [c, details] = await code(p);
        expect(c).toBe('INVALID_ARGUMENT');
        expect(details).toMatch(re);
      }
      expect(h.fake.stats.count('getBulkPermissions')).toBe(0);
    } finally {
      await h.stop();
    }
  });
});

describe('global permissions off (the default)', () => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness();
    r = await runSync(h.client);
  }, 60_000);
  afterAll(() => h?.stop());

  test('the type says they are not synced, lists no resource and nothing is checked', () => {
    const type = r.resourceTypes.find((t) => t.id === 'global-permission')!;
    expect(type.description).toMatch(/not synced.*BATON_JIRA_GLOBAL_PERMISSIONS=true/);
    expect(r.resources.filter((x) => x.id!.resourceType === 'global-permission')).toEqual([]);
    expect(h.fake.stats.count('getBulkPermissions')).toBe(0);
    expect(h.fake.stats.count('getAllPermissions')).toBe(0);
    expect(h.fake.stats.count('getAllUsers')).toBe(Math.ceil(h.fake.tenant.users().length / 1000) + 1 + 1);
  });
});

describe('global permissions with the organization configured (user pages of 100)', () => {
  test("grants equal the model; the checks walk the listing's own pages and skip managed accounts without site access", async () => {
    const h = await startHarness({
      fake: { tier: 'S', seed: 5 },
      config: (f) => ({ 'jira-global-permissions': true, 'atlassian-orgid': f.orgId, 'atlassian-api-token': f.credentials.orgApiKey.key }),
    });
    try {
      h.fake.stats.reset();
      const r = await runSync(h.client);
      const got = holdersBySync(r);
      for (const [key, want] of truth(h.fake.tenant)) expect([key, got.get(key) ?? new Set()]).toEqual([key, want]);
      expect(h.fake.stats.count('getBulkPermissions')).toBe(h.fake.tenant.users().length + 1); // + Validate's probe
      expect(r.warnings).toEqual([]);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe('global permissions with customers skipped', () => {
  test('customers are neither checked nor granted', async () => {
    const h = await startHarness({ config: () => ({ 'jira-global-permissions': true, 'skip-customer-user': true }) });
    try {
      const r = await runSync(h.client);
      const got = holdersBySync(r);
      for (const [key, want] of truth(h.fake.tenant, true)) expect([key, got.get(key) ?? new Set()]).toEqual([key, want]);
      const customers = h.fake.tenant.users().filter((u) => u.accountType === 'customer').length;
      expect(customers).toBeGreaterThan(0);
      expect(h.fake.stats.count('getBulkPermissions')).toBe(h.fake.tenant.users().length - customers + 1); // + Validate's probe
    } finally {
      await h.stop();
    }
  }, 60_000);
});
