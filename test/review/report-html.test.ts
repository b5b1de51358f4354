/**
 * The HTML report in a real browser: headless Chromium opens index.html from disk, and the page
 * must render without an exception, a console error or a request for anything outside the file;
 * its numbers must be the snapshot's; sorting, filtering and a person's details must work.
 * The test takes the screenshot (docs/report-screenshot.png is refreshed with UPDATE_SCREENSHOT=1).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHarness, Harness } from '../helpers/harness';
import { TENANT_EPOCH } from '../../src/fake-atlassian';
import { syncSnapshot } from '../../src/review/sync';
import { writeReport, WrittenReport } from '../../src/review/report';
import { Browser, findChromium, NO_CHROMIUM, Page } from './helpers/chromium';

const ROOT = join(__dirname, '..', '..');
let h: Harness;
let dir: string;
let report: WrittenReport;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const bin = findChromium();
  if (!bin) throw new Error(NO_CHROMIUM);
  // the S tenant with its organization: managed / external accounts and last-active dates
  h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: (f) => ({ 'atlassian-orgid': f.orgId, 'atlassian-api-token': f.credentials.orgApiKey.key }) });
  dir = mkdtempSync(join(tmpdir(), 'review-html-'));
  const snap = join(dir, 'snapshot.sqlite');
  await syncSnapshot(h.client, { out: snap, source: { kind: 'in-process', label: h.fake.siteUrl, identity: 'html' } });
  // inactivity measured from the tenant's own "now" (its activity dates are generated relative to it)
  report = writeReport(snap, join(dir, 'report'), { asOf: new Date(TENANT_EPOCH).toISOString() });
  browser = await Browser.launch(bin);
  page = await browser.open(pathToFileURL(report.files.html).href, 1440, 1000);
  await page.eval(`new Promise((r) => { const t = setInterval(() => { if (document.body.dataset.ready === '1') { clearInterval(t); r(true); } }, 20); })`);
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('renders without errors and loads nothing from outside the file', async () => {
  expect(page.problems).toEqual({ exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] });
  expect(await page.eval('document.title')).toMatch(/^Jira access review/);
});

test('shows the snapshot’s numbers', async () => {
  const t = report.data.totals;
  const num = (id: string) => page.eval<string>(`document.getElementById(${JSON.stringify(id)}).textContent`).then((s) => Number(s.replace(/,/g, '')));
  expect(await num('total-people')).toBe(t.people);
  expect(await num('total-active')).toBe(t.active);
  expect(await num('total-licensed')).toBe(t.licensed);
  expect(await num('total-projects')).toBe(h.fake.tenant.projects().length);
  expect(await num('total-groups')).toBe(t.groups);
  expect(t.groups).toBeGreaterThanOrEqual(h.fake.tenant.groups().length); // with the organization, directory groups too
  expect(await num('total-findings')).toBe(report.data.findings.length);
  for (const k of ['inactive-licensed', 'external-admin', 'hidden-email', 'app-broad-access']) expect(await num(`finding-count-${k}`)).toBe(t[`findings:${k}`]);
  // the findings tab is the first view: one row per finding
  expect(await page.eval('document.querySelectorAll("#findings-table tbody tr.main").length')).toBe(report.data.findings.length);
  // organization data made it into the report
  expect(report.data.orgData).toBe(true);
  expect(t.managed).toBeGreaterThan(0);
  expect(report.data.people.some((p) => p.lastActive)).toBe(true);
});

test('people: sort, filter, open a person; projects open too', async () => {
  await page.eval(`document.querySelector('nav.tabs a[data-tab=people]').click()`);
  const rows = () => page.eval<number>('document.querySelectorAll("#people-table tbody tr.main").length');
  expect(await rows()).toBe(report.data.people.length);
  // sort by Groups (numeric columns sort descending first)
  await page.eval(`[...document.querySelectorAll('#people-table th')].find((th) => th.textContent === 'Groups').querySelector('button').click()`);
  const firstGroups = await page.eval<string>(`document.querySelector('#people-table tbody tr.main td:nth-child(8)').textContent`);
  expect(Number(firstGroups)).toBe(Math.max(...report.data.people.map((p) => p.groups.length)));
  // filter by text
  const someone = report.data.people.find((p) => p.accountType === 'atlassian' && p.products.length > 0 && p.roles.length > 0)!;
  await page.eval(`(() => { const q = document.querySelector('#host-people input[type=search]'); q.value = ${JSON.stringify(someone.name)}; q.dispatchEvent(new Event('input')); })()`);
  expect(await rows()).toBe(report.data.people.filter((p) => [p.name, p.accountId, ...p.groups, ...p.projects].join(' ').toLowerCase().includes(someone.name.toLowerCase())).length);
  // open the person: groups, seats and roles with how they were obtained
  await page.eval(`document.querySelector('#people-table tbody tr.main').click()`);
  const detail = await page.eval<string>(`document.querySelector('#people-table tbody tr.detail').textContent`);
  expect(detail).toContain(`Product seats (${someone.products.length})`);
  expect(detail).toContain(someone.products[0].what);
  expect(detail).toContain(someone.roles[0].what);
  // the select filter on account type
  await page.eval(
    `(() => { const q = document.querySelector('#host-people input[type=search]'); q.value = ''; q.dispatchEvent(new Event('input')); const s = [...document.querySelectorAll('#host-people select')].find((x) => x.getAttribute('aria-label') === 'Type'); s.value = 'customer'; s.dispatchEvent(new Event('change')); })()`,
  );
  expect(await rows()).toBe(report.data.people.filter((p) => p.accountType === 'customer').length);
  // projects: a project opens with its roles and people
  await page.eval(`document.querySelector('nav.tabs a[data-tab=projects]').click()`);
  expect(await page.eval('document.querySelectorAll("#projects-table tbody tr.main").length')).toBe(report.data.projects.length);
  await page.eval(`document.querySelector('#projects-table tbody tr.main').click()`);
  const pd = await page.eval<string>(`document.querySelector('#projects-table tbody tr.detail').textContent`);
  expect(pd).toContain(`People (${report.data.projects[0].people})`);
  expect(page.problems.exceptions).toEqual([]);
});

test('takes the screenshot', async () => {
  await page.eval(`(() => { location.hash = 'findings'; window.scrollTo(0, 0); })()`);
  await page.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`);
  const png = await page.screenshot();
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const shot = join(ROOT, '.tmp', 'report-screenshot.png');
  writeFileSync(shot, png);
  const docs = join(ROOT, 'docs', 'report-screenshot.png');
  if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(docs)) copyFileSync(shot, docs);
  // the people tab with a person open, for whoever changes the page (not in docs/)
  await page.eval(
    `(() => { document.querySelector('nav.tabs a[data-tab=people]').click(); const s = [...document.querySelectorAll('#host-people select')].find((x) => x.getAttribute('aria-label') === 'Type'); s.value = ''; s.dispatchEvent(new Event('change')); document.querySelectorAll('#people-table tbody tr.main')[1].click(); document.getElementById('tab-people').scrollIntoView(); })()`,
  );
  writeFileSync(join(ROOT, '.tmp', 'report-people.png'), await page.screenshot());
  expect(page.problems).toEqual({ exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] });
});
