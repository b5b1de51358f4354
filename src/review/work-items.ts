/**
 * Work items in the access review (issue 16, BATON_JIRA_WORK_ITEMS): counts per project and status,
 * and the open items (status category not done) assigned to accounts that are deactivated or
 * suspended. From the snapshot's `work-item` resources and their `assignee` grants.
 */
import type { Review } from './model';
import { toCsv } from './csv';

export interface WorkItemCount {
  projectKey: string;
  status: string;
  category: string;
  items: number;
  unassigned: number;
  /** open items assigned to an inactive account */
  openAssignedToInactive: number;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The account a work item is assigned to (its direct `assignee` grant), if any. */
function assigneeOf(rv: Review, workItemId: string): string | undefined {
  return rv.byEntitlement.get(`work-item:${workItemId}:assignee`)?.find((h) => h.kind === 'direct' && h.principalType === 'user')?.principalId;
}

export function isOpen(profile: Record<string, unknown>): boolean {
  return text(profile.status_category) !== 'done';
}

/** Work items per project and status, sorted by project and status. */
export function workItemCounts(rv: Review): WorkItemCount[] {
  const rows = new Map<string, WorkItemCount>();
  for (const w of rv.other.get('work-item')?.values() ?? []) {
    const projectKey = text(w.profile.project_key);
    const status = text(w.profile.status);
    const k = `${projectKey}\u0000${status}`;
    const row = rows.get(k) ?? { projectKey, status, category: text(w.profile.status_category), items: 0, unassigned: 0, openAssignedToInactive: 0 };
    row.items++;
    const a = assigneeOf(rv, w.id);
    if (!a) row.unassigned++;
    else if (isOpen(w.profile) && rv.people.get(a)?.active === false) row.openAssignedToInactive++;
    rows.set(k, row);
  }
  return [...rows.values()].sort((a, b) => a.projectKey.localeCompare(b.projectKey) || a.status.localeCompare(b.status));
}

export function workItemsCsv(counts: WorkItemCount[]): string {
  return toCsv(
    ['project_key', 'status', 'status_category', 'work_items', 'unassigned', 'open_assigned_to_inactive'],
    counts.map((r) => [r.projectKey, r.status, r.category, r.items, r.unassigned, r.openAssignedToInactive]),
  );
}
