/**
 * Benchmark of the fake Atlassian Cloud.
 *
 *   npm run build && npm run build:dev
 *   node --expose-gc dist/bench/fake-atlassian.js [--tier L] [--seed 1] [--duration 10] [--concurrency 16] [--validate all]
 *
 * 1. Generates the tier (default L) and reports generation time, heap growth and RSS.
 * 2. Serves it from this process (validation 'all', no latency injection) and drives it from a
 *    separate load-generator process on loopback with bounded concurrency for a bounded time,
 *    over a mix of list endpoints weighted like a full sync (atlassian-api.md §5: project-role
 *    actors dominate, then group members, roledetails, and the big pages of users/search).
 * 3. Prints requests/second, latency percentiles, per-operation counts and validation issues.
 */
import { fork } from 'node:child_process';
import * as http from 'node:http';
import { startFakeAtlassian, Tenant, type Tier } from '../src/fake-atlassian';

interface Args {
  tier: Tier;
  seed: number;
  duration: number;
  concurrency: number;
  validate: 'all' | 'requests' | 'off';
}

function parse(argv: string[]): Args & { role?: string } {
  const a: Args & { role?: string } = { tier: 'L', seed: 1, duration: 10, concurrency: 16, validate: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--tier':
        a.tier = v.toUpperCase() as Tier;
        i++;
        break;
      case '--seed':
        a.seed = Number(v);
        i++;
        break;
      case '--duration':
        a.duration = Number(v);
        i++;
        break;
      case '--concurrency':
        a.concurrency = Number(v);
        i++;
        break;
      case '--validate':
        a.validate = v as Args['validate'];
        i++;
        break;
      case '--role':
        a.role = v;
        i++;
        break;
      default:
        break;
    }
  }
  return a;
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

interface LoadPlan {
  urls: Array<{ path: string; auth: string; method?: string; body?: string }>;
  port: number;
  duration: number;
  concurrency: number;
}

interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  latencies: number[];
  bytes: number;
}

/** Load generator (runs in a child process so the server has its own CPU). */
async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const res: LoadResult = { requests: 0, errors: 0, statuses: {}, elapsedMs: 0, latencies: [], bytes: 0 };
  const t0 = performance.now();
  const deadline = t0 + plan.duration * 1000;
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const u = plan.urls[next++ % plan.urls.length];
      const start = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port: plan.port,
          path: u.path,
          method: u.method ?? 'GET',
          agent,
          headers: { Authorization: u.auth, Accept: 'application/json', ...(u.body ? { 'Content-Type': 'application/json' } : {}) },
        },
        (r) => {
          let n = 0;
          r.on('data', (c: Buffer) => (n += c.length));
          r.on('end', () => {
            res.requests++;
            res.bytes += n;
            res.statuses[String(r.statusCode)] = (res.statuses[String(r.statusCode)] ?? 0) + 1;
            res.latencies.push(performance.now() - start);
            resolve();
          });
        },
      );
      req.on('error', () => {
        res.errors++;
        resolve();
      });
      req.end(u.body);
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) await one();
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  res.elapsedMs = performance.now() - t0;
  agent.destroy();
  return res;
}

function buildMix(t: Tenant, siteAuth: string, orgAuth: string, orgId: string): LoadPlan['urls'] {
  const projects = t.projects().filter((p) => t.projectRoles(p.id).length > 0);
  const roles = t.roles();
  const groups = t.groups();
  const users = t.users().length;
  const out: LoadPlan['urls'] = [];
  const J = (path: string): void => void out.push({ path, auth: siteAuth });
  // per 100 requests: 70 role actors, 12 group members, 8 roledetails, 3 group/bulk, 2 project/search,
  // 2 users/search (1,000 per page), 2 admin v2 users (100 per page), 1 admin v1 users (100 per page)
  let pi = 0;
  let gi = 0;
  let ui = 0;
  let gb = 0;
  let ps = 0;
  for (let block = 0; block < 200; block++) {
    for (let k = 0; k < 70; k++) {
      const p = projects[pi % projects.length];
      const r = roles[Math.floor(pi / projects.length) % roles.length];
      pi++;
      J(`/rest/api/3/project/${p.id}/role/${r.id}`);
    }
    for (let k = 0; k < 12; k++) {
      const g = groups[gi++ % groups.length];
      const size = t.groupSize(g.groupId);
      const start = size > 50 ? 50 * (block % Math.ceil(size / 50)) : 0;
      J(`/rest/api/3/group/member?groupId=${g.groupId}&includeInactiveUsers=true&startAt=${start}&maxResults=50`);
    }
    for (let k = 0; k < 8; k++) J(`/rest/api/3/project/${projects[(pi + k * 7) % projects.length].key}/roledetails`);
    for (let k = 0; k < 3; k++) J(`/rest/api/3/group/bulk?startAt=${(gb++ * 50) % Math.max(1, groups.length)}&maxResults=50`);
    for (let k = 0; k < 2; k++) J(`/rest/api/3/project/search?startAt=${(ps++ * 100) % Math.max(1, projects.length)}&maxResults=100&expand=lead`);
    for (let k = 0; k < 2; k++) J(`/rest/api/3/users/search?startAt=${(ui++ * 1000) % Math.max(1, users)}&maxResults=1000`);
    out.push({ path: `/admin/v2/orgs/${orgId}/directories/-/users?limit=100`, auth: orgAuth });
    out.push({ path: `/admin/v2/orgs/${orgId}/directories/-/groups/search`, auth: orgAuth, method: 'POST', body: JSON.stringify({ limit: 100, expand: ['counts.users'] }) });
    out.push({ path: `/admin/v1/orgs/${orgId}/users`, auth: orgAuth });
  }
  return out;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (args.role === 'load') {
    process.once('message', (plan: LoadPlan) => {
      void runLoad(plan).then((r) => {
        // exit only once the result has been handed to the parent (process.send is asynchronous)
        process.send?.(r, () => process.exit(0));
      });
    });
    return;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const tenant = new Tenant({ tier: args.tier, seed: args.seed });
  const genMs = performance.now() - t0;
  gc?.();
  const mem = process.memoryUsage();
  const summary = tenant.summary();
  process.stdout.write(
    `Tier ${args.tier} (seed ${args.seed}) generated in ${genMs.toFixed(0)} ms; tenant heap ${mem.heapUsed - heap0 > 0 ? mb(mem.heapUsed - heap0) : '?'}${gc ? '' : ' (run with --expose-gc for an exact figure)'}; process RSS ${mb(mem.rss)}, heap used ${mb(mem.heapUsed)}\n`,
  );
  process.stdout.write(`  ${JSON.stringify(summary)}\n`);

  const t1 = performance.now();
  const fake = await startFakeAtlassian({ tenant, validate: args.validate });
  process.stdout.write(`Fake started in ${(performance.now() - t1).toFixed(0)} ms at ${fake.siteUrl} (validation ${args.validate}, no latency injection)\n`);
  const urls = buildMix(tenant, fake.credentials.admin.authorization, fake.credentials.orgApiKey.authorization, fake.orgId);
  const port = Number(new URL(fake.siteUrl).port);

  const runPhase = (duration: number): Promise<LoadResult> =>
    new Promise((resolve, reject) => {
      const child = fork(__filename, ['--role', 'load'], { stdio: 'inherit' });
      child.once('message', (m) => resolve(m as LoadResult));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`load generator exited (${code}) without a result`)));
      child.send({ urls, port, duration, concurrency: args.concurrency } satisfies LoadPlan);
    });

  await runPhase(2); // warm-up: compile validators, JIT
  fake.stats.reset();
  const cpu0 = process.cpuUsage();
  const r = await runPhase(args.duration);
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const lat = r.latencies.sort((a, b) => a - b);
  const rps = r.requests / (r.elapsedMs / 1000);
  const after = process.memoryUsage();
  process.stdout.write(
    [
      `Load: ${args.concurrency} concurrent keep-alive connections for ${args.duration} s from a separate process`,
      `  ${r.requests} requests in ${(r.elapsedMs / 1000).toFixed(2)} s = ${rps.toFixed(0)} req/s   (${mb(r.bytes)} received, ${mb(r.bytes / (r.elapsedMs / 1000))}/s)`,
      `  server CPU ${cpuSec.toFixed(2)} s for ${r.requests} requests = ${(r.requests / cpuSec).toFixed(0)} requests per server CPU-second (capacity of one dedicated core; independent of other load on the machine)`,
      `  latency ms: p50 ${pct(lat, 50).toFixed(1)}  p95 ${pct(lat, 95).toFixed(1)}  p99 ${pct(lat, 99).toFixed(1)}  max ${(lat[lat.length - 1] ?? 0).toFixed(1)}`,
      `  statuses ${JSON.stringify(r.statuses)}  transport errors ${r.errors}`,
      `  per operation ${JSON.stringify(fake.stats.byOperationId)}`,
      `  validation issues ${fake.validationErrors.length}${fake.validationErrors.length ? ': ' + JSON.stringify(fake.validationErrors.slice(0, 3)) : ''}`,
      `  server RSS after load ${mb(after.rss)}`,
      rps >= 1000 ? `PASS: ${rps.toFixed(0)} req/s >= 1000` : `BELOW TARGET: ${rps.toFixed(0)} req/s < 1000`,
    ].join('\n') + '\n',
  );
  await fake.stop();
  if (fake.validationErrors.length > 0 || r.errors > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
