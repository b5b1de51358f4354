/**
 * With the Atlassian organization configured: every managed account appears once, joined to its
 * Jira account; emails Jira hides come from the organization; managed accounts without site
 * access are listed and marked; directory groups and their memberships match the tenant.
 */
import { heldForSync } from '../../src/connector/cache';
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness, fakeConfig } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { parseConnectorConfig, ConfigError } from '../../src/config/schema';
import { UserTrait } from '../../src/gen/c1/connector/v2/annotation_trait';
import { GroupTrait } from '../../src/gen/c1/connector/v2/annotation_trait';
import { pickAnnotation } from '../../src/connector/annotations';

const orgConfig = (fake: Harness['fake']) => ({ 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key });

function byType(r: SyncResult, type: string) {
  return new Map(r.resources.filter((x) => x.id!.resourceType === type).map((x) => [x.id!.resource, x]));
}

describe('organization sync (tier M, small admin pages)', () => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'M', seed: 9, adminV1PageSize: 25 }, config: (fake) => orgConfig(fake) });
    r = await runSync(h.client, { workers: 4 });
  });
  afterAll(async () => h?.stop());

  test('every site user and every managed account, once', () => {
    const t = h.fake.tenant;
    const users = byType(r, 'user');
    const site = new Set(t.users().map((u) => u.accountId));
    const orgOnly = t.orgUsers().filter((u) => !site.has(u.accountId));
    expect(orgOnly.length).toBeGreaterThan(0);
    expect(new Set(users.keys())).toEqual(new Set([...site, ...orgOnly.map((u) => u.accountId)]));
    expect(r.resources.filter((x) => x.id!.resourceType === 'user')).toHaveLength(users.size);
    for (const u of orgOnly) {
      const res = users.get(u.accountId)!;
      expect(res.profile!.site_access).toBe(false);
      expect(res.profile!.managed).toBe(true);
    }
  });

  test('managed accounts are joined to their Jira account: hidden emails filled in from the organization', () => {
    const t = h.fake.tenant;
    const users = byType(r, 'user');
    const hiddenManaged = t.users().filter((u) => !u.emailVisible && u.claimStatus === 'managed' && u.directoryId);
    expect(hiddenManaged.length).toBeGreaterThan(0);
    for (const u of hiddenManaged) {
      const res = users.get(u.accountId)!;
      const trait = pickAnnotation(res.annotations, UserTrait, 'c1.connector.v2.UserTrait')!;
      expect(trait.emails.map((e) => e.address)).toEqual([u.email]);
      expect(res.profile!.email_visibility).toBe('hidden by profile visibility');
      expect((res.profile!.sources as Record<string, string>).email).toBe('organization');
      expect(res.profile!.managed).toBe(true);
      expect(res.profile!.api_token_count).toBe(t.apiTokens(u.accountId).length);
    }
    // suspended managed accounts are marked
    for (const u of t.users().filter((x) => x.suspended && x.directoryId)) expect(users.get(u.accountId)!.profile!.suspended).toBe(true);
    // accounts outside the directory are external
    for (const u of t.users().filter((x) => !x.directoryId)) expect(users.get(u.accountId)!.profile!.managed).toBe(false);
  });

  test("each managed account's API-token list is read once per sync: the user's api_token_count and the api-token type share it", () => {
    const t = h.fake.tenant;
    const managed = t.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null);
    expect(managed.length).toBeGreaterThan(100);
    expect(h.fake.stats.count('getApiTokens')).toBe(managed.length);
    const users = byType(r, 'user');
    const tokens = byType(r, 'api-token');
    const want = new Set(managed.flatMap((u) => t.apiTokens(u.accountId).map((x) => `${u.accountId}:${x.id}`)));
    expect(want.size).toBeGreaterThan(0);
    expect(new Set(tokens.keys())).toEqual(want);
    for (const u of managed) if (users.has(u.accountId)) expect([u.accountId, users.get(u.accountId)!.profile!.api_token_count]).toEqual([u.accountId, t.apiTokens(u.accountId).length]);
    // nothing of it is kept after the sync's Cleanup
    expect(heldForSync(r.syncId)).toBe(0);
  });

  test('groups and directory groups, with memberships as the tenant holds them', () => {
    const t = h.fake.tenant;
    const groups = byType(r, 'group');
    const jiraGroups = new Set(t.groups().map((g) => g.groupId));
    const dirOnly = t.directoryGroups().filter((g) => !jiraGroups.has(g.groupId));
    expect(new Set(groups.keys())).toEqual(new Set([...jiraGroups, ...dirOnly.map((g) => g.groupId)]));
    for (const g of dirOnly) expect(groups.get(g.groupId)!.profile!.site_access).toBe(false);
    const synced = t.groups().filter((g) => g.externalSynced);
    expect(synced.length).toBeGreaterThan(0);
    for (const g of synced) {
      const gt = pickAnnotation(groups.get(g.groupId)!.annotations, GroupTrait, 'c1.connector.v2.GroupTrait')!;
      expect(gt.groupSourceType).toBe('identity-provider');
      expect(groups.get(g.groupId)!.profile!.identity_provider_synced).toBe(true);
    }
    const users = new Set(byType(r, 'user').keys());
    const got = new Map<string, Set<string>>();
    for (const gr of r.grants) {
      if (gr.entitlement!.resource!.id!.resourceType !== 'group') continue;
      const gid = gr.entitlement!.resource!.id!.resource;
      if (!got.has(gid)) got.set(gid, new Set());
      got.get(gid)!.add(gr.principal!.id!.resource);
    }
    for (const gid of groups.keys()) {
      const want = new Set(t.groupMembers(gid).filter((a) => users.has(a)));
      expect([gid, got.get(gid) ?? new Set()]).toEqual([gid, want]);
    }
    // no grant points at a user that is not synced
    for (const gr of r.grants) if (gr.principal!.id!.resourceType === 'user') expect(users.has(gr.principal!.id!.resource)).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('the v1 managed-account list was paged over several full-URL cursors', () => {
    expect(h.fake.stats.count('GET /admin/v1/orgs/{orgId}/users')).toBeGreaterThan(3);
  });
});

describe('organization configuration errors', () => {
  test('one of the two settings without the other is a clear error', () => {
    const base = { 'jira-url': 'https://x.atlassian.net', 'jira-email': 'a@b.example', 'jira-api-token': 'tok-123456' };
    expect(() => parseConnectorConfig({ ...base, 'atlassian-orgid': 'o1' })).toThrow(ConfigError);
    expect(() => parseConnectorConfig({ ...base, 'atlassian-orgid': 'o1' })).toThrow(/--atlassian-api-token \(BATON_ATLASSIAN_API_TOKEN\)/);
    expect(() => parseConnectorConfig({ ...base, 'atlassian-api-token': 'key-123456' })).toThrow(/--atlassian-orgid \(BATON_ATLASSIAN_ORGID\)/);
  });

  test('an org key whose admin cannot manage the org: Validate answers PERMISSION_DENIED naming it', async () => {
    const h = await startHarness({
      fake: { tier: 'S', seed: 2 },
      config: (fake) => ({ ...fakeConfig(fake), 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.mintOrgApiKey({ canManageOrg: false }).key }),
    });
    try {
      const err = (await h.client.connector.validate({}).catch((e: ServiceError) => e)) as ServiceError;
      expect(Code[err.code]).toBe('PERMISSION_DENIED');
      expect(err.details).toMatch(/organization|org/i);
    } finally {
      await h.stop();
    }
  });

  test('without the organization the sync behaves as before (no admin API request)', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 2 } });
    try {
      const r = await runSync(h.client);
      expect(r.resources.every((x) => x.profile?.managed === undefined)).toBe(true);
      expect(Object.keys(h.fake.stats.snapshot().byOperation).filter((k) => k.includes('/admin/'))).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});
