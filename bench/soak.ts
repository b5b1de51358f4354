/**
 * Soak: N full syncs (Validate … Cleanup, the one sync loop) against one connector server process,
 * reading the server's heap after a full GC after each. Per-sync state leaves at Cleanup (and after
 * the idle TTL), so the heap after GC stays flat: what it shows is what the process keeps across
 * syncs (the cross-sync caches with their caps, keep-alive sockets, the code).
 *
 *   npm run bench -- --soak 20 [--tier M] [--seed 1] [--workers 4] [--abandon [--ttl-minutes 1]] [--write docs/PERFORMANCE.md]
 *
 * With --abandon no sync sends Cleanup, so only the idle TTL (--ttl-minutes, default 1 then)
 * frees a sync's state.
 */
import { fork } from 'node:child_process';
import { once } from './children';
import { join } from 'node:path';
import { dialConnector, ConnectorClient } from '../src/client/connector-client';
import { runSync } from '../src/client/sync';

export interface SoakArgs {
  syncs: number;
  tier: string;
  seed: number;
  workers: number;
  /** the syncs never send Cleanup (a runner that dies at the end): only the idle TTL frees their state */
  abandon: boolean;
  /** the server's sync-state-ttl-minutes */
  ttlMinutes: number;
}

export interface SoakResult {
  args: SoakArgs;
  /** heap used after GC (MB) right after start, then after each sync */
  startHeapMb: number;
  heapMb: number[];
  rssMb: number[];
  grants: number;
  syncMs: number[];
}

export async function runSoak(args: SoakArgs): Promise<SoakResult> {
  const dist = join(__dirname, '..');
  // no latency, no rate limit: the soak is about memory, not time
  const fake = fork(join(dist, 'bench', 'fake-child.js'), [args.tier, String(args.seed), '0', '0', 'off'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
  const server = fork(join(dist, 'bench', 'server-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
  try {
    const ready = await once<{ siteUrl: string; apiUrl: string; authUrl: string; email: string; token: string }>(fake, 'ready');
    server.send({
      type: 'start',
      raw: {
        'jira-url': ready.siteUrl,
        'jira-email': ready.email,
        'jira-api-token': ready.token,
        'atlassian-api-url': ready.apiUrl,
        'atlassian-auth-url': ready.authUrl,
        'sync-state-ttl-minutes': args.ttlMinutes,
      },
    });
    const up = await once<{ address: string; heapMb: number }>(server, 'ready');
    const dialed = dialConnector(up.address);
    const client: ConnectorClient = args.abandon
      ? {
          ...dialed,
          // Cleanup is never sent: the sync ends the way an interrupted runner leaves it
          connector: new Proxy(dialed.connector, { get: (t, p, r) => (p === 'cleanup' ? async () => ({ annotations: [] }) : Reflect.get(t, p, r)) }),
        }
      : dialed;
    const r: SoakResult = { args, startHeapMb: up.heapMb, heapMb: [], rssMb: [], grants: 0, syncMs: [] };
    for (let i = 0; i < args.syncs; i++) {
      const t0 = Date.now();
      const res = await runSync(client, { workers: args.workers });
      r.syncMs.push(Date.now() - t0);
      r.grants = res.grants.length;
      server.send({ type: 'heap' });
      const h = await once<{ heapMb: number; rssMb: number }>(server, 'heap');
      r.heapMb.push(h.heapMb);
      r.rssMb.push(h.rssMb);
      if (process.stderr.isTTY) process.stderr.write(`\rsync ${i + 1}/${args.syncs}: heap after GC ${h.heapMb.toFixed(1)} MB, RSS ${h.rssMb.toFixed(0)} MB   `);
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    dialed.close();
    return r;
  } finally {
    server.kill('SIGTERM');
    fake.send({ type: 'stop' });
    await new Promise((res) => setTimeout(res, 200));
    fake.kill();
  }
}

export function formatSoak(r: SoakResult): string {
  const a = r.args;
  const n = r.heapMb.length;
  const at = (i: number) => `${r.heapMb[i].toFixed(1)} MB`;
  const after1 = r.heapMb[0];
  const maxLater = Math.max(...r.heapMb.slice(1));
  const lines = [
    `### Soak: ${n} full syncs of tier ${a.tier} (seed ${a.seed}) in one server process${a.abandon ? `, none sending Cleanup (sync-state-ttl-minutes ${a.ttlMinutes})` : ''}`,
    '',
    '| measure | value |',
    '|---|---|',
    `| heap after GC: at start, after sync 1, ${Math.ceil(n / 2)}, ${n} | ${r.startHeapMb.toFixed(1)} MB, ${at(0)}, ${at(Math.ceil(n / 2) - 1)}, ${at(n - 1)} |`,
    `| heap after GC: highest after sync 2..${n}, minus after sync 1 | ${(maxLater - after1).toFixed(1)} MB |`,
    `| RSS after sync 1, ${n} | ${r.rssMb[0].toFixed(0)} MB, ${r.rssMb[n - 1].toFixed(0)} MB |`,
    `| sync time (median) | ${(([...r.syncMs].sort((x, y) => x - y)[Math.floor(n / 2)] ?? 0) / 1000).toFixed(1)} s |`,
    `| direct grants per sync | ${r.grants} |`,
    '',
    `Heap after GC after each sync (MB): ${r.heapMb.map((x) => x.toFixed(1)).join(', ')}.`,
  ];
  return lines.join('\n');
}
