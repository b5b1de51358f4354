/**
 * The review commands as a user runs them (the CLI from the sources, in a child process):
 * `sync` in-process with the same flags and environment as `serve`, and against a running server
 * over mutual TLS; `report`; the one-line errors with exit code 2 (bad configuration, a snapshot
 * that exists, an unfinished sync of another source, a missing snapshot, every usage error); a
 * reader that closes the output; warnings with `--progress none`; an interrupted or failed sync
 * that says how to resume; a refused sync that leaves nothing to block the corrected rerun.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
import { runCli, envOf } from './helpers/cli';

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

const cli = (args: string[], env: Record<string, string> = {}, opts: Parameters<typeof runCli>[3] = {}) => runCli(dir, args, env, opts);

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
  for (const f of ['index.html', 'people.csv', 'projects.csv', 'project-access.csv', 'findings.csv', 'access.csv', 'decisions.csv', 'summary.txt']) expect(existsSync(join(dirOut, f))).toBe(true);
  expect(readFileSync(join(dirOut, 'index.html'), 'utf8')).toContain('<title>Jira access review');

  // sign-off and the one-screen summary
  const sum = await cli(['report', out, '--summary', '--reviewer', 'Alice Auditor', '--campaign', 'Q4 2026 Jira review']);
  expect({ code: sum.code, err: sum.stderr }).toEqual({ code: 0, err: '' });
  const lines = sum.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(`Jira access review — Q4 2026 Jira review — ${fake.siteUrl}`);
  expect(lines[1]).toMatch(/; reviewer Alice Auditor$/);
  expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^People: ${c.users} \\(`)));
  expect(lines.length).toBeLessThanOrEqual(30);
  expect(readFileSync(join(dirOut, 'summary.txt'), 'utf8')).toBe(sum.stdout);
  expect(readFileSync(join(dirOut, 'index.html'), 'utf8')).toMatch(/Campaign <b>Q4 2026 Jira review<\/b> · reviewer <b>Alice Auditor<\/b>/);
  const badReviewer = await cli(['report', out, '--reviewer', 'a\nb']);
  expect(badReviewer.code).toBe(2);
  expect(badReviewer.stderr).toBe('error: --reviewer must be one line of at most 200 characters\n');

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

test('every usage error, of every command, is one line and exit 2; asking for help is exit 0', async () => {
  const cases: [string[], RegExp][] = [
    [['report', 'x.sqlite', '--bogus'], /^error: unknown option '--bogus'/],
    [['sync', '--outt', 'x.sqlite'], /^error: unknown option '--outt' \(Did you mean --out\?\)/],
    [['sync', '--progress'], /^error: option '--progress <mode>' argument missing/],
    [['sync', '--progress', 'fancy'], /^error: option '--progress <mode>' argument 'fancy' is invalid/],
    [['diff', 'a.sqlite'], /^error: missing required argument 'new'/],
    [['diff', 'a.sqlite', 'b.sqlite', '--format', 'xml'], /^error: option '--format <format>' argument 'xml' is invalid/],
    [['report', 'a.sqlite', 'b.sqlite'], /^error: too many arguments for 'report'/],
    [['grant', '--nope'], /^error: unknown option '--nope'/],
    [['capabilities', '--nope'], /^error: unknown option '--nope'/],
    [['no-such-command'], /^error: unknown command 'no-such-command'/],
    [['demo', '--tier', 'Q'], /^error: option '--tier <tier>' argument 'Q' is invalid\. It must be S, M or L\./],
    [['demo', '--seed', 'x'], /^error: option '--seed <n>' argument 'x' is invalid/],
    [['health', '--timeout', 'soon'], /^error: option '--timeout <ms>' argument 'soon' is invalid/],
  ];
  for (const [args, line] of cases) {
    const r = await cli(args);
    expect({ args, code: r.code, lines: r.stderr.trimEnd().split('\n').length, stdout: r.stdout }).toEqual({ args, code: 2, lines: 1, stdout: '' });
    expect(r.stderr).toMatch(line);
    expect(r.stderr).toContain('(run with --help for the list of options)');
  }
  const help = await cli(['report', '--help']);
  expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
  expect(help.stdout).toContain('Usage: jira-connector report [options] <snapshot>');
});

test('a reader that closes the output early (`report | head -1`) ends the command quietly, exit 0, never a stack trace', async () => {
  const out = join(dir, 'pipe.sqlite');
  const s = await cli(['sync', '-o', out, '--progress', 'none'], envOf(fake));
  expect(s.code).toBe(0);
  const reportDir = join(dir, 'pipe-report');
  const rep = await cli(['report', out, '-o', reportDir], {}, { closeStdout: true });
  expect({ code: rep.code, signal: rep.signal, stderr: rep.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(readFileSync(join(reportDir, 'people.csv'), 'utf8')).toContain(fake.credentials.adminEmail); // the work was done before the output
  for (const format of ['text', 'json', 'csv']) {
    const d = await cli(['diff', out, out, '--format', format], {}, { closeStdout: true });
    expect({ format, code: d.code, signal: d.signal, stderr: d.stderr }).toEqual({ format, code: 0, signal: null, stderr: '' });
  }
  // the exit code the command had already chosen is kept
  const notSnap = join(dir, 'not-a-snapshot-2.sqlite');
  writeFileSync(notSnap, 'hello');
  const bad = await cli(['diff', notSnap, out], {}, { closeStdout: true });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: .*is not a snapshot/);
  const cfg = await cli(['config'], {}, { closeStdout: true });
  expect({ code: cfg.code, stderr: cfg.stderr }).toEqual({ code: 0, stderr: '' });
});

/**
 * One project role whose actors Jira cannot list (404 on every read of it, the background
 * prefetch's and the call's own): the last role of the last project that has roles, which
 * Validate's probe does not read.
 */
function roleNotFound(f: FakeAtlassian): string {
  const p = f.tenant
    .projects()
    .filter((x) => f.tenant.projectRoles(x.id).length)
    .at(-1)!;
  const role = f.tenant.projectRoles(p.id).at(-1)!;
  const path = `/rest/api/3/project/${p.id}/role/${role.id}`;
  return f.faults.add({ match: (r) => r.path === path, status: { code: 404 } });
}

test('an interrupted sync says it is resumable and the exact commands; --progress none still shows the resume notice and warnings', async () => {
  const out = join(dir, 'interrupted.sqlite');
  const partial = partialPath(out);
  const slow = fake.faults.latency(40);
  let signalled = false;
  let r;
  try {
    // --restart on the interrupted command: the resume command must not carry it (it would discard what is stored)
    r = await cli(['sync', '-o', out, '--restart', '--progress', 'lines', '--workers', '2'], envOf(fake), {
      onStderr: (child, stderr) => {
        if (!signalled && /\bresources: \d+/.test(stderr)) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    });
  } finally {
    fake.faults.remove(slow);
  }
  expect({ code: r.code, signal: r.signal }).toEqual({ code: 143, signal: null });
  expect(r.stderr).toContain('sync interrupted (SIGTERM)');
  expect(r.stderr).toMatch(new RegExp(`the sync is resumable: ${partial.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} keeps \\d+ finished listings and [1-9]\\d* pages`));
  const resumeLine = r.stderr.split('\n').find((l) => l.includes('resume it (the same command again): '));
  expect(resumeLine?.split(': ').slice(1).join(': ')).toBe(`jira-connector sync -o ${out} --progress lines --workers 2`);
  expect(r.stderr).toContain(`or start over:                      jira-connector sync -o ${out} --progress lines --workers 2 --restart`);
  expect(r.stderr).not.toContain(fake.credentials.classicToken);
  expect(existsSync(partial)).toBe(true);
  expect(existsSync(`${partial}.lock`)).toBe(false);

  // resume with --progress none: no progress, but the resume notice, and a warning (a role the connector cannot list)
  const rule = roleNotFound(fake);
  let again;
  try {
    again = await cli(['sync', '-o', out, '--progress', 'none', '--workers', '2'], envOf(fake));
  } finally {
    fake.faults.remove(rule);
  }
  expect({ code: again.code, stderr: again.code ? again.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(again.stdout).toContain('resuming an interrupted sync');
  const lines = again.stderr.trimEnd().split('\n');
  expect(lines.some((l) => /^resuming sync .* from .*interrupted\.sqlite\.partial: \d+ listings finished/.test(l))).toBe(true);
  expect(lines.some((l) => /^warning: ListGrants\(project-role:.*HTTP 404/.test(l))).toBe(true);
  expect(lines.some((l) => /^\d\d:\d\d:\d\d /.test(l) || l.includes('grants: '))).toBe(false); // no progress lines
  const db = openSnapshot(out);
  const warnings = db.prepare('SELECT message FROM warnings').all() as { message: string }[];
  const types = Object.fromEntries((db.prepare('SELECT resource_type AS k, COUNT(*) AS n FROM resources GROUP BY 1').all() as { k: string; n: number }[]).map((x) => [x.k, x.n]));
  db.close();
  expect(warnings.length).toBe(1);
  const c = fake.groundTruthCounts();
  expect(types).toEqual({ 'application-role': c.applicationRoles, group: c.groups, project: c.projects, 'project-role': c.projectRoles, user: c.users });
});

test('--progress none shows no progress, but every warning still reaches stderr', async () => {
  const out = join(dir, 'quiet.sqlite');
  const rule = roleNotFound(fake); // a role the connector cannot list
  let r;
  try {
    r = await cli(['sync', '-o', out, '--progress', 'none'], envOf(fake));
  } finally {
    fake.faults.remove(rule);
  }
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(', 1 warnings');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.filter((l) => l.startsWith('warning: '))).toEqual([expect.stringMatching(/^warning: ListGrants\(project-role:.*HTTP 404/)]);
  expect(lines.some((l) => /^\S+ warn rpc failed .*NOT_FOUND/.test(l))).toBe(true); // the connector's own warning
  expect(lines.filter((l) => /^\d\d:\d\d:\d\d |█|░/.test(l))).toEqual([]); // and no progress
});

test('a sync that fails midway prints the error, then how to resume; the same command resumes once the cause is gone', async () => {
  const out = join(dir, 'failed.sqlite');
  // the grants of groups fail with 401 (a token revoked midway): not retried, the sync stops
  let n = 0;
  const rule = fake.faults.add({ match: (r) => r.key === 'GET /rest/api/3/group/member' && ++n >= 3, status: { code: 401, count: 1000 } });
  let r;
  try {
    r = await cli(['sync', '-o', out, '--progress', 'none'], envOf(fake));
  } finally {
    fake.faults.remove(rule);
  }
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  const at = lines.findIndex((l) => l.startsWith('error: '));
  expect(lines[at]).toMatch(/^error: ListGrants\(group:.*UNAUTHENTICATED/);
  expect(lines.slice(at + 1)).toEqual([
    expect.stringMatching(/^the sync is resumable: .*failed\.sqlite\.partial keeps \d+ finished listings and [1-9]\d* pages$/),
    `  resume it (the same command again): jira-connector sync -o ${out} --progress none`,
    `  or start over:                      jira-connector sync -o ${out} --progress none --restart`,
  ]);
  const again = await cli(['sync', '-o', out, '--progress', 'none'], envOf(fake));
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('resuming an interrupted sync');
  expect(existsSync(partialPath(out))).toBe(false);
});

test('a sync refused at Validate leaves no .partial, so the corrected rerun (another site option) is not blocked', async () => {
  const out = join(dir, 'refused.sqlite');
  const bad = await cli(['sync', '-o', out, '--progress', 'none', '--jira-api-token', 'not-the-token', '--jira-project-keys', 'NOPE'], envOf(fake));
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/^error: Validate failed: UNAUTHENTICATED/m);
  expect(bad.stderr).not.toContain('resumable');
  expect(bad.stderr).not.toContain('not-the-token');
  expect(readdirSync(dir).filter((f) => f.startsWith('refused.sqlite'))).toEqual([]);
  const good = await cli(['sync', '-o', out, '--progress', 'none'], envOf(fake));
  expect({ code: good.code, stderr: good.stderr }).toEqual({ code: 0, stderr: '' });
  expect(good.stdout).not.toContain('resuming');
  expect(good.stdout).toContain(`${fake.groundTruthCounts().users} users`);
});
