/**
 * What a resource type, an account manager and the connector as a whole provide. The gRPC layer
 * (server/services.ts) validates requests, routes them here and encodes the answers; code behind
 * these interfaces never sees a gRPC call or an HTTP detail.
 */
import type { Any } from '../gen/google/protobuf/any';
import type { Resource, ResourceId, ResourceType, CreateAccountRequest, CreateAccountResponse } from '../gen/c1/connector/v2/resource';
import type { Entitlement } from '../gen/c1/connector/v2/entitlement';
import type { Grant } from '../gen/c1/connector/v2/grant';
import type { Ticket, TicketRequest, TicketSchema } from '../gen/c1/connector/v2/ticket';

export interface Page<T> {
  items: T[];
  /** empty or undefined ends the sequence */
  nextPageToken?: string;
  annotations?: Any[];
}

export interface CallContext {
  /** the gRPC deadline, if the caller set one */
  deadline?: Date;
  /** aborted when the caller cancels */
  signal: AbortSignal;
  activeSyncId?: string;
}

export interface GrantResult {
  grants: Grant[];
  annotations: Any[];
}

export interface Provisioner {
  /** principal: who gets access; entitlement: what (its resource decides where the change is made) */
  grant(principal: Resource, entitlement: Entitlement, ctx: CallContext): Promise<GrantResult>;
  revoke(grant: Grant, ctx: CallContext): Promise<Any[]>;
}

export interface ResourceSyncer {
  readonly type: ResourceType;
  /** Lists one page. parent undefined = top-level listing (child-only types return no items). */
  list(parent: ResourceId | undefined, pageToken: string | undefined, ctx: CallContext): Promise<Page<Resource>>;
  entitlements(resource: Resource, pageToken: string | undefined, ctx: CallContext): Promise<Page<Entitlement>>;
  grants(resource: Resource, pageToken: string | undefined, ctx: CallContext): Promise<Page<Grant>>;
  /** targeted sync; absent means GetResource answers UNIMPLEMENTED for this type */
  get?(id: ResourceId, parent: ResourceId | undefined, ctx: CallContext): Promise<Resource>;
  /** Grant/Revoke for entitlements of this type; absent means the type is read-only */
  provisioner?: Provisioner;
  /** DeleteResourceV2 for resources of this type (after the provisioning switch); absent means they cannot be deleted here */
  deleter?: ResourceDeleter;
  /** at Cleanup: drops what this type cached for the sync */
  cleanup?(activeSyncId: string | undefined): Promise<void>;
}

export type CredentialOption = 'NO_PASSWORD' | 'RANDOM_PASSWORD' | 'SSO' | 'ENCRYPTED_PASSWORD';

export interface AccountManager {
  resourceTypeId: string;
  supportedCredentialOptions: CredentialOption[];
  preferredCredentialOption: CredentialOption;
  /** field name -> description, for ConnectorAccountCreationSchema */
  schemaFields: { name: string; displayName: string; description: string; required: boolean; type: 'string' | 'string-list' | 'bool'; placeholder?: string; order: number }[];
  create(req: CreateAccountRequest, ctx: CallContext): Promise<CreateAccountResponse>;
}

export interface ActionSpec {
  name: string;
  displayName: string;
  description: string;
  actionType: 'ACCOUNT_DISABLE' | 'ACCOUNT_ENABLE' | 'RESOURCE_DELETE' | 'RESOURCE_ENABLE' | 'RESOURCE_DISABLE';
  resourceTypeId: string;
  /** the one argument: the id of a resource of resourceTypeId */
  argument: { name: string; displayName: string; description: string };
}

/** Deletes one resource; `changed: false` when it was already gone (nothing was sent). */
export interface ResourceDeleter {
  delete(id: ResourceId, parent: ResourceId | undefined, ctx: CallContext): Promise<{ changed: boolean; message: string }>;
}

export interface ActionManager {
  specs: ActionSpec[];
  /** runs the action to its end; the result becomes the response Struct */
  invoke(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>>;
}

/** TicketsService (BATON_TICKETING): Jira issues as the platform's tickets (connector/tickets/). */
export interface TicketManager {
  /** one page of schemas: one per (project, issue type) the credential can create */
  listSchemas(pageToken: string | undefined, ctx: CallContext): Promise<Page<TicketSchema>>;
  getSchema(id: string, ctx: CallContext): Promise<TicketSchema>;
  /** checks the request against the schema (INVALID_ARGUMENT naming the field) before anything is written */
  create(schemaId: string, req: TicketRequest, requestId: string | undefined, ctx: CallContext): Promise<Ticket>;
  get(id: string, ctx: CallContext): Promise<Ticket>;
}

export interface ConnectorInfo {
  displayName: string;
  description: string;
  helpUrl?: string;
}

export interface Connector {
  readonly info: ConnectorInfo;
  readonly syncers: ResourceSyncer[];
  readonly accountManager?: AccountManager;
  readonly actions?: ActionManager;
  /** present when ticketing is on (BATON_TICKETING) */
  readonly tickets?: TicketManager;
  /** Checks configuration and upstream credentials; throws ConnectorError on failure. */
  validate(ctx: CallContext): Promise<Any[]>;
  /** Called at the end of a sync (Cleanup); must be idempotent. */
  cleanup?(activeSyncId: string | undefined): Promise<void>;
  close?(): Promise<void>;
}
