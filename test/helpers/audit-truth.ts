/**
 * Ground truth of audit-log dates: from the fake's audit records, the latest record of each
 * membership (group member, role actor) in the window, when it is an addition: grant id -> {at, by}.
 */
import { auditRecords } from '../../src/fake-atlassian/audit-log';
import type { Tenant } from '../../src/fake-atlassian';

export function truth(t: Tenant, from: number): Map<string, { at: string; by?: string }> {
  const latest = new Map<string, { ms: number; added: boolean; by?: string }>();
  const note = (k: string, ms: number, added: boolean, by?: string) => {
    const o = latest.get(k);
    if (!o || ms > o.ms) latest.set(k, { ms, added, by });
  };
  for (const r of auditRecords(t)) {
    if (r.ms < from) continue;
    if (r.objectItem.typeName === 'GROUP') {
      const gid = t.group(r.objectItem.name!)!.groupId;
      note(`group:${gid}:member:user:${r.associatedItems[0].id}`, r.ms, r.summary.includes('added'), r.authorAccountId);
    } else {
      const ent = `project-role:${r.associatedItems[0].id}:${r.objectItem.id}:assigned`;
      for (const c of r.changedValues) {
        const v = c.changedTo || c.changedFrom;
        const who = c.fieldName === 'Users' ? `user:${v}` : `group:${t.group(v)!.groupId}`;
        note(`${ent}:${who}`, r.ms, !!c.changedTo, r.authorAccountId);
      }
    }
  }
  const out = new Map<string, { at: string; by?: string }>();
  for (const [k, e] of latest) if (e.added) out.set(k, { at: new Date(e.ms).toISOString(), by: e.by });
  return out;
}
