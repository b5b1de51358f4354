/**
 * Offboarding from the command line, through our own gRPC contract (an in-process server, as the
 * platform would call it): `delete` (DeleteResourceV2: a user from the Jira site, an API token),
 * `invoke-action` (InvokeAction: account_deactivate, account_delete, ...). The same switches as grant/revoke: --provisioning, plus --allow-delete for
 * what cannot be undone; --dry-run prints the writes instead of sending them.
 */
import { Command } from 'commander';
import { addConfigOptions, guarded } from './options';
import { withServer, print } from './provision';
import { ConfigError } from '../config/schema';
import { DeleteResourceV2Request } from '../gen/c1/connector/v2/resource';
import { InvokeActionRequest } from '../gen/c1/connector/v2/action';
import { typeName } from '../connector/annotations';

const GROUPS = ['jira', 'oauth', 'organization', 'behaviour'] as const;

function required(o: Record<string, string | undefined>, ...keys: string[]): void {
  for (const k of keys) if (!o[k]) throw new ConfigError(undefined, `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
}

export function registerOffboardingCommands(program: Command): void {
  addConfigOptions(
    program
      .command('delete')
      .description('delete a resource as the platform would (DeleteResourceV2): a user from the Jira site, or an API token (revoke)')
      .option('--resource-type <type>', 'user or api-token')
      .option('--resource <id>', 'an account id, or <accountId>:<tokenId> for an api-token'),
    [...GROUPS],
  ).action((_o, cmd: Command) =>
    guarded(async () => {
      const o = cmd.opts() as { resourceType?: string; resource?: string };
      required(o, 'resourceType', 'resource');
      print(
        await withServer(cmd, 'delete', async (c) => {
          const r = await c.resourceDeleter.deleteResourceV2(DeleteResourceV2Request.fromPartial({ resourceId: { resourceType: o.resourceType, resource: o.resource } }));
          const already = r.annotations.some((a) => typeName(a) === 'c1.connector.v2.ResourceDeleted');
          return { deleted: `${o.resourceType}:${o.resource}`, changed: !already, ...(already ? { message: 'already gone: nothing was sent' } : {}), annotations: r.annotations.map(typeName) };
        }),
      );
    }),
  );

  addConfigOptions(
    program
      .command('invoke-action')
      .description('run one action as the platform would (InvokeAction), e.g. account_deactivate; the offboarding table of the README names them')
      .option('--name <action>', 'the action, e.g. account_deactivate, account_delete, account_remove_from_org')
      .option('--resource <accountId>', 'the account (user resource) to act on'),
    [...GROUPS],
  ).action((_o, cmd: Command) =>
    guarded(async () => {
      const o = cmd.opts() as { name?: string; resource?: string };
      required(o, 'name', 'resource');
      print(
        await withServer(cmd, `the ${o.name} action`, async (c) => {
          const r = await c.actions.invokeAction(InvokeActionRequest.fromPartial({ name: o.name, args: { resource_id: o.resource } }));
          return { action: r.name, id: r.id, response: r.response };
        }),
      );
    }),
  );
}
