/**
 * The access review on the M tier (1,000 users, 100 groups, 50 projects × 5 roles), through our
 * own gRPC server:
 *  - a sync into a snapshot, then the report, equal the tenant's ground truth;
 *  - a sync killed with SIGKILL (twice, in different phases) and rerun finishes with exactly the
 *    content of the uninterrupted snapshot, without redoing finished listings;
 *  - after provisioning changes (Grant/Revoke through gRPC, and tenant mutators), `diff` shows
 *    exactly those changes: as data, and through the CLI as text, JSON and CSV.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { contentDump, openSnapshot, partialPath, sqlite } from '../../src/review/store';
import { loadReview, pk } from '../../src/review/model';
import { buildReport, writeReport } from '../../src/review/report';
import { diffSnapshots } from '../../src/review/diff';
import { parseCsv } from '../../src/review/csv';
import { GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest } from '../../src/gen/c1/connector/v2/grant';
import { Resource } from '../../src/gen/c1/connector/v2/resource';
import { accessTruth, openProjectsTruth, peopleTruth, projectsTruth, TenantTruth } from './helpers/truth';

const ROOT = join(__dirname, '..', '..');
// child processes and M-tier syncs: generous limits for a loaded machine (they take seconds when it is not)
jest.setTimeout(150_000);
const source = { kind: 'remote' as const, label: 'test harness', identity: 'harness' };

let h: Harness;
let dir: string;
let snapA: string;
let truthA: TenantTruth;

beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'M', seed: 7 }, provisioning: true });
  dir = mkdtempSync(join(tmpdir(), 'review-m-'));
  snapA = join(dir, 'a.sqlite');
});
afterAll(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every grant of a snapshot as "<entitlementId>|<principalType>:<principalId>" (direct, or direct and expanded). */
function grantsOf(file: string): { direct: Set<string>; all: Set<string> } {
  const db = openSnapshot(file);
  try {
    const rows = db.prepare('SELECT kind, entitlement_id AS e, principal_type AS t, principal_id AS p FROM grants').all() as { kind: string; e: string; t: string; p: string }[];
    return { direct: new Set(rows.filter((r) => r.kind === 'direct').map((r) => `${r.e}|${r.t}:${r.p}`)), all: new Set(rows.map((r) => `${r.e}|${r.t}:${r.p}`)) };
  } finally {
    db.close();
  }
}

function setDiff(a: Set<string>, b: Set<string>) {
  return { missing: [...b].filter((x) => !a.has(x)).slice(0, 5), extra: [...a].filter((x) => !b.has(x)).slice(0, 5) };
}

test('sync then report: the numbers equal the tenant’s ground truth', async () => {
  const t = h.fake.tenant;
  truthA = accessTruth(t);
  const started = Date.now();
  const r = await syncSnapshot(h.client, { out: snapA, source, workers: 4 });
  const syncMs = Date.now() - started;
  expect(r.resumed).toBe(false);
  expect(r.warnings).toEqual([]);
  expect(existsSync(partialPath(snapA))).toBe(false);

  // resources and grants (direct, and direct + expanded) exactly as the tenant holds them
  const truthCounts = t.groundTruthCounts();
  expect(r.progress.resources).toEqual({
    user: truthCounts.users,
    group: truthCounts.groups,
    project: truthCounts.projects,
    'project-role': truthCounts.projectRoles,
    'application-role': truthCounts.applicationRoles,
  });
  const g = grantsOf(snapA);
  expect(setDiff(g.direct, truthA.direct)).toEqual({ missing: [], extra: [] });
  expect(setDiff(g.all, truthA.all)).toEqual({ missing: [], extra: [] });
  expect(r.counts['grants-direct:group:member']).toBe(truthCounts.groupMemberships);

  const db = openSnapshot(snapA);
  const rv = loadReview(db);
  // paths: a user in a role through a group has the path [group member, role assigned]
  const site = new Set(t.users().map((u) => u.accountId));
  let pick: { p: string; r: number; g: string; m: string } | undefined;
  for (const p of t.projects())
    for (const ro of t.roles())
      for (const g of t.roleActors(p.id, ro.id).groups) {
        const m = t.groupMembers(g).find((a) => site.has(a) && !t.roleActors(p.id, ro.id).users.includes(a));
        if (m && !pick) pick = { p: p.id, r: ro.id, g, m };
      }
  const { p: p0, r: ro0, g: g0, m: m0 } = pick!;
  const held = rv.byPrincipal.get(pk('user', m0))!.find((x) => x.entitlement.id === `project:${p0}:participate`)!;
  expect(held.kind).toBe('expanded');
  expect(held.paths).toContainEqual([`group:${g0}:member`, `project-role:${p0}:${ro0}:assigned`]);
  db.close();

  // the report: per person, per project, findings
  const rep = buildReport(rv);
  const people = peopleTruth(t);
  expect(rep.totals.people).toBe(truthCounts.users);
  expect(rep.totals.active).toBe(t.users().filter((u) => t.isActiveInJira(u)).length);
  let checked = 0;
  for (const row of rep.people) {
    const want = people.get(row.accountId)!;
    expect([row.accountId, row.groups]).toEqual([row.accountId, [...want.groups].sort((a, b) => a.localeCompare(b))]);
    expect([row.accountId, row.products.map((x) => x.what).sort()]).toEqual([row.accountId, want.products]);
    expect([row.accountId, row.roles.map((x) => x.what).sort()]).toEqual([row.accountId, want.roles]);
    expect([row.accountId, row.projects]).toEqual([row.accountId, want.projects]);
    expect([row.accountId, row.administers]).toEqual([row.accountId, want.administers]);
    checked++;
  }
  expect(checked).toBe(people.size);
  const projects = projectsTruth(t);
  for (const p of rep.projects) expect([p.key, { people: p.people, direct: p.direct, throughGroups: p.throughGroups, inactive: p.inactive }]).toEqual([p.key, projects.get(p.key)]);

  const ids = (kind: string) => new Set(rep.findings.filter((f) => f.kind === kind).map((f) => f.accountId));
  const users = t.users();
  expect(ids('hidden-email')).toEqual(new Set(users.filter((u) => !u.emailVisible).map((u) => u.accountId)));
  expect(ids('inactive-licensed')).toEqual(new Set(users.filter((u) => !t.isActiveInJira(u) && people.get(u.accountId)!.products.length > 0).map((u) => u.accountId)));
  expect(ids('app-broad-access')).toEqual(
    new Set(users.filter((u) => u.accountType === 'app' && (people.get(u.accountId)!.admin || people.get(u.accountId)!.projects.length >= 10)).map((u) => u.accountId)),
  );
  expect(ids('external-admin')).toEqual(new Set(users.filter((u) => u.accountType === 'customer' && people.get(u.accountId)!.admin).map((u) => u.accountId)));
  expect(rep.adminBasis).toBe('permissions');
  // permissions per project (product-wide grants counted through the product's holders) and per person equal the scheme model
  const model = (p: { id: string }, k: string) => t.projectPermissionHolders(p.id, k).accountIds;
  for (const pr of rep.projects) {
    const tp = t.projects().find((x) => x.id === pr.id)!;
    const want = ['ADMINISTER_PROJECTS', 'BROWSE_PROJECTS'].map((key) => ({ key, people: model(tp, key).size })).filter((x) => x.people > 0);
    expect([pr.key, pr.permissions.filter((x) => x.people > 0)]).toEqual([pr.key, want]);
  }
  for (const row of rep.people.slice(0, 100)) expect([row.accountId, row.browses]).toEqual([row.accountId, t.projects().filter((x) => model(x, 'BROWSE_PROJECTS').has(row.accountId)).length]);
  expect(rep.findings.filter((f) => f.kind === 'open-project').map((f) => f.name)).toEqual(openProjectsTruth(t));
  expect(openProjectsTruth(t).length).toBe(1);
  expect(ids('inactive-licensed').size).toBeGreaterThan(0);
  expect(ids('hidden-email').size).toBeGreaterThan(0);

  // the files: one CSV row per person / project / finding, the same numbers
  const w = writeReport(snapA, join(dir, 'a-report'));
  const peopleCsv = parseCsv(readFileSync(w.files.people, 'utf8'));
  expect(peopleCsv.length - 1).toBe(truthCounts.users);
  const hdr = peopleCsv[0];
  const byId = new Map(peopleCsv.slice(1).map((row) => [row[hdr.indexOf('account_id')], row]));
  for (const u of users.slice(0, 50)) {
    const row = byId.get(u.accountId)!;
    expect(row[hdr.indexOf('active')]).toBe(String(t.isActiveInJira(u)));
    expect(row[hdr.indexOf('email')]).toBe(u.emailVisible ? u.email : '');
    expect(row[hdr.indexOf('groups')]).toBe(
      people
        .get(u.accountId)!
        .groups.sort((a, b) => a.localeCompare(b))
        .join('; '),
    );
  }
  expect(parseCsv(readFileSync(w.files.projects, 'utf8')).length - 1).toBe(truthCounts.projects);
  expect(parseCsv(readFileSync(w.files.findings, 'utf8')).length - 1).toBe(rep.findings.length);
  const accessCsv = parseCsv(readFileSync(w.files.access, 'utf8'));
  expect(accessCsv.length - 1).toBe([...truthA.all].filter((k) => k.includes('|user:')).length);
  const html = readFileSync(w.files.html, 'utf8');
  expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
  process.stdout.write(`M tier: sync ${syncMs} ms (${r.progress.calls} requests, ${r.progress.pages} pages); snapshot ${readFileSync(snapA).length} bytes; report html ${w.bytes.html} bytes\n`);
});

/** Runs the CLI from the sources in a child process. */
function cli(args: string[], opts: { onLine?: (line: string, kill: () => void) => void } = {}): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
    const child = spawn(process.execPath, ['-r', join(__dirname, 'helpers', 'ts-register.js'), join(ROOT, 'src', 'cli', 'main.ts'), ...args], { env, cwd: dir });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      pending += d;
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        opts.onLine?.(line, () => child.kill('SIGKILL'));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Kills a sync child once its partial snapshot shows `ready` (polled). */
async function syncKilledWhen(out: string, ready: (db: import('better-sqlite3').Database) => boolean): Promise<void> {
  const args = ['sync', '--connector', h.server.address, '-o', out, '--progress', 'lines'];
  let killed = false;
  let poll: NodeJS.Timeout | undefined;
  const run = cli(args, {
    onLine: (_line, kill) => {
      if (poll) return;
      poll = setInterval(() => {
        if (killed || !existsSync(partialPath(out))) return;
        const D = sqlite();
        let db;
        try {
          db = new D(partialPath(out), { readonly: true, fileMustExist: true });
          if (ready(db)) {
            killed = true;
            kill();
          }
        } catch {
          /* the writer holds a lock or the schema is not there yet */
        } finally {
          db?.close();
        }
      }, 15);
    },
  });
  const r = await run;
  if (poll) clearInterval(poll);
  expect({ signal: r.signal, stderr: r.stderr.slice(-500) }).toEqual({ signal: 'SIGKILL', stderr: expect.any(String) });
  expect(existsSync(out)).toBe(false);
  expect(existsSync(partialPath(out))).toBe(true);
}

test('a sync killed midway (twice) and rerun finishes with the same snapshot as an uninterrupted run', async () => {
  expect(existsSync(snapA)).toBe(true);
  const out = join(dir, 'b.sqlite');
  const n = (db: import('better-sqlite3').Database, sql: string) => (db.prepare(sql).get() as { n: number }).n;
  // upstream latency, so that the kills land mid-phase
  let rule = h.fake.faults.latency(15);
  try {
    // 1. during the resources phase (child listings of projects under way)
    await syncKilledWhen(out, (db) => n(db, "SELECT COUNT(*) AS n FROM steps WHERE phase = 'resources' AND done = 1") >= 12);
    const D0 = sqlite();
    const first = new D0(partialPath(out), { readonly: true });
    const resourcesDone = n(first, "SELECT COUNT(*) AS n FROM steps WHERE phase = 'resources' AND done = 1");
    first.close();
    expect(resourcesDone).toBeLessThan(5 + h.fake.tenant.projects().length); // 5 types, then one listing per project
    h.fake.faults.remove(rule);
    rule = h.fake.faults.latency(2);
    // 2. during the grants phase
    let before = 0;
    await syncKilledWhen(out, (db) => (before = n(db, "SELECT COUNT(*) AS n FROM steps WHERE phase = 'grants' AND done = 1")) >= 60);
    const D = sqlite();
    const mid = new D(partialPath(out), { readonly: true });
    const doneBefore = n(mid, 'SELECT COUNT(*) AS n FROM steps WHERE done = 1');
    const grantsDone = n(mid, "SELECT COUNT(*) AS n FROM steps WHERE phase = 'grants' AND done = 1");
    const grantsAll = n(mid, "SELECT COUNT(*) AS n FROM steps WHERE phase = 'entitlements'");
    mid.close();
    expect(grantsDone).toBeGreaterThanOrEqual(before);
    expect(grantsDone).toBeLessThan(grantsAll); // killed midway, not at the end

    // 3. rerun: resumes, finishes
    const r = await cli(['sync', '--connector', h.server.address, '-o', out, '--progress', 'lines']);
    expect({ code: r.code, stderr: r.stderr.includes('resuming sync') }).toEqual({ code: 0, stderr: true });
    expect(r.stderr).toContain(`${doneBefore} listings finished`);
    expect(r.stdout).toContain('resuming an interrupted sync');
  } finally {
    h.fake.faults.clear();
  }
  const a = openSnapshot(snapA);
  const b = openSnapshot(out);
  try {
    expect(contentDump(b)).toEqual(contentDump(a));
    expect(b.prepare("SELECT value FROM meta WHERE key = 'resumes'").get()).toEqual({ value: '2' });
    // nothing was read twice: as many pages as the uninterrupted run, give or take the two pages in flight
    const pagesA = (a.prepare('SELECT SUM(pages) AS n FROM steps').get() as { n: number }).n;
    const pagesB = (b.prepare('SELECT SUM(pages) AS n FROM steps').get() as { n: number }).n;
    expect(pagesB).toBe(pagesA);
  } finally {
    a.close();
    b.close();
  }
});

const stub = (resourceType: string, resource: string) => Resource.fromPartial({ id: { resourceType, resource } });

test('a diff after provisioning changes shows exactly those changes (data, text, JSON, CSV)', async () => {
  const t = h.fake.tenant;
  const before = accessTruth(t);
  const accountsBefore = new Set(t.users().map((u) => u.accountId));
  const humans = t.users().filter((u) => u.accountType === 'atlassian' && t.isActiveInJira(u));
  const group = t.groups().find((g) => !g.system && !g.externalSynced && t.applicationRoles().every((a) => !a.groups.includes(g.groupId)) && t.groupMembers(g.groupId).length > 2)!;
  const newMember = humans.find((u) => !t.isGroupMember(group.groupId, u.accountId))!;
  const oldMember = t.groupMembers(group.groupId).find((a) => humans.some((u) => u.accountId === a))!;
  const p = t.projects()[3];
  const role = t.roles()[1];
  const roleUser = humans.find((u) => !t.isRoleMember(p.id, role.id, u.accountId) && u.accountId !== newMember.accountId)!;

  // through our gRPC contract, with provisioning on
  await h.client.grantManager.grant(
    GrantManagerServiceGrantRequest.fromPartial({ entitlement: { id: `group:${group.groupId}:member`, resource: stub('group', group.groupId) }, principal: stub('user', newMember.accountId) }),
  );
  await h.client.grantManager.revoke(
    GrantManagerServiceRevokeRequest.fromPartial({
      grant: {
        id: `group:${group.groupId}:member:user:${oldMember}`,
        entitlement: { id: `group:${group.groupId}:member`, resource: stub('group', group.groupId) },
        principal: stub('user', oldMember),
      },
    }),
  );
  await h.client.grantManager.grant(
    GrantManagerServiceGrantRequest.fromPartial({
      entitlement: { id: `project-role:${p.id}:${role.id}:assigned`, resource: stub('project-role', `${p.id}:${role.id}`) },
      principal: stub('user', roleUser.accountId),
    }),
  );
  // and through the tenant: a role actor, a new account with a product, a removed account
  const p2 = t.projects()[7];
  const role2 = t.roles()[0];
  const u2 = humans.find((u) => !t.roleActors(p2.id, role2.id).users.includes(u.accountId) && u.accountId !== roleUser.accountId)!;
  expect(t.addRoleActorUser(p2.id, role2.id, u2.accountId)).toBe('ok');
  const created = t.createUser({ emailAddress: 'new.reviewer@acme.example', displayName: 'New Reviewer', products: ['jira-software'] });
  expect(created.result).toBe('ok');
  const gone = humans.find((u) => ![newMember, roleUser, u2].includes(u) && u.accountId !== oldMember && t.userGroups(u.accountId).length > 0)!;
  expect(t.deleteUser(gone.accountId)).toBe('ok');

  const after = accessTruth(t);
  const snapC = join(dir, 'c.sqlite');
  await syncSnapshot(h.client, { out: snapC, source, workers: 4 });
  const d = diffSnapshots(snapA, snapC);
  const key = (c: { entitlementId: string; principalType: string; principalId: string }) => `${c.entitlementId}|${c.principalType}:${c.principalId}`;
  const expectGranted = [...after.all].filter((k) => !before.all.has(k)).sort();
  const expectRevoked = [...before.all].filter((k) => !after.all.has(k)).sort();
  expect(d.granted.map(key).sort()).toEqual(expectGranted);
  expect(d.revoked.map(key).sort()).toEqual(expectRevoked);
  // the changes we made are there, with how
  expect(expectGranted).toContain(`group:${group.groupId}:member|user:${newMember.accountId}`);
  expect(expectRevoked).toContain(`group:${group.groupId}:member|user:${oldMember}`);
  const roleGrant = d.granted.find((c) => key(c) === `project-role:${p.id}:${role.id}:assigned|user:${roleUser.accountId}`)!;
  expect(roleGrant).toMatchObject({ how: 'direct', via: ['direct'], what: `role "${role.name}" in ${p.key}` });
  const participate = d.granted.find((c) => key(c) === `project:${p.id}:participate|user:${roleUser.accountId}`)!;
  expect(participate).toMatchObject({ how: 'inherited', via: [`role "${role.name}" in ${p.key}`] });
  expect(d.accounts.new.map((a) => a.accountId)).toEqual([created.user!.accountId]);
  expect(d.accounts.removed.map((a) => a.accountId)).toEqual([gone.accountId]);
  expect(new Set(t.users().map((u) => u.accountId))).toEqual(new Set([...accountsBefore].filter((a) => a !== gone.accountId).concat(created.user!.accountId)));
  expect(d.accounts.changed).toEqual([]);

  // the CLI: text, JSON and CSV say the same
  const json = await cli(['diff', snapA, snapC, '--format', 'json']);
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout);
  expect(parsed.summary).toEqual(d.summary);
  expect(parsed.granted.map(key).sort()).toEqual(expectGranted);
  const csv = await cli(['diff', snapA, snapC, '--format', 'csv', '--exit-code']);
  expect(csv.code).toBe(1);
  const rows = parseCsv(csv.stdout);
  const col = (n: string) => rows[0].indexOf(n);
  expect(rows.slice(1).filter((r) => r[col('change')] === 'granted').length).toBe(expectGranted.length);
  expect(rows.slice(1).filter((r) => r[col('change')] === 'revoked').length).toBe(expectRevoked.length);
  expect(
    rows
      .slice(1)
      .filter((r) => r[col('change')] === 'new-account')
      .map((r) => r[col('principal_id')]),
  ).toEqual([created.user!.accountId]);
  expect(
    rows
      .slice(1)
      .filter((r) => r[col('change')] === 'removed-account')
      .map((r) => r[col('principal_id')]),
  ).toEqual([gone.accountId]);
  const text = await cli(['diff', snapA, snapC]);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`accounts: 1 new, 1 removed, 0 changed; access: ${expectGranted.length} granted, ${expectRevoked.length} revoked`);
  expect(text.stdout).toContain(`+ ${newMember.displayName}`);
  expect(text.stdout).toContain(`- ${gone.displayName}`);
  const same = await cli(['diff', snapA, snapA, '--exit-code']);
  expect({ code: same.code, out: same.stdout.trim().split('\n').pop() }).toEqual({ code: 0, out: 'No changes.' });
});
