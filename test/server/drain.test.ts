/**
 * Graceful drain of the built `serve` on SIGTERM, as Kubernetes stops a pod: health turns NOT_SERVING, new calls are
 * refused with UNAVAILABLE, the call in flight (a ListGrants held up by 3 s of upstream latency) completes with the
 * tenant's actors, the process exits 0; a second signal exits at once; calls still running when the grace ends are
 * cancelled. Needs `npm run build` (spawns dist/src/cli/main.js).
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { dialConnector } from '../../src/client/connector-client';
import { checkHealth } from '../../src/cli/health';
import { GrantsServiceListGrantsRequest, GrantsServiceListGrantsResponse } from '../../src/gen/c1/connector/v2/grant';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const ROLE_ACTORS = 'GET /rest/api/3/project/{projectIdOrKey}/role/{id}';

let fake: FakeAtlassian;
let target: { projectId: string; roleId: number; principals: string[] };

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 4 });
  const t = fake.tenant;
  const found = t
    .projects()
    .flatMap((p) => t.projectRoles(p.id).map((r) => ({ projectId: p.id, roleId: r.id, actors: t.roleActors(p.id, r.id) })))
    .find((x) => x.actors.users.length + x.actors.groups.length > 0)!;
  target = { projectId: found.projectId, roleId: found.roleId, principals: [...found.actors.users.map((u) => `user:${u}`), ...found.actors.groups.map((g) => `group:${g}`)].sort() };
});
afterAll(async () => fake?.stop());
/** Every slow role request has been answered by the fake (so no latency timer outlives the test). */
const fakeAnswered = () => Object.values(fake.stats.byOperationStatus[ROLE_ACTORS] ?? {}).reduce((a, b) => a + b, 0) === fake.stats.count(ROLE_ACTORS);
afterEach(async () => {
  fake.faults.clear();
  await waitFor('the fake to answer its slow requests', fakeAnswered);
});

interface Served {
  child: ChildProcessWithoutNullStreams;
  address: string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function waitFor(what: string, cond: () => boolean, s?: Served, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${s ? `: ${s.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function serve(graceSeconds: number): Promise<Served> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_'))),
    BATON_JIRA_URL: fake.siteUrl,
    BATON_JIRA_EMAIL: fake.credentials.adminEmail,
    BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
    BATON_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
  };
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--log-format', 'json'], { env });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const s: Served = { child, address: '', stderr: () => err, exit };
  await waitFor('the server to listen', () => err.includes('jira connector listening') || child.exitCode !== null, s);
  s.address = JSON.parse(err.split('\n').find((l) => l.includes('jira connector listening'))!).address;
  return s;
}

const listGrants = (address: string) => {
  const c = dialConnector(address);
  const p = c.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: { id: { resourceType: 'project-role', resource: `${target.projectId}:${target.roleId}` } } }), {
    deadlineMs: 30000,
  });
  return p.finally(() => c.close());
};
const principals = (r: GrantsServiceListGrantsResponse) => r.list.map((g) => `${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`).sort();
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: ServiceError) => ({ ok: false as const, error }),
  );

/** A ListGrants that is waiting on the fake's (slow) role endpoint. */
async function inFlightListGrants(s: Served, latencyMs: number) {
  fake.faults.latency(latencyMs, ROLE_ACTORS);
  const before = fake.stats.count(ROLE_ACTORS);
  const call = settle(listGrants(s.address));
  await waitFor('the role request to reach the fake', () => fake.stats.count(ROLE_ACTORS) > before, s);
  return { call }; // wrapped: an async function returning the promise itself would wait for it
}

test('SIGTERM drains: health NOT_SERVING, new calls UNAVAILABLE, the call in flight completes, exit 0', async () => {
  const s = await serve(20);
  try {
    expect(await checkHealth(s.address)).toBe('SERVING');
    const { call } = await inFlightListGrants(s, 3000);
    s.child.kill('SIGTERM');
    await waitFor('the drain to start', () => s.stderr().includes('draining'), s);

    expect(await checkHealth(s.address)).toBe('NOT_SERVING');
    const refused = await settle(listGrants(s.address));
    expect(refused.ok).toBe(false);
    expect(!refused.ok && { code: refused.error.code, details: refused.error.details }).toEqual({ code: Code.UNAVAILABLE, details: expect.stringMatching(/shutting down/) });

    const done = await call;
    expect(done.ok).toBe(true);
    expect(done.ok && principals(done.value)).toEqual(target.principals);
    expect(await s.exit).toEqual({ code: 0, signal: null });
    expect(s.stderr()).toMatch(/"msg":"stopped"/);
    expect(s.stderr()).not.toMatch(/cancelled/);
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('a second SIGTERM exits at once with 143, without waiting for the call in flight', async () => {
  const s = await serve(20);
  try {
    const { call } = await inFlightListGrants(s, 3000);
    s.child.kill('SIGTERM');
    await waitFor('the drain to start', () => s.stderr().includes('draining'), s);
    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 143, signal: null });
    const r = await call;
    expect(r.ok).toBe(false);
    expect(s.stderr()).toMatch(/second signal/);
  } finally {
    s.child.kill('SIGKILL');
  }
});

test('a call still running when the grace ends is cancelled, and the process still exits 0', async () => {
  const s = await serve(0.5);
  try {
    const { call } = await inFlightListGrants(s, 2000);
    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 0, signal: null });
    const r = await call;
    expect(r.ok).toBe(false);
    expect(s.stderr()).toMatch(/"cancelled":1/);
  } finally {
    s.child.kill('SIGKILL');
  }
});
