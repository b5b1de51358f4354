/**
 * A full sync through gRPC, looping the way the Baton syncer does, must yield exactly the fake
 * tenant's ground truth: every user, group, project, role, membership, role actor and product
 * seat, and nothing extra; also with 429s and 503s injected.
 */
import { effectiveUsers } from '../helpers/effective';
import { startHarness, Harness } from '../helpers/harness';
import { runSync, SyncResult } from '../../src/client/sync';
import type { Tenant } from '../../src/fake-atlassian';
import { UserTrait } from '../../src/gen/c1/connector/v2/annotation_trait';
import { pickAnnotation } from '../../src/connector/annotations';
import { Status_ResourceStatus } from '../../src/gen/c1/connector/v2/resource';

/** BATON_JIRA_PROJECT_PERMISSIONS's default */
const PERMISSIONS = ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'];
const isPermission = (entitlementId: string) => /^project:[^:]+:permission:/.test(entitlementId);

interface Truth {
  users: Set<string>;
  groups: Set<string>;
  projects: Set<string>;
  roles: Set<string>;
  appRoles: Set<string>;
  /** direct grants as "<entitlementId>|<principalType>:<principalId>" */
  direct: Set<string>;
  /** effective user holders after expansion, per entitlement */
  effective: Map<string, Set<string>>;
}

function truthOf(t: Tenant): Truth {
  const siteUsers = new Set(t.users().map((u) => u.accountId));
  const members = (gid: string) => t.groupMembers(gid).filter((a) => siteUsers.has(a));
  const direct = new Set<string>();
  const effective = new Map<string, Set<string>>();
  const eff = (ent: string) => {
    if (!effective.has(ent)) effective.set(ent, new Set());
    return effective.get(ent)!;
  };
  for (const g of t.groups()) {
    for (const a of members(g.groupId)) {
      direct.add(`group:${g.groupId}:member|user:${a}`);
      eff(`group:${g.groupId}:member`).add(a);
    }
  }
  const roles = new Set<string>();
  for (const p of t.projects()) {
    if (p.leadAccountId) direct.add(`project:${p.id}:lead|user:${p.leadAccountId}`);
    for (const r of t.projectRoles(p.id)) {
      const rid = `${p.id}:${r.id}`;
      roles.add(rid);
      direct.add(`project:${p.id}:participate|project-role:${rid}`);
      const actors = t.roleActors(p.id, r.id);
      const ent = `project-role:${rid}:assigned`;
      eff(ent);
      for (const u of actors.users) {
        direct.add(`${ent}|user:${u}`);
        eff(ent).add(u);
        eff(`project:${p.id}:participate`).add(u);
      }
      for (const g of actors.groups) {
        direct.add(`${ent}|group:${g}`);
        for (const a of members(g)) {
          eff(ent).add(a);
          eff(`project:${p.id}:participate`).add(a);
        }
      }
    }
  }
  // project permissions (the default set): who holds each by the project's scheme; their direct grants are checked by effect
  for (const p of t.projects()) {
    for (const key of PERMISSIONS) {
      const h = t.projectPermissionHolders(p.id, key);
      if (h.schemeId === null) continue;
      const ent = eff(`project:${p.id}:permission:${key}`);
      for (const a of h.accountIds) ent.add(a);
    }
  }
  for (const a of t.applicationRoles()) {
    const ent = `application-role:${a.key}:assigned`;
    eff(ent);
    for (const g of a.groups) {
      direct.add(`${ent}|group:${g}`);
      for (const m of members(g)) eff(ent).add(m);
    }
  }
  return {
    users: siteUsers,
    groups: new Set(t.groups().map((g) => g.groupId)),
    projects: new Set(t.projects().map((p) => p.id)),
    roles,
    appRoles: new Set(t.applicationRoles().map((a) => a.key)),
    direct,
    effective,
  };
}

function idsOf(r: SyncResult, type: string): Set<string> {
  return new Set(r.resources.filter((x) => x.id!.resourceType === type).map((x) => x.id!.resource));
}

function assertMatches(r: SyncResult, t: Tenant): void {
  const truth = truthOf(t);
  expect(idsOf(r, 'user')).toEqual(truth.users);
  expect(idsOf(r, 'group')).toEqual(truth.groups);
  expect(idsOf(r, 'project')).toEqual(truth.projects);
  expect(idsOf(r, 'project-role')).toEqual(truth.roles);
  expect(idsOf(r, 'application-role')).toEqual(truth.appRoles);

  const direct = new Set(r.grants.filter((g) => !isPermission(g.entitlement!.id)).map((g) => `${g.entitlement!.id}|${g.principal!.id!.resourceType}:${g.principal!.id!.resource}`));
  const missing = [...truth.direct].filter((x) => !direct.has(x));
  const extra = [...direct].filter((x) => !truth.direct.has(x));
  expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({ missing: [], extra: [] });

  // effective user access after expansion (direct user grants + expanded grants; a product-wide grant stands for the product's holders)
  const effective = effectiveUsers(r, { productWide: true });
  for (const [ent, users] of truth.effective) {
    if (ent.endsWith(':lead')) continue;
    expect([ent, effective.get(ent) ?? new Set()]).toEqual([ent, users]);
  }

  // user details: emails only when visible, active status, account types
  for (const res of r.resources.filter((x) => x.id!.resourceType === 'user')) {
    const u = t.user(res.id!.resource)!;
    const trait = pickAnnotation(res.annotations, UserTrait, 'c1.connector.v2.UserTrait')!;
    if (u.emailVisible) expect(trait.emails.map((e) => e.address)).toEqual([u.email]);
    else {
      expect(trait.emails).toEqual([]);
      expect(res.profile!.email_visibility).toBe('hidden by profile visibility');
    }
    expect(res.status!.status).toBe(t.isActiveInJira(u) ? Status_ResourceStatus.RESOURCE_STATUS_ENABLED : Status_ResourceStatus.RESOURCE_STATUS_DISABLED);
    expect(res.profile!.account_type).toBe(u.accountType);
  }
  expect(r.warnings).toEqual([]);
}

describe.each([
  ['S', 1],
  ['M', 7],
])('tier %s', (tier, seed) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: tier as 'S' | 'M', seed } });
  });
  afterAll(async () => h?.stop());

  test('a full sync equals the ground truth', async () => {
    const r = await runSync(h.client, { workers: 4 });
    assertMatches(r, h.fake.tenant);
    expect(h.fake.validationErrors).toEqual([]);
  });
});

describe('under faults', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 11 } });
  });
  afterAll(async () => h?.stop());

  test('429 storms, 503 bursts, resets and truncated bodies change nothing', async () => {
    h.fake.faults.rateLimit({ capacity: 5, refillPerSec: 40, retryAfterSec: 1 }, 'jira');
    h.fake.faults.failWith(503, 6, { retryAfterSec: 1, match: 'GET /rest/api/3/project/{projectIdOrKey}/role/{id}' });
    h.fake.faults.resetConnections(3, 'GET /rest/api/3/group/member');
    h.fake.faults.truncateBodies(3, { match: 'GET /rest/api/3/users/search' });
    const r = await runSync(h.client, { workers: 4 });
    h.fake.faults.clear();
    assertMatches(r, h.fake.tenant);
    expect(h.fake.stats.statusCount(429)).toBeGreaterThan(0);
    expect(h.fake.stats.statusCount(503)).toBeGreaterThan(0);
  });
});

describe('adversarial data', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 1 } });
  });
  afterAll(async () => h?.stop());

  test('account ids with ":", non-ASCII group names, group-only roles and empty roles round-trip', async () => {
    const t = h.fake.tenant;
    const r = await runSync(h.client, { workers: 2 });
    const users = idsOf(r, 'user');
    const colonIds = t.users().filter((u) => u.accountId.includes(':'));
    expect(colonIds.length).toBeGreaterThan(0);
    for (const u of colonIds) expect(users.has(u.accountId)).toBe(true);
    const names = new Map(r.resources.filter((x) => x.id!.resourceType === 'group').map((x) => [x.id!.resource, x.displayName]));
    const odd = t.groups().filter((g) => /[^\x20-\x7e]/.test(g.name) || g.name.includes(' '));
    expect(odd.length).toBeGreaterThan(0);
    for (const g of odd) expect(names.get(g.groupId)).toBe(g.name);
    // a role with only group actors, and a role with no actors at all, exist and match
    let groupOnly = 0;
    let empty = 0;
    for (const p of t.projects())
      for (const ro of t.projectRoles(p.id)) {
        const a = t.roleActors(p.id, ro.id);
        if (a.users.length === 0 && a.groups.length > 0) groupOnly++;
        if (a.users.length === 0 && a.groups.length === 0) empty++;
      }
    expect(groupOnly).toBeGreaterThan(0);
    expect(empty).toBeGreaterThan(0);
    // a team-managed project without any role: listed, with no roles and no participants
    const roleless = t.projects().filter((p) => t.projectRoles(p.id).length === 0);
    expect(roleless.length).toBeGreaterThan(0);
    for (const p of roleless) {
      expect(r.resources.some((x) => x.id!.resourceType === 'project' && x.id!.resource === p.id)).toBe(true);
      expect(r.resources.filter((x) => x.id!.resourceType === 'project-role' && x.parentResourceId?.resource === p.id)).toEqual([]);
      expect(r.grants.filter((g) => g.entitlement!.id === `project:${p.id}:participate`)).toEqual([]);
    }
    assertMatches(r, t);
  });
});
