/**
 * Sync options against the tenant's ground truth: project keys, skipped participants and
 * customers; and targeted sync (GetResource) for every type.
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync } from '../../src/client/sync';
import { ResourceGetterServiceGetResourceRequest, ResourcesServiceListResourcesRequest } from '../../src/gen/c1/connector/v2/resource';
import { EntitlementsServiceListEntitlementsRequest } from '../../src/gen/c1/connector/v2/entitlement';
import { GrantsServiceListGrantsRequest } from '../../src/gen/c1/connector/v2/grant';

describe('project keys, skipped participants and customers', () => {
  let h: Harness;
  let keys: string[];
  beforeAll(async () => {
    h = await startHarness({
      fake: { tier: 'M', seed: 5 },
      config: (fake) => {
        const ps = fake.tenant.projects();
        // 60 keys would need two requests (50 keys per request): use 3 real ones and one unknown
        keys = [ps[3].key, ps[17].key.toLowerCase(), ps[40].key, 'NOSUCHKEY'];
        return { 'jira-project-keys': keys.join(','), 'skip-project-participants': 'true', 'skip-customer-user': 'true' };
      },
    });
  });
  afterAll(async () => h?.stop());

  test('only the configured projects, no participate, no customers', async () => {
    const r = await runSync(h.client, { workers: 4 });
    const t = h.fake.tenant;
    const projects = r.resources.filter((x) => x.id!.resourceType === 'project');
    const want = t.projects().filter((p) => keys.map((k) => k.toUpperCase()).includes(p.key));
    expect(projects.map((p) => p.id!.resource).sort()).toEqual(want.map((p) => p.id).sort());
    const roles = r.resources.filter((x) => x.id!.resourceType === 'project-role');
    expect(roles).toHaveLength(want.reduce((n, p) => n + t.projectRoles(p.id).length, 0));
    expect(r.entitlements.filter((e) => e.slug === 'participate')).toEqual([]);
    expect(r.grants.filter((g) => g.entitlement!.id.endsWith(':participate'))).toEqual([]);
    const users = r.resources.filter((x) => x.id!.resourceType === 'user').map((u) => u.id!.resource);
    const customers = t.users().filter((u) => u.accountType === 'customer');
    expect(customers.length).toBeGreaterThan(0);
    expect(users.sort()).toEqual(
      t
        .users()
        .filter((u) => u.accountType !== 'customer')
        .map((u) => u.accountId)
        .sort(),
    );
  });
});

describe('GetResource (targeted sync)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 4 } });
  });
  afterAll(async () => h?.stop());

  test('every type answers GetResource with what a listing gives', async () => {
    const t = h.fake.tenant;
    const p = t.projects()[1];
    const r = t.roles()[0];
    const a = t.applicationRoles()[0];
    const g = t.groups()[2];
    const u = t.users()[3];
    const cases: [string, string, string][] = [
      ['user', u.accountId, u.displayName],
      ['group', g.groupId, g.name],
      ['project', p.id, p.name],
      ['project-role', `${p.id}:${r.id}`, `${p.name} - ${r.name}`],
      ['application-role', a.key, a.name],
    ];
    for (const [type, id, name] of cases) {
      const got = await h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: type, resource: id } }));
      expect([type, got.resource!.id!.resource, got.resource!.displayName]).toEqual([type, id, name]);
    }
    // a stub resource (id only) still yields its entitlements and grants
    const ents = await h.client.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource: { id: { resourceType: 'project', resource: p.id } } }));
    // a company-managed project also has its project permissions (BATON_JIRA_PROJECT_PERMISSIONS's default)
    const permissions = p.style === 'classic' ? ['permission:ADMINISTER_PROJECTS', 'permission:BROWSE_PROJECTS'] : [];
    expect(ents.list.map((e) => e.slug).sort()).toEqual(['lead', 'participate', ...permissions]);
    const grants = await h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: { id: { resourceType: 'project', resource: p.id } } }));
    expect(grants.list.filter((x) => x.entitlement!.id === `project:${p.id}:lead`).map((x) => x.principal!.id!.resource)).toEqual([p.leadAccountId]);
  });

  test('project roles list under their project, with the parent set', async () => {
    const t = h.fake.tenant;
    const p = t.projects()[0];
    const r = await h.client.resources.listResources(
      ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'project-role', parentResourceId: { resourceType: 'project', resource: p.id } }),
    );
    expect(r.list.map((x) => x.id!.resource).sort()).toEqual(
      t
        .roles()
        .map((ro) => `${p.id}:${ro.id}`)
        .sort(),
    );
    for (const x of r.list) expect(x.parentResourceId).toMatchObject({ resourceType: 'project', resource: p.id });
  });
});
