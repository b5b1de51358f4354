/**
 * Offboarding through gRPC (issue 15): API tokens as secrets (listed against the fake's ground
 * truth, revoked by DeleteResourceV2), removal from the Jira site (DeleteResourceV2 of a user),
 * and the lifecycle actions (deactivate / activate, delete / cancel delete, remove from the
 * organization). Each operation changes exactly what it says in the fake's state, a repeat is a
 * no-op that says so, and refused modes are refused before any request.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness } from '../helpers/harness';
import { DeleteResourceV2Request, Resource, ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest } from '../../src/gen/c1/connector/v2/resource';
import { InvokeActionRequest, ListActionSchemasRequest, ActionType } from '../../src/gen/c1/connector/v2/action';
import { Capability } from '../../src/gen/c1/connector/v2/connector';
import { SecretTrait } from '../../src/gen/c1/connector/v2/annotation_trait';
import { typeName } from '../../src/connector/annotations';
import type { FakeAtlassian } from '../../src/fake-atlassian';

async function fails(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

const org = (f: FakeAtlassian) => ({ 'atlassian-orgid': f.orgId, 'atlassian-api-token': f.credentials.orgApiKey.key });
const del = (resourceType: string, resource: string) => DeleteResourceV2Request.fromPartial({ resourceId: { resourceType, resource } });
const act = (name: string, accountId: string) => InvokeActionRequest.fromPartial({ name, args: { resource_id: { resource_type_id: 'user', resource_id: accountId } } });

async function listAll(h: Harness, resourceTypeId: string): Promise<Resource[]> {
  const out: Resource[] = [];
  let pageToken = '';
  do {
    const r = await h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId, pageToken }));
    out.push(...r.list);
    pageToken = r.nextPageToken;
  } while (pageToken);
  return out;
}

/** Managed accounts of the organization: the ones whose tokens the user management API lists. */
function managed(f: FakeAtlassian) {
  return f.tenant.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null);
}

describe('offboarding with the organization, provisioning and BATON_ALLOW_DELETE', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 15 }, provisioning: true, config: (f) => ({ ...org(f), 'allow-delete': true }) });
  });
  afterAll(async () => h?.stop());

  test('metadata: resource delete on user and api-token; the offboarding actions say what they do and whether they can be undone', async () => {
    const caps = (await h.client.connector.getMetadata({})).metadata!.capabilities!;
    expect(caps.connectorCapabilities).toContain(Capability.CAPABILITY_ACTIONS);
    for (const t of ['user', 'api-token']) expect(caps.resourceTypeCapabilities.find((c) => c.resourceType!.id === t)!.capabilities).toContain(Capability.CAPABILITY_RESOURCE_DELETE);
    expect(caps.resourceTypeCapabilities.find((c) => c.resourceType!.id === 'group')!.capabilities).not.toContain(Capability.CAPABILITY_RESOURCE_DELETE);
    const schemas = (await h.client.actions.listActionSchemas(ListActionSchemasRequest.fromPartial({ resourceTypeId: 'user' }))).schemas;
    const byName = new Map(schemas.map((s) => [s.name, s]));
    expect(byName.get('account_deactivate')!.actionType).toEqual([ActionType.ACTION_TYPE_ACCOUNT_DISABLE]);
    expect(byName.get('account_activate')!.actionType).toEqual([ActionType.ACTION_TYPE_ACCOUNT_ENABLE]);
    expect(byName.get('account_delete')!.actionType).toEqual([ActionType.ACTION_TYPE_RESOURCE_DELETE]);
    expect(byName.get('account_cancel_delete')!.actionType).toEqual([ActionType.ACTION_TYPE_RESOURCE_ENABLE]);
    expect(byName.get('account_remove_from_org')!.actionType).toEqual([ActionType.ACTION_TYPE_RESOURCE_DELETE]);
    expect(byName.get('account_deactivate')!.description).toMatch(/Reversible: account_activate/);
    expect(byName.get('account_delete')!.description).toMatch(/14 days.*account_cancel_delete.*BATON_ALLOW_DELETE/);
    expect(byName.get('account_remove_from_org')!.description).toMatch(/Not reversible.*BATON_ALLOW_DELETE/);
    const types = (await h.client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({}))).list;
    expect(types.find((t) => t.id === 'api-token')!.description).toMatch(/cannot be listed/);
  });

  test('every API token of every managed account is listed once, with its owner and dates (ground truth)', async () => {
    const f = h.fake;
    const want = new Map<string, { owner: string; createdAt: string; lastAccess?: string; expiresAt?: string }>();
    for (const u of managed(f)) for (const t of f.tenant.apiTokens(u.accountId)) want.set(`${u.accountId}:${t.id}`, { owner: u.accountId, ...t });
    // the tenant holds the cases a review looks for
    const all = [...want.values()];
    expect(all.some((t) => !t.expiresAt)).toBe(true);
    expect(all.some((t) => t.expiresAt && Date.parse(t.expiresAt) < Date.now())).toBe(true);
    expect(managed(f).some((u) => u.suspended && f.tenant.apiTokens(u.accountId).length > 0)).toBe(true);

    const listed = await listAll(h, 'api-token');
    const ids = listed.map((r) => r.id!.resource);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...want.keys()].sort());
    for (const r of listed) {
      const w = want.get(r.id!.resource)!;
      const a = r.annotations.find((x) => typeName(x) === 'c1.connector.v2.SecretTrait')!;
      const s = SecretTrait.decode(a.value);
      expect(s.identityId).toEqual({ resourceType: 'user', resource: w.owner, batonResource: false });
      expect(s.createdAt!.toISOString()).toBe(new Date(w.createdAt).toISOString());
      expect(s.lastUsedAt?.toISOString()).toBe(w.lastAccess ? new Date(w.lastAccess).toISOString() : undefined);
      expect(s.expiresAt?.toISOString()).toBe(w.expiresAt ? new Date(w.expiresAt).toISOString() : undefined);
      const p = r.profile as Record<string, unknown>;
      expect(p.owner_account_id).toBe(w.owner);
      expect(p.never_expires).toBe(!w.expiresAt);
      expect(p.owner_status).toBe(f.tenant.user(w.owner)!.suspended ? 'suspended' : 'active');
    }
  });

  test('DeleteResourceV2 of an api-token revokes exactly that token; again: nothing is sent and the answer says so', async () => {
    const t = h.fake.tenant;
    const owner = managed(h.fake).find((u) => t.apiTokens(u.accountId).length >= 2)!;
    const [gone, kept] = t.apiTokens(owner.accountId);
    const before = new Map(managed(h.fake).map((u) => [u.accountId, t.apiTokens(u.accountId).length]));
    h.fake.stats.reset();
    const r = await h.client.resourceDeleter.deleteResourceV2(del('api-token', `${owner.accountId}:${gone.id}`));
    expect(r.annotations.map(typeName)).toEqual([]);
    expect(t.apiTokens(owner.accountId).map((x) => x.id)).not.toContain(gone.id);
    expect(t.apiTokens(owner.accountId).map((x) => x.id)).toContain(kept.id);
    for (const u of managed(h.fake)) expect([u.accountId, t.apiTokens(u.accountId).length]).toEqual([u.accountId, before.get(u.accountId)! - (u.accountId === owner.accountId ? 1 : 0)]);
    expect(h.fake.stats.count('DELETE /users/{account_id}/manage/api-tokens/{tokenId}')).toBe(1);
    const again = await h.client.resourceDeleter.deleteResourceV2(del('api-token', `${owner.accountId}:${gone.id}`));
    expect(again.annotations.map(typeName)).toEqual(['c1.connector.v2.ResourceDeleted']);
    expect(h.fake.stats.count('DELETE /users/{account_id}/manage/api-tokens/{tokenId}')).toBe(1);
    // bad ids never reach Atlassian
    expect(Code[(await fails(h.client.resourceDeleter.deleteResourceV2(del('api-token', `${owner.accountId}:../x`)))).code]).toBe('INVALID_ARGUMENT');
    expect(Code[(await fails(h.client.resourceDeleter.deleteResourceV2(del('api-token', 'no-colon')))).code]).toBe('INVALID_ARGUMENT');
  });

  test('DeleteResourceV2 of a user removes the account from the Jira site only; again: a no-op that says so', async () => {
    const t = h.fake.tenant;
    const u = t.users().find((x) => x.inJira && x.accountType === 'atlassian' && x.directoryId && x.accountId !== h.fake.credentials.admin.accountId && t.userGroups(x.accountId).length > 0)!;
    const others = t
      .users()
      .filter((x) => x.accountId !== u.accountId)
      .map((x) => [x.accountId, x.inJira, x.directoryId]);
    h.fake.stats.reset();
    const r = await h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId));
    expect(r.annotations).toEqual([]);
    expect(t.user(u.accountId)!.inJira).toBe(false);
    expect(t.user(u.accountId)!.directoryId).not.toBeNull(); // the Atlassian account and its org membership remain
    expect(
      t
        .users()
        .filter((x) => x.accountId !== u.accountId)
        .map((x) => [x.accountId, x.inJira, x.directoryId]),
    ).toEqual(others);
    expect(h.fake.stats.count('DELETE /rest/api/3/user')).toBe(1);
    const again = await h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId));
    expect(again.annotations.map(typeName)).toEqual(['c1.connector.v2.ResourceDeleted']);
    expect(h.fake.stats.count('DELETE /rest/api/3/user')).toBe(1);
  });

  test('account_deactivate / account_activate change the account status and nothing else; repeats answer changed: false', async () => {
    const t = h.fake.tenant;
    const u = managed(h.fake).find((x) => x.accountStatus === 'active' && !x.suspended && x.accountId !== h.fake.credentials.admin.accountId)!;
    const r1 = await h.client.actions.invokeAction(act('account_deactivate', u.accountId));
    expect(r1.response).toMatchObject({ account_id: u.accountId, changed: true, status: 'inactive' });
    expect(t.user(u.accountId)).toMatchObject({ accountStatus: 'inactive', suspended: false });
    h.fake.stats.reset();
    const r2 = await h.client.actions.invokeAction(act('account_deactivate', u.accountId));
    expect(r2.response).toMatchObject({ changed: false });
    expect(String(r2.response!.message)).toMatch(/already deactivated: nothing was sent/);
    expect(h.fake.stats.count('POST /users/{account_id}/manage/lifecycle/disable')).toBe(0);
    expect((await h.client.actions.invokeAction(act('account_activate', u.accountId))).response).toMatchObject({ changed: true, status: 'active' });
    expect(t.user(u.accountId)!.accountStatus).toBe('active');
    expect((await h.client.actions.invokeAction(act('account_activate', u.accountId))).response).toMatchObject({ changed: false });
  });

  test('account_delete schedules the deletion, account_cancel_delete undoes it; repeats are no-ops', async () => {
    const t = h.fake.tenant;
    const u = managed(h.fake).filter((x) => x.accountStatus === 'active' && x.accountId !== h.fake.credentials.admin.accountId)[3];
    expect((await h.client.actions.invokeAction(act('account_delete', u.accountId))).response).toMatchObject({ changed: true, status: 'closed' });
    expect(t.user(u.accountId)!.accountStatus).toBe('closed');
    expect(t.deletionPending(u.accountId)).toBe(true);
    h.fake.stats.reset();
    expect((await h.client.actions.invokeAction(act('account_delete', u.accountId))).response).toMatchObject({ changed: false });
    expect(h.fake.stats.count('POST /users/{account_id}/manage/lifecycle/delete')).toBe(0);
    // deactivating a deleted account is refused, not sent
    expect(Code[(await fails(h.client.actions.invokeAction(act('account_deactivate', u.accountId)))).code]).toBe('FAILED_PRECONDITION');
    expect((await h.client.actions.invokeAction(act('account_cancel_delete', u.accountId))).response).toMatchObject({ changed: true, status: 'active' });
    expect(t.user(u.accountId)!.accountStatus).toBe('active');
    expect(t.deletionPending(u.accountId)).toBe(false);
    expect((await h.client.actions.invokeAction(act('account_cancel_delete', u.accountId))).response).toMatchObject({ changed: false });
  });

  test('account_remove_from_org takes the account out of the directory and the site; again: a no-op', async () => {
    const t = h.fake.tenant;
    const u = managed(h.fake).find((x) => x.inJira && x.accountStatus === 'active' && x.accountId !== h.fake.credentials.admin.accountId && t.userGroups(x.accountId).length > 0)!;
    expect((await h.client.actions.invokeAction(act('account_remove_from_org', u.accountId))).response).toMatchObject({ changed: true });
    expect(t.user(u.accountId)).toMatchObject({ directoryId: null, inJira: false });
    expect(t.userGroups(u.accountId)).toEqual([]);
    h.fake.stats.reset();
    expect((await h.client.actions.invokeAction(act('account_remove_from_org', u.accountId))).response).toMatchObject({ changed: false });
    expect(h.fake.stats.count('DELETE /admin/v1/orgs/{orgId}/directory/users/{accountId}')).toBe(0);
  });

  test("every request the connector sent matched Atlassian's documents", () => {
    expect(h.fake.validationErrors).toEqual([]);
  });

  test('accounts the organization does not manage: FAILED_PRECONDITION, nothing sent', async () => {
    const ext = h.fake.tenant.users().find((x) => x.directoryId && x.claimStatus !== 'managed')!;
    h.fake.stats.reset();
    const e = await fails(h.client.actions.invokeAction(act('account_deactivate', ext.accountId)));
    expect(Code[e.code]).toBe('FAILED_PRECONDITION');
    expect(e.details).toMatch(/not managed/);
    expect(h.fake.stats.count('POST /users/{account_id}/manage/lifecycle/disable')).toBe(0);
  });
});

describe('refused modes are refused before any request', () => {
  test('without BATON_ALLOW_DELETE: site removal, org removal, account deletion and token revocation; reversible actions still work', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 16 }, provisioning: true, config: org });
    try {
      const t = h.fake.tenant;
      const u = managed(h.fake).find((x) => x.inJira && x.accountStatus === 'active' && t.apiTokens(x.accountId).length > 0 && x.accountId !== h.fake.credentials.admin.accountId)!;
      const token = t.apiTokens(u.accountId)[0];
      h.fake.stats.reset();
      for (const p of [
        h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId)),
        h.client.resourceDeleter.deleteResourceV2(del('api-token', `${u.accountId}:${token.id}`)),
        h.client.actions.invokeAction(act('account_delete', u.accountId)),
        h.client.actions.invokeAction(act('account_remove_from_org', u.accountId)),
      ]) {
        const e = await fails(p);
        expect(Code[e.code]).toBe('FAILED_PRECONDITION');
        expect(e.details).toMatch(/BATON_ALLOW_DELETE=true/);
      }
      expect(h.fake.stats.snapshot().total).toBe(0);
      expect(t.user(u.accountId)).toMatchObject({ inJira: true, accountStatus: 'active' });
      expect(t.apiTokens(u.accountId).map((x) => x.id)).toContain(token.id);
      expect((await h.client.actions.invokeAction(act('account_deactivate', u.accountId))).response).toMatchObject({ changed: true });
    } finally {
      await h.stop();
    }
  });

  test('without BATON_PROVISIONING: every delete and action is refused', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 16 }, provisioning: false, config: (f) => ({ ...org(f), 'allow-delete': true }) });
    try {
      const u = managed(h.fake).find((x) => x.inJira)!;
      h.fake.stats.reset();
      expect(Code[(await fails(h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId)))).code]).toBe('FAILED_PRECONDITION');
      expect(Code[(await fails(h.client.actions.invokeAction(act('account_deactivate', u.accountId)))).code]).toBe('FAILED_PRECONDITION');
      expect(h.fake.stats.snapshot().total).toBe(0);
    } finally {
      await h.stop();
    }
  });

  test('a dry run previews even the irreversible ones without the second switch: reads only, nothing changes', async () => {
    const h = await startHarness({ fake: { tier: 'S', seed: 16 }, provisioning: true, config: (f) => ({ ...org(f), 'dry-run': true }) });
    try {
      const t = h.fake.tenant;
      const u = managed(h.fake).find((x) => x.inJira && x.accountStatus === 'active' && t.apiTokens(x.accountId).length > 0 && x.accountId !== h.fake.credentials.admin.accountId)!;
      const token = t.apiTokens(u.accountId)[0];
      h.fake.stats.reset();
      const r = await h.client.actions.invokeAction(act('account_delete', u.accountId));
      expect(r.response).toMatchObject({ account_id: u.accountId, dry_run: true });
      await h.client.resourceDeleter.deleteResourceV2(del('api-token', `${u.accountId}:${token.id}`));
      await h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId));
      const ops = Object.keys(h.fake.stats.snapshot().byOperation);
      expect(ops.filter((k) => !k.startsWith('GET ') && !k.endsWith('/search'))).toEqual([]);
      expect(t.user(u.accountId)).toMatchObject({ inJira: true, accountStatus: 'active' });
      expect(t.apiTokens(u.accountId).map((x) => x.id)).toContain(token.id);
    } finally {
      await h.stop();
    }
  });

  test('site removal with a scoped token: FAILED_PRECONDITION naming the auth mode and what works instead', async () => {
    const h = await startHarness({
      fake: { tier: 'S', seed: 16 },
      provisioning: true,
      config: (f) => ({ 'jira-email': f.credentials.scoped.email, 'jira-api-token': f.credentials.scoped.token, 'jira-auth-mode': 'scoped-basic', 'allow-delete': true }),
    });
    try {
      const u = h.fake.tenant.users().find((x) => x.inJira && x.accountType === 'atlassian')!;
      h.fake.stats.reset();
      const e = await fails(h.client.resourceDeleter.deleteResourceV2(del('user', u.accountId)));
      expect(Code[e.code]).toBe('FAILED_PRECONDITION');
      expect(e.details).toMatch(/scoped API token \(jira-auth-mode scoped-basic\).*classic API token/);
      expect(h.fake.stats.snapshot().total).toBe(0);
      expect(h.fake.tenant.user(u.accountId)!.inJira).toBe(true);
    } finally {
      await h.stop();
    }
  });
});
