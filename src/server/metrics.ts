/**
 * Prometheus metrics of one server (prom-client, a private Registry per server so several servers in one process
 * keep their own counts). Every label value comes from a closed set the code knows — method names of the contract,
 * gRPC code names, the endpoint templates of capabilities.ts, the connector's resource types, retry reasons — and
 * anything else is counted as "other": no id, email, name or secret ever becomes a label.
 */
import { status as Code } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallObserver } from '../call-scope';
import { endpointNeeds } from '../atlassian/capabilities';

const PREFIX = 'jira_connector_';
const OTHER = 'other';
const UPSTREAMS = new Set(['jira', 'admin', 'token']);
/** retry reasons of retry-policy.ts and http.ts */
const REASON = /^(?:\d{3}|[A-Z][A-Z0-9_]{1,40}|timeout|bad-body|401-refresh)$/;
/** HTTP status, or a Node/axios error code (ECONNRESET, ECONNABORTED, ERR_BAD_RESPONSE ...) */
const STATUS = /^(?:[1-5]\d\d|[A-Z][A-Z0-9_]{1,40})$/;

export type EmittedKind = 'resources' | 'entitlements' | 'grants';

export class Metrics implements CallObserver {
  readonly registry = new Registry();
  private readonly rpcs: Counter<'method' | 'code'>;
  private readonly rpcSeconds: Histogram<'method' | 'code'>;
  private readonly rpcsInFlight: Gauge<'method'>;
  private readonly upstreamRequests: Counter<'upstream' | 'endpoint' | 'status'>;
  private readonly upstreamSeconds: Histogram<'upstream' | 'endpoint'>;
  private readonly retries: Counter<'upstream' | 'endpoint' | 'reason'>;
  private readonly backoffSeconds: Counter<'upstream'>;
  private readonly rateLimitWaits: Counter<'upstream' | 'endpoint'>;
  private readonly rateLimitSeconds: Counter<'upstream'>;
  private readonly paceSeconds: Counter<'upstream'>;
  private readonly cache: Counter<'result'>;
  private readonly emitted: Counter<'kind' | 'resource_type'>;
  private readonly syncs = new Set<string>();
  private readonly syncsSeen: Counter;

  /** @param resourceTypes the connector's resource type ids: the only values of the resource_type label */
  constructor(private readonly resourceTypes: ReadonlySet<string> = new Set()) {
    const registers = [this.registry];
    this.rpcs = new Counter({ name: `${PREFIX}rpcs_total`, help: 'gRPC calls answered, by method and gRPC status code', labelNames: ['method', 'code'], registers });
    this.rpcSeconds = new Histogram({
      name: `${PREFIX}rpc_duration_seconds`,
      help: 'gRPC call latency, by method and gRPC status code',
      labelNames: ['method', 'code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.rpcsInFlight = new Gauge({ name: `${PREFIX}rpcs_in_flight`, help: 'gRPC calls being handled now, by method', labelNames: ['method'], registers });
    this.upstreamRequests = new Counter({
      name: `${PREFIX}upstream_requests_total`,
      help: 'HTTP attempts to Atlassian (retries included), by upstream, endpoint template and HTTP status (or network error code)',
      labelNames: ['upstream', 'endpoint', 'status'],
      registers,
    });
    this.upstreamSeconds = new Histogram({
      name: `${PREFIX}upstream_request_duration_seconds`,
      help: 'duration of one HTTP attempt to Atlassian, by upstream and endpoint template',
      labelNames: ['upstream', 'endpoint'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.retries = new Counter({
      name: `${PREFIX}upstream_retries_total`,
      help: 'retried Atlassian requests, by upstream, endpoint template and reason (429, 503, ECONNRESET, timeout, bad-body, 401-refresh)',
      labelNames: ['upstream', 'endpoint', 'reason'],
      registers,
    });
    this.backoffSeconds = new Counter({ name: `${PREFIX}upstream_backoff_seconds_total`, help: 'seconds waited before retrying faults other than 429', labelNames: ['upstream'], registers });
    this.rateLimitWaits = new Counter({
      name: `${PREFIX}upstream_rate_limit_waits_total`,
      help: 'waits caused by a 429: retries after a 429 and attempts held by the shared pause it set, by upstream and endpoint template',
      labelNames: ['upstream', 'endpoint'],
      registers,
    });
    this.rateLimitSeconds = new Counter({
      name: `${PREFIX}upstream_rate_limit_paused_seconds_total`,
      help: 'seconds requests waited because of a 429 (Retry-After, backoff and the shared pause)',
      labelNames: ['upstream'],
      registers,
    });
    this.paceSeconds = new Counter({ name: `${PREFIX}upstream_pace_seconds_total`, help: 'seconds requests were paced because X-RateLimit-Remaining ran low', labelNames: ['upstream'], registers });
    this.cache = new Counter({ name: `${PREFIX}cache_lookups_total`, help: 'lookups in the connector caches and takes of prefetched reads, by result (hit, miss)', labelNames: ['result'], registers });
    this.emitted = new Counter({
      name: `${PREFIX}sync_emitted_total`,
      help: 'sync progress: resources, entitlements and grants answered to list calls, by kind and resource type',
      labelNames: ['kind', 'resource_type'],
      registers,
    });
    this.syncsSeen = new Counter({ name: `${PREFIX}syncs_seen_total`, help: 'distinct active_sync_id values seen in calls (the last 1000 are remembered)', registers });
    for (const result of ['hit', 'miss']) this.cache.inc({ result }, 0);
  }

  /** Text exposition for GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** A call began; the returned function records its end with the gRPC code (once: false when it was already recorded). */
  rpcStarted(method: string, syncId: string | undefined): (code: number) => boolean {
    const started = process.hrtime.bigint();
    this.rpcsInFlight.inc({ method });
    if (syncId && !this.syncs.has(syncId)) {
      this.syncs.add(syncId);
      this.syncsSeen.inc();
      if (this.syncs.size > 1000) this.syncs.delete(this.syncs.values().next().value as string);
    }
    let done = false;
    return (code) => {
      if (done) return false;
      done = true;
      this.rpcsInFlight.dec({ method });
      const labels = { method, code: Code[code] ?? OTHER };
      this.rpcs.inc(labels);
      this.rpcSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      return true;
    };
  }

  /** Sync progress: `count` items of one kind answered for a resource type. */
  emittedItems(kind: EmittedKind, resourceType: string, count: number): void {
    if (count > 0) this.emitted.inc({ kind, resource_type: this.resourceTypes.has(resourceType) ? resourceType : OTHER }, count);
  }

  upstreamAttempt(upstream: string, endpoint: string, status: number | string, ms: number): void {
    const u = upstreamLabel(upstream);
    const e = endpointLabel(endpoint);
    const s = String(status);
    this.upstreamRequests.inc({ upstream: u, endpoint: e, status: STATUS.test(s) ? s : OTHER });
    this.upstreamSeconds.observe({ upstream: u, endpoint: e }, Math.max(0, ms) / 1000);
  }

  upstreamRetry(upstream: string, endpoint: string, reason: string, delayMs: number): void {
    const u = upstreamLabel(upstream);
    const e = endpointLabel(endpoint);
    this.retries.inc({ upstream: u, endpoint: e, reason: REASON.test(reason) ? reason : OTHER });
    if (reason === '429') {
      this.rateLimitWaits.inc({ upstream: u, endpoint: e });
      this.rateLimitSeconds.inc({ upstream: u }, Math.max(0, delayMs) / 1000);
    } else this.backoffSeconds.inc({ upstream: u }, Math.max(0, delayMs) / 1000);
  }

  upstreamWait(upstream: string, endpoint: string, rateLimitMs: number, paceMs: number): void {
    const u = upstreamLabel(upstream);
    if (rateLimitMs > 0) {
      this.rateLimitWaits.inc({ upstream: u, endpoint: endpointLabel(endpoint) });
      this.rateLimitSeconds.inc({ upstream: u }, rateLimitMs / 1000);
    }
    if (paceMs > 0) this.paceSeconds.inc({ upstream: u }, paceMs / 1000);
  }

  cacheLookup(hit: boolean): void {
    this.cache.inc({ result: hit ? 'hit' : 'miss' });
  }
}

function upstreamLabel(u: string): string {
  return UPSTREAMS.has(u) ? u : OTHER;
}

/** "METHOD /template" when capabilities.ts lists it (templates hold {placeholders}, never ids); "other" otherwise. */
function endpointLabel(endpoint: string): string {
  return endpointNeeds(endpoint) ? endpoint : OTHER;
}
