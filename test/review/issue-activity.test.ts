/**
 * The report with issue activity and work items (issue 16) on a hand-made snapshot without
 * organization data: "inactive but licensed" falls back to Jira issue activity and says so; a
 * person's row and the people CSV carry the last issue activity and the open items assigned.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForWrite, setMeta, finalizeFile, openSnapshot } from '../../src/review/store';
import { loadReview } from '../../src/review/model';
import { buildReport, writeReport } from '../../src/review/report';
import { parseCsv } from '../../src/review/csv';

const AS_OF = '2026-06-01T00:00:00.000Z';
const daysBefore = (n: number) => new Date(Date.parse(AS_OF) - n * 86_400_000).toISOString();

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'review-activity-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snapshot(file: string): void {
  const db = openForWrite(`${file}.partial`);
  const res = db.prepare(
    "INSERT INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, NULL, NULL, ?, '', 'enabled', '[]', ?, x'')",
  );
  const user = (id: string, extra: Record<string, unknown>) =>
    res.run('user', id, id, JSON.stringify({ account_id: id, display_name: id, active: true, account_type: 'atlassian', email: `${id}@acme.example`, email_visibility: 'visible', ...extra }));
  user('old', { last_issue_activity: daysBefore(120), last_issue_activity_source: 'changed an issue', last_issue_activity_window_days: 180 });
  user('none', { last_issue_activity_window_days: 180 });
  user('recent', { last_issue_activity: daysBefore(3), last_issue_activity_source: 'created an issue', last_issue_activity_window_days: 180 });
  user('short', { last_issue_activity_window_days: 30 }); // a 30-day window cannot tell 90 days of inactivity
  user('unmeasured', {});
  user('gone', { active: false, last_issue_activity_window_days: 180 });
  res.run('application-role', 'jira-software', 'Jira', JSON.stringify({ key: 'jira-software', name: 'Jira' }));
  for (const [id, cat] of [
    ['1', 'new'],
    ['2', 'indeterminate'],
    ['3', 'done'],
    ['4', 'indeterminate'],
    ['5', 'new'],
  ])
    res.run(
      'work-item',
      id,
      `W-${id}`,
      JSON.stringify({ issue_id: id, key: `W-${id}`, project_key: 'W', status: cat === 'done' ? 'Done' : cat === 'new' ? 'To Do' : 'In Progress', status_category: cat }),
    );
  const ent = db.prepare("INSERT OR IGNORE INTO entitlements (id, resource_type, resource_id, slug, display_name, purpose, grantable_to, data) VALUES (?, ?, ?, ?, ?, 'assignment', '[]', x'')");
  ent.run('application-role:jira-software:assigned', 'application-role', 'jira-software', 'assigned', 'Jira');
  for (const id of ['1', '2', '3', '4', '5']) ent.run(`work-item:${id}:assignee`, 'work-item', id, 'assignee', `W-${id} assignee`);
  const gr = db.prepare("INSERT INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, paths) VALUES (?, 'direct', ?, ?, ?, 'user', ?, '[[]]')");
  for (const u of ['old', 'none', 'recent', 'short', 'unmeasured']) gr.run(`a:${u}`, 'application-role:jira-software:assigned', 'application-role', 'jira-software', u);
  for (const id of ['1', '2', '3']) gr.run(`w:${id}`, `work-item:${id}:assignee`, 'work-item', id, 'old');
  gr.run('w:4', 'work-item:4:assignee', 'work-item', '4', 'gone'); // W-5 is unassigned
  setMeta(db, 'status', 'complete');
  setMeta(db, 'finished_at', AS_OF);
  setMeta(db, 'source', 'https://example.atlassian.net');
  finalizeFile(db, `${file}.partial`, file);
}

test('without organization data, inactive-but-licensed uses issue activity and names its source; rows carry activity and open items', () => {
  const file = join(dir, 'snap.db');
  snapshot(file);
  const db = openSnapshot(file);
  const rv = loadReview(db);
  db.close();
  const r = buildReport(rv, { asOf: AS_OF });
  const inactive = r.findings.filter((f) => f.kind === 'inactive-licensed');
  expect(inactive.map((f) => f.accountId).sort()).toEqual(['none', 'old']);
  // deactivated with an open item: a finding naming it
  expect(r.findings.filter((f) => f.kind === 'open-items-inactive').map((f) => [f.accountId, f.detail])).toEqual([['gone', 'deactivated with 1 open work item assigned: W-4']]);
  expect(inactive.find((f) => f.accountId === 'old')!.detail).toBe(
    `last issue activity ${daysBefore(120).slice(0, 10)} (120 days before 2026-06-01; source: Jira issues, no organization data) and holds Jira (direct)`,
  );
  expect(inactive.find((f) => f.accountId === 'none')!.detail).toMatch(/^no issue created or changed in the last 180 days \(source: Jira issues, no organization data\)/);
  const row = (id: string) => r.people.find((p) => p.accountId === id)!;
  expect(row('old')).toMatchObject({ lastIssueActivity: daysBefore(120), openItemsAssigned: 2 });
  expect(row('recent')).toMatchObject({ lastIssueActivity: daysBefore(3), openItemsAssigned: 0 });
  expect(row('unmeasured').lastIssueActivity).toBeUndefined();

  const out = writeReport(file, join(dir, 'report'), { asOf: AS_OF });
  const csv = parseCsv(readFileSync(out.files.people, 'utf8'));
  const header = csv[0];
  const old = csv.find((l) => l[0] === 'old')!;
  expect(old[header.indexOf('last_issue_activity')]).toBe(daysBefore(120));
  expect(old[header.indexOf('open_items_assigned')]).toBe('2');
  // work items per project and status
  expect(parseCsv(readFileSync(out.files.workItems, 'utf8'))).toEqual([
    ['project_key', 'status', 'status_category', 'work_items', 'unassigned', 'open_assigned_to_inactive'],
    ['W', 'Done', 'done', '1', '0', '0'],
    ['W', 'In Progress', 'indeterminate', '2', '0', '1'],
    ['W', 'To Do', 'new', '2', '1', '0'],
  ]);
});
