/**
 * Fault injection, per run and per endpoint, changeable while the server runs.
 *
 * A rule applies to the requests its `match` selects (all requests when omitted). Rules are
 * evaluated in insertion order; every matching rule contributes (latency adds up, the first
 * rule that rejects a request wins). `count` limits how many matching requests a rule affects
 * (a "burst"); `probability` draws from a seeded generator so runs are reproducible.
 */
import { Rng } from './rng';

export interface RequestInfo {
  /** "METHOD /template", e.g. "GET /rest/api/3/users/search" (gateway requests use the same key). */
  key: string;
  /** OpenAPI operationId (or the fake's name for undocumented ones), e.g. "getAllUsers". */
  operationId: string;
  /** 'jira' | 'admin' | 'user-management' | 'oauth' | 'edge' */
  area: string;
  method: string;
  path: string;
  /** true when the request came through /ex/jira/<cloudId> */
  gateway: boolean;
}

export type FaultMatch = string | RegExp | ((r: RequestInfo) => boolean);

export interface RateLimitSpec {
  /** Bucket size (burst). */
  capacity: number;
  /** Tokens added per second (sustained rate). */
  refillPerSec: number;
  /** Retry-After to announce (seconds); default: time until one token is back, rounded up, at least 1. */
  retryAfterSec?: number;
  /** RateLimit-Reason header (Jira), default 'jira-burst-based'. */
  reason?: string;
  /** One bucket per operation (default, like Jira's per-endpoint buckets) or one shared bucket for all matching requests. */
  perOperation?: boolean;
  /**
   * Announce X-RateLimit-Limit / X-RateLimit-Remaining on answers that pass (default true). Jira's
   * burst limits can answer 429 without a warning on earlier answers: false models that, so a
   * client cannot pace itself below the limit from the headers.
   */
  announce?: boolean;
}

export interface FaultRule {
  /** Selects requests: operation key ("GET /rest/api/3/users/search"), operationId ("getAllUsers"), area ("jira", "admin", ...), "*", a RegExp tested on the key, or a predicate. */
  match?: FaultMatch;
  /** Delay before the request is handled. */
  latencyMs?: number | { min: number; max: number };
  rateLimit?: RateLimitSpec;
  /** Answer with this status instead of handling the request (e.g. 503 bursts). */
  status?: { code: number; count?: number; probability?: number; retryAfterSec?: number; body?: unknown };
  /** Destroy the connection without answering. */
  reset?: { count?: number; probability?: number };
  /** Send only part of the JSON body. mode 'end': the HTTP message completes (chunked) with truncated JSON; 'destroy': Content-Length announces the full body and the socket is destroyed midway. */
  truncate?: { count?: number; probability?: number; fraction?: number; mode?: 'end' | 'destroy' };
  /** Dribble the body out in chunks with a delay between them. */
  slowBody?: { chunkBytes?: number; delayMs: number; count?: number };
}

export interface FaultPlan {
  latencyMs: number;
  reset: boolean;
  rateLimited?: { retryAfterSec: number; limit: number; remaining: number; reason: string };
  rateHeaders?: { limit: number; remaining: number };
  status?: { code: number; retryAfterSec?: number; body?: unknown };
  truncate?: { fraction: number; mode: 'end' | 'destroy' };
  slowBody?: { chunkBytes: number; delayMs: number };
}

interface Bucket {
  tokens: number;
  last: number;
}

interface RuleState {
  id: string;
  rule: FaultRule;
  statusLeft: number;
  resetLeft: number;
  truncateLeft: number;
  slowLeft: number;
  buckets: Map<string, Bucket>;
}

function matches(m: FaultMatch | undefined, r: RequestInfo): boolean {
  if (m === undefined || m === '*') return true;
  if (typeof m === 'function') return m(r);
  if (m instanceof RegExp) return m.test(r.key);
  return m === r.key || m === r.operationId || m === r.area;
}

export class FaultController {
  private rules: RuleState[] = [];
  private seq = 0;
  private readonly rng: Rng;
  /** Clock (ms); replaceable in tests. */
  now: () => number = () => performance.now();

  constructor(seed = 1) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  /** Add a rule; returns its id (for remove()). */
  add(rule: FaultRule): string {
    const id = `fault-${++this.seq}`;
    this.rules.push({
      id,
      rule,
      buckets: new Map(),
      statusLeft: rule.status?.count ?? Infinity,
      resetLeft: rule.reset?.count ?? Infinity,
      truncateLeft: rule.truncate?.count ?? Infinity,
      slowLeft: rule.slowBody?.count ?? Infinity,
    });
    return id;
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  /** Remove every rule (back to a healthy server). */
  clear(): void {
    this.rules = [];
  }

  list(): Array<{ id: string; rule: FaultRule }> {
    return this.rules.map((r) => ({ id: r.id, rule: r.rule }));
  }

  // Convenience helpers -----------------------------------------------------------------------

  latency(ms: number | { min: number; max: number }, match?: FaultMatch): string {
    return this.add({ match, latencyMs: ms });
  }

  rateLimit(spec: RateLimitSpec, match?: FaultMatch): string {
    return this.add({ match, rateLimit: spec });
  }

  /** The next `count` matching requests answer 503 (optionally with Retry-After). */
  burst503(count: number, opts: { retryAfterSec?: number; match?: FaultMatch } = {}): string {
    return this.add({ match: opts.match, status: { code: 503, count, retryAfterSec: opts.retryAfterSec } });
  }

  /** The next `count` matching requests answer `code`. */
  failWith(code: number, count: number, opts: { retryAfterSec?: number; match?: FaultMatch; body?: unknown } = {}): string {
    return this.add({ match: opts.match, status: { code, count, retryAfterSec: opts.retryAfterSec, body: opts.body } });
  }

  resetConnections(count: number, match?: FaultMatch): string {
    return this.add({ match, reset: { count } });
  }

  truncateBodies(count: number, opts: { match?: FaultMatch; fraction?: number; mode?: 'end' | 'destroy' } = {}): string {
    return this.add({ match: opts.match, truncate: { count, fraction: opts.fraction, mode: opts.mode } });
  }

  slowBodies(opts: { delayMs: number; chunkBytes?: number; count?: number; match?: FaultMatch }): string {
    return this.add({ match: opts.match, slowBody: { delayMs: opts.delayMs, chunkBytes: opts.chunkBytes, count: opts.count } });
  }

  // Evaluation ---------------------------------------------------------------------------------

  private hit(p: number | undefined): boolean {
    return p === undefined || this.rng.next() < p;
  }

  /** Decide what happens to a request (consumes counts and rate-limit tokens). */
  plan(r: RequestInfo): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, reset: false };
    if (this.rules.length === 0) return plan;
    let rejected = false;
    for (const st of this.rules) {
      const rule = st.rule;
      if (!matches(rule.match, r)) continue;
      if (rule.latencyMs !== undefined) {
        const l = rule.latencyMs;
        plan.latencyMs += typeof l === 'number' ? l : l.min + this.rng.next() * (l.max - l.min);
      }
      if (rejected) continue;
      if (rule.reset && st.resetLeft > 0 && this.hit(rule.reset.probability)) {
        st.resetLeft--;
        plan.reset = true;
        rejected = true;
        continue;
      }
      if (rule.rateLimit) {
        const rl = rule.rateLimit;
        const bk = rl.perOperation === false ? '*' : r.key;
        const now = this.now();
        let b = st.buckets.get(bk);
        if (!b) {
          b = { tokens: rl.capacity, last: now };
          st.buckets.set(bk, b);
        }
        b.tokens = Math.min(rl.capacity, b.tokens + ((now - b.last) / 1000) * rl.refillPerSec);
        b.last = now;
        if (b.tokens >= 1) {
          b.tokens -= 1;
          if (rl.announce !== false) plan.rateHeaders = { limit: rl.capacity, remaining: Math.floor(b.tokens) };
        } else {
          const wait = rl.refillPerSec > 0 ? (1 - b.tokens) / rl.refillPerSec : 60;
          plan.rateLimited = { retryAfterSec: rl.retryAfterSec ?? Math.max(1, Math.ceil(wait)), limit: rl.capacity, remaining: 0, reason: rl.reason ?? 'jira-burst-based' };
          rejected = true;
          continue;
        }
      }
      if (rule.status && st.statusLeft > 0 && this.hit(rule.status.probability)) {
        st.statusLeft--;
        plan.status = { code: rule.status.code, retryAfterSec: rule.status.retryAfterSec, body: rule.status.body };
        rejected = true;
        continue;
      }
      if (rule.truncate && st.truncateLeft > 0 && this.hit(rule.truncate.probability)) {
        st.truncateLeft--;
        plan.truncate = { fraction: rule.truncate.fraction ?? 0.5, mode: rule.truncate.mode ?? 'end' };
      }
      if (rule.slowBody && st.slowLeft > 0) {
        st.slowLeft--;
        plan.slowBody = { chunkBytes: rule.slowBody.chunkBytes ?? 256, delayMs: rule.slowBody.delayMs };
      }
    }
    return plan;
  }
}
