/**
 * Work items (BATON_JIRA_WORK_ITEMS): a full sync through gRPC lists exactly the fake model's
 * issues filtered by BATON_JIRA_WORK_ITEM_PROJECTS / _STATUSES / _EXCLUDE_STATUSES (include only,
 * exclude only, both), as children of their project, with the model's fields and the right
 * `assignee` and `reporter` grants; summaries only when not switched off; no request per work item.
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { workItemModel, WorkItem } from '../../src/fake-atlassian/work-items';
import { issueStore } from '../../src/fake-atlassian/issues';
import type { RawConfig } from '../../src/config/schema';
import { Tenant } from '../../src/fake-atlassian';
import { ResourcesServiceListResourcesRequest, ResourceGetterServiceGetResourceRequest } from '../../src/gen/c1/connector/v2/resource';
import { GrantsServiceListGrantsRequest } from '../../src/gen/c1/connector/v2/grant';
import { code, stub } from '../helpers/grant-requests';

interface Filters {
  projects?: (t: Tenant) => string[];
  statuses?: string[];
  exclude?: string[];
  summary?: boolean;
}

function truth(t: Tenant, f: Filters): WorkItem[] {
  const store = issueStore(t);
  const keys = f.projects?.(t) ?? [];
  return workItemModel(t)
    .items()
    .filter((w) => {
      const status = store.status(w.statusId)!.name;
      if (keys.length && !keys.includes(w.projectKey)) return false;
      if (f.statuses?.length && !f.statuses.includes(status)) return false;
      if (f.exclude?.includes(status)) return false;
      return true;
    });
}

function config(t: Tenant, f: Filters): RawConfig {
  const raw: RawConfig = { 'jira-work-items': true };
  if (f.projects) raw['jira-work-item-projects'] = f.projects(t).join(',');
  if (f.statuses) raw['jira-work-item-statuses'] = f.statuses.join(',');
  if (f.exclude) raw['jira-work-item-exclude-statuses'] = f.exclude.join(',');
  if (f.summary === false) raw['jira-work-item-summary'] = false;
  return raw;
}

const CASES: Array<[string, 'S' | 'M', Filters]> = [
  ['no filter', 'S', {}],
  ['include statuses only', 'S', { statuses: ['To Do', 'Waiting for approval'] }],
  ['exclude statuses only', 'S', { exclude: ['Done', 'Declined'], summary: false }],
  [
    'projects, include and exclude',
    'S',
    {
      projects: (t) =>
        t
          .projects()
          .slice(1, 3)
          .map((p) => p.key),
      statuses: ['To Do', 'In Progress', 'Done'],
      exclude: ['In Progress'],
    },
  ],
  ['exclude statuses only', 'M', { exclude: ['Done'] }],
  [
    'projects, include and exclude',
    'M',
    {
      projects: (t) =>
        t
          .projects()
          .slice(0, 20)
          .map((p) => p.key),
      statuses: ['To Do', 'In Progress', 'Waiting for approval'],
      exclude: ['Waiting for approval'],
    },
  ],
];

describe.each(CASES)('work items: %s on tier %s', (_name, tier, filters) => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier, seed: 1 }, config: (fake) => config(fake.tenant, filters) });
    r = await runSync(h.client);
  }, 120_000);
  afterAll(() => h?.stop());

  test("the work items are the model's issues under the filters, with the model's fields", () => {
    const t = h.fake.tenant;
    const m = workItemModel(t);
    const store = issueStore(t);
    const want = truth(t, filters);
    expect(want.length).toBeGreaterThan(0);
    const got = r.resources.filter((x) => x.id!.resourceType === 'work-item');
    expect(got.map((x) => x.id!.resource).sort()).toEqual(want.map((w) => w.id).sort());
    for (const w of want) {
      const res = got.find((x) => x.id!.resource === w.id)!;
      const p = res.profile as Record<string, unknown>;
      const s = store.status(w.statusId)!;
      expect(res.parentResourceId).toEqual({ resourceType: 'project', resource: w.projectId, batonResource: false });
      expect(p).toMatchObject({
        key: w.key,
        project_key: w.projectKey,
        status: s.name,
        status_category: s.category,
        assignee_account_id: w.assigneeAccountId ?? '',
        reporter_account_id: w.reporterAccountId ?? '',
        created: m.iso(w.createdAgo).replace('Z', '+0000'),
      });
      expect(p.security_level).toBe(w.securityLevel?.name);
      if (filters.summary === false) {
        expect(p.summary).toBeUndefined();
        expect(res.displayName).toBe(w.key);
      } else expect(p.summary).toBe(w.summary);
    }
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('assignee and reporter grants are the model’s, with no request per work item', () => {
    const want = truth(h.fake.tenant, filters);
    const grants = r.grants.filter((g) => g.entitlement!.resource!.id!.resourceType === 'work-item');
    const got = grants.map((g) => `${g.entitlement!.id} ${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`).sort();
    const expected = want
      .flatMap((w) => [
        ...(w.assigneeAccountId ? [`work-item:${w.id}:assignee user:${w.assigneeAccountId}`] : []),
        ...(w.reporterAccountId ? [`work-item:${w.id}:reporter user:${w.reporterAccountId}`] : []),
      ])
      .sort();
    expect(got).toEqual(expected);
    // one search page per listed project (each holds fewer than 100 issues), none per work item; plus Validate's probes (the search, and the statuses when filtered)
    const listed = r.resources.filter((x) => x.id!.resourceType === 'project').length;
    const keys = filters.projects?.(h.fake.tenant);
    expect(h.fake.stats.count('searchAndReconsileIssuesUsingJql')).toBe((keys ? keys.length : listed) + 1 + (filters.statuses || filters.exclude ? 1 : 0));
  });
});

describe('hostile work-item requests', () => {
  test('a foreign page token, a non-numeric parent or id is INVALID_ARGUMENT naming the field', async () => {
    const h = await startHarness({ config: () => ({ 'jira-work-items': true }) });
    try {
      const list = (parent: { resourceType: string; resource: string } | undefined, pageToken = '') =>
        h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'work-item', parentResourceId: parent, pageToken }));
      const foreign = Buffer.from(JSON.stringify({ v: 1, k: 'project', c: 0, s: 0 })).toString('base64url');
      const bad = Buffer.from(JSON.stringify({ v: 1, k: 'work-item', t: 'a b' })).toString('base64url');
      const p = h.fake.tenant.projects()[0].id;
      for (const [call, re] of [
        [list({ resourceType: 'project', resource: '1 OR 1=1' }), /parent_resource_id/],
        [list({ resourceType: 'project', resource: p }, foreign), /page_token/],
        [list({ resourceType: 'project', resource: p }, bad), /page_token/],
      ] as const) {
        const [c, details] = await code(call);
        expect(c).toBe('INVALID_ARGUMENT');
        expect(details).toMatch(re);
      }
      expect(h.fake.stats.count('searchAndReconsileIssuesUsingJql')).toBe(0);
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe('work items and issue activity over many pages (230 issues per project)', () => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    const tenant = new Tenant({ tier: 'S', seed: 2, spec: { issuesPerProject: 230 } });
    h = await startHarness({ fake: { tenant }, config: () => ({ 'jira-work-items': true, 'jira-activity-days': 90 }) });
    workItemModel(h.fake.tenant).setNow(Date.now());
    r = await runSync(h.client);
  }, 180_000);
  afterAll(() => h?.stop());

  test("Jira's page token inside ours: every work item once, and every account's activity is the model's", () => {
    const t = h.fake.tenant;
    const m = workItemModel(t);
    const ids = r.resources.filter((x) => x.id!.resourceType === 'work-item').map((x) => x.id!.resource);
    expect(ids.length).toBe(new Set(ids).size);
    expect(ids.sort()).toEqual(
      m
        .items()
        .map((w) => w.id)
        .sort(),
    );
    const truth = m.lastActivity(90);
    for (const u of r.resources.filter((x) => x.id!.resourceType === 'user')) {
      const p = u.profile as Record<string, unknown>;
      expect([u.id!.resource, p.last_issue_activity ?? null]).toEqual([u.id!.resource, truth.get(u.id!.resource)?.at ?? null]);
    }
    // work items: 3 pages per project; activity: one pass of pages of 100; plus Validate's probe
    const projects = t.projects().length;
    expect(h.fake.stats.count('searchAndReconsileIssuesUsingJql')).toBe(projects * 3 + Math.ceil(m.updatedWithin(90).length / 100) + 1);
    expect(h.fake.validationErrors).toEqual([]);
  });
});

describe('one work item outside a sync', () => {
  test("GetResource and ListGrants read it by id: the model's fields and assignee and reporter", async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: () => ({ 'jira-work-items': true }) });
    try {
      const w = workItemModel(h.fake.tenant)
        .items()
        .find((x) => x.assigneeAccountId && x.reporterAccountId)!;
      const got = await h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'work-item', resource: w.id } }));
      expect(got.resource!.profile).toMatchObject({ key: w.key, assignee_account_id: w.assigneeAccountId, reporter_account_id: w.reporterAccountId });
      const grants = await h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('work-item', w.id) }));
      expect(grants.list.map((g) => `${g.entitlement!.id} ${g.principal!.id!.resource}`).sort()).toEqual(
        [`work-item:${w.id}:assignee ${w.assigneeAccountId}`, `work-item:${w.id}:reporter ${w.reporterAccountId}`].sort(),
      );
      const [c, details] = await code(h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'work-item', resource: w.key } })));
      expect([c, details]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/resource_id\.resource must be the numeric issue id/)]);
      const [c2] = await code(h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'work-item', resource: '99999999' } })));
      expect(c2).toBe('NOT_FOUND');
    } finally {
      await h.stop();
    }
  }, 60_000);
});

describe('work-item statuses Jira does not know', () => {
  test('Validate answers INVALID_ARGUMENT with Jira’s message, before any sync', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: () => ({ 'jira-work-items': true, 'jira-work-item-exclude-statuses': 'Done,Nope' }) });
    try {
      const [c, details] = await code(h.client.connector.validate({}));
      expect(c).toBe('INVALID_ARGUMENT');
      expect(details).toMatch(/The value 'Nope' does not exist for the field 'status'/);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
