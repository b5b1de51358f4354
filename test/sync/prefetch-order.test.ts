/**
 * Issue 20: whatever order a syncer lists grants in, with or without active_sync_id, and with one
 * worker or several, each group member page and each role's actors are fetched from Atlassian once
 * (the fake's request counts against the page caps of its own model), and the grants are the
 * model's. A syncer that lists grants in listing order, in reverse, or shuffled, as the SDK's
 * store-ordered syncer does, must not make the connector fetch anything twice.
 */
import { allPages } from '../helpers/pages';
import { startHarness, Harness } from '../helpers/harness';
import { workItemModel } from '../../src/fake-atlassian/work-items';
import { Resource, ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest } from '../../src/gen/c1/connector/v2/resource';
import { Grant, GrantsServiceListGrantsRequest } from '../../src/gen/c1/connector/v2/grant';
import { ConnectorServiceCleanupRequest } from '../../src/gen/c1/connector/v2/connector';

const MEMBER_PAGE = 50;
const DEADLINE = { deadlineMs: 60_000 };

/** A deterministic shuffle (the order of an id-sorted store is as unrelated to listing order as this). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

type Order = 'listing' | 'reverse' | 'shuffled';

/** A syncer: resource types, every resource (project roles under their projects), then grants of every resource in `order` with `workers` at once. */
async function sync(h: Harness, opts: { order: Order; workers: number; activeSyncId?: string }): Promise<Grant[]> {
  const c = h.client;
  const activeSyncId = opts.activeSyncId ?? '';
  const types = (await c.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ activeSyncId }), DEADLINE)).list;
  const resources: Resource[] = [];
  for (const t of types) {
    const top = await allPages((pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId }), DEADLINE));
    resources.push(...top);
    if (t.id === 'project')
      for (const p of top)
        for (const child of types.map((x) => x.id).filter((x) => x === 'project-role' || x === 'work-item'))
          resources.push(
            ...(await allPages((pageToken) =>
              c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: child, parentResourceId: p.id, pageToken, activeSyncId }), DEADLINE),
            )),
          );
  }
  const ordered = opts.order === 'listing' ? resources : opts.order === 'reverse' ? [...resources].reverse() : shuffled(resources, 7);
  const grants: Grant[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.workers }, async () => {
      while (next < ordered.length) {
        const resource = ordered[next++];
        grants.push(...(await allPages((pageToken) => c.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource, pageToken, activeSyncId }), DEADLINE))));
      }
    }),
  );
  if (activeSyncId) await c.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId }), DEADLINE);
  return grants;
}

let h: Harness;
beforeAll(async () => {
  // tier M: 100 groups (some with several member pages), 50 projects, 245 project roles
  h = await startHarness({ fake: { tier: 'M', seed: 3 }, config: () => ({ 'jira-project-permissions': ['none'] }) });
}, 60_000);
afterAll(() => h?.stop());

/** The fewest member-page and actor requests the model allows. */
function minimum(): { memberPages: number; actors: number } {
  const t = h.fake.tenant;
  const site = new Set(t.users().map((u) => u.accountId));
  let memberPages = 0;
  for (const g of t.groups()) memberPages += Math.max(1, Math.ceil(t.groupMembers(g.groupId).filter((a) => site.has(a)).length / MEMBER_PAGE));
  const actors = t.projects().reduce((n, p) => n + t.projectRoles(p.id).length, 0);
  return { memberPages, actors };
}

const cases: { order: Order; workers: number; withId: boolean }[] = [
  { order: 'listing', workers: 1, withId: true },
  { order: 'reverse', workers: 1, withId: true },
  { order: 'shuffled', workers: 4, withId: true },
  { order: 'shuffled', workers: 1, withId: false },
  { order: 'reverse', workers: 8, withId: false },
];

test.each(cases)(
  'grants listed in $order order by $workers worker(s), active_sync_id sent: $withId — each member page and role fetched once, grants as the model',
  async ({ order, workers, withId }) => {
    const min = minimum();
    expect(min.memberPages).toBeGreaterThan(h.fake.tenant.groups().length); // some groups span several pages
    h.fake.stats.reset();
    const grants = await sync(h, { order, workers, activeSyncId: withId ? `sync-${order}-${workers}` : undefined });
    const ops = h.fake.stats.snapshot().byOperation;
    expect(ops['GET /rest/api/3/group/member']).toBe(min.memberPages);
    expect(ops['GET /rest/api/3/project/{projectIdOrKey}/role/{id}']).toBe(min.actors);
    // nothing outside a sync is read per resource: each project's lead came from the listing
    expect(ops['GET /rest/api/3/project/{projectIdOrKey}'] ?? 0).toBe(0);

    // the grants are the model's: every group's members, every role's user actors
    const t = h.fake.tenant;
    const site = new Set(t.users().map((u) => u.accountId));
    const members = new Set(grants.filter((g) => g.entitlement?.resource?.id?.resourceType === 'group').map((g) => `${g.entitlement!.resource!.id!.resource}|${g.principal!.id!.resource}`));
    const expected = new Set(
      t.groups().flatMap((g) =>
        t
          .groupMembers(g.groupId)
          .filter((a) => site.has(a))
          .map((a) => `${g.groupId}|${a}`),
      ),
    );
    expect(members).toEqual(expected);
    const roleUsers = grants.filter((g) => g.entitlement?.resource?.id?.resourceType === 'project-role' && g.principal?.id?.resourceType === 'user').length;
    const modelRoleUsers = t.projects().reduce((n, p) => n + t.projectRoles(p.id).reduce((m, r) => m + t.roleActors(p.id, r.id).users.length, 0), 0);
    expect(roleUsers).toBe(modelRoleUsers);
  },
  120_000,
);

test("work items (BATON_JIRA_WORK_ITEMS): each project's search pages fetched once (prefetched and taken, never twice), whatever the order, without active_sync_id", async () => {
  const w = await startHarness({ fake: { tier: 'S', seed: 1 }, config: () => ({ 'jira-work-items': true, 'jira-project-permissions': ['none'] }) });
  try {
    w.fake.stats.reset();
    const grants = await sync(w, { order: 'reverse', workers: 1 });
    const t = w.fake.tenant;
    const items = workItemModel(t).items();
    const pages = t.projects().reduce((n, p) => n + Math.max(1, Math.ceil(items.filter((i) => i.projectId === p.id).length / 100)), 0);
    expect(w.fake.stats.snapshot().byOperation['GET /rest/api/3/search/jql']).toBe(pages);
    // every work item's assignee is a grant
    const assigned = grants.filter((g) => g.entitlement?.resource?.id?.resourceType === 'work-item' && g.entitlement.id.endsWith(':assignee')).length;
    expect(assigned).toBe(items.filter((i) => i.assigneeAccountId).length);
  } finally {
    await w.stop();
  }
}, 120_000);

test("with the organization: each group's directory member pages (search and site lookup) are fetched once whatever the order; the grants do not depend on it", async () => {
  const o = await startHarness({
    fake: { tier: 'M', seed: 3 },
    config: (fake) => ({ 'jira-project-permissions': ['none'], 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key }),
  });
  try {
    const t = o.fake.tenant;
    const site = new Set(t.users().map((u) => u.accountId));
    // the model's pages: per directory group, one per 100 members (at least one)
    const pages = t.directoryGroups().reduce((n, g) => n + Math.max(1, Math.ceil(t.directoryGroupMembers('-', g.groupId).length / 100)), 0);
    expect(pages).toBeGreaterThan(t.directoryGroups().length); // some groups span several pages
    let first: string[] | undefined;
    for (const [i, c] of [
      { order: 'listing' as const, workers: 1 },
      { order: 'reverse' as const, workers: 1 },
      { order: 'shuffled' as const, workers: 4 },
    ].entries()) {
      o.fake.stats.reset();
      const grants = await sync(o, { ...c, activeSyncId: `org-sync-${i}` });
      const reads = Object.entries(o.fake.stats.byDetail).filter(([k]) => k.startsWith('directory-group-members|'));
      expect([c.order, reads.length, reads.filter(([, n]) => n !== 1)]).toEqual([c.order, pages, []]);
      const members = grants
        .filter((g) => g.entitlement?.resource?.id?.resourceType === 'group')
        .map((g) => `${g.entitlement!.resource!.id!.resource}|${g.principal!.id!.resource}`)
        .sort();
      // managed accounts without site access are members through the directory only
      expect(members.filter((m) => !site.has(m.slice(m.indexOf('|') + 1))).length).toBeGreaterThan(0);
      first ??= members;
      expect(members).toEqual(first);
    }
  } finally {
    await o.stop();
  }
}, 180_000);
