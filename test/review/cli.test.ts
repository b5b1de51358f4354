/**
 * The review commands as a user runs them (the CLI from the sources, in a child process):
 * `sync` in-process with the same flags and environment as `serve`, and against a running server
 * over mutual TLS; `report`; and the one-line errors with exit code 2 (bad configuration, a
 * snapshot that exists, an unfinished sync of another source, a missing snapshot).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { fakeConfig } from '../helpers/harness';
import { makePki } from '../helpers/certs';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import { startServer, RunningServer } from '../../src/server/server';
import { openForWrite, openSnapshot, partialPath, setMeta } from '../../src/review/store';
import { ttyProgress } from '../../src/review/progress';

const ROOT = join(__dirname, '..', '..');
// child processes and M-tier syncs: generous limits for a loaded machine (they take seconds when it is not)
jest.setTimeout(150_000);
let fake: FakeAtlassian;
let dir: string;

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 3 });
  dir = mkdtempSync(join(tmpdir(), 'review-cli-'));
});
afterAll(async () => {
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
    const child = spawn(process.execPath, ['-r', join(__dirname, 'helpers', 'ts-register.js'), join(ROOT, 'src', 'cli', 'main.ts'), ...args], { env: { ...base, ...env }, cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const envOf = (f: FakeAtlassian): Record<string, string> => ({
  BATON_JIRA_URL: f.siteUrl,
  BATON_JIRA_EMAIL: f.credentials.adminEmail,
  BATON_JIRA_API_TOKEN: f.credentials.classicToken,
  BATON_ATLASSIAN_API_URL: f.apiUrl,
});

test('sync in-process (config from the environment and flags), then report; a second sync refuses to overwrite', async () => {
  const out = join(dir, 'snap.sqlite');
  const env = envOf(fake);
  delete (env as Record<string, string | undefined>).BATON_JIRA_API_TOKEN;
  const r = await cli(['sync', '-o', out, '--jira-api-token', fake.credentials.classicToken, '--progress', 'lines'], env);
  expect({ code: r.code, stderr: r.stderr.includes('error') ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
  const c = fake.groundTruthCounts();
  expect(r.stdout).toContain(`${c.applicationRoles} product access roles, ${c.groups} groups, ${c.projects} projects, ${c.projectRoles} project roles, ${c.users} users`);
  expect(r.stderr).toMatch(/\d\d:\d\d:\d\d grants \d+\/\d+: .*requests/); // plain progress lines off a TTY
  expect(r.stderr).not.toContain(fake.credentials.classicToken);
  const db = openSnapshot(out);
  expect(db.prepare("SELECT value FROM meta WHERE key = 'source'").get()).toEqual({ value: fake.siteUrl });
  expect(db.prepare("SELECT value FROM meta WHERE key = 'status'").get()).toEqual({ value: 'complete' });
  db.close();

  const rep = await cli(['report', out]);
  expect(rep.code).toBe(0);
  const dirOut = join(dir, 'snap-report');
  expect(rep.stdout).toContain(`Report: ${join(dirOut, 'index.html')}`);
  expect(rep.stdout).toContain(`${c.users} people`);
  for (const f of ['index.html', 'people.csv', 'projects.csv', 'project-access.csv', 'findings.csv', 'access.csv']) expect(existsSync(join(dirOut, f))).toBe(true);
  expect(readFileSync(join(dirOut, 'index.html'), 'utf8')).toContain('<title>Jira access review');

  const again = await cli(['sync', '-o', out], envOf(fake));
  expect(again.code).toBe(2);
  expect(again.stderr.trim()).toMatch(/^error: .*snap\.sqlite already exists \(a snapshot finished .*\): choose another --out, or pass --overwrite/);
  const over = await cli(['sync', '-o', out, '--overwrite', '--progress', 'none'], envOf(fake));
  expect(over.code).toBe(0);
  expect(over.stderr).toBe('');
});

test('bad input: one line, exit code 2', async () => {
  const noUrl = await cli(['sync', '-o', join(dir, 'x.sqlite')]);
  expect({ code: noUrl.code, lines: noUrl.stderr.trim().split('\n').length }).toEqual({ code: 2, lines: 1 });
  expect(noUrl.stderr).toMatch(/^configuration error: .*jira-url/);

  const missing = await cli(['report', join(dir, 'missing.sqlite')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe(`error: no snapshot at ${join(dir, 'missing.sqlite')}`);

  const notSnap = join(dir, 'not-a-snapshot.sqlite');
  writeFileSync(notSnap, 'hello');
  const bad = await cli(['diff', notSnap, notSnap]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: .*not-a-snapshot\.sqlite is not a snapshot/);

  const badFlag = await cli(['report', notSnap, '--inactive-days', 'soon']);
  expect({ code: badFlag.code, err: badFlag.stderr.trim() }).toEqual({ code: 2, err: 'error: --inactive-days must be an integer of at least 1 (got "soon")' });

  // an unfinished sync of another source is not resumed silently
  const other = join(dir, 'other.sqlite');
  const db = openForWrite(partialPath(other));
  setMeta(db, 'sync_id', 'x');
  setMeta(db, 'source', 'http://elsewhere.example');
  setMeta(db, 'source_identity', '{"site":"http://elsewhere.example"}');
  db.close();
  const mixed = await cli(['sync', '-o', other], envOf(fake));
  expect(mixed.code).toBe(2);
  expect(mixed.stderr).toMatch(/is an unfinished sync of another source \(http:\/\/elsewhere\.example.*pass --restart to discard it/);
  const restarted = await cli(['sync', '-o', other, '--restart', '--progress', 'none'], envOf(fake));
  expect(restarted.code).toBe(0);
  expect(existsSync(partialPath(other))).toBe(false);
});

test('sync a running server over mutual TLS with --connector', async () => {
  const pki = makePki();
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(pki)) writeFileSync((files[k] = join(dir, `${k}.pem`)), v);
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  const server: RunningServer = await startServer(connector, {
    host: '127.0.0.1',
    port: 0,
    provisioning: false,
    tls: { certFile: files.serverCert, keyFile: files.serverKey, clientCaFile: files.caCert },
  });
  try {
    const out = join(dir, 'tls.sqlite');
    const r = await cli([
      'sync',
      '--connector',
      server.address,
      '--connector-ca',
      files.caCert,
      '--connector-cert',
      files.clientCert,
      '--connector-key',
      files.clientKey,
      '-o',
      out,
      '--progress',
      'none',
    ]);
    // (grpc-js makes Node warn that an IP address is used as the TLS server name: not ours to silence)
    expect({ code: r.code, stderr: r.stderr.replace(/.*DeprecationWarning.*\n|.*trace-deprecation.*\n/g, '') }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`${fake.groundTruthCounts().users} users`);
    const db = openSnapshot(out);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'source'").get()).toEqual({ value: `connector at ${server.address}` });
    db.close();
    const half = await cli(['sync', '--connector', server.address, '--connector-cert', files.clientCert, '-o', join(dir, 'y.sqlite')]);
    expect({ code: half.code, err: half.stderr.trim() }).toEqual({ code: 2, err: 'error: --connector-cert and --connector-key go together' });
  } finally {
    await server.stop();
  }
});

test('on a terminal the progress is one bar redrawn in place', () => {
  const writes: string[] = [];
  const stream = { isTTY: true, columns: 160, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  const bar = ttyProgress(stream);
  const p = {
    phase: 'grants' as const,
    phaseDone: 30,
    phaseTotal: 60,
    resources: { user: 50, group: 10 },
    entitlements: 38,
    grants: 100,
    expanded: 0,
    calls: 120,
    pages: 118,
    retries: 2,
    rateLimitWaits: 2,
    waitMs: 1500,
    resumed: false,
  };
  bar.update(p);
  bar.log('resources: 50 user');
  bar.update({ ...p, phaseDone: 60 });
  bar.done();
  expect(writes[0]).toBe('\r\x1b[2Kgrants              ████████░░░░░░░░ 30/60     | 120 requests, 2 waits (1.5 s) | grants 100 | users 50 groups 10');
  expect(writes).toContain('\r\x1b[2Kresources: 50 user\n');
  expect(writes[writes.length - 2]).toContain('████████████████ 60/60');
  expect(writes[writes.length - 1]).toBe('\n');
  // a narrow terminal keeps the requests and drops the counts
  const narrow: string[] = [];
  ttyProgress({ isTTY: true, columns: 80, write: (s: string) => (narrow.push(s), true) } as unknown as NodeJS.WriteStream).update(p);
  expect(narrow[0]).toBe('\r\x1b[2Kgrants              ████████░░░░░░░░ 30/60     | 120 requests, 2 waits (1.5 s)');
});
