/**
 * Last issue activity per account (BATON_JIRA_ACTIVITY_DAYS): a full sync through gRPC gives every
 * user the latest time, within the window, it created or changed an issue, exactly as the fake's
 * work-item model says (accounts with none have none), with project key filtering; the cost is one
 * search per 100 issues updated in the window plus the bulk changelogs of issues whose history the
 * search truncates, never a request per user. Without the option nothing is searched.
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { workItemModel, SEARCH_CHANGELOG_CAP } from '../../src/fake-atlassian/work-items';
import type { Tenant } from '../../src/fake-atlassian';

const DAYS = 90;
const SEARCH = 'searchAndReconsileIssuesUsingJql';
const BULK = 'getBulkChangelogs';

function profiles(r: SyncResult): Map<string, Record<string, unknown>> {
  return new Map(r.resources.filter((x) => x.id!.resourceType === 'user').map((x) => [x.id!.resource, (x.profile ?? {}) as Record<string, unknown>]));
}

function expectMatchesModel(t: Tenant, r: SyncResult, projectKeys: string[]): void {
  const truth = workItemModel(t).lastActivity(DAYS, projectKeys);
  const got = profiles(r);
  expect(got.size).toBe(t.users().length);
  let withActivity = 0;
  for (const [accountId, p] of got) {
    const want = truth.get(accountId);
    expect(p.last_issue_activity_window_days).toBe(DAYS);
    expect([accountId, p.last_issue_activity ?? null]).toEqual([accountId, want?.at ?? null]);
    if (want) {
      withActivity++;
      expect(p.last_issue_activity_source).toBe(want.source === 'created' ? 'created an issue' : 'changed an issue');
      expect(p.last_issue_activity_issue).toBe(want.issueKey);
    }
  }
  // every account the model saw is a listed user
  expect(withActivity).toBe(truth.size);
}

describe.each(['S', 'M'] as const)('issue activity on tier %s', (tier) => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier, seed: 1 }, config: () => ({ 'jira-activity-days': DAYS }) });
    workItemModel(h.fake.tenant).setNow(Date.now());
    r = await runSync(h.client);
  }, 120_000);
  afterAll(() => h?.stop());

  test("every user's last issue activity is the model's", () => {
    expectMatchesModel(h.fake.tenant, r, []);
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('the model has activity by inactive and customer accounts, and the sync reports it', () => {
    const t = h.fake.tenant;
    const truth = workItemModel(t).lastActivity(DAYS);
    const users = t.users().filter((u) => truth.has(u.accountId));
    expect(users.length).toBeGreaterThan(0);
    if (tier === 'M') {
      expect(users.some((u) => !t.isActiveInJira(u))).toBe(true);
      expect(users.some((u) => u.accountType === 'customer')).toBe(true);
    }
  });

  test('cost: one search per 100 updated issues, bulk changelogs only for truncated histories, nothing per user', () => {
    const m = workItemModel(h.fake.tenant);
    const updated = m.updatedWithin(DAYS);
    const truncated = updated.filter((w) => w.changes.length > SEARCH_CHANGELOG_CAP);
    // plus Validate's probe: one small search
    expect(h.fake.stats.count(SEARCH)).toBe(Math.max(1, Math.ceil(updated.length / 100)) + 1);
    const histories = truncated.reduce((n, w) => n + w.changes.length, 0);
    expect(h.fake.stats.count(BULK)).toBe(truncated.length ? Math.max(1, Math.ceil(histories / 10_000)) : 0);
    if (tier === 'M') expect(truncated.length).toBeGreaterThan(0);
  });
});

describe('issue activity with BATON_JIRA_PROJECT_KEYS', () => {
  let h: Harness;
  let r: SyncResult;
  let keys: string[];
  beforeAll(async () => {
    h = await startHarness({
      fake: { tier: 'M', seed: 1 },
      config: (fake) => {
        keys = fake.tenant
          .projects()
          .slice(0, 12)
          .map((p) => p.key);
        return { 'jira-activity-days': DAYS, 'jira-project-keys': keys.join(',') };
      },
    });
    workItemModel(h.fake.tenant).setNow(Date.now());
    r = await runSync(h.client);
  }, 120_000);
  afterAll(() => h?.stop());

  test("only the listed projects' issues count", () => {
    expectMatchesModel(h.fake.tenant, r, keys);
    const all = workItemModel(h.fake.tenant).lastActivity(DAYS);
    const some = workItemModel(h.fake.tenant).lastActivity(DAYS, keys);
    expect(some.size).toBeLessThan(all.size);
    expect(h.fake.validationErrors).toEqual([]);
  });
});

describe('without BATON_JIRA_ACTIVITY_DAYS', () => {
  test('nothing is searched and no profile carries issue activity', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 1 } });
    try {
      const r = await runSync(h.client);
      expect(h.fake.stats.count(SEARCH)).toBe(0);
      for (const p of profiles(r).values()) expect(Object.keys(p).filter((k) => k.startsWith('last_issue_activity'))).toEqual([]);
    } finally {
      await h.stop();
    }
  }, 120_000);
});

describe('issue activity when Jira refuses the search', () => {
  test('a project key Jira does not know: users are listed, each profile says why there is no issue activity', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: (fake) => ({ 'jira-activity-days': DAYS, 'jira-project-keys': `${fake.tenant.projects()[0].key},NOSUCH` }) });
    try {
      const r = await runSync(h.client);
      const got = profiles(r);
      expect(got.size).toBe(h.fake.tenant.users().length);
      for (const p of got.values()) {
        expect(p.last_issue_activity).toBeUndefined();
        expect(p.last_issue_activity_window_days).toBeUndefined();
        expect(p.last_issue_activity_unavailable).toMatch(/^issue search refused \(invalid-input, HTTP 400\): The value 'NOSUCH' does not exist for the field 'project'/);
      }
    } finally {
      await h.stop();
    }
  }, 120_000);
});
