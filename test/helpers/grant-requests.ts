/** Grant and Revoke requests as the platform sends them (id-only stubs, optionally with a profile), and their outcome. */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest, Grant } from '../../src/gen/c1/connector/v2/grant';
import { Resource } from '../../src/gen/c1/connector/v2/resource';
import { typeName } from '../../src/connector/annotations';

export const stub = (resourceType: string, resource: string, profile?: Record<string, unknown>) => Resource.fromPartial({ id: { resourceType, resource }, profile });

export interface RequestExtras {
  /** profile of the entitlement's resource (the connector must not let it steer anything) */
  profile?: Record<string, unknown>;
  /** more fields of the revoked grant (e.g. annotations, sources) */
  grant?: Partial<Grant>;
}

export const grantReq = (entType: string, entRes: string, slug: string, pType: string, pId: string, x: RequestExtras = {}) =>
  GrantManagerServiceGrantRequest.fromPartial({ entitlement: { id: `${entType}:${entRes}:${slug}`, resource: stub(entType, entRes, x.profile) }, principal: stub(pType, pId) });

export const revokeReq = (entType: string, entRes: string, slug: string, pType: string, pId: string, x: RequestExtras = {}) =>
  GrantManagerServiceRevokeRequest.fromPartial({
    grant: {
      id: `${entType}:${entRes}:${slug}:${pType}:${pId}`,
      entitlement: { id: `${entType}:${entRes}:${slug}`, resource: stub(entType, entRes, x.profile) },
      principal: stub(pType, pId),
      ...x.grant,
    },
  });

/** Annotation type names of an answer. */
export const annos = (a: { typeUrl: string }[]) => a.map((x) => typeName(x as never));

/** The gRPC code name and details a call ends with ('OK' when it succeeds). */
export async function code(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
    return ['OK', ''];
  } catch (e) {
    const err = e as ServiceError;
    return [Code[err.code], err.details];
  }
}
