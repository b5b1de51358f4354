/**
 * Dates from Jira's audit log (BATON_JIRA_AUDIT_DAYS): a full sync through gRPC, with the fake's and
 * the connector's clocks injected (the same instant), gives every group-member and project-role
 * grant whose latest audit record in the window is an addition exactly that record's date (and its
 * author), as a GrantMetadata annotation; every other grant carries none. Changes made through the
 * fake's API before the sync are dated at the time they were made. The log is read once per sync,
 * in pages of at most 1000, from the window's start. Without permission to read it: one warning,
 * no dates, the same grants.
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { auditRecords } from '../../src/fake-atlassian/audit-log';
import { truth } from '../helpers/audit-truth';
import { GrantMetadata } from '../../src/gen/c1/connector/v2/annotation_grant';
import { pickAnnotation } from '../../src/connector/annotations';
import { heldForSync } from '../../src/connector/cache';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 1, 12, 0, 0);
const DAYS = 90;

function datesOf(r: SyncResult): Map<string, { at: string; by?: string; source?: string }> {
  const out = new Map<string, { at: string; by?: string; source?: string }>();
  for (const g of r.grants) {
    const m = pickAnnotation(g.annotations, GrantMetadata, 'c1.connector.v2.GrantMetadata')?.metadata;
    if (m?.added_source) out.set(g.id, { at: m.added_at, by: m.added_by, source: m.added_source });
  }
  return out;
}

const dated = (r: SyncResult) => r.grants.filter((g) => ['group', 'project-role'].includes(g.entitlement!.resource!.id!.resourceType));

describe('dates from the audit log', () => {
  let h: Harness;
  let r: SyncResult;
  let changed: { group: string; role: string };
  beforeAll(async () => {
    h = await startHarness({ config: () => ({ 'jira-audit-days': DAYS }), build: { now: () => NOW } });
    const t = h.fake.tenant;
    t.clock = () => NOW - 3 * DAY;
    auditRecords(t); // the generated records, as of three days ago
    // two changes through the fake's API, an hour ago
    t.clock = () => NOW - 3_600_000;
    const auth = { Authorization: h.fake.credentials.admin.authorization, 'Content-Type': 'application/json' };
    const group = t.groups().find((g) => !g.system && t.groupSize(g.groupId) > 0 && !g.externalSynced)!;
    const outsider = t.users().find((u) => u.accountType === 'atlassian' && !t.isGroupMember(group.groupId, u.accountId))!;
    let res = await fetch(`${h.fake.siteUrl}/rest/api/3/group/user?groupId=${group.groupId}`, { method: 'POST', headers: auth, body: JSON.stringify({ accountId: outsider.accountId }) });
    expect(res.status).toBe(201);
    const p = t.projects().find((x) => t.projectRoles(x.id).length > 0)!;
    const role = t.projectRoles(p.id)[0];
    const actor = t.users().find((u) => u.accountType === 'atlassian' && !t.roleActors(p.id, role.id).users.includes(u.accountId))!;
    res = await fetch(`${h.fake.siteUrl}/rest/api/3/project/${p.id}/role/${role.id}`, { method: 'POST', headers: auth, body: JSON.stringify({ user: [actor.accountId] }) });
    expect(res.status).toBe(200);
    changed = { group: `group:${group.groupId}:member:user:${outsider.accountId}`, role: `project-role:${p.id}:${role.id}:assigned:user:${actor.accountId}` };
    h.fake.stats.reset();
    r = await runSync(h.client);
  }, 120_000);
  afterAll(() => h?.stop());

  test("every group and role grant carries exactly the date of the fake's latest addition in the window, or none", () => {
    const want = truth(h.fake.tenant, NOW - DAYS * DAY);
    const got = datesOf(r);
    const grants = dated(r);
    let withDate = 0;
    for (const g of grants) {
      const w = want.get(g.id);
      expect([g.id, got.get(g.id)]).toEqual([g.id, w ? { at: w.at, by: w.by, source: 'jira-audit-log' } : undefined]);
      if (w) withDate++;
    }
    // only these types are dated
    for (const id of got.keys()) expect(grants.some((g) => g.id === id)).toBe(true);
    expect(withDate).toBeGreaterThan(10);
    expect(grants.length - withDate).toBeGreaterThan(10);
    // records older than the window exist and give no date
    expect(auditRecords(h.fake.tenant).some((x) => x.ms < NOW - DAYS * DAY)).toBe(true);
    // group actors of roles are dated too
    expect([...got.keys()].some((k) => k.startsWith('project-role:') && k.includes(':group:'))).toBe(true);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('changes made through the API are dated when they were made, by the caller', () => {
    const at = new Date(NOW - 3_600_000).toISOString();
    expect(datesOf(r).get(changed.group)).toEqual({ at, by: h.fake.tenant.serviceAccountId, source: 'jira-audit-log' });
    expect(datesOf(r).get(changed.role)).toEqual({ at, by: h.fake.tenant.serviceAccountId, source: 'jira-audit-log' });
  });

  test('cost: the log is read once per sync, two filtered listings in pages of 1000 from the window start', () => {
    const calls = h.fake.stats.count('getAuditRecords');
    const recs = auditRecords(h.fake.tenant).filter((x) => x.ms >= NOW - DAYS * DAY);
    // Validate's probe (limit=1), then `filter=group` and `filter=role`, each one page per 1000 records (and a short last page)
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(3 + Math.floor(recs.length / 1000) * 2);
    // the sync's index left at Cleanup
    expect(heldForSync(r.syncId)).toBe(0);
  });
});

describe('without permission to read the audit log', () => {
  test('no dates, the same grants, and the sync completes', async () => {
    const h = await startHarness({ config: () => ({ 'jira-audit-days': DAYS }), build: { now: () => NOW } });
    try {
      h.fake.faults.add({ match: 'GET /rest/api/3/auditing/record', status: { code: 403, body: { errorMessages: ['You do not have permission to view the audit log.'], errors: {} } } });
      const r = await runSync(h.client);
      expect(datesOf(r).size).toBe(0);
      expect(dated(r).length).toBeGreaterThan(10);
      // Validate's optional probe, then one attempt per sync: a refusal is not retried per grant page
      expect(h.fake.stats.count('getAuditRecords')).toBe(2);
    } finally {
      await h.stop();
    }
  }, 120_000);

  test('the fake refuses a caller without Administer Jira with 403', async () => {
    const h = await startHarness();
    try {
      const weak = h.fake.credentials.mintClassicToken({ permissions: { administerJira: false, siteAdmin: false } });
      const res = await fetch(`${h.fake.siteUrl}/rest/api/3/auditing/record`, { headers: { Authorization: weak.authorization } });
      expect(res.status).toBe(403);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
