/**
 * Self-hosted service mode (issue 21): `baton-bridge service` runs the official SDK's connector
 * command line with client credentials, as a baton-jira service process would, against our gRPC
 * server; `baton-bridge fake-platform` stands in for the platform (an HTTPS token endpoint that
 * checks the SDK's JWT client assertion, and c1.connectorapi.baton.v1.BatonService over TLS, both
 * found through BATON_C1_API_HOST; its CA reaches the SDK through SSL_CERT_FILE, which Go reads for
 * the system roots). The platform hands out a full sync, a grant, a grant that must fail and a
 * revoke: the uploaded c1z equals the tenant's ground truth, the grant and revoke change the fake
 * tenant and finish as successes, the failure is reported to the platform with its gRPC code (and
 * the process goes on), and SIGTERM to both (a pod stop) ends the bridge, its connector child and
 * `serve` cleanly. Needs dist/ (npm test builds it first).
 *
 * Needs Go >= 1.25.2 (the bridge is built once and cached, as for sdk-bridge.test.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AddressInfo, createServer } from 'node:net';
import YAML from 'yaml';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { BRIDGE_BIN, BUILD_TIMEOUT_MS, ensureBridge, runBridge, readDump, expectedFrom, compare, NO_DIFF, Expected } from './bridge';

const TIMEOUT = 5 * 60_000;

interface PlatformEvent {
  event: string;
  taskId?: string;
  type?: string;
  ok?: boolean;
  code?: string;
  message?: string;
  file?: string;
  response?: { grants?: { id: string }[]; annotations?: { '@type': string }[] };
  [k: string]: unknown;
}

/** A child process whose stdout is JSON lines, with a way to wait for a line. */
class Events {
  readonly all: PlatformEvent[] = [];
  private waiters: { pred: (e: PlatformEvent) => boolean; resolve: (e: PlatformEvent) => void }[] = [];
  constructor(child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: PlatformEvent;
      try {
        e = JSON.parse(line) as PlatformEvent;
      } catch {
        return;
      }
      this.all.push(e);
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
  }
  next(pred: (e: PlatformEvent) => boolean, what: string, ms = TIMEOUT): Promise<PlatformEvent> {
    const seen = this.all.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} event in ${ms} ms; events: ${JSON.stringify(this.all).slice(0, 4000)}`)), ms);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }
}

const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve({ code: p.exitCode, signal: p.signalCode })
    : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })));

/** Child processes of `pid` (Linux /proc), to see that none outlives the bridge. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ")"
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** The bridge's exit status and its output (for commands that print no JSON). */
function runPlain(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(BRIDGE_BIN, args, { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => (clearTimeout(t), resolve({ code, out })));
  });
}

let dir: string;
let fake: FakeAtlassian;
let server: ChildProcess; // `jira-connector serve`, as the pod's connector container runs it
let serverAddress = '';
let serverLog = '';
let platform: ChildProcess;
let bridge: ChildProcess;
let events: Events;
let bridgeLog = '';
let expected: Expected;
let healthPort = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
const plan = { grantGroup: '', grantUser: '', revokeGroup: '', revokeUser: '', missingGroup: randomUUID() };

beforeAll(async () => {
  ensureBridge();
  dir = mkdtempSync(join(tmpdir(), 'service-mode-'));
  fake = await startFakeAtlassian({ tier: 'S', seed: 31 });
  server = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js'), 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      BATON_HOST: '127.0.0.1',
      BATON_PORT: '0',
      BATON_PROVISIONING: 'true',
      BATON_JIRA_URL: fake.siteUrl,
      BATON_JIRA_EMAIL: fake.credentials.adminEmail,
      BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
      BATON_ATLASSIAN_API_URL: fake.apiUrl,
      BATON_ATLASSIAN_AUTH_URL: fake.authUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serverAddress = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${serverLog}`)), 30_000);
    const onData = (d: Buffer) => {
      serverLog += d;
      const m = /"msg":"jira connector listening".*?"address":"([^"]+)"|"address":"([^"]+)".*?"msg":"jira connector listening"/.exec(serverLog);
      if (m) {
        clearTimeout(t);
        resolve(m[1] ?? m[2]);
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
  });

  // what the full sync must upload: the tenant before the grant and revoke tasks change it
  expected = expectedFrom(fake.tenant);
  const t = fake.tenant;
  const ordinary = t.groups().filter((g) => !g.system && !g.externalSynced);
  const g = ordinary[0];
  plan.grantGroup = g.groupId;
  plan.grantUser = t.users().find((u) => u.accountType === 'atlassian' && t.isActiveInJira(u) && !t.isGroupMember(g.groupId, u.accountId))!.accountId;
  const r = ordinary.find((x) => x.groupId !== g.groupId && t.groupMembers(x.groupId).some((a) => t.isActiveInJira(t.users().find((u) => u.accountId === a)!)))!;
  plan.revokeGroup = r.groupId;
  plan.revokeUser = t.groupMembers(r.groupId).find((a) => t.isActiveInJira(t.users().find((u) => u.accountId === a)!))!;

  const res = (type: string, id: string) => ({ id: { resourceType: type, resource: id } });
  const ent = (gid: string) => ({ id: `group:${gid}:member`, resource: res('group', gid), slug: 'member' });
  const tasks = [
    { syncFull: {} },
    { grant: { entitlement: ent(plan.grantGroup), principal: res('user', plan.grantUser) } },
    { grant: { entitlement: ent(plan.missingGroup), principal: res('user', plan.grantUser) } },
    {
      revoke: {
        grant: {
          id: `group:${plan.revokeGroup}:member:user:${plan.revokeUser}`,
          entitlement: ent(plan.revokeGroup),
          principal: res('user', plan.revokeUser),
        },
      },
    },
  ];
  writeFileSync(join(dir, 'tasks.json'), JSON.stringify(tasks));
  healthPort = await freePort();

  platform = spawn(BRIDGE_BIN, ['fake-platform', '--tasks', join(dir, 'tasks.json'), '--out-dir', join(dir, 'uploads'), '--ca-out', join(dir, 'platform-ca.pem')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  events = new Events(platform);
  const listening = await events.next((e) => e.event === 'listening', 'listening', 30_000);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    SSL_CERT_FILE: join(dir, 'platform-ca.pem'),
    BATON_C1_API_HOST: listening.host as string,
    BATON_CLIENT_ID: listening.clientId as string,
    BATON_CLIENT_SECRET: listening.clientSecret as string,
    BATON_CONNECTOR_ADDR: serverAddress,
    BATON_PROVISIONING: 'true',
    BATON_HOST_ID: 'service-mode-test',
    BATON_C1Z_TEMP_DIR: dir,
    // the SDK's HTTP health endpoint, asked below with its own health-check command (the pod's probes)
    BATON_HEALTH_CHECK: 'true',
    BATON_HEALTH_CHECK_PORT: String(healthPort),
  };
  bridge = spawn(BRIDGE_BIN, ['service', '--log-level', 'info'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  bridge.stdout!.on('data', (d) => (bridgeLog += d));
  bridge.stderr!.on('data', (d) => (bridgeLog += d));
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  for (const p of [bridge, platform, server]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test(
  'the platform gets a Hello, a c1z equal to the ground truth, and the results of the grant, failing grant and revoke tasks',
  async () => {
    const done = await events
      .next((e) => e.event === 'done' || e.event === 'error', 'done')
      .catch((e: Error) => {
        throw new Error(`${e.message}\nbridge log: ${bridgeLog.slice(-6000)}`);
      });
    if (done.event === 'error') throw new Error(`platform error ${JSON.stringify(done)}\nbridge log: ${bridgeLog.slice(-6000)}`);
    expect(events.all.filter((e) => e.event === 'token').length).toBeGreaterThan(0);
    const hello = events.all.find((e) => e.event === 'hello')!;
    expect(hello).toMatchObject({ hostId: 'service-mode-test' });
    expect(hello.displayName).toBeTruthy();

    const tasks = events.all.filter((e) => e.event === 'task');
    expect(tasks.map((e) => e.type)).toEqual(['syncFull', 'grant', 'grant', 'revoke']);
    const finish = (i: number) => events.all.find((e) => e.event === 'finish' && e.taskId === tasks[i].taskId)!;

    // the full sync: the uploaded c1z, read by the SDK's own reader, is the tenant as it was
    expect(finish(0)).toMatchObject({ ok: true });
    const upload = events.all.find((e) => e.event === 'upload' && e.taskId === tasks[0].taskId)!;
    const dumpPath = join(dir, 'uploaded.json');
    const read = await runBridge(['read', '--c1z', upload.file!, '--dump', dumpPath], 120_000);
    expect(read.code).toBe(0);
    expect(compare(readDump(dumpPath), expected)).toEqual({ resources: NO_DIFF, entitlements: NO_DIFF, grants: NO_DIFF });

    // the grant: done in the tenant, reported with the new grant
    expect(finish(1)).toMatchObject({ ok: true });
    expect(finish(1).response?.grants?.map((g) => g.id)).toEqual([`group:${plan.grantGroup}:member:user:${plan.grantUser}`]);
    expect(fake.tenant.isGroupMember(plan.grantGroup, plan.grantUser)).toBe(true);

    // the grant to a group that does not exist: the connector's error reaches the platform as the task's status
    expect(finish(2)).toMatchObject({ ok: false, code: 'NotFound', nonRetryable: true });
    expect(finish(2).message).toMatch(/group/i);

    // the revoke, after the failure: the process went on
    expect(finish(3)).toMatchObject({ ok: true });
    expect(fake.tenant.isGroupMember(plan.revokeGroup, plan.revokeUser)).toBe(false);
    expect(bridge.exitCode).toBeNull();
  },
  TIMEOUT,
);

test("the SDK's health-check command (the pod's probes) answers for the running bridge", async () => {
  for (const endpoint of ['ready', 'live']) {
    const r = await runPlain(['service', 'health-check', `--endpoint=${endpoint}`, `--health-check-port=${healthPort}`]);
    expect({ endpoint, code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ endpoint, code: 0, out: '' });
  }
});

test('a client secret that is not the registered key is refused at the token endpoint, and the bridge exits 1 saying so', async () => {
  const listening = events.all.find((e) => e.event === 'listening')!;
  // a well-formed secret of the SDK's shape, for another Ed25519 key
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const wrongSecret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(jwk)).toString('base64url')}`;
  const before = events.all.length;
  const p = spawn(BRIDGE_BIN, ['service'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      SSL_CERT_FILE: join(dir, 'platform-ca.pem'),
      BATON_C1_API_HOST: listening.host as string,
      BATON_CLIENT_ID: listening.clientId as string,
      BATON_CLIENT_SECRET: wrongSecret,
      BATON_CONNECTOR_ADDR: serverAddress,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (out += d));
  const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
  const end = await exited(p);
  clearTimeout(t);
  expect({ end, out: end.code === 1 ? '' : out.slice(-3000) }).toEqual({ end: { code: 1, signal: null }, out: '' });
  expect(out).toMatch(/Unauthenticated|401/);
  expect(out).not.toContain(wrongSecret);
  const refused = events.all.slice(before).filter((e) => e.event === 'error' && e.where === 'token');
  expect(refused.map((e) => e.error)).toContain("assertion not signed by the client's key");
  expect(events.all.slice(before).filter((e) => e.event === 'token' || e.event === 'hello')).toEqual([]);
});

test('deploy/kubernetes/service-mode.yaml: the bridge container uses the flags and env names of `baton-bridge service`, and reaches the connector on loopback', async () => {
  const docs = YAML.parseAllDocuments(readFileSync(join(__dirname, '..', '..', 'deploy', 'kubernetes', 'service-mode.yaml'), 'utf8')).map((d) => d.toJSON());
  const pod = docs.find((d) => d.kind === 'Deployment').spec.template.spec;
  const byName = Object.fromEntries(pod.containers.map((c: { name: string }) => [c.name, c]));
  const help = (await runPlain(['service', '--help'])).out;
  const envs = new Set([...help.matchAll(/\$(BATON_[A-Z0-9_]+)/g)].map((m) => m[1]));
  const envOf = (c: { env: { name: string; value: string }[] }) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  const bridgeEnv = envOf(byName.bridge);
  const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === byName.bridge.envFrom[0].secretRef.name);
  for (const name of [...Object.keys(bridgeEnv), ...Object.keys(secret.stringData)]) expect(envs).toContain(name);
  expect(Object.keys(secret.stringData).sort()).toEqual(['BATON_CLIENT_ID', 'BATON_CLIENT_SECRET']);
  expect(byName.bridge.args).toEqual(['service']);
  for (const probe of [byName.bridge.readinessProbe, byName.bridge.livenessProbe]) expect(probe.exec.command.slice(1, 3)).toEqual(['service', 'health-check']);
  expect(bridgeEnv.BATON_HEALTH_CHECK).toBe('true');
  // the connector listens on loopback only, where the bridge dials it; both may write
  const connectorEnv = envOf(byName.connector);
  expect(connectorEnv.BATON_HOST).toBe('127.0.0.1');
  expect(bridgeEnv.BATON_CONNECTOR_ADDR).toBe(`127.0.0.1:${connectorEnv.BATON_PORT}`);
  expect([connectorEnv.BATON_PROVISIONING, bridgeEnv.BATON_PROVISIONING]).toEqual(['true', 'true']);
  // the c1z is written to /tmp: a writable volume under a read-only root
  expect(byName.bridge.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
  expect(pod.terminationGracePeriodSeconds).toBe(30);
});

test('stopping the pod (SIGTERM to the bridge and the server) ends both, and the connector child, with exit 0', async () => {
  const children = childrenOf(bridge.pid!);
  expect(children.length).toBeGreaterThan(0); // the SDK's `_connector-service` child
  expect(readFileSync(`/proc/${children[0]}/cmdline`, 'utf8')).toContain('_connector-service');
  bridge.kill('SIGTERM');
  server.kill('SIGTERM');
  expect(await exited(bridge)).toEqual({ code: 0, signal: null });
  expect(await exited(server)).toEqual({ code: 0, signal: null });
  expect(serverLog).toMatch(/"msg":"stopped"/);
  // the child ends with its parent (the SDK kills it with the runner's context, and it exits when its stdin closes)
  for (let i = 0; i < 50 && children.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  expect(children.filter(alive)).toEqual([]);
  platform.kill('SIGTERM');
  expect(await exited(platform)).toEqual({ code: 0, signal: null });
});
