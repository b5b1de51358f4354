/**
 * The HTML report in a real browser: headless Chromium opens index.html from disk, and the page
 * must render without an exception, a console error or a request for anything outside the file;
 * its numbers must be the snapshot's; sorting, filtering and a person's details must work.
 * The test takes the screenshot (docs/report-screenshot.png is refreshed with UPDATE_SCREENSHOT=1).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHarness, Harness } from '../helpers/harness';
import { TENANT_EPOCH } from '../../src/fake-atlassian';
import { syncSnapshot } from '../../src/review/sync';
import { writeReport, WrittenReport } from '../../src/review/report';
import { Browser, findChromium, NO_CHROMIUM, Page } from './helpers/chromium';
import { parseCsv } from '../../src/review/csv';
import { FINDING_TITLES } from '../../src/review/findings';
import { readDecisions, planRemediation } from '../../src/review/decisions';
import { openSnapshot } from '../../src/review/store';
import { loadReview } from '../../src/review/model';

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
  report = writeReport(snap, join(dir, 'report'), { asOf: new Date(TENANT_EPOCH).toISOString(), reviewer: 'Alice <alice@acme.example>', campaign: 'Q4 review' });
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

test('pictures, sign-off, the Groups tab and right-aligned number headers', async () => {
  // one bar per product, per kind of finding, and per project up to 15
  expect(await page.eval('document.querySelectorAll("#chart-seats g.bar").length')).toBe(report.data.products.length);
  expect(await page.eval('document.querySelectorAll("#chart-findings g.bar").length')).toBe(Object.keys(FINDING_TITLES).length);
  expect(await page.eval('document.querySelectorAll("#chart-projects g.bar").length')).toBe(Math.min(15, report.data.projects.length));
  const firstSeat = report.data.products[0];
  expect(await page.eval<string>('document.querySelector("#chart-seats g.bar title").textContent')).toBe(`${firstSeat.name}: ${firstSeat.active} active, ${firstSeat.inactive} inactive`);
  // the sign-off, escaped
  expect(await page.eval<string>('document.getElementById("signoff").textContent')).toContain('Campaign Q4 review · reviewer Alice <alice@acme.example>');
  // groups: one row per group, members equal to the tenant's (site users) for a Jira group
  await page.eval(`document.querySelector('nav.tabs a[data-tab=groups]').click()`);
  expect(await page.eval('document.querySelectorAll("#groups-table tbody tr.main").length')).toBe(Math.min(200, report.data.groups.length));
  const site = new Set(h.fake.tenant.users().map((u) => u.accountId));
  for (const g of h.fake.tenant.groups()) {
    const row = report.data.groups.find((x) => x.id === g.groupId)!;
    expect([g.name, row.members]).toEqual([g.name, h.fake.tenant.groupMembers(g.groupId).filter((a) => site.has(a)).length]);
  }
  const granting = report.data.groups.find((g) => g.products.length)!;
  expect(granting).toBeDefined();
  // a number column's header sits over its numbers (both right-aligned)
  await page.eval(`document.querySelector('nav.tabs a[data-tab=projects]').click()`);
  const align = await page.eval<string[]>(
    `(() => { const th = [...document.querySelectorAll('#projects-table th')].find((x) => x.textContent === 'People'); const i = [...th.parentNode.children].indexOf(th); const td = document.querySelector('#projects-table tbody tr.main').children[i]; return [getComputedStyle(th.querySelector('button')).textAlign, getComputedStyle(td).textAlign]; })()`,
  );
  expect(align).toEqual(['right', 'right']);
  expect(page.problems.exceptions).toEqual([]);
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

test('decisions: set keep / revoke and a comment in the page, export the worksheet, and remediate reads it against the snapshot', async () => {
  await page.eval(`document.querySelector('nav.tabs a[data-tab=decisions]').click()`);
  expect(await page.eval('document.querySelectorAll("#decisions-table tbody tr.main").length')).toBe(Math.min(200, report.data.decisions.length));
  await page.eval(`(() => { const r = document.getElementById('reviewer'); r.value = 'alice@acme.example'; r.dispatchEvent(new Event('change')); })()`);
  // revoke the first two rows, keep the third, comment on the first
  await page.eval(`(() => {
    const sel = [...document.querySelectorAll('#decisions-table select[data-dec]')];
    sel[0].value = 'revoke'; sel[0].dispatchEvent(new Event('change', { bubbles: true }));
    sel[1].value = 'revoke'; sel[1].dispatchEvent(new Event('change', { bubbles: true }));
    sel[2].value = 'keep'; sel[2].dispatchEvent(new Event('change', { bubbles: true }));
    const c = document.querySelector('#decisions-table input[data-com]'); c.value = '=left in June'; c.dispatchEvent(new Event('change', { bubbles: true }));
  })()`);
  expect(await page.eval<string>(`document.getElementById('decision-counts').textContent`)).toBe(`2 revoke, 1 keep, ${report.data.decisions.length - 3} undecided`);
  const exported = await page.eval<string>('window.jiraReview.decisionsCsv()');
  // the same worksheet as decisions.csv, with the three decisions filled in
  const file = parseCsv(readFileSync(report.files.decisions, 'utf8'));
  const fromPage = parseCsv(exported);
  expect(fromPage[0]).toEqual(file[0]);
  expect(fromPage.length).toBe(file.length);
  const dcol = file[0].indexOf('decision');
  const shown = await page.eval<string[]>(`[...document.querySelectorAll('#decisions-table select[data-dec]')].slice(0, 3).map((s) => s.dataset.dec)`);
  const byId = new Map(fromPage.slice(1).map((r) => [r[0], r]));
  expect(shown.map((id) => byId.get(id)![dcol])).toEqual(['revoke', 'revoke', 'keep']);
  expect(byId.get(shown[0])![file[0].indexOf('reviewer')]).toBe('alice@acme.example');
  expect(byId.get(shown[0])![file[0].indexOf('comment')]).toBe(`'=left in June`); // a formula-looking comment is defused
  for (const r of file.slice(1)) if (!shown.includes(r[0])) expect(byId.get(r[0])).toEqual(r);
  // remediate's reader takes it, and plans against the snapshot it came from
  const out = join(dir, 'from-page.csv');
  writeFileSync(out, exported);
  const filled = readDecisions(out);
  expect(
    filled
      .filter((x) => x.decision === 'revoke')
      .map((x) => x.rowId)
      .sort(),
  ).toEqual([shown[0], shown[1]].sort());
  expect(filled.find((x) => x.rowId === shown[0])!.comment).toBe('=left in June');
  const db = openSnapshot(join(dir, 'snapshot.sqlite'));
  try {
    const plan = planRemediation(db, loadReview(db), filled);
    expect(
      plan
        .filter((p) => p.action !== 'keep')
        .map((p) => p.row.rowId)
        .sort(),
    ).toEqual([shown[0], shown[1]].sort());
  } finally {
    db.close();
  }
  // decisions survive a reload (kept in the browser until exported)
  await page.eval('window.__beforeReload = true; setTimeout(() => location.reload(), 0); true');
  // the old page's context goes away during the reload: ask again until the new page answers ready
  for (let i = 0; ; i++) {
    const ready = await page.eval<boolean>(`!window.__beforeReload && document.body && document.body.dataset.ready === '1'`).catch(() => false);
    if (ready) break;
    if (i > 500) throw new Error('the page did not come back after the reload');
    await new Promise((r) => setImmediate(r));
  }
  await page.eval(`document.querySelector('nav.tabs a[data-tab=decisions]').click()`);
  expect(await page.eval<string>(`document.getElementById('decision-counts').textContent`)).toBe(`2 revoke, 1 keep, ${report.data.decisions.length - 3} undecided`);
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
  for (const tabName of ['groups', 'decisions']) {
    await page.eval(`(() => { document.querySelector('nav.tabs a[data-tab=${tabName}]').click(); document.getElementById('tab-${tabName}').scrollIntoView(); })()`);
    const png = await page.screenshot();
    writeFileSync(join(ROOT, '.tmp', `report-${tabName}.png`), png);
    const doc = join(ROOT, 'docs', `report-${tabName}.png`);
    if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(doc)) writeFileSync(doc, png);
  }
  expect(page.problems).toEqual({ exceptions: [], consoleErrors: [], logErrors: [], externalRequests: [], failedLoads: [] });
});
