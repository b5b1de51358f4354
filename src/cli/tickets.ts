/**
 * Ticketing by hand, through our own gRPC contract (an in-process server, as the platform calls it):
 *   tickets schemas [--id <schemaId>]      the schemas (one per project and issue type), as JSON
 *   tickets create --schema <id> --summary <text> [--description <text>] [--label <l>]... [--field <id>=<value>]...
 *                  [--request-id <id>] [--dry-run]
 *   tickets get <issueIdOrKey>
 * A create files an issue only with --ticketing (BATON_TICKETING=true); --dry-run checks the request against
 * the schema and prints the issue it would send instead (no switch needed). `--field` values are read by the
 * schema's kind: text; comma lists for several values (labels-like fields, account ids, options, object ids);
 * true/false; numbers; ISO dates; the allowed value (options) or its id (priority, components).
 */
import { Command } from 'commander';
import { addConfigOptions, guarded, rawFrom } from './options';
import { ConfigError, parseConnectorConfig } from '../config/schema';
import { ConnectorError } from '../errors';
import { createLogger, LogLevel, setRootLogger } from '../log';
import { buildConnector } from '../connector/wire';
import { startServer } from '../server/server';
import { dialConnector } from '../client/connector-client';
import type { DryRunWrite } from '../atlassian';
import { RequestId } from '../gen/c1/connector/v2/annotation_request';
import { Ticket, TicketCustomField, TicketSchema, TicketsServiceCreateTicketRequest } from '../gen/c1/connector/v2/ticket';

async function withTickets<T>(cmd: Command, fn: (c: ReturnType<typeof dialConnector>, dryRun: boolean) => Promise<T>, write = false): Promise<{ result: T; dryRun: DryRunWrite[]; isDryRun: boolean }> {
  const raw = rawFrom(cmd);
  setRootLogger(createLogger(((raw['log-level'] as LogLevel) || 'error') as LogLevel, 'console'));
  const cfg = parseConnectorConfig(raw);
  if (write && !cfg.ticketing && !cfg.dryRun)
    throw new ConnectorError('precondition', 'ticketing is not enabled, so a ticket is not filed; pass --ticketing (BATON_TICKETING=true) to file it, or --dry-run to print what would be sent');
  const writes: DryRunWrite[] = [];
  // the in-process server offers the tickets service for this command (reads, and a create checked above)
  const { connector } = await buildConnector({ ...cfg, ticketing: true }, { onDryRun: (w) => writes.push(w) });
  const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
  const client = dialConnector(server.address);
  try {
    return { result: await fn(client, cfg.dryRun), dryRun: writes, isDryRun: cfg.dryRun };
  } finally {
    client.close();
    await server.stop();
  }
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A `--field id=value` as the schema's kind of that field. */
export function fieldValue(schema: TicketSchema, spec: string): TicketCustomField {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ConfigError(undefined, `--field ${JSON.stringify(spec.slice(0, 64))} must be <field id>=<value>`);
  const id = spec.slice(0, eq);
  const v = spec.slice(eq + 1);
  const f = schema.customFields[id];
  if (!f?.value) throw new ConfigError(undefined, `--field ${id}: the schema ${schema.id} has no such field (tickets schemas --id ${schema.id} lists them)`);
  const base = { id, displayName: f.displayName, required: f.required, annotations: [] };
  const date = (s: string) => {
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) throw new ConfigError(undefined, `--field ${id}: ${JSON.stringify(s)} is not a date (ISO 8601, e.g. 2026-12-24 or 2026-12-24T09:30:00Z)`);
    return d;
  };
  switch (f.value.$case) {
    case 'stringValue':
      return { ...base, value: { $case: 'stringValue', value: { value: v, defaultValue: '' } } };
    case 'stringValues':
      return { ...base, value: { $case: 'stringValues', value: { values: list(v), defaultValues: [] } } };
    case 'boolValue':
      if (!/^(true|false)$/i.test(v)) throw new ConfigError(undefined, `--field ${id}: give true or false`);
      return { ...base, value: { $case: 'boolValue', value: { value: /^true$/i.test(v) } } };
    case 'numberValue': {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(undefined, `--field ${id}: ${JSON.stringify(v)} is not a number`);
      return { ...base, value: { $case: 'numberValue', value: { value: n, defaultValue: undefined } } };
    }
    case 'timestampValue':
      return { ...base, value: { $case: 'timestampValue', value: { value: date(v), defaultValue: undefined } } };
    case 'pickStringValue':
      return { ...base, value: { $case: 'pickStringValue', value: { value: v, allowedValues: [], defaultValue: '' } } };
    case 'pickMultipleStringValues':
      return { ...base, value: { $case: 'pickMultipleStringValues', value: { values: list(v), allowedValues: [], defaultValues: [] } } };
    case 'pickObjectValue':
      return { ...base, value: { $case: 'pickObjectValue', value: { value: { id: v, displayName: '' }, allowedValues: [], defaultValue: undefined } } };
    case 'pickMultipleObjectValues':
      return { ...base, value: { $case: 'pickMultipleObjectValues', value: { values: list(v).map((x) => ({ id: x, displayName: '' })), allowedValues: [], defaultValues: [] } } };
  }
}

function print(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

const collect = (v: string, acc: string[]) => [...acc, v];

export function registerTicketCommands(program: Command): void {
  const tickets = program.command('tickets').description('Jira as a ticketing provider (TicketsService): schemas, create (--dry-run), get');
  const groups = ['jira', 'oauth', 'organization', 'behaviour'] as const;

  addConfigOptions(tickets.command('schemas').description('list the ticket schemas (one per project and issue type the credential can create), or one with --id'), [...groups])
    .option('--id <schemaId>', 'one schema, "<projectKey>:<issueTypeId>"')
    .action((_o, cmd: Command) =>
      guarded(async () => {
        const o = cmd.opts() as { id?: string };
        const { result } = await withTickets(cmd, async (c) => {
          if (o.id) return TicketSchema.toJSON((await c.tickets.getTicketSchema({ id: o.id, annotations: [] })).schema!);
          const out: unknown[] = [];
          let pageToken = '';
          do {
            const r = await c.tickets.listTicketSchemas({ pageSize: 0, pageToken, annotations: [] });
            out.push(...r.list.map((s) => TicketSchema.toJSON(s)));
            pageToken = r.nextPageToken;
          } while (pageToken);
          return out;
        });
        print(result);
      }),
    );

  addConfigOptions(tickets.command('create').description('file one ticket as the platform would (with --dry-run: check it and print what would be sent)'), [...groups])
    .option('--schema <schemaId>', 'the schema, "<projectKey>:<issueTypeId>" (tickets schemas lists them)')
    .option('--summary <text>', 'the ticket title (issue summary)')
    .option('--description <text>', 'the description (plain text; sent as Atlassian Document Format)', '')
    .option('--label <label>', 'a label (repeatable)', collect, [])
    .option('--field <id=value>', 'a custom field of the schema (repeatable)', collect, [])
    .option('--request-id <id>', 'an idempotency key: a create with the same id files at most one issue')
    .action((_o, cmd: Command) =>
      guarded(async () => {
        const o = cmd.opts() as { schema?: string; summary?: string; description: string; label: string[]; field: string[]; requestId?: string };
        if (!o.schema) throw new ConfigError(undefined, '--schema is required');
        if (!o.summary) throw new ConfigError(undefined, '--summary is required');
        const out = await withTickets(
          cmd,
          async (c) => {
            const schema = (await c.tickets.getTicketSchema({ id: o.schema!, annotations: [] })).schema!;
            const customFields: Record<string, TicketCustomField> = {};
            for (const spec of o.field) {
              const f = fieldValue(schema, spec);
              customFields[f.id] = f;
            }
            const r = await c.tickets.createTicket(
              TicketsServiceCreateTicketRequest.fromPartial({
                request: { displayName: o.summary, description: o.description, labels: o.label, customFields },
                schema: { id: schema.id },
                annotations: o.requestId ? [{ typeUrl: 'type.googleapis.com/c1.connector.v2.RequestId', value: Buffer.from(RequestId.encode({ requestId: o.requestId }).finish()) }] : [],
              }),
            );
            return Ticket.toJSON(r.ticket!);
          },
          true,
        );
        print(out.isDryRun ? { dryRun: true, wouldSend: out.dryRun.map((w) => ({ method: w.method, url: w.url, body: w.body })), ticket: out.result } : out.result);
      }),
    );

  addConfigOptions(tickets.command('get').description('read one ticket (an issue id or key)').argument('<id>', 'issue id or key, e.g. ABC-123'), [...groups]).action((id: string, _o, cmd: Command) =>
    guarded(async () => {
      const { result } = await withTickets(cmd, async (c) => Ticket.toJSON((await c.tickets.getTicket({ id, annotations: [] })).ticket!));
      print(result);
    }),
  );
}
