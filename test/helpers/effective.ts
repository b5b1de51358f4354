/** Per entitlement, the users who hold it after expansion (direct and expanded grants of a sync). */
import type { SyncResult } from '../../src/client/sync';
import { pickAnnotation } from '../../src/connector/annotations';
import { GrantExpandable } from '../../src/gen/c1/connector/v2/annotation_grant';

/**
 * `productWide`: also count, for each project permission granted to a product and kept as one grant
 * (BATON_JIRA_EXPAND_PRODUCT_GRANTS off: no GrantExpandable), the users holding that product's
 * `application-role:<key>:assigned` in the same sync: whom the grant stands for.
 */
export function effectiveUsers(r: SyncResult, opts: { productWide?: boolean } = {}): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (ent: string, p: { resourceType: string; resource: string }) => {
    if (p.resourceType !== 'user') return;
    if (!out.has(ent)) out.set(ent, new Set());
    out.get(ent)!.add(p.resource);
  };
  for (const g of r.grants) add(g.entitlement!.id, g.principal!.id!);
  for (const e of r.expanded) add(e.grant.entitlement!.id, e.grant.principal!.id!);
  if (opts.productWide) {
    const kept = r.grants.filter(
      (g) => g.entitlement!.id.includes(':permission:') && g.principal!.id!.resourceType === 'application-role' && !pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable'),
    );
    for (const g of kept) for (const u of out.get(`application-role:${g.principal!.id!.resource}:assigned`) ?? []) add(g.entitlement!.id, { resourceType: 'user', resource: u });
  }
  return out;
}
