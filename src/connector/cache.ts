/**
 * A small bounded cache of promises with a time-to-live. It only saves upstream requests (the
 * same project's roles asked for by two RPCs of one sync); dropping any entry at any time is
 * harmless, so correctness never depends on it. Failed lookups are not kept.
 *
 * Bounded by entry count and by an estimate of its size in bytes (key plus `sizeOf(value)` once
 * the value is there, a fixed guess while it is loading), evicting the least recently used.
 * Caches that live per sync prefix their keys with `syncKey(ctx)`: a fixed-size digest of
 * active_sync_id (a caller-sized value), so `dropSync` can release one sync's entries at Cleanup.
 */
import { createHash } from 'node:crypto';
import { observeCacheLookup } from '../call-scope';

export interface CacheOptions<T> {
  maxEntries?: number;
  maxBytes?: number;
  ttlMs?: number;
  /** estimated bytes of a loaded value (default: its JSON length) */
  sizeOf?: (v: T) => number;
  /** the clock (tests inject one) */
  now?: () => number;
}

/** What an entry is counted as while its value is loading. */
const PENDING_BYTES = 1024;

/**
 * A rough size in bytes of a value (about its JSON length), found by walking it: nothing is
 * allocated (a JSON.stringify of every cached page would make as much garbage as the pages
 * themselves). Deeper than 8 levels counts 1 KiB.
 */
export function jsonSize(v: unknown, depth = 0): number {
  if (v === null || v === undefined) return 4;
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
    case 'boolean':
    case 'bigint':
      return 8;
    case 'object': {
      if (depth >= 8) return PENDING_BYTES;
      let n = 2;
      if (Array.isArray(v)) for (const x of v) n += jsonSize(x, depth + 1) + 1;
      else for (const k in v) n += k.length + 4 + jsonSize((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 0;
  }
}

/** A cache that holds per-sync state under `syncKey` prefixes. */
export interface SyncScoped {
  /** entries held for one sync (by its syncKey) */
  heldFor(sync: string): number;
}

/** Every live per-sync cache of the process, weakly (a cache of a closed connector goes with it). */
const live = new Set<WeakRef<SyncScoped>>();
const finalized = new FinalizationRegistry<WeakRef<SyncScoped>>((ref) => live.delete(ref));
export function track(c: SyncScoped): void {
  const ref = new WeakRef(c);
  live.add(ref);
  finalized.register(c, ref);
}

/**
 * Entries that the process's caches hold for one sync (keys made with `syncKey`): 0 once the
 * sync's Cleanup came or its idle TTL passed (src/connector/sync-expiry.ts). For tests and the soak.
 */
export function heldForSync(activeSyncId: string | undefined): number {
  const sync = syncKey(activeSyncId);
  let n = 0;
  for (const ref of live) n += ref.deref()?.heldFor(sync) ?? 0;
  return n;
}

interface Entry<T> {
  at: number;
  p: Promise<T>;
  bytes: number;
}

export class PromiseCache<T> {
  private readonly map = new Map<string, Entry<T>>();
  private total = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly ttlMs: number;
  private readonly sizeOf: (v: T) => number;
  private readonly now: () => number;

  constructor(opts: CacheOptions<T> = {}) {
    this.maxEntries = opts.maxEntries ?? 5000;
    this.maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
    this.ttlMs = opts.ttlMs ?? 10 * 60 * 1000;
    this.sizeOf = opts.sizeOf ?? jsonSize;
    this.now = opts.now ?? Date.now;
    track(this);
  }

  heldFor(sync: string): number {
    const prefix = sync + '|';
    let n = 0;
    for (const k of this.map.keys()) if (k.startsWith(prefix)) n++;
    return n;
  }

  /** entries held */
  get size(): number {
    return this.map.size;
  }

  /** estimated bytes held */
  get bytes(): number {
    return this.total;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.map.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      observeCacheLookup(true);
      // refresh recency
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.p;
    }
    if (hit) this.remove(key);
    observeCacheLookup(false);
    const p = load();
    this.put(key, p, now, key.length + PENDING_BYTES);
    p.then(
      (v) => {
        const e = this.map.get(key);
        if (e?.p !== p) return;
        const bytes = key.length + this.sizeOf(v);
        // a value larger than the whole budget is not kept (and does not push the others out)
        if (bytes > this.maxBytes) return this.remove(key);
        this.total += bytes - e.bytes;
        e.bytes = bytes;
        this.evict();
      },
      () => {
        if (this.map.get(key)?.p === p) this.remove(key);
      },
    );
    return p;
  }

  /** Puts a known value (e.g. facts learnt while listing). */
  set(key: string, value: T): void {
    if (this.map.has(key)) this.remove(key);
    this.put(key, Promise.resolve(value), this.now(), key.length + this.sizeOf(value));
  }

  peek(key: string): boolean {
    const hit = this.map.get(key);
    return !!hit && this.now() - hit.at < this.ttlMs;
  }

  /** Drops one entry. */
  delete(key: string): void {
    this.remove(key);
  }

  /** Drops entries whose key matches (after a write changed what they hold). */
  deleteWhere(pred: (key: string) => boolean): void {
    for (const k of [...this.map.keys()]) if (pred(k)) this.remove(k);
  }

  /** Drops the entries of one sync (keys made with `syncKey`). */
  dropSync(sync: string): void {
    const prefix = sync + '|';
    this.deleteWhere((k) => k.startsWith(prefix));
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  private put(key: string, p: Promise<T>, at: number, bytes: number): void {
    if (bytes > this.maxBytes) return;
    this.map.set(key, { at, p, bytes });
    this.total += bytes;
    this.evict();
  }

  private remove(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.bytes;
  }

  private evict(): void {
    while (this.map.size > this.maxEntries || (this.total > this.maxBytes && this.map.size > 0)) this.remove(this.map.keys().next().value as string);
  }
}

/**
 * The cache-key prefix of a call's sync: a digest of active_sync_id (so a caller-sized id never
 * becomes a caller-sized key), or "-" for calls outside a sync.
 */
export function syncKey(activeSyncId: string | undefined): string {
  return activeSyncId ? createHash('sha256').update(activeSyncId).digest('base64url') : '-';
}
