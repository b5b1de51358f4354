/**
 * Time bounds (issue 19, item 4), through the real gRPC server and the fake over real HTTP:
 *  - http-timeout-seconds bounds a whole upstream attempt (headers and body): a body trickled
 *    in chunks, each well inside the socket's inactivity timeout, fails the call with UNAVAILABLE
 *    naming the timeout instead of holding it for as long as the trickle lasts;
 *  - an attempt never outlives the RPC's deadline, and no retry starts when it cannot fit;
 *  - the CLI's sync loop sets a gRPC deadline on every call;
 *  - a 503 burst at the start of a sync, shorter than the listing retry budget, is survived
 *    (Validate has the same budget as the listings).
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness } from '../helpers/harness';
import { runSync } from '../../src/client/sync';
import { ResourcesServiceListResourcesRequest } from '../../src/gen/c1/connector/v2/resource';
import type { Connector } from '../../src/connector/types';

jest.setTimeout(60_000);

const USERS = 'GET /rest/api/3/users/search';
/** short waits and 2 attempts per upstream request (the policy is the production one otherwise) */
const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 80, maxFaultRetries: 1 };

let h: Harness;
/** the gRPC deadline each call reached the connector with, in ms from the moment it arrived */
const deadlines: { method: string; leftMs?: number }[] = [];

function recordDeadlines(c: Connector): Connector {
  const note = (method: string, d?: Date) => deadlines.push({ method, leftMs: d ? d.getTime() - Date.now() : undefined });
  return {
    ...c,
    validate: (ctx) => (note('validate', ctx.deadline), c.validate(ctx)),
    syncers: c.syncers.map((s) => ({ ...s, list: (p, t, ctx) => (note('list', ctx.deadline), s.list(p, t, ctx)) })),
  };
}

beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 6 }, config: () => ({ 'http-timeout-seconds': 1 }), build: { client: { retry: FAST_RETRY } }, wrap: recordDeadlines });
});
afterAll(async () => h?.stop());
beforeEach(() => {
  h.fake.faults.clear();
  deadlines.length = 0;
});

const listUsers = (deadlineMs?: number) => h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'user' }), deadlineMs ? { deadlineMs } : undefined);

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** The size of the users page the listing asks for, read from a healthy answer. */
async function usersPageBytes(): Promise<number> {
  const before = h.fake.stats.count(USERS);
  const r = await listUsers();
  expect(h.fake.stats.count(USERS)).toBeGreaterThan(before);
  return JSON.stringify(r.list).length;
}

describe('one overall deadline per upstream attempt', () => {
  it('a trickled body fails after http-timeout-seconds with UNAVAILABLE naming the timeout', async () => {
    // 256 bytes every 400 ms: never 1 s of silence (the old inactivity timeout never fired)
    const chunks = Math.ceil((await usersPageBytes()) / 256);
    expect(chunks).toBeGreaterThan(10);
    h.fake.faults.slowBodies({ delayMs: 400, chunkBytes: 256, match: USERS });
    const before = h.fake.stats.count(USERS);
    const t0 = Date.now();
    const e = await failure(listUsers());
    const took = Date.now() - t0;
    expect(e.code).toBe(Code.UNAVAILABLE);
    expect(e.details).toMatch(/did not answer GET \/rest\/api\/3\/users\/search within 1000 ms \(headers and body\)/);
    // every attempt the policy allows (1 + 1 fault retry) was made, each cut at the limit
    expect(h.fake.stats.count(USERS) - before).toBe(2);
    // not held for as long as the trickle lasts (one body alone would take chunks × 400 ms)
    expect(took).toBeLessThan(chunks * 400);
  });

  it('an attempt never outlives the RPC deadline, and a retry that cannot fit is not started', async () => {
    h.fake.faults.slowBodies({ delayMs: 400, chunkBytes: 256, match: USERS });
    const before = h.fake.stats.count(USERS);
    const e = await failure(listUsers(1600));
    // the connector answers before the deadline: one attempt (1 s), then no room for another whole one
    expect(e.code).toBe(Code.UNAVAILABLE);
    expect(e.details).toMatch(/did not answer GET \/rest\/api\/3\/users\/search within 1000 ms .*would not fit before the caller's deadline/);
    expect(h.fake.stats.count(USERS) - before).toBe(1);
  });

  it('a trickle shorter than the limit is read in full', async () => {
    h.fake.faults.slowBodies({ delayMs: 20, chunkBytes: 4096, match: USERS, count: 1 });
    const r = await listUsers();
    expect(r.list.length).toBeGreaterThan(0);
  });
});

describe('the sync loop', () => {
  it('sets a gRPC deadline on every call', async () => {
    await runSync(h.client, { sleep: async () => undefined, callTimeoutMs: 90_000 });
    expect(deadlines.length).toBeGreaterThan(5);
    for (const d of deadlines) {
      expect(d.leftMs).toBeDefined();
      expect(d.leftMs!).toBeGreaterThan(0);
      expect(d.leftMs!).toBeLessThanOrEqual(90_000);
    }
  });

  it('survives a 503 burst at the start shorter than the listing budget (Validate shares it)', async () => {
    const healthy = await runSync(h.client, { sleep: async () => undefined });
    // 15 requests answer 503: Validate's first check fails on both attempts of each call, 8 calls in a row,
    // inside the budget of any call (10 calls × 2 attempts)
    h.fake.faults.burst503(15);
    const lines: string[] = [];
    const r = await runSync(h.client, { sleep: async () => undefined, onLog: (l) => lines.push(l) });
    expect(h.fake.faults.list()).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('Validate: UNAVAILABLE'))).toHaveLength(7);
    expect(r.grants.length).toBe(healthy.grants.length);
    expect(r.resources.length).toBe(healthy.resources.length);
  });
});
