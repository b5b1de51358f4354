/**
 * Hostile request bytes through the real gRPC server (issue 13, findings 3, 5 and the id-size part
 * of 6): an oversized active_sync_id is refused on every RPC that carries it and never reaches a
 * cache; bytes that do not decode answer INVALID_ARGUMENT, not INTERNAL; an oversized id is refused
 * while decoding, naming the field, before the string is materialised.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { rawClient } from '../helpers/raw-client';
import { startHarness, Harness } from '../helpers/harness';
import { ConnectorServiceCleanupRequest } from '../../src/gen/c1/connector/v2/connector';
import { ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest, ResourceGetterServiceGetResourceRequest } from '../../src/gen/c1/connector/v2/resource';
import { EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest } from '../../src/gen/c1/connector/v2/entitlement';
import { GrantsServiceListGrantsRequest, GrantManagerServiceRevokeRequest } from '../../src/gen/c1/connector/v2/grant';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 5 } });
});
afterAll(async () => h?.stop());

async function code(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('active_sync_id is bounded on every request that carries it', () => {
  const long = 's'.repeat(1025);

  // first in the file: no listing has run yet, so no background prefetch (src/connector/prefetch.ts) can be counted here
  test('ListGrants with a 3 MiB active_sync_id: refused before any upstream request (4 MiB and server memory: memory.test.ts)', async () => {
    const g = { id: { resourceType: 'group', resource: h.fake.tenant.groups()[0].groupId } };
    h.fake.stats.reset();
    const e = await code(h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: g, activeSyncId: 'a'.repeat(3 * 1024 * 1024) })));
    expect(Code[e.code]).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatch(/^active_sync_id is longer than 1024 bytes/);
    expect(h.fake.stats.snapshot().total).toBe(0);
  });
  test.each([
    ['ListResourceTypes', () => h.client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ activeSyncId: long }))],
    ['ListResources', () => h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'user', activeSyncId: long }))],
    ['GetResource', () => h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'group', resource: 'x' }, activeSyncId: long }))],
    [
      'ListEntitlements',
      () => h.client.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource: { id: { resourceType: 'group', resource: 'x' } }, activeSyncId: long })),
    ],
    ['ListStaticEntitlements', () => h.client.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: 'group', activeSyncId: long }))],
    ['ListGrants', () => h.client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: { id: { resourceType: 'group', resource: 'x' } }, activeSyncId: long }))],
    ['Cleanup', () => h.client.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId: long }))],
  ])('%s: INVALID_ARGUMENT naming active_sync_id', async (_name, call) => {
    const e = await code(call());
    expect(Code[e.code]).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatch(/active_sync_id/);
    expect(e.details).toMatch(/1024 bytes/);
  });

  test('a sync id of exactly 1024 bytes still works', async () => {
    const ok = await h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'group', activeSyncId: 's'.repeat(1024) }));
    expect(ok.list.length).toBeGreaterThan(0);
  });
});

describe('request bytes that do not decode', () => {
  test.each([
    ['/c1.connector.v2.ResourcesService/ListResources', Buffer.from([0xff, 0xff, 0xff])],
    ['/c1.connector.v2.GrantsService/ListGrants', Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x08])], // field 1, a length past the end
    ['/c1.connector.v2.GrantManagerService/Grant', Buffer.from([0x0f])], // wire type 7 does not exist
    ['/c1.connector.v2.ConnectorService/GetMetadata', Buffer.from([0x0b, 0x0b, 0x0b])], // unclosed groups
  ])('%s: INVALID_ARGUMENT', async (path, bytes) => {
    const c = rawClient(h.server.address, path);
    try {
      const e = (await c.call(bytes)) as ServiceError;
      expect(Code[e.code]).toBe('INVALID_ARGUMENT');
      expect(e.details).toMatch(/could not be decoded/);
    } finally {
      c.close();
    }
  });

  test('a deeply nested message is refused, not a stack overflow', async () => {
    // InvokeAction.args (2) is a Struct: a Value holding a list holding a Value ... 100,000 deep
    const wrap = (field: number, inner: Uint8Array) =>
      new BinaryWriter()
        .uint32((field << 3) | 2)
        .bytes(inner)
        .finish();
    // headers from the inside out (no copying of the growing body), then joined outside-in
    const headers: Uint8Array[] = [];
    let len = 0;
    for (let i = 0; i < 100000; i++) {
      for (const field of [1, 6]) {
        const hd = new BinaryWriter()
          .uint32((field << 3) | 2)
          .uint32(len)
          .finish();
        headers.push(hd);
        len += hd.length;
      }
    }
    const value = Buffer.concat(headers.reverse());
    const entry = new BinaryWriter()
      .uint32((1 << 3) | 2)
      .string('a')
      .uint32((2 << 3) | 2)
      .bytes(value)
      .finish();
    const req = Buffer.from(
      new BinaryWriter()
        .uint32((1 << 3) | 2)
        .string('account_disable')
        .uint32((2 << 3) | 2)
        .bytes(wrap(1, entry))
        .finish(),
    );
    const c = rawClient(h.server.address, '/c1.connector.v2.ActionService/InvokeAction');
    try {
      const e = (await c.call(req)) as ServiceError;
      expect(Code[e.code]).toBe('INVALID_ARGUMENT');
      expect(e.details).toMatch(/nested/);
    } finally {
      c.close();
    }
  });
});

describe('oversized ids are refused while decoding', () => {
  test('a 3 MB id nested anywhere: INVALID_ARGUMENT naming the field path', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const one = await code(h.client.resourceGetter.getResource(ResourceGetterServiceGetResourceRequest.fromPartial({ resourceId: { resourceType: 'user', resource: big } })));
    expect(Code[one.code]).toBe('INVALID_ARGUMENT');
    expect(one.details).toBe('resource_id.resource is longer than 1024 bytes');
    const g = await code(
      h.client.grantManager.revoke(
        GrantManagerServiceRevokeRequest.fromPartial({
          grant: { id: 'g', entitlement: { id: 'e', resource: { id: { resourceType: 'group', resource: 'r' } } }, principal: { id: { resourceType: 'user', resource: big.slice(0, 5000) } } },
        }),
      ),
    );
    expect(Code[g.code]).toBe('INVALID_ARGUMENT');
    expect(g.details).toBe('grant.principal.id.resource is longer than 1024 bytes');
  });
});
