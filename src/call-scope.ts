/**
 * The scope of one gRPC call, carried by AsyncLocalStorage through everything the call awaits (upstream requests,
 * cache lookups, log lines): its RPC id and sync id for the logs (log.ts adds them to every line), the caller's
 * identity for the audit lines, and the server's metrics observer. Set by the server
 * (server/instrument.ts) around each handler; absent outside calls, where every hook here does nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UpstreamEvent } from './atlassian/http';

/** What the server's metrics want to hear about from below the gRPC layer. */
export interface CallObserver {
  /** one HTTP attempt to Atlassian: endpoint "METHOD /template", status (or an error code), duration */
  upstreamAttempt(upstream: string, endpoint: string, status: number | string, ms: number): void;
  /** a retry after a failed attempt, and the delay it waits */
  upstreamRetry(upstream: string, endpoint: string, reason: string, delayMs: number): void;
  /** an attempt held back: by the shared pause after a 429 (rateLimitMs) and by pacing (paceMs) */
  upstreamWait(upstream: string, endpoint: string, rateLimitMs: number, paceMs: number): void;
  /** a lookup in a connector cache */
  cacheLookup(hit: boolean): void;
}

export interface CallScope {
  /** random per call, never derived from the request */
  rpcId: string;
  /** the gRPC method ("ListGrants") */
  method: string;
  /** active_sync_id of the request (bounded, see server/instrument.ts), when present */
  syncId?: string;
  /** the client certificate's subject CN / SAN under mTLS */
  caller?: { cn?: string; san?: string };
  observer?: CallObserver;
}

const storage = new AsyncLocalStorage<CallScope>();

export function runInCall<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentCall(): CallScope | undefined {
  return storage.getStore();
}

/** The Atlassian clients' observer (atlassian/http.ts): hands each event to the metrics of the call it happens in. */
export function observeUpstream(e: UpstreamEvent): void {
  const o = storage.getStore()?.observer;
  if (!o) return;
  if (e.kind === 'attempt') o.upstreamAttempt(e.upstream, e.endpoint, e.status, e.ms);
  else if (e.kind === 'retry') o.upstreamRetry(e.upstream, e.endpoint, e.reason, e.delayMs);
  else o.upstreamWait(e.upstream, e.endpoint, e.rateLimitMs, e.paceMs);
}

/** A connector cache's lookup (connector/cache.ts), counted by the metrics of the call it happens in. */
export function observeCacheLookup(hit: boolean): void {
  storage.getStore()?.observer?.cacheLookup(hit);
}
