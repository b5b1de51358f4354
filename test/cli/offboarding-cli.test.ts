/**
 * The built CLI's offboarding commands (`delete`, `invoke-action`) through the gRPC contract:
 * --dry-run prints the write and changes nothing; the switches refuse before any request; a real
 * run changes the fake's state; a repeat says nothing had to change.
 */
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { runBuilt } from '../helpers/built-cli';

const runAsync = runBuilt;

describe('delete and invoke-action', () => {
  let fake: FakeAtlassian;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 17 });
  });
  afterAll(async () => fake?.stop());

  const env = () => ({
    BATON_JIRA_URL: fake.siteUrl,
    BATON_JIRA_EMAIL: fake.credentials.adminEmail,
    BATON_JIRA_API_TOKEN: fake.credentials.classicToken,
    BATON_ATLASSIAN_ORGID: fake.orgId,
    BATON_ATLASSIAN_API_TOKEN: fake.credentials.orgApiKey.key,
    BATON_ATLASSIAN_API_URL: fake.apiUrl,
  });
  const managedWithToken = () =>
    fake.tenant
      .allAccounts()
      .find(
        (u) =>
          u.claimStatus === 'managed' &&
          u.directoryId !== null &&
          u.inJira &&
          u.accountStatus === 'active' &&
          u.accountId !== fake.credentials.admin.accountId &&
          fake.tenant.apiTokens(u.accountId).length > 0,
      )!;

  test('delete of an api-token: --dry-run prints the DELETE and changes nothing; without --allow-delete it is refused before any request; then it revokes, and again says so', async () => {
    const t = fake.tenant;
    const u = managedWithToken();
    const token = t.apiTokens(u.accountId)[0];
    const args = ['delete', '--resource-type', 'api-token', '--resource', `${u.accountId}:${token.id}`];
    const dry = await runAsync([...args, '--dry-run'], env());
    expect(dry.status).toBe(0);
    const out = JSON.parse(dry.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.wouldSend).toEqual([expect.objectContaining({ method: 'DELETE' })]);
    expect(out.wouldSend[0].url).toContain(`/manage/api-tokens/${token.id}`);
    expect(t.apiTokens(u.accountId).map((x) => x.id)).toContain(token.id);

    fake.stats.reset();
    const refused = await runAsync([...args, '--provisioning'], env());
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^error: FAILED_PRECONDITION: revoking an API token cannot be undone.*BATON_ALLOW_DELETE=true/);
    expect(fake.stats.snapshot().total).toBe(0);

    const real = await runAsync([...args, '--provisioning', '--allow-delete'], env());
    expect(real.status).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ changed: true });
    expect(t.apiTokens(u.accountId).map((x) => x.id)).not.toContain(token.id);
    const again = await runAsync([...args, '--provisioning', '--allow-delete'], env());
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, message: 'already gone: nothing was sent' });
  });

  test('validate with the organization prints its posture: verified domains with their managed accounts, two-step verification, policies', async () => {
    const r = await runAsync(['validate'], env());
    expect(r.status).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('Organization posture:'))!;
    const managed = fake.tenant.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null);
    for (const d of fake.tenant.domains().filter((x) => x.status === 'verified')) expect(line).toContain(`${d.name} (${managed.filter((u) => u.email.endsWith(`@${d.name}`)).length} managed)`);
    expect(line).toContain(`${managed.length} managed accounts, two-step verification on ${managed.filter((u) => u.mfaEnabled).length}`);
    expect(line).toContain('Office network (ip-allowlist, enabled)');
    expect(line).toMatch(/authentication policies: not available/);
  });

  test('invoke-action account_deactivate: refused without --provisioning, applied with it, a no-op again', async () => {
    const t = fake.tenant;
    const u = managedWithToken();
    const args = ['invoke-action', '--name', 'account_deactivate', '--resource', u.accountId];
    fake.stats.reset();
    const refused = await runAsync(args, env());
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/FAILED_PRECONDITION: provisioning is not enabled, so the account_deactivate action is refused/);
    expect(fake.stats.snapshot().total).toBe(0);
    const r = await runAsync([...args, '--provisioning'], env());
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).response).toMatchObject({ account_id: u.accountId, changed: true, status: 'inactive' });
    expect(t.user(u.accountId)!.accountStatus).toBe('inactive');
    const again = await runAsync([...args, '--provisioning'], env());
    expect(JSON.parse(again.stdout).response).toMatchObject({ changed: false });
  });
});
