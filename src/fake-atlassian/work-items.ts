/**
 * The tenant's own issues as work items with a history (issue 16): issue type, status (every
 * category), priority, security level, creator, reporter, assignee, created/updated dates and a
 * changelog by several authors (including inactive and customer accounts). Dates are RELATIVE to
 * the model's "now" (the run's date by default; tests inject one with `setNow`), so "inactive for
 * 90 days" stays meaningful as time passes.
 *
 * Deterministic from the tenant's issue records (tenant.issueRecords()): same tenant, same items.
 * The model is the ground truth of tests: `items()`, `lastActivity(days, projectKeys)`.
 *
 * HTTP: `searchWorkItems` answers /search/jql when the request asks for what only this model
 * knows (an `updated >= -Nd` or `status` clause, the changelog expansion, or fields such as
 * status, created, creator, priority, issuetype, security); JQL is limited to what the connector
 * sends: AND of `project in (...)`, `updated >= -Nd`, `status in (...)`, `status not in (...)`,
 * ORDER BY id/key/updated/created. `bulkChangelogs` answers POST /changelog/bulkfetch.
 */
import { Rng } from './rng';
import { canBrowseProject, jiraError, searchOffset, searchToken, type Ctx, type Reply } from './context';
import type { Tenant, TenantProject, TenantUser } from './tenant';
import { ISSUE_TYPES, issueStore } from './issues';

type J = Record<string, unknown>;

const DAY = 86_400_000;
/** Jira's cap on the changelog a search returns per issue (the most recent histories). */
export const SEARCH_CHANGELOG_CAP = 40;

export interface WorkItemChange {
  id: string;
  authorAccountId: string;
  /** ms before the model's now */
  ago: number;
  field: string;
}

export interface WorkItem {
  id: string;
  key: string;
  projectId: string;
  projectKey: string;
  summary: string;
  issueTypeId: string;
  statusId: string;
  priorityId: string;
  securityLevel: { id: string; name: string } | null;
  creatorAccountId: string;
  reporterAccountId: string | null;
  assigneeAccountId: string | null;
  createdAgo: number;
  /** oldest first */
  changes: WorkItemChange[];
}

export interface IssueActivity {
  /** ISO date-time */
  at: string;
  source: 'created' | 'changed';
  issueKey: string;
}

const PRIORITY_IDS = ['1', '2', '3', '4', '5'];
const FIELDS = ['status', 'assignee', 'priority', 'summary', 'labels', 'description'];

export class WorkItemModel {
  private now_: number = Date.now();
  private items_: WorkItem[] | undefined;

  constructor(private readonly tenant: Tenant) {}

  /** The model's "now" (ms). */
  now(): number {
    return this.now_;
  }

  /** Moves the model's "now" (every date is relative to it). */
  setNow(ms: number): void {
    this.now_ = ms;
  }

  iso(ago: number): string {
    return new Date(this.now_ - ago).toISOString();
  }

  updatedAgo(w: WorkItem): number {
    return w.changes.length ? w.changes[w.changes.length - 1].ago : w.createdAgo;
  }

  items(): WorkItem[] {
    if (!this.items_) this.items_ = this.generate();
    return this.items_;
  }

  item(idOrKey: string): WorkItem | undefined {
    const k = idOrKey.toUpperCase();
    return this.items().find((w) => w.id === idOrKey || w.key === k);
  }

  private generate(): WorkItem[] {
    const t = this.tenant;
    // authors: every site account, active or not, people and customers (apps rarely)
    const pool = t.users().filter((u) => u.accountType !== 'app' || u.index % 5 === 0);
    const store = issueStore(t);
    return t.issueRecords().map((r) => {
      const rng = new Rng(r.id * 7919 + 17);
      const p = t.projectAt(r.projectIdx);
      const it = ISSUE_TYPES[rng.int(0, 2)];
      const statuses = store.statuses(p.id, it.id);
      const status = statuses[r.seq % statuses.length];
      const reporter = r.reporter >= 0 ? t.userAt(r.reporter).accountId : null;
      const creator = reporter && rng.chance(0.85) ? reporter : rng.pick(pool).accountId;
      const createdAgo = rng.int(0, 400) * DAY + rng.int(0, DAY - 1);
      // a few issues have a long history (more than the search returns), most a short one
      const n = r.id % 17 === 3 ? rng.int(SEARCH_CHANGELOG_CAP + 2, SEARCH_CHANGELOG_CAP + 20) : rng.int(0, 6);
      const agos = Array.from({ length: n }, () => rng.int(0, createdAgo)).sort((a, b) => b - a);
      const changes = agos.map((ago, i) => ({ id: String(r.id * 1000 + i + 1), authorAccountId: rng.pick(pool).accountId, ago, field: FIELDS[i % FIELDS.length] }));
      return {
        id: String(r.id),
        key: `${p.key}-${r.seq}`,
        projectId: p.id,
        projectKey: p.key,
        summary: `Issue ${r.seq} of ${p.name}`,
        issueTypeId: it.id,
        statusId: status.id,
        priorityId: rng.pick(PRIORITY_IDS),
        securityLevel: p.index % 4 === 1 && rng.chance(0.5) ? { id: '10100', name: 'Staff only' } : null,
        creatorAccountId: creator,
        reporterAccountId: reporter,
        assigneeAccountId: r.assignee >= 0 ? t.userAt(r.assignee).accountId : null,
        createdAgo,
        changes,
      };
    });
  }

  /** Issues updated within the last `days` days (as `updated >= -Nd`), of the given projects (all when empty). */
  updatedWithin(days: number, projectKeys: string[] = []): WorkItem[] {
    const keys = new Set(projectKeys.map((k) => k.toUpperCase()));
    return this.items().filter((w) => this.updatedAgo(w) <= days * DAY && (keys.size === 0 || keys.has(w.projectKey)));
  }

  /**
   * Ground truth: per account, the latest time within the window it created an issue or authored a change
   * (of the issues in the given projects); a change wins a tie with a create.
   */
  lastActivity(days: number, projectKeys: string[] = []): Map<string, IssueActivity> {
    const out = new Map<string, IssueActivity & { ago: number }>();
    const note = (accountId: string, ago: number, source: IssueActivity['source'], issueKey: string) => {
      if (ago > days * DAY) return;
      const cur = out.get(accountId);
      if (!cur || ago < cur.ago || (ago === cur.ago && source === 'changed' && cur.source === 'created')) out.set(accountId, { at: this.iso(ago), source, issueKey, ago });
    };
    for (const w of this.updatedWithin(days, projectKeys)) {
      note(w.creatorAccountId, w.createdAgo, 'created', w.key);
      for (const c of w.changes) note(c.authorAccountId, c.ago, 'changed', w.key);
    }
    return new Map([...out].map(([k, v]) => [k, { at: v.at, source: v.source, issueKey: v.issueKey }]));
  }
}

const models = new WeakMap<Tenant, WorkItemModel>();

/** The tenant's work-item model (made on first use, "now" = the first use's clock). */
export function workItemModel(tenant: Tenant): WorkItemModel {
  let m = models.get(tenant);
  if (!m) {
    m = new WorkItemModel(tenant);
    models.set(tenant, m);
  }
  return m;
}

// ----------------------------------------------------------------------------------------------
// HTTP

interface Clause {
  field: string;
  not: boolean;
  values: string[];
  op?: string;
}

const MODEL_FIELDS = ['status', 'created', 'creator', 'priority', 'issuetype', 'security', 'updated'];

/** Whether a /search/jql request is for this model (see the file comment). */
export function wantsWorkItems(clauses: Clause[], fields: string[] | undefined, expand: string | undefined): boolean {
  if (clauses.some((c) => c.field === 'updated' || c.field === 'status' || c.op === '>=')) return true;
  if ((expand ?? '').split(',').some((e) => e.trim() === 'changelog')) return true;
  const f = (fields ?? []).flatMap((x) => x.split(',')).map((x) => x.trim());
  return f.some((x) => MODEL_FIELDS.includes(x) && x !== 'updated');
}

function jiraDate(iso: string): string {
  return iso.replace('Z', '+0000');
}

function userJson(ctx: Ctx, render: (u: TenantUser) => J, id: string | null): J | null {
  const u = id ? ctx.s.tenant.user(id) : undefined;
  return u ? render(u) : null;
}

function historyJson(ctx: Ctx, m: WorkItemModel, c: WorkItemChange, details: (u: TenantUser) => J): J {
  const author = userJson(ctx, details, c.authorAccountId);
  return {
    id: c.id,
    ...(author ? { author } : {}),
    created: jiraDate(m.iso(c.ago)),
    items: [{ field: c.field, fieldtype: 'jira', fieldId: c.field, fromString: 'before', toString: 'after' }],
  };
}

/** JQL `updated >= -Nd` (also -Nw, -Nh): the window in ms, or undefined when not of that shape. */
function relativeWindow(v: string): number | undefined {
  const m = /^-(\d{1,5})([dwh])$/i.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n * ({ d: DAY, w: 7 * DAY, h: DAY / 24 } as Record<string, number>)[m[2].toLowerCase()];
}

export function searchWorkItems(
  ctx: Ctx,
  parsed: { clauses: Clause[]; order: Array<{ field: string; desc: boolean }> },
  input: { nextPageToken?: string; maxResults?: number; fields?: string[]; expand?: string; jql: string },
  render: (u: TenantUser) => J,
  details: (u: TenantUser) => J,
): Reply {
  const t = ctx.s.tenant;
  const m = workItemModel(t);
  const store = issueStore(t);
  const filters: Array<(w: WorkItem) => boolean> = [];
  // Jira refuses a value it does not know (or the caller cannot see) for project and status
  const statusNames = new Set(['10000', '3', '10001', '10002', '10003', 'to do', 'in progress', 'done', 'waiting for approval', 'declined']);
  for (const c of parsed.clauses) {
    if (c.field === 'project')
      for (const v of c.values) {
        const p = t.project(v) ?? t.project(v.toUpperCase());
        if (!p || !canBrowseProject(ctx.perms, p.id)) return jiraError(400, `The value '${v.slice(0, 255)}' does not exist for the field 'project'.`);
      }
    if (c.field === 'status') for (const v of c.values) if (!statusNames.has(v.toLowerCase())) return jiraError(400, `The value '${v.slice(0, 255)}' does not exist for the field 'status'.`);
  }
  for (const c of parsed.clauses) {
    if (c.field === 'id' || c.field === 'key' || c.field === 'issuekey') filters.push((w) => c.not !== c.values.some((v) => v === w.id || v.toUpperCase() === w.key));
    else if (c.field === 'project') filters.push((w) => c.not !== c.values.some((v) => v.toUpperCase() === w.projectKey || v === w.projectId));
    else if (c.field === 'status') filters.push((w) => c.not !== c.values.some((v) => v === w.statusId || v.toLowerCase() === store.status(w.statusId)?.name.toLowerCase()));
    else if (c.field === 'updated' && c.op === '>=') {
      const win = relativeWindow(c.values[0] ?? '');
      if (win === undefined) return jiraError(400, `fake-atlassian: only relative dates like -90d are supported after 'updated >=', not '${(c.values[0] ?? '').slice(0, 20)}'.`);
      filters.push((w) => m.updatedAgo(w) <= win);
    } else return jiraError(400, `fake-atlassian: a work-item search takes only project, id, key, status and 'updated >=' clauses, not '${c.field.slice(0, 40)}'.`);
  }
  const hits = m.items().filter((w) => canBrowseProject(ctx.perms, w.projectId) && filters.every((f) => f(w)));
  for (const o of [...parsed.order].reverse()) {
    const key = (w: WorkItem): number => (o.field === 'updated' ? -m.updatedAgo(w) : o.field === 'created' ? -w.createdAgo : Number(w.id));
    hits.sort((a, b) => (o.desc ? key(b) - key(a) : key(a) - key(b)));
  }
  const fields = (input.fields ?? ['id']).flatMap((f) => f.split(',')).map((f) => f.trim());
  const all = fields.includes('*all') || fields.includes('*navigable');
  const want = (f: string): boolean => all || fields.includes(f);
  const withChangelog = (input.expand ?? '').split(',').some((e) => e.trim() === 'changelog');
  const maxResults = Math.max(1, Math.min(100, Math.trunc(Number(input.maxResults ?? 50)) || 50));
  const offset = searchOffset(input.nextPageToken, `wi:${input.jql}`);
  if (offset === undefined) return jiraError(400, 'The provided next page token is invalid or expired.');
  const page = hits.slice(offset, offset + maxResults);
  const rest = `${ctx.base}/rest/api/3`;
  const issues = page.map((w) => {
    const out: J = { id: w.id, key: w.key, self: `${rest}/issue/${w.id}` };
    const f: J = {};
    const s = store.status(w.statusId);
    const it = ISSUE_TYPES.find((x) => x.id === w.issueTypeId);
    if (want('summary')) f.summary = w.summary;
    if (want('status') && s) f.status = store.statusJson(ctx.base, s);
    if (want('issuetype') && it) f.issuetype = store.issueTypeJson(ctx.base, it);
    if (want('priority')) f.priority = { self: `${rest}/priority/${w.priorityId}`, id: w.priorityId, name: ['Highest', 'High', 'Medium', 'Low', 'Lowest'][Number(w.priorityId) - 1] };
    if (want('created')) f.created = jiraDate(m.iso(w.createdAgo));
    if (want('updated')) f.updated = jiraDate(m.iso(m.updatedAgo(w)));
    if (want('creator')) f.creator = userJson(ctx, render, w.creatorAccountId);
    if (want('reporter')) f.reporter = userJson(ctx, render, w.reporterAccountId);
    if (want('assignee')) f.assignee = userJson(ctx, render, w.assigneeAccountId);
    if (want('security')) f.security = w.securityLevel ? { self: `${rest}/securitylevel/${w.securityLevel.id}`, id: w.securityLevel.id, name: w.securityLevel.name, description: '' } : null;
    if (want('project')) {
      const p = t.project(w.projectId) as TenantProject;
      f.project = { self: `${rest}/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: p.simplified };
    }
    if (Object.keys(f).length) out.fields = f;
    if (withChangelog) {
      // the most recent histories first, at most 40 (Jira's cap in a search)
      const recent = [...w.changes].reverse().slice(0, SEARCH_CHANGELOG_CAP);
      out.changelog = { startAt: 0, maxResults: recent.length, total: w.changes.length, histories: recent.map((c) => historyJson(ctx, m, c, details)) };
    }
    return out;
  });
  const isLast = offset + page.length >= hits.length;
  const body: J = { issues, isLast };
  if (!isLast) body.nextPageToken = searchToken(offset + page.length, `wi:${input.jql}`);
  return { status: 200, body };
}

/** POST /changelog/bulkfetch: the changelogs of up to 1,000 issues, oldest first, paged by history count. */
export function bulkChangelogs(ctx: Ctx, details: (u: TenantUser) => J): Reply {
  const b = (ctx.body ?? {}) as { issueIdsOrKeys?: string[]; fieldIds?: string[]; maxResults?: number; nextPageToken?: string };
  const m = workItemModel(ctx.s.tenant);
  const ids = b.issueIdsOrKeys ?? [];
  const maxResults = Math.max(1, Math.min(10_000, Math.trunc(Number(b.maxResults ?? 1000)) || 1000));
  const fieldIds = b.fieldIds && b.fieldIds.length ? new Set(b.fieldIds) : undefined;
  const items = ids.map((x) => m.item(String(x))).filter((w): w is WorkItem => !!w && canBrowseProject(ctx.perms, w.projectId));
  const all = items.flatMap((w) => w.changes.filter((c) => !fieldIds || fieldIds.has(c.field)).map((c) => ({ w, c })));
  let offset = 0;
  if (b.nextPageToken) {
    offset = Number(Buffer.from(b.nextPageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) return jiraError(400, 'The provided next page token is invalid.');
  }
  const page = all.slice(offset, offset + maxResults);
  const byIssue = new Map<string, J[]>();
  for (const { w, c } of page) {
    const list = byIssue.get(w.id) ?? [];
    list.push(historyJson(ctx, m, c, details));
    byIssue.set(w.id, list);
  }
  const body: J = { issueChangeLogs: [...byIssue].map(([issueId, changeHistories]) => ({ issueId, changeHistories })) };
  if (offset + page.length < all.length) body.nextPageToken = Buffer.from(String(offset + page.length)).toString('base64url');
  return { status: 200, body };
}
