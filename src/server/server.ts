/**
 * The gRPC server: c1.connector.v2 services, grpc.health.v1 and server reflection, plain or TLS; drains on request
 * (health NOT_SERVING, new calls refused, calls in flight finish within a grace) before it stops.
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
import * as ticketPb from '../gen/c1/connector/v2/ticket';
import { ticketsService } from './tickets';
import { ConfigError } from '../config/schema';
import { guardDeserializer, requestTypeName, wireSchema, WireSchema } from './decode';
import { instrument } from './instrument';
import { Metrics } from './metrics';
import { MetricsListener, startMetricsListener } from './metrics-http';

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
  /** serve Prometheus metrics on http://host:port/metrics (metrics-addr); closed when the server stops */
  metrics?: { host: string; port: number };
}

export interface RunningServer {
  server: Server;
  port: number;
  address: string;
  health: HealthImplementation;
  /**
   * Graceful stop: health turns NOT_SERVING (the listener stays open so probes can see it), new connector calls are
   * refused with UNAVAILABLE, calls in flight get up to `graceMs` to finish, then the server shuts down (cancelling
   * any call still running) and the connector is closed. Resolves with how many calls had to be cancelled.
   */
  drain(graceMs: number): Promise<{ cancelled: number }>;
  /** connector calls in flight now */
  inFlight(): number;
  /** drain() with a 5 s grace */
  stop(): Promise<void>;
  /** host:port of the metrics listener, when ServerOptions.metrics asked for one */
  metricsAddress?: string;
}

/** Counts connector calls in flight and, once draining, refuses new ones. */
export class CallGate {
  private inflight = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  get active(): number {
    return this.inflight;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }

  /** Resolves when no call is in flight. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Admits one call; the returned function ends it (idempotent). Undefined when draining. */
  enter(): (() => void) | undefined {
    if (this.draining) return undefined;
    this.inflight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inflight--;
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
  }

  /** The same unary handlers, each admitted by the gate (the connector's services are all unary). */
  wrap(impl: UntypedServiceImplementation): UntypedServiceImplementation {
    const out: UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(impl)) {
      const h = handler as (call: any, callback: any) => void;
      out[name] = ((call: any, callback: any) => {
        const leave = this.enter();
        if (!leave) {
          callback({ code: Code.UNAVAILABLE, details: 'the connector is shutting down and takes no new calls; retry on another instance or after it restarts' });
          return;
        }
        call.on('cancelled', leave);
        try {
          h(call, (...args: unknown[]) => {
            leave();
            callback(...args);
          });
        } catch (e) {
          leave();
          throw e;
        }
      }) as UntypedServiceImplementation[string];
    }
    return out;
  }
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
  for (const mod of [connectorPb, resourcePb, entitlementPb, grantPb, assetPb, actionPb, ticketPb] as Record<string, unknown>[]) {
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

export function buildServer(connector: Connector, opts: Pick<ServerOptions, 'provisioning'>, metrics?: Metrics): { server: Server; health: HealthImplementation; gate: CallGate; services: string[] } {
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
  if (connector.syncers.some((s) => s.deleter)) {
    registered.set('c1.connector.v2.ResourceDeleterService', svc.resourceDeleterService() as unknown as UntypedServiceImplementation);
    registered.set('c1.connector.v2.ResourceManagerService', svc.resourceManagerService() as unknown as UntypedServiceImplementation);
  }
  if (connector.tickets) registered.set('c1.connector.v2.TicketsService', ticketsService(connector.tickets) as unknown as UntypedServiceImplementation);
  const gate = new CallGate();
  const contract = loadContract();
  const schema = contract && wireSchema(contract);
  const defs = allServiceDefinitions();
  for (const [name, def] of defs) {
    server.addService(guardedService(def, name, contract, schema), instrument(gatedOrUnimplemented(gate, registered.get(name), name, def), def, metrics));
  }

  const health = new HealthImplementation({ '': 'SERVING' });
  for (const name of registered.keys()) health.setStatus(name, 'SERVING');
  health.addToServer(server);

  if (contract) new ReflectionService(contract).addToServer(server);
  return { server, health, gate, services: [...registered.keys()] };
}

function gatedOrUnimplemented(gate: CallGate, impl: UntypedServiceImplementation | undefined, name: string, def: ServiceDefinition): UntypedServiceImplementation {
  return impl ? gate.wrap(impl) : unimplementedService(name, def);
}

/** The contract's .proto files, for reflection and for the request bounds checked while decoding (decode.ts). */
function loadContract(): protoLoader.PackageDefinition | undefined {
  try {
    const files = ['connector', 'resource', 'entitlement', 'grant', 'asset', 'action', 'ticket'].map((f) => `c1/connector/v2/${f}.proto`);
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
  const metrics = opts.metrics ? new Metrics(new Set(connector.syncers.map((s) => s.type.id))) : undefined;
  const { server, health, gate, services } = buildServer(connector, opts, metrics);
  const creds = credentials(opts);
  const hostPort = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(hostPort, creds, (err, p) => (err ? reject(err) : resolve(p)));
  }).catch((e: Error) => {
    throw new ConfigError('port', `cannot listen on ${hostPort}: ${e.message}`);
  });
  const address = hostPort.replace(/:\d+$/, `:${port}`);
  let metricsListener: MetricsListener | undefined;
  if (metrics && opts.metrics) {
    try {
      metricsListener = await startMetricsListener(metrics, opts.metrics.host, opts.metrics.port);
    } catch (e) {
      server.forceShutdown();
      throw e;
    }
  }
  let draining: Promise<{ cancelled: number }> | undefined;
  const drain = (graceMs: number) =>
    (draining ??= (async () => {
      health.setStatus('', 'NOT_SERVING');
      for (const name of services) health.setStatus(name, 'NOT_SERVING');
      gate.startDraining();
      let timer: NodeJS.Timeout | undefined;
      const inGrace = await Promise.race([gate.idle().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, graceMs))))]);
      clearTimeout(timer);
      const cancelled = inGrace ? 0 : gate.active;
      await new Promise<void>((resolve) => {
        if (cancelled) {
          server.forceShutdown();
          resolve();
          return;
        }
        // nothing in flight: close the listener and the sessions; a stuck peer does not hold the exit up
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await metricsListener?.close();
      await connector.close?.();
      return { cancelled };
    })());
  return {
    server,
    port,
    address,
    health,
    drain,
    inFlight: () => gate.active,
    stop: async () => {
      await drain(5000);
    },
    metricsAddress: metricsListener?.address,
  };
}
