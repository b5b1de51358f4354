/**
 * By-hand measurement of the SDK-driven sync (not part of the test suite): the fake tenant in
 * this process (optionally with latency and a shared rate limit, like `npm run bench`), our server
 * as its own process (the dist CLI), and `baton-bridge sync` as a third; then the c1z is compared
 * with the tenant's ground truth exactly as the conformance test does.
 *
 *   npm run build && npm run bridge:build
 *   node dist/test/conformance/measure.js (after npm run build:dev) --tier L [--seed 1] [--workers 4] [--engine pebble|sqlite] [--latency 0] [--rps 0] [--no-compare]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAtlassian, Tier } from '../../src/fake-atlassian';
import { ensureBridge, runBridge, readDump, expectedFrom, compare } from './bridge';

function arg(name: string, d: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : d;
}

function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`the server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const tier = arg('tier', 'L').toUpperCase() as Tier;
  const seed = Number(arg('seed', '1'));
  const workers = arg('workers', '4');
  const engine = arg('engine', 'pebble');
  const latency = Number(arg('latency', '0'));
  const rps = Number(arg('rps', '0'));
  const doCompare = !process.argv.includes('--no-compare');
  const bin = ensureBridge();
  const dir = mkdtempSync(join(tmpdir(), 'bridge-measure-'));

  const g0 = Date.now();
  const fake = await startFakeAtlassian({ tier, seed });
  const genMs = Date.now() - g0;
  if (latency > 0) fake.faults.latency(latency, 'jira');
  if (rps > 0) fake.faults.rateLimit({ capacity: rps, refillPerSec: rps, perOperation: false }, 'jira');
  const port = 45000 + Math.floor(Math.random() * 15000);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const server = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'cli', 'main.js'), 'serve', '--port', String(port), '--log-level', 'warn'], {
    env: {
      ...env,
      BATON_JIRA_URL: fake.siteUrl,
      BATON_JIRA_EMAIL: fake.credentials.adminEmail,
      BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
      BATON_ATLASSIAN_API_URL: fake.apiUrl,
      BATON_ATLASSIAN_AUTH_URL: fake.authUrl,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForPort(port, 30_000);
    fake.stats.reset();
    const out = join(dir, `jira-${tier}.c1z`);
    const dumpPath = join(dir, `jira-${tier}.json`);
    const t0 = Date.now();
    const r = await runBridge(
      ['sync', '--addr', `127.0.0.1:${port}`, '--out', out, '--workers', workers, '--engine', engine, '--tmp-dir', dir, ...(doCompare ? ['--dump', dumpPath] : [])],
      60 * 60_000,
    );
    const wallMs = Date.now() - t0;
    if (r.code !== 0) throw new Error(`bridge failed: ${JSON.stringify(r.json).slice(0, 4000)}\n${r.stderr.slice(-4000)}`);
    const rep = r.json;
    const snap = fake.stats.snapshot();
    const result: Record<string, unknown> = {
      bridge: bin,
      sdkVersion: rep.sdkVersion,
      tier,
      seed,
      engine: rep.engine,
      workers: rep.workers,
      latencyMs: latency,
      rps,
      tenantGeneratedMs: genMs,
      syncSeconds: rep.syncSeconds,
      bridgeWallSeconds: Math.round(wallMs / 100) / 10,
      readBackSeconds: rep.readSeconds,
      c1zBytes: rep.c1zBytes,
      bridgePeakRssMB: rep.peakRssMB,
      serverPeakRssMB: peakRssMb(server.pid!),
      tenant: fake.groundTruthCounts(),
      c1z: { resources: rep.resources, entitlements: rep.entitlementsTotal, grants: rep.grants },
      warnings: rep.warnings?.count,
      warnLogs: rep.warnings?.logs.length,
      wireViolations: rep.wire?.violations.length,
      failedRpcs: rep.wire?.errors,
      upstreamRequests: snap.total,
      upstreamStatuses: snap.byStatus,
      fakeValidationIssues: fake.validationErrors.length,
    };
    if (doCompare) {
      const c0 = Date.now();
      const diff = compare(readDump(dumpPath), expectedFrom(fake.tenant));
      const n = (d: { missing: string[]; extra: string[]; changed?: string[] }) => d.missing.length + d.extra.length + (d.changed?.length ?? 0);
      result.groundTruthMatch = n(diff.resources) + n(diff.entitlements) + n(diff.grants) === 0 ? 'exact' : diff;
      result.compareSeconds = Math.round((Date.now() - c0) / 100) / 10;
    }
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    server.kill('SIGTERM');
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`measure failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
