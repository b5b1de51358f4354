/**
 * The retry and rate-limit policy of the HTTP layer as pure functions: given what happened (a
 * status or network code, the response headers, the attempts so far), the time `now` (ms since the
 * epoch) and a random source, they return a decision. They read no clock, draw no random numbers
 * of their own and do no I/O; http.ts carries the decisions out (sleeps, sends, errors).
 *
 *  - which failures retry (classifyFailure): 429 always (refused before it ran); 502/503/504,
 *    truncated or invalid JSON bodies and network faults only for idempotent calls, except network
 *    faults where the request certainly never left (connection refused, DNS), which any call may
 *    resend;
 *  - how long (decideRetry): Retry-After (seconds or an HTTP date), else X-RateLimit-Reset for a
 *    429, plus a small jitter; otherwise exponential backoff with full jitter. A 429 that says when
 *    to come back also pauses the whole upstream until then (pauseUntil);
 *  - when to stop: per-call retry budgets; a wait longer than maxWaitMs, or one that leaves less
 *    than a short attempt before the caller's deadline, gives up with a typed error carrying the
 *    reset time;
 *  - proactive pacing (paceInterval, admit): when a successful answer says X-RateLimit-Remaining
 *    is low (at most 20 % of X-RateLimit-Limit, Atlassian's "near limit"), later requests to that
 *    endpoint are spread out instead of running into a 429;
 *  - one level up, the sync loop's retries of a whole gRPC call (callRetryDelay): one budget of
 *    attempts for every call, Validate and listings alike, on the Baton syncer's schedule.
 */
import type { RateLimitInfo } from '../errors';

/** A source of uniform numbers in [0, 1) (Math.random in production, a seeded generator in tests). */
export type RandomSource = () => number;

export interface RetryPolicy {
  /** retries of 5xx / network / timeout / bad-body faults per call (idempotent calls only) */
  maxFaultRetries: number;
  /** retries of 429 answers per call */
  maxRateLimitRetries: number;
  /** first backoff step; attempt n waits random(0, min(maxDelayMs, baseDelayMs * 2^n)) */
  baseDelayMs: number;
  maxDelayMs: number;
  /** longest single wait accepted inside one call; a longer Retry-After fails fast with rate-limited */
  maxWaitMs: number;
  /** longest gap proactive pacing puts between two requests to one endpoint; 0 turns pacing off */
  maxPaceMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxFaultRetries: 4,
  maxRateLimitRetries: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxWaitMs: 120_000,
  maxPaceMs: 1_000,
};

/** Pacing starts when X-RateLimit-Remaining is at most this share of X-RateLimit-Limit. */
export const PACE_BELOW_FRACTION = 0.2;
/** Largest time value a Date can hold (±8.64e15 ms); hints past it are garbage. */
const MAX_TIME = 8.64e15;

/** One header of an axios or plain header object (case-insensitive; the first of repeated values). */
export function headerValue(h: unknown, name: string): string | undefined {
  if (!h || typeof h !== 'object') return undefined;
  const rec = h as Record<string, unknown>;
  const lower = name.toLowerCase();
  let v = rec[name] ?? rec[lower];
  if (v === undefined) v = rec[Object.keys(rec).find((k) => k.toLowerCase() === lower) ?? ''];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** Retry-After: delta seconds or an HTTP date; returns ms from `now` (0 for a date in the past), undefined for garbage. */
export function parseRetryAfter(v: string | undefined, now: number): number | undefined {
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const ms = Math.round(Number(t) * 1000);
    return Number.isFinite(ms) && now + ms <= MAX_TIME ? ms : undefined;
  }
  // an HTTP date ("Fri, 05 Jun 2026 06:00:00 GMT") or, leniently, ISO-8601; not whatever else Date.parse guesses at
  if (!/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} /.test(t) && !/^\d{4}-\d{2}-\d{2}T/.test(t)) return undefined;
  const d = Date.parse(t);
  return Number.isNaN(d) ? undefined : Math.max(0, d - now);
}

/** X-RateLimit-Reset: ISO-8601 (2026-06-05T06:00Z, 2024-01-01T10:05+0000), epoch seconds or ms, or (small numbers) seconds from `now`. */
export function parseResetHeader(v: string | undefined, now: number): Date | undefined {
  if (!v) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    const at = n > 1e12 ? n : n > 1e9 ? n * 1000 : now + n * 1000;
    return Number.isFinite(at) && at <= MAX_TIME ? new Date(at) : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(t)) return undefined;
  const d = Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(d) ? undefined : new Date(d);
}

/** X-RateLimit-Limit / -Remaining / -Reset (or, failing a future reset, Retry-After) of a response. */
export function rateLimitInfo(headers: unknown, now: number): RateLimitInfo | undefined {
  const num = (name: string): number | undefined => {
    const raw = headerValue(headers, name);
    if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const info: RateLimitInfo = {};
  const limit = num('x-ratelimit-limit');
  const remaining = num('x-ratelimit-remaining');
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  let resetAt = parseResetHeader(headerValue(headers, 'x-ratelimit-reset'), now);
  const ra = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  if (ra !== undefined && (!resetAt || resetAt.getTime() < now)) resetAt = new Date(now + ra);
  if (resetAt) info.resetAt = resetAt;
  return Object.keys(info).length ? info : undefined;
}

/** Exponential backoff with full jitter: random(0, min(maxDelayMs, baseDelayMs * 2^n)) for the n-th retry (from 0). */
export function backoffMs(n: number, p: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: RandomSource): number {
  return random() * Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** n);
}

/** Network failures worth another attempt. */
const NETWORK_RETRY_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_BAD_RESPONSE',
  'EPROTO',
  'UND_ERR_SOCKET',
]);
/** network failures where the request certainly did not reach Atlassian: safe to resend even a write */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

export function isTimeoutCode(code: string | undefined): boolean {
  return code === 'ETIMEDOUT' || code === 'ECONNABORTED';
}

/** What went wrong with one attempt, as far as the policy cares. */
export interface Failure {
  /** HTTP status of the answer, when there was one */
  status?: number;
  /** network / axios error code, when there was no answer */
  code?: string;
  /** a 2xx answer whose body could not be read (invalid JSON, cut off midway) */
  badBody?: boolean;
  idempotent: boolean;
  /** response headers (Retry-After, X-RateLimit-*) */
  headers?: unknown;
}

/** Why a failure may be retried (reason as counted in ClientStats.retriesByReason), or undefined when it may not. */
export function classifyFailure(f: Failure): { reason: string; rate: boolean } | undefined {
  if (f.status === 429) return { reason: '429', rate: true };
  if (f.status === 502 || f.status === 503 || f.status === 504) return f.idempotent ? { reason: String(f.status), rate: false } : undefined;
  if (f.badBody) return f.idempotent ? { reason: 'bad-body', rate: false } : undefined;
  if (f.status === undefined && f.code && NETWORK_RETRY_CODES.has(f.code)) {
    if (!f.idempotent && !NOT_SENT_CODES.has(f.code)) return undefined;
    return { reason: isTimeoutCode(f.code) ? 'timeout' : f.code, rate: false };
  }
  return undefined;
}

export interface RetryInput {
  failure: Failure;
  /** 429 retries and fault retries already made in this call */
  rateRetries: number;
  faultRetries: number;
  /** the caller's deadline (ms since the epoch), if any */
  deadlineAt?: number;
  /** the per-attempt timeout: a retry needs min(1 s, this) left after its wait, all of it after a timeout */
  attemptTimeoutMs: number;
}

export type RetryDecision =
  /** not a retryable failure, or the retry budget is spent: the failure itself is the answer */
  | { action: 'fail' }
  /** wait delayMs, then send again; pauseUntil: no attempt on this upstream starts before it */
  | { action: 'retry'; reason: string; rate: boolean; delayMs: number; pauseUntil?: number }
  /** waiting would pass the deadline or maxWaitMs: fail now with a typed error carrying the reset time */
  | { action: 'give-up'; kind: 'rate-limited' | 'unavailable'; reason: string; rate: boolean; pastDeadline: boolean; rateLimit: RateLimitInfo & { resetAt: Date } };

/** The retry decision for one failed attempt (the one-off 401 token refresh is handled by the caller). */
export function decideRetry(i: RetryInput, p: RetryPolicy, now: number, random: RandomSource): RetryDecision {
  const c = classifyFailure(i.failure);
  if (!c) return { action: 'fail' };
  if (c.rate ? i.rateRetries >= p.maxRateLimitRetries : i.faultRetries >= p.maxFaultRetries) return { action: 'fail' };
  const n = c.rate ? i.rateRetries : i.faultRetries;

  // how long: what Atlassian told us, else exponential backoff with full jitter
  const headers = i.failure.headers;
  let hinted = parseRetryAfter(headerValue(headers, 'retry-after'), now);
  if (hinted === undefined && c.rate) {
    const reset = parseResetHeader(headerValue(headers, 'x-ratelimit-reset'), now);
    if (reset && reset.getTime() > now) hinted = reset.getTime() - now;
  }
  // a small jitter on top of a server-given time spreads the herd without retrying early
  const delayMs = hinted !== undefined ? hinted + random() * Math.min(250, p.baseDelayMs) : backoffMs(n, p, random);
  const rateLimit = { ...rateLimitInfo(headers, now), resetAt: new Date(Math.min(now + delayMs, MAX_TIME)) };

  // a retry is only started when an attempt still fits before the deadline after the wait: after a
  // timeout a whole attempt (a shorter one would time out again), otherwise a short one
  const need = c.reason === 'timeout' ? i.attemptTimeoutMs : Math.min(1000, i.attemptTimeoutMs);
  const pastDeadline = i.deadlineAt !== undefined && now + delayMs + need > i.deadlineAt;
  if (delayMs > p.maxWaitMs || pastDeadline) return { action: 'give-up', kind: c.rate ? 'rate-limited' : 'unavailable', reason: c.reason, rate: c.rate, pastDeadline, rateLimit };
  return { action: 'retry', reason: c.reason, rate: c.rate, delayMs, pauseUntil: c.rate && hinted !== undefined ? now + hinted : undefined };
}

/**
 * The gap to keep between two requests to an endpoint after a successful answer with these
 * rate-limit headers; 0 when the budget is not low. With a known reset time the remaining budget
 * is spread over the time to the reset; without one, X-RateLimit-Limit is a per-second burst
 * (Atlassian's burst limits) and one request per 1/limit s is what refills.
 */
export function paceInterval(info: RateLimitInfo | undefined, now: number, p: Pick<RetryPolicy, 'maxPaceMs'>): number {
  if (!info || p.maxPaceMs <= 0 || info.limit === undefined || info.remaining === undefined || info.limit <= 0) return 0;
  if (info.remaining > Math.floor(info.limit * PACE_BELOW_FRACTION)) return 0;
  const untilReset = info.resetAt ? info.resetAt.getTime() - now : 0;
  const gap = untilReset > 0 ? untilReset / (info.remaining + 1) : 1000 / info.limit;
  return Math.min(p.maxPaceMs, gap);
}

/** When an upstream may send the next request: the shared 429 pause and an endpoint's pacing. */
export interface Gate {
  /** no attempt on the upstream starts before this (ms since the epoch) */
  pausedUntil: number;
  /** the endpoint's next free start time when it is paced */
  nextStartAt?: number;
  /** the endpoint's current pacing gap (0: not paced) */
  paceMs?: number;
}

export type Admission =
  /** wait waitMs (pauseMs of it for the shared pause, the rest pacing), then send; nextStartAt is the endpoint's next free start */
  | { action: 'send'; waitMs: number; pauseMs: number; nextStartAt?: number }
  /** the shared pause lasts past the caller's deadline */
  | { action: 'give-up'; resetAt: Date };

/** Whether and when an attempt may start. Pacing that would pass the deadline is skipped (the request goes at once; a 429 is handled as usual). */
export function admit(g: Gate, now: number, deadlineAt?: number): Admission {
  const pauseMs = Math.max(0, g.pausedUntil - now);
  if (pauseMs > 0 && deadlineAt !== undefined && now + pauseMs >= deadlineAt) return { action: 'give-up', resetAt: new Date(g.pausedUntil) };
  const paceMs = g.paceMs ?? 0;
  if (paceMs <= 0) return { action: 'send', waitMs: pauseMs, pauseMs };
  let start = Math.max(now + pauseMs, g.nextStartAt ?? 0);
  if (deadlineAt !== undefined && start >= deadlineAt) start = now + pauseMs;
  return { action: 'send', waitMs: start - now, pauseMs, nextStartAt: start + paceMs };
}

/** Attempts per gRPC call of a sync (Validate and listings alike) before UNAVAILABLE / DEADLINE_EXCEEDED fails the sync. */
export const DEFAULT_CALL_ATTEMPTS = 10;

/**
 * How long the sync loop waits before the next attempt of a gRPC call that failed retryably
 * (UNAVAILABLE / DEADLINE_EXCEEDED), the Baton syncer's schedule: 1 s × attempt, or with a
 * rate-limit description (reset time, remaining budget) the time to the reset spread over the
 * remaining requests; at most maxWaitMs. The same for every call, so Validate at the start of a
 * sync rides out the same upstream trouble as a listing in the middle of it.
 */
export function callRetryDelay(attempt: number, maxWaitMs: number, now: number, rateLimit?: { resetAt?: Date; remaining: number }): number {
  const waitMs = Math.min(1000 * attempt, maxWaitMs);
  if (!rateLimit?.resetAt || rateLimit.resetAt.getTime() <= now) return waitMs;
  const until = rateLimit.resetAt.getTime() - now;
  return Math.min(Math.max(rateLimit.remaining > 0 ? Math.ceil(until / rateLimit.remaining) : until, 1), maxWaitMs);
}
