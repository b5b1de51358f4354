/**
 * Last issue activity per account (issue 16, BATON_JIRA_ACTIVITY_DAYS=<n>): within the last n
 * days, the latest time each account created an issue (`creator`) or changed one (changelog
 * authors). One pass per sync over the issues updated in the window (any create or change updates
 * an issue, so nothing in the window is missed):
 *
 *   GET /search/jql?jql=updated >= -nd [AND project in (...)]&fields=created,creator&expand=changelog&maxResults=100
 *
 * pages by nextPageToken; Jira's search returns at most the 40 most recent histories of an issue,
 * so issues with more come back through POST /changelog/bulkfetch (up to 1,000 issues a request).
 * Never a request per user. Comments are not counted (a comment needs a request per issue).
 *
 * The result is cached per sync (keyed by active_sync_id, dropped at Cleanup) and goes to the
 * user's profile; it is not `last_login`: editing an issue through an automation or an API token
 * is not a login, and reading without changing anything leaves no trace here.
 */
import type { CallContext } from './types';
import type { ActivityApi, JiraHistory } from './jira-api';
import { PromiseCache, syncKey } from './cache';
import { ConnectorError } from '../errors';
import { log } from '../log';
import { jqlString } from '../jql';

const DAY = 86_400_000;
const PAGE = 100;
const BULK = 1000;
const SEARCH_CAP = 40;

export interface IssueActivityFacts {
  /** ISO date-time of the latest activity, absent when none in the window */
  at?: string;
  source?: 'created' | 'changed';
  /** the issue it happened on */
  issueKey?: string;
  /** the window in days; absent when the pass could not run (then `unavailable` says why) */
  windowDays?: number;
  unavailable?: string;
}

export interface IssueActivityOptions {
  days: number;
  /** BATON_JIRA_PROJECT_KEYS (all projects when empty) */
  projectKeys: string[];
  now?: () => number;
}

export interface IssueActivityIndex {
  /** the account's facts (every account gets the window; `at` only with activity) */
  of(accountId: string): IssueActivityFacts;
  /** issues read, accounts with activity and requests sent by the pass */
  readonly issues: number;
  readonly accounts: number;
  readonly requests: number;
}

export interface IssueActivity {
  forSync(ctx: CallContext): Promise<IssueActivityIndex>;
  dropSync(activeSyncId: string | undefined): void;
}

/** The JQL of the pass (project keys are checked by the configuration: letters, digits, _). */
export function activityJql(days: number, projectKeys: string[]): string {
  const parts = [`updated >= -${Math.trunc(days)}d`];
  if (projectKeys.length) parts.push(`project in (${projectKeys.map(jqlString).join(', ')})`);
  return `${parts.join(' AND ')} ORDER BY id ASC`;
}

interface Best {
  ms: number;
  source: 'created' | 'changed';
  issueKey?: string;
}

export function issueActivity(api: ActivityApi, opts: IssueActivityOptions): IssueActivity {
  const now = opts.now ?? Date.now;
  const cache = new PromiseCache<IssueActivityIndex>({ maxEntries: 16, maxBytes: 256 * 1024 * 1024, ttlMs: 6 * 60 * 60 * 1000, sizeOf: (v) => 256 + v.accounts * 160 });

  async function pass(ctx: CallContext): Promise<IssueActivityIndex> {
    const cutoff = now() - opts.days * DAY;
    const best = new Map<string, Best>();
    const note = (accountId: string | undefined, when: string | undefined, source: Best['source'], issueKey: string | undefined) => {
      if (!accountId || !when) return;
      const ms = Date.parse(when);
      if (!Number.isFinite(ms) || ms < cutoff) return;
      const cur = best.get(accountId);
      if (!cur || ms > cur.ms || (ms === cur.ms && source === 'changed' && cur.source === 'created')) best.set(accountId, { ms, source, issueKey });
    };
    const noteHistories = (hs: JiraHistory[], key: string | undefined) => {
      for (const h of hs) note(h.author?.accountId ?? undefined, h.created, 'changed', key);
    };
    let requests = 0;
    let issues = 0;
    const truncated: Array<{ id: string; key?: string }> = [];
    const flush = async () => {
      const batch = truncated.splice(0, BULK);
      const keys = new Map(batch.map((b) => [b.id, b.key]));
      let token: string | undefined;
      do {
        const r = await api.bulkChangelogs(
          batch.map((b) => b.id),
          token,
          ctx,
        );
        requests++;
        for (const [id, hs] of r.byIssue) noteHistories(hs, keys.get(id));
        token = r.nextPageToken;
      } while (token);
    };
    const jql = activityJql(opts.days, opts.projectKeys);
    let token: string | undefined;
    do {
      const page = await api.searchIssuesPage(jql, { fields: ['created', 'creator'], changelog: true, maxResults: PAGE, nextPageToken: token }, ctx);
      requests++;
      for (const i of page.issues) {
        issues++;
        const creator = i.fields.creator as { accountId?: unknown } | null | undefined;
        note(typeof creator?.accountId === 'string' ? creator.accountId : undefined, typeof i.fields.created === 'string' ? i.fields.created : undefined, 'created', i.key);
        const cl = i.changelog;
        // Jira caps a search's changelog (40 recent histories); without a total, a full page is taken as cut short
        const cut = cl && (cl.total !== undefined ? cl.total > cl.histories.length : cl.histories.length >= SEARCH_CAP);
        if (cut) truncated.push({ id: i.id, key: i.key });
        else if (cl) noteHistories(cl.histories, i.key);
      }
      if (truncated.length >= BULK) await flush();
      token = page.nextPageToken;
    } while (token);
    while (truncated.length) await flush();
    const windowDays = opts.days;
    return {
      issues,
      accounts: best.size,
      requests,
      of(accountId) {
        const b = best.get(accountId);
        return b ? { at: new Date(b.ms).toISOString(), source: b.source, issueKey: b.issueKey, windowDays } : { windowDays };
      },
    };
  }

  /**
   * A search Jira refuses for good (a project key it does not know, a missing permission or scope)
   * leaves the users without issue activity and says why on each profile, rather than failing the
   * user listing; transient failures (rate limits, outages) fail the call, so the syncer retries.
   */
  async function passOrExplain(ctx: CallContext): Promise<IssueActivityIndex> {
    try {
      return await pass(ctx);
    } catch (e) {
      if (!(e instanceof ConnectorError) || !['invalid-input', 'permission', 'not-found', 'auth'].includes(e.kind)) throw e;
      const why = `issue search refused (${e.kind}${e.details.status ? `, HTTP ${e.details.status}` : ''})${e.details.upstreamMessage ? `: ${e.details.upstreamMessage.slice(0, 200)}` : ''}`;
      log().warn({ kind: e.kind, status: e.details.status }, 'issue activity (BATON_JIRA_ACTIVITY_DAYS) is unavailable: the issue search was refused');
      return { issues: 0, accounts: 0, requests: 0, of: () => ({ unavailable: why }) };
    }
  }

  return {
    forSync: (ctx) => cache.get(`${syncKey(ctx.activeSyncId)}|activity`, () => passOrExplain(ctx)),
    dropSync: (id) => cache.dropSync(syncKey(id)),
  };
}

/** The profile fields of an account's issue activity. */
export function issueActivityProfile(f: IssueActivityFacts): Record<string, unknown> {
  if (f.unavailable) return { last_issue_activity_unavailable: f.unavailable };
  const out: Record<string, unknown> = { last_issue_activity_window_days: f.windowDays };
  if (f.at) {
    out.last_issue_activity = f.at;
    out.last_issue_activity_source = f.source === 'created' ? 'created an issue' : 'changed an issue';
    if (f.issueKey) out.last_issue_activity_issue = f.issueKey;
  }
  return out;
}
