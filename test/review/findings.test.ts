/**
 * The report's rules on a hand-made snapshot with organization data (managed / external,
 * last-active dates in the shapes the profile may carry them), paths through nested expansion,
 * and output safety (CSV formula cells, HTML escaping).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openForWrite, setMeta, finalizeFile, openSnapshot } from '../../src/review/store';
import { loadReview } from '../../src/review/model';
import { buildReport, writeReport } from '../../src/review/report';
import { expandWithPaths } from '../../src/review/expand';
import { parseCsv } from '../../src/review/csv';
import { Grant } from '../../src/gen/c1/connector/v2/grant';
import { Entitlement } from '../../src/gen/c1/connector/v2/entitlement';
import { grantExpandable } from '../../src/connector/anno';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'review-findings-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AS_OF = '2026-06-01T00:00:00.000Z';
const daysBefore = (n: number) => new Date(Date.parse(AS_OF) - n * 86_400_000).toISOString();

interface U {
  id: string;
  name: string;
  profile: Record<string, unknown>;
  status?: string;
}

function makeSnapshot(
  file: string,
  users: U[],
  groups: string[],
  grants: { ent: string; type: string; id: string; kind?: 'direct' | 'expanded'; paths?: string[][] }[],
  extra: (db: ReturnType<typeof openForWrite>) => void = () => {},
) {
  const db = openForWrite(`${file}.partial`);
  const res = db.prepare(
    "INSERT INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, NULL, NULL, ?, '', ?, '[]', ?, x'')",
  );
  for (const u of users) res.run('user', u.id, u.name, u.status ?? 'enabled', JSON.stringify({ account_id: u.id, display_name: u.name, active: (u.status ?? 'enabled') === 'enabled', ...u.profile }));
  for (const g of groups) res.run('group', g, g, 'enabled', JSON.stringify({ group_id: g, name: g }));
  res.run('application-role', 'jira-software', 'Jira', 'enabled', JSON.stringify({ key: 'jira-software', name: 'Jira' }));
  const ent = db.prepare("INSERT OR IGNORE INTO entitlements (id, resource_type, resource_id, slug, display_name, purpose, grantable_to, data) VALUES (?, ?, ?, ?, ?, 'assignment', '[]', x'')");
  for (const g of groups) ent.run(`group:${g}:member`, 'group', g, 'member', `${g} member`);
  ent.run('application-role:jira-software:assigned', 'application-role', 'jira-software', 'assigned', 'Jira');
  extra(db);
  const gr = db.prepare('INSERT INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, paths) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const g of grants) {
    const e = db.prepare('SELECT resource_type, resource_id FROM entitlements WHERE id = ?').get(g.ent) as { resource_type: string; resource_id: string };
    gr.run(`${g.ent}:${g.type}:${g.id}`, g.kind ?? 'direct', g.ent, e.resource_type, e.resource_id, g.type, g.id, JSON.stringify(g.paths ?? [[]]));
  }
  setMeta(db, 'status', 'complete');
  setMeta(db, 'finished_at', '2026-11-01T00:00:00.000Z');
  setMeta(db, 'source', 'https://example.atlassian.net');
  finalizeFile(db, `${file}.partial`, file);
}

const seat = (id: string) => [
  { ent: 'group:jira-software-users:member', type: 'user', id },
  { ent: 'application-role:jira-software:assigned', type: 'user', id, kind: 'expanded' as const, paths: [['group:jira-software-users:member']] },
];

test('findings from organization data: inactive by date or never, external admins, hidden emails, broad apps', () => {
  const file = join(dir, 'org.sqlite');
  const users: U[] = [
    { id: 'alice', name: 'Alice', profile: { email: 'alice@acme.example', email_visibility: 'visible', account_type: 'atlassian', managed: true, last_active: daysBefore(200) } },
    { id: 'bob', name: 'Bob', profile: { email: 'bob@gmail.example', email_visibility: 'visible', account_type: 'atlassian', managed: false, external: true, last_active: daysBefore(1) } },
    {
      id: 'carol',
      name: 'Carol',
      profile: {
        email: 'carol@acme.example',
        email_visibility: 'hidden by profile visibility',
        account_type: 'atlassian',
        managed: true,
        product_last_active: { 'jira-software': daysBefore(3).slice(0, 10) },
        sources: { email: 'organization' },
      },
    },
    { id: 'dave', name: 'Dave', status: 'disabled', profile: { email: 'dave@acme.example', email_visibility: 'visible', account_type: 'atlassian', managed: true, suspended: true } },
    { id: 'erin', name: 'Erin', profile: { email: 'erin@acme.example', email_visibility: 'visible', account_type: 'atlassian', managed: true } },
    {
      id: 'frank',
      name: 'Frank',
      profile: {
        email: 'frank@acme.example',
        email_visibility: 'visible',
        account_type: 'atlassian',
        claim_status: 'managed',
        api_token_count: 2,
        product_access: [{ key: 'jira-software', last_active: daysBefore(10) }],
      },
    },
    { id: 'app1', name: 'Deploy bot', profile: { email: '', email_visibility: 'hidden by profile visibility', account_type: 'app', app_type: 'service', managed: false } },
    { id: 'cust', name: 'Customer', profile: { email: 'c@customer.example', email_visibility: 'visible', account_type: 'customer' } },
  ];
  makeSnapshot(
    file,
    users,
    ['jira-software-users', 'site-admins'],
    [
      ...['alice', 'carol', 'dave', 'erin', 'frank'].flatMap(seat),
      { ent: 'group:site-admins:member', type: 'user', id: 'bob' },
      { ent: 'group:site-admins:member', type: 'user', id: 'app1' },
      { ent: 'group:site-admins:member', type: 'user', id: 'cust' },
    ],
  );
  const db = openSnapshot(file);
  const rv = loadReview(db);
  db.close();
  const r = buildReport(rv, { asOf: AS_OF });
  const found = r.findings.map((f) => `${f.kind} ${f.accountId}`).sort();
  expect(found).toEqual(
    [
      'inactive-licensed alice', // last active 200 days before
      'inactive-licensed dave', // deactivated (suspended)
      'inactive-licensed erin', // managed, never active
      'external-admin bob',
      'external-admin cust', // a customer in an admin group
      'hidden-email carol',
      'hidden-email app1',
      'app-broad-access app1', // admin-like group; an app is not an "external person"
    ].sort(),
  );
  const byId = new Map(r.people.map((p) => [p.accountId, p]));
  expect(byId.get('carol')).toMatchObject({ emailVisibility: 'hidden (email from organization)', email: 'carol@acme.example', managed: 'managed', lastActive: daysBefore(3).slice(0, 10) });
  expect(byId.get('frank')).toMatchObject({ managed: 'managed', lastActive: daysBefore(10), daysInactive: 10, apiTokens: 2 });
  expect(byId.get('bob')).toMatchObject({ managed: 'external', adminAccess: ['group "site-admins"'] });
  expect(byId.get('alice')!.products).toEqual([{ what: 'Jira', through: ['group "jira-software-users"'] }]);
  const f = (k: string, id: string) => r.findings.find((x) => x.kind === k && x.accountId === id)!;
  expect(f('inactive-licensed', 'alice').detail).toBe('last active 2025-11-13 (200 days before 2026-06-01) and holds Jira (group "jira-software-users")');
  expect(f('inactive-licensed', 'dave').detail).toMatch(/^suspended but holds Jira/);
  expect(f('hidden-email', 'carol').detail).toContain('the organization knows it as carol@acme.example');
  expect(f('external-admin', 'bob').severity).toBe('high');
  expect(r.orgData).toBe(true);
  // thresholds are options
  expect(buildReport(rv, { asOf: AS_OF, inactiveDays: 365 }).findings.some((x) => x.kind === 'inactive-licensed' && x.accountId === 'alice')).toBe(false);
  expect(buildReport(rv, { asOf: AS_OF, adminPattern: 'nothing-matches' }).findings.filter((x) => x.kind === 'external-admin')).toEqual([]);
});

test('with project permissions synced, administrative access comes from them (with paths), not from names; open projects are findings', () => {
  const file = join(dir, 'perms.sqlite');
  const ext = (id: string, name: string, type = 'atlassian') => ({
    id,
    name,
    profile: { email: `${id}@x.example`, email_visibility: 'visible', account_type: type, managed: false, external: true, last_active: daysBefore(1) },
  });
  const users: U[] = [
    ext('bob', 'Bob'),
    ext('eve', 'Eve'),
    ext('app1', 'Deploy bot', 'app'),
    { id: 'ann', name: 'Ann', profile: { email: 'ann@acme.example', email_visibility: 'visible', account_type: 'atlassian', managed: true, last_active: daysBefore(1) } },
  ];
  makeSnapshot(
    file,
    users,
    ['site-admins', 'ops'],
    [
      { ent: 'group:site-admins:member', type: 'user', id: 'eve' }, // a name that matches "admin", and no permission: not administrative
      { ent: 'group:ops:member', type: 'user', id: 'bob' },
      { ent: 'project:10:permission:ADMINISTER_PROJECTS', type: 'user', id: 'bob', kind: 'expanded', paths: [['group:ops:member', 'project-role:10:3:assigned']] },
      { ent: 'project:10:permission:ADMINISTER_PROJECTS', type: 'user', id: 'ann' },
      { ent: 'project:10:permission:ADMINISTER_PROJECTS', type: 'user', id: 'app1' },
      { ent: 'project:10:permission:BROWSE_PROJECTS', type: 'user', id: 'eve' },
      { ent: 'project:11:permission:BROWSE_PROJECTS', type: 'user', id: 'eve' },
      { ent: 'site:cloud-1:site-admin', type: 'user', id: 'eve' }, // an Atlassian administration role
      { ent: 'site:cloud-1:product:jira-software:user', type: 'user', id: 'bob' }, // a product role: not administrative
    ],
    (db) => {
      const res = db.prepare(
        "INSERT INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, ?, ?, ?, '', 'enabled', '[]', ?, x'')",
      );
      res.run(
        'project',
        '10',
        null,
        null,
        'Alpha',
        JSON.stringify({ key: 'ALPHA', name: 'Alpha', permission_scheme: 'Default Permission Scheme', open_to_anyone: [], conditional_access: ['BROWSE_PROJECTS: reporter'] }),
      );
      res.run(
        'project',
        '11',
        null,
        null,
        'Open',
        JSON.stringify({ key: 'OPEN', name: 'Open', permission_scheme: 'Public Permission Scheme', open_to_anyone: ['BROWSE_PROJECTS'], conditional_access: [] }),
      );
      res.run('project-role', '10:3', 'project', '10', 'Alpha: Administrators', JSON.stringify({ project_id: '10', project_key: 'ALPHA', name: 'Administrators' }));
      const ent = db.prepare("INSERT INTO entitlements (id, resource_type, resource_id, slug, display_name, purpose, grantable_to, data) VALUES (?, ?, ?, ?, ?, 'permission', '[]', x'')");
      for (const [p, k] of [
        ['10', 'ADMINISTER_PROJECTS'],
        ['10', 'BROWSE_PROJECTS'],
        ['11', 'ADMINISTER_PROJECTS'],
        ['11', 'BROWSE_PROJECTS'],
      ])
        ent.run(`project:${p}:permission:${k}`, 'project', p, `permission:${k}`, `${k} on ${p}`);
      ent.run('project-role:10:3:assigned', 'project-role', '10:3', 'assigned', 'Administrators of ALPHA');
      ent.run('site:cloud-1:site-admin', 'site', 'cloud-1', 'site-admin', 'Site admin of acme');
      ent.run('site:cloud-1:product:jira-software:user', 'site', 'cloud-1', 'product:jira-software:user', 'Jira user of acme');
    },
  );
  const db = openSnapshot(file);
  const rv = loadReview(db);
  db.close();
  const r = buildReport(rv, { asOf: AS_OF });
  expect(r.adminBasis).toBe('permissions');
  const byId = new Map(r.people.map((p) => [p.accountId, p]));
  expect(byId.get('bob')).toMatchObject({ administers: ['ALPHA'], adminAccess: ['administers project ALPHA (group "ops" → role "Administrators" in ALPHA)'] });
  expect(byId.get('eve')).toMatchObject({ administers: [], adminAccess: ['Site admin of acme (direct)'], browses: 2 });
  const found = r.findings.map((f) => `${f.kind} ${f.accountId || f.name}`).sort();
  expect(found).toEqual(['app-broad-access app1', 'external-admin bob', 'external-admin eve', 'open-project OPEN (Open)'].sort());
  expect(r.findings.find((f) => f.kind === 'open-project')!.detail).toBe('anyone, anonymous visitors included, has BROWSE_PROJECTS by the permission scheme "Public Permission Scheme"');
  const alpha = r.projects.find((p) => p.key === 'ALPHA')!;
  expect(alpha).toMatchObject({ scheme: 'Default Permission Scheme', openToAnyone: [], conditional: ['BROWSE_PROJECTS: reporter'] });
  expect(alpha.permissions).toEqual([
    { key: 'ADMINISTER_PROJECTS', people: 3 },
    { key: 'BROWSE_PROJECTS', people: 1 },
  ]);
  // the CSVs carry the same
  const w = writeReport(file, join(dir, 'perms-report'), { asOf: AS_OF });
  const rows = parseCsv(readFileSync(w.files.people, 'utf8'));
  const bob = rows.find((x) => x[0] === 'bob')!;
  expect(bob[rows[0].indexOf('can_administer_projects')]).toBe('ALPHA');
  const projects = parseCsv(readFileSync(w.files.projects, 'utf8'));
  expect(projects.find((x) => x[1] === 'OPEN')![projects[0].indexOf('open_to_anyone')]).toBe('BROWSE_PROJECTS');
});

test('CSV cells that look like formulas are defused; HTML is escaped', () => {
  const file = join(dir, 'evil.sqlite');
  const evil = '=HYPERLINK("http://x.example","click")';
  makeSnapshot(
    file,
    [{ id: 'u1', name: evil, profile: { email: 'u1@acme.example', email_visibility: 'visible', account_type: 'atlassian' } }],
    ['</script><script>alert(1)</script>'],
    [{ ent: 'group:</script><script>alert(1)</script>:member', type: 'user', id: 'u1' }],
  );
  const w = writeReport(file, join(dir, 'evil-report'));
  const rows = parseCsv(readFileSync(w.files.people, 'utf8'));
  expect(rows[1][rows[0].indexOf('name')]).toBe(`'${evil}`);
  expect(rows[1][rows[0].indexOf('groups')]).toBe('</script><script>alert(1)</script>');
  const html = readFileSync(w.files.html, 'utf8');
  expect(html).not.toContain('<script>alert(1)');
  expect(html.match(/<script/g)!.length).toBe(2); // the data block and the page script, nothing else
});

test('paths: every route through nested grants, shortest first; direct grants keep theirs', () => {
  const ent = (id: string, type: string, res: string, slug: string) => Entitlement.fromPartial({ id, slug, resource: { id: { resourceType: type, resource: res } } });
  const E = new Map(
    [ent('group:g:member', 'group', 'g', 'member'), ent('project-role:p:r:assigned', 'project-role', 'p:r', 'assigned'), ent('project:p:participate', 'project', 'p', 'participate')].map((e) => [
      e.id,
      e,
    ]),
  );
  const grant = (e: string, pt: string, pid: string, annotations: Grant['annotations'] = []) =>
    Grant.fromPartial({ id: `${e}:${pt}:${pid}`, entitlement: E.get(e), principal: { id: { resourceType: pt, resource: pid } }, annotations });
  const direct = [
    grant('group:g:member', 'user', 'u'),
    grant('group:g:member', 'user', 'v'),
    grant('project-role:p:r:assigned', 'group', 'g', [grantExpandable(['group:g:member'])]),
    grant('project-role:p:r:assigned', 'user', 'u'),
    grant('project:p:participate', 'project-role', 'p:r', [grantExpandable(['project-role:p:r:assigned'])]),
  ];
  const r = expandWithPaths(direct, E);
  const byId = new Map(r.expanded.map((e) => [e.grant.id, e]));
  expect([...byId.keys()].sort()).toEqual(['project-role:p:r:assigned:user:v', 'project:p:participate:user:u', 'project:p:participate:user:v']);
  expect(byId.get('project:p:participate:user:u')!.paths).toEqual([['project-role:p:r:assigned'], ['group:g:member', 'project-role:p:r:assigned']]);
  expect(byId.get('project:p:participate:user:v')!.paths).toEqual([['group:g:member', 'project-role:p:r:assigned']]);
  expect(byId.get('project-role:p:r:assigned:user:v')!.sources).toEqual(['group:g:member']);
  // u holds the role directly and through g
  expect(r.direct.get('project-role:p:r:assigned:user:u')).toEqual({ sources: ['group:g:member'], paths: [[], ['group:g:member']] });
});
