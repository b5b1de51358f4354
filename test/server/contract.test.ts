/**
 * The c1.connector.v2 contract through a real gRPC client: every registered RPC answers per the
 * contract, unsupported ones answer UNIMPLEMENTED with a sentence, malformed requests get
 * INVALID_ARGUMENT or NOT_FOUND and never crash the server.
 */
import { status as Code, ServiceError, makeGenericClientConstructor, credentials } from '@grpc/grpc-js';
import { rawClient } from '../helpers/raw-client';
import { startHarness, Harness } from '../helpers/harness';
import { Capability, ConnectorServiceCleanupRequest } from '../../src/gen/c1/connector/v2/connector';
import {
  ResourcesServiceListResourcesRequest,
  ResourceTypesServiceListResourceTypesRequest,
  ResourceGetterServiceGetResourceRequest,
  CreateAccountRequest,
  ResourceManagerServiceService,
  CredentialManagerServiceService,
  RotateCredentialRequest,
  ResourceType_Trait,
  Resource,
} from '../../src/gen/c1/connector/v2/resource';
import { EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest } from '../../src/gen/c1/connector/v2/entitlement';
import { GrantsServiceListGrantsRequest, GrantManagerServiceGrantRequest, GrantManagerServiceRevokeRequest } from '../../src/gen/c1/connector/v2/grant';
import { AssetServiceClient, AssetServiceGetAssetRequest } from '../../src/gen/c1/connector/v2/asset';
import { InvokeActionRequest } from '../../src/gen/c1/connector/v2/action';
import { checkHealth } from '../../src/cli/health';
import { EMITTED_ANNOTATIONS } from '../../src/connector/anno';
import { typeName } from '../../src/connector/annotations';
import { runSync } from '../../src/client/sync';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function expectCode(p: Promise<unknown>, code: Code, text?: RegExp): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    expect(Code[err.code]).toBe(Code[code]);
    if (text) expect(err.details).toMatch(text);
    return err;
  }
  throw new Error(`expected ${Code[code]}, the call succeeded`);
}

const listResources = (x: Partial<ResourcesServiceListResourcesRequest>) => h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial(x));

describe('supported RPCs', () => {
  test('GetMetadata: display name and capabilities computed from registered types', async () => {
    const { metadata } = await h.client.connector.getMetadata({});
    expect(metadata!.displayName).toBe('Jira Cloud');
    const caps = metadata!.capabilities!;
    expect(caps.connectorCapabilities).toContain(Capability.CAPABILITY_SYNC);
    expect(caps.connectorCapabilities).toContain(Capability.CAPABILITY_TARGETED_SYNC);
    expect(caps.connectorCapabilities).toContain(Capability.CAPABILITY_SERVICE_MODE_TARGETED_SYNC);
    const ids = caps.resourceTypeCapabilities.map((c) => c.resourceType!.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['user', 'group', 'project', 'project-role', 'application-role']));
    // sorted connector capabilities
    expect(caps.connectorCapabilities).toEqual([...caps.connectorCapabilities].sort((a, b) => a - b));
  });

  test('Validate returns a semver sdk_version >= 0.4.3', async () => {
    const v = await h.client.connector.validate({});
    expect(v.sdkVersion).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  test('Cleanup is idempotent', async () => {
    await h.client.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId: 'x' }));
    await h.client.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId: 'x' }));
  });

  test('ListResourceTypes: one page, traits, user skips entitlements and grants', async () => {
    const r = await h.client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({}));
    expect(r.nextPageToken).toBe('');
    const byId = new Map(r.list.map((t) => [t.id, t]));
    expect(byId.get('user')!.traits).toEqual([ResourceType_Trait.TRAIT_USER]);
    expect(byId.get('group')!.traits).toEqual([ResourceType_Trait.TRAIT_GROUP]);
    expect(byId.get('project-role')!.traits).toEqual([ResourceType_Trait.TRAIT_ROLE]);
    expect(byId.get('user')!.annotations.map(typeName)).toContain('c1.connector.v2.SkipEntitlementsAndGrants');
  });

  test('child-only project-role lists nothing without a parent', async () => {
    const r = await listResources({ resourceTypeId: 'project-role' });
    expect(r.list).toEqual([]);
    expect(r.nextPageToken).toBe('');
  });

  test('ListStaticEntitlements answers an empty page for every type', async () => {
    for (const id of ['user', 'group', 'project', 'project-role', 'application-role']) {
      const r = await h.client.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: id }));
      expect(r.list).toEqual([]);
      expect(r.nextPageToken).toBe('');
    }
  });

  test('GetResource returns the same resource a listing does', async () => {
    const users = await listResources({ resourceTypeId: 'user' });
    const u = users.list[0];
    const got = await h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: u.id }));
    expect(got.resource!.id).toEqual(u.id);
    expect(got.resource!.displayName).toBe(u.displayName);
    await expectCode(h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'user', resource: 'no-such-account' } })), Code.NOT_FOUND);
  });

  test('Grant, Revoke and CreateAccount are refused while provisioning is off', async () => {
    const groups = await listResources({ resourceTypeId: 'group' });
    const users = await listResources({ resourceTypeId: 'user' });
    const g = groups.list[0];
    const ent = { id: `group:${g.id!.resource}:member`, resource: g };
    await expectCode(h.client.grantManager.grant(GrantManagerServiceGrantRequest.fromPartial({ entitlement: ent, principal: users.list[0] })), Code.FAILED_PRECONDITION, /--provisioning/);
    await expectCode(
      h.client.grantManager.revoke(GrantManagerServiceRevokeRequest.fromPartial({ grant: { id: 'x', entitlement: ent, principal: users.list[0] } })),
      Code.FAILED_PRECONDITION,
      /BATON_PROVISIONING/,
    );
    await expectCode(h.client.accountManager.createAccount(CreateAccountRequest.fromPartial({})), Code.FAILED_PRECONDITION, /--provisioning/);
    await expectCode(
      h.client.actions.invokeAction(InvokeActionRequest.fromPartial({ name: 'account_disable', args: { resource_id: users.list[0].id!.resource } })),
      Code.FAILED_PRECONDITION,
      /--provisioning/,
    );
  });
});

describe('unsupported RPCs answer UNIMPLEMENTED with a sentence', () => {
  test('registered service, unsupported RPC', async () => {
    const Client = makeGenericClientConstructor(ResourceManagerServiceService, 'ResourceManagerService');
    const c = new Client(h.server.address, credentials.createInsecure()) as any;
    const err = await new Promise<ServiceError>((resolve) => c.createResource({}, (e: ServiceError) => resolve(e)));
    expect(err.code).toBe(Code.UNIMPLEMENTED);
    expect(err.details).toMatch(/not supported by the Jira connector/);
    c.close();
  });

  test('CredentialManagerService and streaming AssetService', async () => {
    const Cred = makeGenericClientConstructor(CredentialManagerServiceService, 'CredentialManagerService');
    const cc = new Cred(h.server.address, credentials.createInsecure()) as any;
    const e = await new Promise<ServiceError>((resolve) => cc.rotateCredential(RotateCredentialRequest.fromPartial({}), (x: ServiceError) => resolve(x)));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
    expect(e.details).toMatch(/not supported/);
    cc.close();
    const asset = new AssetServiceClient(h.server.address, credentials.createInsecure());
    const err = await new Promise<ServiceError>((resolve) => {
      const s = asset.getAsset(AssetServiceGetAssetRequest.fromPartial({ asset: { id: 'x' } }));
      s.on('error', (e: ServiceError) => resolve(e));
      s.on('data', () => undefined);
    });
    expect(err.code).toBe(Code.UNIMPLEMENTED);
    asset.close();
  });

  test('a service the contract has but we never registered (raw path)', async () => {
    const c = rawClient(h.server.address, '/c1.connector.v2.TicketsService/CreateTicket');
    const err = (await c.call(Buffer.alloc(0))) as ServiceError;
    expect(err.code).toBe(Code.UNIMPLEMENTED);
    c.close();
  });
});

describe('malformed requests', () => {
  test('missing resource type id', async () => {
    await expectCode(listResources({}), Code.INVALID_ARGUMENT, /resource_type_id is required/);
    await expectCode(h.client.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({})), Code.INVALID_ARGUMENT);
  });

  test('unknown resource type', async () => {
    await expectCode(listResources({ resourceTypeId: 'nope' }), Code.NOT_FOUND, /unknown resource type/);
    await expectCode(h.client.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: 'nope' })), Code.NOT_FOUND);
    await expectCode(h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: { id: { resourceType: 'nope', resource: '1' } } })), Code.NOT_FOUND);
  });

  test('missing resource in ListEntitlements and ListGrants', async () => {
    await expectCode(h.client.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({})), Code.INVALID_ARGUMENT, /resource is required/);
    await expectCode(h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: Resource.fromPartial({}) })), Code.INVALID_ARGUMENT);
  });

  test('garbage and foreign page tokens', async () => {
    await expectCode(listResources({ resourceTypeId: 'user', pageToken: '!!not-a-token!!' }), Code.INVALID_ARGUMENT, /page_token/);
    await expectCode(listResources({ resourceTypeId: 'user', pageToken: Buffer.from('{"v":1,"k":"group","s":5}').toString('base64url') }), Code.INVALID_ARGUMENT, /another listing/);
    await expectCode(listResources({ resourceTypeId: 'user', pageToken: Buffer.from('[1,2]').toString('base64url') }), Code.INVALID_ARGUMENT);
    // a token of the organization phase while no organization is configured
    await expectCode(listResources({ resourceTypeId: 'user', pageToken: Buffer.from('{"v":1,"k":"user","p":"org"}').toString('base64url') }), Code.INVALID_ARGUMENT, /organization/);
    await expectCode(listResources({ resourceTypeId: 'group', pageToken: Buffer.from('{"v":1,"k":"group","p":"dir"}').toString('base64url') }), Code.INVALID_ARGUMENT, /organization/);
    await expectCode(h.client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ pageToken: 'abc' })), Code.INVALID_ARGUMENT);
  });

  test('a 2 MB string: INVALID_ARGUMENT naming the field; a 10 MB request: above the 4 MiB receive limit', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    await expectCode(listResources({ resourceTypeId: big }), Code.INVALID_ARGUMENT, /^resource_type_id is longer than 1024 bytes$/);
    await expectCode(listResources({ resourceTypeId: 'user', pageToken: big }), Code.INVALID_ARGUMENT, /^page_token is longer than 8 KiB$/);
    await expectCode(h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'user', resource: big } })), Code.INVALID_ARGUMENT);
    await expectCode(listResources({ resourceTypeId: 'x'.repeat(10 * 1024 * 1024) }), Code.RESOURCE_EXHAUSTED);
  });

  test('page_size above the contract limit', async () => {
    await expectCode(listResources({ resourceTypeId: 'user', pageSize: 1000 }), Code.INVALID_ARGUMENT, /page_size/);
  });

  test('the server still serves after all of the above', async () => {
    expect(await checkHealth(h.server.address)).toBe('SERVING');
    const v = await h.client.connector.validate({});
    expect(v.sdkVersion).toBeTruthy();
  });
});

describe('annotations', () => {
  test('every emitted annotation decodes by its type URL; every USER/GROUP/ROLE resource carries its trait', async () => {
    const result = await runSync(h.client, { workers: 4 });
    const bags = [
      ...result.resourceTypes.flatMap((t) => t.annotations),
      ...result.resources.flatMap((r) => r.annotations),
      ...result.entitlements.flatMap((e) => e.annotations),
      ...result.grants.flatMap((g) => g.annotations),
    ];
    expect(bags.length).toBeGreaterThan(0);
    for (const a of bags) {
      expect(a.typeUrl.startsWith('type.googleapis.com/c1.connector.v2.')).toBe(true);
      const codec = EMITTED_ANNOTATIONS[typeName(a)];
      expect(codec).toBeDefined();
      expect(() => codec.decode(a.value)).not.toThrow();
    }
    const traitOf: Record<number, string> = {
      [ResourceType_Trait.TRAIT_USER]: 'c1.connector.v2.UserTrait',
      [ResourceType_Trait.TRAIT_GROUP]: 'c1.connector.v2.GroupTrait',
      [ResourceType_Trait.TRAIT_ROLE]: 'c1.connector.v2.RoleTrait',
    };
    const types = new Map(result.resourceTypes.map((t) => [t.id, t]));
    for (const r of result.resources) {
      for (const trait of types.get(r.id!.resourceType)!.traits) {
        expect(r.annotations.map(typeName)).toContain(traitOf[trait]);
      }
    }
    expect(result.warnings).toEqual([]);
  });
});
