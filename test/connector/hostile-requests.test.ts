/**
 * Hostile requests through the real gRPC server against the fake tenant: where a read or write
 * goes comes from resource ids alone (profiles never steer, ids are checked before anything is
 * sent), forged page tokens are refused before any upstream request, and revoking a role a user
 * holds only through a group is refused naming the group. Ground truth is the tenant's model and
 * the fake's request counters.
 */
import { startHarness, Harness } from '../helpers/harness';
import { GrantsServiceListGrantsRequest } from '../../src/gen/c1/connector/v2/grant';
import { ResourceGetterServiceGetResourceRequest, ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest } from '../../src/gen/c1/connector/v2/resource';
import { EntitlementsServiceListEntitlementsRequest } from '../../src/gen/c1/connector/v2/entitlement';
import { stub, grantReq, revokeReq, annos, code } from '../helpers/grant-requests';
import { InvokeActionRequest } from '../../src/gen/c1/connector/v2/action';

let h: Harness;
/** every upstream request, "METHOD /concrete/path" (a fault rule that never applies) */
const seen: string[] = [];
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 33 }, provisioning: true });
  h.fake.faults.add({
    match: (r) => {
      seen.push(`${r.method} ${r.path}`);
      return false;
    },
  });
});
afterAll(async () => h?.stop());

const token = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

/** Upstream operations (method + template) seen since the last reset. */
const ops = () => Object.keys(h.fake.stats.snapshot().byOperation).sort();

function freshUser(p: string, roleId: number): string {
  const t = h.fake.tenant;
  return t.users().find((u) => u.accountType === 'atlassian' && t.isActiveInJira(u) && !t.effectiveRoleUsers(p, roleId).includes(u.accountId))!.accountId;
}

describe('profiles never steer (issue 13 findings 1 and 2)', () => {
  test('a project-role grant goes where the id says, whatever the profile says', async () => {
    const t = h.fake.tenant;
    const [p1, p2] = [t.projects()[0], t.projects()[1]];
    const [r1, r2] = [t.projectRoles(p1.id)[0], t.projectRoles(p2.id)[1]];
    const u = freshUser(p1.id, r1.id);
    const before2 = t.roleActors(p2.id, r2.id);
    h.fake.stats.reset();
    const r = await h.client.grantManager.grant(grantReq('project-role', `${p1.id}:${r1.id}`, 'assigned', 'user', u, { profile: { project_id: p2.id, role_id: r2.id } }));
    expect(t.roleActors(p1.id, r1.id).users).toContain(u);
    expect(t.roleActors(p2.id, r2.id)).toEqual(before2);
    expect(r.grants.map((g) => g.id)).toEqual([`project-role:${p1.id}:${r1.id}:assigned:user:${u}`]);
    expect(ops().filter((o) => !o.startsWith('GET '))).toEqual(['POST /rest/api/3/project/{projectIdOrKey}/role/{id}']);
    expect(seen.filter((x) => x.startsWith('POST '))).toContain(`POST /rest/api/3/project/${p1.id}/role/${r1.id}`);
    expect(seen.filter((x) => x.includes(`/project/${p2.id}/`) || x.includes('/role/' + r2.id) || x.includes('..'))).toEqual([]);
    seen.length = 0;
    // and the revoke, with a traversal in the profile, removes it from the same place
    h.fake.stats.reset();
    const v = await h.client.grantManager.revoke(revokeReq('project-role', `${p1.id}:${r1.id}`, 'assigned', 'user', u, { profile: { project_id: '..', role_id: r2.id } }));
    expect(annos(v.annotations)).toEqual([]);
    expect(t.roleActors(p1.id, r1.id).users).not.toContain(u);
    expect(ops().filter((o) => !o.startsWith('GET '))).toEqual(['DELETE /rest/api/3/project/{projectIdOrKey}/role/{id}']);
    expect(seen.filter((x) => x.startsWith('DELETE '))).toEqual([`DELETE /rest/api/3/project/${p1.id}/role/${r1.id}`]);
  });

  test('traversal and malformed ids are INVALID_ARGUMENT naming the field, before any upstream request', async () => {
    const t = h.fake.tenant;
    const p = t.projects()[0];
    const role = t.projectRoles(p.id)[0];
    const g = t.groups().find((x) => !x.system && !x.externalSynced)!.groupId;
    const u = t.users()[3].accountId;
    const cases: [Promise<unknown>, RegExp][] = [
      [h.client.grantManager.grant(grantReq('project-role', `..:${role.id}`, 'assigned', 'user', u)), /entitlement\.resource\.id\.resource/],
      [h.client.grantManager.grant(grantReq('project-role', `${p.id}:..`, 'assigned', 'user', u)), /entitlement\.resource\.id\.resource/],
      [h.client.grantManager.grant(grantReq('project-role', `${p.id}:${role.id}:x`, 'assigned', 'user', u)), /entitlement\.resource\.id\.resource/],
      [h.client.grantManager.grant(grantReq('project-role', `0${p.id}:${role.id}`, 'assigned', 'user', u)), /canonical/],
      [h.client.grantManager.grant(grantReq('project-role', `${p.id}:9007199254740993`, 'assigned', 'user', u)), /canonical/],
      [h.client.grantManager.revoke(revokeReq('project-role', `%2e%2e:${role.id}`, 'assigned', 'user', u)), /grant\.entitlement\.resource\.id\.resource/],
      [h.client.grantManager.grant(grantReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', '../../role/10000')), /principal\.id\.resource/],
      [h.client.grantManager.grant(grantReq('project-role', `${p.id}:${role.id}`, 'assigned', 'group', 'admins')), /principal\.id\.resource .* is not a Jira group id/],
      [h.client.grantManager.grant(grantReq('group', '..', 'member', 'user', u)), /entitlement\.resource\.id\.resource/],
      [h.client.grantManager.revoke(revokeReq('group', g, 'member', 'user', 'a/b')), /grant\.principal\.id\.resource/],
      [h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'project', resource: '..' } })), /resource_id\.resource/],
      [h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'user', resource: 'a?b=c' } })), /resource_id\.resource/],
      [h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'application-role', resource: '../x' } })), /resource_id\.resource/],
      [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('project', '.') })), /resource\.id\.resource/],
      [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('group', '%2e%2e') })), /resource\.id\.resource/],
      [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('project-role', `${p.id}:${role.id}`.replace(':', ':/')) })), /resource\.id\.resource/],
      [h.client.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource: stub('group', '..') })), /resource\.id\.resource/],
      [
        h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'project-role', parentResourceId: { resourceType: 'project', resource: '..' } })),
        /parent_resource_id\.resource/,
      ],
      [h.client.actions.invokeAction(InvokeActionRequest.fromPartial({ name: 'account_disable', args: { resource_id: '../../users' } })), /args\.resource_id/],
      [h.client.actions.invokeAction(InvokeActionRequest.fromPartial({ name: 'account_enable', args: { resource_id: { resource_type_id: 'user', resource_id: 'a/../b' } } })), /args\.resource_id/],
    ];
    for (const [call, field] of cases) {
      h.fake.stats.reset();
      const before = JSON.stringify(t.roleActors(p.id, role.id));
      expect(await code(call)).toEqual(['INVALID_ARGUMENT', expect.stringMatching(field)]);
      expect(h.fake.stats.total).toBe(0);
      expect(JSON.stringify(t.roleActors(p.id, role.id))).toBe(before);
    }
  });

  test("a project's lead and participation come from Jira, not from the resource's profile", async () => {
    const t = h.fake.tenant;
    const p = t.projects().find((x) => x.style === 'next-gen') ?? t.projects()[1];
    const liar = stub('project', p.id, { lead_account_id: t.users()[5].accountId, style: 'classic' });
    const r = await h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: liar }));
    const lead = r.list.filter((g) => g.entitlement!.id === `project:${p.id}:lead`).map((g) => g.principal!.id!.resource);
    expect(lead).toEqual([p.leadAccountId]);
    const roles = r.list.filter((g) => g.entitlement!.id === `project:${p.id}:participate`).map((g) => g.principal!.id!.resource);
    expect(roles.sort()).toEqual(
      t
        .projectRoles(p.id)
        .map((x) => `${p.id}:${x.id}`)
        .sort(),
    );
  });

  test("an application role's groups come from Jira, not from the resource's profile", async () => {
    const t = h.fake.tenant;
    const a = t.applicationRoles()[0];
    const foreign = t.groups().find((g) => !a.groups.includes(g.groupId))!.groupId;
    const r = await h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('application-role', a.key, { group_ids: [foreign] }) }));
    expect(r.list.map((g) => g.principal!.id!.resource).sort()).toEqual([...new Set(a.groups)].sort());
  });
});

describe('page tokens (issue 12 item 5, issue 13 finding 6)', () => {
  const list = (resourceTypeId: string, pageToken: string) => h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId, pageToken }));

  test('forged, mistyped, foreign or oversized tokens are INVALID_ARGUMENT naming page_token, before any upstream request', async () => {
    const t = h.fake.tenant;
    const g = t.groups()[3].groupId;
    const forged: [Promise<unknown>, RegExp?][] = [
      [list('group', token({ v: 1, k: 'group', s: 'abc' }))],
      [list('group', token({ v: 1, k: 'group', p: 'jira', s: 'abc' }))],
      [list('user', token({ v: 1, k: 'user', p: 'jira', s: '0' }))],
      [list('user', token({ v: 1, k: 'user', p: 'jira', s: -50 }))],
      [list('user', token({ v: 1, k: 'user', p: 'jira', s: 1.5 }))],
      [list('user', token({ v: 1, k: 'user', p: 'jira', s: 1e300 }))],
      [list('user', token({ v: 1, k: 'user', p: 'jira', s: 0, extra: 'x' }))],
      [list('user', token({ v: 1, k: 'user', p: 'org', c: 'a b' }))],
      [list('user', token({ v: 1, k: 'user', p: 'org', c: 'x'.repeat(5000) }))],
      [list('user', token({ v: 2, k: 'user', p: 'jira', s: 0 })), /version/],
      [list('user', token({ v: 1, k: 'group', p: 'jira', s: 0 })), /another listing/],
      [list('user', token([1, 2]))],
      [list('user', token('x'))],
      [list('user', token(null))],
      [list('user', 'not base64!')],
      [list('user', 'x'.repeat(9000)), /longer than/],
      [list('project', token({ v: 1, k: 'project', c: 0, s: '0' }))],
      [list('project', token({ v: 1, k: 'project', c: 7, s: 0 }))],
      [list('application-role', token({ v: 1, k: 'user', p: 'jira', s: 0 })), /one page/],
      [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('group', g), pageToken: token({ v: 1, k: 'group-member', p: 'jira', s: '50' }) }))],
      [h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('group', g), pageToken: token({ v: 1, k: 'group-member', p: 'dir', g: true }) })), /organization/],
      [
        h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('project-role', `${t.projects()[0].id}:${t.roles()[0].id}`), pageToken: token({ v: 1, k: 'x' }) })),
        /one page/,
      ],
    ];
    for (const [call, text] of forged) {
      h.fake.stats.reset();
      const [c, msg] = await code(call);
      expect([c, msg]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/page_token/)]);
      if (text) expect(msg).toMatch(text);
      expect(h.fake.stats.total).toBe(0);
    }
  });

  test('the tokens the connector issues walk the listing to its end', async () => {
    const t = h.fake.tenant;
    const seen: string[] = [];
    let pageToken = '';
    do {
      const r = await list('group', pageToken);
      seen.push(...r.list.map((x) => x.id!.resource));
      pageToken = r.nextPageToken;
    } while (pageToken);
    expect(seen.sort()).toEqual(
      t
        .groups()
        .map((g) => g.groupId)
        .sort(),
    );
  });
});

describe('a role held only through a group (issue 13 finding 7)', () => {
  test('revoking it from the user is FAILED_PRECONDITION naming the group; nothing changes', async () => {
    const t = h.fake.tenant;
    const indirect = (pid: string, roleId: number, gid: string) => t.groupMembers(gid).filter((a) => t.user(a) && t.isActiveInJira(t.user(a)!) && !t.roleActors(pid, roleId).users.includes(a));
    // a role with a group actor that has a member who is not a direct actor (made so, if the tenant has none)
    const found = t
      .projects()
      .flatMap((p) => t.projectRoles(p.id).flatMap((role) => t.roleActors(p.id, role.id).groups.map((gid) => ({ p, role, g: t.group(gid)! }))))
      .find((x) => indirect(x.p.id, x.role.id, x.g.groupId).length > 0);
    const { p, role, g } =
      found ??
      (() => {
        const p = t.projects()[0];
        const role = t.projectRoles(p.id)[0];
        const g = t.groups().find((x) => !x.system && indirect(p.id, role.id, x.groupId).length > 0)!;
        expect(t.addRoleActorGroup(p.id, role.id, g.groupId)).toBe('ok');
        return { p, role, g };
      })();
    const u = indirect(p.id, role.id, g.groupId)[0];
    const before = JSON.stringify(t.roleActors(p.id, role.id));
    h.fake.stats.reset();
    const [c, msg] = await code(h.client.grantManager.revoke(revokeReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', u)));
    expect(c).toBe('FAILED_PRECONDITION');
    expect(msg).toContain(g.groupId);
    expect(msg).toContain(g.name);
    expect(JSON.stringify(t.roleActors(p.id, role.id))).toBe(before);
    expect(t.effectiveRoleUsers(p.id, role.id)).toContain(u);
    expect(ops().filter((o) => !o.startsWith('GET ') && o !== 'DELETE /rest/api/3/project/{projectIdOrKey}/role/{id}')).toEqual([]);

    // a user with the role neither directly nor through a group: already revoked
    const other = freshUser(p.id, role.id);
    const v = await h.client.grantManager.revoke(revokeReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', other));
    expect(annos(v.annotations)).toContain('c1.connector.v2.GrantAlreadyRevoked');

    // a direct actor who also holds the role through the group: the direct assignment is removed
    expect(t.addRoleActorUser(p.id, role.id, u)).toBe('ok');
    const d = await h.client.grantManager.revoke(revokeReq('project-role', `${p.id}:${role.id}`, 'assigned', 'user', u));
    expect(annos(d.annotations)).toEqual([]);
    expect(t.roleActors(p.id, role.id).users).not.toContain(u);
    expect(t.roleActors(p.id, role.id).groups).toContain(g.groupId);
  });
});

describe('Cleanup drops what a sync cached (issue 13 finding 3)', () => {
  test('a sync id reads from its cache until Cleanup, then from Jira again; role actors are read once per sync', async () => {
    const t = h.fake.tenant;
    const p = t.projects()[2];
    const role = t.projectRoles(p.id)[0];
    const activeSyncId = 'sync-' + 'x'.repeat(900);
    // the project's roles (the project was not listed in this sync, so its own role list is read)
    const listRoles = () =>
      h.client.resources.listResources(
        ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'project-role', parentResourceId: { resourceType: 'project', resource: p.id }, activeSyncId }),
      );
    const rolesPath = `GET /rest/api/3/project/${p.id}/roledetails`;
    const reads = (path: string) => seen.filter((x) => x === path).length;
    seen.length = 0;
    const first = await listRoles();
    expect(reads(rolesPath)).toBe(1);
    const second = await listRoles();
    expect(reads(rolesPath)).toBe(1);
    expect(second.list.map((r) => r.id!.resource)).toEqual(first.list.map((r) => r.id!.resource));
    // a role's actors are handed over once (prefetch.ts): a repeated call reads them again, never stale
    const actorsPath = `GET /rest/api/3/project/${p.id}/role/${role.id}`;
    const listGrants = () => h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('project-role', `${p.id}:${role.id}`), activeSyncId }));
    const g1 = await listGrants();
    const g2 = await listGrants();
    expect(g2.list.map((g) => g.id)).toEqual(g1.list.map((g) => g.id));
    expect(reads(actorsPath)).toBe(2);
    await h.client.connector.cleanup({ activeSyncId, annotations: [] });
    await listRoles();
    expect(reads(rolesPath)).toBe(2);
  });

  test('listing calls without active_sync_id share an anonymous sync until the next one starts; GetResource reads afresh', async () => {
    const t = h.fake.tenant;
    const q = t.projects()[1];
    const projectGrants = () => h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: stub('project', q.id) }));
    const leadOf = async () => (await projectGrants()).list.filter((g) => g.entitlement!.id === `project:${q.id}:lead`).map((g) => g.principal!.id!.resource);
    const getLead = async () =>
      (await h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'project', resource: q.id } }))).resource!.profile!.lead_account_id;
    const newSync = () => h.client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({}));
    await newSync();
    expect(await leadOf()).toEqual([q.leadAccountId]);
    const was = q.leadAccountId;
    q.leadAccountId = t.users().find((u) => u.accountType === 'atlassian' && u.accountId !== was)!.accountId;
    try {
      // the same anonymous sync answers from what it read
      expect(await leadOf()).toEqual([was]);
      // outside any sync: read afresh
      expect(await getLead()).toBe(q.leadAccountId);
      // a ListResourceTypes after ListGrants starts the next anonymous sync, which reads Jira again
      await newSync();
      expect(await leadOf()).toEqual([q.leadAccountId]);
    } finally {
      q.leadAccountId = was;
    }
  });
});
