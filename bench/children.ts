/**
 * The processes every sync benchmark starts: the fake tenant (bench/fake-child.ts: injected latency,
 * a shared rate limit, request stats over IPC) and the connector server (`dist/src/cli/main.js
 * serve`, its own process so its peak RSS is its own), with the server options a bench passes.
 */
import { fork, spawn, ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialConnector } from '../src/client/connector-client';
import type { Minimum, MinimumOptions } from './minimum';

/** The fake tenant's and the server's options shared by every driver (the server's options are the minimum's). */
export interface TenantArgs extends MinimumOptions {
  tier: string;
  seed: number;
  latency: number;
  rps: number;
  validate: string;
  /** BATON_JIRA_EXPAND_PRODUCT_GRANTS=true for the server (product-wide permission grants expandable) */
  expandProductGrants?: boolean;
}

/** The option flags of a run, as `npm run bench` takes them (for headings and recorded commands). */
export function optionFlags(a: MinimumOptions & { expandProductGrants?: boolean }): string[] {
  const out: string[] = [];
  if (a.projectPermissions !== undefined) out.push(`--project-permissions ${a.projectPermissions}`);
  if (a.globalPermissions) out.push('--global-permissions');
  if (a.activityDays) out.push(`--activity-days ${a.activityDays}`);
  if (a.workItems) out.push('--work-items');
  if (a.org) out.push('--org');
  if (a.expandProductGrants) out.push('--expand-product-grants');
  return out;
}

export interface FakeReady {
  genMs: number;
  siteUrl: string;
  apiUrl: string;
  authUrl: string;
  email: string;
  token: string;
  /** the fake's organization and its admin API key (BATON_ATLASSIAN_ORGID / _API_TOKEN with --org) */
  orgId: string;
  orgKey: string;
  counts: Record<string, number>;
  minimum: Minimum;
}

export interface FakeStats {
  stats: {
    total: number;
    /** by "METHOD /template" (unserved paths: "METHOD /raw/path") */
    byOperation: Record<string, number>;
    byStatus: Record<string, number>;
    /** by operation key (and by operationId), then status */
    byOperationStatus: Record<string, Record<string, number>>;
  };
  validationErrors: number;
}

/** A request to the organization's APIs (admin, user management), by the fake's stats key ("GET /admin/…", "GET /users/…/manage/api-tokens"). */
export const isOrgRequest = (key: string): boolean => / \/(?:admin|users)\//.test(key);

/**
 * The time the rate limit alone imposes on these requests: Jira's bucket and, with the
 * organization, the organization's own bucket (bench/fake-child.ts) drain in parallel, so the
 * longer of the two (without the organization: requests ÷ rate limit).
 */
export function floorMs(byEndpoint: Record<string, number>, rps: number): number {
  if (rps <= 0) return 0;
  let org = 0;
  let jira = 0;
  for (const [k, n] of Object.entries(byEndpoint)) {
    if (isOrgRequest(k)) org += n;
    else jira += n;
  }
  return (Math.max(org, jira) / rps) * 1000;
}

/** VmHWM (peak resident set) of a live process in MB; NaN once it is gone. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before "${type}"`));
    const onMsg = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(m as T);
      }
    };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

/** Starts the fake tenant in its own process; resolves when it serves (stats reset, latency and rate limit on). */
export async function startFake(args: TenantArgs): Promise<{ fake: ChildProcess; ready: FakeReady }> {
  const dist = join(__dirname, '..');
  const options: MinimumOptions = {
    projectPermissions: args.projectPermissions,
    globalPermissions: args.globalPermissions,
    activityDays: args.activityDays,
    workItems: args.workItems,
    org: args.org,
  };
  const fake = fork(join(dist, 'bench', 'fake-child.js'), [args.tier, String(args.seed), String(args.latency), String(args.rps), args.validate, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=4096'],
  });
  const ready = await once<FakeReady>(fake, 'ready');
  return { fake, ready };
}

/** The fake's request counters since it became ready. */
export async function fakeStats(fake: ChildProcess): Promise<FakeStats> {
  fake.send({ type: 'stats' });
  return once<FakeStats>(fake, 'stats');
}

export async function stopFake(fake: ChildProcess): Promise<void> {
  if (fake.exitCode === null && fake.connected) fake.send({ type: 'stop' });
  await new Promise((r) => setTimeout(r, 200));
  fake.kill();
}

/** The environment without any BATON_* variable of the caller's (a bench configures its children itself). */
export function scrubbedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
}

export interface ServerChild {
  server: ChildProcess;
  port: number;
  /** the tail of the server's stderr */
  log(): string;
}

/** Starts `serve` against the fake with the bench's options and waits until it answers GetMetadata. */
export async function startServer(args: TenantArgs, ready: FakeReady): Promise<ServerChild> {
  const dist = join(__dirname, '..');
  const port = 45000 + Math.floor(Math.random() * 15000);
  const server = spawn(process.execPath, [join(dist, 'src', 'cli', 'main.js'), 'serve', '--port', String(port), '--log-level', 'warn'], {
    env: {
      ...scrubbedEnv(),
      ...(args.projectPermissions !== undefined ? { BATON_JIRA_PROJECT_PERMISSIONS: args.projectPermissions } : {}),
      ...(args.globalPermissions ? { BATON_JIRA_GLOBAL_PERMISSIONS: 'true' } : {}),
      ...(args.activityDays ? { BATON_JIRA_ACTIVITY_DAYS: String(args.activityDays) } : {}),
      ...(args.workItems ? { BATON_JIRA_WORK_ITEMS: 'true' } : {}),
      ...(args.expandProductGrants ? { BATON_JIRA_EXPAND_PRODUCT_GRANTS: 'true' } : {}),
      ...(args.org ? { BATON_ATLASSIAN_ORGID: ready.orgId, BATON_ATLASSIAN_API_TOKEN: ready.orgKey } : {}),
      BATON_JIRA_URL: ready.siteUrl,
      BATON_JIRA_EMAIL: ready.email,
      BATON_JIRA_API_TOKEN: ready.token,
      BATON_ATLASSIAN_API_URL: ready.apiUrl,
      BATON_ATLASSIAN_AUTH_URL: ready.authUrl,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let serverLog = '';
  server.stderr!.on('data', (d) => {
    serverLog += d;
    if (serverLog.length > 100000) serverLog = serverLog.slice(-50000);
  });
  const child: ServerChild = { server, port, log: () => serverLog };
  const client = dialConnector(`127.0.0.1:${port}`);
  try {
    for (let i = 0; ; i++) {
      try {
        await client.connector.getMetadata({}, { deadlineMs: 1000 });
        break;
      } catch {
        if (i > 100 || server.exitCode !== null) throw new Error(`server did not start: ${serverLog.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    server.kill('SIGTERM');
    throw e;
  } finally {
    client.close();
  }
  return child;
}
