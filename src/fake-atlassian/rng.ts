/**
 * Small deterministic PRNG (sfc32 seeded through splitmix32) so that the same seed and tier
 * always produce a byte-identical tenant. Never use Math.random() in the generator.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(len: number): string {
    let out = '';
    while (out.length < len) out += this.u32().toString(16).padStart(8, '0');
    return out.slice(0, len);
  }

  /** RFC 4122 version-4 shaped UUID drawn from this generator. */
  uuid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = '89ab'[parseInt(h[16], 16) & 3];
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** k distinct integers from [0, n) (k <= n), in ascending order. */
  sample(n: number, k: number): number[] {
    k = Math.min(k, n);
    if (k <= 0) return [];
    if (k * 3 > n) {
      // dense: partial Fisher-Yates over an index array
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(this.next() * (n - i));
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      return Array.from(idx.subarray(0, k)).sort((x, y) => x - y);
    }
    const seen = new Set<number>();
    while (seen.size < k) seen.add(Math.floor(this.next() * n));
    return Array.from(seen).sort((x, y) => x - y);
  }
}
