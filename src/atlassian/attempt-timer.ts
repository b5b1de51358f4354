/**
 * One overall deadline per upstream attempt. axios's `timeout` in Node is the socket's inactivity
 * timeout: a body trickled a few bytes at a time never trips it, so one attempt could last for
 * minutes. The AttemptTimer bounds the whole attempt (connect, headers and the full body) by
 * min(http-timeout-seconds, the time left before the caller's deadline): when it fires, the
 * request is aborted and the attempt fails as a timeout (ETIMEDOUT), which the retry policy
 * treats like any other timeout. The caller's own cancellation still aborts the attempt as a
 * cancellation.
 *
 * The timer is a real timer on purpose: it bounds real I/O (the injected Clock only drives the
 * retry and rate-limit waits, which tests skip).
 */
import { AxiosAdapter, AxiosError, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/** What the timer reads and writes of a call's state. */
interface AttemptState {
  ctx: { signal?: AbortSignal };
  attemptTimeoutMs: number;
}

export class AttemptTimer {
  /** the attempt's time limit in ms (0 or less: the caller's deadline has passed) */
  readonly ms: number;
  private readonly ac = new AbortController();
  private readonly origSignal: InternalAxiosRequestConfig['signal'];
  private timer?: NodeJS.Timeout;
  private onOuter?: () => void;
  private timedOut = false;

  constructor(
    private readonly config: InternalAxiosRequestConfig,
    private readonly st: AttemptState,
    timeoutMs: number,
    deadlineLeftMs: number | undefined,
  ) {
    this.ms = deadlineLeftMs === undefined ? timeoutMs : Math.min(timeoutMs, Math.floor(deadlineLeftMs));
    this.origSignal = config.signal;
  }

  /** Sends the attempt through `base` under the overall limit. */
  async run(base: AxiosAdapter): Promise<AxiosResponse> {
    const outer = this.st.ctx.signal;
    if (outer) {
      if (outer.aborted) this.ac.abort();
      else {
        this.onOuter = () => this.ac.abort();
        outer.addEventListener('abort', this.onOuter, { once: true });
      }
    }
    this.st.attemptTimeoutMs = this.ms;
    // the socket's inactivity timeout stays too (it can only fire earlier, on a silent connection)
    this.config.timeout = this.ms;
    this.config.signal = this.ac.signal;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.ac.abort();
    }, this.ms);
    try {
      return await base(this.config);
    } catch (e) {
      if (this.timedOut) {
        throw new AxiosError(`the answer (headers and body) did not arrive within ${this.ms} ms`, 'ETIMEDOUT', this.config, (e as AxiosError).request);
      }
      throw e;
    }
  }

  /** Stops the timer and gives the request config back its own signal (axios-retry sends the same config again). */
  done(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.onOuter) this.st.ctx.signal?.removeEventListener('abort', this.onOuter);
    this.config.signal = this.origSignal;
  }
}
