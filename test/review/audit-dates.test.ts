/**
 * Dates from Jira's audit log in the review (issue 18 item 3): a snapshot synced with
 * BATON_JIRA_AUDIT_DAYS keeps the grants' annotations; the report's access.csv and decisions
 * worksheet carry added_at / added_source equal to the fake's audit records (the latest addition in
 * the window) for every direct group membership and role assignment, and nothing for the others; the
 * person view lists when groups and roles were added. Two syncs a (fake) week apart, recorded in a
 * history: a membership added between them has "since" = the second sync and added_at = the time the
 * fake's API made it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { writeReport } from '../../src/review/report';
import { parseCsv } from '../../src/review/csv';
import { truth } from '../helpers/audit-truth';
import { pathToFileURL } from 'node:url';
import { Browser, findChromium, NO_CHROMIUM } from './helpers/chromium';
import { allMeta, openSnapshot } from '../../src/review/store';
import { historyKey, readHistory, recordSnapshot } from '../../src/review/history';

jest.setTimeout(150_000);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 1, 12, 0, 0);
const DAYS = 60;
const source = { kind: 'remote' as const, label: 'test harness', identity: 'harness' };
let h: Harness;
let dir: string;
/** the connector's and the fake's "now" (moved a week by the history test) */
let now = NOW;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 2 }, config: () => ({ 'jira-audit-days': DAYS }), build: { now: () => now } });
  h.fake.tenant.clock = () => now - DAY;
  dir = mkdtempSync(join(tmpdir(), 'review-audit-'));
});
afterAll(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("access.csv, the decisions worksheet and the person view show the audit log's dates", async () => {
  const snap = join(dir, 'snap.sqlite');
  await syncSnapshot(h.client, { out: snap, source, workers: 4 });
  const want = truth(h.fake.tenant, NOW - DAYS * DAY);
  const rep = writeReport(snap, join(dir, 'report'), {});

  const access = parseCsv(readFileSync(rep.files.access, 'utf8'));
  const ah = access[0];
  const col = (n: string) => ah.indexOf(n);
  expect(col('added_at')).toBeGreaterThan(0);
  let dated = 0;
  for (const r of access.slice(1)) {
    const id = `${r[col('entitlement_id')]}:user:${r[col('account_id')]}`;
    const w = r[col('kind')] === 'direct' ? want.get(id) : undefined;
    expect([id, r[col('added_at')], r[col('added_source')]]).toEqual([id, w?.at ?? '', w ? 'jira-audit-log' : '']);
    if (w) dated++;
  }
  expect(dated).toBeGreaterThan(10);

  const dec = parseCsv(readFileSync(rep.files.decisions, 'utf8'));
  const dh = dec[0];
  let groupsDated = 0;
  for (const r of dec.slice(1)) {
    const w = r[dh.indexOf('kind')] === 'direct' ? want.get(r[dh.indexOf('row_id')]) : undefined;
    expect([r[0], r[dh.indexOf('added_at')], r[dh.indexOf('added_source')]]).toEqual([r[0], w?.at ?? '', w ? 'jira-audit-log' : '']);
    if (w && r[dh.indexOf('principal_type')] === 'group') groupsDated++;
  }
  // role assignments of groups are dated in the worksheet too
  expect(groupsDated).toBeGreaterThan(0);

  // the person view: when groups and roles were added
  const someone = rep.data.people.find((p) => p.groupsAdded && Object.keys(p.groupsAdded).length > 0)!;
  expect(someone).toBeDefined();
  const [name, text] = Object.entries(someone.groupsAdded!)[0];
  const g = h.fake.tenant.group(name)!;
  expect(text).toBe(`${want.get(`group:${g.groupId}:member:user:${someone.accountId}`)!.at.slice(0, 10)} (jira-audit-log)`);
  expect(rep.data.people.some((p) => p.roles.some((v) => v.added))).toBe(true);

  // the page: renders, has an "Added" column, and its export is the worksheet (same columns, same dates)
  const bin = findChromium();
  if (!bin) throw new Error(NO_CHROMIUM);
  const browser = await Browser.launch(bin);
  try {
    const page = await browser.open(pathToFileURL(rep.files.html).href, 1440, 1000);
    await page.eval(`new Promise((r) => { const t = setInterval(() => { if (document.body.dataset.ready === '1') { clearInterval(t); r(true); } }, 20); })`);
    expect(page.problems).toEqual({ exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] });
    const exported = parseCsv((await page.eval<string>('window.jiraReview.decisionsCsv()')).replace(/^\ufeff/, ''));
    expect(exported[0]).toEqual(dh);
    const byRow = new Map(exported.slice(1).map((r) => [r[0], r]));
    for (const r of dec.slice(1)) for (const c of ['added_at', 'added_source', 'since', 'through']) expect([r[0], c, byRow.get(r[0])?.[dh.indexOf(c)]]).toEqual([r[0], c, r[dh.indexOf(c)]]);
  } finally {
    await browser.close();
  }
});

test('two syncs a week apart: a membership added between them has "since" = the second sync and added_at = when it was made', async () => {
  const t = h.fake.tenant;
  const hist = join(dir, 'history.sqlite');
  const s1 = join(dir, 'week1.sqlite');
  await syncSnapshot(h.client, { out: s1, source, workers: 4 });
  recordSnapshot(hist, s1);
  // a week later (both clocks), a membership added through the fake's API two days before the second sync
  now = NOW + 7 * DAY;
  t.clock = () => now - 2 * DAY;
  const g = t.groups().find((x) => !x.system && !x.externalSynced && t.groupSize(x.groupId) > 0)!;
  const newcomer = t.users().find((u) => u.accountType === 'atlassian' && u.inJira && !t.isGroupMember(g.groupId, u.accountId))!.accountId;
  const res = await fetch(`${h.fake.siteUrl}/rest/api/3/group/user?groupId=${g.groupId}`, {
    method: 'POST',
    headers: { Authorization: h.fake.credentials.admin.authorization, 'Content-Type': 'application/json' },
    body: JSON.stringify({ accountId: newcomer }),
  });
  expect(res.status).toBe(201);
  const s2 = join(dir, 'week2.sqlite');
  await syncSnapshot(h.client, { out: s2, source, workers: 4 });
  recordSnapshot(hist, s2);
  const db = openSnapshot(s2);
  const meta = allMeta(db);
  db.close();
  const hs = readHistory(hist, meta.sync_id);
  expect(hs.grants.get(historyKey(`group:${g.groupId}:member`, 'user', newcomer))?.since).toBe(meta.finished_at);

  const rep = writeReport(s2, join(dir, 'report-week2'), { historyFile: hist });
  const access = parseCsv(readFileSync(rep.files.access, 'utf8'));
  const ah = access[0];
  const row = access.find((r) => r[ah.indexOf('account_id')] === newcomer && r[ah.indexOf('entitlement_id')] === `group:${g.groupId}:member`)!;
  expect([row[ah.indexOf('since')], row[ah.indexOf('added_at')], row[ah.indexOf('added_source')]]).toEqual([meta.finished_at, new Date(now - 2 * DAY).toISOString(), 'jira-audit-log']);
  // and the whole report agrees with the fake's records as of the second sync's window
  const want = truth(t, now - DAYS * DAY);
  for (const r of access.slice(1)) {
    const id = `${r[ah.indexOf('entitlement_id')]}:user:${r[ah.indexOf('account_id')]}`;
    const w = r[ah.indexOf('kind')] === 'direct' ? want.get(id) : undefined;
    expect([id, r[ah.indexOf('added_at')]]).toEqual([id, w?.at ?? '']);
  }
});
