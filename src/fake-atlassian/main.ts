#!/usr/bin/env node
/**
 * CLI: start the fake Atlassian Cloud and print its URLs and credentials, then run until
 * SIGINT/SIGTERM.
 *
 *   npm run build && npm run fake-atlassian -- --tier M --port 8080
 *
 * Options: --tier S|M|L|XL (default S)  --seed N (1)  --port N (0 = random)  --host H (127.0.0.1)
 *          --no-org  --validate all|requests|off (all)  --hidden-email absent|null  --quiet
 * Every OpenAPI mismatch is printed to stderr as it happens.
 */
import { startFakeAtlassian, type FakeAtlassianOptions, type Tier } from './index';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`fake-atlassian: ${msg}\n`);
  process.stderr.write('usage: fake-atlassian [--tier S|M|L|XL] [--seed N] [--port N] [--host H] [--no-org] [--validate all|requests|off] [--hidden-email absent|null] [--quiet]\n');
  process.exit(2);
}

function parseArgs(argv: string[]): FakeAtlassianOptions & { quiet: boolean } {
  const o: FakeAtlassianOptions & { quiet: boolean } = { quiet: false, logValidation: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--tier': {
        const t = val().toUpperCase();
        if (!['S', 'M', 'L', 'XL'].includes(t)) usage(`unknown tier ${t}`);
        o.tier = t as Tier;
        break;
      }
      case '--seed':
        o.seed = Number(val());
        if (!Number.isInteger(o.seed)) usage('--seed must be an integer');
        break;
      case '--port':
        o.port = Number(val());
        if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) usage('--port must be 0..65535');
        break;
      case '--host':
        o.host = val();
        break;
      case '--no-org':
        o.withOrg = false;
        break;
      case '--validate': {
        const v = val();
        if (!['all', 'requests', 'off'].includes(v)) usage(`--validate ${v}?`);
        o.validate = v as 'all' | 'requests' | 'off';
        break;
      }
      case '--hidden-email': {
        const v = val();
        if (v !== 'absent' && v !== 'null') usage(`--hidden-email ${v}?`);
        o.hiddenEmail = v;
        break;
      }
      case '--quiet':
        o.quiet = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown option ${a}`);
    }
  }
  return o;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const fake = await startFakeAtlassian(opts);
  const c = fake.credentials;
  const counts = fake.groundTruthCounts();
  const lines = [
    `Fake Atlassian Cloud — tier ${fake.tenant.tier}, seed ${fake.tenant.seed}, ready in ${Date.now() - t0} ms (validation: ${opts.validate ?? 'all'})`,
    '',
    `  site URL      ${fake.siteUrl}            (Basic email:classic-token; /rest/api/3, /_edge/tenant_info)`,
    `  gateway URL   ${fake.gatewayUrl}   (scoped tokens, service accounts, OAuth bearer)`,
    `  admin API     ${fake.apiUrl}/admin            (org API key as Bearer)`,
    `  token URL     ${fake.authUrl}`,
    `  cloudId       ${fake.cloudId}`,
    `  orgId         ${fake.orgId}${fake.tenant.withOrg ? '' : '   (no organization: --no-org)'}`,
    '',
    'Credentials (fake; valid only for this process):',
    `  site admin (classic token, site URL)   email ${c.admin.email}`,
    `                                          token ${c.admin.token}`,
    `  site admin (scoped token, gateway)     email ${c.scoped.email}`,
    `                                          token ${c.scoped.token}`,
    `  service account (scoped, gateway)      email ${c.serviceAccount.email}`,
    `                                          token ${c.serviceAccount.token}   (Basic with the email, or Bearer)`,
    `  OAuth client credentials (svc acct)    client_id ${c.oauthClient.clientId}`,
    `                                          client_secret ${c.oauthClient.clientSecret}`,
    `  OAuth 3LO app (acts as site admin)     client_id ${c.threeLO.clientId}`,
    `                                          client_secret ${c.threeLO.clientSecret}`,
    `                                          refresh_token ${c.threeLO.refreshToken}   (rotating)`,
    `  org API key (Bearer, /admin only)      ${c.orgApiKey.key}`,
    '',
    `Tenant: ${counts.users} site users, ${counts.groups} groups, ${counts.groupMemberships} memberships, ${counts.projects} projects x ${fake.tenant.roles().length} roles (${counts.roleActors} role actors), ${counts.orgManagedAccounts} managed accounts, ${counts.directoryGroups} directory groups`,
    `Serving ${fake.endpoints().length} endpoints. Ctrl-C to stop.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (!opts.quiet) process.stdout.write(`\n${sig}: ${fake.stats.total} requests served, ${fake.validationErrors.length} validation issue(s). Stopping.\n`);
    await fake.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-atlassian: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
