/**
 * The gRPC server: c1.connector.v2 services, grpc.health.v1 and server reflection, plain or TLS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Server, ServerCredentials, ServiceDefinition, status as Code, UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import * as protoLoader from '@grpc/proto-loader';
import { Connector } from '../connector/types';
import { ConnectorServices } from './services';
import { log } from '../log';
import * as connectorPb from '../gen/c1/connector/v2/connector';
import * as resourcePb from '../gen/c1/connector/v2/resource';
import * as entitlementPb from '../gen/c1/connector/v2/entitlement';
import * as grantPb from '../gen/c1/connector/v2/grant';
import * as assetPb from '../gen/c1/connector/v2/asset';
import * as actionPb from '../gen/c1/connector/v2/action';
import { ConfigError } from '../config/schema';
import { guardDeserializer, requestTypeName, wireSchema, WireSchema } from './decode';

/**
 * grpc-go's default, which the Baton SDK keeps on both sides, so every request the platform sends fits (the largest
 * legal one is a 1 MiB page token plus a resource). Up to this size a request is buffered and its fields are checked
 * on the wire before decoding (decode.ts: an oversized id gets INVALID_ARGUMENT naming it, never materialised); a
 * larger one is refused by grpc-js from its length prefix, before it is buffered, with RESOURCE_EXHAUSTED. What the
 * limit costs: each request in flight holds at most 4 MiB of buffered bytes.
 */
export const MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

export interface ServerOptions {
  host: string;
  port: number;
  provisioning: boolean;
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
}

export interface RunningServer {
  server: Server;
  port: number;
  address: string;
  health: HealthImplementation;
  stop(): Promise<void>;
}

/** The repository's proto/ folder (next to dist/ or src/). */
export function protoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'proto');
    if (existsSync(join(p, 'c1', 'connector', 'v2'))) return p;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'proto');
}

function isServiceDefinition(v: unknown): v is ServiceDefinition {
  if (!v || typeof v !== 'object') return false;
  const first = Object.values(v as Record<string, unknown>)[0] as { path?: unknown } | undefined;
  return !!first && typeof first.path === 'string' && first.path.startsWith('/');
}

/** Every service definition ts-proto generated for c1.connector.v2 (used to answer UNIMPLEMENTED clearly). */
function allServiceDefinitions(): Map<string, ServiceDefinition> {
  const out = new Map<string, ServiceDefinition>();
  for (const mod of [connectorPb, resourcePb, entitlementPb, grantPb, assetPb, actionPb] as Record<string, unknown>[]) {
    for (const v of Object.values(mod)) {
      if (isServiceDefinition(v)) {
        const path = (Object.values(v)[0] as { path: string }).path;
        out.set(path.split('/')[1], v);
      }
    }
  }
  return out;
}

function unimplementedService(serviceName: string, def: ServiceDefinition): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, m] of Object.entries(def)) {
    const method = m.path.split('/')[2];
    const err = { code: Code.UNIMPLEMENTED, details: `${serviceName}/${method} is not supported by the Jira connector` };
    if (m.requestStream) {
      impl[name] = (call: any, callback?: any) => {
        if (typeof callback === 'function') callback(err);
        else call.emit('error', err);
      };
    } else if (m.responseStream) {
      impl[name] = (call: any) => call.emit('error', err);
    } else {
      impl[name] = (_call: any, callback: any) => callback(err);
    }
  }
  return impl;
}

function readPem(field: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ConfigError(field, `cannot read ${file}; give the path of a PEM file`);
  }
}

function credentials(opts: ServerOptions): ServerCredentials {
  if (!opts.tls) return ServerCredentials.createInsecure();
  const cert = readPem('tls-cert', opts.tls.certFile);
  const key = readPem('tls-key', opts.tls.keyFile);
  const ca = opts.tls.clientCaFile ? readPem('tls-client-ca', opts.tls.clientCaFile) : null;
  const check = (field: string, what: string, fn: () => unknown) => {
    try {
      fn();
    } catch {
      throw new ConfigError(field, `the file is not a PEM ${what}`);
    }
  };
  check('tls-cert', 'certificate', () => new X509Certificate(cert));
  check('tls-key', 'private key', () => createPrivateKey(key));
  if (ca) check('tls-client-ca', 'CA certificate', () => new X509Certificate(ca));
  try {
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) throw new ConfigError('tls-key', 'the key does not belong to the certificate in tls-cert');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
  }
  try {
    return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], !!ca);
  } catch (e) {
    throw new ConfigError('tls-cert', `the certificate or key is not usable PEM (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function buildServer(connector: Connector, opts: Pick<ServerOptions, 'provisioning'>): { server: Server; health: HealthImplementation } {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const svc = new ConnectorServices(connector, { provisioning: opts.provisioning });
  const registered = new Map<string, UntypedServiceImplementation>([
    ['c1.connector.v2.ConnectorService', svc.connectorService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.ResourceTypesService', svc.resourceTypesService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.ResourcesService', svc.resourcesService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.ResourceGetterService', svc.resourceGetterService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.EntitlementsService', svc.entitlementsService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.GrantsService', svc.grantsService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.GrantManagerService', svc.grantManagerService() as unknown as UntypedServiceImplementation],
    ['c1.connector.v2.AccountManagerService', svc.accountManagerService() as unknown as UntypedServiceImplementation],
  ]);
  if (connector.actions?.specs.length) registered.set('c1.connector.v2.ActionService', svc.actionService() as unknown as UntypedServiceImplementation);
  const contract = loadContract();
  const schema = contract && wireSchema(contract);
  const defs = allServiceDefinitions();
  for (const [name, def] of defs) {
    server.addService(guardedService(def, name, contract, schema), registered.get(name) ?? unimplementedService(name, def));
  }

  const health = new HealthImplementation({ '': 'SERVING' });
  for (const name of registered.keys()) health.setStatus(name, 'SERVING');
  health.addToServer(server);

  if (contract) new ReflectionService(contract).addToServer(server);
  return { server, health };
}

/** The contract's .proto files, for reflection and for the request bounds checked while decoding (decode.ts). */
function loadContract(): protoLoader.PackageDefinition | undefined {
  try {
    const files = ['connector', 'resource', 'entitlement', 'grant', 'asset', 'action'].map((f) => `c1/connector/v2/${f}.proto`);
    return protoLoader.loadSync(files, { includeDirs: [protoRoot()], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  } catch (e) {
    log().warn(
      { err: e },
      'server reflection is off and field sizes are checked only after decoding: the proto files were not found next to the program (requests up to the receive limit are decoded in full)',
    );
    return undefined;
  }
}

/** The same service with every request deserializer wrapped so it never throws (answered INVALID_ARGUMENT instead of INTERNAL). */
function guardedService(def: ServiceDefinition, serviceName: string, contract: protoLoader.PackageDefinition | undefined, schema: WireSchema | undefined): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, m] of Object.entries(def)) {
    const typeName = contract && schema ? requestTypeName(contract, schema, serviceName, m.path) : undefined;
    out[name] = { ...m, requestDeserialize: guardDeserializer(schema, typeName, m.requestDeserialize) as (b: Buffer) => unknown };
  }
  return out as ServiceDefinition;
}

export async function startServer(connector: Connector, opts: ServerOptions): Promise<RunningServer> {
  const { server, health } = buildServer(connector, opts);
  const creds = credentials(opts);
  const hostPort = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort, creds, (err, p) => (err ? reject(err) : resolve(p)));
  }).catch((e: Error) => {
    throw new ConfigError('port', `cannot listen on ${hostPort}: ${e.message}`);
  });
  const address = hostPort.replace(/:\d+$/, `:${port}`);
  let stopped = false;
  return {
    server,
    port,
    address,
    health,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await connector.close?.();
    },
  };
}
