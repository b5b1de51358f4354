/** Counts of a sync result: resources per type, grants per "<type>:<slug>". */
import type { SyncResult } from './sync';

export interface SyncSummary {
  byType: Record<string, number>;
  grantsBySlug: Record<string, number>;
  expandedBySlug: Record<string, number>;
}

export function summarize(r: SyncResult): SyncSummary {
  const byType: Record<string, number> = {};
  for (const res of r.resources) byType[res.id!.resourceType] = (byType[res.id!.resourceType] ?? 0) + 1;
  const slugOf = new Map(r.entitlements.map((e) => [e.id, `${e.resource!.id!.resourceType}:${e.slug}`]));
  const count = (ids: string[]) => {
    const out: Record<string, number> = {};
    for (const id of ids) {
      const k = slugOf.get(id) ?? 'unknown';
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };
  return {
    byType,
    grantsBySlug: count(r.grants.map((g) => g.entitlement!.id)),
    expandedBySlug: count(r.expanded.map((g) => g.grant.entitlement!.id)),
  };
}
