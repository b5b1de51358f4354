/**
 * Organization posture (issue 15, item 3) against the fake's ground truth: verified and unverified
 * domains, managed accounts per verified domain, two-step verification across managed accounts,
 * the documented policies; authentication policies are said to be unavailable.
 */
import { useFake } from '../atlassian/helpers';
import { orgPosture } from '../../src/connector/org-posture';
import type { OrgApi } from '../../src/connector/jira-api';
import { startHarness } from '../helpers/harness';
import { ResourcesServiceListResourcesRequest } from '../../src/gen/c1/connector/v2/resource';

const h = useFake({ tier: 'S', seed: 23 });

function orgApi(): OrgApi {
  const c = h.clients(
    h.config({
      'jira-url': h.fake.siteUrl,
      'jira-email': h.fake.credentials.adminEmail,
      'jira-api-token': h.fake.credentials.classicToken,
      'atlassian-orgid': h.fake.orgId,
      'atlassian-api-token': h.fake.credentials.orgApiKey.key,
    }),
  );
  return { orgId: h.fake.orgId, admin: c.admin!, siteResourceIds: async () => [] };
}
const ctx = () => ({ signal: new AbortController().signal });

test('domains, managed accounts per verified domain, two-step verification and policies equal the tenant', async () => {
  const t = h.fake.tenant;
  const p = await orgPosture(orgApi(), ctx());
  const managed = t.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null);
  const byDomain = (d: string) => managed.filter((u) => u.email.split('@')[1].toLowerCase() === d).length;
  expect(p.verified_domains).toEqual(
    t
      .domains()
      .filter((d) => d.status === 'verified')
      .map((d) => ({ domain: d.name, verification: d.claimType, managed_accounts: byDomain(d.name) })),
  );
  expect(p.verified_domains.reduce((n, d) => n + d.managed_accounts, 0) + p.managed_accounts_other_domains).toBe(managed.length);
  expect(p.unverified_domains).toEqual([{ domain: 'acme-legacy.example', status: 'unverified' }]);
  expect(p.managed_accounts).toBe(managed.length);
  expect(p.two_step_verification).toEqual({ enabled: managed.filter((u) => u.mfaEnabled).length, not_enabled: managed.filter((u) => !u.mfaEnabled).length, unknown: 0 });
  expect(p.policies).toEqual(t.policies().map((x) => ({ id: x.id, type: x.type, name: x.name, status: x.status, resources: 1 })));
  expect(p.authentication_policies).toMatch(/^not available/);
  expect(p.complete).toBe(true);
  expect(h.fake.validationErrors).toEqual([]);
});

test('a cap on the managed accounts counted says the posture is incomplete', async () => {
  const p = await orgPosture(orgApi(), ctx(), { maxAccounts: 1 });
  expect(p.complete).toBe(false);
  expect(p.managed_accounts).toBeLessThan(h.fake.tenant.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null).length);
});

test('the organization resource carries the posture in its profile (over gRPC)', async () => {
  const hh = await startHarness({ fake: { tier: 'S', seed: 23 }, config: (f) => ({ 'atlassian-orgid': f.orgId, 'atlassian-api-token': f.credentials.orgApiKey.key }) });
  try {
    const t = hh.fake.tenant;
    const page = await hh.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'organization' }));
    expect(page.list.map((r) => r.id!.resource)).toEqual([hh.fake.orgId]);
    const profile = page.list[0].profile!;
    const managed = t.allAccounts().filter((u) => u.claimStatus === 'managed' && u.directoryId !== null);
    expect(profile.managed_accounts).toBe(managed.length);
    expect((profile.verified_domains as { domain: string }[]).map((d) => d.domain)).toEqual(
      t
        .domains()
        .filter((d) => d.status === 'verified')
        .map((d) => d.name),
    );
    expect(profile.authentication_policies).toMatch(/^not available/);
  } finally {
    await hh.stop();
  }
});
