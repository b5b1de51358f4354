/**
 * One-off provisioning from the command line, through our own gRPC contract (an in-process
 * server, as the platform would call it): grant, revoke, create-account. Like the server, they
 * write only with --provisioning (BATON_PROVISIONING=true); without it they refuse with
 * FAILED_PRECONDITION (exit 1) before anything is read or sent. With --dry-run the writes are
 * printed instead of sent (reads still happen, e.g. to route a group change), so it needs no switch.
 * A refusal of the server (e.g. an inherited grant) is printed with its code, exit 1.
 */
import { Command } from 'commander';
import { addConfigOptions, guarded, rawFrom } from './options';
import { parseConnectorConfig } from '../config/schema';
import { createLogger, LogLevel, setRootLogger } from '../log';
import { buildConnector } from '../connector/wire';
import { startServer } from '../server/server';
import { provisioningOff } from '../server/services';
import { dialConnector } from '../client/connector-client';
import type { DryRunWrite } from '../atlassian';
import { GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest } from '../gen/c1/connector/v2/grant';
import { CreateAccountRequest } from '../gen/c1/connector/v2/resource';
import { entitlementId, grantId } from '../connector/ids';
import { typeName } from '../connector/annotations';
import { ConfigError } from '../config/schema';

interface Target {
  resourceType: string;
  resource: string;
  slug: string;
  principalType: string;
  principal: string;
}

export async function withServer<T>(cmd: Command, what: string, fn: (c: ReturnType<typeof dialConnector>) => Promise<T>): Promise<{ result: T; dryRun: DryRunWrite[]; isDryRun: boolean }> {
  const raw = rawFrom(cmd);
  // the in-process server's warnings repeat what the command prints (its answer, or one error line): quiet unless asked
  setRootLogger(createLogger(((raw['log-level'] as LogLevel) || 'error') as LogLevel, 'console'));
  // --provisioning and --dry-run (BATON_PROVISIONING, BATON_DRY_RUN) are configuration flags
  const cfg = parseConnectorConfig(raw);
  if (!cfg.provisioning && !cfg.dryRun) throw provisioningOff(what, 'pass --provisioning (BATON_PROVISIONING=true) to allow changes, or --dry-run to print what would be sent');
  const writes: DryRunWrite[] = [];
  const { connector } = await buildConnector(cfg, { onDryRun: (w) => writes.push(w) });
  // a dry run sends no write, so it runs without the switch
  const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: true });
  const client = dialConnector(server.address);
  try {
    return { result: await fn(client), dryRun: writes, isDryRun: cfg.dryRun };
  } finally {
    client.close();
    await server.stop();
  }
}

function target(o: Record<string, string | undefined>): Target {
  for (const k of ['resourceType', 'resource', 'slug', 'principalType', 'principal'] as const)
    if (!o[k]) throw new ConfigError(undefined, `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
  return o as unknown as Target;
}

export function print(out: { result: unknown; dryRun: DryRunWrite[]; isDryRun: boolean }): void {
  const doc = out.isDryRun ? { dryRun: true, wouldSend: out.dryRun.map((w) => ({ method: w.method, url: w.url, query: w.query, body: w.body })), result: out.result } : out.result;
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

const targetOptions = (c: Command) =>
  c
    .option('--resource-type <type>', 'type of the resource that owns the entitlement: group, project-role')
    .option('--resource <id>', 'its id: a group id, or <projectId>:<roleId>')
    .option('--slug <slug>', 'entitlement slug: member (group), assigned (project-role)')
    .option('--principal-type <type>', 'user, or group (project roles only)')
    .option('--principal <id>', 'account id or group id');

export function registerProvisionCommands(program: Command): void {
  addConfigOptions(targetOptions(program.command('grant').description('grant an entitlement to a principal (e.g. add a user to a group), as the platform would')), [
    'jira',
    'oauth',
    'organization',
    'behaviour',
  ]).action((_o, cmd: Command) =>
    guarded(async () => {
      const t = target(cmd.opts());
      print(
        await withServer(cmd, 'grant', async (c) => {
          const r = await c.grantManager.grant(
            GrantManagerServiceGrantRequest.fromPartial({
              entitlement: { id: entitlementId(t.resourceType, t.resource, t.slug), resource: { id: { resourceType: t.resourceType, resource: t.resource } } },
              principal: { id: { resourceType: t.principalType, resource: t.principal } },
            }),
          );
          return { grants: r.grants.map((g) => g.id), annotations: r.annotations.map(typeName) };
        }),
      );
    }),
  );

  addConfigOptions(targetOptions(program.command('revoke').description('revoke a grant (e.g. remove a user from a group), as the platform would')), [
    'jira',
    'oauth',
    'organization',
    'behaviour',
  ]).action((_o, cmd: Command) =>
    guarded(async () => {
      const t = target(cmd.opts());
      print(
        await withServer(cmd, 'revoke', async (c) => {
          const ent = entitlementId(t.resourceType, t.resource, t.slug);
          const r = await c.grantManager.revoke(
            GrantManagerServiceRevokeRequest.fromPartial({
              grant: {
                id: grantId(ent, t.principalType, t.principal),
                entitlement: { id: ent, resource: { id: { resourceType: t.resourceType, resource: t.resource } } },
                principal: { id: { resourceType: t.principalType, resource: t.principal } },
              },
            }),
          );
          return { revoked: grantId(ent, t.principalType, t.principal), annotations: r.annotations.map(typeName) };
        }),
      );
    }),
  );

  addConfigOptions(
    program
      .command('create-account')
      .description('invite a new Atlassian account by email (no password), as the platform would')
      .option('--email <email>', 'where the invitation goes')
      .option('--products <list>', 'comma-separated products, e.g. jira-software'),
    ['jira', 'oauth', 'organization', 'behaviour'],
  ).action((_o, cmd: Command) =>
    guarded(async () => {
      const o = cmd.opts() as { email?: string; products?: string };
      if (!o.email) throw new ConfigError(undefined, '--email is required');
      print(
        await withServer(cmd, 'create-account', async (c) => {
          const r = await c.accountManager.createAccount(
            CreateAccountRequest.fromPartial({
              accountInfo: { emails: [{ address: o.email!, isPrimary: true }], login: o.email, profile: { products: (o.products ?? '').split(',').filter(Boolean) } },
              credentialOptions: { options: { $case: 'noPassword', value: {} } },
            }),
          );
          const res = r.result;
          return {
            result: res?.$case,
            account: res && 'resource' in res.value ? res.value.resource?.id?.resource : undefined,
            message: res?.$case === 'actionRequired' ? res.value.message : undefined,
            // e.g. that an existing account with a hidden email could not be ruled out (no organization configured)
            note: res?.$case === 'success' && res.value.resource?.description ? res.value.resource.description : undefined,
          };
        }),
      );
    }),
  );
}
