/**
 * The one sync loop (src/client/loop.ts) and its two sinks, against the tenant's ground truth:
 *  - memory (runSync) and SQLite snapshot (syncSnapshot) hold exactly the tenant's access;
 *  - one call rule: UNAVAILABLE retried on the syncer's schedule (a RateLimitDescription's reset
 *    time, else 1 s × attempt) with the same budget for Validate and listings, waited on an
 *    injected clock; NOT_FOUND a warning; a failing listing stops the workers; missing traits and
 *    looping page tokens fail the sync;
 *  - a snapshot sync that fails before its first page (Validate refused, the server down) leaves
 *    no `.partial` to block the corrected rerun.
 * Faults are injected at the connector interface behind the real gRPC server (helpers/connector-faults.ts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness } from '../helpers/harness';
import { connectorFaults, withFaults, ConnectorFaults } from '../helpers/connector-faults';
import { accessTruth } from '../review/helpers/truth';
import { runSync, SyncResult } from '../../src/client/sync';
import { retryDelay } from '../../src/client/loop';
import { dialConnector } from '../../src/client/connector-client';
import { syncSnapshot } from '../../src/review/sync';
import { openSnapshot, partialPath } from '../../src/review/store';
import { toServiceError } from '../../src/server/status';
import { ConnectorError } from '../../src/errors';

jest.setTimeout(120_000);

let h: Harness;
let faults: ConnectorFaults;
let dir: string;
beforeAll(async () => {
  faults = connectorFaults();
  h = await startHarness({ fake: { tier: 'S', seed: 6 }, wrap: (c) => withFaults(c, faults) });
  dir = mkdtempSync(join(tmpdir(), 'loop-'));
});
afterAll(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  faults.error = faults.answer = faults.page = undefined;
  faults.calls.length = 0;
});

/** A clock that only moves when the loop sleeps; records every wait. */
function fakeClock() {
  let t = Date.parse('2026-06-30T12:00:00Z');
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), slept };
}

const grantKey = (g: { entitlement?: { id: string }; principal?: { id?: { resourceType: string; resource: string } } }) =>
  `${g.entitlement!.id}|${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`;

function memoryAccess(r: SyncResult) {
  const direct = new Set(r.grants.map(grantKey));
  return { direct, all: new Set([...direct, ...r.expanded.map((e) => grantKey(e.grant))]) };
}

function snapshotAccess(file: string) {
  const db = openSnapshot(file);
  try {
    const rows = db.prepare('SELECT kind, entitlement_id AS e, principal_type AS t, principal_id AS p FROM grants').all() as { kind: string; e: string; t: string; p: string }[];
    const key = (r: { e: string; t: string; p: string }) => `${r.e}|${r.t}:${r.p}`;
    return { direct: new Set(rows.filter((r) => r.kind === 'direct').map(key)), all: new Set(rows.map(key)) };
  } finally {
    db.close();
  }
}

const sorted = (s: Set<string>) => [...s].sort();
const unavailable = () => new ConnectorError('unavailable', 'Atlassian answered 503');

test('retryDelay: a RateLimitDescription’s reset time (spread over what remains), else 1 s × attempt; capped; only UNAVAILABLE / DEADLINE_EXCEEDED', () => {
  const now = Date.parse('2026-06-30T12:00:00Z');
  const limited = (inMs: number, remaining: number) => toServiceError(new ConnectorError('rate-limited', 'slow down', { rateLimit: { resetAt: new Date(now + inMs), remaining } })) as ServiceError;
  expect(retryDelay(limited(30_000, 0), 1, 60_000, now)).toEqual({ waitMs: 30_000, rateLimited: true });
  expect(retryDelay(limited(30_000, 3), 1, 60_000, now)).toEqual({ waitMs: 10_000, rateLimited: true });
  expect(retryDelay(limited(600_000, 0), 1, 60_000, now)).toEqual({ waitMs: 60_000, rateLimited: true });
  expect(retryDelay(limited(-5_000, 0), 3, 60_000, now)).toEqual({ waitMs: 3_000, rateLimited: true }); // reset passed: linear
  const down = toServiceError(unavailable()) as ServiceError;
  expect(retryDelay(down, 4, 60_000, now)).toEqual({ waitMs: 4_000, rateLimited: false });
  expect(retryDelay(down, 90, 60_000, now)).toEqual({ waitMs: 60_000, rateLimited: false });
  expect(retryDelay(toServiceError(new ConnectorError('permission', 'no')) as ServiceError, 1, 60_000, now)).toBeUndefined();
  expect(retryDelay(toServiceError(new ConnectorError('not-found', 'gone')) as ServiceError, 1, 60_000, now)).toBeUndefined();
});

test('memory and snapshot sinks: one loop, the tenant’s access in both', async () => {
  const truth = accessTruth(h.fake.tenant);
  const mem = memoryAccess(await runSync(h.client, { workers: 3 }));
  expect(sorted(mem.direct)).toEqual(sorted(truth.direct));
  expect(sorted(mem.all)).toEqual(sorted(truth.all));
  const out = join(dir, 'both.sqlite');
  const r = await syncSnapshot(h.client, { out, source: { kind: 'remote', label: 'test', identity: 'both' }, workers: 3 });
  expect(r.warnings).toEqual([]);
  const snap = snapshotAccess(out);
  expect(sorted(snap.direct)).toEqual(sorted(truth.direct));
  // both keep a permission granted to a product as that one grant (BATON_JIRA_EXPAND_PRODUCT_GRANTS off; isProductWide)
  expect(sorted(snap.all)).toEqual(sorted(truth.all));
});

test('a listing rate-limited twice waits until the reset time on the injected clock, then the sync is whole', async () => {
  const clock = fakeClock();
  let left = 2;
  faults.error = (c) =>
    c.method === 'grants' && c.type === 'group' && left > 0 && left--
      ? new ConnectorError('rate-limited', 'Atlassian rate limit', { rateLimit: { resetAt: new Date(clock.now() + 30_000), remaining: 0 } })
      : undefined;
  const started = Date.now();
  // one worker: the fake clock moves as soon as a worker sleeps, which would shorten a concurrent worker's wait
  const r = await runSync(h.client, { workers: 1, sleep: clock.sleep, now: clock.now });
  expect(clock.slept).toEqual([30_000, 30_000]);
  expect(r.stats).toMatchObject({ retries: 2, rateLimitWaits: 2, waitMs: 60_000 });
  expect(Date.now() - started).toBeLessThan(30_000); // nothing waited for real
  const truth = accessTruth(h.fake.tenant);
  expect(sorted(memoryAccess(r).all)).toEqual(sorted(truth.all));
});

test('Validate and listings share one retry budget (maxAttempts, default 10), 1 s × attempt between attempts', async () => {
  const count = (pred: (c: ConnectorFaults['calls'][number]) => boolean) => faults.calls.filter(pred).length;
  let clock = fakeClock();
  faults.error = (c) => (c.method === 'validate' ? unavailable() : undefined);
  await expect(runSync(h.client, { maxAttempts: 4, sleep: clock.sleep, now: clock.now })).rejects.toThrow(/^Validate failed after 4 attempts: UNAVAILABLE Atlassian answered 503/);
  expect(count((c) => c.method === 'validate')).toBe(4);
  expect(clock.slept).toEqual([1000, 2000, 3000]);

  faults.calls.length = 0;
  clock = fakeClock();
  faults.error = (c) => (c.method === 'list' && c.type === 'group' ? unavailable() : undefined);
  await expect(runSync(h.client, { maxAttempts: 4, sleep: clock.sleep, now: clock.now })).rejects.toThrow(/^ListResources\(group\) failed after 4 attempts: UNAVAILABLE/);
  expect(count((c) => c.method === 'list' && c.type === 'group')).toBe(4);
  expect(clock.slept).toEqual([1000, 2000, 3000]);

  for (const method of ['validate', 'entitlements'] as const) {
    faults.calls.length = 0;
    clock = fakeClock();
    faults.error = (c) => (c.method === method ? unavailable() : undefined);
    await expect(runSync(h.client, { workers: 1, sleep: clock.sleep, now: clock.now })).rejects.toThrow(/failed after 10 attempts: UNAVAILABLE/);
    expect([method, clock.slept]).toEqual([method, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]]);
  }
});

test('NOT_FOUND ends that listing with a warning; everything else is synced', async () => {
  const t = h.fake.tenant;
  const gone = t.groups().find((g) => t.groupMembers(g.groupId).length > 0)!;
  faults.error = (c) => (c.method === 'grants' && c.type === 'group' && c.id === gone.groupId ? new ConnectorError('not-found', `group ${gone.groupId} was deleted`) : undefined);
  const r = await runSync(h.client);
  expect(r.warnings).toEqual([expect.stringMatching(new RegExp(`^ListGrants\\(group:${gone.groupId}\\): group ${gone.groupId} was deleted`))]);
  const want = [...accessTruth(t).direct].filter((k) => !k.startsWith(`group:${gone.groupId}:member|`));
  expect(sorted(memoryAccess(r).direct)).toEqual(want.sort());
});

test('a listing that fails stops the workers: no new listing starts, the first failure is reported', async () => {
  let failed = false;
  faults.error = (c) => (c.method === 'grants' && !failed ? ((failed = true), new ConnectorError('permission', 'the token lacks read:jira-user')) : undefined);
  await expect(runSync(h.client, { workers: 4 })).rejects.toThrow(/^ListGrants\(.*\) failed: PERMISSION_DENIED the token lacks read:jira-user/);
  const syncId = faults.calls.find((c) => c.activeSyncId)!.activeSyncId;
  // a whole sync later, the failed one has not gone on in the background
  faults.error = undefined;
  await runSync(h.client, { workers: 4 });
  const listed = new Set(faults.calls.filter((c) => c.activeSyncId === syncId && c.method === 'grants').map((c) => `${c.type}:${c.id}`));
  expect(listed.size).toBeGreaterThan(0);
  expect(listed.size).toBeLessThanOrEqual(4); // the failing one and at most three in flight beside it
});

test('the syncer’s data rules: a resource without its trait annotation, or a page token that comes back, fails the sync', async () => {
  faults.page = (c, page) =>
    c.method === 'list' && c.type === 'user'
      ? { ...page, items: page.items.map((r) => ({ ...r, annotations: r.annotations.filter((a: { typeUrl: string }) => !a.typeUrl.endsWith('.UserTrait')) })) }
      : page;
  await expect(runSync(h.client)).rejects.toThrow(/^resource user:.* lacks its c1.connector.v2.UserTrait annotation$/);
  faults.page = undefined;
  // '' -> a -> b -> a: each answer differs from its request (the server refuses an unchanged token itself), the cycle is the loop's to see
  const next: Record<string, string> = { '': 'a', a: 'b', b: 'a' };
  faults.answer = (c) => (c.method === 'list' && c.type === 'group' && !c.id ? { items: [], nextPageToken: next[c.token ?? ''] } : undefined);
  await expect(runSync(h.client)).rejects.toThrow('ListResources(group): the connector returned a page token it returned before (a loop)');
});

test('a snapshot sync refused by Validate leaves no .partial: the corrected rerun (another source) is not blocked', async () => {
  const out = join(dir, 'refused.sqlite');
  faults.error = (c) => (c.method === 'validate' ? new ConnectorError('auth', 'the API token was refused') : undefined);
  await expect(syncSnapshot(h.client, { out, source: { kind: 'in-process', label: 'https://typo.example', identity: 'typo' } })).rejects.toThrow(/^Validate failed: UNAUTHENTICATED/);
  expect([existsSync(partialPath(out)), existsSync(`${partialPath(out)}.lock`), existsSync(out)]).toEqual([false, false, false]);
  faults.error = undefined;
  const r = await syncSnapshot(h.client, { out, source: { kind: 'in-process', label: 'https://right.example', identity: 'right' } });
  expect(r.resumed).toBe(false);
  expect(sorted(snapshotAccess(out).direct)).toEqual(sorted(accessTruth(h.fake.tenant).direct));
});

test('a snapshot sync of a server that is down fails after the retry budget (no real waits) and leaves no .partial', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const client = dialConnector(`127.0.0.1:${port}`);
  const clock = fakeClock();
  const out = join(dir, 'down.sqlite');
  try {
    await expect(syncSnapshot(client, { out, source: { kind: 'remote', label: 'down', identity: 'down' }, sleep: clock.sleep, now: clock.now })).rejects.toThrow(
      /^Validate failed after 10 attempts: UNAVAILABLE/,
    );
  } finally {
    client.close();
  }
  expect(clock.slept).toHaveLength(9);
  expect(existsSync(partialPath(out))).toBe(false);
});
