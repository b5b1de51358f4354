/**
 * npm run bench -- --driver sdk [--workers 1,4] [--tier L] [--latency 50] [--rps 100] [--seed 1] [--peer baton-jira [--peer-version latest] [--peer-bin PATH] [--peer-cache DIR]] [--timeout 3600] [--write docs/PERFORMANCE.md]
 * npm run bench -- [--driver loop] [--tier L] [--latency 50] [--rps 100] [--workers 4] [--seed 1] [--validate all] [--project-permissions KEYS|none] [--global-permissions] [--activity-days N] [--work-items] [--org] [--expand-product-grants] [--no-sync-id] [--write docs/PERFORMANCE.md]
 * npm run bench -- --soak 20 [--tier M] [--seed 1] [--workers 4] [--abandon [--ttl-minutes 1]] [--write docs/PERFORMANCE.md]
 * Runs the sync benchmark (or the memory soak: N syncs in one server) and prints (and with --write, records) the figures.
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { runSyncBench, formatSyncBench, SyncBenchArgs } from './sync';
import { runSoak, formatSoak } from './soak';
import { runSdkBench, formatSdkBench, sdkBenchCommand, SdkBenchArgs } from './sdk';
import { optionFlags } from './children';

/** Puts `text` between two `marker` lines in the document `out` (replacing what was there). */
function record(out: string, marker: string, text: string): void {
  const section = `${marker}\n${text}\n${marker}`;
  let doc = existsSync(out) ? readFileSync(out, 'utf8') : '# Performance\n\n';
  const re = new RegExp(`${marker}[\\s\\S]*?${marker}`);
  doc = re.test(doc) ? doc.replace(re, section) : doc.trimEnd() + '\n\n' + section + '\n';
  writeFileSync(out, doc);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (name: string, d: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : d;
  };
  if (argv.includes('--soak')) {
    const abandon = argv.includes('--abandon');
    const soak = {
      syncs: Math.max(2, Number(get('soak', '20'))),
      tier: get('tier', 'M').toUpperCase(),
      seed: Number(get('seed', '1')),
      workers: Number(get('workers', '4')),
      abandon,
      ttlMinutes: Number(get('ttl-minutes', abandon ? '1' : '30')),
    };
    const text = formatSoak(await runSoak(soak));
    process.stdout.write(text + '\n');
    const out = argv.includes('--write') ? get('write', 'docs/PERFORMANCE.md') : undefined;
    if (out)
      record(
        out,
        `<!-- bench:soak:${soak.tier}${abandon ? ':abandon' : ''} -->`,
        `${text}\n\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --soak ${soak.syncs} --tier ${soak.tier}${abandon ? ` --abandon --ttl-minutes ${soak.ttlMinutes}` : ''}\` on this project's 2-core machine.`,
      );
    return;
  }
  const withPeer = argv.includes('--with-peer') || argv.includes('--peer');
  const driver = get('driver', withPeer ? 'sdk' : 'loop');
  if (driver !== 'loop' && driver !== 'sdk') throw new Error(`--driver ${driver}: loop (our sync loop, the default) or sdk (the Baton SDK's syncer through tools/baton-bridge)`);
  if (withPeer && driver !== 'sdk') throw new Error('baton-jira runs beside the SDK driver only: --driver sdk --peer baton-jira');
  if (argv.includes('--peer') && get('peer', '') !== 'baton-jira') throw new Error(`--peer ${get('peer', '')}: the only peer is baton-jira`);
  const tenant = {
    tier: get('tier', 'L').toUpperCase(),
    seed: Number(get('seed', '1')),
    latency: Number(get('latency', '50')),
    rps: Number(get('rps', '100')),
    validate: get('validate', 'all'),
    projectPermissions: argv.includes('--project-permissions') ? get('project-permissions', 'none') : undefined,
    globalPermissions: argv.includes('--global-permissions'),
    activityDays: argv.includes('--activity-days') ? Number(get('activity-days', '90')) : undefined,
    workItems: argv.includes('--work-items'),
    org: argv.includes('--org'),
    expandProductGrants: argv.includes('--expand-product-grants'),
  };
  if (driver === 'sdk') {
    const workers = get('workers', '1,4')
      .split(',')
      .map((w) => Number(w.trim()));
    if (workers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`--workers ${get('workers', '')}: a comma-separated list of worker counts, e.g. 1,4`);
    const peerBin = argv.includes('--peer-bin') ? get('peer-bin', '') : process.env.BATON_JIRA_BIN;
    const sdkArgs: SdkBenchArgs = {
      ...tenant,
      workers,
      timeoutSec: Number(get('timeout', '3600')),
      peer: withPeer
        ? {
            version: get('peer-version', 'latest'),
            bin: peerBin || undefined,
            binFrom: argv.includes('--peer-bin') ? '--peer-bin' : 'BATON_JIRA_BIN',
            cacheDir: argv.includes('--peer-cache') ? get('peer-cache', '') : undefined,
            timeoutSec: Number(get('timeout', '3600')),
          }
        : undefined,
    };
    const text = formatSdkBench(await runSdkBench(sdkArgs));
    process.stdout.write(text + '\n');
    const out = argv.includes('--write') ? get('write', 'docs/PERFORMANCE.md') : undefined;
    if (out) record(out, `<!-- bench:sdk:${sdkArgs.tier} -->`, `${text}\n\nMeasured ${new Date().toISOString().slice(0, 10)} with \`${sdkBenchCommand(sdkArgs)}\` on this project's 2-core machine.`);
    return;
  }
  const args: SyncBenchArgs = { ...tenant, workers: Number(get('workers', '4')), sendSyncId: !argv.includes('--no-sync-id') };
  const r = await runSyncBench(args);
  const text = formatSyncBench(r);
  process.stdout.write(text + '\n');
  const out = argv.includes('--write') ? get('write', 'docs/PERFORMANCE.md') : undefined;
  if (out) {
    const marker = `<!-- bench:sync:${args.tier} -->`;
    const section = `${marker}\n${text}\n\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --tier ${args.tier} --latency ${args.latency} --rps ${args.rps} --workers ${args.workers}${optionFlags(
      args,
    )
      .map((f) => ` ${f}`)
      .join('')}\` on this project's 2-core machine.\n${marker}`;
    let doc = existsSync(out) ? readFileSync(out, 'utf8') : '# Performance\n\n';
    const re = new RegExp(`${marker}[\\s\\S]*?${marker}`);
    doc = re.test(doc) ? doc.replace(re, section) : doc.trimEnd() + '\n\n' + section + '\n';
    writeFileSync(out, doc);
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
