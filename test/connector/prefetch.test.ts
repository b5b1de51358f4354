/**
 * The prefetcher's bookkeeping (src/connector/prefetch.ts), with loads the test resolves by hand:
 * each key is loaded once whatever order takes come in, in-flight and byte bounds hold, a dropped
 * scope wants nothing more. The end-to-end counts against the fake are in
 * test/sync/prefetch-order.test.ts.
 */
import { Prefetcher } from '../../src/connector/prefetch';

interface Deferred<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/** Loads that count how often each key was loaded and stay pending until the test settles them. */
function loads() {
  const count = new Map<string, number>();
  const pending = new Map<string, Deferred<string>>();
  return {
    count,
    pending,
    load: (key: string) => () => {
      count.set(key, (count.get(key) ?? 0) + 1);
      return new Promise<string>((resolve, reject) => pending.set(key, { resolve, reject }));
    },
    settle(key: string, v = `value of ${key}`) {
      const d = pending.get(key);
      if (!d) throw new Error(`${key} is not loading`);
      pending.delete(key);
      d.resolve(v);
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test('each key is loaded once: a take of a queued key loads it and the queue skips it; a take of an in-flight key waits for it', async () => {
  const l = loads();
  const p = new Prefetcher({ maxInFlight: 1, maxBytes: 1 << 20 });
  for (const k of ['a', 'b', 'c']) p.want('s', k, l.load(k), { sizeOf: () => 10 });
  expect([...l.pending.keys()]).toEqual(['a']); // one in flight
  // the syncer asks for c first: c is queued, so the take loads it itself
  const c = p.take('s', 'c', l.load('c'));
  l.settle('c');
  await expect(c).resolves.toBe('value of c');
  // a is in flight: the take waits for the background read
  const a = p.take('s', 'a', l.load('a'));
  l.settle('a');
  await expect(a).resolves.toBe('value of a');
  await flush();
  // the queue moved on to b and skipped c (taken)
  expect([...l.pending.keys()]).toEqual(['b']);
  l.settle('b');
  await flush();
  await expect(p.take('s', 'b', l.load('b'))).resolves.toBe('value of b');
  expect(Object.fromEntries(l.count)).toEqual({ a: 1, b: 1, c: 1 });
  // taken keys are never fetched again by the queue; a second take reads afresh (the syncer asked twice)
  p.want('s', 'a', l.load('a'), {});
  expect(l.pending.size).toBe(0);
  expect(p.stats).toMatchObject({ fetched: 2, hits: 2, misses: 1 });
});

test('results wait until taken within maxBytes: at the budget the queue pauses until a take frees room', async () => {
  const l = loads();
  const p = new Prefetcher({ maxInFlight: 4, maxBytes: 250 });
  for (const k of ['a', 'b', 'c', 'd']) p.want('s', k, l.load(k), { sizeOf: () => 100 });
  // the pending reads count 1 KiB each: only the first starts
  expect([...l.pending.keys()]).toEqual(['a']);
  l.settle('a');
  await flush();
  expect([...l.pending.keys()]).toEqual(['b']);
  l.settle('b');
  await flush();
  // 200 bytes held: one more read fits the budget (it starts below 250), then the queue waits
  expect([...l.pending.keys()]).toEqual(['c']);
  l.settle('c');
  await flush();
  expect(l.pending.size).toBe(0);
  expect(p.heldBytes).toBe(300);
  await p.take('s', 'a', l.load('a'));
  await p.take('s', 'b', l.load('b'));
  await flush();
  expect([...l.pending.keys()]).toEqual(['d']);
  expect(p.heldBytes).toBe(100 + 1024);
  expect(Object.fromEntries(l.count)).toEqual({ a: 1, b: 1, c: 1, d: 1 });
});

test('follow-ups go first; a failed background read is made again by the take; a dropped scope keeps and wants nothing', async () => {
  const l = loads();
  const p = new Prefetcher({ maxInFlight: 1, maxBytes: 1 << 20 });
  p.want('s', 'p0', l.load('p0'), { then: () => p.want('s', 'p1', l.load('p1'), { urgent: true }) });
  p.want('s', 'x', l.load('x'), {});
  l.settle('p0');
  await flush();
  expect([...l.pending.keys()]).toEqual(['p1']); // ahead of x
  l.pending.get('p1')!.reject(new Error('upstream failed'));
  l.pending.delete('p1');
  await flush();
  const p1 = p.take('s', 'p1', l.load('p1'));
  l.settle('p1');
  await expect(p1).resolves.toBe('value of p1');
  expect(l.count.get('p1')).toBe(2);

  // x is in flight when its scope is dropped: its result is not kept and its follow-up not wanted
  expect([...l.pending.keys()]).toEqual(['x']);
  p.want('s', 'y', l.load('y'), {});
  p.dropScope('s');
  expect(p.heldFor('s')).toBe(0);
  l.settle('x');
  await flush();
  expect(l.pending.size).toBe(0);
  expect(l.count.has('y')).toBe(false);
  expect(p.heldBytes).toBe(0);
});

test('results not taken within the TTL are dropped (injected clock); scopes do not see each other', async () => {
  const l = loads();
  let now = 0;
  const p = new Prefetcher({ maxInFlight: 2, maxBytes: 1 << 20, ttlMs: 1000, now: () => now });
  p.want('s1', 'k', l.load('k'), {});
  l.settle('k', 'old');
  await flush();
  expect(p.has('s1', 'k')).toBe(true);
  expect(p.has('s2', 'k')).toBe(false);
  now = 5000;
  const fresh = p.take('s1', 'k', l.load('k'));
  l.settle('k', 'new');
  await expect(fresh).resolves.toBe('new');
  expect(p.heldBytes).toBe(0);
});

test('a read that waited in the queue longer than the TTL and is now in flight is taken from the flight, not fetched again', async () => {
  const l = loads();
  let now = 0;
  const p = new Prefetcher({ maxInFlight: 1, maxBytes: 1 << 20, ttlMs: 1000, now: () => now });
  p.want('s', 'a', l.load('a'), {});
  p.want('s', 'b', l.load('b'), {});
  now = 5000;
  l.settle('a');
  await flush();
  expect([...l.pending.keys()]).toEqual(['b']);
  const b = p.take('s', 'b', l.load('b'));
  l.settle('b');
  await expect(b).resolves.toBe('value of b');
  expect(l.count.get('b')).toBe(1);
});

test('a scope past its key bound ignores wants (its reads are made on demand)', () => {
  const l = loads();
  const p = new Prefetcher({ maxInFlight: 1, maxBytes: 1 << 20, maxKeysPerScope: 2 });
  for (const k of ['a', 'b', 'c']) p.want('s', k, l.load(k), {});
  expect(p.has('s', 'c')).toBe(false);
  expect(p.stats.ignored).toBe(1);
});
