/**
 * Work items (issues) created through the API, the create metadata that says what may be set on
 * them, and the statuses of each project's workflows: the ticketing side of the fake Jira.
 *
 * The model is one `IssueStore` per tenant (`issueStore(tenant)`), deterministic from the tenant's
 * projects; tests read it as the ground truth. Every project offers the issue types Task, Bug,
 * Access request (required custom fields: a select list, a user picker, a text field) and Sub-task
 * (needs a parent; the connector offers no schema for it). Routes (served under /rest/api/3 and 2):
 *   GET  /issue/createmeta/{projectIdOrKey}/issuetypes[/{issueTypeId}]   (paged: startAt, maxResults)
 *   GET  /project/{projectIdOrKey}/statuses
 *   POST /issue                                                       (Jira's checks: screen, required, allowed values, ADF)
 *   GET  /issue/{issueIdOrKey}                                        (created issues, and the tenant's own issues)
 * and `searchCreatedIssues` answers JQL with a `labels` clause (POST/GET /search/jql) over created issues.
 */
import { avatarUrls, canBrowseProject, clampInt, jiraError, userSelf, type Ctx, type Handler, type Reply } from './context';
import type { Tenant, TenantProject, TenantUser } from './tenant';

type J = Record<string, unknown>;

export interface IssueRoute {
  method: string;
  /** path after /rest/api/3 */
  suffix: string;
  handler: Handler;
}

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';

export interface FakeStatus {
  id: string;
  name: string;
  category: StatusCategoryKey;
}

/** The shape of a field in create metadata (FieldCreateMetadata). */
export interface MetaField {
  fieldId: string;
  key: string;
  name: string;
  required: boolean;
  schema: { type: string; items?: string; system?: string; custom?: string; customId?: number };
  operations: string[];
  allowedValues?: J[];
  hasDefaultValue?: boolean;
  defaultValue?: unknown;
  autoCompleteUrl?: string;
}

export interface FakeIssueType {
  id: string;
  name: string;
  description: string;
  subtask: boolean;
  hierarchyLevel: number;
}

export interface CreatedIssue {
  id: string;
  key: string;
  projectId: string;
  issueTypeId: string;
  /** the fields as Jira keeps them: ids resolved to the allowed value objects, users to account ids */
  fields: Record<string, unknown>;
  labels: string[];
  statusId: string;
  reporterAccountId: string | null;
  created: string;
  updated: string;
  resolutionDate: string | null;
}

const CATEGORY: Record<StatusCategoryKey, J> = {
  new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' },
  indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' },
  done: { id: 3, key: 'done', colorName: 'green', name: 'Done' },
};

const STATUSES: FakeStatus[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Done', category: 'done' },
  { id: '10002', name: 'Waiting for approval', category: 'indeterminate' },
  { id: '10003', name: 'Declined', category: 'done' },
];

export const ISSUE_TYPES: FakeIssueType[] = [
  { id: '10001', name: 'Task', description: 'A small, distinct piece of work.', subtask: false, hierarchyLevel: 0 },
  { id: '10004', name: 'Bug', description: 'A problem or error.', subtask: false, hierarchyLevel: 0 },
  { id: '10010', name: 'Access request', description: 'Request access to a system.', subtask: false, hierarchyLevel: 0 },
  { id: '10003', name: 'Sub-task', description: 'A small piece of work that is part of a larger task.', subtask: true, hierarchyLevel: -1 },
];

const PRIORITIES = [
  { id: '1', name: 'Highest' },
  { id: '2', name: 'High' },
  { id: '3', name: 'Medium' },
  { id: '4', name: 'Low' },
  { id: '5', name: 'Lowest' },
];

const CF = 'com.atlassian.jira.plugin.system.customfieldtypes:';

function options(fieldNum: number, values: string[]): J[] {
  return values.map((value, i) => ({ value, id: String(fieldNum * 10 + i + 1) }));
}

let issueSeq = 0;

export class IssueStore {
  private readonly created_: CreatedIssue[] = [];
  private readonly nextSeq = new Map<string, number>();
  private nextId: number;

  constructor(private readonly tenant: Tenant) {
    const ids = tenant.issues().map((i) => Number(i.id));
    this.nextId = (ids.length ? Math.max(...ids) : 10000) + 1;
  }

  /** the issue types a project offers (ids shared by every project, as in a company-managed site) */
  issueTypes(_projectId: string): FakeIssueType[] {
    return ISSUE_TYPES;
  }

  /** The project's components (none for every third project). */
  components(p: TenantProject): Array<{ id: string; name: string }> {
    if (p.index % 3 === 2) return [];
    return ['API', 'Web', 'Mobile'].map((n, i) => ({ id: String(20000 + p.index * 10 + i), name: `${p.key} ${n}` }));
  }

  /** The statuses of an issue type's workflow in the project; the first is the initial one. */
  statuses(_projectId: string, issueTypeId: string): FakeStatus[] {
    return issueTypeId === '10010' ? STATUSES : STATUSES.slice(0, 3);
  }

  status(id: string): FakeStatus | undefined {
    return STATUSES.find((s) => s.id === id);
  }

  /** The create metadata of (project, issue type), in Jira's order. */
  createMeta(base: string, p: TenantProject, issueTypeId: string): MetaField[] {
    const it = ISSUE_TYPES.find((t) => t.id === issueTypeId);
    if (!it) return [];
    const rest = `${base}/rest/api/3`;
    const userSearch = `${rest}/user/search?query=`;
    const sys = (key: string, name: string, schema: MetaField['schema'], extra: Partial<MetaField> = {}): MetaField => ({
      fieldId: key,
      key,
      name,
      required: false,
      schema,
      operations: ['set'],
      ...extra,
    });
    const custom = (num: number, name: string, type: string, kind: string, extra: Partial<MetaField> = {}): MetaField => {
      const key = `customfield_${num}`;
      const items = type === 'array' ? (kind === 'multiuserpicker' ? 'user' : 'option') : undefined;
      return {
        fieldId: key,
        key,
        name,
        required: false,
        schema: { type, ...(items ? { items } : {}), custom: CF + kind, customId: num },
        operations: type === 'array' ? ['add', 'set', 'remove'] : ['set'],
        ...extra,
      };
    };
    const fields: MetaField[] = [
      sys('issuetype', 'Issue Type', { type: 'issuetype', system: 'issuetype' }, { required: true, operations: [], allowedValues: [this.issueTypeJson(base, it)] }),
      sys(
        'project',
        'Project',
        { type: 'project', system: 'project' },
        { required: true, allowedValues: [{ self: `${rest}/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: p.simplified }] },
      ),
      sys('summary', 'Summary', { type: 'string', system: 'summary' }, { required: true }),
    ];
    if (it.subtask) fields.push(sys('parent', 'Parent', { type: 'issuelink', system: 'parent' }, { required: true }));
    fields.push(
      sys('description', 'Description', { type: 'string', system: 'description' }),
      sys('reporter', 'Reporter', { type: 'user', system: 'reporter' }, { required: true, hasDefaultValue: true, autoCompleteUrl: userSearch }),
      sys('labels', 'Labels', { type: 'array', items: 'string', system: 'labels' }, { operations: ['add', 'set', 'remove'], autoCompleteUrl: `${base}/rest/api/1.0/labels/suggest?query=` }),
      sys(
        'priority',
        'Priority',
        { type: 'priority', system: 'priority' },
        {
          hasDefaultValue: true,
          defaultValue: this.priorityJson(base, PRIORITIES[2]),
          allowedValues: PRIORITIES.map((x) => this.priorityJson(base, x)),
        },
      ),
      sys(
        'components',
        'Components',
        { type: 'array', items: 'component', system: 'components' },
        {
          operations: ['add', 'set', 'remove'],
          allowedValues: this.components(p).map((c) => ({ self: `${rest}/component/${c.id}`, id: c.id, name: c.name })),
        },
      ),
      sys('assignee', 'Assignee', { type: 'user', system: 'assignee' }, { autoCompleteUrl: `${rest}/user/assignable/search?project=${p.key}&query=` }),
      sys('duedate', 'Due date', { type: 'date', system: 'duedate' }),
    );
    if (it.id === '10004') {
      fields.push(
        custom(10060, 'Severity', 'option', 'select', { required: true, allowedValues: options(10060, ['Sev-1', 'Sev-2', 'Sev-3', 'Sev-4']) }),
        custom(10061, 'Environment details', 'string', 'textarea'),
      );
    }
    if (it.id === '10010') {
      fields.push(
        custom(10050, 'Access level', 'option', 'select', { required: true, allowedValues: options(10050, ['Read', 'Write', 'Admin']) }),
        custom(10051, 'Systems', 'array', 'multiselect', { allowedValues: options(10051, ['Jira', 'Confluence', 'Bitbucket', 'VPN']) }),
        custom(10052, 'Approver', 'user', 'userpicker', { required: true, autoCompleteUrl: userSearch }),
        custom(10053, 'Business justification', 'string', 'textfield', { required: true }),
        custom(10054, 'Temporary access', 'array', 'multicheckboxes', { allowedValues: options(10054, ['Yes']) }),
        custom(10055, 'Access starts', 'datetime', 'datetime'),
        custom(10056, 'Seats', 'number', 'float'),
        custom(10057, 'Also notify', 'array', 'multiuserpicker', { autoCompleteUrl: userSearch }),
      );
    }
    return fields;
  }

  issueTypeJson(base: string, it: FakeIssueType): J {
    return {
      self: `${base}/rest/api/3/issuetype/${it.id}`,
      id: it.id,
      description: it.description,
      iconUrl: `${base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/${it.id}?size=medium`,
      name: it.name,
      subtask: it.subtask,
      avatarId: Number(it.id),
      hierarchyLevel: it.hierarchyLevel,
    };
  }

  private priorityJson(base: string, x: { id: string; name: string }): J {
    return { self: `${base}/rest/api/3/priority/${x.id}`, iconUrl: `${base}/images/icons/priorities/${x.name.toLowerCase()}.svg`, name: x.name, id: x.id };
  }

  statusJson(base: string, s: FakeStatus): J {
    return {
      self: `${base}/rest/api/3/status/${s.id}`,
      description: '',
      iconUrl: `${base}/images/icons/statuses/generic.png`,
      name: s.name,
      untranslatedName: s.name,
      id: s.id,
      statusCategory: { self: `${base}/rest/api/3/statuscategory/${CATEGORY[s.category].id}`, ...CATEGORY[s.category] },
    };
  }

  /** Every issue created through the API, oldest first. */
  created(): CreatedIssue[] {
    return [...this.created_];
  }

  issue(idOrKey: string): CreatedIssue | undefined {
    const k = idOrKey.toUpperCase();
    return this.created_.find((i) => i.id === idOrKey || i.key === k);
  }

  /** Moves an issue to a status (a transition, for tests); done categories set the resolution date. */
  setStatus(idOrKey: string, statusId: string): void {
    const i = this.issue(idOrKey);
    const s = this.status(statusId);
    if (!i || !s) throw new Error(`no issue ${idOrKey} or status ${statusId}`);
    i.statusId = s.id;
    i.updated = new Date().toISOString();
    i.resolutionDate = s.category === 'done' ? i.updated : null;
  }

  /** Applies a create that passed the checks. */
  add(p: TenantProject, issueTypeId: string, fields: Record<string, unknown>, labels: string[], reporter: string | null): CreatedIssue {
    const seq = this.nextSeq.get(p.id) ?? this.tenant.issues().filter((i) => i.projectId === p.id).length + 1;
    this.nextSeq.set(p.id, seq + 1);
    const now = new Date(Date.now() + issueSeq++).toISOString();
    const issue: CreatedIssue = {
      id: String(this.nextId++),
      key: `${p.key}-${seq}`,
      projectId: p.id,
      issueTypeId,
      fields,
      labels,
      statusId: this.statuses(p.id, issueTypeId)[0].id,
      reporterAccountId: reporter,
      created: now,
      updated: now,
      resolutionDate: null,
    };
    this.created_.push(issue);
    return issue;
  }
}

const stores = new WeakMap<Tenant, IssueStore>();

/** The tenant's issue store (made on first use). */
export function issueStore(tenant: Tenant): IssueStore {
  let s = stores.get(tenant);
  if (!s) {
    s = new IssueStore(tenant);
    stores.set(tenant, s);
  }
  return s;
}

// ----------------------------------------------------------------------------------------------
// HTTP

function jiraDate(iso: string): string {
  return iso.replace('Z', '+0000');
}

function userJson(ctx: Ctx, u: TenantUser): J {
  const out: J = { self: userSelf(ctx.base, u), accountId: u.accountId, accountType: u.accountType };
  if (u.emailVisible && !u.formerUser) out.emailAddress = u.email;
  out.avatarUrls = avatarUrls(u.displayName);
  out.displayName = u.displayName;
  out.active = ctx.s.tenant.isActiveInJira(u);
  out.timeZone = u.timeZone;
  return out;
}

function projectOf(ctx: Ctx, idOrKey: string): TenantProject | undefined {
  const p = ctx.s.tenant.project(idOrKey) ?? ctx.s.tenant.project(idOrKey.toUpperCase());
  return p && canBrowseProject(ctx.perms, p.id) ? p : undefined;
}

function page<T>(ctx: Ctx, all: T[], max: number): { values: T[]; startAt: number; maxResults: number; total: number } {
  const startAt = clampInt(ctx.q.startAt, 0, 0, Number.MAX_SAFE_INTEGER);
  const maxResults = clampInt(ctx.q.maxResults, 50, 1, max);
  return { values: all.slice(startAt, startAt + maxResults), startAt, maxResults, total: all.length };
}

const isAdf = (v: unknown): boolean => !!v && typeof v === 'object' && (v as J).type === 'doc' && (v as J).version === 1 && Array.isArray((v as J).content);

/** Checks one value against its create metadata, as Jira does; returns the stored value or an error message. */
function checkValue(ctx: Ctx, f: MetaField, v: unknown, v3: boolean): { ok: unknown } | { error: string } {
  const t = f.schema.type;
  const custom = f.schema.custom?.split(':')[1];
  const pickAllowed = (x: unknown): J | undefined => {
    if (!x || typeof x !== 'object') return undefined;
    const o = x as J;
    return (f.allowedValues ?? []).find(
      (a) => (o.id !== undefined && a.id === String(o.id)) || (o.id === undefined && ((o.value !== undefined && a.value === o.value) || (o.name !== undefined && a.name === o.name))),
    );
  };
  const user = (x: unknown): string | undefined => {
    const id = x && typeof x === 'object' ? (x as J).accountId : undefined;
    return typeof id === 'string' && ctx.s.tenant.user(id) ? id : undefined;
  };
  if (v === null) return f.required ? { error: `${f.name} is required.` } : { ok: null };
  switch (t) {
    case 'string':
      if (f.schema.system === 'description' || custom === 'textarea') {
        if (v3 ? !isAdf(v) : typeof v !== 'string') return { error: v3 ? 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' : 'Operation value must be a string' };
        return { ok: v };
      }
      if (typeof v !== 'string') return { error: 'Operation value must be a string' };
      if (f.schema.system === 'summary' && (v.length > 255 || /[\r\n]/.test(v)))
        return { error: v.length > 255 ? 'Summary must be less than 255 characters.' : 'Summary can not contain line breaks.' };
      if (custom === 'textfield' && v.length > 255) return { error: 'The entered text is too long. It exceeds the allowed limit of 255 characters.' };
      return { ok: v };
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? { ok: v } : { error: 'Operation value must be a number' };
    case 'date':
      return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? { ok: v } : { error: 'Error parsing date string: ' + String(v).slice(0, 40) };
    case 'datetime':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? { ok: new Date(v).toISOString() } : { error: 'Error parsing date string: ' + String(v).slice(0, 40) };
    case 'user': {
      const id = user(v);
      return id ? { ok: id } : { error: `Specify a valid value for ${f.name}` };
    }
    case 'option':
    case 'priority': {
      const a = pickAllowed(v);
      return a ? { ok: a } : { error: `Specify a valid value for ${f.name}` };
    }
    case 'array': {
      if (!Array.isArray(v)) return { error: `data was not an array` };
      if (f.schema.items === 'string') {
        if (!v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 255 && !/\s/.test(x))) return { error: 'The label must not contain spaces and must be 1 to 255 characters.' };
        return { ok: [...new Set(v as string[])] };
      }
      if (f.schema.items === 'user') {
        const ids = v.map(user);
        return ids.every((x) => !!x) ? { ok: ids } : { error: `Specify a valid value for ${f.name}` };
      }
      const picked = v.map(pickAllowed);
      return picked.every((x) => !!x) ? { ok: picked } : { error: `Specify a valid value for ${f.name}` };
    }
    default:
      return { error: `Field '${f.key}' cannot be set. It is not on the appropriate screen, or unknown.` };
  }
}

function createIssue(ctx: Ctx): Reply {
  const t = ctx.s.tenant;
  const store = issueStore(t);
  const v3 = ctx.path.startsWith('/rest/api/3');
  const body = (ctx.body ?? {}) as { fields?: J; update?: J; properties?: unknown[] };
  const fields = body.fields && typeof body.fields === 'object' ? body.fields : {};
  if (!ctx.principal?.accountId) return jiraError(401, 'You are not authenticated. Authentication required to perform this operation.');
  const pref = fields.project as J | undefined;
  const pIdOrKey = pref && typeof pref === 'object' ? String(pref.id ?? pref.key ?? '') : '';
  const p = pIdOrKey ? projectOf(ctx, pIdOrKey) : undefined;
  if (!p) return jiraError(400, [], { project: 'Specify a valid project ID or key' });
  const tref = fields.issuetype as J | undefined;
  const it = tref && typeof tref === 'object' ? store.issueTypes(p.id).find((x) => (tref.id !== undefined ? x.id === String(tref.id) : x.name === tref.name)) : undefined;
  if (!it) return jiraError(400, [], { issuetype: 'Specify an issue type' });
  const meta = store.createMeta(ctx.base, p, it.id);
  const errors: Record<string, string> = {};
  const stored: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'project' || k === 'issuetype') continue;
    const f = meta.find((m) => m.key === k);
    if (!f) {
      errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
      continue;
    }
    const r = checkValue(ctx, f, v, v3);
    if ('error' in r) errors[k] = r.error;
    else stored[k] = r.ok;
  }
  for (const f of meta) {
    if (f.key === 'project' || f.key === 'issuetype' || !f.required || f.hasDefaultValue) continue;
    const v = stored[f.key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) errors[f.key] ??= `${f.name} is required.`;
  }
  if (Object.keys(errors).length > 0) return jiraError(400, [], errors);
  if (stored.priority === undefined) stored.priority = meta.find((m) => m.key === 'priority')?.defaultValue;
  const reporter = (stored.reporter as string | undefined) ?? ctx.principal.accountId;
  delete stored.reporter;
  const labels = (stored.labels as string[] | undefined) ?? [];
  delete stored.labels;
  const issue = store.add(p, it.id, stored, labels, reporter);
  return { status: 201, body: { id: issue.id, key: issue.key, self: `${ctx.base}/rest/api/3/issue/${issue.id}` } };
}

function renderValue(ctx: Ctx, f: MetaField | undefined, v: unknown): unknown {
  if (!f || v === null || v === undefined) return v ?? null;
  const t = ctx.s.tenant;
  if (f.schema.type === 'user') {
    const u = t.user(v as string);
    return u ? userJson(ctx, u) : null;
  }
  if (f.schema.type === 'array' && f.schema.items === 'user')
    return (v as string[])
      .map((id) => t.user(id))
      .filter((u): u is TenantUser => !!u)
      .map((u) => userJson(ctx, u));
  if (f.schema.type === 'option' || (f.schema.type === 'array' && f.schema.items === 'option')) {
    const withSelf = (o: J) => ({ self: `${ctx.base}/rest/api/3/customFieldOption/${String(o.id)}`, ...o });
    return Array.isArray(v) ? (v as J[]).map(withSelf) : withSelf(v as J);
  }
  if (f.schema.type === 'datetime') return jiraDate(v as string).replace(/\.\d{3}/, '.000');
  return v;
}

function renderIssue(ctx: Ctx, i: CreatedIssue): J {
  const t = ctx.s.tenant;
  const store = issueStore(t);
  const p = t.project(i.projectId) as TenantProject;
  const it = ISSUE_TYPES.find((x) => x.id === i.issueTypeId) as FakeIssueType;
  const meta = store.createMeta(ctx.base, p, i.issueTypeId);
  const s = store.status(i.statusId) as FakeStatus;
  const fields: J = {};
  for (const f of meta) {
    if (['issuetype', 'project', 'reporter', 'labels'].includes(f.key)) continue;
    fields[f.key] = renderValue(ctx, f, i.fields[f.key]);
  }
  const reporter = i.reporterAccountId ? t.user(i.reporterAccountId) : undefined;
  Object.assign(fields, {
    issuetype: store.issueTypeJson(ctx.base, it),
    project: { self: `${ctx.base}/rest/api/3/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: p.simplified },
    status: store.statusJson(ctx.base, s),
    statuscategorychangedate: jiraDate(i.updated),
    reporter: reporter ? userJson(ctx, reporter) : null,
    creator: reporter ? userJson(ctx, reporter) : null,
    labels: i.labels,
    created: jiraDate(i.created),
    updated: jiraDate(i.updated),
    resolution: i.resolutionDate ? { self: `${ctx.base}/rest/api/3/resolution/10000`, id: '10000', description: 'Work has been completed on this issue.', name: 'Done' } : null,
    resolutiondate: i.resolutionDate ? jiraDate(i.resolutionDate) : null,
  });
  return { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: i.id, self: `${ctx.base}/rest/api/3/issue/${i.id}`, key: i.key, fields };
}

function getIssue(ctx: Ctx): Reply {
  const t = ctx.s.tenant;
  const idOrKey = ctx.params.issueIdOrKey;
  const created = issueStore(t).issue(idOrKey);
  const notFound = jiraError(404, 'Issue does not exist or you do not have permission to see it.');
  if (created) return canBrowseProject(ctx.perms, created.projectId) ? { status: 200, body: renderIssue(ctx, created) } : notFound;
  // the tenant's own issues (generated for the search endpoint): their few known fields
  const g = t.issues().find((i) => i.id === idOrKey || i.key === idOrKey.toUpperCase());
  if (!g || !canBrowseProject(ctx.perms, g.projectId)) return notFound;
  const p = t.project(g.projectId) as TenantProject;
  const store = issueStore(t);
  const user = (id: string | null) => {
    const u = id ? t.user(id) : undefined;
    return u ? userJson(ctx, u) : null;
  };
  return {
    status: 200,
    body: {
      id: g.id,
      key: g.key,
      self: `${ctx.base}/rest/api/3/issue/${g.id}`,
      fields: {
        summary: g.summary,
        issuetype: store.issueTypeJson(ctx.base, ISSUE_TYPES[0]),
        project: { self: `${ctx.base}/rest/api/3/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: p.projectTypeKey, simplified: p.simplified },
        status: store.statusJson(ctx.base, STATUSES[0]),
        assignee: user(g.assigneeAccountId),
        reporter: user(g.reporterAccountId),
        labels: [],
        created: jiraDate(g.updated),
        updated: jiraDate(g.updated),
        resolution: null,
        resolutiondate: null,
      },
    },
  };
}

/** JQL with a `labels` clause (the fake's search of created issues): AND of project, issuetype, labels clauses. */
export function searchCreatedIssues(ctx: Ctx, clauses: Array<{ field: string; not: boolean; values: string[] }>, fields: string[] | undefined): Reply {
  const t = ctx.s.tenant;
  for (const c of clauses)
    if (!['labels', 'project', 'issuetype', 'key', 'issuekey', 'id'].includes(c.field))
      return jiraError(400, `fake-atlassian: a labels search takes only project, issuetype, key and labels clauses, not '${c.field}'.`);
  const hits = issueStore(t)
    .created()
    .filter((i) => canBrowseProject(ctx.perms, i.projectId))
    .filter((i) =>
      clauses.every((c) => {
        const p = t.project(i.projectId) as TenantProject;
        const hit =
          c.field === 'labels'
            ? c.values.some((v) => i.labels.includes(v))
            : c.field === 'project'
              ? c.values.some((v) => v.toUpperCase() === p.key || v === p.id)
              : c.field === 'issuetype'
                ? c.values.some((v) => v === i.issueTypeId || v.toLowerCase() === ISSUE_TYPES.find((x) => x.id === i.issueTypeId)?.name.toLowerCase())
                : c.values.some((v) => v === i.id || v.toUpperCase() === i.key);
        return c.not ? !hit : hit;
      }),
    );
  const want = new Set((fields ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()));
  const issues = hits.slice(0, 100).map((i) => {
    const out: J = { id: i.id, key: i.key, self: `${ctx.base}/rest/api/3/issue/${i.id}` };
    if (want.has('labels') || want.has('created')) out.fields = { ...(want.has('labels') ? { labels: i.labels } : {}), ...(want.has('created') ? { created: jiraDate(i.created) } : {}) };
    return out;
  });
  return { status: 200, body: { issues, isLast: true } };
}

export const ISSUE_ROUTES: IssueRoute[] = [
  {
    method: 'GET',
    suffix: '/issue/createmeta/{projectIdOrKey}/issuetypes',
    handler: (ctx) => {
      const p = projectOf(ctx, ctx.params.projectIdOrKey);
      if (!p) return jiraError(404, `No project could be found with key '${ctx.params.projectIdOrKey}'.`);
      const store = issueStore(ctx.s.tenant);
      const pg = page(ctx, store.issueTypes(p.id), 200);
      return { status: 200, body: { issueTypes: pg.values.map((it) => store.issueTypeJson(ctx.base, it)), maxResults: pg.maxResults, startAt: pg.startAt, total: pg.total } };
    },
  },
  {
    method: 'GET',
    suffix: '/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}',
    handler: (ctx) => {
      const p = projectOf(ctx, ctx.params.projectIdOrKey);
      if (!p) return jiraError(404, `No project could be found with key '${ctx.params.projectIdOrKey}'.`);
      const store = issueStore(ctx.s.tenant);
      if (!store.issueTypes(p.id).some((it) => it.id === ctx.params.issueTypeId))
        return jiraError(400, `The issue type with id '${ctx.params.issueTypeId.slice(0, 40)}' does not exist or is not in the project.`);
      const pg = page(ctx, store.createMeta(ctx.base, p, ctx.params.issueTypeId), 200);
      return { status: 200, body: { fields: pg.values, maxResults: pg.maxResults, startAt: pg.startAt, total: pg.total } };
    },
  },
  {
    method: 'GET',
    suffix: '/project/{projectIdOrKey}/statuses',
    handler: (ctx) => {
      const p = projectOf(ctx, ctx.params.projectIdOrKey);
      if (!p) return jiraError(404, `No project could be found with key '${ctx.params.projectIdOrKey}'.`);
      const store = issueStore(ctx.s.tenant);
      return {
        status: 200,
        body: store.issueTypes(p.id).map((it) => ({
          self: `${ctx.base}/rest/api/3/issueType/${it.id}`,
          id: it.id,
          name: it.name,
          subtask: it.subtask,
          statuses: store.statuses(p.id, it.id).map((s) => store.statusJson(ctx.base, s)),
        })),
      };
    },
  },
  { method: 'POST', suffix: '/issue', handler: createIssue },
  { method: 'GET', suffix: '/issue/{issueIdOrKey}', handler: getIssue },
];
