/** Per entitlement, the users who hold it after expansion (direct and expanded grants of a sync). */
import type { SyncResult } from '../../src/client/sync';

export function effectiveUsers(r: SyncResult): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (ent: string, p: { resourceType: string; resource: string }) => {
    if (p.resourceType !== 'user') return;
    if (!out.has(ent)) out.set(ent, new Set());
    out.get(ent)!.add(p.resource);
  };
  for (const g of r.grants) add(g.entitlement!.id, g.principal!.id!);
  for (const e of r.expanded) add(e.grant.entitlement!.id, e.grant.principal!.id!);
  return out;
}
