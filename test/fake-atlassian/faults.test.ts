/** Fault knobs: rate limit (429 + headers), 503 bursts, resets, truncated and slow bodies, latency; stats. */
import { startFakeAtlassian, type FakeAtlassian } from '../../src/fake-atlassian/index';
import { admin, call, expectNoValidationErrors, gw, site } from './test-helpers';

let fake: FakeAtlassian;

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 4 });
});
afterAll(() => fake.stop());
let clock = 0;
beforeEach(() => {
  // token buckets run on a manual clock so the tests do not depend on machine load
  clock = 1_000_000;
  fake.faults.now = () => clock;
});
afterEach(() => {
  fake.faults.clear();
  fake.faults.now = () => performance.now();
  expectNoValidationErrors(fake);
});

test('token-bucket rate limit answers 429 with Retry-After, X-RateLimit-* and RateLimit-Reason, per endpoint', async () => {
  fake.faults.rateLimit({ capacity: 2, refillPerSec: 0.5 }, 'GET /rest/api/3/users/search');
  const a = await site(fake, '/rest/api/3/users/search');
  expect(a.status).toBe(200);
  expect(a.headers.get('x-ratelimit-limit')).toBe('2');
  expect(a.headers.get('x-ratelimit-remaining')).toBe('1');
  expect((await site(fake, '/rest/api/3/users/search')).status).toBe(200);
  const limited = await site(fake, '/rest/api/3/users/search');
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
  expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(limited.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
  expect(limited.headers.get('ratelimit-reason')).toBe('jira-burst-based');
  expect(limited.json.errorMessages).toBeDefined();
  // other endpoints have their own buckets
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(200);
  expect(fake.stats.statusCount(429, 'getAllUsers')).toBe(1);
});

test('gateway 429 is a ProxyError; the admin API has its own 429 shape', async () => {
  fake.faults.rateLimit({ capacity: 0, refillPerSec: 0, retryAfterSec: 7, reason: 'jira-quota-tenant-based' }, (r) => r.gateway || r.area === 'admin');
  const g = await gw(fake, '/rest/api/3/myself');
  expect(g.status).toBe(429);
  expect(g.json).toEqual({ code: 429, message: 'Rate limit exceeded' });
  expect(g.headers.get('retry-after')).toBe('7');
  expect(g.headers.get('ratelimit-reason')).toBe('jira-quota-tenant-based');
  const a = await admin(fake, '/admin/v1/orgs');
  expect(a.status).toBe(429);
  expect(a.json).toEqual({ code: 429, message: 'Rate limit exceeded' });
  expect(a.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d\+0000$/);
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(200);
});

test('the bucket refills over time', async () => {
  fake.faults.rateLimit({ capacity: 1, refillPerSec: 20 }, 'getCurrentUser');
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(200);
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(429);
  clock += 30; // 20 tokens/s: not yet a whole token
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(429);
  clock += 30;
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(200);
});

test('503 bursts with Retry-After, then recovery', async () => {
  fake.faults.burst503(2, { retryAfterSec: 3, match: 'jira' });
  for (let i = 0; i < 2; i++) {
    const r = await site(fake, '/rest/api/3/project/search');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('3');
  }
  expect((await site(fake, '/rest/api/3/project/search')).status).toBe(200);
});

test('connection resets', async () => {
  fake.faults.resetConnections(1, 'getAllUsers');
  await expect(fetch(`${fake.siteUrl}/rest/api/3/users/search`, { headers: { Authorization: fake.credentials.admin.authorization } })).rejects.toThrow();
  expect(fake.stats.statusCount('reset', 'getAllUsers')).toBe(1);
  expect((await site(fake, '/rest/api/3/users/search')).status).toBe(200);
});

test('truncated JSON bodies: a complete HTTP message with cut JSON, or a connection dropped mid-body', async () => {
  fake.faults.truncateBodies(1, { match: 'getAllUsers', fraction: 0.3 });
  const r = await site(fake, '/rest/api/3/users/search');
  expect(r.status).toBe(200);
  expect(r.json).toBeUndefined(); // JSON.parse failed
  expect(() => JSON.parse(r.text)).toThrow();
  fake.faults.truncateBodies(1, { match: 'getAllUsers', mode: 'destroy' });
  const res = await fetch(`${fake.siteUrl}/rest/api/3/users/search`, { headers: { Authorization: fake.credentials.admin.authorization } });
  expect(res.status).toBe(200);
  await expect(res.text()).rejects.toThrow();
  expect((await site(fake, '/rest/api/3/users/search')).json).toHaveLength(50);
});

test('slow bodies and latency', async () => {
  fake.faults.slowBodies({ delayMs: 60, chunkBytes: 4096, match: 'getAllUsers', count: 1 });
  let t0 = Date.now();
  const slow = await site(fake, '/rest/api/3/users/search');
  expect(slow.json).toHaveLength(50);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  fake.faults.latency(150, 'getServerInfo');
  t0 = Date.now();
  expect((await call(`${fake.siteUrl}/rest/api/3/serverInfo`)).status).toBe(200);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  expect(fake.faults.list().map((f) => f.rule.match)).toEqual(['getAllUsers', 'getServerInfo']);
});

test('faults change while running and can be removed one by one', async () => {
  const id = fake.faults.failWith(500, 100, { match: 'getCurrentUser' });
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(500);
  expect(fake.faults.list()).toHaveLength(1);
  fake.faults.remove(id);
  expect((await site(fake, '/rest/api/3/myself')).status).toBe(200);
});

test('request counters per operation key, operationId and status; reset()', async () => {
  fake.stats.reset();
  await site(fake, '/rest/api/3/users/search');
  await gw(fake, '/rest/api/3/users/search');
  await site(fake, '/rest/api/3/myself');
  expect(fake.stats.count('GET /rest/api/3/users/search')).toBe(2);
  expect(fake.stats.count('getAllUsers')).toBe(2);
  expect(fake.stats.count('getCurrentUser')).toBe(1);
  expect(fake.stats.statusCount(200)).toBe(3);
  expect(fake.stats.total).toBe(3);
  fake.stats.reset();
  expect(fake.stats.total).toBe(0);
});
