/**
 * A small bounded cache of promises with a time-to-live. It only saves upstream requests (the
 * same project's roles asked for by two RPCs of one sync); dropping any entry at any time is
 * harmless, so correctness never depends on it. Failed lookups are not kept.
 */
export class PromiseCache<T> {
  private readonly map = new Map<string, { at: number; p: Promise<T> }>();
  constructor(
    private readonly maxEntries = 5000,
    private readonly ttlMs = 10 * 60 * 1000,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.map.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      // refresh recency
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.p;
    }
    const p = load();
    this.map.set(key, { at: now, p });
    p.catch(() => {
      if (this.map.get(key)?.p === p) this.map.delete(key);
    });
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
    return p;
  }

  peek(key: string): boolean {
    const hit = this.map.get(key);
    return !!hit && Date.now() - hit.at < this.ttlMs;
  }

  /** Drops entries whose key matches (after a write changed what they hold). */
  deleteWhere(pred: (key: string) => boolean): void {
    for (const k of [...this.map.keys()]) if (pred(k)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}
