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
 * The pass is kept per sync (keyed by active_sync_id, or the anonymous sync of a host that sends
 * none; dropped at Cleanup or idle expiry) and goes to the user's profile; it is not `last_login`:
 * editing an issue through an automation or an API token is not a login, and reading without
 * changing anything leaves no trace here.
 *
 * Early and resumable: the sync's first listing call of any resource type starts the pass in the
 * background, one request at a time through the connector's prefetcher (its budget of background
 * reads, the client's concurrency slots and rate pacing): a user listing that comes after other
 * listings usually finds it done; one that comes first waits for it.
 * The pass's progress (the accounts' best so far, the next page token, the issues waiting for the
 * bulk changelog, the counters) is applied request by request, only when a request succeeded: a
 * failure (429 past the retries, 503, a deadline) leaves it where it was, and the next caller goes
 * on from there, so no page is read twice. A background failure is reported nowhere but in that
 * resume point; the user listing then makes the remaining requests itself, and their errors are its
 * call's. Calls outside a sync (GetResource) start nothing and make the pass themselves.
 */
import type { CallContext, ResourceSyncer } from './types';
import type { ActivityApi, JiraHistory, RequestContext } from './jira-api';
import { syncKey, track, type SyncScoped } from './cache';
import { BACKGROUND, type Prefetcher } from './prefetch';
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
  /** the connector's prefetcher: the pass runs in the background within its budget from a sync's first listing call (without it, in the user listing) */
  prefetch?: Prefetcher;
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
  /** The sync's pass to its end: what the background read already, and the rest read by this call. */
  forSync(ctx: CallContext): Promise<IssueActivityIndex>;
  /** A listing call of a sync arrived: the pass starts in the background, unless it is done, going, or failed there once. Nothing outside a sync. */
  begin(ctx: CallContext): void;
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

/** Jira refuses the search for good: the users go without issue activity, and each profile says why. */
const PERMANENT = ['invalid-input', 'permission', 'not-found', 'auth'];
/** a sync's pass is kept this long after the sync's last call (the pass of calls outside a sync, this long after it began), for at most this many syncs, unless Cleanup or the idle expiry drops it first */
const TTL_MS = 6 * 60 * 60 * 1000;
const MAX_SYNCS = 16;

/**
 * Where one sync's pass is: everything read so far. Each request's answer is applied only when it
 * arrived whole, so a failed request leaves the run as it was after the last good one, and the
 * next step (whoever makes it) sends that same request again; no page is read twice.
 */
interface Run {
  readonly scope: string;
  readonly born: number;
  /** when a call of the sync last asked for it */
  at: number;
  readonly cutoff: number;
  readonly best: Map<string, Best>;
  /** the next search page's token (undefined: the first page, or none left once `searched`) */
  token?: string;
  searched: boolean;
  /** issues whose history the search cut short, waiting for the bulk changelog */
  readonly truncated: Array<{ id: string; key?: string }>;
  /** a bulk changelog batch under way: its issues and its next page's token */
  bulk?: { ids: string[]; keys: Map<string, string | undefined>; token?: string };
  issues: number;
  requests: number;
  /** the pass's end: the index, or why Jira refused it */
  result?: IssueActivityIndex;
  /** the request under way, whoever sent it: one at a time */
  busy?: Promise<void>;
  /** a background chain is going; it stopped for good after a failure */
  background: boolean;
  backgroundFailed: boolean;
  /** background steps asked for (the prefetcher's keys) */
  steps: number;
}

export function issueActivity(api: ActivityApi, opts: IssueActivityOptions): IssueActivity {
  const now = opts.now ?? Date.now;
  const jql = activityJql(opts.days, opts.projectKeys);
  /** by syncKey, least recently used first */
  const runs = new Map<string, Run>();

  function runFor(activeSyncId: string | undefined): Run {
    const scope = syncKey(activeSyncId);
    const t = Date.now();
    let run = runs.get(scope);
    if (run) runs.delete(scope);
    // a sync's pass lives as long as the sync goes on; outside a sync (GetResource) it is read again after the TTL
    if (!run || t - (activeSyncId ? run.at : run.born) > TTL_MS) {
      run = { scope, born: t, at: t, cutoff: now() - opts.days * DAY, best: new Map(), searched: false, truncated: [], issues: 0, requests: 0, background: false, backgroundFailed: false, steps: 0 };
    }
    run.at = t;
    runs.set(scope, run);
    while (runs.size > MAX_SYNCS) runs.delete(runs.keys().next().value as string);
    return run;
  }

  function note(run: Run, accountId: string | undefined, when: string | undefined, source: Best['source'], issueKey: string | undefined): void {
    if (!accountId || !when) return;
    const ms = Date.parse(when);
    if (!Number.isFinite(ms) || ms < run.cutoff) return;
    const cur = run.best.get(accountId);
    if (!cur || ms > cur.ms || (ms === cur.ms && source === 'changed' && cur.source === 'created')) run.best.set(accountId, { ms, source, issueKey });
  }
  const noteHistories = (run: Run, hs: JiraHistory[], key: string | undefined) => {
    for (const h of hs) note(run, h.author?.accountId ?? undefined, h.created, 'changed', key);
  };

  /** One request of the pass (a search page, or a bulk changelog page), or its end; applied only when it succeeded. */
  async function step(run: Run, ctx: RequestContext): Promise<void> {
    if (!run.bulk && (run.truncated.length >= BULK || (run.searched && run.truncated.length))) {
      const batch = run.truncated.splice(0, BULK);
      run.bulk = { ids: batch.map((b) => b.id), keys: new Map(batch.map((b) => [b.id, b.key])) };
    }
    const bulk = run.bulk;
    if (bulk) {
      const r = await api.bulkChangelogs(bulk.ids, bulk.token, ctx);
      run.requests++;
      for (const [id, hs] of r.byIssue) noteHistories(run, hs, bulk.keys.get(id));
      run.bulk = r.nextPageToken ? { ...bulk, token: r.nextPageToken } : undefined;
      return;
    }
    if (!run.searched) {
      const page = await api.searchIssuesPage(jql, { fields: ['created', 'creator'], changelog: true, maxResults: PAGE, nextPageToken: run.token }, ctx);
      run.requests++;
      for (const i of page.issues) {
        run.issues++;
        const creator = i.fields.creator as { accountId?: unknown } | null | undefined;
        note(run, typeof creator?.accountId === 'string' ? creator.accountId : undefined, typeof i.fields.created === 'string' ? i.fields.created : undefined, 'created', i.key);
        const cl = i.changelog;
        // Jira caps a search's changelog (40 recent histories); without a total, a full page is taken as cut short
        const cut = cl && (cl.total !== undefined ? cl.total > cl.histories.length : cl.histories.length >= SEARCH_CAP);
        if (cut) run.truncated.push({ id: i.id, key: i.key });
        else if (cl) noteHistories(run, cl.histories, i.key);
      }
      run.token = page.nextPageToken;
      run.searched = !page.nextPageToken;
      return;
    }
    const { best, issues, requests } = run;
    const windowDays = opts.days;
    run.result = {
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
   * A step as the run's one request under way. A search Jira refuses for good (a project key it
   * does not know, a missing permission or scope) ends the pass: the users go without issue
   * activity and each profile says why, rather than failing the user listing; transient failures
   * (rate limits, outages, deadlines) reject, and the run stays where it was.
   */
  function runStep(run: Run, ctx: RequestContext): Promise<void> {
    const p = step(run, ctx).catch((e: unknown) => {
      if (!(e instanceof ConnectorError) || !PERMANENT.includes(e.kind)) throw e;
      const why = `issue search refused (${e.kind}${e.details.status ? `, HTTP ${e.details.status}` : ''})${e.details.upstreamMessage ? `: ${e.details.upstreamMessage.slice(0, 200)}` : ''}`;
      log().warn({ kind: e.kind, status: e.details.status }, 'issue activity (BATON_JIRA_ACTIVITY_DAYS) is unavailable: the issue search was refused');
      run.result = { issues: 0, accounts: 0, requests: 0, of: () => ({ unavailable: why }) };
    });
    run.busy = p;
    const free = () => {
      if (run.busy === p) run.busy = undefined;
    };
    p.then(free, free);
    return p;
  }

  /** The caller's pass to its end: waits for a request under way (the background's), makes the others; its own failures are its call's. */
  async function drive(run: Run, ctx: CallContext): Promise<IssueActivityIndex> {
    for (;;) {
      if (run.result) return run.result;
      if (run.busy) await settled(run.busy, ctx);
      else await runStep(run, ctx);
    }
  }

  /** The next background step, through the prefetcher (its budget of reads in flight, the client's slots and pacing). */
  function chain(run: Run): void {
    const prefetch = opts.prefetch;
    // done, a call drives it now, or the sync is gone
    if (!prefetch || run.result || run.busy || runs.get(run.scope) !== run) {
      run.background = false;
      return;
    }
    const key = `issue-activity|${run.steps++}`;
    prefetch.want(run.scope, key, () => backgroundStep(run), { urgent: true, store: false, then: () => chain(run) });
    // past the prefetcher's bound the want is ignored: the user listing makes the rest
    if (!prefetch.has(run.scope, key)) run.background = false;
  }

  async function backgroundStep(run: Run): Promise<void> {
    if (run.result || run.busy || runs.get(run.scope) !== run) return;
    try {
      await runStep(run, BACKGROUND);
    } catch (e) {
      // not reported: the run stays where it was, and the user listing goes on from there
      run.background = false;
      run.backgroundFailed = true;
      throw e;
    }
  }

  const activity: IssueActivity & SyncScoped = {
    forSync: (ctx) => drive(runFor(ctx.activeSyncId), ctx),
    begin(ctx) {
      if (!ctx.activeSyncId || !opts.prefetch) return;
      const run = runFor(ctx.activeSyncId);
      if (run.result || run.background || run.backgroundFailed) return;
      run.background = true;
      chain(run);
    },
    dropSync: (id) => void runs.delete(syncKey(id)),
    heldFor: (sync) => (runs.has(sync) ? 1 : 0),
  };
  track(activity);
  return activity;
}

/**
 * Waits for a request of the pass that another caller (the background) sent, whatever its outcome;
 * rejects only when this call is cancelled or its deadline passes first.
 */
function settled(p: Promise<unknown>, ctx: CallContext): Promise<void> {
  const done = p.then(
    () => undefined,
    () => undefined,
  );
  const { signal, deadline } = ctx;
  if (!signal && !deadline) return done;
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    const stop = (why: string) => {
      finish();
      reject(new ConnectorError('unavailable', `${why} while the issue-activity pass (BATON_JIRA_ACTIVITY_DAYS) was reading Jira in the background; a retry goes on from where it is`));
    };
    const onAbort = () => stop('the call was cancelled');
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline) {
      timer = setTimeout(() => stop("the call's deadline passed"), Math.max(0, deadline.getTime() - Date.now()));
      timer.unref();
    }
    void done.then(() => {
      finish();
      resolve();
    });
  });
}

/**
 * The resource type with the sync's pass started by each of its listing calls (ListResources,
 * ListEntitlements, ListGrants): whatever type the syncer lists first, the pass is on its way
 * before the user listing needs it. GetResource (outside any sync) starts nothing.
 */
export function startingIssueActivity(s: ResourceSyncer, activity: IssueActivity): ResourceSyncer {
  return {
    ...s,
    list(parent, token, ctx) {
      activity.begin(ctx);
      return s.list(parent, token, ctx);
    },
    entitlements(r, token, ctx) {
      activity.begin(ctx);
      return s.entitlements(r, token, ctx);
    },
    grants(r, token, ctx) {
      activity.begin(ctx);
      return s.grants(r, token, ctx);
    },
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
