/**
 * The container image's runtime stage, reproduced without Docker (there is no Docker daemon on our
 * machines or in CI): a clean temporary folder gets exactly what the Dockerfile's last stage copies,
 * read from the Dockerfile itself (so the two cannot drift apart), and the image's own ENTRYPOINT,
 * CMD, ENV and HEALTHCHECK are run from there: `serve` starts, the health check answers SERVING, a
 * full sync through gRPC against the fake Atlassian tenant matches its ground truth, SIGTERM drains
 * and exits 0, and `demo` (which loads the fake and its OpenAPI extracts from the copied files) works.
 *
 * The production dependencies: the build stage runs `npm ci` and then `npm prune --omit=dev`; here
 * `npm ci --omit=dev --ignore-scripts --prefer-offline` in the temporary folder installs the same
 * set from the lockfile (from npm's cache, which the repository's own `npm ci` has just filled, so
 * it takes a few seconds and needs no network). `--ignore-scripts` skips better-sqlite3's native
 * build (from source when no prebuilt binary fits: minutes on our 2 cores); instead its compiled
 * addon is copied from the repository's node_modules, which was built for this very Node binary
 * (same version, same ABI: the test checks both), so the folder is what `npm prune` leaves behind.
 * The only other production package with an install script, protobufjs, runs a version notice.
 *
 * Needs dist/ (npm test builds it first).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import Database from 'better-sqlite3';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { ROOT, Stage, execForm, instructions, parseCopy, parseDockerfile, parseEnv, parseHealthcheck, durationSeconds, single } from './dockerfile';

const stages = parseDockerfile();
const runtime = stages[stages.length - 1];
const build = stages.find((s) => s.name && s !== runtime && parseCopyFromRuntime(runtime).some((c) => c.from === s.name)) as Stage;

function parseCopyFromRuntime(stage: Stage) {
  return instructions(stage, 'COPY').map(parseCopy);
}

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_') && k !== 'NODE_ENV'));

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(t);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** `node` in the image's exec forms is this Node binary (the one the native addon was built for). */
const withNode = (argv: string[]) => (argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv);

let dir: string;
let app: string;
const copied: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  expect(build).toBeDefined();
  expect(single(build, 'WORKDIR')).toBe('/app');
  expect(single(runtime, 'WORKDIR')).toBe('/app');
  dir = mkdtempSync(join(tmpdir(), 'runtime-stage-'));
  app = join(dir, 'app');
  mkdirSync(app);
  const buildRuns = instructions(build, 'RUN').join('\n');
  const buildContext = instructions(build, 'COPY')
    .map(parseCopy)
    .filter((c) => !c.from)
    .flatMap((c) => c.sources);
  const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const c of parseCopyFromRuntime(runtime)) {
    expect(c.chown).toBe('node:node'); // USER node must be able to read (and the snapshot code to write next to) them
    for (const src of c.sources) {
      const dest = join(app, posix.normalize(c.dest.startsWith('/app/') ? c.dest.slice(5) : c.dest));
      // a single source copied to a destination ending in "/" (or ".") keeps its name
      const target = c.dest.endsWith('/') || c.dest === '.' || c.dest === './' ? join(dest, posix.basename(src)) : dest;
      if (c.from === undefined) {
        expect(dockerignore).not.toContain(src);
        cpSync(join(ROOT, src), target, { recursive: true });
        copied.push(src);
        continue;
      }
      expect(c.from).toBe(build.name);
      expect(src.startsWith('/app/')).toBe(true);
      const rel = src.slice('/app/'.length);
      if (rel === 'node_modules') {
        // the build stage's node_modules, once pruned to production dependencies
        expect(buildRuns).toMatch(/\bnpm ci\b/);
        expect(buildRuns).toMatch(/\bnpm prune --omit=dev\b/);
        await installProductionDependencies(app);
      } else if (rel === 'dist' || rel.startsWith('dist/')) {
        // compiled by the build stage's `npm ci` (its prepare script builds); here by npm test
        expect(buildRuns).toMatch(/\bnpm ci\b/);
        expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.prepare).toBe('npm run build');
        cpSync(join(ROOT, rel), target, { recursive: true });
      } else {
        // anything else must have come into the build stage from the build context
        expect(buildContext.some((b) => rel === b.replace(/^\.\//, '') || rel.startsWith(b.replace(/^\.\//, '').replace(/\/?$/, '/')))).toBe(true);
        cpSync(join(ROOT, rel), target, { recursive: true });
      }
      copied.push(rel);
    }
  }
}, 180_000);

async function installProductionDependencies(into: string): Promise<void> {
  copyFileSync(join(ROOT, 'package.json'), join(into, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(into, 'package-lock.json'));
  const npm = await run(into, ['npm', 'ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], cleanEnv(), 170_000);
  if (npm.status !== 0) throw new Error(`npm ci --omit=dev failed (${npm.status}): ${npm.stderr.slice(-2000)}`);
  rmSync(join(into, 'package-lock.json')); // the runtime stage does not copy the lockfile
  // better-sqlite3's addon, built by the repository's npm ci for this Node binary
  const from = join(ROOT, 'node_modules', 'better-sqlite3');
  const to = join(into, 'node_modules', 'better-sqlite3');
  expect(JSON.parse(readFileSync(join(to, 'package.json'), 'utf8')).version).toBe(JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')).version);
  const addon = join('build', 'Release', 'better_sqlite3.node');
  mkdirSync(dirname(join(to, addon)), { recursive: true });
  copyFileSync(join(from, addon), join(to, addon));
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the folder holds what the runtime stage copies, and only production dependencies', () => {
  expect(copied).toEqual(expect.arrayContaining(['node_modules', 'dist/src', 'proto', 'package.json']));
  expect(existsSync(join(app, 'dist', 'src', 'fake-atlassian', 'schemas'))).toBe(true);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const installed = new Set(readdirSync(join(app, 'node_modules')).flatMap((n) => (n.startsWith('@') ? readdirSync(join(app, 'node_modules', n)).map((s) => `${n}/${s}`) : [n])));
  for (const d of Object.keys(pkg.dependencies)) expect(installed).toContain(d);
  // the lockfile's top-level packages: those only dev tools need are absent, the others present
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
  const top = Object.entries(lock.packages).filter(([k]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(k));
  const devOnly = top.filter(([, v]) => v.dev).map(([k]) => k.slice('node_modules/'.length));
  const production = top.filter(([, v]) => !v.dev && !v.optional && !v.devOptional).map(([k]) => k.slice('node_modules/'.length));
  expect(devOnly).toEqual(expect.arrayContaining(Object.keys(pkg.devDependencies).filter((d) => !production.includes(d))));
  for (const d of devOnly) expect(installed).not.toContain(d);
  for (const d of production) expect(installed).toContain(d);
  // the copied addon loads in this Node (same ABI) from the runtime folder's own better-sqlite3
  const probe = `const D=require(${JSON.stringify(join(app, 'node_modules', 'better-sqlite3'))});const db=new D(':memory:');process.stdout.write(String(db.prepare('select 1 as x').get().x))`;
  return run(app, [process.execPath, '-e', probe], cleanEnv()).then((r) => {
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1');
  });
});

describe('the image entrypoint, run from the folder', () => {
  let fake: FakeAtlassian;
  let server: ChildProcess | undefined;
  let serverLog = '';
  let address = '';

  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 11 });
  });
  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await fake?.stop();
  });

  const imageEnv = () => ({ ...cleanEnv(), ...parseEnv(runtime) });

  test('serve (ENTRYPOINT + CMD, with ENV) listens and the HEALTHCHECK answers SERVING', async () => {
    const entrypoint = execForm(single(runtime, 'ENTRYPOINT'));
    const cmd = execForm(single(runtime, 'CMD'));
    expect(cmd[0]).toBe('serve');
    // the image listens on every interface; this test on loopback only, on a free port
    const hostAt = cmd.indexOf('--host');
    const args = hostAt >= 0 ? [...cmd.slice(0, hostAt + 1), '127.0.0.1', ...cmd.slice(hostAt + 2)] : [...cmd, '--host', '127.0.0.1'];
    const env = {
      ...imageEnv(),
      BATON_PORT: '0',
      BATON_JIRA_URL: fake.siteUrl,
      BATON_JIRA_EMAIL: fake.credentials.adminEmail,
      BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
      BATON_ATLASSIAN_API_URL: fake.apiUrl,
      BATON_ATLASSIAN_AUTH_URL: fake.authUrl,
    };
    const argv = withNode([...entrypoint, ...args]);
    server = spawn(argv[0], argv.slice(1), { cwd: app, env });
    address = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not start: ${serverLog}`)), 30_000);
      server!.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${serverLog}`)));
      const onData = (d: Buffer) => {
        serverLog += d;
        for (const line of serverLog.split('\n')) {
          if (!line.startsWith('{')) continue;
          const o = JSON.parse(line) as { msg?: string; address?: string };
          if (o.msg === 'jira connector listening' && o.address) {
            clearTimeout(t);
            resolve(o.address);
          }
        }
      };
      server!.stderr!.on('data', onData);
      server!.stdout!.on('data', onData);
    });
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(serverLog).not.toContain(fake.credentials.classicToken);

    // the HEALTHCHECK as written (its default address is 127.0.0.1:$BATON_PORT), within its own timeout
    const hc = parseHealthcheck(runtime);
    const port = address.split(':')[1];
    const health = await run(app, withNode(hc.cmd), { ...imageEnv(), BATON_PORT: port }, durationSeconds(hc.options.timeout) * 1000);
    expect(health.stderr).toBe('');
    expect(health.stdout.trim()).toBe('SERVING');
    expect(health.status).toBe(0);
  });

  test('a full sync through the served contract matches the tenant', async () => {
    expect(address).not.toBe('');
    const out = join(dir, 'sync.sqlite');
    const r = await run(app, withNode([...execForm(single(runtime, 'ENTRYPOINT')), 'sync', '--connector', address, '--out', out, '--progress', 'none']), imageEnv());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const truth = fake.groundTruthCounts();
    const db = new Database(out, { readonly: true });
    try {
      const byType = Object.fromEntries((db.prepare('SELECT resource_type AS t, count(*) AS n FROM resources GROUP BY resource_type').all() as { t: string; n: number }[]).map((x) => [x.t, x.n]));
      expect(byType).toEqual({
        user: truth.users,
        group: truth.groups,
        project: truth.projects,
        'project-role': truth.projectRoles,
        'application-role': truth.applicationRoles,
      });
      const members = db.prepare("SELECT count(*) AS n FROM grants WHERE kind = 'direct' AND resource_type = 'group' AND entitlement_id LIKE '%:member'").get() as { n: number };
      expect(members.n).toBe(truth.groupMemberships);
    } finally {
      db.close();
    }
  });

  test('STOPSIGNAL drains and exits 0', async () => {
    expect(single(runtime, 'STOPSIGNAL')).toBe('SIGTERM');
    const exited = new Promise<number | null>((resolve) => server!.on('exit', (code) => resolve(code)));
    server!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(serverLog).toMatch(/"msg":"stopped"/);
  });
});

test('demo runs from the folder (the fake and its OpenAPI extracts are where the compiled loader looks)', async () => {
  const r = await run(app, withNode([...execForm(single(runtime, 'ENTRYPOINT')), 'demo', '--tier', 'S']), { ...cleanEnv(), ...parseEnv(runtime) });
  expect(r.stdout).toMatch(/Every count matches the tenant's ground truth\./);
  expect(r.status).toBe(0);
});
