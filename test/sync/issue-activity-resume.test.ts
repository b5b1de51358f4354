/**
 * The issue-activity pass (BATON_JIRA_ACTIVITY_DAYS) is kept per sync as it goes: a search page that
 * fails past the client's retries fails the user-listing call, and the syncer's retry of that call
 * goes on from the failed page (each page served successfully once, the earlier ones never asked
 * again). And it starts early: a sync that lists projects before users has the whole pass read in
 * the background before the first users call, which then sends no search at all. Real fake Atlassian
 * (fault injection, request log), real gRPC server; the profiles are the work-item model's.
 */
import { allPages } from '../helpers/pages';
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { generateTenant } from '../../src/fake-atlassian/tenant';
import { workItemModel, SEARCH_CHANGELOG_CAP } from '../../src/fake-atlassian/work-items';
import type { LoggedRequest } from '../../src/fake-atlassian';
import { Resource, ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest } from '../../src/gen/c1/connector/v2/resource';
import { ConnectorServiceCleanupRequest } from '../../src/gen/c1/connector/v2/connector';

const DAYS = 365;
const SEARCH = 'searchAndReconsileIssuesUsingJql';
const BULK = 'getBulkChangelogs';
const DEADLINE = { deadlineMs: 60_000 };
/** short waits and 2 attempts per upstream request, so a page that keeps failing fails its call quickly */
const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 80, maxFaultRetries: 1 };

let h: Harness;
beforeAll(async () => {
  // tier S with 80 issues per project: 395 updated in the window, 4 search pages, some long histories
  const tenant = generateTenant({ tier: 'S', seed: 1, spec: { issuesPerProject: 80 } });
  h = await startHarness({ fake: { tenant, requestLog: 100_000 }, config: () => ({ 'jira-activity-days': DAYS, 'jira-project-permissions': ['none'] }), build: { client: { retry: FAST_RETRY } } });
  workItemModel(h.fake.tenant).setNow(Date.now());
}, 60_000);
afterAll(() => h?.stop());
beforeEach(() => {
  h.fake.faults.clear();
  h.fake.stats.reset();
  h.fake.stats.takeLog();
});

/** Search pages and bulk changelog requests the model calls for. */
function cost(): { pages: number; bulk: number } {
  const updated = workItemModel(h.fake.tenant).updatedWithin(DAYS);
  const truncated = updated.filter((w) => w.changes.length > SEARCH_CHANGELOG_CAP);
  const histories = truncated.reduce((n, w) => n + w.changes.length, 0);
  return { pages: Math.max(1, Math.ceil(updated.length / 100)), bulk: truncated.length ? Math.max(1, Math.ceil(histories / 10_000)) : 0 };
}

/** The pass's search requests (Validate's probe asks for no changelog). */
const passSearches = (log: LoggedRequest[]) => log.filter((r) => r.path.endsWith('/search/jql') && r.query.includes('changelog'));

function expectProfilesAsModel(users: Resource[]): void {
  const t = h.fake.tenant;
  const truth = workItemModel(t).lastActivity(DAYS);
  expect(users.length).toBe(t.users().length);
  let withActivity = 0;
  for (const u of users) {
    const p = (u.profile ?? {}) as Record<string, unknown>;
    const want = truth.get(u.id!.resource);
    expect(p.last_issue_activity_window_days).toBe(DAYS);
    expect([u.id!.resource, p.last_issue_activity ?? null, p.last_issue_activity_issue ?? null]).toEqual([u.id!.resource, want?.at ?? null, want?.issueKey ?? null]);
    if (want) {
      withActivity++;
      expect(p.last_issue_activity_source).toBe(want.source === 'created' ? 'created an issue' : 'changed an issue');
    }
  }
  expect(withActivity).toBe(truth.size);
  expect(withActivity).toBeGreaterThan(0);
}

const usersOf = (r: SyncResult) => r.resources.filter((x) => x.id!.resourceType === 'user');

test("a middle search page fails past the retries: the user listing fails, the syncer's retry goes on from that page; each page served once", async () => {
  const { pages, bulk } = cost();
  expect(pages).toBeGreaterThanOrEqual(3);
  // search requests: Validate's probe, then the pass's pages; page 3 and every search after it answer 503 until the user listing has failed
  const failing = 3;
  let searches = 0;
  const rule = h.fake.faults.add({ match: (r) => r.operationId === SEARCH && ++searches >= 1 + failing, status: { code: 503 } });
  const userRetries: string[] = [];
  const r = await runSync(h.client, {
    sleep: async () => undefined,
    onLog: (line) => {
      if (!line.startsWith('ListResources(user)') || !line.includes('retry')) return;
      userRetries.push(line);
      h.fake.faults.remove(rule);
    },
  });
  expect(userRetries.length).toBe(1);

  const s = h.fake.stats;
  const failed = s.statusCount(503, SEARCH);
  // the client's two attempts of the page failed at least once over (in the background, then in the call, or in the call alone)
  expect(failed).toBeGreaterThanOrEqual(2);
  expect(s.statusCount(200, SEARCH)).toBe(pages + 1);
  expect(s.count(SEARCH)).toBe(pages + 1 + failed);
  expect(s.count(BULK)).toBe(bulk);
  expect(s.statusCount(200, BULK)).toBe(bulk);

  // by the request log: every page asked for once, the failed one once more per failure, in order
  const asked = passSearches(h.fake.stats.takeLog().requests).map((x) => x.query);
  const distinct = [...new Set(asked)];
  expect(distinct.length).toBe(pages);
  expect(asked).toEqual(distinct.flatMap((q, i) => Array.from({ length: i === failing - 1 ? 1 + failed : 1 }, () => q)));

  expectProfilesAsModel(usersOf(r));
  expect(h.fake.validationErrors).toEqual([]);
}, 120_000);

/** Waits (bounded) until Jira has served `n` answers of an operation. */
async function served(operationId: string, n: number): Promise<void> {
  for (let i = 0; i < 3000 && h.fake.stats.statusCount(200, operationId) < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(h.fake.stats.statusCount(200, operationId)).toBe(n);
}

test.each([{ withId: true }, { withId: false }])(
  'a sync that lists projects first (active_sync_id sent: $withId) has the pass read before the first users call, which sends no search',
  async ({ withId }) => {
    const { pages, bulk } = cost();
    const c = h.client;
    const activeSyncId = withId ? 'early-activity-sync' : '';
    await c.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ activeSyncId }), DEADLINE);
    const projects = await allPages((pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'project', pageToken, activeSyncId }), DEADLINE));
    expect(projects.length).toBe(h.fake.tenant.projects().length);
    // the pass goes on in the background after the project listing answered
    await served(SEARCH, pages);
    await served(BULK, bulk);
    const before = h.fake.stats.takeLog().requests;
    expect(passSearches(before).length).toBe(pages);
    expect(before.some((x) => x.path.endsWith('/users/search'))).toBe(false);

    const users = await allPages((pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'user', pageToken, activeSyncId }), DEADLINE));
    const during = h.fake.stats.takeLog().requests;
    expect(during.some((x) => x.path.endsWith('/users/search'))).toBe(true);
    expect(during.filter((x) => x.path.endsWith('/search/jql') || x.path.endsWith('/changelog/bulkfetch'))).toEqual([]);
    expect(h.fake.stats.count(SEARCH)).toBe(pages);
    expect(h.fake.stats.count(BULK)).toBe(bulk);
    expectProfilesAsModel(users);
    await c.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId }), DEADLINE);
  },
  120_000,
);
