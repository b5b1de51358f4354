/**
 * The per-sync caches: bounded in bytes (not only in entries), keyed by a fixed-size digest of
 * active_sync_id whatever its size, and dropped per sync (Cleanup). Time from an injected clock.
 */
import { PromiseCache, syncKey } from '../../src/connector/cache';
import { KeyedLock } from '../../src/connector/resources/provisioning';

test('a cache holds at most maxBytes (keys and loaded values), evicting the least recently used', async () => {
  const c = new PromiseCache<string>({ maxEntries: 1_000_000, maxBytes: 100_000, sizeOf: (v) => v.length });
  for (let i = 0; i < 200; i++) await c.get(`k${i}`, async () => 'x'.repeat(10_000));
  expect(c.bytes).toBeLessThanOrEqual(100_000);
  expect(c.size).toBeLessThanOrEqual(10);
  expect(c.size).toBeGreaterThanOrEqual(9);
  expect(c.peek('k199')).toBe(true);
  expect(c.peek('k0')).toBe(false);
  // a single value larger than the budget is not kept
  await c.get('huge', async () => 'y'.repeat(200_000));
  expect(c.bytes).toBeLessThanOrEqual(100_000);
  expect(c.peek('huge')).toBe(false);
  expect(c.peek('k199')).toBe(true);
});

test('caller-sized keys count against the budget too', async () => {
  const c = new PromiseCache<number>({ maxBytes: 1024 * 1024, sizeOf: () => 8 });
  for (let i = 0; i < 20; i++) await c.get(`${i}|` + 'k'.repeat(256 * 1024), async () => i);
  expect(c.bytes).toBeLessThanOrEqual(1024 * 1024);
  expect(c.size).toBeLessThanOrEqual(4);
});

test('entries expire after the time to live (injected clock); failed loads are not kept', async () => {
  let now = 1_000;
  const c = new PromiseCache<number>({ ttlMs: 60_000, now: () => now });
  let loads = 0;
  const load = async () => ++loads;
  expect(await c.get('a', load)).toBe(1);
  now += 59_999;
  expect(await c.get('a', load)).toBe(1);
  now += 2;
  expect(await c.get('a', load)).toBe(2);
  await expect(c.get('b', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(c.peek('b')).toBe(false);
  expect(c.bytes).toBeGreaterThan(0);
});

test('dropSync releases exactly one sync', async () => {
  const c = new PromiseCache<string>();
  const a = syncKey('sync-a');
  const b = syncKey('sync-b');
  await c.get(`${a}|1`, async () => 'a1');
  await c.get(`${a}|2`, async () => 'a2');
  await c.get(`${b}|1`, async () => 'b1');
  c.dropSync(a);
  expect([c.peek(`${a}|1`), c.peek(`${a}|2`), c.peek(`${b}|1`)]).toEqual([false, false, true]);
  expect(c.size).toBe(1);
  c.clear();
  expect(c.bytes).toBe(0);
});

test('sync keys have a fixed size whatever active_sync_id is; none is "-"', () => {
  const big = 'x'.repeat(4 * 1024 * 1024);
  expect(syncKey(big)).toHaveLength(43);
  expect(syncKey('a')).toHaveLength(43);
  expect(syncKey(big)).not.toBe(syncKey(big + 'y'));
  expect(syncKey(undefined)).toBe('-');
  expect(syncKey('')).toBe('-');
});

test('KeyedLock runs one operation per key at a time, in arrival order, and forgets idle keys', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = lock.run('k', async () => {
    log.push('first start');
    await gate;
    log.push('first end');
    throw new Error('first failed');
  });
  const second = lock.run('k', async () => {
    log.push('second');
    return 2;
  });
  const other = lock.run('other', async () => {
    log.push('other');
    return 3;
  });
  expect(await other).toBe(3);
  expect(log).toEqual(['first start', 'other']);
  release();
  await expect(first).rejects.toThrow('first failed');
  expect(await second).toBe(2);
  expect(log).toEqual(['first start', 'other', 'first end', 'second']);
  await Promise.resolve();
  expect(lock.size).toBe(0);
});
