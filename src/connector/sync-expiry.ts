/**
 * Per-sync state has two ways out: `Cleanup` (the platform's end of a sync) and an idle TTL. A
 * sync that stops without Cleanup (the runner crashed, the platform gave up) would otherwise keep
 * its cached pages, role actors and look-ahead lists until count caps pushed them out, so a
 * long-running server grew with every abandoned sync.
 *
 * withSyncExpiry wraps a Connector: every call notes its active_sync_id (calls without one count
 * as the "-" sync) and when it was last seen; a sync not seen for `ttlMs` is cleaned up as if
 * Cleanup had come. Expired syncs are swept lazily on the next call of any sync and by a periodic
 * (unref'd) timer, so an idle server frees them too. At most `maxSyncs` syncs are tracked; past
 * that the least recently seen one is cleaned up. Cleanup of a sync that comes back later is
 * harmless: the caches only save upstream requests.
 */
import { log } from '../log';
import { syncKey } from './cache';
import type { CallContext, Connector, ResourceSyncer } from './types';

export interface SyncExpiryOptions {
  /** idle time after which a sync's state is dropped (ms) */
  ttlMs: number;
  /** the clock in ms (tests inject one; default Date.now) */
  now?: () => number;
  /** most syncs tracked at once (default 256) */
  maxSyncs?: number;
  /** period of the background sweep in ms (default min(ttlMs, 60 s); 0 = none) */
  sweepEveryMs?: number;
}

export class SyncStates {
  /** by syncKey: the sync id as the connector's cleanup takes it, and when a call of it was last seen (in LRU order) */
  private readonly seen = new Map<string, { id: string | undefined; at: number }>();
  private readonly now: () => number;
  private readonly maxSyncs: number;
  /** syncs dropped by the TTL or the cap since start */
  expired = 0;

  constructor(
    private readonly drop: (activeSyncId: string | undefined) => Promise<void>,
    private readonly ttlMs: number,
    opts: Pick<SyncExpiryOptions, 'now' | 'maxSyncs'> = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxSyncs = Math.max(1, opts.maxSyncs ?? 256);
  }

  /** syncs whose state may be held */
  get tracked(): number {
    return this.seen.size;
  }

  /** A call of this sync starts or ends now. */
  touch(activeSyncId: string | undefined): void {
    const k = syncKey(activeSyncId);
    this.seen.delete(k);
    this.seen.set(k, { id: activeSyncId, at: this.now() });
    while (this.seen.size > this.maxSyncs) this.expire(this.seen.keys().next().value as string);
    void this.sweep();
  }

  /** Cleanup came: the sync's state is gone, nothing to expire. */
  forget(activeSyncId: string | undefined): void {
    this.seen.delete(syncKey(activeSyncId));
  }

  /** Drops every sync idle for the TTL or longer; resolves with how many. */
  async sweep(): Promise<number> {
    const limit = this.now() - this.ttlMs;
    const idle: string[] = [];
    // LRU order: the first entry seen recently enough ends the scan
    for (const [k, s] of this.seen) {
      if (s.at > limit) break;
      idle.push(k);
    }
    await Promise.all(idle.map((k) => this.expire(k)));
    return idle.length;
  }

  private async expire(k: string): Promise<void> {
    const s = this.seen.get(k);
    if (!s) return;
    this.seen.delete(k);
    this.expired++;
    try {
      await this.drop(s.id);
      log().info({ idleMs: this.now() - s.at }, 'dropped the cached state of a sync that ended without Cleanup');
    } catch (e) {
      log().warn({ err: e instanceof Error ? e.message : String(e) }, 'dropping the cached state of an idle sync failed');
    }
  }
}

const statesOf = new WeakMap<Connector, SyncStates>();

/** The sync-state tracker of a connector made by withSyncExpiry (tests, metrics). */
export function syncStatesOf(c: Connector): SyncStates | undefined {
  return statesOf.get(c);
}

/** The connector with per-sync state dropped at Cleanup and after `ttlMs` without a call of the sync. */
export function withSyncExpiry(connector: Connector, opts: SyncExpiryOptions): Connector {
  const cleanup = connector.cleanup?.bind(connector);
  if (!cleanup) return connector;
  const states = new SyncStates(cleanup, opts.ttlMs, opts);
  const noted =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ctxOf: (...a: A) => CallContext) =>
    async (...a: A): Promise<R> => {
      const id = ctxOf(...a).activeSyncId;
      states.touch(id);
      try {
        return await fn(...a);
      } finally {
        states.touch(id);
      }
    };
  // every other member (provisioner, deleter, cleanup, whatever a resource type gains) passes through
  const wrap = (s: ResourceSyncer): ResourceSyncer => ({
    ...s,
    list: noted(s.list.bind(s), (_p, _t, ctx) => ctx),
    entitlements: noted(s.entitlements.bind(s), (_r, _t, ctx) => ctx),
    grants: noted(s.grants.bind(s), (_r, _t, ctx) => ctx),
    get: s.get ? noted(s.get.bind(s), (_i, _p, ctx) => ctx) : undefined,
    cleanup: s.cleanup?.bind(s),
  });
  const every = opts.sweepEveryMs ?? Math.min(opts.ttlMs, 60_000);
  const timer = every > 0 ? setInterval(() => void states.sweep(), every) : undefined;
  timer?.unref();
  const wrapped: Connector = {
    ...connector,
    syncers: connector.syncers.map(wrap),
    validate: (ctx) => connector.validate(ctx),
    async cleanup(activeSyncId) {
      states.forget(activeSyncId);
      await cleanup(activeSyncId);
    },
    async close() {
      if (timer) clearInterval(timer);
      await connector.close?.();
    },
  };
  statesOf.set(wrapped, states);
  return wrapped;
}
