/**
 * Grant expansion with the paths a reviewer asks about ("through which group or role").
 *
 * Which grants expansion creates is decided by the platform's own rules (expandGrants in
 * src/client/expand.ts, the SDK's semantics). On top of that, for every grant (direct or expanded)
 * this records the source entitlements the principal reaches it through, and every chain of
 * entitlements from one the principal holds directly: e.g. a user's `project:10001:participate`
 * through `group:g1:member` → `project-role:10001:10002:assigned` is the path
 * ["group:g1:member", "project-role:10001:10002:assigned"]; a direct grant has the empty path [].
 */
import type { Entitlement } from '../gen/c1/connector/v2/entitlement';
import { Grant } from '../gen/c1/connector/v2/grant';
import { GrantExpandable } from '../gen/c1/connector/v2/annotation_grant';
import { pickAnnotation } from '../connector/annotations';
import { expandGrants } from '../client/expand';
import { grantExpandable } from '../connector/anno';

/** Paths kept per grant (the shortest first); a reviewer needs the routes, not every permutation. */
export const MAX_PATHS = 16;
const MAX_DEPTH = 20;

export interface ExpandedRow {
  grant: Grant;
  sources: string[];
  paths: string[][];
}

export interface ExpansionResult {
  /** grants created by expansion */
  expanded: ExpandedRow[];
  /** direct grants that are also reached through other entitlements: their sources and paths (with [] for "direct") */
  direct: Map<string, { sources: string[]; paths: string[][] }>;
}

const pkey = (p: { resourceType: string; resource: string }) => `${p.resourceType}\u0000${p.resource}`;

export function expansionOf(g: Grant): { entitlementIds: string[]; resourceTypeIds: string[] } | undefined {
  const ge = pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable');
  return ge ? { entitlementIds: ge.entitlementIds, resourceTypeIds: ge.resourceTypeIds } : undefined;
}

/**
 * A project permission granted to a product (an application role: "every user with access to Jira
 * Software", or, keyless, to any product): the snapshot keeps it as that one grant and does not
 * multiply it into a row per product holder (at tier L the default BROWSE_PROJECTS alone would be
 * millions of rows: 1,270 company-managed projects × up to 14,615 licensed users). The report counts it through the product's
 * holders. Over gRPC the platform gets it as one grant too, unless BATON_JIRA_EXPAND_PRODUCT_GRANTS
 * makes it expandable.
 */
export function isProductWide(g: Grant, entitlements: Map<string, Entitlement>): boolean {
  return g.principal?.id?.resourceType === 'application-role' && (entitlements.get(g.entitlement?.id ?? '')?.slug ?? '').startsWith('permission:');
}

/**
 * The grants with every product-wide grant made expandable from its product's holders
 * (`application-role:<key>:assigned`), as BATON_JIRA_EXPAND_PRODUCT_GRANTS=true would send it: for
 * answers about one person (explain), where "every product user" must reach that person.
 */
export function withProductExpansion(grants: Grant[], entitlements: Map<string, Entitlement>): Grant[] {
  return grants.map((g) => {
    if (!isProductWide(g, entitlements) || expansionOf(g)) return g;
    const p = g.principal!.id!;
    const ge = grantExpandable([`${p.resourceType}:${p.resource}:assigned`], ['user']);
    return { ...g, annotations: [...g.annotations, ge] };
  });
}

export function expandWithPaths(direct: Grant[], entitlements: Map<string, Entitlement>): ExpansionResult {
  const expanded = expandGrants(direct, entitlements);

  // holders of each entitlement, direct and expanded
  const holders = new Map<string, Map<string, { resourceType: string; resource: string }>>();
  const hold = (ent: string, p: { resourceType: string; resource: string }) => {
    let m = holders.get(ent);
    if (!m) holders.set(ent, (m = new Map()));
    m.set(pkey(p), p);
  };
  const directSet = new Set<string>();
  for (const g of direct) {
    hold(g.entitlement!.id, g.principal!.id!);
    directSet.add(`${g.entitlement!.id}\u0001${pkey(g.principal!.id!)}`);
  }
  for (const e of expanded) hold(e.grant.entitlement!.id, e.grant.principal!.id!);

  // edges src -> dst, as expandGrants builds them (a missing source is dropped)
  const edges: { src: string; dst: string; types: string[] }[] = [];
  for (const g of direct) {
    const ge = expansionOf(g);
    if (!ge) continue;
    for (const src of ge.entitlementIds) if (entitlements.has(src)) edges.push({ src, dst: g.entitlement!.id, types: ge.resourceTypeIds });
  }

  // via(dst, principal) = source entitlements the principal reaches dst through
  const via = new Map<string, Set<string>>();
  for (const e of edges) {
    for (const [k, p] of holders.get(e.src) ?? []) {
      if (e.types.length && !e.types.includes(p.resourceType)) continue;
      const vk = `${e.dst}\u0001${k}`;
      let s = via.get(vk);
      if (!s) via.set(vk, (s = new Set()));
      s.add(e.src);
    }
  }

  const memo = new Map<string, string[][]>();
  const pathsOf = (ent: string, k: string, stack: string[]): string[][] => {
    const mk = `${ent}\u0001${k}`;
    const cached = memo.get(mk);
    if (cached) return cached;
    const out: string[][] = [];
    if (directSet.has(mk)) out.push([]);
    if (stack.length < MAX_DEPTH) {
      for (const src of [...(via.get(mk) ?? [])].sort()) {
        if (stack.includes(src)) continue;
        for (const q of pathsOf(src, k, [...stack, ent])) out.push([...q, src]);
      }
    }
    const seen = new Set<string>();
    const uniq = out.filter((p) => {
      const s = JSON.stringify(p);
      if (seen.has(s)) return false;
      seen.add(s);
      return true;
    });
    uniq.sort((a, b) => a.length - b.length || (a.join('\u0000') < b.join('\u0000') ? -1 : a.join('\u0000') > b.join('\u0000') ? 1 : 0));
    const res = uniq.slice(0, MAX_PATHS);
    memo.set(mk, res);
    return res;
  };

  const directOut = new Map<string, { sources: string[]; paths: string[][] }>();
  for (const g of direct) {
    const k = pkey(g.principal!.id!);
    const vk = `${g.entitlement!.id}\u0001${k}`;
    const s = via.get(vk);
    if (!s || s.size === 0) continue;
    directOut.set(g.id, { sources: [...s].sort(), paths: pathsOf(g.entitlement!.id, k, []) });
  }
  const rows: ExpandedRow[] = expanded.map((e) => {
    const k = pkey(e.grant.principal!.id!);
    return { grant: e.grant, sources: [...e.sources].sort(), paths: pathsOf(e.grant.entitlement!.id, k, []) };
  });
  rows.sort((a, b) => (a.grant.id < b.grant.id ? -1 : a.grant.id > b.grant.id ? 1 : 0));
  return { expanded: rows, direct: directOut };
}
