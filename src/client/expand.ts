/**
 * Grant expansion as the Baton SDK does it: for a grant G (entitlement E_dst, principal P) carrying
 * GrantExpandable{entitlement_ids}, every principal holding a source entitlement (whose resource
 * must be P) gets E_dst too, transitively (depth <= 20). Used by the in-memory sink, and by
 * src/review/expand.ts, which adds the paths a reviewer asks about.
 */
import type { Entitlement } from '../gen/c1/connector/v2/entitlement';
import type { Grant } from '../gen/c1/connector/v2/grant';
import { GrantExpandable } from '../gen/c1/connector/v2/annotation_grant';
import { pickAnnotation } from '../connector/annotations';
import { grantId } from '../connector/ids';
import { SyncError } from './errors';

export interface ExpandedGrant {
  grant: Grant;
  /** entitlement ids the principal's access came through */
  sources: string[];
}

const key = (r: { resourceType: string; resource: string }) => `${r.resourceType}\u0000${r.resource}`;

/** Returns only the grants that did not already exist directly. */
export function expandGrants(grants: Grant[], entitlements: Map<string, Entitlement>): ExpandedGrant[] {
  const byEnt = new Map<string, Grant[]>();
  for (const g of grants) {
    const id = g.entitlement!.id;
    if (!byEnt.has(id)) byEnt.set(id, []);
    byEnt.get(id)!.push(g);
  }
  // edges src -> dst
  const edges: { src: string; dst: Entitlement; types: string[] }[] = [];
  for (const g of grants) {
    const ge = pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable');
    if (!ge) continue;
    for (const src of ge.entitlementIds) {
      const srcEnt = entitlements.get(src);
      if (!srcEnt) continue; // "source missing": dropped, as the SDK does
      const sr = srcEnt.resource!.id!;
      const p = g.principal!.id!;
      if (sr.resourceType !== p.resourceType || sr.resource !== p.resource) throw new SyncError(`grant ${g.id}: source entitlement ${src} does not belong to the grant's principal`);
      edges.push({ src, dst: g.entitlement!, types: ge.resourceTypeIds });
    }
  }
  const direct = new Set(grants.map((g) => g.id));
  const result = new Map<string, ExpandedGrant>();
  // holders(ent) = direct grants on ent plus expanded ones; iterate to a fixed point (depth <= 20)
  const holders = new Map<string, Map<string, Grant>>();
  for (const [ent, gs] of byEnt) holders.set(ent, new Map(gs.map((g) => [key(g.principal!.id!), g])));
  for (let depth = 0; depth < 20; depth++) {
    let changed = false;
    for (const e of edges) {
      const src = holders.get(e.src);
      if (!src) continue;
      for (const g of [...src.values()]) {
        const p = g.principal!.id!;
        if (e.types.length && !e.types.includes(p.resourceType)) continue;
        const id = grantId(e.dst.id, p.resourceType, p.resource);
        if (!holders.has(e.dst.id)) holders.set(e.dst.id, new Map());
        const dst = holders.get(e.dst.id)!;
        const existing = result.get(id);
        if (existing) {
          if (!existing.sources.includes(e.src)) existing.sources.push(e.src);
          continue;
        }
        if (direct.has(id)) continue;
        const ng: Grant = { id, entitlement: { ...e.dst }, principal: g.principal, annotations: [], sources: undefined };
        result.set(id, { grant: ng, sources: [e.src] });
        dst.set(key(p), ng);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return [...result.values()];
}
