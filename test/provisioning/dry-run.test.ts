/** BATON_DRY_RUN: provisioning writes are reported, not sent; the tenant does not change. */
import { startHarness, Harness } from '../helpers/harness';
import { GrantManagerServiceGrantRequest } from '../../src/gen/c1/connector/v2/grant';
import { InvokeActionRequest } from '../../src/gen/c1/connector/v2/action';
import { Writable } from 'node:stream';
import { logTap, createLogger, setRootLogger } from '../../src/log';

let h: Harness;
beforeAll(async () => {
  logTap.lines = [];
  setRootLogger(createLogger('info', 'json', new Writable({ write: (_c, _e, cb) => cb() })));
  h = await startHarness({
    fake: { tier: 'S', seed: 41 },
    provisioning: true,
    config: (f) => ({ 'dry-run': 'true', 'atlassian-orgid': f.orgId, 'atlassian-api-token': f.credentials.orgApiKey.key }),
  });
});
afterAll(async () => {
  logTap.lines = undefined;
  await h?.stop();
});

test('a grant in a dry run sends nothing and says so in the audit log', async () => {
  const t = h.fake.tenant;
  const g = t.groups().find((x) => !x.system && !x.externalSynced && !x.directoryId) ?? t.groups().find((x) => !x.system && !x.externalSynced)!;
  const u = t.users().find((x) => x.accountType === 'atlassian' && !t.isGroupMember(g.groupId, x.accountId))!;
  h.fake.stats.reset();
  const r = await h.client.grantManager.grant(
    GrantManagerServiceGrantRequest.fromPartial({
      entitlement: { id: `group:${g.groupId}:member`, resource: { id: { resourceType: 'group', resource: g.groupId } } },
      principal: { id: { resourceType: 'user', resource: u.accountId } },
    }),
  );
  expect(r.grants[0].id).toBe(`group:${g.groupId}:member:user:${u.accountId}`);
  expect(t.isGroupMember(g.groupId, u.accountId)).toBe(false);
  const writes = Object.keys(h.fake.stats.snapshot().byOperation).filter((k) => !k.startsWith('GET ') && !k.includes('/search'));
  expect(writes).toEqual([]);
  expect(logTap.lines!.some((l) => l.includes('dry run: not sent') && l.includes(g.groupId))).toBe(true);
  expect(logTap.lines!.some((l) => l.includes('"audit":true') && l.includes('"dryRun":true'))).toBe(true);
});

test('an account action in a dry run leaves the account as it was', async () => {
  const t = h.fake.tenant;
  const u = t.users().find((x) => x.claimStatus === 'managed' && x.directoryId && !x.suspended && x.accountStatus === 'active')!;
  await h.client.actions.invokeAction(InvokeActionRequest.fromPartial({ name: 'account_disable', args: { resource_id: u.accountId } }));
  expect(t.user(u.accountId)!.suspended).toBe(false);
});
