/**
 * One Upstream = one axios instance for one Atlassian host (the Jira site or gateway, the admin
 * API, the OAuth token endpoint) with:
 *  - keep-alive agents and a per-attempt timeout (never past the caller's deadline);
 *  - bounded concurrency: at most cfg.maxConcurrency requests in flight, enforced in the adapter,
 *    so a request waiting out a Retry-After does not hold a slot;
 *  - retries through axios-retry, decided by the pure policy in retry-policy.ts (which failures
 *    retry, how long to wait, when to give up with a typed rate-limited error carrying the reset
 *    time, the shared pause after a 429 and proactive pacing when X-RateLimit-Remaining runs low),
 *    plus one immediate retry after a 401 when the credential is a cached OAuth token that can be
 *    refreshed. Time and randomness come from the injected Clock and random source (options), so
 *    tests drive the waits without sleeping;
 *  - response bodies parsed here (JSON) and validated with zod by the caller's schema;
 *  - every failure turned into a ConnectorError (an AxiosError, which carries request headers,
 *    never leaves this module).
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig, AxiosAdapter } from 'axios';
import axiosRetry from 'axios-retry';
import { z } from 'zod';
import { ConnectorError, ErrorKind, RateLimitInfo } from '../errors';
import { log } from '../log';
import { AbortedError, Clock, Semaphore, systemClock } from './limiter';
import { fromHttpFailure, MapContext, UpstreamError, UpstreamName } from './errors';
import { admit, decideRetry, isTimeoutCode, NOT_SENT_CODES, paceInterval, RandomSource, rateLimitInfo, RetryPolicy } from './retry-policy';
import { fillPath } from './paths';
import { AttemptTimer } from './attempt-timer';
import type { AuthMode } from '../config/schema';

export type { RetryPolicy } from './retry-policy';

/** Matches the connector's CallContext structurally. */
export interface RequestContext {
  signal?: AbortSignal;
  deadline?: Date;
}

export interface ClientStats {
  /** HTTP attempts per endpoint ("GET /rest/api/3/users/search"), retries included */
  requests: Record<string, number>;
  /** retried attempts, in total and by reason (429, 503, ECONNRESET, timeout, bad-body, 401-refresh) */
  retries: number;
  retriesByReason: Record<string, number>;
  /** time spent waiting because of 429 / Retry-After (retry delays and the shared pause) */
  rateLimitWaitMs: number;
  /** time spent in backoff for faults other than 429 */
  faultWaitMs: number;
  /** time spent pacing requests because X-RateLimit-Remaining ran low */
  paceWaitMs: number;
  /** 429 answers seen */
  rateLimited: number;
  /** OAuth access tokens fetched */
  tokenRefreshes: number;
  /** calls that ended in an error */
  errors: number;
  /** the last rate-limit headers seen (X-RateLimit-Limit / Remaining / Reset) */
  lastRateLimit?: RateLimitInfo;
}

export class StatsCollector {
  readonly s: ClientStats = { requests: {}, retries: 0, retriesByReason: {}, rateLimitWaitMs: 0, faultWaitMs: 0, paceWaitMs: 0, rateLimited: 0, tokenRefreshes: 0, errors: 0 };
  request(endpoint: string): void {
    this.s.requests[endpoint] = (this.s.requests[endpoint] ?? 0) + 1;
  }
  retry(reason: string, delayMs: number, rateLimit: boolean): void {
    this.s.retries++;
    this.s.retriesByReason[reason] = (this.s.retriesByReason[reason] ?? 0) + 1;
    if (rateLimit) this.s.rateLimitWaitMs += delayMs;
    else this.s.faultWaitMs += delayMs;
  }
  snapshot(): ClientStats {
    return JSON.parse(JSON.stringify(this.s), (k, v) => (k === 'resetAt' && typeof v === 'string' ? new Date(v) : v)) as ClientStats;
  }
}

/** What `UpstreamOptions.observe` hears (metrics): an attempt, a retry, a wait before an attempt. Endpoints are "METHOD /template". */
export type UpstreamEvent =
  | { kind: 'attempt'; upstream: UpstreamName; endpoint: string; status: number | string; ms: number }
  | { kind: 'retry'; upstream: UpstreamName; endpoint: string; reason: string; delayMs: number }
  | { kind: 'wait'; upstream: UpstreamName; endpoint: string; rateLimitMs: number; paceMs: number };

/** The Authorization header source of an upstream. */
export interface AuthProvider {
  /** header value for the next attempt (may fetch or refresh a token) */
  header(ctx?: RequestContext): Promise<string>;
  /** after a 401 with `used`: drop a cached token; true when a retry may succeed */
  invalidate(used: string): boolean;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type QueryValue = string | number | boolean | undefined | null | (string | number)[];

export interface CallSpec<T> {
  method: Method;
  /** path template relative to the base, e.g. /rest/api/3/project/{projectIdOrKey}/role/{id} */
  path: string;
  pathParams?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** send the body as application/x-www-form-urlencoded */
  form?: boolean;
  schema?: z.ZodType<T>;
  /** defaults: GET/PUT/DELETE true, POST false */
  idempotent?: boolean;
  /** a POST that only reads (searches, token requests): sent even in dry-run mode */
  read?: boolean;
  /** send no Authorization header */
  noAuth?: boolean;
  /** absolute URL to call instead of base + path (already checked by the caller) */
  url?: string;
  /** statuses to hand back instead of failing (e.g. 404 meaning "empty") */
  acceptStatus?: number[];
}

export interface DryRunWrite {
  upstream: string;
  method: string;
  endpoint: string;
  url: string;
  query?: Record<string, unknown>;
  body?: unknown;
}

export interface RawResponse<T> {
  status: number;
  data: T;
}

/** Per-call state, carried through axios-retry on the request config. A class, so axios does not clone it. */
class CallState {
  rateRetries = 0;
  faultRetries = 0;
  authRetried = false;
  nextDelayMs = 0;
  nextReason = '';
  giveUp?: { kind: ErrorKind; message: string; status?: number; rateLimit?: RateLimitInfo; body?: unknown; headers?: Record<string, string | undefined> };
  usedAuth?: string;
  attemptTimeoutMs = 0;
  lastRateLimit?: RateLimitInfo;
  /** the caller's deadline in ms since the epoch */
  readonly deadlineAt?: number;
  constructor(
    readonly endpoint: string,
    readonly idempotent: boolean,
    readonly ctx: RequestContext,
    readonly noAuth: boolean,
    readonly absolute: boolean,
    readonly form: boolean,
  ) {
    this.deadlineAt = ctx.deadline?.getTime();
  }
}

declare module 'axios' {
  interface AxiosRequestConfig {
    jc?: unknown;
  }
}

const BAD_BODY = 'ERR_BAD_JSON_BODY';

/** A 2xx answer whose body could not be read: invalid JSON, or the stream broke off midway. */
function isBodyFault(err: AxiosError): boolean {
  if (err.code === BAD_BODY) return true;
  const st = err.response?.status;
  return st !== undefined && st >= 200 && st < 300;
}

export interface UpstreamOptions {
  name: UpstreamName;
  /** base URL, or a resolver (the Jira gateway may need the cloud ID discovered first) */
  baseUrl?: string | (() => Promise<string>);
  auth?: AuthProvider;
  timeoutMs: number;
  maxConcurrency: number;
  retry: RetryPolicy;
  stats: StatsCollector;
  authMode: AuthMode;
  mapContext?: Partial<Pick<MapContext, 'email' | 'siteUrl' | 'refreshTokenFile'>>;
  /** dry run: writes are not sent; each is handed here instead (reads still go out) */
  dryRun?: (w: DryRunWrite) => void;
  userAgent?: string;
  /** time and sleeps (default: the system clock) */
  clock?: Clock;
  /** jitter source, uniform in [0, 1) (default: Math.random) */
  random?: RandomSource;
  /** observer of attempts, retries and waits (the server's metrics); must not throw */
  observe?: (e: UpstreamEvent) => void;
}

function plainHeaders(h: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!h || typeof h !== 'object') return out;
  const src = typeof (h as { toJSON?: () => unknown }).toJSON === 'function' ? ((h as { toJSON: () => unknown }).toJSON() as Record<string, unknown>) : (h as Record<string, unknown>);
  for (const [k, v] of Object.entries(src)) {
    const key = k.toLowerCase();
    // response headers only; never keep anything that looks like a credential
    if (key === 'set-cookie' || key === 'authorization' || key === 'www-authenticate') continue;
    out[key] = v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function serializeQuery(params: Record<string, QueryValue> | undefined): string {
  if (!params) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, String(x));
    else sp.append(k, String(v));
  }
  return sp.toString();
}

export class Upstream {
  readonly name: UpstreamName;
  private readonly ax: AxiosInstance;
  private readonly sem: Semaphore;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** shared pause after a 429 that told us when to come back: no attempt starts before it */
  private pausedUntil = 0;
  /** proactive pacing per endpoint, from the rate-limit headers of its last successful answer */
  private readonly pacing = new Map<string, { paceMs: number; nextStartAt?: number }>();
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private closed = false;
  /** an authenticated request has succeeded: later 401s are about scope or permission, not identity */
  private credentialWorked = false;

  constructor(private readonly o: UpstreamOptions) {
    this.name = o.name;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? Math.random;
    this.sem = new Semaphore(o.maxConcurrency);
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: o.maxConcurrency, keepAliveMsecs: 10_000 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: o.maxConcurrency, keepAliveMsecs: 10_000 });
    const baseAdapter = axios.getAdapter('http') as AxiosAdapter;
    this.ax = axios.create({
      timeout: o.timeoutMs,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      maxRedirects: 0,
      // the gateway and the admin API send pages well under this; refuse absurd bodies
      maxContentLength: 64 * 1024 * 1024,
      headers: { Accept: 'application/json', 'User-Agent': o.userAgent ?? 'jira-identity-connector' },
      paramsSerializer: { serialize: (p) => serializeQuery(p as Record<string, QueryValue>) },
      transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
      adapter: (config) => this.send(config, baseAdapter),
    });

    // request: base URL, credentials and a timeout that never passes the deadline (runs again on each retry)
    this.ax.interceptors.request.use(async (config) => {
      const st = config.jc as CallState;
      const left = this.deadlineLeft(st);
      if (left !== undefined && left <= 0) throw this.deadlineError(st);
      config.timeout = left !== undefined ? Math.max(1, Math.min(o.timeoutMs, left)) : o.timeoutMs;
      st.attemptTimeoutMs = config.timeout;
      if (!st.absolute && o.baseUrl) config.baseURL = typeof o.baseUrl === 'string' ? o.baseUrl : await o.baseUrl();
      if (!st.noAuth && o.auth) {
        const h = await o.auth.header(st.ctx);
        st.usedAuth = h;
        config.headers.set('Authorization', h);
      }
      return config;
    });

    // response: parse JSON here so a truncated 200 becomes an error axios-retry can see
    this.ax.interceptors.response.use((res) => {
      const st = res.config.jc as CallState;
      if (!st.noAuth && res.status >= 200 && res.status < 300) this.credentialWorked = true;
      const now = this.clock.now();
      const rl = rateLimitInfo(res.headers, now);
      if (rl) {
        st.lastRateLimit = rl;
        o.stats.s.lastRateLimit = rl;
      }
      this.setPace(st.endpoint, paceInterval(rl, now, o.retry));
      const raw = res.data;
      if (res.status === 204 || raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
        res.data = undefined;
        return res;
      }
      if (typeof raw === 'string') {
        try {
          res.data = JSON.parse(raw);
        } catch {
          const e = new AxiosError(`invalid JSON body (${raw.length} bytes)`, BAD_BODY, res.config, res.request, res);
          throw e;
        }
      }
      return res;
    });

    axiosRetry(this.ax, {
      retries: Number.MAX_SAFE_INTEGER, // the real limits live in decideRetry
      shouldResetTimeout: true,
      retryCondition: (err) => this.decideRetry(err),
      // axios-retry's own delay is a real timer: wait on our clock in onRetry instead
      retryDelay: () => 0,
      onRetry: async (_n, err) => {
        const st = err.config?.jc as CallState | undefined;
        if (!st) return;
        const rate = st.nextReason === '429';
        o.stats.retry(st.nextReason, st.nextDelayMs, rate);
        o.observe?.({ kind: 'retry', upstream: this.name, endpoint: st.endpoint, reason: st.nextReason, delayMs: st.nextDelayMs });
        log().warn({ upstream: this.name, endpoint: st.endpoint, reason: st.nextReason, delayMs: Math.round(st.nextDelayMs), attempt: st.rateRetries + st.faultRetries }, 'retrying Atlassian request');
        await this.clock.sleep(st.nextDelayMs, st.ctx.signal);
      },
    });
  }

  private deadlineLeft(st: CallState): number | undefined {
    return st.deadlineAt !== undefined ? st.deadlineAt - this.clock.now() : undefined;
  }

  private setPace(endpoint: string, paceMs: number): void {
    if (paceMs > 0) {
      const p = this.pacing.get(endpoint);
      if (p) p.paceMs = paceMs;
      else this.pacing.set(endpoint, { paceMs });
    } else this.pacing.delete(endpoint);
  }

  /** The adapter: waits out a shared rate-limit pause and the endpoint's pacing, takes a concurrency slot, sends. */
  private async send(config: InternalAxiosRequestConfig, base: AxiosAdapter): Promise<AxiosResponse> {
    const st = config.jc as CallState;
    const pace = this.pacing.get(st.endpoint);
    const a = admit({ pausedUntil: this.pausedUntil, ...pace }, this.clock.now(), st.deadlineAt);
    if (a.action === 'give-up') {
      throw new UpstreamError('rate-limited', `Atlassian rate limit: ${st.endpoint} may not be called again before the caller's deadline`, {
        endpoint: st.endpoint,
        rateLimit: { ...st.lastRateLimit, resetAt: a.resetAt },
        hint: 'Retry after the reset time.',
      });
    }
    if (pace && a.nextStartAt !== undefined) pace.nextStartAt = a.nextStartAt;
    if (a.waitMs > 0) {
      this.o.stats.s.rateLimitWaitMs += a.pauseMs;
      this.o.stats.s.paceWaitMs += a.waitMs - a.pauseMs;
      this.o.observe?.({ kind: 'wait', upstream: this.name, endpoint: st.endpoint, rateLimitMs: a.pauseMs, paceMs: a.waitMs - a.pauseMs });
      await this.clock.sleep(a.waitMs, st.ctx.signal);
    }
    const release = await this.sem.acquire(st.ctx.signal);
    const t0 = this.clock.now();
    const attempt = new AttemptTimer(config, st, this.o.timeoutMs, this.deadlineLeft(st));
    try {
      if (attempt.ms <= 0) throw this.deadlineError(st);
      this.o.stats.request(st.endpoint);
      const res = await attempt.run(base);
      log().debug({ upstream: this.name, endpoint: st.endpoint, status: res.status, ms: this.clock.now() - t0 }, 'atlassian request');
      this.o.observe?.({ kind: 'attempt', upstream: this.name, endpoint: st.endpoint, status: res.status, ms: this.clock.now() - t0 });
      return res;
    } catch (e) {
      const ae = e as AxiosError;
      log().debug({ upstream: this.name, endpoint: st.endpoint, status: ae.response?.status, code: ae.code, ms: this.clock.now() - t0 }, 'atlassian request failed');
      this.o.observe?.({ kind: 'attempt', upstream: this.name, endpoint: st.endpoint, status: ae.response?.status ?? ae.code ?? 'error', ms: this.clock.now() - t0 });
      throw e;
    } finally {
      attempt.done();
      release();
    }
  }

  /** Carries out the retry policy. Sets st.nextDelayMs/nextReason when retrying, st.giveUp when it stops early. */
  private decideRetry(err: AxiosError): boolean {
    const st = err.config?.jc as CallState | undefined;
    if (!st || !axios.isAxiosError(err) || this.closed) return false;
    if (st.ctx.signal?.aborted || err.code === 'ERR_CANCELED') return false;
    const status = err.response?.status;

    // an expired OAuth access token: refresh once and resend at once (the request was refused, any method is safe)
    if (status === 401 && !st.authRetried && st.usedAuth && this.o.auth?.invalidate(st.usedAuth)) {
      st.authRetried = true;
      st.nextDelayMs = 0;
      st.nextReason = '401-refresh';
      return true;
    }

    const now = this.clock.now();
    const headers = err.response?.headers;
    const d = decideRetry(
      {
        failure: { status: isBodyFault(err) ? undefined : status, code: err.code, badBody: isBodyFault(err), idempotent: st.idempotent, headers },
        rateRetries: st.rateRetries,
        faultRetries: st.faultRetries,
        deadlineAt: st.deadlineAt,
        attemptTimeoutMs: this.o.timeoutMs,
      },
      this.o.retry,
      now,
      this.random,
    );
    if (status === 429) this.o.stats.s.rateLimited++;
    if (d.action === 'fail') return false;
    if (d.action === 'give-up') {
      st.giveUp = {
        kind: d.kind,
        message: d.rate
          ? `Atlassian rate limit on ${st.endpoint}: the next attempt would be allowed at ${d.rateLimit.resetAt.toISOString()}, ${d.pastDeadline ? "after the caller's deadline" : 'later than this connector waits inside one call'}`
          : d.reason === 'timeout'
            ? `Atlassian did not answer ${st.endpoint} within ${st.attemptTimeoutMs} ms (http-timeout-seconds bounds each attempt, headers and body) and another attempt would not fit before the caller's deadline`
            : `Atlassian is unavailable (${d.reason}) on ${st.endpoint} and waiting to retry would pass the caller's deadline`,
        status,
        rateLimit: d.rateLimit,
        body: err.response?.data,
        headers: plainHeaders(headers),
      };
      return false;
    }
    if (d.rate) st.rateRetries++;
    else st.faultRetries++;
    if (d.pauseUntil !== undefined) this.pausedUntil = Math.max(this.pausedUntil, d.pauseUntil);
    st.nextDelayMs = d.delayMs;
    st.nextReason = d.reason;
    return true;
  }

  private deadlineError(st: CallState): UpstreamError {
    return new UpstreamError('unavailable', `the caller's deadline passed before ${st.endpoint} could be sent`, { endpoint: st.endpoint, rateLimit: st.lastRateLimit }, false);
  }

  private mapContext(endpoint: string): MapContext {
    return { upstream: this.name, endpoint, authMode: this.o.authMode, ...this.o.mapContext, credentialWorked: this.credentialWorked };
  }

  /** Makes one logical call (with retries) and returns the parsed body. */
  async call<T>(spec: CallSpec<T>, ctx: RequestContext = {}): Promise<T> {
    return (await this.callRaw(spec, ctx)).data;
  }

  async callRaw<T>(spec: CallSpec<T>, ctx: RequestContext = {}): Promise<RawResponse<T>> {
    const endpoint = `${spec.method} ${spec.path}`;
    const idempotent = spec.idempotent ?? spec.method !== 'POST';
    const st = new CallState(endpoint, idempotent, ctx, !!spec.noAuth, !!spec.url, !!spec.form);
    try {
      if (this.closed) throw new ConnectorError('unavailable', `the Atlassian client is closed; ${endpoint} was not sent`, { endpoint });
      if (ctx.signal?.aborted) throw new AbortedError();
      const left = this.deadlineLeft(st);
      if (left !== undefined && left <= 0) throw this.deadlineError(st);
      const url = spec.url ?? fillPath(spec.path, spec.pathParams);
      if (this.o.dryRun && spec.method !== 'GET' && !spec.read) {
        this.o.dryRun({ upstream: this.name, method: spec.method, endpoint, url, query: spec.query as Record<string, unknown> | undefined, body: spec.body });
        return { status: 0, data: undefined as T };
      }
      let data: unknown = spec.body;
      const headers: Record<string, string> = {};
      if (spec.body !== undefined) {
        if (spec.form) {
          data = serializeQuery(spec.body as Record<string, QueryValue>);
          headers['Content-Type'] = 'application/x-www-form-urlencoded';
        } else {
          data = JSON.stringify(spec.body);
          headers['Content-Type'] = 'application/json';
        }
      }
      const res = await this.ax.request({
        method: spec.method,
        url,
        params: spec.query,
        data,
        headers,
        signal: ctx.signal,
        jc: st,
        validateStatus: (s) => (s >= 200 && s < 300) || !!spec.acceptStatus?.includes(s),
      });
      if (res.status < 200 || res.status >= 300) return { status: res.status, data: undefined as T };
      if (!spec.schema) return { status: res.status, data: res.data as T };
      const parsed = spec.schema.safeParse(res.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path?.length ? issue.path.join('.') : '(body)';
        throw new UpstreamError(
          'bad-upstream',
          `Atlassian answered ${endpoint} with an unexpected shape: ${where}: ${issue?.message ?? 'invalid'}`,
          {
            endpoint,
            status: res.status,
            hint: 'The Atlassian API may have changed; please report this with the connector version.',
          },
          !idempotent,
        );
      }
      return { status: res.status, data: parsed.data };
    } catch (e) {
      this.o.stats.s.errors++;
      throw this.toConnectorError(e, st);
    }
  }

  private toConnectorError(e: unknown, st: CallState): ConnectorError {
    const ep = st.endpoint;
    if (e instanceof ConnectorError) return e;
    if (e instanceof AbortedError || (axios.isAxiosError(e) && e.code === 'ERR_CANCELED') || axios.isCancel(e)) {
      return new UpstreamError('unavailable', `${ep} was cancelled by the caller`, { endpoint: ep }, !st.idempotent);
    }
    if (st.giveUp) {
      const g = st.giveUp;
      const base = g.status ? fromHttpFailure({ status: g.status, body: g.body, headers: g.headers ?? {}, rateLimit: g.rateLimit }, this.mapContext(ep)) : undefined;
      return new UpstreamError(
        g.kind,
        g.message,
        { endpoint: ep, status: g.status, upstreamMessage: base?.details.upstreamMessage, rateLimit: g.rateLimit, hint: g.kind === 'rate-limited' ? 'Retry after the reset time.' : undefined },
        g.kind !== 'rate-limited' && !st.idempotent,
      );
    }
    if (axios.isAxiosError(e)) {
      const res = e.response;
      if (isBodyFault(e)) {
        return new UpstreamError(
          'bad-upstream',
          `Atlassian answered ${ep} with a truncated or invalid JSON body`,
          { endpoint: ep, status: res?.status, hint: 'Usually transient (a proxy cut the response); retry later.' },
          !st.idempotent,
        );
      }
      if (res) {
        const status = res.status;
        const ambiguous = !st.idempotent && (status === 502 || status === 503 || status === 504);
        return fromHttpFailure({ status, body: res.data, headers: plainHeaders(res.headers), rateLimit: rateLimitInfo(res.headers, this.clock.now()) }, this.mapContext(ep), ambiguous);
      }
      const code = e.code ?? 'network error';
      const timeout = isTimeoutCode(code);
      const host = this.name === 'jira' ? 'Jira' : this.name === 'admin' ? 'the Atlassian admin API' : 'the OAuth token endpoint';
      const deadlineHit = st.deadlineAt !== undefined && this.clock.now() >= st.deadlineAt - 5;
      const msg = timeout
        ? deadlineHit
          ? `the caller's deadline passed while waiting for ${host} to answer ${ep}`
          : `${host} did not answer ${ep} within ${st.attemptTimeoutMs} ms (headers and body)`
        : `could not reach ${host} for ${ep} (${code})`;
      return new UpstreamError(
        'unavailable',
        msg,
        { endpoint: ep, hint: timeout ? 'Atlassian is slow or unreachable; the http-timeout-seconds setting bounds each attempt.' : 'Check network access to Atlassian (proxy, DNS, firewall).' },
        !st.idempotent && !NOT_SENT_CODES.has(code),
      );
    }
    const m = e instanceof Error ? e.message : String(e);
    return new UpstreamError('internal', `unexpected failure calling ${ep}: ${m}`, { endpoint: ep }, !st.idempotent);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
