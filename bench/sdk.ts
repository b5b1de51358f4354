/**
 * SDK benchmark (issue 20): the official Baton SDK syncer drives our server, and baton-jira (the
 * ConductorOne Go connector, its own SDK syncer in one binary) syncs the same tenant, side by side.
 *
 *   npm run bench -- --driver sdk [--workers 1,4] [--tier L] [--latency 50] [--rps 100] [--seed 1]
 *                    [--peer baton-jira | --with-peer] [--peer-version latest] [--peer-bin PATH]
 *                    [--write docs/PERFORMANCE.md]
 *
 * For each worker count: a fresh fake tenant (bench/fake-child.ts, same seed, latency and rate
 * limit), a fresh `serve` process, then `baton-bridge sync --workers N --no-wire-check` (the SDK's
 * `sync.NewSyncer`, tools/baton-bridge/sync.go). With the peer: one more fresh fake, and baton-jira
 * run against it (`-f out.c1z`, credentials in BATON_JIRA_URL / _EMAIL / _API_TOKEN).
 *
 * baton-jira comes from `go install github.com/conductorone/baton-jira/cmd/baton-jira@<version>`
 * into a cache dir; when the Go module proxy refuses it, the refusal is reported and `--peer-bin`
 * (or BATON_JIRA_BIN) is used; without either the peer is skipped, with the reason.
 *
 * Per run: outer wall (process start to exit) and, for ours, the SDK's own sync time; floor =
 * upstream requests ÷ the rate limit; requests by endpoint (every API prefix the fake serves)
 * against bench/minimum.ts; 429s; peak RSS: our server's VmHWM read just before it is stopped,
 * baton-jira's summed over its process tree (the SDK runs the connector as a subprocess), polled
 * every 200 ms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBridge, type BridgeReport } from '../test/conformance/bridge';
import { fakeStats, floorMs, optionFlags, peakRssMb, scrubbedEnv, startFake, startServer, stopFake, FakeReady, FakeStats, TenantArgs } from './children';
import type { Minimum } from './minimum';

export const PEER_MODULE = 'github.com/conductorone/baton-jira/cmd/baton-jira';

export interface PeerArgs {
  /** the module version `go install` asks for ('latest' or a tag) */
  version: string;
  /** --peer-bin, else BATON_JIRA_BIN: the binary to run when `go install` does not give one */
  bin?: string;
  binFrom?: string;
  /** where `go install` puts the binary (GOBIN); default ~/.cache/jira-connector-bench */
  cacheDir?: string;
  /** seconds before the peer's sync is stopped */
  timeoutSec: number;
}

export interface SdkBenchArgs extends TenantArgs {
  workers: number[];
  peer?: PeerArgs;
  /** seconds before one bridge sync is stopped */
  timeoutSec: number;
}

export interface SyncedCounts {
  resources: Record<string, number>;
  entitlements: number;
  grants: number;
  direct: number;
  expanded: number;
  c1zBytes: number;
}

export interface RunFigures {
  driver: 'sdk' | 'baton-jira';
  /** SDK worker count (ours); undefined for baton-jira (its own default) */
  workers?: number;
  ok: boolean;
  error?: string;
  /** outer wall: the syncing process from start to exit */
  wallMs: number;
  /** the SDK syncer's own time (NewSyncer to Close), ours only */
  syncMs?: number;
  /** the part of syncMs that called the connector; the rest is the syncer's grant expansion and indexing */
  collectMs?: number;
  requests: number;
  byEndpoint: Record<string, number>;
  byEndpointStatus: Record<string, Record<string, number>>;
  status: Record<string, number>;
  floorMs: number;
  /** ours: the server's VmHWM; baton-jira: the sum of the peaks of its processes */
  peakRssMb: number;
  rssNote: string;
  synced?: SyncedCounts;
  syncWarnings?: number;
  validationErrors: number;
}

export interface PeerStatus {
  /** what `go install` said (URLs of the module proxy left out) */
  install: string;
  installed: boolean;
  /** the binary that ran, and where it came from */
  bin?: string;
  source?: string;
  /** what `<bin> --version` printed */
  version?: string;
  /** why the peer did not run */
  skipped?: string;
}

export interface SdkBenchResult {
  args: SdkBenchArgs;
  sdkVersion: string;
  genMs: number;
  counts: Record<string, number>;
  minimum: Minimum;
  runs: RunFigures[];
  peer?: PeerStatus;
}

const TARGET = { floor1: 1.15, floor4: 1.1, requests: 1.03, peerSpeedup: 5, rssMb: 256 };

const say = (s: string) => process.stderr.write(`[bench sdk] ${s}\n`);

function totalRequests(st: FakeStats): number {
  return Object.values(st.stats.byOperation).reduce((a, n) => a + n, 0);
}

/** Keys of byOperationStatus that are operation keys ("GET /..."), not operationIds. */
function statusByEndpoint(st: FakeStats): Record<string, Record<string, number>> {
  return Object.fromEntries(Object.entries(st.stats.byOperationStatus ?? {}).filter(([k]) => k in st.stats.byOperation));
}

function figures(driver: RunFigures['driver'], workers: number | undefined, st: FakeStats, rps: number): Omit<RunFigures, 'ok' | 'wallMs' | 'peakRssMb' | 'rssNote'> {
  const requests = totalRequests(st);
  return {
    driver,
    workers,
    requests,
    byEndpoint: st.stats.byOperation,
    byEndpointStatus: statusByEndpoint(st),
    status: st.stats.byStatus,
    floorMs: floorMs(st.stats.byOperation, rps),
    validationErrors: st.validationErrors,
  };
}

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  wallMs: number;
  /** per process of the tree: pid -> [name, peak MB] (only when polled) */
  peaks: Map<number, [string, number]>;
}

/** The pids of `root` and all its descendants (from /proc/<pid>/stat). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (const todo = [root]; todo.length;) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Runs a command to its end (or the timeout), keeping stdout, the tail of stderr (also written to `logFile`), and with `pollTree` the peak RSS of every process of its tree. */
function run(cmd: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutSec: number; logFile: string; pollTree?: boolean }): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(opts.logFile);
    let stdout = '';
    let stderrTail = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      log.write(d);
      stderrTail = (stderrTail + d).slice(-8000);
    });
    const peaks = new Map<number, [string, number]>();
    const poll = () => {
      if (!child.pid) return;
      for (const pid of processTree(child.pid)) {
        const mb = peakRssMb(pid);
        if (!Number.isFinite(mb)) continue;
        const prev = peaks.get(pid);
        if (!prev || mb > prev[1]) peaks.set(pid, [prev?.[0] ?? commOf(pid), mb]);
      }
    };
    const timer = opts.pollTree ? setInterval(poll, 200) : undefined;
    const killer = setTimeout(() => {
      stderrTail += `\n(stopped after ${opts.timeoutSec} s)`;
      child.kill('SIGTERM');
    }, opts.timeoutSec * 1000);
    child.on('error', (e) => {
      clearInterval(timer);
      clearTimeout(killer);
      log.end();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      clearTimeout(killer);
      // the last poll before the exit is at most 200 ms old; the exit itself leaves nothing to read
      const wallMs = Date.now() - t0;
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(cap);
        log.end();
        resolve({ code, signal, stdout, stderrTail, wallMs, peaks });
      };
      // what is still in the pipe; a subprocess left behind may hold it open, so not for long
      const cap = setTimeout(done, 5000);
      if (child.stdout!.closed) done();
      else child.stdout!.once('close', done);
    });
  });
}

function parseJson<T>(s: string): T | undefined {
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

function countsOf(r: BridgeReport): SyncedCounts {
  return { resources: r.resources, entitlements: r.entitlementsTotal, grants: r.grants.total, direct: r.grants.direct, expanded: r.grants.expanded, c1zBytes: r.c1zBytes };
}

/** One SDK-driven sync of a fresh tenant and server with `workers` syncer workers. */
async function runOurs(args: SdkBenchArgs, workers: number, bridge: string, dir: string, first: (r: FakeReady) => void): Promise<RunFigures> {
  const { fake, ready } = await startFake(args);
  first(ready);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    server = await startServer(args, ready);
    say(`ours, ${workers} worker(s): syncing through the SDK`);
    const out = join(dir, `ours-w${workers}.c1z`);
    const ex = await run(bridge, ['sync', '--addr', `127.0.0.1:${server.port}`, '--out', out, '--workers', String(workers), '--no-wire-check', '--tmp-dir', dir], {
      env: scrubbedEnv(),
      timeoutSec: args.timeoutSec,
      logFile: join(dir, `ours-w${workers}.log`),
    });
    const rep = parseJson<BridgeReport & { error?: string }>(ex.stdout);
    const st = await fakeStats(fake);
    const peak = peakRssMb(server.server.pid!); // just before the server is stopped
    const ok = ex.code === 0 && rep?.ok === true;
    rmSync(out, { force: true });
    return {
      ...figures('sdk', workers, st, args.rps),
      ok,
      error: ok ? undefined : (rep?.error ?? `baton-bridge exited ${ex.code ?? ex.signal}`) + `\n${ex.stderrTail.slice(-2000)}\n${server.log().slice(-2000)}`,
      wallMs: ex.wallMs,
      syncMs: rep?.syncSeconds !== undefined ? rep.syncSeconds * 1000 : undefined,
      collectMs: rep?.collectSeconds !== undefined ? rep.collectSeconds * 1000 : undefined,
      peakRssMb: peak,
      rssNote: rep?.peakRssMB ? `syncer (baton-bridge, c1z read back included) ${Math.round(rep.peakRssMB)} MB` : '',
      synced: ok && rep ? countsOf(rep) : undefined,
      syncWarnings: rep?.warnings?.count,
    };
  } finally {
    server?.server.kill('SIGTERM');
    await stopFake(fake);
  }
}

/** Takes URLs out of a tool's message (hosts are not named in what the bench prints or records). */
function withoutHosts(s: string): string {
  return s.replace(/https?:\/\/[^/\s]+/g, '<GOPROXY>');
}

/** `go install` of baton-jira into the cache dir; what it said, and the binary when it gave one. */
function goInstallPeer(p: PeerArgs): { installed?: string; said: string } {
  const base = p.cacheDir ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jira-connector-bench');
  const gobin = join(base, `baton-jira@${p.version}`);
  const bin = join(gobin, 'baton-jira');
  if (p.version !== 'latest' && existsSync(bin)) return { installed: bin, said: `cached in ${gobin}` };
  mkdirSync(gobin, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...scrubbedEnv(), GOBIN: gobin };
  delete env.GOFLAGS;
  const cmd = `go install ${PEER_MODULE}@${p.version}`;
  say(`${cmd} (GOBIN=${gobin})`);
  // a fresh build of baton-jira and its SDK takes minutes on 2 cores; a refusal answers at once
  const r = spawnSync('go', ['install', `${PEER_MODULE}@${p.version}`], { cwd: gobin, env, encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.error) return { said: `${cmd}: ${r.error.message}` };
  if (r.status === 0 && existsSync(bin)) return { installed: bin, said: `${cmd}: installed in ${gobin}` };
  return { said: `${cmd} failed (exit ${r.status}): ${withoutHosts((r.stderr || r.stdout).trim())}` };
}

/** Which baton-jira to run: `go install`, else --peer-bin / BATON_JIRA_BIN. */
export function resolvePeer(p: PeerArgs): PeerStatus {
  const inst = goInstallPeer(p);
  if (inst.installed) return { install: inst.said, installed: true, bin: inst.installed, source: `go install …@${p.version}` };
  if (p.bin) {
    if (!existsSync(p.bin)) return { install: inst.said, installed: false, skipped: `${p.binFrom} names ${p.bin}, which does not exist` };
    return { install: inst.said, installed: false, bin: p.bin, source: p.binFrom };
  }
  return { install: inst.said, installed: false, skipped: 'go install gave no binary, and neither --peer-bin nor BATON_JIRA_BIN names one' };
}

/** baton-jira's sync of a fresh tenant: its own process tree, its c1z read back by the bridge for the counts. */
async function runPeer(args: SdkBenchArgs, peer: PeerStatus, bridge: string, dir: string): Promise<RunFigures> {
  const { fake, ready } = await startFake(args);
  try {
    const out = join(dir, 'baton-jira.c1z');
    say(`baton-jira (${peer.bin}): syncing`);
    const ex = await run(peer.bin!, ['-f', out], {
      env: { ...scrubbedEnv(), BATON_JIRA_URL: ready.siteUrl, BATON_JIRA_EMAIL: ready.email, BATON_JIRA_API_TOKEN: ready.token },
      cwd: dir,
      timeoutSec: args.peer!.timeoutSec,
      logFile: join(dir, 'baton-jira.log'),
      pollTree: true,
    });
    const st = await fakeStats(fake);
    const ok = ex.code === 0;
    let synced: SyncedCounts | undefined;
    let readError = '';
    if (ok && !existsSync(out)) readError = `it wrote no ${out}`;
    else if (ok) {
      const rd = await run(bridge, ['read', '--c1z', out, '--tmp-dir', dir], { env: scrubbedEnv(), timeoutSec: 600, logFile: join(dir, 'read.log') });
      const rep = parseJson<BridgeReport>(rd.stdout);
      if (rep?.ok) synced = countsOf(rep);
      else readError = `reading its c1z: ${(rep as { error?: string } | undefined)?.error ?? rd.stderrTail.slice(-500)}`;
    }
    rmSync(out, { force: true });
    const procs = [...ex.peaks.entries()];
    const sum = procs.reduce((a, [, [, mb]]) => a + mb, 0);
    return {
      ...figures('baton-jira', undefined, st, args.rps),
      ok: ok && !readError,
      error: ok ? readError || undefined : `exit ${ex.code ?? ex.signal}: ${ex.stderrTail.slice(-3000)}`,
      wallMs: ex.wallMs,
      peakRssMb: procs.length ? sum : NaN,
      rssNote: procs.length > 1 ? `sum of ${procs.length} processes' peaks: ${procs.map(([pid, [name, mb]]) => `${name}[${pid}] ${Math.round(mb)} MB`).join(', ')}` : '',
      synced,
    };
  } finally {
    await stopFake(fake);
  }
}

export async function runSdkBench(args: SdkBenchArgs): Promise<SdkBenchResult> {
  const bridge = ensureBridge();
  const version = spawnSync(bridge, ['version'], { encoding: 'utf8' });
  const sdkVersion = parseJson<{ sdkVersion: string }>(version.stdout)?.sdkVersion ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'bench-sdk-'));
  let tenant: FakeReady | undefined;
  const runs: RunFigures[] = [];
  let peer: PeerStatus | undefined;
  try {
    for (const w of args.workers) {
      runs.push(await runOurs(args, w, bridge, dir, (r) => (tenant ??= r)));
      if (!runs[runs.length - 1].ok) say(`ours, ${w} worker(s) failed: ${runs[runs.length - 1].error}`);
    }
    if (args.peer) {
      peer = resolvePeer(args.peer);
      say(peer.installed ? peer.install : `${peer.install}\n[bench sdk] ${peer.skipped ? `peer skipped: ${peer.skipped}` : `falling back to ${peer.bin} (${peer.source})`}`);
      if (peer.bin) {
        const v = spawnSync(peer.bin, ['--version'], { encoding: 'utf8', timeout: 30_000, env: scrubbedEnv() });
        peer.version = v.status === 0 ? v.stdout.trim().split('\n')[0] : undefined;
        try {
          const r = await runPeer(args, peer, bridge, dir);
          runs.push(r);
          if (!r.ok) say(`baton-jira failed: ${r.error}`);
        } catch (e) {
          peer.skipped = `${peer.bin} did not start: ${e instanceof Error ? e.message : String(e)}`;
          say(`peer skipped: ${peer.skipped}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { args, sdkVersion, genMs: tenant!.genMs, counts: tenant!.counts, minimum: tenant!.minimum, runs, peer };
}

// ------------------------------------------------------------------------------------------------
// Report

const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

function label(r: RunFigures): string {
  return r.driver === 'sdk' ? `ours, SDK syncer ${r.workers} worker${r.workers === 1 ? '' : 's'}` : 'baton-jira';
}

/** The wall the floor ratio uses: the SDK's own sync time for ours, the process's for baton-jira. */
function syncWall(r: RunFigures): number {
  return r.syncMs ?? r.wallMs;
}

/** A run's requests to one endpoint: the count, its ratio to the endpoint's minimum when it has one and differs, and the answers that were not 2xx. */
function endpointCell(r: RunFigures, k: string, minimum: number | undefined): string {
  const n = r.byEndpoint[k] ?? 0;
  const notes: string[] = [];
  if (minimum && n && n !== minimum) notes.push(`${(n / minimum).toFixed(3)}×`);
  for (const [s, c] of Object.entries(r.byEndpointStatus[k] ?? {})) if (!s.startsWith('2')) notes.push(`${s}: ${c}`);
  return notes.length ? `${n} (${notes.join(', ')})` : String(n);
}

export function formatSdkBench(res: SdkBenchResult): string {
  const a = res.args;
  const lines: string[] = [];
  const min = res.minimum.total;
  const peer = res.runs.find((r) => r.driver === 'baton-jira' && r.ok);
  lines.push(
    `### SDK syncer${res.runs.some((r) => r.driver === 'baton-jira') ? ' and baton-jira' : ''}, tier ${a.tier} (seed ${a.seed}), ${a.latency} ms latency, ${a.rps} requests/s limit${optionFlags(a).length ? `, ${optionFlags(a).join(' ')}` : ''} (baton-sdk ${res.sdkVersion} in tools/baton-bridge)`,
  );
  lines.push('');
  lines.push('| driver | workers | wall | floor ratio | connector phase (ratio to floor) | requests (ratio to minimum) | 429s | peak RSS | ours ÷ baton-jira | target |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of res.runs) {
    const floorRatio = r.floorMs ? syncWall(r) / r.floorMs : NaN;
    const reqRatio = r.requests / min;
    const wall = r.driver === 'sdk' ? `${r.syncMs !== undefined ? sec(r.syncMs) : '–'} (process ${sec(r.wallMs)})` : sec(r.wallMs);
    const vsPeer = r.driver === 'sdk' && peer ? r.wallMs / peer.wallMs : NaN;
    const targets: string[] = [];
    if (r.driver === 'sdk') {
      const tf = r.workers === 1 ? TARGET.floor1 : r.workers === 4 ? TARGET.floor4 : undefined;
      if (tf && r.floorMs) targets.push(`wall ≤ ${tf.toFixed(2)} × floor ${mark(floorRatio <= tf)}`);
      targets.push(`requests ≤ ${TARGET.requests} × minimum ${mark(reqRatio <= TARGET.requests)}`);
      targets.push(`RSS ≤ ${TARGET.rssMb} MB ${mark(r.peakRssMb <= TARGET.rssMb)}`);
      if (r.workers === 1) targets.push(`≥ ${TARGET.peerSpeedup}× faster than baton-jira ${peer ? mark(peer.wallMs / r.wallMs >= TARGET.peerSpeedup) : '(no peer run)'}`);
    } else targets.push('reference');
    const failed = r.ok ? '' : ' **failed**';
    lines.push(
      `| ${label(r)}${failed} | ${r.workers ?? 'its default'} | ${wall} | ${Number.isFinite(floorRatio) ? `${floorRatio.toFixed(3)} (floor ${sec(r.floorMs)})` : 'n/a'} | ${r.collectMs !== undefined && r.floorMs ? `${sec(r.collectMs)} (${(r.collectMs / r.floorMs).toFixed(3)})` : '–'} | ${r.requests} (${reqRatio.toFixed(3)}) | ${r.status['429'] ?? 0} | ${Number.isFinite(r.peakRssMb) ? `${Math.round(r.peakRssMb)} MB` : 'n/a'}${r.driver === 'baton-jira' ? ' (whole process tree)' : ' (server)'} | ${Number.isFinite(vsPeer) ? `${vsPeer.toFixed(3)} (${vsPeer <= 1 ? `${(1 / vsPeer).toFixed(1)}× faster` : `${vsPeer.toFixed(1)}× slower`})` : '–'} | ${targets.join('; ')} |`,
    );
  }
  lines.push('');
  const cols = res.runs.map((r) => (r.driver === 'sdk' ? `ours ${r.workers} w` : 'baton-jira'));
  lines.push(`| endpoint | minimum | ${cols.join(' | ')} |`);
  lines.push(`|---|---|${cols.map(() => '---|').join('')}`);
  const keys = new Set([...Object.keys(res.minimum.byEndpoint), ...res.runs.flatMap((r) => Object.keys(r.byEndpoint))]);
  for (const k of [...keys].sort()) lines.push(`| \`${k}\` | ${res.minimum.byEndpoint[k] ?? '–'} | ${res.runs.map((r) => endpointCell(r, k, res.minimum.byEndpoint[k])).join(' | ')} |`);
  lines.push(`| total | ${min} | ${res.runs.map((r) => String(r.requests)).join(' | ')} |`);
  lines.push('');
  const floorMin = a.rps > 0 ? ` The floor of the minimum: ${sec(floorMs(res.minimum.byEndpoint, a.rps))}.` : '';
  lines.push(
    `Wall: ours, the SDK syncer's own time (\`syncSeconds\`: NewSyncer to the packed c1z) with the bridge process's (c1z read back included) in brackets; the floor ratio uses the former, the ratio to baton-jira the process walls. Connector phase: the part of the SDK's time that called the connector, up to its log line "sync data collection complete"; the rest is the syncer's own grant expansion, index and digest builds, which grow with the expanded grants and call nothing. Floor: the run's requests ÷ the rate limit${a.org ? " (the organization's APIs have their own bucket at the same rate: the longer of the two)" : ''}.${floorMin} Peak RSS: our server's VmHWM just before it is stopped; baton-jira's the sum of its processes' peaks (polled every 200 ms; the SDK runs the connector as a subprocess).`,
  );
  for (const r of res.runs) {
    const parts: string[] = [];
    if (r.synced)
      parts.push(
        `${Object.entries(r.synced.resources)
          .map(([k, v]) => `${v} ${k}`)
          .join(
            ', ',
          )}; ${r.synced.entitlements} entitlements, ${r.synced.grants} grants (${r.synced.direct} direct + ${r.synced.expanded} expanded); c1z ${(r.synced.c1zBytes / 1048576).toFixed(1)} MB`,
      );
    if (r.syncWarnings) parts.push(`${r.syncWarnings} sync warnings`);
    if (r.rssNote) parts.push(r.rssNote);
    parts.push(
      `statuses ${Object.entries(r.status)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`,
    );
    if (r.validationErrors) parts.push(`${r.validationErrors} OpenAPI validation issues at the fake`);
    if (r.error) parts.push(`error: ${r.error.split('\n')[0]}`);
    lines.push(`- ${label(r)}: ${parts.join('; ')}.`);
  }
  if (res.peer) {
    const p = res.peer;
    lines.push(
      `- the baton-jira binary: ${p.install.replace(/\s+/g, ' ').replace(/\.$/, '')}${p.installed && !p.skipped ? (p.version ? ` (${p.version})` : '') : p.skipped ? `. **Peer skipped**: ${p.skipped}` : `. Ran ${p.bin} (${p.source}${p.version ? `; ${p.version}` : ''}) instead`}.`,
    );
  }
  lines.push('');
  lines.push(
    `Tenant: ${Object.entries(res.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; generated in ${sec(res.genMs)} (each run gets a fresh fake tenant and server).`,
  );
  return lines.join('\n');
}

/** The command line that reproduces a run (for the recorded section). */
export function sdkBenchCommand(a: SdkBenchArgs): string {
  const opts = [`--driver sdk`, `--workers ${a.workers.join(',')}`, `--tier ${a.tier}`, `--latency ${a.latency}`, `--rps ${a.rps}`];
  if (a.seed !== 1) opts.push(`--seed ${a.seed}`);
  opts.push(...optionFlags(a));
  if (a.peer) opts.push(`--peer baton-jira${a.peer.version !== 'latest' ? ` --peer-version ${a.peer.version}` : ''}${a.peer.bin ? ' --peer-bin …' : ''}`);
  return `npm run bench -- ${opts.join(' ')}`;
}
