/**
 * Issue activity and work items (issue 16): one page of the enhanced JQL search
 * (GET /rest/api/3/search/jql, nextPageToken) with only the fields asked for, and the changelogs of
 * up to 1,000 issues in one POST /rest/api/3/changelog/bulkfetch (a read). One upstream request per
 * call; the caller builds the JQL from checked values only (jql.ts helpers below).
 */
import { z } from 'zod';
import type { RequestContext, Upstream } from './http';
import { ENDPOINTS as E } from './capabilities';
import { ConnectorError } from '../errors';

const optStr = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const UserRefSchema = z.object({ accountId: z.string(), displayName: optStr, active: z.boolean().optional() }).nullish();

const HistorySchema = z.object({ id: z.string().optional(), author: UserRefSchema, created: z.string() });
export type JiraHistory = z.infer<typeof HistorySchema>;

const SearchIssueSchema = z.object({
  id: z.string(),
  key: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).default({}),
  changelog: z.object({ total: z.number().optional(), histories: z.array(HistorySchema).default([]) }).optional(),
});
export type JiraSearchIssue = z.infer<typeof SearchIssueSchema>;

const SearchPageSchema = z.object({ issues: z.array(SearchIssueSchema).default([]), nextPageToken: optStr, isLast: z.boolean().optional() });

const BulkChangelogSchema = z.object({
  issueChangeLogs: z.array(z.object({ issueId: z.string(), changeHistories: z.array(HistorySchema).default([]) })).default([]),
  nextPageToken: optStr,
});

export interface IssueSearchPage {
  issues: JiraSearchIssue[];
  /** undefined on the last page */
  nextPageToken?: string;
}

export interface ActivityClient {
  /** one page of issues matching `jql` with the given fields (and the changelog when asked; Jira caps it at 40 recent histories) */
  searchIssuesPage(jql: string, opts: { fields: string[]; changelog?: boolean; maxResults: number; nextPageToken?: string }, ctx?: RequestContext): Promise<IssueSearchPage>;
  /** one page of the changelogs of up to 1,000 issues, by issue id */
  bulkChangelogs(issueIds: string[], nextPageToken: string | undefined, ctx?: RequestContext): Promise<{ byIssue: Map<string, JiraHistory[]>; nextPageToken?: string }>;
}

/** Longest JQL we send (a long project list is the only thing that grows it). */
const MAX_JQL = 8000;

export function createActivityClient(up: Upstream): ActivityClient {
  return {
    async searchIssuesPage(jql, opts, ctx) {
      if (jql.length > MAX_JQL) throw new ConnectorError('invalid-input', `the JQL of the issue search is too long (${jql.length} characters, at most ${MAX_JQL}): fewer project keys or statuses`);
      const query: Record<string, string | number> = { jql, maxResults: opts.maxResults, fields: opts.fields.join(',') };
      if (opts.changelog) query.expand = 'changelog';
      if (opts.nextPageToken) query.nextPageToken = opts.nextPageToken;
      const r = await up.call({ method: 'GET', path: E.searchIssues.path, query, schema: SearchPageSchema }, ctx);
      return { issues: r.issues, nextPageToken: r.isLast === false || (r.isLast === undefined && r.nextPageToken) ? r.nextPageToken : undefined };
    },
    async bulkChangelogs(issueIds, nextPageToken, ctx) {
      const body: Record<string, unknown> = { issueIdsOrKeys: issueIds.slice(0, 1000), maxResults: 10_000 };
      if (nextPageToken) body.nextPageToken = nextPageToken;
      const r = await up.call({ method: 'POST', path: E.bulkChangelogs.path, body, read: true, idempotent: true, schema: BulkChangelogSchema }, ctx);
      const byIssue = new Map<string, JiraHistory[]>();
      for (const l of r.issueChangeLogs) byIssue.set(l.issueId, [...(byIssue.get(l.issueId) ?? []), ...l.changeHistories]);
      return { byIssue, nextPageToken: r.nextPageToken };
    },
  };
}
