/**
 * Wraps each unary handler of a service in its call scope (call-scope.ts): a fresh RPC id, the request's sync id,
 * the caller's client-certificate identity (mTLS), so every log line of the call carries them (log.ts); and, when the server has metrics, records the call's method, gRPC code,
 * latency and the items a list call answered (sync progress). Outermost wrapper: calls refused while draining are
 * counted too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ServiceDefinition, status as Code, UntypedServiceImplementation } from '@grpc/grpc-js';
import { CallScope, runInCall } from '../call-scope';
import type { EmittedKind, Metrics } from './metrics';

const MAX_NAME = 200;

/** active_sync_id as logged: as sent when short and printable, else a digest (it is caller-sized). */
export function boundedSyncId(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (/^[\x21-\x7e]{1,128}$/.test(v)) return v;
  return `sha256:${createHash('sha256').update(v).digest('base64url').slice(0, 22)}`;
}

function printable(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const s = v.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  if (!s) return undefined;
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

interface PeerCert {
  subject?: { CN?: string | string[] };
  subjectaltname?: string;
}

/** The client certificate's subject CN and SAN (mTLS); undefined without one. */
function callerOf(call: { getAuthContext?: () => { sslPeerCertificate?: PeerCert } | null }): CallScope['caller'] {
  let cert: PeerCert | undefined;
  try {
    cert = call.getAuthContext?.()?.sslPeerCertificate;
  } catch {
    return undefined;
  }
  if (!cert) return undefined;
  const cnRaw = cert.subject?.CN;
  const cn = printable(Array.isArray(cnRaw) ? cnRaw.join(', ') : cnRaw, MAX_NAME);
  const san = printable(cert.subjectaltname, 2 * MAX_NAME);
  if (!cn && !san) return undefined;
  return { ...(cn ? { cn } : {}), ...(san ? { san } : {}) };
}

interface ResourceLike {
  id?: { resourceType?: string };
}

const LISTS: Record<string, { kind: EmittedKind; typeOf: (item: unknown) => string | undefined }> = {
  ListResources: { kind: 'resources', typeOf: (i) => (i as ResourceLike).id?.resourceType },
  ListEntitlements: { kind: 'entitlements', typeOf: (i) => (i as { resource?: ResourceLike }).resource?.id?.resourceType },
  ListGrants: { kind: 'grants', typeOf: (i) => (i as { entitlement?: { resource?: ResourceLike } }).entitlement?.resource?.id?.resourceType },
};

function countEmitted(metrics: Metrics, method: string, res: unknown): void {
  const l = LISTS[method];
  const list = (res as { list?: unknown[] } | undefined)?.list;
  if (!l || !Array.isArray(list)) return;
  const byType = new Map<string, number>();
  for (const item of list) {
    const t = l.typeOf(item) ?? '';
    byType.set(t, (byType.get(t) ?? 0) + 1);
  }
  for (const [t, n] of byType) metrics.emittedItems(l.kind, t, n);
}

export function instrument(impl: UntypedServiceImplementation, def: ServiceDefinition, metrics: Metrics | undefined): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const m = def[name];
    if (!m || m.requestStream || m.responseStream) {
      out[name] = handler;
      continue;
    }
    const method = m.path.split('/')[2] ?? name;
    const h = handler as (call: any, callback: any) => void;
    out[name] = ((call: any, callback: any) => {
      const req = call.request as { activeSyncId?: unknown } | undefined;
      const syncId = boundedSyncId(req?.activeSyncId);
      const scope: CallScope = { rpcId: randomBytes(8).toString('hex'), method, syncId, caller: callerOf(call), observer: metrics };
      const end = metrics?.rpcStarted(method, syncId);
      if (end) call.on('cancelled', () => void end(Code.CANCELLED));
      runInCall(scope, () =>
        h(call, (err: { code?: number } | null, res?: unknown, ...rest: unknown[]) => {
          // a call cancelled first was counted as CANCELLED; its late answer reached nobody
          if (end?.(err ? (typeof err.code === 'number' ? err.code : Code.UNKNOWN) : Code.OK) && !err) countEmitted(metrics!, method, res);
          callback(err, res, ...rest);
        }),
      );
    }) as UntypedServiceImplementation[string];
  }
  return out;
}
