/**
 * A promise-based gRPC client for every c1.connector.v2 service we serve, over one channel.
 * Used by the demo, the access-review CLI and the tests: they talk to the server the way the
 * platform does, through a real socket.
 */
import { withoutIpServerName } from './tls-name';
import { ChannelCredentials, Client, credentials as grpcCredentials, Metadata, ServiceError, CallOptions } from '@grpc/grpc-js';
import { ConnectorServiceClient } from '../gen/c1/connector/v2/connector';
import { ResourceTypesServiceClient, ResourcesServiceClient, ResourceGetterServiceClient, AccountManagerServiceClient, ResourceDeleterServiceClient } from '../gen/c1/connector/v2/resource';
import { EntitlementsServiceClient } from '../gen/c1/connector/v2/entitlement';
import { GrantsServiceClient, GrantManagerServiceClient } from '../gen/c1/connector/v2/grant';
import { ActionServiceClient } from '../gen/c1/connector/v2/action';
import { TicketsServiceClient } from '../gen/c1/connector/v2/ticket';

type Callback<Res> = (err: ServiceError | null, res: Res) => void;
type UnaryMethod<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: Callback<Res>) => unknown;

/** Promisifies every unary method of a generated client (inferred from its last overload). */
export type Promised<C> = {
  [K in keyof C as C[K] extends (req: any, md: Metadata, opts: Partial<CallOptions>, cb: Callback<any>) => any ? K : never]: C[K] extends (
    req: infer Req,
    md: Metadata,
    opts: Partial<CallOptions>,
    cb: Callback<infer Res>,
  ) => any
    ? (req: Req, options?: { deadlineMs?: number }) => Promise<Res>
    : never;
};

function promised<C extends Client>(client: C): Promised<C> {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string' || prop === 'close' || (prop.startsWith('get') && prop.endsWith('Channel'))) return v;
      return (req: unknown, options?: { deadlineMs?: number }) =>
        new Promise((resolve, reject) => {
          const callOptions: Partial<CallOptions> = options?.deadlineMs ? { deadline: new Date(Date.now() + options.deadlineMs) } : {};
          (v as UnaryMethod<unknown, unknown>).call(target, req, new Metadata(), callOptions, (err, res) => (err ? reject(err) : resolve(res)));
        });
    },
  }) as unknown as Promised<C>;
}

export interface ConnectorClient {
  connector: Promised<ConnectorServiceClient>;
  resourceTypes: Promised<ResourceTypesServiceClient>;
  resources: Promised<ResourcesServiceClient>;
  resourceGetter: Promised<ResourceGetterServiceClient>;
  entitlements: Promised<EntitlementsServiceClient>;
  grants: Promised<GrantsServiceClient>;
  grantManager: Promised<GrantManagerServiceClient>;
  accountManager: Promised<AccountManagerServiceClient>;
  actions: Promised<ActionServiceClient>;
  resourceDeleter: Promised<ResourceDeleterServiceClient>;
  tickets: Promised<TicketsServiceClient>;
  close(): void;
}

export interface DialOptions {
  /** PEM CA for TLS; omitted = plaintext */
  caPem?: Buffer;
  clientCertPem?: Buffer;
  clientKeyPem?: Buffer;
  maxReceiveBytes?: number;
}

export function dialConnector(address: string, opts: DialOptions = {}): ConnectorClient {
  const creds: ChannelCredentials = opts.caPem ? withoutIpServerName(grpcCredentials.createSsl(opts.caPem, opts.clientKeyPem ?? null, opts.clientCertPem ?? null)) : grpcCredentials.createInsecure();
  // the Baton SDK keeps grpc-go's default 4 MiB receive limit: so do we, to catch oversized pages
  const channelOptions = { 'grpc.max_receive_message_length': opts.maxReceiveBytes ?? 4 * 1024 * 1024 };
  const raw = {
    connector: new ConnectorServiceClient(address, creds, channelOptions),
    resourceTypes: new ResourceTypesServiceClient(address, creds, channelOptions),
    resources: new ResourcesServiceClient(address, creds, channelOptions),
    resourceGetter: new ResourceGetterServiceClient(address, creds, channelOptions),
    entitlements: new EntitlementsServiceClient(address, creds, channelOptions),
    grants: new GrantsServiceClient(address, creds, channelOptions),
    grantManager: new GrantManagerServiceClient(address, creds, channelOptions),
    accountManager: new AccountManagerServiceClient(address, creds, channelOptions),
    actions: new ActionServiceClient(address, creds, channelOptions),
    resourceDeleter: new ResourceDeleterServiceClient(address, creds, channelOptions),
    tickets: new TicketsServiceClient(address, creds, channelOptions),
  };
  return {
    connector: promised(raw.connector),
    resourceTypes: promised(raw.resourceTypes),
    resources: promised(raw.resources),
    resourceGetter: promised(raw.resourceGetter),
    entitlements: promised(raw.entitlements),
    grants: promised(raw.grants),
    grantManager: promised(raw.grantManager),
    accountManager: promised(raw.accountManager),
    actions: promised(raw.actions),
    resourceDeleter: promised(raw.resourceDeleter),
    tickets: promised(raw.tickets),
    close: () => Object.values(raw).forEach((c) => c.close()),
  };
}
