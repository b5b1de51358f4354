/**
 * An access review done end to end (issue 18): sync → report (with its decisions worksheet) →
 * reviewers fill it (5 direct grants revoked, one inherited row marked revoke, the rest kept) →
 * `remediate` (the CLI, in-process connector, through the gRPC contract) → sync → diff. The diff
 * shows exactly the 5 revokes and what they carried, the inherited row is refused naming what to
 * change instead, and a rerun of remediate changes nothing. Also: the dry run, the provisioning
 * switch, and a worksheet made from another snapshot.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { openSnapshot } from '../../src/review/store';
import { loadReview, pk } from '../../src/review/model';
import { writeReport } from '../../src/review/report';
import { diffSnapshots } from '../../src/review/diff';
import { parseCsv, toCsv } from '../../src/review/csv';
import { runCli, envOf } from './helpers/cli';

jest.setTimeout(150_000);
const source = { kind: 'remote' as const, label: 'test harness', identity: 'harness' };

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 5 }, provisioning: true });
  dir = mkdtempSync(join(tmpdir(), 'review-remediate-'));
});
afterAll(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, { ...envOf(h.fake), ...env });

/** DELETE/POST/PUT requests the fake has answered so far, by operation */
function writes(): Record<string, number> {
  return Object.fromEntries(Object.entries(h.fake.stats.byOperation).filter(([k]) => /^(DELETE|POST|PUT)\b/.test(k) && !k.includes('/search')));
}

test('sync → report → decisions → remediate → sync → diff: exactly the revoked grants change; inherited rows are refused; a rerun changes nothing', async () => {
  const t = h.fake.tenant;
  const snapA = join(dir, 'a.sqlite');
  await syncSnapshot(h.client, { out: snapA, source, workers: 4 });
  const rep = writeReport(snapA, join(dir, 'a-report'));
  const sheet = parseCsv(readFileSync(rep.files.decisions, 'utf8'));
  const hd = sheet[0];
  const c = (name: string) => hd.indexOf(name);
  const rows = sheet.slice(1);

  // every reviewable access of a person is a row: their group memberships (ground truth) are there, each once
  const ids = rows.map((r) => r[c('row_id')]);
  expect(new Set(ids).size).toBe(ids.length);
  const someone = t.users().find((u) => t.groups().some((g) => t.groupMembers(g.groupId).includes(u.accountId)))!;
  const theirGroups = t
    .groups()
    .filter((g) => t.groupMembers(g.groupId).includes(someone.accountId))
    .map((g) => `group:${g.groupId}:member:user:${someone.accountId}`);
  for (const id of theirGroups) expect(ids).toContain(id);
  expect(rows.every((r) => r[c('snapshot')] === rep.data.meta.sync_id)).toBe(true);

  // the reviewers: revoke 3 direct group memberships and 2 direct role assignments (of different people), one inherited role row, keep the rest
  const direct = (prefix: string) => rows.filter((r) => r[c('kind')] === 'direct' && r[c('principal_type')] === 'user' && r[c('entitlement_id')].startsWith(prefix));
  const chosen: string[][] = [];
  const used = new Set<string>();
  for (const [prefix, n] of [
    ['group:', 3],
    ['project-role:', 2],
  ] as const)
    for (const r of direct(prefix)) {
      if (chosen.filter((x) => x[c('entitlement_id')].startsWith(prefix)).length === n) break;
      if (used.has(r[c('principal_id')])) continue;
      used.add(r[c('principal_id')]);
      chosen.push(r);
    }
  expect(chosen.length).toBe(5);
  const inherited = rows.find((r) => r[c('kind')] === 'inherited' && r[c('entitlement_id')].startsWith('project-role:') && !used.has(r[c('principal_id')]))!;
  expect(inherited).toBeDefined();
  const revoke = new Set([...chosen, inherited].map((r) => r[c('row_id')]));
  const filled = rows.map((r) => r.map((v, i) => (i === c('decision') ? (revoke.has(r[c('row_id')]) ? 'revoke' : 'keep') : i === c('reviewer') ? 'alice@acme.example' : v)));
  const decisions = join(dir, 'decisions.csv');
  writeFileSync(decisions, toCsv(hd, filled));

  // a dry run: the plan, nothing sent, no results file
  const before = writes();
  const dry = await cli(['remediate', snapA, decisions, '--dry-run']);
  expect({ code: dry.code, err: dry.stderr }).toEqual({ code: 0, err: '' });
  expect(dry.stdout).toContain('Dry run: 0 revoked, 0 already absent, 0 done in an earlier run, 5 would be revoked, 1 refused, 0 failed');
  expect(writes()).toEqual(before);
  expect(existsSync(join(dir, 'decisions-results.csv'))).toBe(false);

  // without the provisioning switch: refused before anything is read or sent
  const off = await cli(['remediate', snapA, decisions]);
  expect(off.code).toBe(1);
  expect(off.stderr).toMatch(/FAILED_PRECONDITION|provisioning/i);
  expect(writes()).toEqual(before);

  // the real run
  const run = await cli(['remediate', snapA, decisions, '--provisioning']);
  expect({ code: run.code, err: run.stderr }).toEqual({ code: 0, err: '' });
  expect(run.stdout).toContain('5 revoked, 0 already absent, 0 done in an earlier run, 0 would be revoked, 1 refused, 0 failed');
  const refusal = run.stdout.split('\n').find((l) => l.startsWith('refused'))!;
  expect(refusal).toContain(inherited[c('row_id')]);
  expect(refusal).toMatch(/inherited through group "[^"]+": .*decide on group "[^"]+" \(row group:.+:member:user:.+\) or role .+ held by group/);
  // the fake's own state: each chosen grant is gone
  for (const r of chosen) {
    const ent = r[c('entitlement_id')];
    const who = r[c('principal_id')];
    if (ent.startsWith('group:')) expect(t.groupMembers(ent.split(':')[1])).not.toContain(who);
    else {
      const [, p, role] = ent.split(':');
      expect(t.roleActors(p, Number(role)).users).not.toContain(who);
    }
  }
  const results = parseCsv(readFileSync(join(dir, 'decisions-results.csv'), 'utf8'));
  expect(
    results
      .slice(1)
      .map((r) => r[results[0].indexOf('result')])
      .sort(),
  ).toEqual(['refused', 'revoked', 'revoked', 'revoked', 'revoked', 'revoked']);

  // sync again and diff: the 5 direct revokes, and only what they carried
  const snapB = join(dir, 'b.sqlite');
  await syncSnapshot(h.client, { out: snapB, source, workers: 4 });
  const d = diffSnapshots(snapA, snapB);
  const key = (x: { entitlementId: string; principalType: string; principalId: string }) => `${x.entitlementId}:${x.principalType}:${x.principalId}`;
  expect(
    d.revoked
      .filter((x) => x.how === 'direct')
      .map(key)
      .sort(),
  ).toEqual(chosen.map((r) => r[c('row_id')]).sort());
  const db = openSnapshot(snapA);
  const rvA = loadReview(db);
  db.close();
  const revokedEnts = new Map(chosen.map((r) => [r[c('principal_id')], r[c('entitlement_id')]]));
  for (const x of d.revoked.filter((y) => y.how === 'inherited')) {
    const held = rvA.byPrincipal.get(pk(x.principalType, x.principalId))!.find((hh) => hh.entitlement.id === x.entitlementId)!;
    // every path it had went through the revoked grant
    expect([key(x), held.paths.every((p) => p[0] === revokedEnts.get(x.principalId))]).toEqual([key(x), true]);
  }
  for (const x of d.viaChanged) expect(used.has(x.principalId)).toBe(true);
  expect(d.granted).toEqual([]);
  expect(d.summary).toMatchObject({ newAccounts: 0, removedAccounts: 0, changedAccounts: 0, granted: 0 });

  // a rerun: done rows are not sent again; the fake sees no write
  const afterRun = writes();
  const again = await cli(['remediate', snapA, decisions, '--provisioning']);
  expect({ code: again.code, err: again.stderr }).toEqual({ code: 0, err: '' });
  expect(again.stdout).toContain('0 revoked, 0 already absent, 5 done in an earlier run, 0 would be revoked, 1 refused, 0 failed');
  expect(writes()).toEqual(afterRun);

  // with the results file gone, the connector finds each grant already absent (idempotent by upstream state)
  rmSync(join(dir, 'decisions-results.csv'));
  const state = JSON.stringify(t.snapshot());
  const fresh = await cli(['remediate', snapA, decisions, '--provisioning']);
  expect(fresh.stdout).toContain('0 revoked, 5 already absent');
  expect(JSON.stringify(t.snapshot())).toBe(state);

  // a worksheet from another snapshot is refused whole, naming the line
  const wrong = join(dir, 'wrong.csv');
  writeFileSync(
    wrong,
    toCsv(
      hd,
      filled.map((r, i) => (i === 2 ? r.map((v, k) => (k === c('snapshot') ? 'another-sync' : v)) : r)),
    ),
  );
  const bad = await cli(['remediate', snapA, wrong, '--provisioning']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/line 4: the decisions were made from snapshot "another-sync"/);
  // a decision that is neither keep nor revoke
  writeFileSync(
    wrong,
    toCsv(
      hd,
      filled.map((r, i) => (i === 0 ? r.map((v, k) => (k === c('decision') ? 'maybe' : v)) : r)),
    ),
  );
  const maybe = await cli(['remediate', snapA, wrong, '--dry-run']);
  expect(maybe.code).toBe(2);
  expect(maybe.stderr).toContain('line 2: decision must be keep, revoke or empty (got "maybe")');
});
