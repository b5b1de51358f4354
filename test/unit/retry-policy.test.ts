/**
 * The retry and rate-limit policy as pure functions: header parsing, which failures retry, back-off
 * with full jitter (a seeded random source), server-given waits, the deadline and maxWaitMs give-up,
 * the shared pause and proactive pacing. No clock, no sleeps, no server.
 */
import { Rng } from '../../src/fake-atlassian/rng';
import {
  admit,
  backoffMs,
  callRetryDelay,
  classifyFailure,
  decideRetry,
  DEFAULT_RETRY,
  paceInterval,
  parseResetHeader,
  parseRetryAfter,
  rateLimitInfo,
  RetryInput,
  RetryPolicy,
} from '../../src/atlassian/retry-policy';

const NOW = Date.UTC(2026, 5, 5, 5, 59, 0); // 2026-06-05T05:59:00Z
const P: RetryPolicy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1_600, maxWaitMs: 60_000 };
const seeded = (seed: number) => {
  const r = new Rng(seed);
  return () => r.next();
};
const half = () => 0.5;
const input = (failure: RetryInput['failure'], more: Partial<RetryInput> = {}): RetryInput => ({ failure, rateRetries: 0, faultRetries: 0, attemptTimeoutMs: 5_000, ...more });

describe('Retry-After', () => {
  test.each([
    ['7', 7_000],
    [' 12 ', 12_000],
    ['0', 0],
    ['1.5', 1_500],
    [new Date(NOW + 12_000).toUTCString(), 12_000],
    [new Date(NOW - 60_000).toUTCString(), 0], // a date in the past: go now
    ['2026-06-05T05:59:30Z', 30_000],
    ['soon', undefined],
    ['', undefined],
    ['-5', undefined],
    ['1 2', undefined], // Date.parse would read this as a date in 2001
    ['7s', undefined],
    ['9'.repeat(400), undefined], // Infinity: no Invalid Date downstream
    ['99999999999999', undefined], // past the largest Date
    [undefined, undefined],
  ])('%j → %j ms', (v, ms) => {
    expect(parseRetryAfter(v, NOW)).toBe(ms);
  });
});

describe('X-RateLimit-Reset', () => {
  test.each([
    ['2026-06-05T06:00Z', '2026-06-05T06:00:00.000Z'], // Jira
    ['2024-01-01T10:05+0000', '2024-01-01T10:05:00.000Z'], // the admin API
    ['2024-01-01T10:05:00.000+01:00', '2024-01-01T09:05:00.000Z'],
    ['1780639200', '2026-06-05T06:00:00.000Z'], // epoch seconds
    ['1780639200000', '2026-06-05T06:00:00.000Z'], // epoch ms
    ['60', '2026-06-05T06:00:00.000Z'], // seconds from now
    ['tomorrow', undefined],
    ['1 2', undefined],
    ['9'.repeat(400), undefined],
    [undefined, undefined],
  ])('%j → %j', (v, iso) => {
    expect(parseResetHeader(v, NOW)?.toISOString()).toBe(iso);
  });

  it('rate-limit info: limit, remaining and the reset; Retry-After stands in for a missing or past reset', () => {
    expect(rateLimitInfo({ 'x-ratelimit-limit': '350', 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '2026-06-05T06:00Z' }, NOW)).toEqual({
      limit: 350,
      remaining: 12,
      resetAt: new Date('2026-06-05T06:00:00Z'),
    });
    expect(rateLimitInfo({ 'Retry-After': '30' }, NOW)).toEqual({ resetAt: new Date(NOW + 30_000) });
    expect(rateLimitInfo({ 'retry-after': '30', 'x-ratelimit-reset': '2026-06-05T05:00Z' }, NOW)).toEqual({ resetAt: new Date(NOW + 30_000) });
    expect(rateLimitInfo({ 'x-ratelimit-limit': 'lots', 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': 'never' }, NOW)).toBeUndefined();
    expect(rateLimitInfo({}, NOW)).toBeUndefined();
    expect(rateLimitInfo(undefined, NOW)).toBeUndefined();
  });
});

describe('which failures retry', () => {
  test.each([
    [
      { status: 429, idempotent: false },
      { reason: '429', rate: true },
    ],
    [
      { status: 503, idempotent: true },
      { reason: '503', rate: false },
    ],
    [
      { status: 502, idempotent: true },
      { reason: '502', rate: false },
    ],
    [{ status: 503, idempotent: false }, undefined], // a write may have run
    [{ status: 500, idempotent: true }, undefined],
    [{ status: 401, idempotent: true }, undefined],
    [{ status: 404, idempotent: true }, undefined],
    [
      { badBody: true, idempotent: true },
      { reason: 'bad-body', rate: false },
    ],
    [{ badBody: true, idempotent: false }, undefined],
    [
      { code: 'ECONNRESET', idempotent: true },
      { reason: 'ECONNRESET', rate: false },
    ],
    [{ code: 'ECONNRESET', idempotent: false }, undefined],
    [
      { code: 'ECONNABORTED', idempotent: true },
      { reason: 'timeout', rate: false },
    ],
    [{ code: 'ETIMEDOUT', idempotent: false }, undefined],
    [
      { code: 'ECONNREFUSED', idempotent: false },
      { reason: 'ECONNREFUSED', rate: false },
    ], // never reached Atlassian
    [
      { code: 'ENOTFOUND', idempotent: false },
      { reason: 'ENOTFOUND', rate: false },
    ],
    [{ code: 'ERR_SOMETHING', idempotent: true }, undefined],
    [{ idempotent: true }, undefined],
  ])('%j → %j', (f, expected) => {
    expect(classifyFailure(f)).toEqual(expected);
  });
});

describe('back-off with full jitter', () => {
  it('attempt n waits in [0, min(maxDelayMs, baseDelayMs·2^n)) and uses the whole range', () => {
    const rnd = seeded(42);
    for (let n = 0; n < 8; n++) {
      const cap = Math.min(P.maxDelayMs, P.baseDelayMs * 2 ** n);
      const waits = Array.from({ length: 200 }, () => backoffMs(n, P, rnd));
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...waits)).toBeLessThan(cap);
      // full jitter: spread over the range, not bunched at the top
      expect(Math.min(...waits)).toBeLessThan(cap * 0.1);
      expect(Math.max(...waits)).toBeGreaterThan(cap * 0.9);
    }
  });

  it('the same seed gives the same waits', () => {
    const a = seeded(7);
    const b = seeded(7);
    for (let n = 0; n < 5; n++) expect(backoffMs(n, P, a)).toBe(backoffMs(n, P, b));
  });

  it('a fault without a hint is retried after a back-off, until the fault budget is spent', () => {
    const f = { status: 503, idempotent: true };
    expect(decideRetry(input(f, { faultRetries: 2 }), P, NOW, half)).toEqual({ action: 'retry', reason: '503', rate: false, delayMs: 200, pauseUntil: undefined });
    expect(decideRetry(input(f, { faultRetries: 6 }), { ...P, maxFaultRetries: 10 }, NOW, () => 0.999)).toMatchObject({ action: 'retry', delayMs: 1_600 * 0.999 });
    expect(decideRetry(input(f, { faultRetries: P.maxFaultRetries }), P, NOW, half)).toEqual({ action: 'fail' });
    // a 429 counts against its own budget
    expect(decideRetry(input({ status: 429, idempotent: true }, { faultRetries: P.maxFaultRetries }), P, NOW, half)).toMatchObject({ action: 'retry', rate: true });
    expect(decideRetry(input({ status: 429, idempotent: true }, { rateRetries: P.maxRateLimitRetries }), P, NOW, half)).toEqual({ action: 'fail' });
  });

  it('failures that may not be retried fail at once', () => {
    expect(decideRetry(input({ status: 503, idempotent: false, headers: { 'retry-after': '1' } }), P, NOW, half)).toEqual({ action: 'fail' });
    expect(decideRetry(input({ status: 400, idempotent: true }), P, NOW, half)).toEqual({ action: 'fail' });
  });
});

describe('server-given waits', () => {
  it('429 with Retry-After waits that long plus a small jitter and pauses the upstream until then', () => {
    const d = decideRetry(input({ status: 429, idempotent: true, headers: { 'retry-after': '3' } }), P, NOW, half);
    expect(d).toEqual({ action: 'retry', reason: '429', rate: true, delayMs: 3_000 + 0.5 * 100, pauseUntil: NOW + 3_000 });
    // jitter on top is at most min(250, baseDelayMs): never early, never much late
    const rnd = seeded(3);
    for (let i = 0; i < 100; i++) {
      const x = decideRetry(input({ status: 429, idempotent: true, headers: { 'Retry-After': '3' } }), DEFAULT_RETRY, NOW, rnd);
      if (x.action !== 'retry') throw new Error('expected a retry');
      expect(x.delayMs).toBeGreaterThanOrEqual(3_000);
      expect(x.delayMs).toBeLessThan(3_250);
    }
  });

  it('429 with an HTTP date in Retry-After, or only X-RateLimit-Reset', () => {
    expect(decideRetry(input({ status: 429, idempotent: true, headers: { 'retry-after': new Date(NOW + 20_000).toUTCString() } }), P, NOW, () => 0)).toMatchObject({
      delayMs: 20_000,
      pauseUntil: NOW + 20_000,
    });
    expect(decideRetry(input({ status: 429, idempotent: true, headers: { 'x-ratelimit-reset': '2026-06-05T06:00Z' } }), P, NOW, () => 0)).toMatchObject({ delayMs: 60_000, pauseUntil: NOW + 60_000 });
    // a reset in the past tells nothing: back-off, and no shared pause
    expect(decideRetry(input({ status: 429, idempotent: true, headers: { 'x-ratelimit-reset': '2026-06-05T05:00Z' } }), P, NOW, half)).toEqual({
      action: 'retry',
      reason: '429',
      rate: true,
      delayMs: 50,
      pauseUntil: undefined,
    });
  });

  it('429 with a garbage Retry-After falls back to back-off', () => {
    expect(decideRetry(input({ status: 429, idempotent: true, headers: { 'retry-after': 'soon' } }, { rateRetries: 3 }), P, NOW, half)).toEqual({
      action: 'retry',
      reason: '429',
      rate: true,
      delayMs: 400,
      pauseUntil: undefined,
    });
  });

  it('503 with Retry-After honours it (an idempotent call) without pausing the upstream', () => {
    expect(decideRetry(input({ status: 503, idempotent: true, headers: { 'retry-after': '2' } }), P, NOW, () => 0)).toEqual({
      action: 'retry',
      reason: '503',
      rate: false,
      delayMs: 2_000,
      pauseUntil: undefined,
    });
  });
});

describe('giving up', () => {
  it('a wait past the caller deadline gives up at once with rate-limited and the reset time', () => {
    const d = decideRetry(
      input({ status: 429, idempotent: true, headers: { 'retry-after': '30', 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0' } }, { deadlineAt: NOW + 3_000 }),
      P,
      NOW,
      () => 0,
    );
    expect(d).toEqual({ action: 'give-up', kind: 'rate-limited', reason: '429', rate: true, pastDeadline: true, rateLimit: { limit: 100, remaining: 0, resetAt: new Date(NOW + 30_000) } });
  });

  it('keeps a short attempt (min(1 s, attempt timeout)) after the wait', () => {
    const f = { status: 429, idempotent: true, headers: { 'retry-after': '2' } };
    expect(decideRetry(input(f, { deadlineAt: NOW + 3_001 }), P, NOW, () => 0)).toMatchObject({ action: 'retry' });
    expect(decideRetry(input(f, { deadlineAt: NOW + 2_999 }), P, NOW, () => 0)).toMatchObject({ action: 'give-up', pastDeadline: true });
    expect(decideRetry(input(f, { deadlineAt: NOW + 2_300, attemptTimeoutMs: 200 }), P, NOW, () => 0)).toMatchObject({ action: 'retry' });
  });

  it('after a timeout, a retry needs a whole attempt before the deadline (a shorter one would time out again)', () => {
    const f = { code: 'ETIMEDOUT', idempotent: true };
    expect(decideRetry(input(f, { deadlineAt: NOW + 5_001 }), P, NOW, () => 0)).toMatchObject({ action: 'retry', reason: 'timeout' });
    expect(decideRetry(input(f, { deadlineAt: NOW + 4_999 }), P, NOW, () => 0)).toMatchObject({ action: 'give-up', kind: 'unavailable', reason: 'timeout', pastDeadline: true });
    expect(decideRetry(input(f), P, NOW, () => 0)).toMatchObject({ action: 'retry' });
  });

  it('a wait longer than maxWaitMs gives up, deadline or not', () => {
    const d = decideRetry(input({ status: 429, idempotent: false, headers: { 'retry-after': '3600' } }), P, NOW, () => 0);
    expect(d).toMatchObject({ action: 'give-up', kind: 'rate-limited', pastDeadline: false, rateLimit: { resetAt: new Date(NOW + 3_600_000) } });
  });

  it('a fault whose back-off would pass the deadline gives up as unavailable', () => {
    expect(decideRetry(input({ code: 'ECONNRESET', idempotent: true }, { deadlineAt: NOW + 500 }), P, NOW, half)).toMatchObject({
      action: 'give-up',
      kind: 'unavailable',
      reason: 'ECONNRESET',
      pastDeadline: true,
    });
  });
});

describe('the shared pause and proactive pacing', () => {
  test.each([
    // limit, remaining, reset in s (or none) → gap ms
    [100, 50, undefined, 0], // plenty left
    [100, 21, undefined, 0],
    [100, 20, undefined, 10], // at 20 %: one request per 1/limit s
    [100, 0, undefined, 10],
    [2, 0, undefined, 500],
    [1, 0, undefined, 1_000],
    [100, 3, 2, 500], // with a reset: the budget spread over the time left
    [100, 0, 30, 1_000], // capped at maxPaceMs
    [100, 5, -10, 10], // a reset in the past is ignored
  ])('limit %j remaining %j reset %js → %j ms between requests', (limit, remaining, resetS, gap) => {
    const resetAt = resetS === undefined ? undefined : new Date(NOW + resetS * 1000);
    expect(paceInterval({ limit, remaining, resetAt }, NOW, DEFAULT_RETRY)).toBe(gap);
  });

  it('no pacing without both headers, or when turned off', () => {
    expect(paceInterval(undefined, NOW, DEFAULT_RETRY)).toBe(0);
    expect(paceInterval({ remaining: 0 }, NOW, DEFAULT_RETRY)).toBe(0);
    expect(paceInterval({ limit: 10 }, NOW, DEFAULT_RETRY)).toBe(0);
    expect(paceInterval({ limit: 0, remaining: 0 }, NOW, DEFAULT_RETRY)).toBe(0);
    expect(paceInterval({ limit: 10, remaining: 0 }, NOW, { maxPaceMs: 0 })).toBe(0);
  });

  it('admission: the pause holds every attempt; pacing hands out successive start times', () => {
    expect(admit({ pausedUntil: 0 }, NOW)).toEqual({ action: 'send', waitMs: 0, pauseMs: 0 });
    expect(admit({ pausedUntil: NOW + 800 }, NOW)).toEqual({ action: 'send', waitMs: 800, pauseMs: 800 });
    // pacing 100 ms: three requests at once start at +0, +100, +200
    const g = { pausedUntil: 0, paceMs: 100, nextStartAt: undefined as number | undefined };
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = admit(g, NOW);
      if (a.action !== 'send') throw new Error('expected send');
      starts.push(a.waitMs);
      g.nextStartAt = a.nextStartAt;
    }
    expect(starts).toEqual([0, 100, 200]);
    // after a pause, pacing counts from its end
    expect(admit({ pausedUntil: NOW + 1_000, paceMs: 100, nextStartAt: NOW + 50 }, NOW)).toEqual({ action: 'send', waitMs: 1_000, pauseMs: 1_000, nextStartAt: NOW + 1_100 });
  });

  it('admission near the deadline: a pause past it gives up with its end as the reset; pacing past it is skipped', () => {
    expect(admit({ pausedUntil: NOW + 5_000 }, NOW, NOW + 2_000)).toEqual({ action: 'give-up', resetAt: new Date(NOW + 5_000) });
    expect(admit({ pausedUntil: 0, paceMs: 500, nextStartAt: NOW + 3_000 }, NOW, NOW + 2_000)).toEqual({ action: 'send', waitMs: 0, pauseMs: 0, nextStartAt: NOW + 500 });
  });
});

describe('retries of a whole gRPC call (the sync loop: Validate and listings alike)', () => {
  it('1 s × attempt, or the time to a rate-limit reset spread over the remaining budget, capped', () => {
    expect([1, 2, 3].map((n) => callRetryDelay(n, 60_000, NOW))).toEqual([1000, 2000, 3000]);
    expect(callRetryDelay(90, 60_000, NOW)).toBe(60_000);
    expect(callRetryDelay(1, 60_000, NOW, { resetAt: new Date(NOW + 10_000), remaining: 4 })).toBe(2500);
    expect(callRetryDelay(1, 60_000, NOW, { resetAt: new Date(NOW + 10_000), remaining: 0 })).toBe(10_000);
    expect(callRetryDelay(2, 60_000, NOW, { resetAt: new Date(NOW - 1), remaining: 0 })).toBe(2000);
    expect(callRetryDelay(1, 5_000, NOW, { resetAt: new Date(NOW + 3_600_000), remaining: 0 })).toBe(5000);
  });
});
