/**
 * Sync benchmark: the fake tenant (own process, injected latency and a rate limit), the connector
 * server (own process, so its peak RSS is its own), and the sync loop (src/client/loop.ts, the one
 * the tests, the demo and the review CLI run) driving it over gRPC into memory. Reports upstream
 * requests per endpoint against the minimum the page caps allow, wall time against the floor
 * (requests ÷ rate limit) and the server's peak RSS.
 *
 *   npm run bench -- [--tier L] [--latency 50] [--rps 100] [--workers 4] [--write docs/PERFORMANCE.md]
 */
import { dialConnector } from '../src/client/connector-client';
import { runSync } from '../src/client/sync';
import { summarize } from '../src/client/summary';
import type { Minimum } from './minimum';
import { fakeStats, floorMs, isOrgRequest, optionFlags, peakRssMb, startFake, startServer, stopFake, TenantArgs } from './children';

export interface SyncBenchArgs extends TenantArgs {
  workers: number;
  /** false: the loop sends no active_sync_id, as an older host (--no-sync-id) */
  sendSyncId?: boolean;
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

export async function runSyncBench(args: SyncBenchArgs): Promise<SyncBenchResult> {
  const { fake, ready } = await startFake(args);
  let server: Awaited<ReturnType<typeof startServer>>['server'] | undefined;
  try {
    const started = await startServer(args, ready);
    server = started.server;
    const client = dialConnector(`127.0.0.1:${started.port}`);
    const t0 = Date.now();
    const result = await runSync(client, {
      workers: args.workers,
      sendSyncId: args.sendSyncId,
      expansion: 'count',
      onProgress: (p) => {
        const resources = Object.values(p.resources).reduce((a, n) => a + n, 0);
        if (process.stderr.isTTY) process.stderr.write(`\r${p.phase.padEnd(19)} resources ${resources} grants ${p.grants} calls ${p.calls} retries ${p.retries}   `);
      },
    });
    const wallMs = Date.now() - t0;
    if (process.stderr.isTTY) process.stderr.write('\n');
    client.close();
    const st = await fakeStats(fake);
    const s = summarize(result);
    // Jira's API, and with the organization its admin and user management APIs (the areas the bench's rate limits cover)
    const counted = Object.fromEntries(Object.entries(st.stats.byOperation).filter(([k]) => k.includes(' /rest/api/3/') || (!!args.org && isOrgRequest(k))));
    const requests = Object.values(counted).reduce((a, n) => a + n, 0);
    return {
      args,
      genMs: ready.genMs,
      wallMs,
      requests,
      byEndpoint: st.stats.byOperation,
      minimum: ready.minimum,
      floorMs: floorMs(counted, args.rps),
      serverPeakRssMb: peakRssMb(server.pid!),
      counts: ready.counts,
      synced: { resources: s.byType, grants: result.grants.length, expanded: result.expandedCount, entitlements: result.entitlements.length },
      retries: result.stats.retries,
      status: st.stats.byStatus,
      validationErrors: st.validationErrors,
    };
  } finally {
    server?.kill('SIGTERM');
    await stopFake(fake);
  }
}

export function formatSyncBench(r: SyncBenchResult): string {
  const lines: string[] = [];
  const a = r.args;
  lines.push(
    `### Sync of tier ${a.tier} (seed ${a.seed}), ${a.latency} ms latency, ${a.rps} requests/s limit, ${a.workers} sync workers${a.sendSyncId === false ? ', no active_sync_id' : ''}${optionFlags(a).length ? `, ${optionFlags(a).join(' ')}` : ''}`,
  );
  lines.push('');
  lines.push(`| measure | value | target |`);
  lines.push(`|---|---|---|`);
  lines.push(`| upstream ${a.org ? 'Jira and organization' : 'Jira'} requests | ${r.requests} (minimum ${r.minimum.total}, ratio ${(r.requests / r.minimum.total).toFixed(3)}) | ≤ 1.05 × minimum |`);
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
