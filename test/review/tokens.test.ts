/**
 * The report's API-token and seat findings and the diff's tokens created and revoked (issue 15),
 * on hand-made snapshots holding `api-token` resources as the connector writes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForWrite, setMeta, finalizeFile, openSnapshot } from '../../src/review/store';
import { loadReview } from '../../src/review/model';
import { buildReport } from '../../src/review/report';
import { diffSnapshots, diffText, hasChanges } from '../../src/review/diff';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'review-tokens-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AS_OF = '2026-11-01T00:00:00.000Z';
const daysBefore = (n: number) => new Date(Date.parse(AS_OF) - n * 86_400_000).toISOString();

interface Tok {
  id: string;
  owner: string;
  ownerStatus?: string;
  created: string;
  lastUsed?: string;
  expires?: string;
}

function snapshot(name: string, tokens: Tok[], seats = { number_of_seats: 100, remaining_seats: 40 }): string {
  const file = join(dir, name);
  const db = openForWrite(`${file}.partial`);
  const res = db.prepare(
    "INSERT INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, NULL, NULL, ?, '', 'enabled', '[]', ?, x'')",
  );
  for (const u of ['alice', 'bob']) res.run('user', u, u, JSON.stringify({ account_id: u, display_name: u, active: true, email: `${u}@acme.example`, managed: true }));
  res.run('application-role', 'jira-software', 'Jira', JSON.stringify({ key: 'jira-software', name: 'Jira', ...seats }));
  for (const t of tokens)
    res.run(
      'api-token',
      `${t.owner}:${t.id}`,
      `token ${t.id}`,
      JSON.stringify({
        token_id: t.id,
        label: `token ${t.id}`,
        owner_account_id: t.owner,
        owner_name: t.owner,
        owner_status: t.ownerStatus ?? 'active',
        created_at: t.created,
        last_used_at: t.lastUsed ?? '',
        expires_at: t.expires ?? '',
        never_expires: !t.expires,
      }),
    );
  setMeta(db, 'status', 'complete');
  setMeta(db, 'finished_at', AS_OF);
  setMeta(db, 'source', 'https://example.atlassian.net');
  finalizeFile(db, `${file}.partial`, file);
  return file;
}

function report(file: string) {
  const db = openSnapshot(file);
  try {
    return buildReport(loadReview(db), { inactiveDays: 90 });
  } finally {
    db.close();
  }
}

test('findings: never expiring, unused for --inactive-days, owner suspended or gone; expired tokens are left out; products near the seat limit', () => {
  const file = snapshot(
    'a.sqlite',
    [
      { id: 't1', owner: 'alice', created: daysBefore(30), lastUsed: daysBefore(2) }, // never expires
      { id: 't2', owner: 'alice', created: daysBefore(300), lastUsed: daysBefore(120), expires: daysBefore(-30) }, // unused 120 days
      { id: 't3', owner: 'bob', ownerStatus: 'suspended', created: daysBefore(10), lastUsed: daysBefore(1), expires: daysBefore(-100) },
      { id: 't4', owner: 'carol', created: daysBefore(10), lastUsed: daysBefore(1), expires: daysBefore(-100) }, // owner not in the snapshot
      { id: 't5', owner: 'alice', created: daysBefore(400), expires: daysBefore(5) }, // expired
    ],
    { number_of_seats: 100, remaining_seats: 3 },
  );
  const r = report(file);
  const got = r.findings.filter((f) => f.kind.startsWith('token-') || f.kind === 'seats-near-limit').map((f) => [f.kind, f.accountId, f.detail.match(/\((t\d)\)/)?.[1] ?? f.name]);
  expect(got.sort()).toEqual(
    [
      ['token-never-expires', 'alice', 't1'],
      ['token-unused', 'alice', 't2'],
      ['token-owner-offboarded', 'bob', 't3'],
      ['token-owner-offboarded', 'carol', 't4'],
      ['seats-near-limit', '', 'Jira'],
    ].sort(),
  );
  expect(r.findings.find((f) => f.kind === 'token-owner-offboarded' && f.accountId === 'bob')!.severity).toBe('high');
  expect(r.totals['findings:token-never-expires']).toBe(1);
  expect(r.findings.find((f) => f.kind === 'seats-near-limit')!.detail).toBe('97 of 100 seats used, 3 left');
});

test('diff: tokens created and revoked between two snapshots', () => {
  const a = snapshot('d1.sqlite', [
    { id: 'k1', owner: 'alice', created: daysBefore(30), expires: daysBefore(-300) },
    { id: 'k2', owner: 'bob', created: daysBefore(30) },
  ]);
  const b = snapshot('d2.sqlite', [
    { id: 'k2', owner: 'bob', created: daysBefore(30) },
    { id: 'k3', owner: 'alice', created: daysBefore(1) },
  ]);
  const d = diffSnapshots(a, b);
  expect(d.tokens!.created.map((t) => [t.tokenId, t.ownerAccountId])).toEqual([['k3', 'alice']]);
  expect(d.tokens!.revoked.map((t) => [t.tokenId, t.ownerAccountId])).toEqual([['k1', 'alice']]);
  expect(d.summary).toMatchObject({ tokensCreated: 1, tokensRevoked: 1 });
  expect(hasChanges(d)).toBe(true);
  const text = diffText(d);
  expect(text).toMatch(/API tokens created \(1\)\n {2}\+ alice \(alice\): API token "token k3" \(k3\), created .*, never expires/);
  expect(text).toMatch(/API tokens revoked \(1\)\n {2}- alice \(alice\): API token "token k1" \(k1\)/);
});
