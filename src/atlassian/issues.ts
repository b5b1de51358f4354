/**
 * Jira work items for ticketing: create metadata (what may be set on an issue of a project and
 * type), workflow statuses, create, get, and the label search that makes a create idempotent. One
 * upstream page or one write per call, like jira.ts; paths come from the capability table.
 */
import { z } from 'zod';
import type { RequestContext, Upstream } from './http';
import { ENDPOINTS as E } from './capabilities';
import { UpstreamError } from './errors';
import { ConnectorError } from '../errors';
import { checkId } from '../id-shapes';
import { log } from '../log';

const optStr = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const IssueTypeSchema = z.object({ id: z.string(), name: z.string(), subtask: z.boolean().optional(), description: optStr });
export type JiraIssueType = z.infer<typeof IssueTypeSchema>;

const CreateMetaIssueTypesSchema = z.object({ issueTypes: z.array(IssueTypeSchema).default([]), startAt: z.number(), maxResults: z.number(), total: z.number().optional() });

const FieldMetaSchema = z.object({
  fieldId: z.string(),
  key: z.string().optional(),
  name: z.string(),
  required: z.boolean(),
  schema: z.object({ type: z.string(), items: optStr, system: optStr, custom: optStr, customId: z.number().optional() }),
  allowedValues: z.array(z.unknown()).optional(),
  hasDefaultValue: z.boolean().optional(),
  defaultValue: z.unknown().optional(),
  operations: z.array(z.string()).optional(),
});
export type JiraFieldMeta = z.infer<typeof FieldMetaSchema>;

const CreateMetaFieldsSchema = z.object({ fields: z.array(FieldMetaSchema).default([]), startAt: z.number(), maxResults: z.number(), total: z.number().optional() });

const StatusCategorySchema = z.object({ key: z.string(), name: optStr });
const StatusSchema = z.object({ id: z.string(), name: z.string(), statusCategory: StatusCategorySchema.optional() });
export type JiraStatus = z.infer<typeof StatusSchema>;
const ProjectStatusesSchema = z.array(z.object({ id: z.string(), name: z.string(), subtask: z.boolean().optional(), statuses: z.array(StatusSchema) }));

const CreatedIssueSchema = z.object({ id: z.string(), key: z.string() });
export type JiraCreatedIssue = z.infer<typeof CreatedIssueSchema>;

const IssueSchema = z.object({ id: z.string(), key: z.string(), fields: z.record(z.string(), z.unknown()).default({}) });
export type JiraIssue = z.infer<typeof IssueSchema>;

const SearchSchema = z.object({ issues: z.array(z.object({ id: z.string(), key: z.string().optional() })).default([]) });

export interface IssuesClient {
  /** one page of the issue types a project can create */
  createMetaIssueTypes(projectIdOrKey: string, startAt: number, maxResults: number, ctx?: RequestContext): Promise<{ values: JiraIssueType[]; total?: number; startAt: number }>;
  /** one page of the fields of (project, issue type) */
  createMetaFields(projectIdOrKey: string, issueTypeId: string, startAt: number, maxResults: number, ctx?: RequestContext): Promise<{ values: JiraFieldMeta[]; total?: number; startAt: number }>;
  /** every issue type of the project with its workflow's statuses */
  projectStatuses(projectIdOrKey: string, ctx?: RequestContext): Promise<Array<{ id: string; name: string; statuses: JiraStatus[] }>>;
  getIssue(issueIdOrKey: string, ctx?: RequestContext): Promise<JiraIssue>;
  /** the issues of a project carrying a label (at most a few) */
  findByLabel(projectIdOrKey: string, label: string, ctx?: RequestContext): Promise<string[]>;
  /**
   * Creates an issue whose labels include `label`, at most once: when `lookFirst`, or after a send that failed
   * ambiguously (reset, timeout, 5xx), the label is searched before anything is sent (again). `found` says the
   * issue already existed. In dry-run mode nothing is sent and the answer is undefined.
   */
  createIssue(
    projectIdOrKey: string,
    fields: Record<string, unknown>,
    label: string,
    opts: { lookFirst: boolean },
    ctx?: RequestContext,
  ): Promise<{ issue: JiraCreatedIssue; found: boolean } | undefined>;
}

/** JQL string literal */
function jqlString(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function createIssuesClient(up: Upstream): IssuesClient {
  const client: IssuesClient = {
    async createMetaIssueTypes(projectIdOrKey, startAt, maxResults, ctx) {
      const r = await up.call({ method: 'GET', path: E.createMetaIssueTypes.path, pathParams: { projectIdOrKey }, query: { startAt, maxResults }, schema: CreateMetaIssueTypesSchema }, ctx);
      return { values: r.issueTypes, total: r.total, startAt: r.startAt };
    },
    async createMetaFields(projectIdOrKey, issueTypeId, startAt, maxResults, ctx) {
      const r = await up.call({ method: 'GET', path: E.createMetaFields.path, pathParams: { projectIdOrKey, issueTypeId }, query: { startAt, maxResults }, schema: CreateMetaFieldsSchema }, ctx);
      return { values: r.fields, total: r.total, startAt: r.startAt };
    },
    projectStatuses: (projectIdOrKey, ctx) => up.call({ method: 'GET', path: E.projectStatuses.path, pathParams: { projectIdOrKey }, schema: ProjectStatusesSchema }, ctx),
    getIssue: (issueIdOrKey, ctx) => up.call({ method: 'GET', path: E.getIssue.path, pathParams: { issueIdOrKey }, schema: IssueSchema }, ctx),
    async findByLabel(projectIdOrKey, label, ctx) {
      // both go into JQL (quoted): only the shapes we make
      checkId('projectIdOrKey', projectIdOrKey, 'projectIdOrKey');
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(label)) throw new ConnectorError('internal', 'a request label must be a word of letters, digits, "_" and "-"');
      const jql = `project = ${jqlString(projectIdOrKey)} AND labels = ${jqlString(label)}`;
      const r = await up.call({ method: 'GET', path: E.searchIssues.path, query: { jql, maxResults: 5, fields: 'labels' }, schema: SearchSchema }, ctx);
      return r.issues.map((i) => i.id);
    },
    async createIssue(projectIdOrKey, fields, label, opts, ctx) {
      const lookup = async (): Promise<JiraCreatedIssue | undefined> => {
        const ids = await client.findByLabel(projectIdOrKey, label, ctx);
        if (ids.length === 0) return undefined;
        const i = await client.getIssue(ids[0], ctx);
        return { id: i.id, key: i.key };
      };
      if (opts.lookFirst) {
        const existing = await lookup();
        if (existing) return { issue: existing, found: true };
      }
      for (let sent = 1; ; sent++) {
        try {
          const r = await up.callRaw({ method: 'POST', path: E.createIssue.path, body: { fields }, schema: CreatedIssueSchema }, ctx);
          if (r.status === 0) return undefined; // dry run: not sent
          return { issue: r.data, found: false };
        } catch (e) {
          if (!(e instanceof UpstreamError) || !e.ambiguous || sent >= 3) throw e;
          // the issue may have been created: look before sending it again
          let existing: JiraCreatedIssue | undefined;
          try {
            existing = await lookup();
          } catch {
            throw e; // cannot tell: never resend blindly
          }
          if (existing) {
            log().info({ endpoint: 'POST /rest/api/3/issue', key: existing.key }, 'an ambiguous create turned out to be applied');
            return { issue: existing, found: false };
          }
          log().warn({ endpoint: 'POST /rest/api/3/issue', sent }, 'create failed ambiguously and no issue carries its label; sending it again');
        }
      }
    },
  };
  return client;
}
