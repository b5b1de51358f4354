/**
 * Dates from Jira's audit log in the review (issue 18 item 3): a snapshot synced with
 * BATON_JIRA_AUDIT_DAYS keeps the grants' annotations; the report's access.csv and decisions
 * worksheet carry added_at / added_source equal to the fake's audit records (the latest addition in
 * the window) for every direct group membership and role assignment, and nothing for the others; the
 * person view lists when groups and roles were added.
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

jest.setTimeout(150_000);
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 9, 1, 12, 0, 0);
const DAYS = 60;
const source = { kind: 'remote' as const, label: 'test harness', identity: 'harness' };
let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 2 }, config: () => ({ 'jira-audit-days': DAYS }), build: { now: () => NOW } });
  h.fake.tenant.clock = () => NOW - DAY;
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
