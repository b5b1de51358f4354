/**
 * Offboarding as the platform's own code sends it (issue 15): the official Baton SDK (Go, through
 * tools/baton-bridge) deletes a resource with its provisioner (ResourceManagerService.DeleteResource,
 * what `baton-<connector> --delete-resource` and the platform's delete task send) and invokes an
 * action with the InvokeActionRequest its action invoker builds; the fake's state changes exactly
 * so, a repeat is a no-op that says so, and nothing on the wire breaks the SDK's field rules.
 *
 * Needs Go >= 1.25.2 (the first run builds the bridge: a few minutes cold, cached afterwards).
 */
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { fakeConfig } from '../helpers/harness';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import { startServer, RunningServer } from '../../src/server/server';
import { BUILD_TIMEOUT_MS, ensureBridge, runBridge } from './bridge';

beforeAll(() => {
  ensureBridge();
}, BUILD_TIMEOUT_MS);

interface BridgeAnswer {
  annotations: string[];
  code?: string;
  message?: string;
  request?: Record<string, unknown>;
  response?: Record<string, unknown>;
  wire?: { violations: unknown[] };
}

describe('offboarding through the SDK', () => {
  let fake: FakeAtlassian;
  let server: RunningServer;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 22 });
    const cfg = parseConnectorConfig(fakeConfig(fake, { provisioning: true, 'allow-delete': true, 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key }));
    const { connector } = await buildConnector(cfg);
    server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: true });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.stop();
  });

  const bridge = (args: string[]) => runBridge<BridgeAnswer>([...args, '--addr', server.address], 60_000);
  const managedWithTokens = () =>
    fake.tenant
      .allAccounts()
      .find(
        (u) =>
          u.claimStatus === 'managed' && u.directoryId !== null && u.accountStatus === 'active' && u.accountId !== fake.credentials.admin.accountId && fake.tenant.apiTokens(u.accountId).length > 1,
      )!;

  test('the SDK provisioner deletes (revokes) one API token; again: ResourceDeleted, nothing sent', async () => {
    const t = fake.tenant;
    const u = managedWithTokens();
    const [gone, kept] = t.apiTokens(u.accountId);
    const args = ['delete', '--resource-type', 'api-token', '--resource-id', `${u.accountId}:${gone.id}`];
    const r1 = await bridge(args);
    expect(r1.json).toMatchObject({ ok: true });
    expect(r1.json.request).toEqual({ resource_id: { resource_type: 'api-token', resource: `${u.accountId}:${gone.id}` } });
    expect(r1.json.wire!.violations).toEqual([]);
    expect(t.apiTokens(u.accountId).map((x) => x.id)).toEqual(expect.not.arrayContaining([gone.id]));
    expect(t.apiTokens(u.accountId).map((x) => x.id)).toContain(kept.id);
    fake.stats.reset();
    const r2 = await bridge(args);
    expect(r2.json).toMatchObject({ ok: true });
    expect(r2.json.annotations).toEqual(['ResourceDeleted']);
    expect(fake.stats.count('DELETE /users/{account_id}/manage/api-tokens/{tokenId}')).toBe(0);
  });

  test('the SDK action request deactivates a managed account; again: changed false', async () => {
    const t = fake.tenant;
    const u = managedWithTokens();
    const args = ['invoke-action', '--name', 'account_deactivate', '--resource-id', u.accountId, '--resource-type', 'user'];
    const r1 = await bridge(args);
    expect(r1.json).toMatchObject({ ok: true });
    expect(r1.json.request).toMatchObject({ name: 'account_deactivate', args: { resource_id: u.accountId }, resource_type_id: 'user' });
    expect(r1.json.response).toMatchObject({ name: 'account_deactivate', status: 'BATON_ACTION_STATUS_COMPLETE', response: { account_id: u.accountId, changed: true, status: 'inactive' } });
    expect(r1.json.wire!.violations).toEqual([]);
    expect(t.user(u.accountId)!.accountStatus).toBe('inactive');
    const r2 = await bridge(args);
    expect(r2.json.response).toMatchObject({ response: { changed: false } });
    expect(fake.validationErrors).toEqual([]);
  });
});
