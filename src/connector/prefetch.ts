/**
 * The connector's side of the sync pipeline: upstream reads that the next calls of a sync will need
 * are fetched ahead, in the background, whatever order the syncer asks in and however many workers
 * it runs, and each is fetched once.
 *
 * A listing tells what will be asked next (a group page names the groups whose members the syncer
 * will list; a project page names the projects whose roles and actors it will list). The listing
 * `want`s those reads; they queue here and run at most `maxInFlight` at a time (below the HTTP
 * client's concurrency, so the syncer's own calls always find a slot; the client's rate pacing
 * applies to both). When the syncer's call comes, `take` hands over the result (waiting for it if
 * it is in flight), or, when the read is still queued or was never wanted, makes it at once and
 * drops it from the queue. A result is handed over once and then forgotten; the key is remembered
 * (a tombstone) so the queue never fetches it again in the same sync.
 *
 * Order-independent: the queue follows listing order, the syncer may ask in any order; a read the
 * syncer reaches first is simply made by its call, and the queue skips it. Follow-ups (the next page
 * of a group that has more) go to the front of the queue.
 *
 * Bounded: results waiting to be taken are counted in bytes; at `maxBytes` the queue stops
 * fetching until takes free room (nothing is evicted, so nothing is fetched twice). The queue and
 * the tombstones are bounded in entries per scope; past that a scope's wants are ignored (its reads
 * are made on demand). Results not taken within `ttlMs` are dropped. A scope is a sync: a digest of
 * active_sync_id, or the anonymous sync of a caller that sends none (src/server/sync-scope.ts);
 * `dropScope` at Cleanup or idle expiry releases everything of it.
 *
 * Only an optimisation: a result missing for any reason is fetched by the call that needs it.
 */
import { log } from '../log';
import { observeCacheLookup } from '../call-scope';
import { jsonSize, syncKey, track } from './cache';
import type { CallContext } from './types';
import type { RequestContext } from './jira-api';

export interface PrefetchOptions {
  /** most background reads in flight at once */
  maxInFlight: number;
  /** most bytes of results waiting to be taken (estimated by the wanter's sizeOf) */
  maxBytes: number;
  /** most queued reads plus tombstones per scope */
  maxKeysPerScope?: number;
  /** results not taken within this are dropped */
  ttlMs?: number;
  now?: () => number;
}

/** What an in-flight read counts as until its size is known. */
const PENDING_BYTES = 1024;

interface Slot {
  key: string;
  state: 'queued' | 'loading' | 'ready';
  load: () => Promise<unknown>;
  sizeOf: (v: unknown) => number;
  /** while loading or ready */
  p?: Promise<unknown>;
  bytes: number;
  at: number;
  /** run when the result arrives (e.g. want the next page) */
  then?: (v: unknown) => void;
  /** false: the load stores its result elsewhere (a cache); nothing is kept here */
  store: boolean;
}

interface Scope {
  slots: Map<string, Slot>;
  /** keys taken in this scope: never fetched again by the queue */
  taken: Set<string>;
}

export interface PrefetchStats {
  /** background reads started */
  fetched: number;
  /** takes answered by a background read (ready or in flight) */
  hits: number;
  /** takes made on demand (never wanted, still queued, or dropped) */
  misses: number;
  /** wants ignored (already taken, already wanted, or the scope's bound reached) */
  ignored: number;
  /** results dropped unread (TTL or scope dropped) */
  dropped: number;
}

export class Prefetcher {
  private readonly scopes = new Map<string, Scope>();
  /** [scope, key], front = next; entries whose slot is gone or not queued are skipped */
  private readonly urgent: [string, string][] = [];
  private readonly later: [string, string][] = [];
  private laterHead = 0;
  private inFlight = 0;
  private bytes = 0;
  private lastSweep = -Infinity;
  private readonly maxKeys: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  readonly stats: PrefetchStats = { fetched: 0, hits: 0, misses: 0, ignored: 0, dropped: 0 };

  constructor(private readonly opts: PrefetchOptions) {
    this.maxKeys = opts.maxKeysPerScope ?? 500_000;
    this.ttlMs = opts.ttlMs ?? 10 * 60 * 1000;
    this.now = opts.now ?? Date.now;
    track(this);
  }

  /** bytes of results waiting (and reads in flight, at their placeholder size) */
  get heldBytes(): number {
    return this.bytes;
  }

  /** queued, in-flight and waiting reads of a scope */
  heldFor(scope: string): number {
    return this.scopes.get(scope)?.slots.size ?? 0;
  }

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (!s) {
      s = { slots: new Map(), taken: new Set() };
      this.scopes.set(name, s);
    }
    return s;
  }

  /**
   * Asks for `load()` to be made in the background under (scope, key), unless it was taken or
   * wanted already. `then` runs with the result when it arrives (to want what it leads to).
   */
  want<T>(scope: string, key: string, load: () => Promise<T>, opts: { sizeOf?: (v: T) => number; urgent?: boolean; then?: (v: T) => void; store?: boolean }): void {
    const s = this.scope(scope);
    if (s.taken.has(key) || s.slots.has(key) || s.slots.size + s.taken.size >= this.maxKeys) {
      this.stats.ignored++;
      return;
    }
    s.slots.set(key, {
      key,
      state: 'queued',
      load,
      sizeOf: (opts.sizeOf ?? (() => 64)) as (v: unknown) => number,
      then: opts.then as ((v: unknown) => void) | undefined,
      store: opts.store ?? true,
      bytes: 0,
      at: this.now(),
    });
    (opts.urgent ? this.urgent : this.later).push([scope, key]);
    this.pump();
  }

  /**
   * The result under (scope, key): the background read's when there is one (ready or in flight;
   * a failed one is made again here), else `load()` now. Either way the key is then forgotten and
   * never fetched again by the queue in this scope.
   */
  async take<T>(scope: string, key: string, load: () => Promise<T>): Promise<T> {
    const s = this.scope(scope);
    if (s.taken.size < this.maxKeys) s.taken.add(key);
    const slot = s.slots.get(key);
    if (slot) s.slots.delete(key);
    // only a waiting result expires; one in flight is about to arrive and is not fetched again
    if (!slot || slot.state === 'queued' || (slot.state === 'ready' && this.now() - slot.at > this.ttlMs)) {
      if (slot?.state === 'ready') this.release(slot);
      this.stats.misses++;
      observeCacheLookup(false);
      return load();
    }
    this.stats.hits++;
    observeCacheLookup(true);
    if (slot.state === 'ready') this.release(slot);
    // in flight: its completion sees the slot gone and keeps nothing; a failure is retried by this call
    return (slot.p as Promise<T>).catch(() => load());
  }

  /** Whether (scope, key) is queued, in flight or waiting. */
  has(scope: string, key: string): boolean {
    return this.scopes.get(scope)?.slots.has(key) ?? false;
  }

  /** Forgets a key in every scope (a write changed what it holds): a later take reads afresh. */
  discard(key: string): void {
    for (const s of this.scopes.values()) {
      const slot = s.slots.get(key);
      if (!slot) continue;
      s.slots.delete(key);
      if (slot.state === 'ready') this.release(slot);
    }
  }

  /** Drops a scope's queued reads, results and tombstones (Cleanup, idle expiry). */
  dropScope(scope: string): void {
    const s = this.scopes.get(scope);
    if (!s) return;
    for (const slot of s.slots.values()) {
      if (slot.state === 'ready') {
        this.release(slot);
        this.stats.dropped++;
      }
    }
    this.scopes.delete(scope);
    this.pump();
  }

  /** Gives a result's bytes back (room for the queue to go on). */
  private release(slot: Slot): void {
    this.bytes -= slot.bytes;
    slot.bytes = 0;
    if (slot.state === 'ready') queueMicrotask(() => this.pump());
  }

  private next(): [string, Slot] | undefined {
    for (;;) {
      let item = this.urgent.shift();
      if (!item) {
        if (this.laterHead >= this.later.length) {
          this.later.length = 0;
          this.laterHead = 0;
          return undefined;
        }
        item = this.later[this.laterHead++];
        // compact now and then so the array does not keep every key of a long sync
        if (this.laterHead > 4096 && this.laterHead * 2 > this.later.length) {
          this.later.splice(0, this.laterHead);
          this.laterHead = 0;
        }
      }
      const slot = this.scopes.get(item[0])?.slots.get(item[1]);
      if (slot?.state === 'queued') return [item[0], slot];
    }
  }

  /** at most once a second: pump runs on every want and completion, and a full budget would scan on each */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    const limit = now - this.ttlMs;
    for (const s of this.scopes.values())
      for (const [k, slot] of s.slots)
        if (slot.state === 'ready' && slot.at < limit) {
          this.release(slot);
          s.slots.delete(k);
          this.stats.dropped++;
        }
  }

  private pump(): void {
    if (this.bytes >= this.opts.maxBytes) this.sweep();
    while (this.inFlight < this.opts.maxInFlight && this.bytes < this.opts.maxBytes) {
      const n = this.next();
      if (!n) return;
      const [scope, slot] = n;
      slot.state = 'loading';
      slot.bytes = PENDING_BYTES;
      this.bytes += PENDING_BYTES;
      this.inFlight++;
      this.stats.fetched++;
      let p: Promise<unknown>;
      try {
        p = slot.load();
      } catch (e) {
        p = Promise.reject(e);
      }
      slot.p = p;
      const owner = this.scopes.get(scope);
      p.then(
        (v) => {
          this.bytes -= slot.bytes;
          slot.bytes = 0;
          // a scope dropped meanwhile (Cleanup) keeps nothing and wants nothing more
          if (!owner || this.scopes.get(scope) !== owner) return;
          if (owner.slots.get(slot.key) === slot) {
            if (slot.store) {
              // still wanted and not taken: kept until taken
              slot.state = 'ready';
              slot.at = this.now();
              slot.bytes = Math.max(64, slot.sizeOf(v));
              this.bytes += slot.bytes;
            } else {
              // its result lives elsewhere (a cache): done, and never wanted again in this scope
              owner.slots.delete(slot.key);
              if (owner.taken.size < this.maxKeys) owner.taken.add(slot.key);
            }
          }
          try {
            slot.then?.(v);
          } catch (e) {
            log().debug({ err: e }, 'a prefetch follow-up failed');
          }
        },
        (e: unknown) => {
          this.bytes -= slot.bytes;
          slot.bytes = 0;
          if (owner?.slots.get(slot.key) === slot) owner.slots.delete(slot.key);
          log().debug({ err: e instanceof Error ? e.message : String(e) }, 'a prefetch failed; the call that needs it will ask again');
        },
      ).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}

/** The context of a background read: no caller's signal or deadline (each attempt is still bounded by http-timeout-seconds). */
export const BACKGROUND: RequestContext = { signal: undefined, deadline: undefined };

/**
 * One page of a listing the syncer reads page after page: taken from the prefetcher when it was
 * wanted, and the page after it wanted at once (first in line), so the syncer's next call finds it
 * fetched. `at` is the page's position (an offset or a cursor); `nextOf` the next page's, or
 * undefined at the last page. Outside a sync (no id) the page is just read.
 */
export async function listingPage<T, A extends string | number>(
  prefetch: Prefetcher | undefined,
  ctx: CallContext,
  what: string,
  at: A,
  read: (at: A, ctx: RequestContext) => Promise<T>,
  nextOf: (page: T) => A | undefined,
  sizeOf: (page: T) => number = jsonSize,
): Promise<T> {
  if (!prefetch || !ctx.activeSyncId) return read(at, ctx);
  const scope = syncKey(ctx.activeSyncId);
  const page = await prefetch.take(scope, `${what}|${at}`, () => read(at, ctx));
  const next = nextOf(page);
  if (next !== undefined) prefetch.want(scope, `${what}|${next}`, () => read(next, BACKGROUND), { urgent: true, sizeOf });
  return page;
}
