/**
 * work-item (issue 16, BATON_JIRA_WORK_ITEMS=true): the issues of each project, as children of the
 * project, with `assignee` and `reporter` entitlements granted to users ("everything still assigned
 * to this person" is then a query of the platform).
 *
 * Filters: BATON_JIRA_WORK_ITEM_PROJECTS (keys; all synced projects when empty), _STATUSES
 * (include) and _EXCLUDE_STATUSES (exclude), both as JQL on the search. Summaries are in the
 * profile and the display name unless BATON_JIRA_WORK_ITEM_SUMMARY=false.
 *
 * One page of the enhanced search (GET /search/jql, 100 issues) per ListResources call; Jira's
 * nextPageToken travels inside ours. The assignee and reporter the listing saw are kept per sync, so
 * ListGrants costs no request; a work item not listed in this sync is read (never its profile).
 */
import { z } from 'zod';
import { Resource, ResourceId } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { ActivityApi, JiraSearchIssue } from '../jira-api';
import { entitlement, grant, resourceType, rid, idOf } from './common';
import { externalLink } from '../anno';
import { pageToken, refuseToken } from '../pagetoken';
import { BACKGROUND, listingPage, type Prefetcher } from '../prefetch';
import type { RequestContext } from '../jira-api';
import { PromiseCache, jsonSize, syncKey } from '../cache';
import { userType, USER } from './user';
import { invalidInput, notFound } from '../../errors';
import { checkId } from '../../id-shapes';
import { statusClauses } from '../../jql';

export const WORK_ITEM = 'work-item';
export const ASSIGNEE = 'assignee';
export const REPORTER = 'reporter';
const PAGE = 100;

/** `t`: Jira's own nextPageToken of the project's search (opaque to us, bounded). */
const listToken = pageToken(
  WORK_ITEM,
  1,
  z.strictObject({
    t: z
      .string()
      .regex(/^[\x21-\x7e]+$/, 'a printable token')
      .max(4096),
  }),
);

export const workItemType = resourceType(WORK_ITEM, 'Work item', 'A Jira work item (issue) of a project, with its assignee and reporter', []);

export interface WorkItemOptions {
  /** BATON_JIRA_WORK_ITEM_PROJECTS (upper case; empty: every synced project) */
  projects: string[];
  statuses: string[];
  excludeStatuses: string[];
  summary: boolean;
  linkBase?: string;
  /** the key of a project by id (the registry's cache) */
  projectKey: (projectId: string, ctx: CallContext) => Promise<string>;
  /** the connector's prefetcher: each listed project's first page, and each next page, fetched ahead */
  prefetch?: Prefetcher;
}

export interface WorkItemSyncer extends ResourceSyncer {
  /** a project listing page named these projects: their work items will be listed in this sync */
  noteProjects(projects: { id: string; key: string }[], ctx: CallContext): void;
}

interface People {
  assignee: string;
  reporter: string;
}

/** The JQL of one project's work items. */
export function workItemJql(projectId: string, opts: Pick<WorkItemOptions, 'statuses' | 'excludeStatuses'>): string {
  const parts = [`project = ${checkId('projectId', projectId, 'parent_resource_id.resource')}`, ...statusClauses(opts.statuses, opts.excludeStatuses)];
  return `${parts.join(' AND ')} ORDER BY id ASC`;
}

const FIELDS = ['issuetype', 'status', 'priority', 'created', 'updated', 'assignee', 'reporter', 'security', 'project'];

type Obj = Record<string, unknown> | null | undefined;
const str = (o: Obj, k: string): string => (o && typeof o[k] === 'string' ? (o[k] as string) : '');

function people(i: JiraSearchIssue): People {
  return { assignee: str(i.fields.assignee as Obj, 'accountId'), reporter: str(i.fields.reporter as Obj, 'accountId') };
}

export function workItemResource(i: JiraSearchIssue, opts: Pick<WorkItemOptions, 'summary' | 'linkBase'>): Resource {
  const f = i.fields;
  const status = f.status as Obj;
  const project = f.project as Obj;
  const security = f.security as Obj;
  const p = people(i);
  const key = i.key ?? i.id;
  const summary = opts.summary && typeof f.summary === 'string' ? f.summary : undefined;
  const profile: Record<string, unknown> = {
    issue_id: i.id,
    key,
    project_id: str(project, 'id'),
    project_key: str(project, 'key'),
    type: str(f.issuetype as Obj, 'name'),
    status: str(status, 'name'),
    status_category: str(status?.statusCategory as Obj, 'key'),
    priority: str(f.priority as Obj, 'name'),
    created: typeof f.created === 'string' ? f.created : '',
    updated: typeof f.updated === 'string' ? f.updated : '',
    assignee_account_id: p.assignee,
    assignee_display_name: str(f.assignee as Obj, 'displayName'),
    reporter_account_id: p.reporter,
    reporter_display_name: str(f.reporter as Obj, 'displayName'),
  };
  if (security) profile.security_level = str(security, 'name');
  if (summary !== undefined) profile.summary = summary;
  const annotations = opts.linkBase ? [externalLink(`${opts.linkBase}/browse/${encodeURIComponent(key)}`)] : [];
  return Resource.fromPartial({
    id: rid(WORK_ITEM, i.id),
    parentResourceId: project && str(project, 'id') ? rid('project', str(project, 'id')) : undefined,
    displayName: summary ? `${key} ${summary}`.slice(0, 512) : key,
    description: [profile.type, profile.status].filter(Boolean).join(', '),
    annotations,
    profile,
  });
}

export function workItemSyncer(api: ActivityApi, opts: WorkItemOptions): WorkItemSyncer {
  const include = new Set(opts.projects.map((k) => k.toUpperCase()));
  const fields = opts.summary ? ['summary', ...FIELDS] : FIELDS;
  // assignee and reporter of every work item listed in a sync (for its ListGrants)
  const seen = new PromiseCache<People>({ maxEntries: 2_000_000, maxBytes: 128 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: (v) => v.assignee.length + v.reporter.length + 48 });
  const read = async (issueId: string, ctx: CallContext): Promise<JiraSearchIssue> => {
    const r = await api.searchIssuesPage(`id = ${issueId}`, { fields, maxResults: 1 }, ctx);
    const i = r.issues.find((x) => x.id === issueId);
    if (!i) throw notFound(`work item ${issueId} does not exist or is not visible to the credential`);
    return i;
  };
  const peopleOf = (issueId: string, ctx: CallContext): Promise<People> =>
    ctx.activeSyncId ? seen.get(`${syncKey(ctx.activeSyncId)}|${issueId}`, async () => people(await read(issueId, ctx))) : read(issueId, ctx).then(people);

  const search = (projectId: string, token: string, c: RequestContext) => api.searchIssuesPage(workItemJql(projectId, opts), { fields, maxResults: PAGE, nextPageToken: token || undefined }, c);

  return {
    type: workItemType,
    noteProjects(projects, ctx) {
      if (!opts.prefetch || !ctx.activeSyncId) return;
      const scope = syncKey(ctx.activeSyncId);
      for (const p of projects) {
        if (include.size && !include.has(p.key.toUpperCase())) continue;
        opts.prefetch.want(scope, `work-items|${p.id}|`, () => search(p.id, '', BACKGROUND), { sizeOf: jsonSize });
      }
    },
    async list(parent, pageToken, ctx): Promise<Page<Resource>> {
      const st = listToken.decode(pageToken);
      if (!parent || parent.resourceType !== 'project') {
        if (st) throw invalidInput('page_token belongs to the work items of a project; send it with that parent_resource_id');
        return { items: [] };
      }
      const projectId = idOf(parent, 'project', 'projectId', 'parent_resource_id');
      if (include.size && !include.has((await opts.projectKey(projectId, ctx)).toUpperCase())) return { items: [] };
      const page = await listingPage(
        opts.prefetch,
        ctx,
        `work-items|${projectId}`,
        st?.t ?? '',
        (t, c) => search(projectId, t, c),
        (p) => p.nextPageToken || undefined,
      );
      if (ctx.activeSyncId) for (const i of page.issues) seen.set(`${syncKey(ctx.activeSyncId)}|${i.id}`, people(i));
      return { items: page.issues.map((i) => workItemResource(i, opts)), nextPageToken: page.nextPageToken ? listToken.encode({ t: page.nextPageToken }) : '' };
    },
    async entitlements(resource, pageToken) {
      itemId(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a work item');
      const name = resource.displayName || resource.id!.resource;
      return {
        items: [
          entitlement(resource, { slug: ASSIGNEE, displayName: `${name} assignee`, description: `Assigned the work item ${name}`, grantableTo: [userType], purpose: 'ownership' }),
          entitlement(resource, { slug: REPORTER, displayName: `${name} reporter`, description: `Reported the work item ${name}`, grantableTo: [userType], purpose: 'assignment' }),
        ],
      };
    },
    async grants(resource, pageToken, ctx) {
      const id = itemId(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListGrants of a work item');
      const p = await peopleOf(id, ctx);
      const items = [];
      if (p.assignee) items.push(grant(resource, ASSIGNEE, rid(USER, checkId('accountId', p.assignee, 'assignee'))));
      if (p.reporter) items.push(grant(resource, REPORTER, rid(USER, checkId('accountId', p.reporter, 'reporter'))));
      return { items };
    },
    async get(id, _parent, ctx) {
      const i = await read(itemId(id, 'resource_id'), ctx);
      const key = str(i.fields.project as Obj, 'key');
      if (include.size && !include.has(key.toUpperCase())) throw notFound(`work item ${i.key ?? i.id} is in a project outside BATON_JIRA_WORK_ITEM_PROJECTS`);
      return workItemResource(i, opts);
    },
    async cleanup(activeSyncId) {
      seen.dropSync(syncKey(activeSyncId));
    },
  };
}

/** A work item's resource id: the numeric issue id. */
function itemId(r: ResourceId | undefined, field: string): string {
  const id = idOf(r, WORK_ITEM, 'issueIdOrKey', field);
  if (!/^[0-9]+$/.test(id)) throw invalidInput(`${field}.resource must be the numeric issue id of a work item, not a key`);
  return id;
}
