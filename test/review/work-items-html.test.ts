/**
 * The report of a snapshot synced with work items and issue activity (issue 16), in a real
 * browser: the Work items tab appears and lists the counts per project and status, equal to the
 * fake's model; every person row carries the last issue activity the connector synced; the page
 * renders without an exception or an outside request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { writeReport, WrittenReport } from '../../src/review/report';
import { Browser, findChromium, NO_CHROMIUM, Page } from './helpers/chromium';
import { workItemModel } from '../../src/fake-atlassian/work-items';
import { issueStore } from '../../src/fake-atlassian/issues';

let h: Harness;
let dir: string;
let report: WrittenReport;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const bin = findChromium();
  if (!bin) throw new Error(NO_CHROMIUM);
  h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: () => ({ 'jira-work-items': true, 'jira-activity-days': 90 }) });
  workItemModel(h.fake.tenant).setNow(Date.now());
  dir = mkdtempSync(join(tmpdir(), 'review-work-items-'));
  const snap = join(dir, 'snapshot.sqlite');
  await syncSnapshot(h.client, { out: snap, source: { kind: 'in-process', label: h.fake.siteUrl, identity: 'work-items' } });
  report = writeReport(snap, join(dir, 'report'), { asOf: new Date().toISOString() });
  browser = await Browser.launch(bin);
  page = await browser.open(pathToFileURL(report.files.html).href, 1280, 900);
  await page.eval(`new Promise((r) => { const t = setInterval(() => { if (document.body.dataset.ready === '1') { clearInterval(t); r(true); } }, 20); })`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the Work items tab lists the model's counts per project and status", async () => {
  const t = h.fake.tenant;
  const store = issueStore(t);
  const want = new Map<string, number>();
  for (const w of workItemModel(t).items()) {
    const k = `${w.projectKey}|${store.status(w.statusId)!.name}`;
    want.set(k, (want.get(k) ?? 0) + 1);
  }
  const got = new Map((report.data.workItems ?? []).map((r) => [`${r.projectKey}|${r.status}`, r.items]));
  expect(got).toEqual(want);
  await page.eval(`document.querySelector('nav.tabs a[data-tab="work-items"]').click()`);
  expect(await page.eval('document.getElementById("tab-work-items").classList.contains("on")')).toBe(true);
  expect(await page.eval('document.querySelectorAll("#host-work-items tbody tr.main").length')).toBe(want.size);
  expect(page.problems).toEqual({ exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] });
});

test("people rows carry the model's last issue activity", () => {
  const truth = workItemModel(h.fake.tenant).lastActivity(90);
  for (const p of report.data.people) expect([p.accountId, p.lastIssueActivity ?? null]).toEqual([p.accountId, truth.get(p.accountId)?.at ?? null]);
  expect(report.data.people.some((p) => p.openItemsAssigned)).toBe(true);
});
