/**
 * Jira as the platform's ticketing provider (TicketsService, BATON_TICKETING). A schema is one
 * (project, issue type) the credential can create, id "<projectKey>:<issueTypeId>" as baton-jira
 * names them; its custom fields come from the create metadata (fields.ts) and its statuses from the
 * project's workflows. A create is checked against the schema read from Jira (never the one in the
 * request) before anything is written, and carries a label derived from its request id, so a send
 * that failed ambiguously is looked up before it is ever sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError, invalidInput } from '../../errors';
import { checkId, isId } from '../../id-shapes';
import { log } from '../../log';
import { PromiseCache } from '../cache';
import { KeyedLock } from '../resources/provisioning';
import { pageToken, startAt } from '../pagetoken';
import type { CallContext, Page, TicketManager } from '../types';
import type { IssuesApi, JiraApi, JiraFieldMeta, JiraIssue, JiraStatus } from '../jira-api';
import type { Ticket, TicketCustomField, TicketSchema } from '../../gen/c1/connector/v2/ticket';
import { Resource } from '../../gen/c1/connector/v2/resource';
import { fromAdf, jiraValue, mapFields, MappedField, ticketField, toAdf, unsupportedRequired } from './fields';

/** The label prefix of the request-id label every created issue carries (hidden from Ticket.labels). */
export const REQUEST_LABEL_PREFIX = 'baton-request-';
const MAX_SUMMARY = 255;
const MAX_DESCRIPTION = 32_767;
const MAX_LABELS = 50;
const META_PAGE = 100;
const MAX_META_PAGES = 5;

const schemasToken = pageToken('ticket-schemas', 1, z.object({ p: startAt }));

export interface TicketOptions {
  /** BATON_JIRA_PROJECT_KEYS: only these projects get schemas */
  projectKeys: string[];
  /** for Ticket.url (<site>/browse/<KEY>); none on a gateway-only configuration */
  siteUrl?: string;
}

interface SchemaData {
  schema: TicketSchema;
  projectKey: string;
  issueTypeId: string;
  fields: MappedField[];
  unsupported: JiraFieldMeta[];
  statuses: JiraStatus[];
}

function parseSchemaId(id: string, field: string): { projectKey: string; issueTypeId: string } {
  const m = /^([^:]{1,255}):([^:]{1,18})$/.exec(id);
  if (!m) throw invalidInput(`${field} ${JSON.stringify(id.slice(0, 64))} is not a ticket schema id of this connector ("<projectKey>:<issueTypeId>", from ListTicketSchemas)`);
  return { projectKey: checkId('projectIdOrKey', m[1], `${field} (project)`), issueTypeId: checkId('issueTypeId', m[2], `${field} (issue type)`) };
}

/** The request id's label: a hash, so any id (the platform's or ours) becomes a valid Jira label. */
export function requestLabel(requestId: string): string {
  return REQUEST_LABEL_PREFIX + createHash('sha256').update(requestId).digest('hex').slice(0, 32);
}

function userResource(u: unknown): Resource | undefined {
  const o = u as { accountId?: unknown; displayName?: unknown } | null | undefined;
  if (!o || typeof o.accountId !== 'string' || !isId('accountId', o.accountId)) return undefined;
  return Resource.fromPartial({ id: { resourceType: 'user', resource: o.accountId }, displayName: typeof o.displayName === 'string' ? o.displayName : o.accountId });
}

function jiraDate(v: unknown): Date | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const d = new Date(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function createTicketManager(api: JiraApi, issues: IssuesApi, opts: TicketOptions): TicketManager {
  const cache = new PromiseCache<SchemaData>({ maxEntries: 2000, maxBytes: 16 * 1024 * 1024, ttlMs: 5 * 60 * 1000 });
  const keys = opts.projectKeys.map((k) => k.toUpperCase());
  // creates of one request id run one at a time: the second looks up what the first filed
  const lock = new KeyedLock();

  const allFields = async (projectKey: string, issueTypeId: string, ctx: CallContext): Promise<JiraFieldMeta[]> => {
    const out: JiraFieldMeta[] = [];
    for (let page = 0; page < MAX_META_PAGES; page++) {
      const r = await issues.createMetaFields(projectKey, issueTypeId, out.length, META_PAGE, ctx);
      out.push(...r.values);
      if (r.values.length === 0 || (r.total !== undefined && out.length >= r.total) || (r.total === undefined && r.values.length < META_PAGE)) break;
    }
    return out;
  };

  const build = async (projectKey: string, projectName: string, type: { id: string; name: string }, statuses: JiraStatus[], ctx: CallContext): Promise<SchemaData> => {
    const metas = await allFields(projectKey, type.id, ctx);
    const fields = mapFields(metas);
    const customFields: Record<string, TicketCustomField> = {};
    for (const f of fields) customFields[f.schema.id] = f.schema;
    return {
      projectKey,
      issueTypeId: type.id,
      fields,
      unsupported: unsupportedRequired(metas),
      statuses,
      schema: {
        id: `${projectKey}:${type.id}`,
        displayName: `${projectName}: ${type.name}`,
        types: [{ id: type.id, displayName: type.name }],
        statuses: statuses.map((s) => ({ id: s.id, displayName: s.name })),
        customFields,
        annotations: [],
      },
    };
  };

  const statusesOf = async (projectKey: string, ctx: CallContext): Promise<Map<string, JiraStatus[]>> => {
    const byType = new Map<string, JiraStatus[]>();
    for (const t of await issues.projectStatuses(projectKey, ctx)) byType.set(t.id, t.statuses);
    return byType;
  };

  const schemaData = (projectKey: string, issueTypeId: string, ctx: CallContext): Promise<SchemaData> =>
    cache.get(`${projectKey}:${issueTypeId}`, async () => {
      if (keys.length && !keys.includes(projectKey)) throw new ConnectorError('not-found', `project ${projectKey} is not among BATON_JIRA_PROJECT_KEYS`);
      const project = await api.getProject(projectKey, ctx);
      const types: Array<{ id: string; name: string; subtask?: boolean }> = [];
      for (let s = 0; s < 1000;) {
        const r = await issues.createMetaIssueTypes(projectKey, s, 200, ctx);
        types.push(...r.values);
        s += r.values.length;
        if (r.values.length === 0 || r.total === undefined || s >= r.total) break;
      }
      const type = types.find((t) => t.id === issueTypeId && !t.subtask);
      if (!type)
        throw new ConnectorError('not-found', `no ticket schema ${projectKey}:${issueTypeId}: the credential cannot create issues of type ${issueTypeId} in ${projectKey} (or it is a sub-task type)`);
      const statuses = (await statusesOf(projectKey, ctx)).get(issueTypeId) ?? [];
      return build(project.key, project.name, type, statuses, ctx);
    });

  const toTicket = async (i: JiraIssue, ctx: CallContext): Promise<Ticket> => {
    const f = i.fields;
    const project = f.project as { key?: string } | undefined;
    const type = f.issuetype as { id?: string; name?: string } | undefined;
    const status = f.status as { id?: string; name?: string; statusCategory?: { key?: string } } | undefined;
    const customFields: Record<string, TicketCustomField> = {};
    if (project?.key && type?.id && isId('projectIdOrKey', project.key) && isId('issueTypeId', type.id)) {
      try {
        const sd = await schemaData(project.key, type.id, ctx);
        for (const mf of sd.fields) {
          const tf = ticketField(mf, f[mf.schema.id]);
          if (tf) customFields[mf.schema.id] = tf;
        }
      } catch (e) {
        // the issue is still readable without its schema (e.g. a sub-task, or a project outside BATON_JIRA_PROJECT_KEYS)
        log().debug({ key: i.key, err: e instanceof ConnectorError ? e.message : String(e) }, 'ticket read without its custom fields');
      }
    }
    const category = status?.statusCategory?.key;
    if (category)
      customFields.status_category = {
        id: 'status_category',
        displayName: 'Status category',
        required: false,
        annotations: [],
        value: { $case: 'pickStringValue', value: { value: category, allowedValues: ['new', 'indeterminate', 'done'], defaultValue: '' } },
      };
    const done = category === 'done';
    const assignee = userResource(f.assignee);
    const labels = Array.isArray(f.labels) ? (f.labels as unknown[]).filter((l): l is string => typeof l === 'string' && !l.startsWith(REQUEST_LABEL_PREFIX)) : [];
    return {
      id: i.id,
      displayName: typeof f.summary === 'string' ? f.summary : '',
      description: f.description ? fromAdf(f.description) : '',
      assignees: assignee ? [assignee] : [],
      reporter: userResource(f.reporter),
      status: status?.id ? { id: status.id, displayName: status.name ?? '' } : undefined,
      type: type?.id ? { id: type.id, displayName: type.name ?? '' } : undefined,
      labels,
      url: opts.siteUrl ? `${opts.siteUrl}/browse/${encodeURIComponent(i.key)}` : '',
      customFields,
      createdAt: jiraDate(f.created),
      updatedAt: jiraDate(f.updated),
      completedAt: done ? (jiraDate(f.resolutiondate) ?? jiraDate(f.statuscategorychangedate)) : undefined,
      requestedFor: undefined,
    };
  };

  return {
    async listSchemas(token, ctx): Promise<Page<TicketSchema>> {
      const p = schemasToken.decode(token)?.p ?? 0;
      let project: { key: string; name: string } | undefined;
      let more: boolean;
      if (keys.length) {
        if (p >= keys.length) return { items: [] };
        try {
          project = await api.getProject(keys[p], ctx);
        } catch (e) {
          if (!(e instanceof ConnectorError) || e.kind !== 'not-found') throw e;
          log().warn({ project: keys[p] }, 'a project of BATON_JIRA_PROJECT_KEYS is not visible to the credential: it has no ticket schemas');
        }
        more = p + 1 < keys.length;
      } else {
        const page = await api.searchProjects({ startAt: p, maxResults: 1, expand: [] }, ctx);
        project = page.values[0];
        more = !!project && !(page.isLast ?? (page.total !== undefined ? p + 1 >= page.total : page.values.length < 1));
      }
      const items: TicketSchema[] = [];
      if (project) {
        const types = await issues.createMetaIssueTypes(project.key, 0, 200, ctx);
        const creatable = types.values.filter((t) => !t.subtask);
        if (creatable.length) {
          const statuses = await statusesOf(project.key, ctx);
          for (const t of creatable) {
            let sd: SchemaData;
            try {
              sd = await build(project.key, project.name, t, statuses.get(t.id) ?? [], ctx);
            } catch (e) {
              // one issue type Jira will not describe (404, 400) does not hide the others; outages and auth still fail the page
              if (!(e instanceof ConnectorError) || !['not-found', 'invalid-input', 'permission', 'bad-upstream'].includes(e.kind)) throw e;
              log().warn({ project: project.key, issueType: t.id, kind: e.kind }, 'no ticket schema for this issue type: Jira did not describe its fields');
              continue;
            }
            cache.get(sd.schema.id, async () => sd);
            items.push(sd.schema);
          }
        }
      }
      return { items, nextPageToken: more ? schemasToken.encode({ p: p + 1 }) : undefined };
    },

    async getSchema(id, ctx) {
      const { projectKey, issueTypeId } = parseSchemaId(id, 'id');
      return (await schemaData(projectKey, issueTypeId, ctx)).schema;
    },

    async create(schemaId, req, requestId, ctx) {
      const { projectKey, issueTypeId } = parseSchemaId(schemaId, 'schema.id');
      const sd = await schemaData(projectKey, issueTypeId, ctx);
      // every check before any write
      const summary = req.displayName.trim();
      if (!summary) throw invalidInput('request.display_name is required (the issue summary)');
      if (summary.length > MAX_SUMMARY || /[\r\n]/.test(summary)) throw invalidInput(`request.display_name must be one line of at most ${MAX_SUMMARY} characters (the issue summary)`);
      if (req.description.length > MAX_DESCRIPTION) throw invalidInput(`request.description is longer than ${MAX_DESCRIPTION} characters`);
      if (req.type?.id && req.type.id !== issueTypeId) throw invalidInput(`request.type.id ${JSON.stringify(req.type.id.slice(0, 32))} is not the schema's issue type ${issueTypeId}`);
      if (req.status?.id && !sd.statuses.some((s) => s.id === req.status!.id))
        throw invalidInput(`request.status.id ${JSON.stringify(req.status.id.slice(0, 32))} is not a status of ${schemaId}; new issues start in their workflow's first status`);
      if (req.labels.length > MAX_LABELS) throw invalidInput(`request.labels has ${req.labels.length} labels; at most ${MAX_LABELS}`);
      const labels = req.labels.map((l, i) => {
        const t = l.trim().replace(/\s+/g, '_');
        if (!t || t.length > 255) throw invalidInput(`request.labels[${i}] must be 1 to 255 characters`);
        if (t.startsWith(REQUEST_LABEL_PREFIX)) throw invalidInput(`request.labels[${i}] uses the prefix ${REQUEST_LABEL_PREFIX}, which this connector keeps for request ids`);
        return t;
      });
      if (sd.unsupported.length)
        throw invalidInput(
          `schema ${schemaId} needs ${sd.unsupported.map((m) => JSON.stringify(m.name)).join(', ')}, which the ticket contract cannot carry; give the field a default in Jira or use another issue type`,
        );
      const fields: Record<string, unknown> = { project: { key: sd.projectKey }, issuetype: { id: sd.issueTypeId }, summary };
      if (req.description.trim()) fields.description = toAdf(req.description);
      for (const [key, given] of Object.entries(req.customFields)) {
        const field = `request.custom_fields[${JSON.stringify(key.slice(0, 64))}]`;
        const f = sd.fields.find((x) => x.schema.id === key);
        if (!f) throw invalidInput(`${field} is not a field of ${schemaId}; GetTicketSchema lists its ${sd.fields.length} fields`);
        const v = jiraValue(f, given, field);
        if (v !== undefined) fields[f.meta.fieldId] = v;
      }
      for (const f of sd.fields)
        if (f.schema.required && fields[f.meta.fieldId] === undefined) throw invalidInput(`request.custom_fields[${JSON.stringify(f.schema.id)}] (${f.meta.name}) is required by ${schemaId}`);
      const rid = requestId ?? randomUUID();
      const label = requestLabel(rid);
      fields.labels = [...new Set([...labels, label])];
      const r = await lock.run(label, () => issues.createIssue(sd.projectKey, fields, label, { lookFirst: requestId !== undefined }, ctx));
      if (!r) {
        // dry run: what would have been created
        log().info({ audit: true, action: 'create ticket', schema: schemaId, dryRun: true }, 'ticketing (dry run, not sent): create ticket');
        return {
          id: '',
          displayName: summary,
          description: req.description,
          assignees: [],
          reporter: undefined,
          status: undefined,
          type: sd.schema.types[0],
          labels,
          url: '',
          customFields: req.customFields,
          createdAt: undefined,
          updatedAt: undefined,
          completedAt: undefined,
          requestedFor: undefined,
        };
      }
      log().info({ audit: true, action: 'create ticket', schema: schemaId, key: r.issue.key, result: r.found ? 'already filed for this request id' : 'created' }, 'ticketing: create ticket');
      return toTicket(await issues.getIssue(r.issue.id, ctx), ctx);
    },

    async get(id, ctx) {
      const key = checkId('issueIdOrKey', id, 'id');
      return toTicket(await issues.getIssue(key, ctx), ctx);
    },
  };
}
