/**
 * Rate limits and faults against the fake: 429 with and without Retry-After, 503, connection
 * resets, truncated bodies, timeouts; deadlines; paged reads under a 429 storm that return exactly
 * the ground truth; writes that are never resent blindly.
 */
import { useFake, basicRaw, FAST } from './helpers';
import { parseResetHeader, parseRetryAfter } from '../../src/atlassian/http';
import type { AtlassianClients, JiraClient } from '../../src/atlassian';

const h = useFake({ seed: 11 });
const USERS = 'GET /rest/api/3/users/search';

function client(tweak?: Parameters<typeof h.config>[1], opts = FAST): AtlassianClients {
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
  it('429 with Retry-After: waits what Atlassian says, then succeeds', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 1, match: USERS });
    const t0 = Date.now();
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    const s = c.stats();
    expect(s.retriesByReason['429']).toBe(1);
    expect(s.rateLimited).toBe(1);
    expect(s.rateLimitWaitMs).toBeGreaterThanOrEqual(1000);
    expect(s.requests[USERS]).toBe(2);
  });

  it('429 without Retry-After: exponential backoff with jitter', async () => {
    const c = client();
    h.fake.faults.failWith(429, 3, { match: USERS });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    expect(c.stats().retriesByReason['429']).toBe(3);
    expect(h.fake.stats.statusCount(429, USERS)).toBeGreaterThanOrEqual(3);
  });

  it('503 (with and without Retry-After), connection resets, truncated bodies', async () => {
    const c = client();
    h.fake.faults.burst503(2, { match: USERS });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
    h.fake.faults.burst503(1, { match: USERS, retryAfterSec: 1 });
    expect((await c.jira.searchUsers(0, 5)).length).toBe(5);
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

  it('timeout: a slow answer is abandoned and retried', async () => {
    const c = client((cfg) => (cfg.httpTimeoutMs = 300));
    let n = 0;
    h.fake.faults.add({ match: (r) => r.key === 'GET /rest/api/3/serverInfo' && n++ === 0, latencyMs: 1500 });
    const t0 = Date.now();
    expect((await c.jira.serverInfo()).deploymentType).toBe('Cloud');
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(c.stats().retriesByReason.timeout).toBe(1);
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
    const t0 = Date.now();
    const e = await h.fails(c.jira.searchUsers(0, 5, { deadline: new Date(Date.now() + 3000) }));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.kind).toBe('rate-limited');
    expect(e.details.endpoint).toBe(USERS);
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThanOrEqual(t0 + 29_000);
    expect(e.message).toMatch(/deadline/);
  });

  it('a rate-limit bucket on the admin API: reset time and limit from its headers', async () => {
    const c = h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': h.fake.credentials.orgApiKey.key }), FAST);
    h.fake.faults.rateLimit({ capacity: 1, refillPerSec: 0.01, retryAfterSec: 60 }, 'GET /admin/v1/orgs/{orgId}/users');
    await c.admin!.orgUsers(h.fake.orgId);
    const e = await h.fails(c.admin!.orgUsers(h.fake.orgId, undefined, { deadline: new Date(Date.now() + 5000) }));
    expect(e.kind).toBe('rate-limited');
    expect(e.details.rateLimit).toMatchObject({ limit: 1, remaining: 0 });
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('does not wait longer than maxWaitMs inside one call, deadline or not', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 3600, match: USERS });
    const e = await h.fails(c.jira.searchUsers(0, 5));
    expect(e.kind).toBe('rate-limited');
    expect(e.details.rateLimit!.resetAt!.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('a deadline that passes during a slow answer → unavailable, not a hang', async () => {
    const c = client();
    h.fake.faults.latency(2000, 'GET /rest/api/3/serverInfo');
    const t0 = Date.now();
    const e = await h.fails(c.jira.serverInfo({ deadline: new Date(Date.now() + 400) }));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/deadline/);
  });

  it('cancellation stops a wait at once', async () => {
    const c = client();
    h.fake.faults.failWith(429, 1, { retryAfterSec: 5, match: USERS });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const e = await h.fails(c.jira.searchUsers(0, 5, { signal: ac.signal }));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.message).toMatch(/cancelled/);
  });
});

describe('paged reads under a 429 storm return exactly the ground truth', () => {
  it('users/search under a token-bucket limit (Retry-After) equals the fault-free read and the tenant', async () => {
    const clean = await allUsers(client().jira);
    expect(clean).toEqual(h.fake.tenant.users().map((u) => u.accountId));
    const c = client();
    h.fake.faults.rateLimit({ capacity: 2, refillPerSec: 5 }, USERS);
    const stormy = await allUsers(c.jira);
    expect(stormy).toEqual(clean);
    expect(c.stats().rateLimited).toBeGreaterThan(0);
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
    h.fake.faults.latency(150, 'GET /rest/api/3/serverInfo');
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => c.jira.serverInfo()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 150 - 20);
  });
});

describe('header parsing', () => {
  it('reads Retry-After as seconds or an HTTP date and X-RateLimit-Reset in both Atlassian formats', () => {
    const now = Date.UTC(2026, 5, 5, 5, 59, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(new Date(now + 12_000).toUTCString(), now)).toBe(12_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseResetHeader('2026-06-05T06:00Z')!.toISOString()).toBe('2026-06-05T06:00:00.000Z');
    expect(parseResetHeader('2024-01-01T10:05+0000')!.toISOString()).toBe('2024-01-01T10:05:00.000Z');
    expect(parseResetHeader('1780639200')!.toISOString()).toBe('2026-06-05T06:00:00.000Z');
  });
});
