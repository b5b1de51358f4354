/**
 * Security fuzz suite (issue 13): at least 10,000 bounded, seeded, fuzzed requests across every
 * RPC of the gRPC server, against the fake Atlassian Cloud, with provisioning and ticketing on; half the batches
 * go to a server with the Atlassian organization configured (directory-group writes, account
 * actions, organization cursors). Asserts, with the fake tenant and the fake's request log as
 * ground truth:
 *   - no crash: after every batch both servers answer a health check and a normal GetResource;
 *   - only documented status codes (never INTERNAL, UNKNOWN or a deadline), no stack trace in a message;
 *   - every upstream request matches an expected endpoint template (./templates.ts), ids in the shapes of src/id-shapes.ts;
 *   - every write changes only the resource and principal its ids name (writes run one at a time, tenant diffed after each);
 *   - the heap after GC stays bounded, and the event loop never stalls.
 * FUZZ_SEED and FUZZ_COUNT override the seed and the number of requests; the summary goes to stdout
 * and to .tmp/security-fuzz-summary.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, credentials, Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { fakeConfig } from '../helpers/harness';
import { startFakeAtlassian, type FakeAtlassian, type LoggedRequest } from '../../src/fake-atlassian';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import { startServer, type RunningServer } from '../../src/server/server';
import { dialConnector } from '../../src/client/connector-client';
import { runSync } from '../../src/client/sync';
import { Resource, ResourceGetterServiceGetResourceRequest, ResourceGetterServiceGetResourceResponse } from '../../src/gen/c1/connector/v2/resource';
import { GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest } from '../../src/gen/c1/connector/v2/grant';
import { ALL_RPCS, Fuzzer, poolsOf, writeIntent, type FuzzCase } from './generators';
import { checkRequest, show } from './templates';
import { allowed, describeChange, describeIntent, diff, snapshot, type Change, type TenantState } from './ground';

const SEED = Number(process.env.FUZZ_SEED ?? 13013);
const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const BATCH = 500;
const CONCURRENCY = 16;
const DEADLINE_MS = 20_000;
/** heap growth (after GC) the run may leave behind: about 16 MiB without oversized sync ids, 50+ with the caches keyed by them */
const HEAP_BOUND = 40 * 1024 * 1024;
/** longest the event loop may stall (a 30,000-character email must not block every other RPC) */
const STALL_BOUND_MS = 2000;
/**
 * Documented answers: bad input, unknown things, refusals, unsupported RPCs, a conflict, gRPC's own
 * size limit. Not documented: INTERNAL and UNKNOWN (a connector bug), DEADLINE_EXCEEDED (no answer
 * in 20 s), UNAVAILABLE (the fake injects no faults: it would blame Atlassian for the caller's
 * input), UNAUTHENTICATED (the credentials never change: it means a request went out with others).
 */
const DOCUMENTED = new Set(['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'PERMISSION_DENIED', 'UNIMPLEMENTED', 'ALREADY_EXISTS', 'RESOURCE_EXHAUSTED']);
const STACK = /\n\s+at |\bat [\w.<>]+ \(.*:\d+:\d+\)|\.(ts|js):\d+:\d+|node:internal|Error: .*\n/;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Server {
  name: 'plain' | 'org';
  running: RunningServer;
  raw: Client;
}

interface Outcome {
  code: string;
  details: string;
}

const ident = (b: Buffer) => b;

function call(raw: Client, path: string, bytes: Buffer, stream: boolean): Promise<Outcome & { body?: Buffer }> {
  const deadline = Date.now() + DEADLINE_MS;
  return new Promise((resolve) => {
    if (stream) {
      const s = raw.makeServerStreamRequest(path, ident, ident, bytes, new Metadata(), { deadline });
      s.on('data', () => undefined);
      s.on('error', () => undefined);
      s.on('status', (st) => resolve({ code: Code[st.code], details: st.details }));
      return;
    }
    raw.makeUnaryRequest(path, ident, ident, bytes, new Metadata(), { deadline }, (err: ServiceError | null, res?: Buffer) =>
      resolve(err ? { code: Code[err.code] ?? String(err.code), details: err.details ?? '' } : { code: 'OK', details: '', body: res }),
    );
  });
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Everything the run saw; the tests below assert on it, afterAll prints it. */
const R = {
  seed: SEED,
  requested: COUNT,
  sent: 0,
  elapsedMs: 0,
  /** CPU time of this process (fake, both servers and the client), independent of other load on the machine */
  cpuMs: 0,
  byRpc: {} as Record<string, number>,
  codes: {} as Record<string, number>,
  undocumented: { count: 0, byCode: {} as Record<string, number>, first: [] as string[], firstByCode: {} as Record<string, string[]> },
  stackTraces: { count: 0, first: [] as string[] },
  upstream: { total: 0, outside: 0, dropped: 0, byReason: {} as Record<string, number>, first: [] as string[] },
  writes: { sent: 0, changes: 0, violations: 0, first: [] as string[] },
  health: { checks: 0, failures: [] as string[] },
  memory: { heapBefore: 0, heapAfter: 0, rssBefore: 0, rssAfter: 0, rssPeak: 0 },
  eventLoop: { maxMs: 0, p99Ms: 0 },
  specials: {} as Record<string, Record<string, number>>,
  /** slowest answers: "rpc [label]" -> longest ms */
  slowest: {} as Record<string, number>,
  batchMs: [] as string[],
  selfCheck: { syncRequests: 0, outside: [] as string[] },
  ran: false,
};

let fake: FakeAtlassian;
let servers: Server[] = [];

async function startConnector(name: 'plain' | 'org'): Promise<Server> {
  // the org server also syncs global permissions (one permissions/check per account)
  const extra = name === 'org' ? { 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key, 'jira-global-permissions': true, 'jira-audit-days': 30 } : {};
  const cfg = parseConnectorConfig(fakeConfig(fake, { provisioning: true, ticketing: true, 'jira-work-items': true, 'jira-activity-days': 30, ...extra }));
  const { connector } = await buildConnector(cfg);
  const running = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: cfg.provisioning });
  const raw = new Client(running.address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  return { name, running, raw };
}

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 5, requestLog: 500_000 });
  servers = [await startConnector('plain'), await startConnector('org')];
}, 60_000);

afterAll(async () => {
  for (const s of servers) {
    s.raw.close();
    await s.running.stop();
  }
  await fake?.stop();
  const text = summary();
  console.log(text);
  try {
    const dir = join(__dirname, '..', '..', '.tmp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'security-fuzz-summary.json'), JSON.stringify(R, null, 2));
    writeFileSync(join(dir, 'security-fuzz-summary.txt'), text);
  } catch {
    // the summary on stdout is enough
  }
}, 30_000);

function summary(): string {
  const top = (o: Record<string, number>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `security fuzz: seed ${R.seed} (FUZZ_SEED), ${R.sent} requests sent (FUZZ_COUNT ${R.requested} + findings' reproductions) in ${(R.elapsedMs / 1000).toFixed(1)} s (CPU ${(R.cpuMs / 1000).toFixed(1)} s)`,
    `  codes: ${top(R.codes)}`,
    `  undocumented codes: ${R.undocumented.count}${R.undocumented.count ? ` (${top(R.undocumented.byCode)})` : ''}`,
    ...Object.values(R.undocumented.firstByCode).flatMap((xs) => xs.slice(0, 3).map((x) => `    ${x}`)),
    `  stack traces in messages: ${R.stackTraces.count}${R.stackTraces.count ? `; first: ${R.stackTraces.first.slice(0, 3).join(' | ')}` : ''}`,
    `  upstream requests: ${R.upstream.total}; outside the expected templates: ${R.upstream.outside}${R.upstream.dropped ? ` (log dropped ${R.upstream.dropped})` : ''}`,
    ...(R.upstream.outside ? [`    by reason: ${top(R.upstream.byReason)}`, ...R.upstream.first.slice(0, 10).map((x) => `    ${x}`)] : []),
    `  writes: ${R.writes.sent} requests, ${R.writes.changes} tenant changes, ${R.writes.violations} not named by the request's ids`,
    ...R.writes.first.slice(0, 10).map((x) => `    ${x}`),
    `  health: ${R.health.checks} checks after batches, ${R.health.failures.length} failures${R.health.failures.length ? `: ${R.health.failures.slice(0, 3).join(' | ')}` : ''}`,
    `  memory: heap after GC ${MiB(R.memory.heapBefore)} -> ${MiB(R.memory.heapAfter)} (bound +${MiB(HEAP_BOUND)}); RSS ${MiB(R.memory.rssBefore)} -> ${MiB(R.memory.rssAfter)}, peak ${MiB(R.memory.rssPeak)}`,
    `  event loop: longest stall ${R.eventLoop.maxMs.toFixed(0)} ms (bound ${STALL_BOUND_MS} ms), p99 ${R.eventLoop.p99Ms.toFixed(0)} ms`,
    `  slowest answers: ${Object.entries(R.slowest)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')}`,
    `  batches (reads/writes ms): ${R.batchMs.join(', ')}`,
    `  findings' reproductions (label: codes): ${Object.entries(R.specials)
      .map(([k, v]) => `${k.replace('special: ', '')}: ${top(v)}`)
      .join('; ')}`,
  ].join('\n');
}

function noteUpstream(): void {
  const { requests, dropped } = fake.stats.takeLog();
  R.upstream.total += requests.length;
  R.upstream.dropped += dropped;
  for (const r of requests) {
    const why = checkRequest(r, fake.orgId);
    if (!why) continue;
    R.upstream.outside++;
    const reason = why
      .replace(/"[^"]*"/g, '"…"')
      .replace(/\(template .*\)$/, '')
      .replace(/\d+/g, 'N')
      .trim();
    R.upstream.byReason[reason] = (R.upstream.byReason[reason] ?? 0) + 1;
    if (R.upstream.first.length < 25) R.upstream.first.push(`${show(r)}: ${why}`);
  }
}

async function healthy(s: Server): Promise<string | undefined> {
  const h = await call(s.raw, '/grpc.health.v1.Health/Check', Buffer.alloc(0), false);
  if (h.code !== 'OK' || !h.body || h.body[0] !== 0x08 || h.body[1] !== 0x01) return `${s.name}: health ${h.code} ${h.details}`;
  const p = fake.tenant.projects()[0];
  const req = Buffer.from(ResourceGetterServiceGetResourceRequest.encode(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'project', resource: p.id } })).finish());
  const g = await call(s.raw, '/c1.connector.v2.ResourceGetterService/GetResource', req, false);
  if (g.code !== 'OK' || !g.body) return `${s.name}: GetResource ${g.code} ${g.details}`;
  const name = ResourceGetterServiceGetResourceResponse.decode(new Uint8Array(g.body)).resource?.displayName;
  return name === p.name ? undefined : `${s.name}: GetResource answered ${name}, the tenant says ${p.name}`;
}

let state: TenantState;

/** Tenant changes since the last look that no write request made (reads must not write). */
function unexplained(when: string): void {
  if (fake.tenant.version === state.version) return;
  const now = snapshot(fake.tenant);
  for (const c of diff(state, now)) {
    R.writes.violations++;
    if (R.writes.first.length < 25) R.writes.first.push(`${when}: ${describeChange(c)} with no write request in flight`);
  }
  state = now;
}

function record(c: FuzzCase, o: Outcome, ms: number): void {
  R.sent++;
  const key = `${c.rpc} [${c.label}]`;
  R.slowest[key] = Math.max(R.slowest[key] ?? 0, ms);
  R.byRpc[c.rpc] = (R.byRpc[c.rpc] ?? 0) + 1;
  R.codes[o.code] = (R.codes[o.code] ?? 0) + 1;
  if (c.label.startsWith('special')) {
    const m = (R.specials[c.label] ??= {});
    m[o.code] = (m[o.code] ?? 0) + 1;
  }
  const brief = `${c.rpc} [${c.label}, ${c.bytes.length} bytes] -> ${o.code}: ${o.details.slice(0, 160)}`;
  if (!DOCUMENTED.has(o.code)) {
    R.undocumented.count++;
    R.undocumented.byCode[o.code] = (R.undocumented.byCode[o.code] ?? 0) + 1;
    if (R.undocumented.first.length < 25) R.undocumented.first.push(brief);
    const ex = (R.undocumented.firstByCode[o.code] ??= []);
    if (ex.length < 5) ex.push(brief);
  }
  if (STACK.test(o.details)) {
    R.stackTraces.count++;
    if (R.stackTraces.first.length < 10) R.stackTraces.first.push(brief);
  }
}

async function runWrite(s: Server, c: FuzzCase): Promise<void> {
  unexplained('before a write');
  const intent = writeIntent(c);
  const t0 = Date.now();
  const o = await call(s.raw, c.path, c.bytes, c.stream);
  record(c, o, Date.now() - t0);
  R.writes.sent++;
  if (fake.tenant.version === state.version) return;
  const now = snapshot(fake.tenant);
  const changes = diff(state, now);
  state = now;
  R.writes.changes += changes.length;
  // a created account may be put in its products' groups
  const created = new Set(changes.filter((x) => x.what === 'account' && allowed(intent, x)).map((x) => (x as Extract<Change, { what: 'account' }>).accountId));
  for (const ch of changes) {
    if (allowed(intent, ch) || (intent.kind === 'create-account' && ch.what === 'group-member' && ch.op === 'add' && created.has(ch.accountId))) continue;
    R.writes.violations++;
    if (R.writes.first.length < 25) R.writes.first.push(`${s.name} ${c.rpc} [${c.label}] named ${describeIntent(intent)} -> ${o.code}; changed ${describeChange(ch)}`);
  }
}

describe('security fuzz against the fake Atlassian Cloud', () => {
  test('self-check: a full sync and plain writes stay inside the templates; the matcher refuses the known bad requests', async () => {
    fake.stats.takeLog();
    const t = fake.tenant;
    for (const s of servers) {
      const client = dialConnector(s.running.address);
      try {
        await runSync(client, { workers: 4 });
        // one write of each kind, undone
        const g = t.groups().find((x) => !x.system && !x.externalSynced && x.directoryId && x.inJira)!;
        const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.isGroupMember(g.groupId, x.accountId) && x.directoryId)!;
        const p = t.projects()[3];
        const role = t.roles()[0];
        const stub = (type: string, id: string) => Resource.fromPartial({ id: { resourceType: type, resource: id } });
        const ent = (type: string, id: string, slug: string) => ({ id: `${type}:${id}:${slug}`, resource: stub(type, id) });
        for (const [type, id, slug] of [
          ['group', g.groupId, 'member'],
          ['project-role', `${p.id}:${role.id}`, 'assigned'],
        ]) {
          await client.grantManager.grant(GrantManagerServiceGrantRequest.fromPartial({ entitlement: ent(type, id, slug), principal: stub('user', u.accountId) }));
          await client.grantManager.revoke(GrantManagerServiceRevokeRequest.fromPartial({ grant: { entitlement: ent(type, id, slug), principal: stub('user', u.accountId) } }));
        }
      } finally {
        client.close();
      }
    }
    const { requests } = fake.stats.takeLog();
    R.selfCheck.syncRequests = requests.length;
    R.selfCheck.outside = requests.filter((r) => checkRequest(r, fake.orgId)).map((r) => `${show(r)}: ${checkRequest(r, fake.orgId)}`);
    expect(requests.length).toBeGreaterThan(50);
    expect(requests.some((r) => r.path.startsWith('/admin/v2/'))).toBe(true);
    expect(R.selfCheck.outside).toEqual([]);

    const org = fake.orgId;
    const bad: LoggedRequest[] = [
      { method: 'DELETE', path: '/rest/api/3/role/10000', query: 'user=557058%3Aabc', auth: 'basic' },
      { method: 'POST', path: '/rest/api/3/role/10000', query: '', auth: 'basic' },
      { method: 'GET', path: '/rest/api/3/', query: 'expand=lead', auth: 'basic' },
      { method: 'GET', path: '/rest/api/3/project/%2e%2e', query: 'expand=lead', auth: 'basic' },
      { method: 'GET', path: '/rest/api/3/project/10001/role/..', query: '', auth: 'basic' },
      { method: 'POST', path: '/rest/api/3/group/user', query: 'groupId=..', auth: 'basic' },
      { method: 'GET', path: '/rest/api/3/users/search', query: 'startAt=050&maxResults=50', auth: 'basic' },
      { method: 'GET', path: '/rest/api/3/user/search', query: `query=${'a'.repeat(300)}%40acme.example`, auth: 'basic' },
      { method: 'GET', path: `/admin/v1/orgs/${org}/users`, query: 'cursor=x&evil=1', auth: 'bearer' },
      { method: 'GET', path: `/admin/v1/orgs/${org}/users`, query: 'cursor=x', auth: 'basic' },
      { method: 'GET', path: '/admin/v1/orgs/other-org/users', query: '', auth: 'bearer' },
    ];
    for (const r of bad) expect([show(r), checkRequest(r, org)]).toEqual([show(r), expect.any(String)]);
  }, 120_000);

  test(`fuzz run: ${COUNT} requests (seed ${SEED})`, async () => {
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const pools = poolsOf(fake);
    const fz = new Fuzzer(SEED, pools);
    const specials = fz.specials(fake.tenant);
    const nBatches = Math.max(2, Math.ceil(COUNT / BATCH));
    const plan: FuzzCase[][] = Array.from({ length: nBatches }, () => []);
    // reproductions of the findings, spread over the batches of their server (even: plain, odd: org)
    const half = Math.ceil(nBatches / 2);
    let ip = 0;
    let io = 0;
    for (const c of specials) {
      const b = c.server === 'org' ? Math.min(nBatches - 1, 2 * (io++ % Math.floor(nBatches / 2)) + 1) : 2 * (ip++ % half);
      plan[b].push(c);
    }
    fake.stats.takeLog();
    gc();
    const m0 = process.memoryUsage();
    R.memory.heapBefore = m0.heapUsed;
    R.memory.rssBefore = m0.rss;
    R.memory.rssPeak = m0.rss;
    const sampler = setInterval(() => (R.memory.rssPeak = Math.max(R.memory.rssPeak, process.memoryUsage.rss())), 50);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    state = snapshot(fake.tenant);
    let drawn = 0;
    try {
      for (let b = 0; b < nBatches; b++) {
        const s = servers[b % 2];
        const batch = plan[b];
        for (let i = 0; i < BATCH && drawn < COUNT; i++, drawn++) batch.push(fz.next());
        const reads = batch.filter((c) => !c.write);
        const writes = batch.filter((c) => c.write);
        const tb = Date.now();
        const [tr, tw] = await Promise.all([
          pool(reads, CONCURRENCY, async (c) => {
            const t0 = Date.now();
            const o = await call(s.raw, c.path, c.bytes, c.stream);
            record(c, o, Date.now() - t0);
          }).then(() => Date.now() - tb),
          (async () => {
            for (const c of writes) await runWrite(s, c);
            return Date.now() - tb;
          })(),
        ]);
        R.batchMs.push(`${s.name} ${reads.length}r/${writes.length}w ${tr}/${tw} ms`);
        unexplained('after a batch');
        for (const x of servers) {
          R.health.checks++;
          const bad = await healthy(x);
          if (bad) R.health.failures.push(`after batch ${b}: ${bad}`);
        }
        noteUpstream();
        // the fake's own records of bad requests are not the server's memory
        fake.validationErrors.length = 0;
        fake.stats.reset();
      }
    } finally {
      clearInterval(sampler);
      loop.disable();
      R.eventLoop.maxMs = loop.max / 1e6;
      R.eventLoop.p99Ms = loop.percentile(99) / 1e6;
      R.elapsedMs = Date.now() - started;
      const cpu = process.cpuUsage(cpu0);
      R.cpuMs = (cpu.user + cpu.system) / 1000;
    }
    gc();
    await new Promise((r) => setTimeout(r, 100));
    gc();
    const m1 = process.memoryUsage();
    R.memory.heapAfter = m1.heapUsed;
    R.memory.rssAfter = m1.rss;
    R.ran = true;
    expect(R.sent).toBeGreaterThanOrEqual(COUNT);
  }, 300_000);

  test('every RPC of the server was exercised', () => {
    expect(R.ran).toBe(true);
    expect(ALL_RPCS.filter((r) => !R.byRpc[r.rpc]).map((r) => r.rpc)).toEqual([]);
  });

  test('no crash: both servers answered a health check and a normal GetResource after every batch', () => {
    expect(R.ran).toBe(true);
    expect(R.health.failures).toEqual([]);
  });

  test('only documented status codes (never INTERNAL, UNKNOWN or DEADLINE_EXCEEDED) and no stack trace in any message', () => {
    expect(R.ran).toBe(true);
    expect({ count: R.undocumented.count, byCode: R.undocumented.byCode, first: R.undocumented.first.slice(0, 10) }).toEqual({ count: 0, byCode: {}, first: [] });
    expect(R.stackTraces.first).toEqual([]);
  });

  test('no upstream request outside the expected endpoint templates', () => {
    expect(R.ran).toBe(true);
    expect(R.upstream.dropped).toBe(0);
    expect(R.upstream.total).toBeGreaterThan(Math.min(1000, COUNT / 10));
    expect({ outside: R.upstream.outside, first: R.upstream.first.slice(0, 10) }).toEqual({ outside: 0, first: [] });
  });

  test('no write to a resource other than the one the ids name', () => {
    expect(R.ran).toBe(true);
    // the fuzz must have written, or this test proves nothing
    expect(R.writes.changes).toBeGreaterThan(Math.min(20, COUNT / 500));
    expect({ violations: R.writes.violations, first: R.writes.first.slice(0, 10) }).toEqual({ violations: 0, first: [] });
  });

  test(`heap bounded: at most ${MiB(HEAP_BOUND)} more after GC`, () => {
    expect(R.ran).toBe(true);
    expect(R.memory.heapAfter - R.memory.heapBefore).toBeLessThan(HEAP_BOUND);
  });

  test(`the event loop never stalls longer than ${STALL_BOUND_MS} ms`, () => {
    expect(R.ran).toBe(true);
    expect(R.eventLoop.maxMs).toBeLessThan(STALL_BOUND_MS);
  });
});
