/**
 * The demo: the fake Atlassian tenant + our gRPC server in one process, a full sync through a
 * real gRPC client into a snapshot (the `sync` command's loop), the reviewer's report from it
 * (the `report` command), and a summary compared with the tenant's own ground truth.
 */
import { join, relative, resolve } from 'node:path';
import { parseConnectorConfig } from '../config/schema';
import { buildConnector } from '../connector/wire';
import { startServer } from '../server/server';
import { dialConnector } from '../client/connector-client';
import { syncSnapshot, SnapshotSyncResult } from '../review/sync';
import { ttyProgress } from '../review/progress';
import { writeReport } from '../review/report';

export interface DemoOptions {
  tier: string;
  seed: number;
  /** where the snapshot and the report go (default: out/demo in the current folder) */
  outDir?: string;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  if (!['S', 'M', 'L'].includes(opts.tier)) throw new Error('--tier must be S, M or L');
  // loaded only for the demo: serving the connector never loads the fake or its validator
  const fakeMod = await import('../fake-atlassian');
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
  const outDir = resolve(opts.outDir ?? join('out', 'demo'));
  const snapshot = join(outDir, `jira-demo-${opts.tier}-${opts.seed}.sqlite`);
  const bar = process.stderr.isTTY ? ttyProgress(process.stderr) : undefined;
  let result: SnapshotSyncResult;
  try {
    result = await syncSnapshot(client, {
      out: snapshot,
      source: { kind: 'in-process', label: `demo tenant (tier ${opts.tier}, seed ${opts.seed})`, identity: JSON.stringify({ demo: opts.tier, seed: opts.seed }) },
      overwrite: true,
      restart: true,
      onProgress: (p) => bar?.update(p),
    });
  } finally {
    bar?.done();
    client.close();
    await server.stop();
  }
  const truth = fake.groundTruthCounts();
  await fake.stop();
  const report = writeReport(snapshot, join(outDir, `jira-demo-${opts.tier}-${opts.seed}-report`));
  const p = result.progress;
  const c = result.counts;
  out.write(`\nSync finished in ${((Date.now() - started) / 1000).toFixed(1)} s with ${p.calls} gRPC calls (${result.warnings.length} warnings).\n\n`);
  const rows: [string, number, number | undefined][] = [
    ['users', p.resources['user'] ?? 0, truth.users],
    ['groups', p.resources['group'] ?? 0, truth.groups],
    ['projects', p.resources['project'] ?? 0, truth.projects],
    ['project roles', p.resources['project-role'] ?? 0, truth.projectRoles],
    ['product access roles', p.resources['application-role'] ?? 0, truth.applicationRoles],
    ['group memberships', c['grants-direct:group:member'] ?? 0, truth.groupMemberships],
    ['role assignments (direct)', c['grants-direct:project-role:assigned'] ?? 0, truth.roleActors],
    ['entitlements', p.entitlements, undefined],
    ['grants (direct)', p.grants, undefined],
    ['grants (through groups and roles)', p.expanded, undefined],
  ];
  out.write(`${'what'.padEnd(36)}${'synced'.padStart(10)}${'tenant'.padStart(10)}\n`);
  for (const [label, got, want] of rows) {
    const mark = want === undefined ? '' : got === want ? '  ok' : '  MISMATCH';
    out.write(`${label.padEnd(36)}${String(got).padStart(10)}${(want === undefined ? '' : String(want)).padStart(10)}${mark}\n`);
  }
  const mismatches = rows.filter(([, got, want]) => want !== undefined && got !== want).length;
  out.write(mismatches ? `\n${mismatches} count(s) differ from the tenant.\n` : "\nEvery count matches the tenant's ground truth.\n");
  const t = report.data.totals;
  const rel = (f: string) => relative(process.cwd(), f) || f;
  out.write(`\nSnapshot: ${rel(snapshot)}\n`);
  out.write(
    `Access review report: ${rel(report.files.html)}  (${t.people} people, ${t.findings} findings: ${t['findings:inactive-licensed']} inactive but licensed, ${t['findings:hidden-email']} hidden emails, ${t['findings:app-broad-access']} apps with broad access, ${t['findings:external-admin']} external with administrative access, ${t['findings:open-project']} projects open to anyone)\n`,
  );
  out.write(`CSV files for spreadsheets are beside it; the same from real credentials: jira-connector sync, then jira-connector report <snapshot>.\n`);
  if (mismatches) process.exitCode = 1;
}
