/**
 * The built CLI as a user runs it (npm test builds dist/ first): capabilities, config, manifest,
 * bad configuration (exit 2, one line, no stack trace, no secret), serve + health, validate.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { checkHealth } from '../../src/cli/health';
import { isLoopbackHost } from '../../src/server/exposure';
import { BUILT_MAIN, cleanEnv, runBuilt, runBuiltSync } from '../helpers/built-cli';

const ROOT = join(__dirname, '..', '..');
const MAIN = BUILT_MAIN;
const run = runBuiltSync;
const runAsync = runBuilt;

test('capabilities prints ConnectorCapabilities JSON', () => {
  const r = run(['capabilities']);
  expect(r.status).toBe(0);
  const caps = JSON.parse(r.stdout);
  expect(caps.connectorCapabilities).toContain('CAPABILITY_SYNC');
  expect(caps.resourceTypeCapabilities.map((c: { resourceType: { id: string } }) => c.resourceType.id)).toEqual([
    'api-token',
    'application-role',
    'global-permission',
    'group',
    'organization',
    'project',
    'project-role',
    'site',
    'user',
  ]);
});

test('config prints every field with env var, required and secret flags', () => {
  const r = run(['config']);
  expect(r.status).toBe(0);
  const cfg = JSON.parse(r.stdout);
  const byName = new Map(cfg.fields.map((f: { name: string }) => [f.name, f]));
  expect(byName.get('jira-url')).toMatchObject({ envVar: 'BATON_JIRA_URL', isRequired: true, isSecret: false });
  expect(byName.get('jira-api-token')).toMatchObject({ envVar: 'BATON_JIRA_API_TOKEN', isSecret: true });
  expect(byName.get('atlassian-orgid')).toMatchObject({ envVar: 'BATON_ATLASSIAN_ORGID' });
  expect(byName.get('provisioning')).toMatchObject({ envVar: 'BATON_PROVISIONING', defaultValue: false });
  for (const f of cfg.fields) expect(f.envVar).toMatch(/^BATON_[A-Z0-9_]+$/);
});

test('connector.yaml agrees with what capabilities and config print', () => {
  const committed = YAML.parse(readFileSync(join(ROOT, 'connector.yaml'), 'utf8'));
  expect(committed.capabilities).toEqual(JSON.parse(run(['capabilities']).stdout));
  expect(committed.config).toEqual(JSON.parse(run(['config']).stdout));
  expect(readFileSync(join(ROOT, 'connector.yaml'), 'utf8')).toBe(run(['manifest']).stdout);
});

describe('bad configuration', () => {
  const secret = 'tok-very-secret-0123456789';
  const cases: [string, Record<string, string>, RegExp][] = [
    ['missing URL', { BATON_JIRA_API_TOKEN: secret, BATON_JIRA_EMAIL: 'a@b.example' }, /--jira-url \(BATON_JIRA_URL\): required/],
    ['http on a public host', { BATON_JIRA_URL: 'http://example.atlassian.net', BATON_JIRA_EMAIL: 'a@b.example', BATON_JIRA_API_TOKEN: secret }, /loopback/],
    ['half the org settings', { BATON_JIRA_URL: 'https://x.atlassian.net', BATON_JIRA_EMAIL: 'a@b.example', BATON_JIRA_API_TOKEN: secret, BATON_ATLASSIAN_API_TOKEN: secret }, /BATON_ATLASSIAN_ORGID/],
    ['bad boolean', { BATON_JIRA_URL: 'https://x.atlassian.net', BATON_JIRA_EMAIL: 'a@b.example', BATON_JIRA_API_TOKEN: secret, BATON_PROVISIONING: 'sure' }, /BATON_PROVISIONING/],
    ['bad port', { BATON_JIRA_URL: 'https://x.atlassian.net', BATON_JIRA_EMAIL: 'a@b.example', BATON_JIRA_API_TOKEN: secret, BATON_PORT: 'eighty' }, /BATON_PORT/],
  ];
  test.each(cases)('%s: exit 2, one line naming the field, no stack, no secret', (_name, env, expected) => {
    const r = run(['serve'], env);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^configuration error: /);
    expect(lines[0]).toMatch(expected);
    expect(r.stderr + r.stdout).not.toContain(secret);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('against the fake tenant', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 3 });
  });
  afterAll(async () => fake?.stop());

  const env = () => ({
    BATON_JIRA_URL: fake.siteUrl,
    BATON_JIRA_EMAIL: fake.credentials.adminEmail,
    BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
    BATON_ATLASSIAN_API_URL: fake.apiUrl,
    BATON_ATLASSIAN_AUTH_URL: fake.authUrl,
  });

  test('validate says what works', async () => {
    const r = await runAsync(['validate'], env());
    expect(r.stdout).toMatch(/Authentication: basic/);
    expect(r.stdout).toMatch(/All checks passed/);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(fake.credentials.classicToken);
  });

  test('validate with a wrong token says what is wrong and exits 1', async () => {
    const r = await runAsync(['validate'], { ...env(), BATON_JIRA_API_TOKEN: 'wrong-token-0000000' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL/);
    expect(r.stdout + r.stderr).not.toContain('wrong-token-0000000');
  });

  test('validate says where serve would listen, and warns about plaintext on a non-loopback address', async () => {
    const local = await runAsync(['validate'], env());
    expect(local.stdout).toMatch(/^Server: 127\.0\.0\.1:50051, plaintext$/m);
    expect(local.stdout).not.toMatch(/WARNING/);
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      const open = await runAsync(['validate', '--host', host], env());
      expect(open.status).toBe(0);
      expect(open.stdout).toContain(`Server: ${host}:50051, plaintext — WARNING: plaintext gRPC on the non-loopback address ${host}: anyone who can reach it`);
    }
    const tls = await runAsync(['validate'], { ...env(), BATON_HOST: '0.0.0.0', BATON_TLS_CERT: '/etc/tls/tls.crt', BATON_TLS_KEY: '/etc/tls/tls.key', BATON_TLS_CLIENT_CA: '/etc/tls/ca.crt' });
    expect(tls.stdout).toMatch(/^Server: 0\.0\.0\.0:50051, mTLS$/m);
    expect(tls.stdout).not.toMatch(/WARNING/);
    const metrics = await runAsync(['validate', '--metrics-addr', '0.0.0.0:9464'], env());
    expect(metrics.stdout).toMatch(/^Metrics: http:\/\/0\.0\.0\.0:9464\/metrics — WARNING: Prometheus metrics on the non-loopback address 0\.0\.0\.0/m);
  });

  test('serve warns once when it serves plaintext on a non-loopback address, and not on loopback', async () => {
    const started = async (host: string) => {
      const child = spawn(process.execPath, [MAIN, 'serve', '--host', host, '--port', '0', '--log-format', 'json'], { env: { ...cleanEnv(), ...env() } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => child.once('exit', r));
      const deadline = Date.now() + 15000;
      while (!stderr.includes('listening')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGTERM');
      await exited;
      return stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string; address?: string });
    };
    const open = (await started('0.0.0.0')).filter((l) => l.level === 'warn');
    expect(open).toEqual([expect.objectContaining({ address: expect.stringMatching(/^0\.0\.0\.0:\d+$/), msg: expect.stringMatching(/^plaintext gRPC on the non-loopback address 0\.0\.0\.0: /) })]);
    expect((await started('127.0.0.1')).filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  test('serve --metrics-addr serves Prometheus metrics, warns on a non-loopback address, and a bad address is refused naming the field', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-addr', '0.0.0.0:0', '--log-format', 'json'], { env: { ...cleanEnv(), ...env() } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 15000;
      while (!stderr.includes('Prometheus metrics on the non-loopback')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const lines = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string; metrics?: string });
      const url = lines.find((l) => l.msg === 'Prometheus metrics listening')!.metrics!;
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/metrics$/);
      expect(lines.filter((l) => l.level === 'warn')).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^Prometheus metrics on the non-loopback address 0\.0\.0\.0/) })]);
      const res = await fetch(url.replace('0.0.0.0', '127.0.0.1'));
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE jira_connector_rpcs_total counter');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const bad = await runAsync(['serve', '--metrics-addr', 'localhost'], env());
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('metrics-addr');
  });

  test('serve listens, answers health checks and stops on SIGTERM', async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', String(port), '--log-format', 'json'], { env: { ...cleanEnv(), ...env() } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const deadline = Date.now() + 15000;
      for (;;) {
        if (stderr.includes('listening')) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await checkHealth(`127.0.0.1:${port}`)).toBe('SERVING');
      const h = await runAsync(['health', '--address', `127.0.0.1:${port}`]);
      expect(h.status).toBe(0);
      expect(h.stdout.trim()).toBe('SERVING');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(stderr).not.toContain(fake.credentials.classicToken);
  });
});

describe('grant --dry-run', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 8 });
  });
  afterAll(async () => fake?.stop());

  test('prints the write it would send and changes nothing; without --dry-run it applies', async () => {
    const t = fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
    const u = t.users().find((x) => x.accountType === 'atlassian' && !t.isGroupMember(g.groupId, x.accountId))!;
    const env = { BATON_JIRA_URL: fake.siteUrl, BATON_JIRA_EMAIL: fake.credentials.adminEmail, BATON_JIRA_API_TOKEN: fake.credentials.classicToken };
    const args = ['grant', '--resource-type', 'group', '--resource', g.groupId, '--slug', 'member', '--principal-type', 'user', '--principal', u.accountId];
    const dry = await runAsync([...args, '--dry-run'], env);
    expect(dry.status).toBe(0);
    const out = JSON.parse(dry.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.wouldSend).toEqual([expect.objectContaining({ method: 'POST', body: { accountId: u.accountId } })]);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
    const real = await runAsync([...args, '--provisioning'], env);
    expect(real.status).toBe(0);
    expect(JSON.parse(real.stdout).grants).toEqual([`group:${g.groupId}:member:user:${u.accountId}`]);
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
  });
});

describe('provisioning commands write only with --provisioning', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 9 });
  });
  afterAll(async () => fake?.stop());

  const env = (extra: Record<string, string> = {}) => ({ BATON_JIRA_URL: fake.siteUrl, BATON_JIRA_EMAIL: fake.credentials.adminEmail, BATON_JIRA_API_TOKEN: fake.credentials.classicToken, ...extra });
  const orgEnv = () => env({ BATON_ATLASSIAN_ORGID: fake.orgId, BATON_ATLASSIAN_API_TOKEN: fake.credentials.orgApiKey.key, BATON_ATLASSIAN_API_URL: fake.apiUrl });
  const target = (groupId: string, accountId: string) => ['--resource-type', 'group', '--resource', groupId, '--slug', 'member', '--principal-type', 'user', '--principal', accountId];

  test('without the switch grant, revoke and create-account refuse with FAILED_PRECONDITION (exit 1) and send nothing', async () => {
    const t = fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
    const outside = t.users().find((x) => x.accountType === 'atlassian' && !t.isGroupMember(g.groupId, x.accountId))!;
    const inside = t.users().find((x) => x.accountType === 'atlassian' && t.isGroupMember(g.groupId, x.accountId))!;
    fake.stats.reset();
    const runs = [
      ['grant', await runAsync(['grant', ...target(g.groupId, outside.accountId)], env())],
      ['revoke', await runAsync(['revoke', ...target(g.groupId, inside.accountId)], env({ BATON_PROVISIONING: 'false' }))],
      ['create-account', await runAsync(['create-account', '--email', 'nobody.new@example.test'], env())],
    ] as const;
    for (const [what, r] of runs) {
      expect({ what, status: r.status, stdout: r.stdout }).toEqual({ what, status: 1, stdout: '' });
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `error: FAILED_PRECONDITION: provisioning is not enabled, so ${what} is refused; pass --provisioning (BATON_PROVISIONING=true) to allow changes, or --dry-run to print what would be sent`,
      );
    }
    expect(fake.stats.snapshot().total).toBe(0);
    expect(t.isGroupMember(g.groupId, outside.accountId)).toBe(false);
    expect(t.isGroupMember(g.groupId, inside.accountId)).toBe(true);
    expect(t.userByEmailAddress('nobody.new@example.test')).toBeUndefined();

    // BATON_PROVISIONING=true is the switch too
    const ok = await runAsync(['revoke', ...target(g.groupId, inside.accountId)], env({ BATON_PROVISIONING: 'true' }));
    expect(ok.status).toBe(0);
    expect(t.isGroupMember(g.groupId, inside.accountId)).toBe(false);
  });

  test('a refusal of the server is printed with its code and exits 1 (a group synced from an identity provider)', async () => {
    const t = fake.tenant;
    const synced = t.groups().find((x) => x.externalSynced)!;
    const u = t.users().find((x) => x.claimStatus === 'managed' && x.directoryId === synced.directoryId && !t.isGroupMember(synced.groupId, x.accountId))!;
    const r = await runAsync(['grant', ...target(synced.groupId, u.accountId), '--provisioning'], orgEnv());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: FAILED_PRECONDITION: .*identity provider/);
    expect(t.isGroupMember(synced.groupId, u.accountId)).toBe(false);
  });

  test('create-account without the organization says a hidden-email account could not be ruled out', async () => {
    const r = await runAsync(['create-account', '--email', 'brand.new@example.test', '--provisioning'], env());
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ result: 'success', account: fake.tenant.userByEmailAddress('brand.new@example.test')!.accountId });
    expect(out.note).toMatch(/hidden by profile visibility could not be ruled out/);
  });
});

test('loopback addresses are told apart from addresses other machines can reach', () => {
  const loopback = ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'];
  const exposed = ['0.0.0.0', '::', '[::]', '192.168.1.20', '10.0.0.1', 'fe80::1', '::ffff:10.0.0.1', 'jira-connector.internal', '128.0.0.1'];
  expect(loopback.filter((h) => !isLoopbackHost(h))).toEqual([]);
  expect(exposed.filter((h) => isLoopbackHost(h))).toEqual([]);
});
