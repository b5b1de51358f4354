/**
 * Hostile TicketsService requests (seeded): random bytes, path-like and oversized ids, custom fields of every
 * kind with wrong kinds, unknown keys, disallowed and malformed values, huge texts, odd request ids. Only
 * documented codes come back (never INTERNAL or UNKNOWN, no stack trace); every upstream request has the
 * shape of an expected endpoint (test/security/templates.ts); Jira never refuses a create we sent (every bad
 * value is caught before the write); the server stays healthy.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness } from '../helpers/harness';
import { rawClient } from '../helpers/raw-client';
import { checkRequest, show } from '../security/templates';
import { Rng } from '../../src/fake-atlassian/rng';
import { issueStore } from '../../src/fake-atlassian/issues';
import { TicketCustomField, TicketSchema, TicketsServiceCreateTicketRequest } from '../../src/gen/c1/connector/v2/ticket';
import { RequestId } from '../../src/gen/c1/connector/v2/annotation_request';

const SEED = Number(process.env.FUZZ_SEED ?? 1717);
const COUNT = 400;
const ALLOWED = new Set([Code.INVALID_ARGUMENT, Code.NOT_FOUND, Code.FAILED_PRECONDITION, Code.PERMISSION_DENIED]);

let h: Harness;
let schemas: TicketSchema[];
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 17 }, config: () => ({ ticketing: true }) });
  h.fake.stats.enableLog(100_000);
  schemas = [];
  let pageToken = '';
  do {
    const r = await h.client.tickets.listTicketSchemas({ pageSize: 0, pageToken, annotations: [] });
    schemas.push(...r.list);
    pageToken = r.nextPageToken;
  } while (pageToken);
});
afterAll(async () => h?.stop());

const NASTY = ['', '.', '..', '%2e%2e', 'a/b', '../../x', 'ABC-1/../2', 'ABC:1', 'abc:10001', 'ABC:10001/..', '1e3', '-1', '\u0000', '𝔘ñí', ' ', 'x'.repeat(2000), 'ABC-', '10000?x=1', '#frag'];

function text(rng: Rng): string {
  const r = rng.next();
  if (r < 0.5) return rng.pick(NASTY);
  if (r < 0.7) return 'y'.repeat(rng.pick([0, 1, 255, 256, 32_767, 40_000]));
  return Array.from({ length: rng.int(1, 20) }, () => String.fromCharCode(rng.int(1, 0x2fff))).join('');
}

function value(rng: Rng, schema: TicketSchema | undefined): TicketCustomField['value'] {
  const allowed = (f: TicketCustomField | undefined) => {
    const v = f?.value?.value as { allowedValues?: unknown[] } | undefined;
    return v?.allowedValues ?? [];
  };
  const some = schema ? rng.pick(Object.values(schema.customFields)) : undefined;
  switch (rng.int(0, 8)) {
    case 0:
      return { $case: 'stringValue', value: { value: text(rng), defaultValue: rng.chance(0.2) ? text(rng) : '' } };
    case 1:
      return { $case: 'stringValues', value: { values: Array.from({ length: rng.pick([0, 1, 3, 101]) }, () => text(rng)), defaultValues: [] } };
    case 2:
      return { $case: 'boolValue', value: { value: rng.chance(0.5) } };
    case 3:
      return { $case: 'numberValue', value: { value: rng.pick([NaN, Infinity, -0, 3e38, 2.5, undefined]), defaultValue: undefined } };
    case 4:
      return { $case: 'timestampValue', value: { value: new Date(rng.pick([0, -1e15, 8e15, Date.UTC(2026, 0, 1)])), defaultValue: undefined } };
    case 5:
      return { $case: 'pickStringValue', value: { value: rng.chance(0.5) ? String(rng.pick(allowed(some).length ? allowed(some) : ['x'])) : text(rng), allowedValues: [], defaultValue: '' } };
    case 6:
      return { $case: 'pickMultipleStringValues', value: { values: [text(rng), 'Jira'], allowedValues: [], defaultValues: [] } };
    case 7:
      return { $case: 'pickObjectValue', value: { value: { id: rng.chance(0.5) ? '2' : text(rng), displayName: '' }, allowedValues: [], defaultValue: undefined } };
    default:
      return { $case: 'pickMultipleObjectValues', value: { values: [{ id: text(rng), displayName: '' }], allowedValues: [], defaultValues: [] } };
  }
}

function createRequest(rng: Rng): TicketsServiceCreateTicketRequest {
  const schema = rng.chance(0.8) ? rng.pick(schemas) : undefined;
  const keys = schema ? Object.keys(schema.customFields) : [];
  const customFields: Record<string, TicketCustomField> = {};
  for (let i = rng.int(0, 6); i > 0; i--) {
    const k = keys.length && rng.chance(0.8) ? rng.pick(keys) : text(rng).slice(0, 100);
    customFields[k] = { id: k, displayName: '', required: false, annotations: [], value: rng.chance(0.05) ? undefined : value(rng, schema) };
  }
  return TicketsServiceCreateTicketRequest.fromPartial({
    request: rng.chance(0.95)
      ? {
          displayName: rng.chance(0.6) ? `Ticket ${rng.int(0, 1e6)}` : text(rng),
          description: rng.chance(0.5) ? '' : text(rng),
          labels: Array.from({ length: rng.pick([0, 1, 2, 51]) }, () => (rng.chance(0.5) ? 'ok' : text(rng))),
          customFields,
          status: rng.chance(0.2) ? { id: text(rng), displayName: '' } : undefined,
          type: rng.chance(0.2) ? { id: text(rng), displayName: '' } : undefined,
        }
      : undefined,
    schema: rng.chance(0.9) ? { id: schema && rng.chance(0.7) ? schema.id : text(rng) } : undefined,
    annotations: rng.chance(0.3)
      ? [
          {
            typeUrl: 'type.googleapis.com/c1.connector.v2.RequestId',
            value: rng.chance(0.3) ? Buffer.from([0xff, 0xff, 0xff]) : Buffer.from(RequestId.encode({ requestId: text(rng).slice(0, 300) }).finish()),
          },
        ]
      : [],
  });
}

test(`${COUNT} hostile ticket requests: documented codes only, expected upstream shapes, no refused write`, async () => {
  const rng = new Rng(SEED);
  const codes = new Map<string, number>();
  const bad: string[] = [];
  const raws = ['CreateTicket', 'GetTicket', 'ListTicketSchemas', 'GetTicketSchema', 'BulkCreateTickets', 'BulkGetTickets'].map((m) =>
    rawClient(h.server.address, `/c1.connector.v2.TicketsService/${m}`),
  );
  const note = (what: string, e: unknown) => {
    const se = e as ServiceError;
    codes.set(Code[se.code], (codes.get(Code[se.code]) ?? 0) + 1);
    // a request above the 4 MiB receive limit is refused by grpc-js before it is read (README: Design)
    const tooBig = se.code === Code.RESOURCE_EXHAUSTED && /larger than max/.test(se.details ?? '');
    if ((!ALLOWED.has(se.code) && !tooBig) || /\n\s+at |\.ts:\d+/.test(se.details ?? '')) bad.push(`${what}: ${Code[se.code]} ${String(se.details).slice(0, 200)}`);
  };
  for (let i = 0; i < COUNT; i++) {
    const kind = rng.int(0, 6);
    try {
      if (kind === 0) {
        const r = await rng.pick(raws).call(Buffer.from(Array.from({ length: rng.pick([1, 3, 16, 300]) }, () => rng.int(0, 255))));
        if (!Buffer.isBuffer(r)) note('raw bytes', r);
      } else if (kind === 1) await h.client.tickets.getTicket({ id: text(rng), annotations: [] });
      else if (kind === 2) await h.client.tickets.getTicketSchema({ id: rng.chance(0.3) ? rng.pick(schemas).id.replace(/:/, rng.pick([':', '::', ':../'])) : text(rng), annotations: [] });
      else if (kind === 3) await h.client.tickets.listTicketSchemas({ pageSize: rng.pick([0, 250, 251, 2 ** 31]), pageToken: rng.chance(0.5) ? '' : text(rng).slice(0, 5000), annotations: [] });
      else if (kind === 4) {
        const r = await h.client.tickets.bulkCreateTickets({ ticketRequests: Array.from({ length: rng.pick([0, 1, 3, 101]) }, () => createRequest(rng)) });
        for (const t of r.tickets) if (t.error && !/^(INVALID_ARGUMENT|NOT_FOUND|FAILED_PRECONDITION): ticket_requests\[\d+\]: /.test(t.error)) bad.push(`bulk item: ${t.error.slice(0, 200)}`);
      } else if (kind === 5) await h.client.tickets.bulkGetTickets({ ticketRequests: Array.from({ length: rng.pick([0, 2, 101]) }, () => ({ id: text(rng), annotations: [] })) });
      else await h.client.tickets.createTicket(createRequest(rng));
      codes.set('OK', (codes.get('OK') ?? 0) + 1);
    } catch (e) {
      note(`kind ${kind}`, e);
    }
  }
  raws.forEach((r) => r.close());
  expect(bad).toEqual([]);
  const { requests } = h.fake.stats.takeLog();
  expect(requests.filter((r) => checkRequest(r, h.fake.orgId)).map((r) => `${show(r)}: ${checkRequest(r, h.fake.orgId)}`)).toEqual([]);
  // every value Jira would refuse was refused by us first: no create came back 400
  expect(h.fake.stats.statusCount(400, 'POST /rest/api/3/issue')).toBe(0);
  expect(issueStore(h.fake.tenant).created().length).toBe(h.fake.stats.statusCount(201, 'POST /rest/api/3/issue'));
  expect(h.fake.validationErrors).toEqual([]);
  // still serving
  expect((await h.client.tickets.getTicketSchema({ id: schemas[0].id, annotations: [] })).schema!.id).toBe(schemas[0].id);
  expect(codes.get('OK') ?? 0).toBeGreaterThan(0);
});
