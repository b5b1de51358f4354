/**
 * "Since when" (issue 18): three syncs of a tenant that changes between them (a membership added,
 * one removed and then added back), recorded in a history; the dates equal the fake's model: what
 * it held at each sync. The report and its CSVs show them; the history refuses another source, an
 * older snapshot after a newer one, and a report of a snapshot that is not its latest.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { allMeta, openSnapshot } from '../../src/review/store';
import { historyKey, readHistory, recordSnapshot, HistoryError } from '../../src/review/history';
import { writeReport } from '../../src/review/report';
import { parseCsv } from '../../src/review/csv';
import { runCli, envOf } from './helpers/cli';

jest.setTimeout(150_000);
const source = { kind: 'remote' as const, label: 'test harness', identity: 'harness' };
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 2 } });
  dir = mkdtempSync(join(tmpdir(), 'review-history-'));
});
afterAll(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function finishedAt(file: string): string {
  const db = openSnapshot(file);
  try {
    return allMeta(db).finished_at;
  } finally {
    db.close();
  }
}

test('first seen, since and last seen follow the tenant across syncs', async () => {
  const t = h.fake.tenant;
  const hist = join(dir, 'history.sqlite');
  const site = new Set(t.users().map((u) => u.accountId));
  const groups = t.groups();
  // someone outside a group (to add), and a member (to remove and add back)
  const g = groups.find((x) => t.groupMembers(x.groupId).length > 1 && t.users().some((u) => !t.groupMembers(x.groupId).includes(u.accountId)))!;
  const newcomer = t.users().find((u) => site.has(u.accountId) && !t.groupMembers(g.groupId).includes(u.accountId))!.accountId;
  const leaver = t.groupMembers(g.groupId).find((a) => site.has(a))!;
  const member = (a: string) => historyKey(`group:${g.groupId}:member`, 'user', a);
  const steady = t.groupMembers(g.groupId).find((a) => site.has(a) && a !== leaver)!;

  const s1 = join(dir, 'week1.sqlite');
  await syncSnapshot(h.client, { out: s1, source, workers: 4 });
  expect(recordSnapshot(hist, s1)).toMatchObject({ recorded: true });
  expect(recordSnapshot(hist, s1)).toMatchObject({ recorded: false, note: 'this snapshot is already recorded' });

  // a "week" later: one joins, one leaves
  t.addGroupMember(g.groupId, newcomer);
  t.removeGroupMember(g.groupId, leaver);
  const s2 = join(dir, 'week2.sqlite');
  await syncSnapshot(h.client, { out: s2, source, workers: 4 });
  expect(recordSnapshot(hist, s2)).toMatchObject({ recorded: true, newGrants: expect.any(Number) });

  // another week: the leaver is back
  t.addGroupMember(g.groupId, leaver);
  const s3 = join(dir, 'week3.sqlite');
  await syncSnapshot(h.client, { out: s3, source, workers: 4 });
  recordSnapshot(hist, s3);
  const [w1, w2, w3] = [s1, s2, s3].map(finishedAt);

  const hs = readHistory(
    hist,
    (() => {
      const db = openSnapshot(s3);
      try {
        return allMeta(db).sync_id;
      } finally {
        db.close();
      }
    })(),
  );
  expect(hs.grants.get(member(steady))).toEqual({ firstSeen: w1, since: w1, lastSeen: w3 });
  expect(hs.grants.get(member(newcomer))).toEqual({ firstSeen: w2, since: w2, lastSeen: w3 });
  expect(hs.grants.get(member(leaver))).toEqual({ firstSeen: w1, since: w3, lastSeen: w3 }); // the break resets "since"
  // every grant of the tenant's model is dated: a group membership held all along since week 1
  for (const x of groups)
    for (const a of t.groupMembers(x.groupId).filter((m) => site.has(m))) {
      const d = hs.grants.get(historyKey(`group:${x.groupId}:member`, 'user', a));
      expect([x.name, a, d !== undefined]).toEqual([x.name, a, true]);
    }
  expect(hs.syncs.map((s) => s.finishedAt)).toEqual([w1, w2, w3]);

  // order and source are checked
  expect(() => recordSnapshot(join(dir, 'other.sqlite'), s3)).not.toThrow();
  expect(() => recordSnapshot(join(dir, 'other.sqlite'), s1)).toThrow(HistoryError);
  expect(() => readHistory(hist, 'not-recorded')).toThrow(/does not record this snapshot/);

  // the report with the history: the dates in the CSVs, the trend, and the worksheet's "since"
  const rep = writeReport(s3, join(dir, 'report'), { historyFile: hist });
  const access = parseCsv(readFileSync(rep.files.access, 'utf8'));
  const ah = access[0];
  const row = access.find((r) => r[ah.indexOf('account_id')] === leaver && r[ah.indexOf('entitlement_id')] === `group:${g.groupId}:member`)!;
  expect([row[ah.indexOf('first_seen')], row[ah.indexOf('since')]]).toEqual([w1, w3]);
  const dec = parseCsv(readFileSync(rep.files.decisions, 'utf8'));
  expect(dec.find((r) => r[0] === `group:${g.groupId}:member:user:${newcomer}`)![dec[0].indexOf('since')]).toBe(w2);
  expect(rep.data.trend.map((x) => x.findings)).toEqual([undefined, undefined, rep.data.findings.length]);
  expect(readFileSync(rep.files.html, 'utf8')).toContain('id="chart-trend-accounts"');
  // a report of an older snapshot with this history is refused (its dates would be of a later sync)
  expect(() => writeReport(s2, join(dir, 'old-report'), { historyFile: hist })).toThrow(/later syncs than this snapshot/);
});

test('the CLI: sync --history records, report --history dates; a history of another source is refused (exit 2)', async () => {
  const hist = join(dir, 'cli-history.sqlite');
  const s1 = join(dir, 'cli-week1.sqlite');
  const sync = await runCli(dir, ['sync', '-o', s1, '--history', hist, '--progress', 'none'], envOf(h.fake));
  expect({ code: sync.code, err: sync.stderr }).toEqual({ code: 0, err: '' });
  expect(sync.stdout).toMatch(/History .*cli-history\.sqlite: recorded \(\d+ grants not seen before\)/);
  expect(sync.stdout).toContain(`Next: jira-connector report ${s1} --history ${hist}`);
  const again = await runCli(dir, ['history', hist, s1]);
  expect({ code: again.code, out: again.stdout }).toEqual({ code: 0, out: `${s1}: this snapshot is already recorded\n` });
  const rep = await runCli(dir, ['report', s1, '--history', hist, '-o', join(dir, 'cli-report')]);
  expect({ code: rep.code, err: rep.stderr }).toEqual({ code: 0, err: '' });
  const people = parseCsv(readFileSync(join(dir, 'cli-report', 'people.csv'), 'utf8'));
  expect(people.slice(1).every((r) => r[people[0].indexOf('since')] === finishedAt(s1))).toBe(true);
  // a snapshot of another source (the harness, not this in-process site)
  const other = join(dir, 'cli-other.sqlite');
  await syncSnapshot(h.client, { out: other, source, workers: 4 });
  const refused = await runCli(dir, ['history', hist, other]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/^error: .*records another source/);
  const notRecorded = await runCli(dir, ['report', other, '--history', hist, '-o', join(dir, 'cli-report-2')]);
  expect(notRecorded.code).toBe(2);
  expect(notRecorded.stderr).toMatch(/does not record this snapshot/);
});
