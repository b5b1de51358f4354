/**
 * Fault injection at the connector interface (src/connector/types.ts): the real connector behind
 * our real gRPC server, with chosen calls answered by an error (a ConnectorError, which
 * server/status.ts maps to its gRPC code, rate-limit details included) or with a changed page.
 * It reaches the sync loop's rules that a healthy connector never exercises: retries, NOT_FOUND,
 * a failing listing, a missing trait annotation, a page token that loops.
 */
import type { Connector, Page, ResourceSyncer } from '../../src/connector/types';

export type Method = 'validate' | 'list' | 'entitlements' | 'grants';

export interface CallInfo {
  method: Method;
  /** the resource type listed, or the type of the resource whose entitlements / grants are listed */
  type?: string;
  /** the resource whose entitlements / grants are listed, or the parent of a child listing */
  id?: string;
  token?: string;
  activeSyncId?: string;
}

export interface ConnectorFaults {
  /** an error to answer this call with; undefined serves it */
  error?: (c: CallInfo) => Error | undefined;
  /** a page to answer this call with instead of the connector's; undefined serves it */
  answer?: (c: CallInfo) => Page<any> | undefined;
  /** changes a page that was served */
  page?: (c: CallInfo, page: Page<any>) => Page<any>;
  /** every call that reached the connector, in order */
  calls: CallInfo[];
}

export function connectorFaults(): ConnectorFaults {
  return { calls: [] };
}

export function withFaults(connector: Connector, f: ConnectorFaults): Connector {
  const run = async <T extends Page<any>>(c: CallInfo, serve: () => Promise<T>): Promise<T> => {
    f.calls.push(c);
    const err = f.error?.(c);
    if (err) throw err;
    const page = f.answer?.(c) ?? (await serve());
    return (f.page ? f.page(c, page) : page) as T;
  };
  const wrap = (s: ResourceSyncer): ResourceSyncer => ({
    type: s.type,
    list: (parent, token, ctx) => run({ method: 'list', type: s.type.id, id: parent?.resource, token, activeSyncId: ctx.activeSyncId }, () => s.list(parent, token, ctx)),
    entitlements: (r, token, ctx) => run({ method: 'entitlements', type: r.id?.resourceType, id: r.id?.resource, token, activeSyncId: ctx.activeSyncId }, () => s.entitlements(r, token, ctx)),
    grants: (r, token, ctx) => run({ method: 'grants', type: r.id?.resourceType, id: r.id?.resource, token, activeSyncId: ctx.activeSyncId }, () => s.grants(r, token, ctx)),
    get: s.get?.bind(s),
    provisioner: s.provisioner,
  });
  return {
    info: connector.info,
    syncers: connector.syncers.map(wrap),
    accountManager: connector.accountManager,
    actions: connector.actions,
    validate: async (ctx) => {
      const c: CallInfo = { method: 'validate' };
      f.calls.push(c);
      const err = f.error?.(c);
      if (err) throw err;
      return connector.validate(ctx);
    },
    cleanup: connector.cleanup?.bind(connector),
    close: connector.close?.bind(connector),
  };
}
