/**
 * Headless Chromium driven over the DevTools protocol through a pipe (--remote-debugging-pipe):
 * no extra npm package, no browser download. Opens a page, records every uncaught exception,
 * console error, failed load and request that leaves the page's own file, evaluates
 * expressions and takes screenshots.
 */
import { spawn, ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

/** The Chromium binary: $CHROMIUM_PATH, else the first of the usual names on PATH. */
export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH || process.env.CHROME_PATH;
  if (env && existsSync(env)) return env;
  for (const name of CANDIDATES) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      /* not on PATH */
    }
  }
  for (const p of ['/usr/bin/chromium', '/usr/lib/chromium/chromium', '/snap/bin/chromium']) if (existsSync(p)) return p;
  return undefined;
}

export const NO_CHROMIUM =
  'no Chromium found (looked for $CHROMIUM_PATH, chromium, chromium-browser, google-chrome on PATH): install it, e.g. `apt-get update && apt-get install -y chromium` (.ci/run does this), or set CHROMIUM_PATH';

export interface PageProblems {
  exceptions: string[];
  consoleErrors: string[];
  logErrors: string[];
  /** requests to anything but the page's own file, data: and about: URLs */
  externalRequests: string[];
  failedLoads: string[];
}

interface Pending {
  resolve(v: any): void;
  reject(e: Error): void;
  method: string;
}

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((msg: { method: string; params: any; sessionId?: string }) => void)[] = [];
  private buf = '';
  private stderr = '';

  private constructor(
    private readonly proc: ChildProcess,
    private readonly userDir: string,
  ) {
    const out = proc.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\0')) >= 0) {
        const raw = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const msg = JSON.parse(raw);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (!p) continue;
          if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
          else p.resolve(msg.result);
        } else for (const l of this.listeners) l(msg);
      }
    });
    proc.stderr?.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-4000)));
    proc.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`Chromium exited (${code}) during ${p.method}: ${this.stderr.slice(-800)}`));
      this.pending.clear();
    });
  }

  static async launch(bin: string): Promise<Browser> {
    const userDir = mkdtempSync(join(tmpdir(), 'review-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--hide-scrollbars',
      '--mute-audio',
      '--font-render-hinting=none',
      `--user-data-dir=${userDir}`,
      '--remote-debugging-pipe',
      'about:blank',
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const b = new Browser(proc, userDir);
    await new Promise<void>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('spawn', () => resolve());
    });
    await b.send('Browser.getVersion');
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 30000): Promise<any> {
    const id = this.nextId++;
    const msg = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from Chromium in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      (this.proc.stdio[3] as Writable).write(msg + '\0');
    });
  }

  on(fn: (msg: { method: string; params: any; sessionId?: string }) => void): void {
    this.listeners.push(fn);
  }

  /** Opens `url` in a new tab of the given size and waits for its load event. */
  async open(url: string, width = 1400, height = 1000): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId, url);
    this.on((m) => {
      if (m.sessionId === sessionId) page.event(m.method, m.params);
    });
    for (const d of ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable']) await this.send(d, {}, sessionId);
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = page.waitFor('Page.loadEventFired');
    const nav = await this.send('Page.navigate', { url }, sessionId);
    if (nav.errorText) throw new Error(`navigating to ${url}: ${nav.errorText}`);
    await loaded;
    return page;
  }

  async close(): Promise<void> {
    try {
      await this.send('Browser.close', {}, undefined, 5000);
    } catch {
      /* already gone */
    }
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 5000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    rmSync(this.userDir, { recursive: true, force: true });
  }
}

export class Page {
  readonly problems: PageProblems = { exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] };
  private waiters: { method: string; resolve: (p: any) => void }[] = [];

  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
    private readonly url: string,
  ) {}

  event(method: string, params: any): void {
    switch (method) {
      case 'Runtime.exceptionThrown': {
        const d = params.exceptionDetails;
        this.problems.exceptions.push(`${d.exception?.description ?? d.text} (line ${d.lineNumber})`);
        break;
      }
      case 'Runtime.consoleAPICalled':
        if (params.type === 'error' || params.type === 'assert') this.problems.consoleErrors.push(params.args.map((a: any) => a.value ?? a.description).join(' '));
        break;
      case 'Log.entryAdded':
        if (params.entry.level === 'error') this.problems.logErrors.push(`${params.entry.text} ${params.entry.url ?? ''}`.trim());
        break;
      case 'Network.requestWillBeSent': {
        const u: string = params.request.url;
        if (u !== this.url && !u.startsWith('data:') && !u.startsWith('about:') && u.split('#')[0] !== this.url.split('#')[0]) this.problems.externalRequests.push(u);
        break;
      }
      case 'Network.loadingFailed':
        this.problems.failedLoads.push(`${params.errorText}${params.blockedReason ? ` (${params.blockedReason})` : ''}`);
        break;
    }
    this.waiters = this.waiters.filter((w) => {
      if (w.method !== method) return true;
      w.resolve(params);
      return false;
    });
  }

  waitFor(method: string): Promise<any> {
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }

  /** Evaluates an expression in the page (promises awaited) and returns its JSON value. */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId);
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** PNG of the viewport (or of the whole page with fullPage). */
  async screenshot(opts: { fullPage?: boolean } = {}): Promise<Buffer> {
    const params: Record<string, unknown> = { format: 'png' };
    if (opts.fullPage) {
      const m = await this.browser.send('Page.getLayoutMetrics', {}, this.sessionId);
      const size = m.cssContentSize ?? m.contentSize;
      params.clip = { x: 0, y: 0, width: size.width, height: size.height, scale: 1 };
      params.captureBeyondViewport = true;
    }
    const { data } = await this.browser.send('Page.captureScreenshot', params, this.sessionId);
    return Buffer.from(data, 'base64');
  }
}
