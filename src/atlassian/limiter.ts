/**
 * Small async primitives: a counting semaphore (bounded concurrency per upstream), an abortable
 * sleep and the Clock the HTTP layer reads time and sleeps through (the system clock by default,
 * a test clock in tests). All honour an AbortSignal so a cancelled call never waits for a slot.
 */

export class AbortedError extends Error {
  constructor() {
    super('cancelled by the caller');
    this.name = 'AbortedError';
  }
}

export class Semaphore {
  private inUse = 0;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error('semaphore size must be a positive integer');
  }

  get active(): number {
    return this.inUse;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Waits for a slot; returns the function that gives it back (idempotent). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new AbortedError();
    if (this.inUse < this.size) {
      this.inUse++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new AbortedError());
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) {
        // hand the slot over directly: inUse stays the same
        if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort);
        next.resolve();
      } else {
        this.inUse--;
      }
    };
  }
}

/** Sleeps ms milliseconds; rejects with AbortedError when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(new AbortedError()) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Time for the HTTP layer: what time it is, and a wait that a signal can cut short. */
export interface Clock {
  /** ms since the epoch */
  now(): number;
  /** resolves after ms; rejects with AbortedError when the signal fires */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep };
