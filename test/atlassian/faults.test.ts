/**
 * Rate limits and faults against the fake: 429 with and without Retry-After, 503, connection
 * resets, truncated bodies, timeouts; deadlines; proactive pacing; paged reads under a 429 storm
 * that return exactly the ground truth; writes that are never resent blindly.
 *
 * Time comes from a test clock shared by the clients and the fake's rate-limit buckets: it runs
 * with real time, and every wait the client asks for returns at once and moves it on. The tests
 * assert the waits requested, the attempts made and the reset times reported, never wall time
 * (the only real waits left are the fake's latency and the client's per-attempt timeout).
 */
import { useFake, basicRaw, FAST } from './helpers';
import { AbortedError, type Clock } from '../../src/atlassian/limiter';
import { Rng } from '../../src/fake-atlassian/rng';
import type { AtlassianClients, ClientOptions, JiraClient } from '../../src/atlassian';

/** Real time plus every wait skipped. With `hold`, a wait stays pending (until the signal fires or release()). */
class TestClock implements Clock {
  private skipped = 0;
  /** every wait asked for, in ms */
  readonly waits: number[] = [];
  hold = false;
  private readonly held: { resolve: () => void; ms: number }[] = [];
  private readonly onWait: ((ms: number) => void)[] = [];

  now(): number {
    return Date.now() + this.skipped;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (ms <= 0) return Promise.resolve();
    this.waits.push(ms);
    for (const f of this.onWait.splice(0)) f(ms);
    if (!this.hold) {
      this.skipped += ms;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = { ms, resolve: () => ((this.skipped += ms), resolve()) };
      this.held.push(w);
      signal?.addEventListener('abort', () => (this.held.splice(this.held.indexOf(w), 1), reject(new AbortedError())), { once: true });
    });
  }

  /** ends the oldest held wait (the clock moves on by it) */
  release(): void {
    this.held.shift()?.resolve();
  }

  /** resolves with the next wait asked for */
  nextWait(): Promise<number> {
    return new Promise((r) => this.onWait.push(r));
  }

  /** the waits asked for while fn ran */
  async waitsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; waits: number[] }> {
    const from = this.waits.length;
    const value = await fn();
    return { value, waits: this.waits.slice(from) };
  }
}

const h = useFake({ seed: 11 });
const USERS = 'GET /rest/api/3/users/search';
const clock = new TestClock();
const rng = new Rng(2026);
const OPTS: ClientOptions = { ...FAST, clock, random: () => rng.next() };

beforeAll(() => {
  // the fake's token buckets refill on the same clock
  h.fake.faults.now = () => clock.now();
});

function client(tweak?: Parameters<typeof h.config>[1], opts = OPTS): AtlassianClients {
  return h.clients(h.config(basicRaw(h.fake), tweak), opts);
}

async function allUsers(j: JiraClient, pageSize = 9): Promise<string[]> {
  const ids: string[] = [];
  for (let startAt = 0; ;) {
    const page = await j.searchUsers(startAt, pageSize);
    if (page.length === 0) return ids;
    ids.push(...page.map((u) => u.accountId));
    startAt += page.length;
  }
}

async function allMembers(j: JiraClient): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (let g = 0; ;) {
    const groups = await j.listGroups(g, 4);
    for (const grp of groups.values) {
      const m: string[] = [];
      for (let s = 0; ;) {
        const p = await j.groupMembers(grp.groupId, s, 4);
        m.push(...p.values.map((v) => v.accountId));
        if (p.isLast || !p.values.length) break;
        s += p.values.length;
      }
      out[grp.groupId] = m;
    }
    if (groups.isLast || !groups.values.length) return out;
    g += groups.values.length;
  }
}

afterEach(() => h.fake.faults.clear());

describe('retries of idempotent reads', () => {
  it('429 with Retry-After: waits what Atlassian says (plus at most min(250 ms, baseDelayMs) jitter), then succeeds', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 1, match: USERS });
    const { value, waits } = await clock.waitsDuring(() => c.jira.searchUsers(0, 5));
    expect(value.length).toBe(5);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    expect(waits[0]).toBeLessThan(1000 + 10);
    const s = c.stats();
    expect(s.retriesByReason['429']).toBe(1);
    expect(s.rateLimited).toBe(1);
    expect(s.rateLimitWaitMs).toBe(waits[0]);
    expect(s.requests[USERS]).toBe(2);
  });

  it('429 without Retry-After: exponential backoff with full jitter', async () => {
    const c = client();
    const before = h.fake.stats.statusCount(429, USERS);
    h.fake.faults.failWith(429, 3, { match: USERS });
    const { value, waits } = await clock.waitsDuring(() => c.jira.searchUsers(0, 5));
    expect(value.length).toBe(5);
    expect(c.stats().retriesByReason['429']).toBe(3);
    expect(h.fake.stats.statusCount(429, USERS) - before).toBe(3);
    // attempt n waits random(0, min(maxDelayMs 80, baseDelayMs 10 * 2^n))
    expect(waits).toHaveLength(3);
    waits.forEach((w, n) => expect(w).toBeLessThan(Math.min(80, 10 * 2 ** n)));
  });

  it('503 (with and without Retry-After), connection resets, truncated bodies', async () => {
    const c = client();
    h.fake.faults.burst503(2, { match: USERS });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    h.fake.faults.burst503(1, { match: USERS, retryAfterSec: 1 });
    const { value, waits } = await clock.waitsDuring(() => c.jira.searchUsers(0, 5));
    expect(value.length).toBe(5);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    expect(waits[0]).toBeLessThan(1000 + 10);
    h.fake.faults.resetConnections(2, USERS);
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    h.fake.faults.truncateBodies(1, { match: USERS, mode: 'end' });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    h.fake.faults.truncateBodies(1, { match: USERS, mode: 'destroy' });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    const r = c.stats().retriesByReason;
    expect(r['503']).toBe(3);
    expect(r['bad-body']).toBeGreaterThanOrEqual(1);
    expect(Object.values(r).reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('a garbage Retry-After (past any date) is ignored: back-off and a retry, not an internal error', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 99_999_999_999_999, match: USERS });
    const { value, waits } = await clock.waitsDuring(() => c.jira.searchUsers(0, 5));
    expect(value.length).toBe(5);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThan(10);
    expect(c.stats().retriesByReason['429']).toBe(1);
  });

  it('timeout: a slow answer is abandoned and retried', async () => {
    const c = client((cfg) => (cfg.httpTimeoutMs = 300));
    let n = 0;
    h.fake.faults.add({ match: (r) => r.key === 'GET /rest/api/3/serverInfo' && n++ === 0, latencyMs: 1500 });
    expect((await c.jira.serverInfo()).deploymentType).toBe('Cloud');
    // the second attempt answered: the first was abandoned after its timeout, not awaited
    expect(n).toBe(2);
    expect(c.stats().retriesByReason.timeout).toBe(1);
    expect(c.stats().requests['GET /rest/api/3/serverInfo']).toBe(2);
  });

  it('persistent faults end in typed errors naming the endpoint', async () => {
    const c = client();
    h.fake.faults.burst503(50, { match: USERS });
    const e1 = await h.fails(c.jira.searchUsers(0, 5));
    expect(e1.kind).toBe('unavailable');
    expect(e1.details).toMatchObject({ endpoint: USERS, status: 503, upstreamMessage: 'Service Unavailable' });
    h.fake.faults.clear();
    h.fake.faults.truncateBodies(50, { match: USERS });
    const e2 = await h.fails(c.jira.searchUsers(0, 5));
    expect(e2.kind).toBe('bad-upstream');
    expect(e2.message).toMatch(/truncated or invalid JSON/);
    h.fake.faults.clear();
    h.fake.faults.resetConnections(50, USERS);
    const e3 = await h.fails(c.jira.searchUsers(0, 5));
    expect(e3.kind).toBe('unavailable');
    expect(e3.message).toMatch(/could not reach Jira/);
    h.fake.faults.clear();
    h.fake.faults.failWith(429, 50, { match: USERS });
    const e4 = await h.fails(c.jira.searchUsers(0, 5));
    expect(e4.kind).toBe('rate-limited');
    expect(c.stats().retriesByReason['429']).toBe(8);
  });
});

describe('deadlines and long waits', () => {
  it('gives up at once with rate-limited and the reset time when the wait would pass the deadline', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 30, match: USERS });
    const t0 = clock.now();
    const { value: e, waits } = await clock.waitsDuring(() => h.fails(c.jira.searchUsers(0, 5, { deadline: new Date(t0 + 3000) })));
    expect(waits).toEqual([]);
    expect(c.stats().requests[USERS]).toBe(1);
    expect(e.kind).toBe('rate-limited');
    expect(e.details.endpoint).toBe(USERS);
    const resetAt = e.details.rateLimit!.resetAt!.getTime();
    expect(resetAt).toBeGreaterThanOrEqual(t0 + 30_000);
    expect(resetAt).toBeLessThan(clock.now() + 30_000 + 10);
    expect(e.message).toMatch(/deadline/);
  });

  it('a rate-limit bucket on the admin API: reset time and limit from its headers', async () => {
    const c = h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key }), OPTS);
    h.fake.faults.rateLimit({ capacity: 1, refillPerSec: 0.01, retryAfterSec: 60 }, 'GET /admin/v1/orgs/{orgId}/users');
    await c.admin!.orgUsers(h.fake.orgId);
    const e = await h.fails(c.admin!.orgUsers(h.fake.orgId, undefined, { deadline: new Date(clock.now() + 5000) }));
    expect(e.kind).toBe('rate-limited');
    expect(e.details.rateLimit).toMatchObject({ limit: 1, remaining: 0 });
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThan(clock.now() + 59_000);
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeLessThan(clock.now() + 60_000 + 10);
  });

  it('does not wait longer than maxWaitMs inside one call, deadline or not', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 3600, match: USERS });
    const { value: e, waits } = await clock.waitsDuring(() => h.fails(c.jira.searchUsers(0, 5)));
    expect(waits).toEqual([]);
    expect(e.kind).toBe('rate-limited');
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThanOrEqual(clock.now() + 3_599_000);
    expect(e.message).toMatch(/later than this connector waits/);
  });

  it('a 429 pause is shared: a later call on the upstream waits it out, or gives up when it outlasts its deadline', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 2, match: USERS });
    clock.hold = true;
    try {
      const first = c.jira.searchUsers(0, 5);
      expect(await clock.nextWait()).toBeGreaterThanOrEqual(2000); // the retry delay of the 429'd call
      // another endpoint on the same upstream: its deadline ends before the pause
      const e = await h.fails(c.jira.serverInfo({ deadline: new Date(clock.now() + 1000) }));
      expect(e.kind).toBe('rate-limited');
      expect(e.message).toMatch(/before the caller's deadline/);
      expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThan(clock.now() + 1000);
      expect(c.stats().requests['GET /rest/api/3/serverInfo']).toBeUndefined();
      // without a deadline it waits for the pause to end
      const second = c.jira.serverInfo();
      const w = await clock.nextWait();
      expect(w).toBeGreaterThan(1000);
      expect(w).toBeLessThanOrEqual(2000);
      clock.release();
      expect((await first).length).toBe(5);
      clock.release();
      expect((await second).deploymentType).toBe('Cloud');
    } finally {
      clock.hold = false;
      clock.release();
      clock.release();
    }
  });

  it('a deadline that passes during a slow answer → unavailable, not a hang', async () => {
    const c = client();
    h.fake.faults.latency(1500, 'GET /rest/api/3/serverInfo');
    const { value: e, waits } = await clock.waitsDuring(() => h.fails(c.jira.serverInfo({ deadline: new Date(clock.now() + 300) })));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/deadline/);
    // the attempt was cut at the deadline and not retried after it
    expect(c.stats().requests['GET /rest/api/3/serverInfo']).toBe(1);
    expect(waits).toEqual([]);
  });

  it('cancellation stops a wait at once', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 5, match: USERS });
    const ac = new AbortController();
    clock.hold = true;
    try {
      const p = h.fails(c.jira.searchUsers(0, 5, { signal: ac.signal }));
      const w = await clock.nextWait();
      expect(w).toBeGreaterThanOrEqual(5000);
      ac.abort();
      const e = await p;
      expect(e.message).toMatch(/cancelled/);
      expect(c.stats().requests[USERS]).toBe(1);
    } finally {
      clock.hold = false;
    }
  });
});

describe('proactive pacing', () => {
  it('when X-RateLimit-Remaining runs low, requests to that endpoint are spaced 1/limit s apart and no 429 comes back', async () => {
    const c = client();
    const before = h.fake.stats.statusCount(429, USERS);
    h.fake.faults.rateLimit({ capacity: 5, refillPerSec: 5 }, USERS);
    const { waits } = await clock.waitsDuring(async () => {
      for (let i = 0; i < 10; i++) await c.jira.searchUsers(0, 1);
    });
    const s = c.stats();
    expect(h.fake.stats.statusCount(429, USERS) - before).toBe(0);
    expect(s.rateLimited).toBe(0);
    // remaining 4 → 3 → 2 → 1: from then on (at most 20 % of the limit left) one request per 200 ms
    expect(waits.length).toBeGreaterThan(0);
    for (const w of waits) expect(w).toBeLessThanOrEqual(200);
    expect(s.paceWaitMs).toBe(waits.reduce((a, b) => a + b, 0));
    expect(s.rateLimitWaitMs).toBe(0);
  });

  it('without pacing (maxPaceMs 0) the same reads run into 429s', async () => {
    const c = client(undefined, { ...OPTS, retry: { ...OPTS.retry, maxPaceMs: 0 } });
    h.fake.faults.rateLimit({ capacity: 5, refillPerSec: 5 }, USERS);
    const { waits } = await clock.waitsDuring(async () => {
      for (let i = 0; i < 10; i++) await c.jira.searchUsers(0, 1);
    });
    const s = c.stats();
    expect(s.paceWaitMs).toBe(0);
    expect(s.rateLimited).toBeGreaterThan(0);
    // only the Retry-After waits of the 429s
    expect(waits).toHaveLength(s.rateLimited);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
  });
});

describe('paged reads under a 429 storm return exactly the ground truth', () => {
  it('users/search under a token-bucket limit (Retry-After) equals the fault-free read and the tenant', async () => {
    const clean = await allUsers(client().jira);
    expect(clean).toEqual(h.fake.tenant.users().map((u) => u.accountId));
    const c = client();
    const before = h.fake.stats.statusCount(429, USERS);
    // refilling slower than pacing at 1/limit s spends it: 429s with Retry-After still come
    h.fake.faults.rateLimit({ capacity: 3, refillPerSec: 1 }, USERS);
    const stormy = await allUsers(c.jira);
    expect(stormy).toEqual(clean);
    const s = c.stats();
    expect(s.rateLimited).toBeGreaterThan(0);
    expect(s.rateLimited).toBe(h.fake.stats.statusCount(429, USERS) - before);
    expect(s.retriesByReason['429']).toBe(s.rateLimited);
    expect(s.paceWaitMs).toBeGreaterThan(0);
    // every 429 said Retry-After >= 1 s and was waited out
    expect(s.rateLimitWaitMs).toBeGreaterThanOrEqual(1000 * s.rateLimited);
  });

  it('groups and members under random 429s (no Retry-After), resets and truncated bodies equal the tenant', async () => {
    const truth: Record<string, string[]> = {};
    for (const g of h.fake.tenant.groups()) truth[g.groupId] = h.fake.tenant.groupMembers(g.groupId, { includeInactive: true });
    const c = client();
    h.fake.faults.add({ match: /^GET \/rest\/api\/3\/group\//, status: { code: 429, probability: 0.35 } });
    h.fake.faults.add({ match: /^GET \/rest\/api\/3\/group\//, reset: { probability: 0.1 } });
    h.fake.faults.add({ match: /^GET \/rest\/api\/3\/group\//, truncate: { probability: 0.1 } });
    expect(await allMembers(c.jira)).toEqual(truth);
    const s = c.stats();
    expect(s.retriesByReason['429']).toBeGreaterThan(3);
    expect(s.retries).toBeGreaterThan(s.retriesByReason['429']);
  });
});

describe('writes are never resent blindly', () => {
  const pick = () => {
    const t = h.fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced && x.name !== 'site-admins')!;
    const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.isGroupMember(g.groupId, x.accountId))!;
    return { g, u };
  };
  const POST = 'POST /rest/api/3/group/user';

  it('a 503 (not applied): the state is checked, then the write is sent again', async () => {
    const c = client();
    const { g, u } = pick();
    h.fake.faults.burst503(1, { match: POST });
    const before = h.fake.stats.count(POST);
    expect(await c.jira.addGroupMember(g.groupId, u.accountId)).toEqual({ changed: true });
    expect(h.fake.tenant.isGroupMember(g.groupId, u.accountId)).toBe(true);
    expect(h.fake.stats.count(POST) - before).toBe(2);
    expect(c.stats().requests['GET /rest/api/3/user/groups']).toBe(1);
    await c.jira.removeGroupMember(g.groupId, u.accountId);
  });

  it('a truncated answer (applied): the state check finds it done and nothing is resent', async () => {
    const c = client();
    const { g, u } = pick();
    h.fake.faults.truncateBodies(1, { match: POST, mode: 'destroy' });
    const before = h.fake.stats.count(POST);
    expect(await c.jira.addGroupMember(g.groupId, u.accountId)).toEqual({ changed: true });
    expect(h.fake.stats.count(POST) - before).toBe(1);
    expect(h.fake.tenant.isGroupMember(g.groupId, u.accountId)).toBe(true);
    // same for a role actor removal whose connection is reset
    const p = h.fake.tenant.projects()[0];
    const role = h.fake.tenant.roles()[0];
    await c.jira.addRoleActors(p.key, role.id, { users: [u.accountId] });
    h.fake.faults.resetConnections(1, 'DELETE /rest/api/3/project/{projectIdOrKey}/role/{id}');
    expect(await c.jira.removeRoleActor(p.key, role.id, { accountId: u.accountId })).toEqual({ changed: true });
    expect(h.fake.tenant.roleActors(p.id, role.id).users).not.toContain(u.accountId);
    await c.jira.removeGroupMember(g.groupId, u.accountId);
  });

  it('a 429 on a write was refused before it ran: resent after the wait, no state check needed', async () => {
    const c = client();
    const { g, u } = pick();
    h.fake.faults.failWith(429, 1, { match: POST });
    expect(await c.jira.addGroupMember(g.groupId, u.accountId)).toEqual({ changed: true });
    expect(c.stats().requests['GET /rest/api/3/user/groups']).toBeUndefined();
    expect(c.stats().retriesByReason['429']).toBe(1);
    await c.jira.removeGroupMember(g.groupId, u.accountId);
  });
});

describe('account creation after an ambiguous failure', () => {
  it('looks the account up instead of inviting twice; if it cannot look, it fails rather than resend', async () => {
    const c = client();
    h.fake.faults.truncateBodies(1, { match: 'POST /rest/api/3/user', mode: 'destroy' });
    const before = h.fake.stats.count('POST /rest/api/3/user');
    const res = await c.jira.createUser({ emailAddress: 'ambiguous.create@acme.example', products: [] }).then(
      (u) => ({ ok: true as const, u }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    expect(h.fake.stats.count('POST /rest/api/3/user') - before).toBe(1);
    expect(h.fake.tenant.userByEmailAddress('ambiguous.create@acme.example')).toBeDefined();
    if (res.ok) expect(res.u.emailAddress).toBe('ambiguous.create@acme.example');
    else h.errors.push(String((res.e as Error).message)); // the fake does not serve GET /user/search: the lookup is impossible
  });
});

describe('bounded concurrency', () => {
  it('keeps at most maxConcurrency requests in flight per upstream', async () => {
    const c = client((cfg) => (cfg.maxConcurrency = 2));
    // in flight when a request reaches the fake = arrived so far - answered so far
    let arrived = 0;
    let answered = 0;
    const seen: number[] = [];
    h.fake.faults.add({ match: (r) => r.key === 'GET /rest/api/3/serverInfo' && (seen.push(++arrived - answered), false) });
    h.fake.faults.latency(50, 'GET /rest/api/3/serverInfo');
    await Promise.all(Array.from({ length: 6 }, () => c.jira.serverInfo().then(() => answered++)));
    expect(seen).toHaveLength(6);
    expect(Math.max(...seen)).toBe(2);
  });
});
