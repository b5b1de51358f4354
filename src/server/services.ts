/**
 * gRPC handlers for c1.connector.v2: decode and check the request, route it to the resource type
 * (or account manager), encode the answer. Every failure leaves through status.ts.
 */
import { setMaxListeners } from 'node:events';
import { handleUnaryCall, sendUnaryData, ServerUnaryCall, status as Code } from '@grpc/grpc-js';
import { Connector, CallContext, Page, ResourceSyncer } from '../connector/types';
import { computeMetadata } from '../connector/metadata';
import { ConnectorError, invalidInput } from '../errors';
import { toServiceError } from './status';
import { MAX_ID_BYTES, undecodableError } from './decode';
import { log } from '../log';
import { AnonymousSyncs, SyncCall } from './sync-scope';
import type { Resource, ResourceId } from '../gen/c1/connector/v2/resource';
import { ConnectorServiceServer, ConnectorServiceValidateResponse } from '../gen/c1/connector/v2/connector';
import {
  ResourceTypesServiceServer,
  ResourcesServiceServer,
  ResourceGetterServiceServer,
  AccountManagerServiceServer,
  ResourceDeleterServiceServer,
  ResourceManagerServiceServer,
} from '../gen/c1/connector/v2/resource';
import { resourceDeleted } from '../connector/anno';
import { EntitlementsServiceServer } from '../gen/c1/connector/v2/entitlement';
import { GrantsServiceServer, GrantManagerServiceServer } from '../gen/c1/connector/v2/grant';
import { ActionServiceServer, ActionType, BatonActionSchema, BatonActionStatus } from '../gen/c1/connector/v2/action';
import type { ActionSpec } from '../connector/types';
import { randomUUID } from 'node:crypto';

/** Reported in Validate; the syncer needs semver >= 0.4.3 to send active_sync_id. */
export const SDK_VERSION = 'v0.25.0';

const MAX_ID = MAX_ID_BYTES;
const MAX_PAGE_SIZE = 250;

export interface ServiceOptions {
  provisioning: boolean;
}

function checkString(field: string, v: string | undefined, required: boolean): string {
  if (v === undefined || v === '') {
    if (required) throw invalidInput(`${field} is required`);
    return '';
  }
  if (Buffer.byteLength(v, 'utf8') > MAX_ID) throw invalidInput(`${field} is longer than ${MAX_ID} bytes`);
  return v;
}

function checkResourceId(field: string, id: ResourceId | undefined, required: boolean): ResourceId | undefined {
  if (!id) {
    if (required) throw invalidInput(`${field} is required`);
    return undefined;
  }
  checkString(`${field}.resource_type`, id.resourceType, true);
  checkString(`${field}.resource`, id.resource, true);
  return id;
}

function checkPageSize(n: number | undefined): void {
  if (n !== undefined && n > MAX_PAGE_SIZE) throw invalidInput(`page_size ${n} is above the limit of ${MAX_PAGE_SIZE}; send 0 to let the connector choose`);
}

function checkResource(field: string, r: Resource | undefined): Resource {
  if (!r) throw invalidInput(`${field} is required`);
  checkResourceId(`${field}.id`, r.id, true);
  return r;
}

/** The refusal of a write while provisioning is off (FAILED_PRECONDITION); the CLI's grant, revoke and create-account say the same. */
export function provisioningOff(what: string, how: string): ConnectorError {
  return new ConnectorError('precondition', `provisioning is not enabled, so ${what} is refused; ${how}`);
}

/** Wraps an async handler: deadline and cancellation into a CallContext, errors through status.ts. */
export function unary<Req, Res>(method: string, fn: (req: Req, ctx: CallContext) => Promise<Res>, anonymousSync?: () => string): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    const started = Date.now();
    const ac = new AbortController();
    // one call may fan out to many concurrent upstream requests, each listening on this signal
    setMaxListeners(0, ac.signal);
    call.on('cancelled', () => ac.abort());
    const dl = call.getDeadline();
    const deadline = dl === Infinity ? undefined : dl instanceof Date ? dl : new Date(Number(dl));
    let p: Promise<Res>;
    try {
      const bad = undecodableError(call.request);
      if (bad) throw bad;
      // every request that carries active_sync_id: it keys per-sync caches, so it is bounded like an id before anything sees it
      // a listing call without one belongs to the caller's anonymous sync (sync-scope.ts)
      const activeSyncId = checkString('active_sync_id', (call.request as Req & { activeSyncId?: string }).activeSyncId, false) || anonymousSync?.() || undefined;
      const ctx: CallContext = { signal: ac.signal, deadline, activeSyncId };
      p = fn(call.request, ctx);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (res) => {
        log().debug({ method, ms: Date.now() - started }, 'rpc ok');
        callback(null, res);
      },
      (err: unknown) => {
        const se = toServiceError(err);
        if (se.code === Code.INTERNAL) log().error({ method, err, stack: err instanceof Error ? err.stack : undefined }, 'rpc failed with an internal error');
        else log().warn({ method, code: Code[se.code], message: se.details, ms: Date.now() - started }, 'rpc failed');
        callback(se as Parameters<sendUnaryData<Res>>[0]);
      },
    );
  };
}

export class ConnectorServices {
  private readonly byType = new Map<string, ResourceSyncer>();
  /** the sync of listing calls that carry no active_sync_id */
  private readonly anonymous = new AnonymousSyncs((id) => this.connector.cleanup?.(id) ?? Promise.resolve());
  private readonly inSync = (call: SyncCall) => () => this.anonymous.idFor(call);

  constructor(
    private readonly connector: Connector,
    private readonly opts: ServiceOptions,
  ) {
    for (const s of connector.syncers) this.byType.set(s.type.id, s);
  }

  private syncer(typeId: string, field = 'resource_type_id'): ResourceSyncer {
    checkString(field, typeId, true);
    const s = this.byType.get(typeId);
    if (!s) throw new ConnectorError('not-found', `unknown resource type "${typeId.slice(0, 64)}"; ListResourceTypes names the ${this.byType.size} types this connector serves`);
    return s;
  }

  private requireProvisioning(what: string): void {
    if (!this.opts.provisioning) throw provisioningOff(what, 'start the connector with --provisioning (BATON_PROVISIONING=true) to allow changes');
  }

  connectorService(): ConnectorServiceServer {
    return {
      getMetadata: unary('GetMetadata', async () => ({ metadata: computeMetadata(this.connector) })),
      validate: unary('Validate', async (_req, ctx) => {
        const annotations = await this.connector.validate(ctx);
        return ConnectorServiceValidateResponse.fromPartial({ annotations, sdkVersion: SDK_VERSION });
      }),
      cleanup: unary(
        'Cleanup',
        async (_req, ctx) => {
          const anonymous = ctx.activeSyncId === this.anonymous.current;
          await this.connector.cleanup?.(ctx.activeSyncId);
          if (anonymous) this.anonymous.ended();
          return { annotations: [] };
        },
        this.inSync('Cleanup'),
      ),
    } as ConnectorServiceServer;
  }

  resourceTypesService(): ResourceTypesServiceServer {
    return {
      listResourceTypes: unary(
        'ListResourceTypes',
        async (req) => {
          checkPageSize(req.pageSize);
          if (req.pageToken) throw invalidInput('page_token was not issued by this connector: ListResourceTypes answers in one page');
          return { list: this.connector.syncers.map((s) => s.type), nextPageToken: '', annotations: [] };
        },
        this.inSync('ListResourceTypes'),
      ),
    } as ResourceTypesServiceServer;
  }

  resourcesService(): ResourcesServiceServer {
    return {
      listResources: unary(
        'ListResources',
        async (req, ctx) => {
          checkPageSize(req.pageSize);
          const s = this.syncer(req.resourceTypeId);
          const parent = checkResourceId('parent_resource_id', req.parentResourceId, false);
          const page = await s.list(parent, req.pageToken || undefined, ctx);
          return { list: page.items, nextPageToken: this.next(req.pageToken, page.nextPageToken), annotations: page.annotations ?? [] };
        },
        this.inSync('ListResources'),
      ),
    } as ResourcesServiceServer;
  }

  resourceGetterService(): ResourceGetterServiceServer {
    return {
      getResource: unary('GetResource', async (req, ctx) => {
        const id = checkResourceId('resource_id', req.resourceId, true)!;
        const parent = checkResourceId('parent_resource_id', req.parentResourceId, false);
        const s = this.syncer(id.resourceType, 'resource_id.resource_type');
        if (!s.get) throw new ConnectorError('unimplemented', `GetResource is not supported for ${s.type.id} resources`);
        return { resource: await s.get(id, parent, ctx), annotations: [] };
      }),
    } as ResourceGetterServiceServer;
  }

  /** ListEntitlements and ListGrants: one page of what one resource has, in the caller's sync. */
  private perResource<T>(method: 'ListEntitlements' | 'ListGrants', list: (s: ResourceSyncer, r: Resource, pageToken: string | undefined, ctx: CallContext) => Promise<Page<T>>) {
    return unary(
      method,
      async (req: { pageSize?: number; resource?: Resource; pageToken: string }, ctx) => {
        checkPageSize(req.pageSize);
        const r = checkResource('resource', req.resource);
        const s = this.syncer(r.id!.resourceType, 'resource.id.resource_type');
        const page = await list(s, r, req.pageToken || undefined, ctx);
        return { list: page.items, nextPageToken: this.next(req.pageToken, page.nextPageToken), annotations: page.annotations ?? [] };
      },
      this.inSync(method),
    );
  }

  entitlementsService(): EntitlementsServiceServer {
    return {
      listEntitlements: this.perResource('ListEntitlements', (s, r, token, ctx) => s.entitlements(r, token, ctx)),
      listStaticEntitlements: unary(
        'ListStaticEntitlements',
        async (req) => {
          checkPageSize(req.pageSize);
          this.syncer(req.resourceTypeId);
          // entitlements here are per resource; there are no static templates
          return { list: [], nextPageToken: '', annotations: [] };
        },
        this.inSync('ListStaticEntitlements'),
      ),
    } as EntitlementsServiceServer;
  }

  grantsService(): GrantsServiceServer {
    return {
      listGrants: this.perResource('ListGrants', (s, r, token, ctx) => s.grants(r, token, ctx)),
    } as GrantsServiceServer;
  }

  grantManagerService(): GrantManagerServiceServer {
    return {
      grant: unary('Grant', async (req, ctx) => {
        const ent = req.entitlement;
        if (!ent) throw invalidInput('entitlement is required');
        checkString('entitlement.id', ent.id, false);
        const entRes = checkResource('entitlement.resource', ent.resource);
        const principal = checkResource('principal', req.principal);
        const s = this.syncer(entRes.id!.resourceType, 'entitlement.resource.id.resource_type');
        if (!s.provisioner) throw new ConnectorError('unimplemented', `entitlements of ${s.type.id} resources are read-only in Jira; they change with the access they are derived from`);
        this.requireProvisioning('Grant');
        const r = await s.provisioner.grant(principal, ent, ctx);
        return { grants: r.grants, annotations: r.annotations };
      }),
      revoke: unary('Revoke', async (req, ctx) => {
        const g = req.grant;
        if (!g) throw invalidInput('grant is required');
        if (!g.entitlement) throw invalidInput('grant.entitlement is required');
        const entRes = checkResource('grant.entitlement.resource', g.entitlement.resource);
        checkResource('grant.principal', g.principal);
        const s = this.syncer(entRes.id!.resourceType, 'grant.entitlement.resource.id.resource_type');
        if (!s.provisioner) throw new ConnectorError('unimplemented', `entitlements of ${s.type.id} resources are read-only in Jira; they change with the access they are derived from`);
        this.requireProvisioning('Revoke');
        return { annotations: await s.provisioner.revoke(g, ctx) };
      }),
    } as GrantManagerServiceServer;
  }

  accountManagerService(): AccountManagerServiceServer {
    return {
      createAccount: unary('CreateAccount', async (req, ctx) => {
        const am = this.connector.accountManager;
        if (!am) throw new ConnectorError('unimplemented', 'CreateAccount is not supported by this connector');
        if (req.resourceTypeId && req.resourceTypeId !== am.resourceTypeId) {
          checkString('resource_type_id', req.resourceTypeId, false);
          throw new ConnectorError('not-found', `accounts of type "${req.resourceTypeId.slice(0, 64)}" cannot be created; use ${am.resourceTypeId}`);
        }
        this.requireProvisioning('CreateAccount');
        return am.create(req, ctx);
      }),
    } as AccountManagerServiceServer;
  }

  /**
   * DeleteResourceV2 (ResourceDeleterService) and DeleteResource (ResourceManagerService: what the
   * SDK's provisioner and the platform's delete task send): the resource type's deleter, after the
   * provisioning switch; a resource already gone answers with ResourceDeleted.
   */
  private async deleteResource(req: { resourceId?: ResourceId; parentResourceId?: ResourceId }, ctx: CallContext) {
    const id = checkResourceId('resource_id', req.resourceId, true)!;
    const parent = checkResourceId('parent_resource_id', req.parentResourceId, false);
    const s = this.syncer(id.resourceType, 'resource_id.resource_type');
    if (!s.deleter) throw new ConnectorError('unimplemented', `${s.type.id} resources cannot be deleted by this connector`);
    this.requireProvisioning(`deleting a ${s.type.id}`);
    const r = await s.deleter.delete(id, parent, ctx);
    return { annotations: r.changed ? [] : [resourceDeleted(id)] };
  }

  resourceDeleterService(): ResourceDeleterServiceServer {
    return { deleteResourceV2: unary('DeleteResourceV2', (req, ctx) => this.deleteResource(req, ctx)) } as ResourceDeleterServiceServer;
  }

  resourceManagerService(): ResourceManagerServiceServer {
    return {
      createResource: unary('CreateResource', async () => {
        throw new ConnectorError('unimplemented', 'c1.connector.v2.ResourceManagerService/CreateResource is not supported by the Jira connector; accounts are created with CreateAccount');
      }),
      deleteResource: unary('DeleteResource', (req, ctx) => this.deleteResource(req, ctx)),
    } as ResourceManagerServiceServer;
  }

  private readonly actionResults = new Map<string, { name: string; status: BatonActionStatus; response: Record<string, unknown> }>();

  actionService(): ActionServiceServer {
    const specs = () => this.connector.actions?.specs ?? [];
    const find = (name: string): ActionSpec => {
      checkString('name', name, true);
      const spec = specs().find((a) => a.name === name);
      if (!spec) throw new ConnectorError('not-found', `no action named "${name.slice(0, 64)}"; ListActionSchemas names the ${specs().length} actions this connector offers`);
      return spec;
    };
    return {
      listActionSchemas: unary('ListActionSchemas', async (req) => ({
        schemas: specs()
          .filter((a) => !req.resourceTypeId || a.resourceTypeId === req.resourceTypeId)
          .map(actionSchema),
        annotations: [],
      })),
      getActionSchema: unary('GetActionSchema', async (req) => ({ schema: actionSchema(find(req.name)), annotations: [] })),
      invokeAction: unary('InvokeAction', async (req, ctx) => {
        const spec = find(req.name);
        if (req.resourceTypeId && req.resourceTypeId !== spec.resourceTypeId)
          throw invalidInput(`action ${spec.name} works on ${spec.resourceTypeId} resources, not ${req.resourceTypeId.slice(0, 64)}`);
        this.requireProvisioning(`the ${spec.name} action`);
        const response = await this.connector.actions!.invoke(spec.name, (req.args ?? {}) as Record<string, unknown>, ctx);
        const id = randomUUID();
        this.actionResults.set(id, { name: spec.name, status: BatonActionStatus.BATON_ACTION_STATUS_COMPLETE, response });
        while (this.actionResults.size > 10000) this.actionResults.delete(this.actionResults.keys().next().value as string);
        return { id, name: spec.name, status: BatonActionStatus.BATON_ACTION_STATUS_COMPLETE, response, annotations: [] };
      }),
      getActionStatus: unary('GetActionStatus', async (req) => {
        const r = this.actionResults.get(req.id);
        if (!r) throw new ConnectorError('not-found', `no action with id "${req.id.slice(0, 64)}" ran on this server (results are kept in memory)`);
        return { id: req.id, name: r.name, status: r.status, response: r.response, annotations: [] };
      }),
    } as ActionServiceServer;
  }

  /** A next token equal to the request's would loop the syncer forever: refuse it loudly. */
  private next(requestToken: string | undefined, next: string | undefined): string {
    if (next && next === requestToken) throw new ConnectorError('internal', 'next page token unchanged; refusing to loop');
    return next ?? '';
  }
}

function actionSchema(a: ActionSpec): BatonActionSchema {
  return BatonActionSchema.fromPartial({
    name: a.name,
    displayName: a.displayName,
    description: a.description,
    actionType: [ActionType[`ACTION_TYPE_${a.actionType}`]],
    resourceTypeId: a.resourceTypeId,
    arguments: [
      {
        name: a.argument.name,
        displayName: a.argument.displayName,
        description: a.argument.description,
        isRequired: true,
        field: { $case: 'resourceIdField', value: {} },
      },
    ],
  });
}
