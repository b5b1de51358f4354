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
  const edges = expansionEdges(grants, entitlements);
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
        const id = grantId(e.dst, p.resourceType, p.resource);
        if (!holders.has(e.dst)) holders.set(e.dst, new Map());
        const dst = holders.get(e.dst)!;
        const existing = result.get(id);
        if (existing) {
          if (!existing.sources.includes(e.src)) existing.sources.push(e.src);
          continue;
        }
        if (direct.has(id)) continue;
        const ng: Grant = { id, entitlement: { ...e.dstEnt }, principal: g.principal, annotations: [], sources: undefined };
        result.set(id, { grant: ng, sources: [e.src] });
        dst.set(key(p), ng);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return [...result.values()];
}

/**
 * How many grants expandGrants would create, without keeping them: only the holders of entitlements
 * that are themselves sources of an expansion are kept (groups, roles, products: their members);
 * a sink entitlement (a project permission open to every product holder, say) is counted through a
 * temporary set per entitlement. Memory follows the sources, not the product of projects and
 * people (issue 14: BROWSE_PROJECTS at tier L expands to millions of grants).
 */
export function countExpandedGrants(grants: Grant[], entitlements: Map<string, Entitlement>): { expanded: number; bySink: Map<string, number> } {
  const edges = expansionEdges(grants, entitlements);
  const sources = new Set(edges.map((e) => e.src));
  const directOn = new Map<string, Set<string>>();
  for (const g of grants) {
    const id = g.entitlement!.id;
    if (!directOn.has(id)) directOn.set(id, new Set());
    directOn.get(id)!.add(key(g.principal!.id!));
  }
  // holders of source entitlements, closed over edges between sources (depth <= 20, as expandGrants)
  const holders = new Map<string, Map<string, { resourceType: string; resource: string }>>();
  for (const g of grants) {
    const id = g.entitlement!.id;
    if (!sources.has(id)) continue;
    if (!holders.has(id)) holders.set(id, new Map());
    holders.get(id)!.set(key(g.principal!.id!), g.principal!.id!);
  }
  const inner = edges.filter((e) => sources.has(e.dst));
  for (let depth = 0; depth < 20; depth++) {
    let changed = false;
    for (const e of inner) {
      const src = holders.get(e.src);
      if (!src) continue;
      if (!holders.has(e.dst)) holders.set(e.dst, new Map());
      const dst = holders.get(e.dst)!;
      for (const [k, p] of [...src]) {
        if (e.types.length && !e.types.includes(p.resourceType)) continue;
        if (dst.has(k)) continue;
        dst.set(k, p);
        changed = true;
      }
    }
    if (!changed) break;
  }
  let expanded = 0;
  const bySink = new Map<string, number>();
  // sources: what they gained beyond their direct grants
  for (const [id, hs] of holders) {
    const direct = directOn.get(id);
    let n = 0;
    for (const k of hs.keys()) if (!direct?.has(k)) n++;
    expanded += n;
  }
  // sinks: one temporary set each
  const intoSink = new Map<string, ExpansionEdge[]>();
  for (const e of edges) {
    if (sources.has(e.dst)) continue;
    if (!intoSink.has(e.dst)) intoSink.set(e.dst, []);
    intoSink.get(e.dst)!.push(e);
  }
  for (const [dst, es] of intoSink) {
    const direct = directOn.get(dst);
    const seen = new Set<string>();
    for (const e of es)
      for (const [k, p] of holders.get(e.src) ?? []) {
        if (e.types.length && !e.types.includes(p.resourceType)) continue;
        if (!direct?.has(k)) seen.add(k);
      }
    expanded += seen.size;
    bySink.set(dst, seen.size);
  }
  return { expanded, bySink };
}

interface ExpansionEdge {
  src: string;
  dst: string;
  dstEnt: Entitlement;
  types: string[];
}

function expansionEdges(grants: Grant[], entitlements: Map<string, Entitlement>): ExpansionEdge[] {
  const edges: ExpansionEdge[] = [];
  for (const g of grants) {
    const ge = pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable');
    if (!ge) continue;
    for (const src of ge.entitlementIds) {
      const srcEnt = entitlements.get(src);
      if (!srcEnt) continue;
      const sr = srcEnt.resource!.id!;
      const p = g.principal!.id!;
      if (sr.resourceType !== p.resourceType || sr.resource !== p.resource) throw new SyncError(`grant ${g.id}: source entitlement ${src} does not belong to the grant's principal`);
      edges.push({ src, dst: g.entitlement!.id, dstEnt: g.entitlement!, types: ge.resourceTypeIds });
    }
  }
  return edges;
}
