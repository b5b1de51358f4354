/**
 * The demo: the fake Atlassian tenant + our gRPC server in one process, a full sync through a
 * real gRPC client, and a summary compared with the tenant's own ground truth.
 */
import { parseConnectorConfig } from '../config/schema';
import { buildConnector } from '../connector/wire';
import { startServer } from '../server/server';
import { dialConnector } from '../client/connector-client';
import { runSync, SyncResult } from '../client/sync';
import { summarize } from '../client/summary';

export interface DemoOptions {
  tier: string;
  seed: number;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  if (!['S', 'M', 'L'].includes(opts.tier)) throw new Error('--tier must be S, M or L');
  let fakeMod: typeof import('../../test/fake-atlassian');
  try {
    fakeMod = await import('../../test/fake-atlassian');
  } catch {
    throw new Error('the demo needs the fake Atlassian Cloud, which ships with the development install: run `npm ci` in the repository');
  }
  const out = process.stdout;
  const started = Date.now();
  const fake = await fakeMod.startFakeAtlassian({ tier: opts.tier as 'S' | 'M' | 'L', seed: opts.seed });
  out.write(`Fake Atlassian tenant (tier ${opts.tier}, seed ${opts.seed}) at ${fake.siteUrl}\n`);
  const creds = fake.credentials;
  const cfg = parseConnectorConfig({
    'jira-url': fake.siteUrl,
    'jira-email': creds.adminEmail,
    'jira-api-token': creds.classicToken,
    'atlassian-api-url': fake.apiUrl,
    'atlassian-auth-url': fake.authUrl,
  });
  const { connector } = await buildConnector(cfg);
  const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
  out.write(`Connector gRPC server at ${server.address}\n`);
  const client = dialConnector(server.address);
  let result: SyncResult;
  try {
    result = await runSync(client, {
      onProgress: (p) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${p.phase.padEnd(14)} resources ${p.resources}  entitlements ${p.entitlements}  grants ${p.grants}  calls ${p.calls}   `);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
  } finally {
    client.close();
    await server.stop();
  }
  const s = summarize(result);
  const truth = fake.groundTruthCounts();
  await fake.stop();
  out.write(`\nSync finished in ${((Date.now() - started) / 1000).toFixed(1)} s with ${result.stats.calls} gRPC calls (${result.warnings.length} warnings).\n\n`);
  const rows: [string, number, number | undefined][] = [
    ['users', s.byType['user'] ?? 0, truth.users],
    ['groups', s.byType['group'] ?? 0, truth.groups],
    ['projects', s.byType['project'] ?? 0, truth.projects],
    ['project roles', s.byType['project-role'] ?? 0, truth.projectRoles],
    ['product access roles', s.byType['application-role'] ?? 0, truth.applicationRoles],
    ['group memberships', s.grantsBySlug['group:member'] ?? 0, truth.groupMemberships],
    ['role assignments (direct)', s.grantsBySlug['project-role:assigned'] ?? 0, truth.roleActors],
    ['entitlements', result.entitlements.length, undefined],
    ['grants (direct)', result.grants.length, undefined],
    ['grants (through groups and roles)', result.expanded.length, undefined],
  ];
  out.write(`${'what'.padEnd(36)}${'synced'.padStart(10)}${'tenant'.padStart(10)}\n`);
  for (const [label, got, want] of rows) {
    const mark = want === undefined ? '' : got === want ? '  ok' : '  MISMATCH';
    out.write(`${label.padEnd(36)}${String(got).padStart(10)}${(want === undefined ? '' : String(want)).padStart(10)}${mark}\n`);
  }
  const mismatches = rows.filter(([, got, want]) => want !== undefined && got !== want).length;
  out.write(mismatches ? `\n${mismatches} count(s) differ from the tenant.\n` : '\nEvery count matches the tenant\'s ground truth.\n');
  if (mismatches) process.exitCode = 1;
}
