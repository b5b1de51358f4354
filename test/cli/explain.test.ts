/**
 * `explain`: the access computed from the connector's own grants (a full sync through gRPC, expanded
 * with the SDK's rules) agrees with Jira's permissions/check for every account of tier S, project
 * and global permissions; a change made after the sync is reported as a disagreement; and the built
 * CLI prints the paths and sets its exit code.
 */
import { startHarness, Harness, fakeConfig } from '../helpers/harness';
import { runSync } from '../../src/client/sync';
import { createAtlassianClients, AtlassianClients } from '../../src/atlassian';
import { indexSync, explainAccount, crossCheck, findUser, ExplainIndex, formatExplanation } from '../../src/cli/explain';
import { globalPermissionsOf, holdsProjectPermission } from '../../src/fake-atlassian/permissions-check';
import { runBuilt } from '../helpers/built-cli';

const KEYS = ['ADMINISTER_PROJECTS', 'BROWSE_PROJECTS', 'CREATE_ISSUES'];
const runCli = (args: string[], timeout = 60000) => runBuilt(args, {}, timeout);

describe('explain on tier S', () => {
  let h: Harness;
  let ix: ExplainIndex;
  let clients: AtlassianClients;
  beforeAll(async () => {
    h = await startHarness({ config: () => ({ 'jira-global-permissions': true, 'jira-project-permissions': KEYS }) });
    ix = indexSync(await runSync(h.client));
    clients = createAtlassianClients(h.cfg);
  }, 60_000);
  afterAll(async () => {
    await clients?.close();
    await h?.stop();
  });

  test("agrees with Jira's permissions/check for every account, and with the fake's model", async () => {
    const t = h.fake.tenant;
    const paths = new Set<string>();
    for (const u of t.users()) {
      const e = explainAccount(ix, u.accountId);
      expect(e.keys).toEqual(KEYS);
      const d = await crossCheck(clients.jira, e);
      expect([u.accountId, d]).toEqual([u.accountId, []]);
      // ground truth: the fake's model, project by project
      for (const p of e.projects) {
        const want = KEYS.filter((k) => holdsProjectPermission(t, u.accountId, p.id, k));
        expect([u.accountId, p.key, p.permissions.map((x) => x.key)]).toEqual([u.accountId, p.key, want]);
        for (const x of p.permissions) for (const s of x.paths) paths.add(s.replace(/"[^"]*"/g, '"…"'));
      }
      expect(e.global).toEqual(globalPermissionsOf(t, u.accountId).sort());
    }
    expect(ix.users.length).toBeGreaterThanOrEqual(t.users().length);
    // every kind of path the schemes give appears somewhere
    expect([...paths].sort()).toEqual(
      expect.arrayContaining([
        'scheme → project role "…" → person',
        'scheme → project role "…" → group "…" → person',
        'scheme → group "…" → person',
        'scheme → product access "…" → group "…" → person',
        'scheme → project lead → person',
        'scheme → the person (named in the scheme)',
        'scheme → anyone (the project is open to everyone, signed in or not)',
      ]),
    );
    expect(h.fake.validationErrors).toEqual([]);
  }, 60_000);

  test('a change made after the sync is a disagreement, named', async () => {
    const t = h.fake.tenant;
    const u = t.users().find((x) => x.accountType === 'atlassian' && !globalPermissionsOf(t, x.accountId).includes('ADMINISTER'))!;
    const e = explainAccount(ix, u.accountId);
    t.addGroupMember('jira-administrators', u.accountId);
    try {
      const d = await crossCheck(clients.jira, e);
      expect(d).toEqual(expect.arrayContaining([{ where: 'global', permission: 'ADMINISTER', connector: false, jira: true }]));
      expect(formatExplanation(e, d).join('\n')).toMatch(/disagrees in \d+ places:\n[^]*global ADMINISTER: the connector's grants say not held, Jira says held/);
    } finally {
      t.removeGroupMember('jira-administrators', u.accountId);
    }
  });

  test('finds a person by email, case-insensitively', () => {
    const u = h.fake.tenant.users().find((x) => x.emailVisible && x.accountType === 'atlassian')!;
    expect(findUser(ix, u.email.toUpperCase())?.id?.resource).toBe(u.accountId);
  });
});

describe('the explain command (built CLI)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.stop());

  const flags = () => Object.entries(fakeConfig(h.fake)).flatMap(([k, v]) => [`--${k}`, String(v)]);

  test('prints the paths per project and exits 0 when Jira agrees', async () => {
    const lead = h.fake.tenant.projects().find((p) => p.style === 'classic')!;
    const r = await runCli(['explain', '--user', lead.leadAccountId, '--project', lead.key, ...flags()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${lead.key} `);
    expect(r.stdout).toMatch(/Jira's permissions\/check agrees \(1 projects × 2 permissions\)/);
    expect(r.stdout).toMatch(/global permissions: not synced/);
  }, 60_000);

  test('--connector: the grants come from the running server; --json carries the paths and no disagreement', async () => {
    const p = h.fake.tenant.projects().find((x) => x.style === 'classic')!;
    const r = await runCli(['explain', '--user', p.leadAccountId, '--connector', h.server.address, '--json', ...flags()]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.accountId).toBe(p.leadAccountId);
    expect(out.disagreements).toEqual([]);
    expect(out.projects.length).toBeGreaterThan(0);
  }, 60_000);

  test('usage errors: an unknown person, a malformed --user', async () => {
    const a = await runCli(['explain', '--user', 'nobody@nowhere.example', ...flags()]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/no user "nobody@nowhere.example" in the sync/);
    const b = await runCli(['explain', '--user', '../x', ...flags()]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--user must be an Atlassian account id or an email/);
  }, 60_000);
});
