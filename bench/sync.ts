/**
 * Sync benchmark: the fake tenant (own process, injected latency and a rate limit), the connector
 * server (own process, so its peak RSS is its own), and the sync loop (src/client/loop.ts, the one
 * the tests, the demo and the review CLI run) driving it over gRPC into memory. Reports upstream
 * requests per endpoint against the minimum the page caps allow, wall time against the floor
 * (requests ÷ rate limit) and the server's peak RSS.
 *
 *   npm run bench -- [--tier L] [--latency 50] [--rps 100] [--workers 4] [--write docs/PERFORMANCE.md]
 */
import { fork, spawn, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialConnector } from '../src/client/connector-client';
import { runSync } from '../src/client/sync';
import { summarize } from '../src/client/summary';
import type { Minimum } from './minimum';

export interface SyncBenchArgs {
  tier: string;
  seed: number;
  latency: number;
  rps: number;
  workers: number;
  validate: string;
  /** BATON_JIRA_PROJECT_PERMISSIONS for the server: undefined = the connector's default, 'none' = off */
  projectPermissions?: string;
  /** BATON_JIRA_GLOBAL_PERMISSIONS=true for the server (one permissions/check per account) */
  globalPermissions?: boolean;
  /** BATON_JIRA_ACTIVITY_DAYS for the server (issue activity pass) */
  activityDays?: number;
  /** BATON_JIRA_WORK_ITEMS=true for the server */
  workItems?: boolean;
}

export interface SyncBenchResult {
  args: SyncBenchArgs;
  genMs: number;
  wallMs: number;
  requests: number;
  byEndpoint: Record<string, number>;
  minimum: Minimum;
  floorMs: number;
  serverPeakRssMb: number;
  counts: Record<string, number>;
  synced: { resources: Record<string, number>; grants: number; expanded: number; entitlements: number };
  retries: number;
  status: Record<string, number>;
  validationErrors: number;
}

function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', onMsg);
        resolve(m as T);
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)));
  });
}

export async function runSyncBench(args: SyncBenchArgs): Promise<SyncBenchResult> {
  const dist = join(__dirname, '..');
  const fake = fork(join(dist, 'bench', 'fake-child.js'), [args.tier, String(args.seed), String(args.latency), String(args.rps), args.validate], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096'],
  });
  const ready = await once<{ genMs: number; siteUrl: string; apiUrl: string; authUrl: string; email: string; token: string; counts: Record<string, number>; minimum: Minimum }>(fake, 'ready');
  const port = 45000 + Math.floor(Math.random() * 15000);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
  const server = spawn(process.execPath, [join(dist, 'src', 'cli', 'main.js'), 'serve', '--port', String(port), '--log-level', 'warn'], {
    env: {
      ...env,
      ...(args.projectPermissions !== undefined ? { BATON_JIRA_PROJECT_PERMISSIONS: args.projectPermissions } : {}),
      ...(args.globalPermissions ? { BATON_JIRA_GLOBAL_PERMISSIONS: 'true' } : {}),
      ...(args.activityDays ? { BATON_JIRA_ACTIVITY_DAYS: String(args.activityDays) } : {}),
      ...(args.workItems ? { BATON_JIRA_WORK_ITEMS: 'true' } : {}),
      BATON_JIRA_URL: ready.siteUrl,
      BATON_JIRA_EMAIL: ready.email,
      BATON_JIRA_API_TOKEN: ready.token,
      BATON_ATLASSIAN_API_URL: ready.apiUrl,
      BATON_ATLASSIAN_AUTH_URL: ready.authUrl,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (args.projectPermissions?.toLowerCase() === 'none') {
    // project permissions off: their two endpoints are not part of the minimum
    for (const k of ['GET /rest/api/3/permissionscheme', 'GET /rest/api/3/project/{projectKeyOrId}/permissionscheme']) {
      ready.minimum.total -= ready.minimum.byEndpoint[k] ?? 0;
      delete ready.minimum.byEndpoint[k];
    }
  }
  let serverLog = '';
  server.stderr!.on('data', (d) => {
    serverLog += d;
    if (serverLog.length > 100000) serverLog = serverLog.slice(-50000);
  });
  try {
    const client = dialConnector(`127.0.0.1:${port}`);
    for (let i = 0; ; i++) {
      try {
        await client.connector.getMetadata({}, { deadlineMs: 1000 });
        break;
      } catch {
        if (i > 100) throw new Error(`server did not start: ${serverLog.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const t0 = Date.now();
    const result = await runSync(client, {
      workers: args.workers,
      expansion: 'count',
      onProgress: (p) => {
        const resources = Object.values(p.resources).reduce((a, n) => a + n, 0);
        if (process.stderr.isTTY) process.stderr.write(`\r${p.phase.padEnd(19)} resources ${resources} grants ${p.grants} calls ${p.calls} retries ${p.retries}   `);
      },
    });
    const wallMs = Date.now() - t0;
    if (process.stderr.isTTY) process.stderr.write('\n');
    client.close();
    fake.send({ type: 'stats' });
    const st = await once<{ stats: { total: number; byOperation: Record<string, number>; byStatus: Record<string, number> }; validationErrors: number }>(fake, 'stats');
    const s = summarize(result);
    const requests = Object.entries(st.stats.byOperation)
      .filter(([k]) => k.includes('/rest/api/3/'))
      .reduce((a, [, n]) => a + n, 0);
    return {
      args,
      genMs: ready.genMs,
      wallMs,
      requests,
      byEndpoint: st.stats.byOperation,
      minimum: ready.minimum,
      floorMs: args.rps > 0 ? (requests / args.rps) * 1000 : 0,
      serverPeakRssMb: peakRssMb(server.pid!),
      counts: ready.counts,
      synced: { resources: s.byType, grants: result.grants.length, expanded: result.expandedCount, entitlements: result.entitlements.length },
      retries: result.stats.retries,
      status: st.stats.byStatus,
      validationErrors: st.validationErrors,
    };
  } finally {
    server.kill('SIGTERM');
    fake.send({ type: 'stop' });
    await new Promise((r) => setTimeout(r, 200));
    fake.kill();
  }
}

export function formatSyncBench(r: SyncBenchResult): string {
  const lines: string[] = [];
  const a = r.args;
  lines.push(`### Sync of tier ${a.tier} (seed ${a.seed}), ${a.latency} ms latency, ${a.rps} requests/s limit, ${a.workers} sync workers`);
  lines.push('');
  lines.push(`| measure | value | target |`);
  lines.push(`|---|---|---|`);
  lines.push(`| upstream Jira requests | ${r.requests} (minimum ${r.minimum.total}, ratio ${(r.requests / r.minimum.total).toFixed(3)}) | ≤ 1.05 × minimum |`);
  lines.push(`| wall time | ${(r.wallMs / 1000).toFixed(1)} s (floor ${(r.floorMs / 1000).toFixed(1)} s, ratio ${r.floorMs ? (r.wallMs / r.floorMs).toFixed(3) : 'n/a'}) | ≤ 1.25 × floor |`);
  lines.push(`| connector server peak RSS | ${r.serverPeakRssMb.toFixed(0)} MB | ≤ 300 MB |`);
  lines.push(`| sync retries (UNAVAILABLE answered to the syncer) | ${r.retries} | |`);
  lines.push(
    `| HTTP statuses seen by the fake | ${Object.entries(r.status)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')} | |`,
  );
  lines.push(`| OpenAPI validation issues | ${r.validationErrors} | 0 |`);
  lines.push('');
  lines.push('| endpoint | requests | minimum |');
  lines.push('|---|---|---|');
  const keys = new Set([...Object.keys(r.minimum.byEndpoint), ...Object.keys(r.byEndpoint)]);
  for (const k of [...keys].sort()) lines.push(`| \`${k}\` | ${r.byEndpoint[k] ?? 0} | ${r.minimum.byEndpoint[k] ?? '–'} |`);
  lines.push('');
  lines.push(
    `Synced: ${Object.entries(r.synced.resources)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}; ${r.synced.entitlements} entitlements, ${r.synced.grants} direct grants, ${r.synced.expanded} expanded grants. Tenant: ${Object.entries(r.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. Tenant generated in ${(r.genMs / 1000).toFixed(1)} s.`,
  );
  return lines.join('\n');
}
