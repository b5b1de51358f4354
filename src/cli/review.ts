/**
 * The access-review commands: `sync` (a full sync through c1.connector.v2 into a SQLite
 * snapshot, resumable), `report` (HTML + CSV for reviewers) and `diff` (two snapshots).
 */
import { Command, Option } from 'commander';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { addConfigOptions, guarded, rawFrom } from './options';
import { parseConnectorConfig } from '../config/schema';
import { createLogger, LogLevel, redact, setRootLogger } from '../log';
import type { ConnectorClient } from '../client/connector-client';
import type { SnapshotSource, SnapshotSyncResult } from '../review/sync';
import type { ProgressReporter } from '../review/progress';

/** A usage problem (bad flag value, existing file, wrong snapshot): exit 2 with one line. */
export class UsageError extends Error {}

async function reviewGuarded(fn: () => Promise<void>): Promise<void> {
  const { SnapshotError } = await import('../review/store');
  return guarded(async () => {
    try {
      await fn();
    } catch (e) {
      if (e instanceof UsageError || e instanceof SnapshotError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw e;
    }
  });
}

/** Removes the snapshot lock if this process holds it (an interrupted sync ends without its `finally`). */
function releaseOwnLock(lock: string): void {
  try {
    if (readFileSync(lock, 'utf8').split(' ')[0] === String(process.pid)) rmSync(lock, { force: true });
  } catch {
    /* no lock */
  }
}

function positiveInt(name: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer of at least ${min} (got "${v}")`);
  return n;
}

function readPem(flag: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`--${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function defaultReportDir(snapshot: string): string {
  const base = basename(snapshot).replace(/\.(sqlite3?|db)$/i, '');
  return join(dirname(snapshot), `${base}-report`);
}

function humanBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
}

interface SyncFlags {
  out: string;
  history?: string;
  connector?: string;
  connectorCa?: string;
  connectorCert?: string;
  connectorKey?: string;
  workers: string;
  restart?: boolean;
  overwrite?: boolean;
  progress: 'auto' | 'bar' | 'lines' | 'none';
}

export interface SyncCommandOutput {
  result: SnapshotSyncResult;
  lines: string[];
}

/** Prints the outcome of a sync for a person. */
export function syncSummary(r: SnapshotSyncResult): string[] {
  const p = r.progress;
  const names: Record<string, string> = { user: 'users', group: 'groups', project: 'projects', 'project-role': 'project roles', 'application-role': 'product access roles' };
  const types = Object.entries(p.resources)
    .map(([k, n]) => `${n} ${names[k] ?? k}`)
    .join(', ');
  let size = 0;
  try {
    size = statSync(r.file).size;
  } catch {
    /* reported as 0 */
  }
  return [
    `Snapshot ${r.file} (${humanBytes(size)}) written in ${(r.durationMs / 1000).toFixed(1)} s${r.resumed ? ', resuming an interrupted sync' : ''}.`,
    `  ${types}`,
    `  ${p.entitlements} entitlements, ${p.grants} grants, ${p.expanded} more through groups and roles`,
    `  ${p.calls} requests, ${p.pages} pages${p.rateLimitWaits ? `, ${p.rateLimitWaits} rate-limit waits (${(p.waitMs / 1000).toFixed(1)} s)` : ''}${r.warnings.length ? `, ${r.warnings.length} warnings` : ''}`,
  ];
}

/** An argument as a POSIX shell reads it back. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * What an unfinished sync leaves: how far `<out>.partial` came, and the exact commands to resume it
 * (the same command, without `--restart`) or to start over; secrets passed as flags are redacted.
 * Undefined when nothing is left to resume (no partial, or one without a stored page, which is removed).
 */
function resumeNotice(store: typeof import('../review/store'), out: string, args: string[]): string[] | undefined {
  const { openSnapshot, partialPath, removeSnapshotFiles } = store;
  const partial = partialPath(out);
  if (!existsSync(partial)) return undefined;
  let done = 0;
  let pages = 0;
  try {
    const db = openSnapshot(partial, { allowPartial: true });
    try {
      ({ done, pages } = db.prepare('SELECT COALESCE(SUM(done), 0) AS done, COALESCE(SUM(pages), 0) AS pages FROM steps').get() as { done: number; pages: number });
    } finally {
      db.close();
    }
  } catch {
    return [`${partial} is left from this sync; run the same command again to resume it, or add --restart to start over`];
  }
  if (done === 0 && pages === 0) {
    // nothing stored: nothing to resume, and nothing left to block a corrected rerun
    removeSnapshotFiles(partial);
    return undefined;
  }
  const same = args.filter((a) => a !== '--restart');
  const cmd = (extra: string[]) => redact(['jira-connector', ...same, ...extra].map(shellQuote).join(' '));
  const resume = cmd([]);
  return [
    `the sync is resumable: ${partial} keeps ${done} finished listings and ${pages} pages`,
    `  resume it (the same command again): ${resume}`,
    `  or start over:                      ${cmd(['--restart'])}`,
    ...(resume.includes('[REDACTED]') ? ['  ([REDACTED] stands for the secret you passed)'] : []),
  ];
}

interface ConnectorFlags {
  connector?: string;
  connectorCa?: string;
  connectorCert?: string;
  connectorKey?: string;
}

/** The connector a review command talks to: a running server (--connector, TLS flags) or one started in this process from the configuration flags. */
async function openConnector(cmd: Command, flags: ConnectorFlags, provisioning: boolean): Promise<{ client: ConnectorClient; source: SnapshotSource; stop: () => Promise<void> }> {
  const { dialConnector } = await import('../client/connector-client');
  let client: ConnectorClient;
  let source: SnapshotSource;
  let stop = async () => {};
  if (flags.connector) {
    if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(flags.connector)) throw new UsageError(`--connector must be host:port (got "${flags.connector}")`);
    const caPem = readPem('connector-ca', flags.connectorCa);
    const clientCertPem = readPem('connector-cert', flags.connectorCert);
    const clientKeyPem = readPem('connector-key', flags.connectorKey);
    if (!!clientCertPem !== !!clientKeyPem) throw new UsageError('--connector-cert and --connector-key go together');
    if (clientCertPem && !caPem) throw new UsageError('mutual TLS needs --connector-ca as well');
    client = dialConnector(flags.connector, { caPem, clientCertPem, clientKeyPem, maxReceiveBytes: 64 * 1024 * 1024 });
    source = { kind: 'remote', label: `connector at ${flags.connector}`, identity: JSON.stringify({ connector: flags.connector }) };
    stop = async () => client.close();
  } else {
    if (flags.connectorCa || flags.connectorCert || flags.connectorKey) throw new UsageError('--connector-ca, --connector-cert and --connector-key need --connector');
    const raw = rawFrom(cmd);
    const cfg = parseConnectorConfig(raw);
    const { buildConnector } = await import('../connector/wire');
    const { startServer } = await import('../server/server');
    const { connector } = await buildConnector(cfg);
    const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning });
    client = dialConnector(server.address, { maxReceiveBytes: 64 * 1024 * 1024 });
    const site = cfg.jira.siteUrl ?? cfg.jira.gatewayUrl ?? 'Jira';
    source = {
      kind: 'in-process',
      label: site,
      identity: JSON.stringify({ site, projectKeys: cfg.projectKeys, skipProjectParticipants: cfg.skipProjectParticipants, skipCustomerUser: cfg.skipCustomerUser, org: cfg.org?.orgId ?? null }),
    };
    stop = async () => {
      client.close();
      await server.stop();
    };
  }
  return { client, source, stop };
}

export function registerReviewCommands(program: Command): void {
  const sync = program
    .command('sync')
    .description(
      'run a full sync through the c1.connector.v2 gRPC contract (in-process, or --connector for a running server) into a SQLite snapshot; an interrupted sync resumes from its last page when run again with the same --out',
    )
    .option('-o, --out <file>', 'snapshot file', 'jira-snapshot.sqlite')
    .option('--connector <host:port>', 'sync a running connector server instead of starting one in this process (the Jira flags are then not needed)')
    .option('--connector-ca <file>', 'PEM CA that signed the running server’s certificate (TLS)')
    .option('--connector-cert <file>', 'PEM client certificate for mutual TLS')
    .option('--connector-key <file>', 'PEM client key for mutual TLS')
    .option('--workers <n>', 'listings in flight at once (like the syncer’s --worker-count)', '4')
    .option('--restart', 'discard an unfinished sync of the same --out instead of resuming it')
    .option('--overwrite', 'replace an existing snapshot at --out when this sync finishes')
    .option('--history <db>', 'record the finished snapshot in this history file (created when missing): first seen and since when for every grant and account')
    .addOption(new Option('--progress <mode>', 'progress display: a bar on a terminal, plain lines otherwise').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .addOption(new Option('--log-level <level>', 'connector log level (in-process) [env BATON_LOG_LEVEL]').choices(['debug', 'info', 'warn', 'error']));
  addConfigOptions(sync, ['jira', 'oauth', 'organization', 'behaviour']);
  // a sync never writes: the write switches are accepted (shared environment) but not shown
  for (const o of sync.options) if (o.long === '--provisioning' || o.long === '--ticketing') o.hideHelp();
  sync.action(async (_o, cmd: Command) =>
    reviewGuarded(async () => {
      const flags = cmd.opts() as SyncFlags & { logLevel?: string };
      const workers = positiveInt('workers', flags.workers);
      const mode = flags.progress === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : flags.progress;
      const { ttyProgress, lineProgress, quietProgress } = await import('../review/progress');
      const toStderr = (l: string) => process.stderr.write(l + '\n');
      const reporter: ProgressReporter = mode === 'bar' ? ttyProgress(process.stderr) : mode === 'lines' ? lineProgress(toStderr) : quietProgress(toStderr);
      const level = (flags.logLevel ?? process.env.BATON_LOG_LEVEL ?? 'warn') as LogLevel;
      setRootLogger(
        createLogger(['debug', 'info', 'warn', 'error'].includes(level) ? level : 'warn', 'console', {
          write: (s: string) => (reporter.log(s.replace(/\n$/, ''), true), true),
        } as unknown as NodeJS.WritableStream),
      );

      const { client, source, stop } = await openConnector(cmd, flags, false);
      const out = resolve(flags.out);
      const { syncSnapshot } = await import('../review/sync');
      const store = await import('../review/store');
      const args = process.argv.slice(2);
      // interrupted (Ctrl-C, a stop): every stored page is committed, so say how to go on, and end as a signalled process does
      const onSignal = (signal: NodeJS.Signals) => {
        reporter.done();
        process.stderr.write(`sync interrupted (${signal})\n`);
        for (const l of resumeNotice(store, out, args) ?? ['nothing was stored yet: run the same command again to start']) process.stderr.write(l + '\n');
        releaseOwnLock(`${store.partialPath(out)}.lock`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: SnapshotSyncResult;
      try {
        result = await syncSnapshot(client, {
          out,
          source,
          workers,
          restart: !!flags.restart,
          overwrite: !!flags.overwrite,
          onProgress: (p) => reporter.update(p),
          onLog: (l) => reporter.log(l),
        });
      } catch (e) {
        reporter.done();
        await stop();
        if (e instanceof store.SnapshotError) throw e;
        // failed midway (a refusal, the retry budget spent): the error, then how to resume once the cause is fixed
        const { describeFailure } = await import('./failure');
        const { line, code } = describeFailure(e);
        process.stderr.write(line + '\n');
        for (const l of resumeNotice(store, out, args) ?? []) process.stderr.write(l + '\n');
        process.exitCode = code;
        return;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      reporter.done();
      await stop();
      for (const l of syncSummary(result)) process.stdout.write(l + '\n');
      if (flags.history) {
        const { recordSnapshot, HistoryError } = await import('../review/history');
        try {
          const h = recordSnapshot(flags.history, out);
          process.stdout.write(h.recorded ? `History ${flags.history}: recorded (${h.newGrants} grants not seen before)\n` : `History ${flags.history}: ${h.note}\n`);
        } catch (e) {
          if (e instanceof HistoryError) throw new UsageError(e.message);
          throw e;
        }
      }
      process.stdout.write(`Next: jira-connector report ${flags.out}${flags.history ? ` --history ${flags.history}` : ''}\n`);
    }),
  );

  program
    .command('report')
    .description('write a reviewer’s report from a snapshot: index.html (self-contained) and CSV files per person, per project, findings and every grant')
    .argument('<snapshot>', 'snapshot written by `sync`')
    .option('-o, --out-dir <dir>', 'where to write the report (default: <snapshot>-report beside the snapshot)')
    .option('--inactive-days <n>', 'flag licensed accounts not active for this many days (needs last-active dates from the organization)', '90')
    .option('--broad-projects <n>', 'flag app accounts with roles in at least this many projects', '10')
    .option('--admin-pattern <regex>', 'when the snapshot has no project permissions: names of groups, roles and products that count as admin-like (case-insensitive)', 'admin')
    .option('--as-of <date>', 'measure inactivity from this date (YYYY-MM-DD) instead of the snapshot’s time')
    .option('--reviewer <name>', 'who reviews: recorded in the page’s header and the summary')
    .option('--campaign <name>', 'the review campaign’s name: recorded in the page’s header and the summary')
    .option('--summary', 'print a one-screen text summary (also written as summary.txt) instead of the file list')
    .option('--history <db>', 'a history file (sync --history) that records this snapshot as its latest: adds first seen / since dates and the trend across reviews')
    .action(
      (
        snapshot: string,
        opts: { outDir?: string; inactiveDays: string; broadProjects: string; adminPattern: string; asOf?: string; reviewer?: string; campaign?: string; summary?: boolean; history?: string },
      ) =>
        reviewGuarded(async () => {
          const inactiveDays = positiveInt('inactive-days', opts.inactiveDays);
          const broadProjects = positiveInt('broad-projects', opts.broadProjects);
          try {
            new RegExp(opts.adminPattern, 'i');
          } catch (e) {
            throw new UsageError(`--admin-pattern is not a regular expression: ${(e as Error).message}`);
          }
          let asOf: string | undefined;
          if (opts.asOf !== undefined) {
            const t = Date.parse(opts.asOf);
            if (!Number.isFinite(t)) throw new UsageError(`--as-of must be a date such as 2026-06-30 (got "${opts.asOf}")`);
            asOf = new Date(t).toISOString();
          }
          const { writeReport } = await import('../review/report');
          const dir = opts.outDir ?? defaultReportDir(snapshot);
          for (const k of ['reviewer', 'campaign'] as const)
            if (opts[k] !== undefined && (opts[k]!.length > 200 || [...opts[k]!].some((ch) => ch.charCodeAt(0) < 0x20))) throw new UsageError(`--${k} must be one line of at most 200 characters`);
          const { HistoryError } = await import('../review/history');
          let r: ReturnType<typeof writeReport>;
          try {
            r = writeReport(snapshot, dir, { inactiveDays, broadProjects, adminPattern: opts.adminPattern, asOf, reviewer: opts.reviewer, campaign: opts.campaign, historyFile: opts.history });
          } catch (e) {
            if (e instanceof HistoryError) throw new UsageError(e.message);
            throw e;
          }
          if (opts.summary) {
            process.stdout.write(readFileSync(r.files.summary, 'utf8'));
            return;
          }
          const t = r.data.totals;
          const w = (s: string) => process.stdout.write(s + '\n');
          w(`Report: ${resolve(r.files.html)} (${humanBytes(r.bytes.html)})`);
          w(`  ${t.people} people (${t.active} active, ${t.inactive} inactive; ${t.atlassian} people, ${t.app} apps, ${t.customer} customers), ${t.licensed} with a product seat`);
          w(`  ${t.groups} groups, ${t.projects} projects, ${t.roles} project roles, ${t.products} products`);
          w(
            `  findings: ${t['findings:inactive-licensed']} inactive but licensed, ${t['findings:external-admin']} external with administrative access, ${t['findings:hidden-email']} hidden emails, ${t['findings:app-broad-access']} apps with broad access, ${t['findings:open-project']} projects open to anyone`,
          );
          if (!r.data.orgData) w('  (no organization data in the snapshot: managed/external and last-active dates are unknown)');
          w(
            `  CSV: ${[r.files.people, r.files.projects, r.files.projectAccess, r.files.findings, r.files.access, r.files.decisions].map((f) => basename(f)).join(', ')} and summary.txt in ${resolve(dir)}`,
          );
        }),
    );

  const rem = program
    .command('remediate')
    .description(
      'carry out the revoke decisions of a decisions worksheet (written by `report`, filled by reviewers) through the c1.connector.v2 contract: one Revoke per row, refusing inherited rows (naming what to change instead); needs --provisioning, or --dry-run to print the plan',
    )
    .argument('<snapshot>', 'the snapshot the report (and its decisions.csv) was written from')
    .argument('<decisions>', 'the filled decisions.csv')
    .option('--results <file>', 'where each row’s outcome is appended; a rerun skips the rows it records as done (default: <decisions>-results.csv)')
    .option('--connector <host:port>', 'revoke through a running connector server instead of one started in this process')
    .option('--connector-ca <file>', 'PEM CA that signed the running server’s certificate (TLS)')
    .option('--connector-cert <file>', 'PEM client certificate for mutual TLS')
    .option('--connector-key <file>', 'PEM client key for mutual TLS');
  addConfigOptions(rem, ['jira', 'oauth', 'organization', 'behaviour']);
  rem.action((snapshot: string, decisionsFile: string, _o: unknown, cmd: Command) =>
    reviewGuarded(async () => {
      const flags = cmd.opts() as ConnectorFlags & { results?: string };
      const raw = rawFrom(cmd);
      const on = (k: string) => raw[k] === true || ['true', '1', 'yes', 'on'].includes(String(raw[k] ?? '').toLowerCase());
      const dryRun = on('dry-run');
      if (!dryRun && !on('provisioning')) {
        const { provisioningOff } = await import('../server/services');
        throw provisioningOff('remediate', 'pass --provisioning (BATON_PROVISIONING=true) to allow changes, or --dry-run to print the plan');
      }
      setRootLogger(createLogger('error', 'console'));
      const { openSnapshot } = await import('../review/store');
      const { loadReview } = await import('../review/model');
      const { readDecisions, planRemediation, DecisionsError } = await import('../review/decisions');
      const { remediate } = await import('../review/remediate');
      const db = openSnapshot(snapshot);
      let plan;
      try {
        plan = planRemediation(db, loadReview(db), readDecisions(decisionsFile));
      } catch (e) {
        if (e instanceof DecisionsError) throw new UsageError(`${decisionsFile}: ${e.message}`);
        throw e;
      } finally {
        db.close();
      }
      const results = flags.results ?? decisionsFile.replace(/\.csv$/i, '') + '-results.csv';
      const conn = dryRun ? undefined : await openConnector(cmd, flags, true);
      const w = (l: string) => process.stdout.write(l + '\n');
      try {
        const r = await remediate(plan, {
          resultsFile: results,
          dryRun,
          client: conn?.client,
          onRow: (o) => w(`${o.result.padEnd(14)} ${o.rowId}${o.result === 'revoked' ? '' : `: ${o.detail}`}`),
        });
        const c = r.counts;
        w(
          `${dryRun ? 'Dry run: ' : ''}${c.revoked} revoked, ${c['already-absent']} already absent, ${c['done-earlier']} done in an earlier run, ${c['would-revoke']} would be revoked, ${c.refused} refused, ${c.failed} failed, ${c.kept} kept or undecided`,
        );
        if (!dryRun) w(`Results: ${resolve(results)}`);
        if (c.failed) process.exitCode = 1;
      } finally {
        await conn?.stop();
      }
    }),
  );

  program
    .command('history')
    .description('record finished snapshots in a history file (oldest first), as sync --history does: first seen and since when for every grant and account')
    .argument('<db>', 'the history file (created when missing)')
    .argument('<snapshots...>', 'snapshots, in the order they were taken')
    .action((db: string, snapshots: string[]) =>
      reviewGuarded(async () => {
        const { recordSnapshot, HistoryError } = await import('../review/history');
        for (const f of snapshots) {
          try {
            const h = recordSnapshot(db, f);
            process.stdout.write(h.recorded ? `${f}: recorded (${h.grants} grants, ${h.newGrants} not seen before)\n` : `${f}: ${h.note}\n`);
          } catch (e) {
            if (e instanceof HistoryError) throw new UsageError(e.message);
            throw e;
          }
        }
      }),
    );

  program
    .command('diff')
    .description('compare two snapshots: access granted and revoked (directly or through groups and roles), new, removed and changed accounts')
    .argument('<old>', 'the earlier snapshot')
    .argument('<new>', 'the later snapshot')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'csv']).default('text'))
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .option('--exit-code', 'exit 1 when anything changed (like `git diff --exit-code`)')
    .action((oldFile: string, newFile: string, opts: { format: 'text' | 'json' | 'csv'; out?: string; exitCode?: boolean }) =>
      reviewGuarded(async () => {
        const { diffSnapshots, diffText, diffJson, diffCsv, hasChanges } = await import('../review/diff');
        const d = diffSnapshots(oldFile, newFile);
        const text = opts.format === 'json' ? diffJson(d) : opts.format === 'csv' ? diffCsv(d) : diffText(d);
        if (opts.out) {
          writeFileSync(opts.out, text);
          const s = d.summary;
          process.stdout.write(`${opts.out}: ${s.newAccounts} new, ${s.removedAccounts} removed, ${s.changedAccounts} changed accounts; ${s.granted} granted, ${s.revoked} revoked\n`);
        } else process.stdout.write(text);
        if (opts.exitCode && hasChanges(d)) process.exitCode = 1;
      }),
    );
}
