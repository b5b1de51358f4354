/**
 * Project permissions as entitlements (BATON_JIRA_PROJECT_PERMISSIONS): a full sync through gRPC,
 * after grant expansion, yields for every (company-managed project, configured permission) exactly
 * the accounts the fake tenant's scheme model says hold it; issue-level holders and `anyone` give no
 * grant but show in the profile; team-managed projects have no permission entitlements.
 */
import { effectiveUsers } from '../helpers/effective';
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import { countExpandedGrants } from '../../src/client/expand';
import type { Tenant } from '../../src/fake-atlassian';
import { parseConnectorConfig } from '../../src/config/schema';
import { permissionCatalogue } from '../../src/fake-atlassian/permissions-check';
import { pickAnnotation } from '../../src/connector/annotations';
import { GrantExpandable, GrantMetadata } from '../../src/gen/c1/connector/v2/annotation_grant';

const ISSUE_LEVEL = ['reporter', 'assignee', 'userCustomField', 'groupCustomField'];

/**
 * By default (BATON_JIRA_EXPAND_PRODUCT_GRANTS off) a grant of a permission to an application role is
 * kept as one grant, not expandable, with metadata naming the product's holders: whom it stands for
 * are the users holding `application-role:<key>:assigned` in the same sync (effectiveUsers'
 * productWide). Expanded (on), the platform's expansion alone must give them.
 */
function checkProductWide(r: SyncResult, expandProduct: boolean): void {
  for (const g of r.grants) {
    if (!g.entitlement!.id.includes(':permission:') || g.principal!.id!.resourceType !== 'application-role') continue;
    const ge = pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable');
    const md = pickAnnotation(g.annotations, GrantMetadata, 'c1.connector.v2.GrantMetadata');
    const seat = `application-role:${g.principal!.id!.resource}:assigned`;
    if (expandProduct) {
      expect([g.id, ge?.entitlementIds]).toEqual([g.id, [seat]]);
      continue;
    }
    expect([g.id, ge]).toEqual([g.id, undefined]);
    expect(md?.metadata).toMatchObject({ product_wide: true, holders: `every account holding ${seat}` });
  }
  // nothing the platform expands comes from a product unless asked
  if (!expandProduct) for (const e of r.expanded) if (e.grant.entitlement!.id.includes(':permission:')) expect(e.sources.filter((x) => x.startsWith('application-role:'))).toEqual([]);
}

/** every (project, key): the synced holders equal the model's; entitlements exist exactly for company-managed projects */
function assertPermissions(r: SyncResult, t: Tenant, keys: string[], expandProduct = false): void {
  checkProductWide(r, expandProduct);
  const eff = effectiveUsers(r, { productWide: true });
  const ents = new Set(r.entitlements.map((e) => e.id));
  let compared = 0;
  for (const p of t.projects()) {
    for (const key of keys) {
      const id = `project:${p.id}:permission:${key}`;
      const h = t.projectPermissionHolders(p.id, key);
      if (h.schemeId === null) {
        expect({ id, listed: ents.has(id) }).toEqual({ id, listed: false });
        continue;
      }
      expect({ id, listed: ents.has(id) }).toEqual({ id, listed: true });
      expect([id, [...(eff.get(id) ?? [])].sort()]).toEqual([id, [...h.accountIds].sort()]);
      if (h.accountIds.size) compared++;
    }
  }
  expect(compared).toBeGreaterThan(0);
  const permEnts = r.entitlements.filter((e) => e.slug.startsWith('permission:'));
  expect(permEnts.length).toBeGreaterThan(0);
  for (const e of permEnts) expect(keys).toContain(e.slug.slice('permission:'.length));
}

describe.each([
  ['S', 1],
  ['M', 7],
])('tier %s, default permissions', (tier, seed) => {
  let h: Harness;
  let r: SyncResult;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: tier as 'S' | 'M', seed } });
    r = await runSync(h.client, { workers: 4 });
  });
  afterAll(async () => h?.stop());

  test('after expansion, each project permission has exactly the holders of its scheme', () => {
    assertPermissions(r, h.fake.tenant, ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS']);
    expect(r.warnings).toEqual([]);
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('counting expansion without keeping it (the benchmark at L) gives the same number, per permission entitlement too', () => {
    const ents = new Map(r.entitlements.map((e) => [e.id, e]));
    const counted = countExpandedGrants(r.grants, ents);
    expect(counted.expanded).toBe(r.expanded.length);
    const perEnt = new Map<string, number>();
    for (const e of r.expanded) perEnt.set(e.grant.entitlement!.id, (perEnt.get(e.grant.entitlement!.id) ?? 0) + 1);
    expect(counted.bySink.size).toBeGreaterThan(0);
    for (const [id, n] of counted.bySink) expect([id, n]).toEqual([id, perEnt.get(id) ?? 0]);
  });

  test('grants go to roles, groups, product access, users and the lead; every holder type is exercised', () => {
    const principals = new Set(r.grants.filter((g) => g.entitlement!.id.includes(':permission:')).map((g) => g.principal!.id!.resourceType));
    expect([...principals].sort()).toEqual(['application-role', 'group', 'project', 'project-role', 'user']);
    // a lead grant's principal is the project itself, expanded from its lead
    for (const g of r.grants.filter((x) => x.entitlement!.id.includes(':permission:') && x.principal!.id!.resourceType === 'project'))
      expect(g.entitlement!.id.startsWith(`project:${g.principal!.id!.resource}:`)).toBe(true);
  });

  test('issue-level holders give no grant and are listed as conditional access; the anonymous project is flagged', () => {
    const t = h.fake.tenant;
    const projects = new Map(r.resources.filter((x) => x.id!.resourceType === 'project').map((x) => [x.id!.resource, x]));
    let conditional = 0;
    let open = 0;
    for (const p of t.projects()) {
      const prof = projects.get(p.id)!.profile!;
      if (p.style !== 'classic') {
        expect(prof.permission_scheme).toMatch(/team-managed/);
        expect(r.entitlements.filter((e) => e.resource!.id!.resource === p.id && e.slug.startsWith('permission:'))).toEqual([]);
        continue;
      }
      const scheme = t.permissionScheme(p.permissionSchemeId)!;
      expect(prof.permission_scheme).toBe(scheme.name);
      const wantOpen = ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'].filter((k) => t.projectPermissionHolders(p.id, k).anyone);
      expect([p.key, prof.open_to_anyone]).toEqual([p.key, wantOpen]);
      const wantProduct = scheme.permissions
        .filter((g) => ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'].includes(g.permission) && g.holder.type === 'applicationRole')
        .map((g) => `${g.permission}: ${g.holder.parameter ?? g.holder.value ?? 'any product'}`);
      expect([p.key, prof.open_to_product_users]).toEqual([p.key, [...new Set(wantProduct)].sort()]);
      if (wantOpen.length) open++;
      const issueLevel = scheme.permissions.filter((g) => ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'].includes(g.permission) && ISSUE_LEVEL.includes(g.holder.type));
      expect((prof.conditional_access as string[]).length).toBe(issueLevel.length);
      conditional += issueLevel.length;
    }
    expect(open).toBe(1); // exactly one project per tier is open to anyone
    expect(conditional).toBeGreaterThan(0);
    // no grant of a permission comes from an issue-level holder or anyone: each principal is a holder of the model
    for (const g of r.grants.filter((x) => x.entitlement!.id.includes(':permission:'))) {
      const [, projectId, , key] = g.entitlement!.id.split(':');
      const holders = t.projectPermissionHolders(projectId, key);
      if (g.principal!.id!.resourceType === 'user') expect(holders.accountIds.has(g.principal!.id!.resource)).toBe(true);
    }
  });
});

describe('BATON_JIRA_EXPAND_PRODUCT_GRANTS=true', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 1 }, config: () => ({ 'jira-expand-product-grants': true }) });
  });
  afterAll(async () => h?.stop());

  test("a grant to a product is expandable from the product's holders: after expansion alone each permission has exactly the scheme's holders", async () => {
    const r = await runSync(h.client, { workers: 4 });
    assertPermissions(r, h.fake.tenant, ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'], true);
    // and the expansion really carries the product's users (the default leaves them out)
    expect(r.expanded.filter((e) => e.grant.entitlement!.id.includes(':permission:') && e.sources.some((s) => s.startsWith('application-role:'))).length).toBeGreaterThan(0);
    expect(r.warnings).toEqual([]);
  });
});

describe('a configured permission set', () => {
  const KEYS = ['MANAGE_SPRINTS_PERMISSION', 'ADD_COMMENTS', 'EDIT_ISSUES', 'CREATE_ISSUES'];
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 3 }, config: () => ({ 'jira-project-permissions': KEYS.map((k) => k.toLowerCase()).join(',') }) });
  });
  afterAll(async () => h?.stop());

  test('only the configured keys, each with exactly its holders', async () => {
    const r = await runSync(h.client, { workers: 4 });
    assertPermissions(r, h.fake.tenant, KEYS);
    expect(r.entitlements.some((e) => e.slug === 'permission:BROWSE_PROJECTS')).toBe(false);
  });
});

describe('all: every project permission Jira lists', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 4 }, config: () => ({ 'jira-project-permissions': 'all' }) });
  });
  afterAll(async () => h?.stop());

  test('one entitlement per PROJECT key of GET /permissions, each with exactly its holders; the list is read once per sync', async () => {
    const keys = permissionCatalogue()
      .filter((p) => p.type === 'PROJECT')
      .map((p) => p.key);
    expect(keys.length).toBeGreaterThan(10);
    const before = h.fake.stats.byOperation['GET /rest/api/3/permissions'] ?? 0;
    const r = await runSync(h.client, { workers: 4 });
    assertPermissions(r, h.fake.tenant, keys);
    const perProject = new Map<string, number>();
    for (const e of r.entitlements.filter((x) => x.slug.startsWith('permission:'))) perProject.set(e.resource!.id!.resource, (perProject.get(e.resource!.id!.resource) ?? 0) + 1);
    expect(new Set(perProject.values())).toEqual(new Set([keys.length]));
    expect((h.fake.stats.byOperation['GET /rest/api/3/permissions'] ?? 0) - before).toBe(1);
    expect(h.fake.validationErrors).toEqual([]);
  });
});

describe('BATON_JIRA_PROJECT_PERMISSIONS', () => {
  const base = { 'jira-url': 'https://acme.atlassian.net', 'jira-email': 'a@acme.example', 'jira-api-token': 't' };
  test('defaults to BROWSE_PROJECTS,ADMINISTER_PROJECTS; keys are upper-cased and deduplicated; empty or none turns it off', () => {
    expect(parseConnectorConfig(base).projectPermissions).toEqual(['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS']);
    expect(parseConnectorConfig({ ...base, 'jira-project-permissions': 'edit_issues,EDIT_ISSUES' }).projectPermissions).toEqual(['EDIT_ISSUES']);
    expect(parseConnectorConfig({ ...base, 'jira-project-permissions': '' }).projectPermissions).toEqual([]);
    // an empty environment variable counts as unset, so `none` is how an operator turns them off
    expect(parseConnectorConfig({ ...base, 'jira-project-permissions': 'none' }).projectPermissions).toEqual([]);
  });
  test('a key of another shape, or too many keys, is refused naming the field', () => {
    expect(() => parseConnectorConfig({ ...base, 'jira-project-permissions': 'BROWSE_PROJECTS,../x' })).toThrow(/BATON_JIRA_PROJECT_PERMISSIONS/);
    expect(() => parseConnectorConfig({ ...base, 'jira-project-permissions': Array.from({ length: 101 }, (_, i) => `P${i}`).join(',') })).toThrow(/BATON_JIRA_PROJECT_PERMISSIONS/);
  });
});
