/** grpc.health.v1 client for the container HEALTHCHECK, the Kubernetes probes and tests; plain, TLS or mTLS. */
import { readFileSync } from 'node:fs';
import { withoutIpServerName } from '../client/tls-name';
import { ChannelCredentials, ChannelOptions, credentials, makeGenericClientConstructor, Metadata, ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { ConfigError } from '../config/schema';

const HealthClient = makeGenericClientConstructor(healthService as never, 'Health');

export interface HealthTls {
  /** PEM CA that signed the server's certificate; without it the system roots are used */
  caFile?: string;
  /** PEM client certificate and key, presented when the server asks for one (mTLS) */
  certFile?: string;
  keyFile?: string;
  /** name the server's certificate must carry when it is not the host of the address */
  serverName?: string;
}

export interface HealthOptions {
  timeoutMs?: number;
  /** TLS when set (an empty object: TLS verified against the system roots) */
  tls?: HealthTls;
  /** grpc.health.v1 service name; '' is the whole server */
  service?: string;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ConfigError(undefined, `health ${flag}: cannot read ${file}; give the path of a PEM file`);
  }
}

/** TLS channel credentials; an IP host is not sent as the TLS server name (see withoutIpServerName). */
function tlsCredentials(tls: HealthTls): ChannelCredentials {
  if (!!tls.certFile !== !!tls.keyFile) throw new ConfigError(undefined, 'health: --tls-cert and --tls-key go together (the client certificate and its key)');
  const ca = tls.caFile ? readPem('--tls-ca', tls.caFile) : null;
  const key = tls.keyFile ? readPem('--tls-key', tls.keyFile) : null;
  const cert = tls.certFile ? readPem('--tls-cert', tls.certFile) : null;
  let creds: ChannelCredentials;
  try {
    creds = credentials.createSsl(ca, key, cert);
  } catch (e) {
    throw new ConfigError(undefined, `health: the TLS files are not usable PEM (${e instanceof Error ? e.message : String(e)})`);
  }
  return tls.serverName ? creds : withoutIpServerName(creds);
}

export async function checkHealth(address: string, opts: HealthOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const creds = opts.tls ? tlsCredentials(opts.tls) : credentials.createInsecure();
  const channelOptions: ChannelOptions = opts.tls?.serverName ? { 'grpc.ssl_target_name_override': opts.tls.serverName } : {};
  const client = new HealthClient(address, creds, channelOptions) as unknown as {
    check(req: { service: string }, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: { status: string | number }) => void): void;
    close(): void;
  };
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service: opts.service ?? '' }, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (e, r) =>
        e
          ? reject(new Error(`health check of ${address} failed: ${e.details || e.message}`))
          : resolve(typeof r.status === 'number' ? (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][r.status] ?? String(r.status)) : String(r.status)),
      ),
    );
  } finally {
    client.close();
  }
}

/**
 * The health command's TLS settings from its flags, falling back to the environment: BATON_HEALTH_TLS_* first, then
 * the server's own BATON_TLS_* (so the container's HEALTHCHECK works with the same env as `serve`): under mTLS
 * (BATON_TLS_CLIENT_CA) the server's certificate and key are presented as the client certificate, which works when
 * that certificate is issued by the client CA for client use too (extended key usage clientAuth or none), and the
 * client CA verifies the server. TLS is off when nothing is set.
 */
export function healthTlsFrom(flags: { tlsCa?: string; tlsCert?: string; tlsKey?: string; tlsServerName?: string }, env: NodeJS.ProcessEnv = process.env): HealthTls | undefined {
  const pick = (flag: string | undefined, ...names: string[]) => flag || names.map((n) => env[n]).find((v) => !!v) || undefined;
  const tls: HealthTls = {
    caFile: pick(flags.tlsCa, 'BATON_HEALTH_TLS_CA', 'BATON_TLS_CLIENT_CA'),
    certFile: pick(flags.tlsCert, 'BATON_HEALTH_TLS_CERT', 'BATON_TLS_CERT'),
    keyFile: pick(flags.tlsKey, 'BATON_HEALTH_TLS_KEY', 'BATON_TLS_KEY'),
    serverName: pick(flags.tlsServerName, 'BATON_HEALTH_TLS_SERVER_NAME'),
  };
  return tls.caFile || tls.certFile || tls.keyFile || tls.serverName ? tls : undefined;
}
