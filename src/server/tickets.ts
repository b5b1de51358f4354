/**
 * gRPC handlers of c1.connector.v2.TicketsService: check the request, route it to the connector's
 * ticket manager (connector/tickets/), encode the answer. Registered only when ticketing is on
 * (BATON_TICKETING); otherwise every method answers UNIMPLEMENTED. Bulk calls answer per item: a
 * failed item carries `error` ("<gRPC code>: <message>") and no ticket, the others are created.
 */
import { status as Code } from '@grpc/grpc-js';
import { ConnectorError, invalidInput } from '../errors';
import { log } from '../log';
import { unary } from './services';
import { toServiceError } from './status';
import { RequestId } from '../gen/c1/connector/v2/annotation_request';
import type { Any } from '../gen/google/protobuf/any';
import type { CallContext, TicketManager } from '../connector/types';
import { Ticket } from '../gen/c1/connector/v2/ticket';
import type {
  TicketsServiceCreateTicketRequest,
  TicketsServiceCreateTicketResponse,
  TicketsServiceGetTicketRequest,
  TicketsServiceGetTicketResponse,
  TicketsServiceServer,
} from '../gen/c1/connector/v2/ticket';

const MAX_PAGE_SIZE = 250;
/** the contract's bound of ticket schema page tokens */
const MAX_TOKEN_BYTES = 4096;
/** items of one bulk call */
export const MAX_BULK = 100;
/** what one answer may carry: under grpc-go's 4 MiB receive limit, with room for the envelope */
const MAX_ANSWER_BYTES = 3.5 * 1024 * 1024;
const REQUEST_ID_TYPE = 'type.googleapis.com/c1.connector.v2.RequestId';

function checkId(field: string, v: string): string {
  if (!v) throw invalidInput(`${field} is required`);
  if (Buffer.byteLength(v, 'utf8') > 1024) throw invalidInput(`${field} is longer than 1024 bytes`);
  return v;
}

/** The platform's request id (a c1.connector.v2.RequestId annotation), when it sent one. */
function requestIdOf(annotations: Any[], field: string): string | undefined {
  const a = annotations.find((x) => x.typeUrl === REQUEST_ID_TYPE);
  if (!a) return undefined;
  let id: string;
  try {
    id = RequestId.decode(a.value).requestId;
  } catch {
    throw invalidInput(`${field}: the RequestId annotation does not decode`);
  }
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw invalidInput(`${field}: the RequestId annotation's request_id must be 1 to 128 letters, digits or "._:-"`);
  return id;
}

/** Field names in errors are the single call's (`request.display_name`); a bulk item's error adds `ticket_requests[i]: `. */
async function createOne(tickets: TicketManager, req: TicketsServiceCreateTicketRequest, ctx: CallContext): Promise<TicketsServiceCreateTicketResponse> {
  if (!req.request) throw invalidInput('request is required');
  const schemaId = checkId('schema.id', req.schema?.id ?? '');
  const requestId = requestIdOf(req.annotations, 'annotations');
  const ticket = await tickets.create(schemaId, req.request, requestId, ctx);
  return { ticket, annotations: [], error: '' };
}

async function getOne(tickets: TicketManager, req: TicketsServiceGetTicketRequest, ctx: CallContext): Promise<TicketsServiceGetTicketResponse> {
  const ticket = await tickets.get(checkId('id', req.id), ctx);
  return { ticket, annotations: [], error: '' };
}

/** One failed item of a bulk call: the status a single call would have answered, as text. */
function itemError(e: unknown, method: string, index: number): string {
  const se = toServiceError(e);
  if (se.code === Code.INTERNAL) log().error({ method, index, err: e, stack: e instanceof Error ? e.stack : undefined }, 'bulk item failed with an internal error');
  else log().warn({ method, index, code: Code[se.code], message: se.details }, 'bulk item failed');
  return `${Code[se.code]}: ticket_requests[${index}]: ${se.details}`;
}

function bulkSize(n: number, field: string): void {
  if (n === 0) throw invalidInput(`${field} is empty`);
  if (n > MAX_BULK) throw invalidInput(`${field} has ${n} items; at most ${MAX_BULK} per call`);
}

export function ticketsService(tickets: TicketManager): TicketsServiceServer {
  return {
    listTicketSchemas: unary('ListTicketSchemas', async (req, ctx) => {
      if (req.pageSize > MAX_PAGE_SIZE) throw invalidInput(`page_size ${req.pageSize} is above the limit of ${MAX_PAGE_SIZE}; send 0 to let the connector choose`);
      if (Buffer.byteLength(req.pageToken, 'utf8') > MAX_TOKEN_BYTES) throw invalidInput(`page_token is longer than ${MAX_TOKEN_BYTES} bytes`);
      const page = await tickets.listSchemas(req.pageToken || undefined, ctx);
      if (page.nextPageToken && page.nextPageToken === req.pageToken) throw new ConnectorError('internal', 'next page token unchanged; refusing to loop');
      return { list: page.items, nextPageToken: page.nextPageToken ?? '', annotations: [] };
    }),
    getTicketSchema: unary('GetTicketSchema', async (req, ctx) => ({ schema: await tickets.getSchema(checkId('id', req.id), ctx), annotations: [] })),
    createTicket: unary('CreateTicket', async (req, ctx) => createOne(tickets, req, ctx)),
    getTicket: unary('GetTicket', async (req, ctx) => getOne(tickets, req, ctx)),
    bulkCreateTickets: unary('BulkCreateTickets', async (req, ctx) => {
      bulkSize(req.ticketRequests.length, 'ticket_requests');
      const out: TicketsServiceCreateTicketResponse[] = [];
      // one at a time: Jira's create limits are per user, and an item's failure must not stop the others
      for (const [i, r] of req.ticketRequests.entries()) {
        try {
          out.push(await createOne(tickets, r, ctx));
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          out.push({ ticket: undefined, annotations: [], error: itemError(e, 'BulkCreateTickets', i) });
        }
      }
      return { tickets: out };
    }),
    bulkGetTickets: unary('BulkGetTickets', async (req, ctx) => {
      bulkSize(req.ticketRequests.length, 'ticket_requests');
      const out: TicketsServiceGetTicketResponse[] = [];
      let bytes = 0;
      for (const [i, r] of req.ticketRequests.entries()) {
        try {
          const one = await getOne(tickets, r, ctx);
          // the platform receives at most 4 MiB (grpc-go's default): the tickets past that are asked for again
          bytes += Ticket.encode(one.ticket!).finish().length;
          if (bytes > MAX_ANSWER_BYTES)
            throw new ConnectorError('precondition', `the answer would pass the ${MAX_ANSWER_BYTES} bytes the platform receives in one call; ask for this ticket in another call`);
          out.push(one);
        } catch (e) {
          if (ctx.signal.aborted) throw e;
          out.push({ ticket: undefined, annotations: [], error: itemError(e, 'BulkGetTickets', i) });
        }
      }
      return { tickets: out };
    }),
  } as TicketsServiceServer;
}
