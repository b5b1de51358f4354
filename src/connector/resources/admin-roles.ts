/**
 * Atlassian administration roles (organization admin API), shared by the `organization` and `site`
 * resource types: which roles each offers as entitlements, who holds them (grants), and their
 * provisioning.
 *
 * A role is the admin API's role id (`atlassian/org-admin`, `atlassian/site-admin`, ...) held on a
 * resource named by its ARI: the organization, the site (`ari:cloud:platform::site/<cloudId>`
 * [unverified]) or one product of the site (`ari:cloud:<productKey>::site/<cloudId>`).
 *
 * Grants of one role (one upstream page per ListGrants call, token {e: entitlement, c: cursor}):
 *  - groups the role is assigned to: POST …/groups/search {roleIds, resourceIds} (all pages, once per
 *    sync) → a grant to the group, expandable from its `member` (directory group ids are the Jira
 *    group ids: the same group resource);
 *  - users holding it: POST …/users/search {roleIds, resourceIds, expand: [groups]}: a holder in none
 *    of those groups holds it directly (a grant to the user). A holder who is also in such a group
 *    may hold it both ways: for the administration roles (org, site, user access and product admin)
 *    their role assignments are read (GET …/users/{accountId}/role-assignments: `direct` or
 *    `group_direct`), one request per such holder; for the product member roles (user, basic,
 *    guest), which whole groups hold, they are shown through the group only (README).
 *
 * Provisioning: a user's role through v1 roles/assign|revoke, a group's through v2
 * role-assignments/assign|revoke; organization admin cannot be given to a group (refused before any
 * request). Idempotent by the state read first (the user's direct assignments, or the group search),
 * one write in flight per (principal, role, resource), audited, dry-run able.
 */
import { z } from 'zod';
import type { Resource, ResourceId } from '../../gen/c1/connector/v2/resource';
import type { Entitlement } from '../../gen/c1/connector/v2/entitlement';
import type { Grant } from '../../gen/c1/connector/v2/grant';
import type { Any } from '../../gen/google/protobuf/any';
import type { CallContext, GrantResult, Page, Provisioner } from '../types';
import type { OrgApi } from '../jira-api';
import { entitlement, grant, rid } from './common';
import { grantAlreadyExists, grantAlreadyRevoked, grantExpandable } from '../anno';
import { pageToken, cursor } from '../pagetoken';
import { PromiseCache, syncKey } from '../cache';
import { userType, USER } from './user';
import { groupType, GROUP, memberEntitlementId } from './group';
import { ALL_DIRECTORIES } from '../org';
import { auditLog, checkPrincipal, KeyedLock, refuseInherited } from './provisioning';
import { ConnectorError, invalidInput, isConnectorError } from '../../errors';
import { entitlementId } from '../ids';

export const ROLE_ID = {
  orgAdmin: 'atlassian/org-admin',
  siteAdmin: 'atlassian/site-admin',
  userAccessAdmin: 'atlassian/user-access-admin',
  admin: 'atlassian/admin',
  user: 'atlassian/user',
  basic: 'atlassian/basic',
  guest: 'atlassian/guest',
} as const;

/** Roles whose holders are few and whose direct assignments are always read exactly. */
const ADMINISTRATION = new Set<string>([ROLE_ID.orgAdmin, ROLE_ID.siteAdmin, ROLE_ID.userAccessAdmin, ROLE_ID.admin]);
const PAGE = 100;

/** One role on one resource: an entitlement of the organization or the site. */
export interface AdminRole {
  slug: string;
  roleId: string;
  /** the ARI the role is held on */
  resourceId: string;
  displayName: string;
  description: string;
}

export const orgAri = (orgId: string) => `ari:cloud:platform::org/${orgId}`;
export const siteAri = (cloudId: string) => `ari:cloud:platform::site/${cloudId}`;
export const productAri = (productKey: string, cloudId: string) => `ari:cloud:${productKey}::site/${cloudId}`;

const PRODUCT_ROLES: { role: string; name: string; what: string }[] = [
  { role: ROLE_ID.admin, name: 'admin', what: 'administers the product (its configuration, schemes and, for Jira, "Administer Jira")' },
  { role: ROLE_ID.user, name: 'user', what: 'uses the product (a licensed seat)' },
  { role: ROLE_ID.basic, name: 'basic', what: 'uses the product with the basic role (fewer rights than user)' },
  { role: ROLE_ID.guest, name: 'guest', what: 'uses the product as a guest (limited, unlicensed access)' },
];

export function organizationRoles(orgId: string): AdminRole[] {
  return [
    {
      slug: 'org-admin',
      roleId: ROLE_ID.orgAdmin,
      resourceId: orgAri(orgId),
      displayName: 'Organization admin',
      description: 'Administers the Atlassian organization: every site, product, user, group, policy and API key',
    },
  ];
}

export function siteRoles(cloudId: string, products: { key: string; name: string }[]): AdminRole[] {
  return [
    { slug: 'site-admin', roleId: ROLE_ID.siteAdmin, resourceId: siteAri(cloudId), displayName: 'Site admin', description: "Administers the site: its users, groups and every product's settings" },
    {
      slug: 'user-access-admin',
      roleId: ROLE_ID.userAccessAdmin,
      resourceId: siteAri(cloudId),
      displayName: 'User access admin',
      description: "Manages the site's users and groups and who can use its products",
    },
    ...products.flatMap((p) =>
      PRODUCT_ROLES.map((r) => ({
        slug: `product:${p.key}:${r.name}`,
        roleId: r.role,
        resourceId: productAri(p.key, cloudId),
        displayName: `${p.name} ${r.name}`,
        description: `${p.name}: ${r.what}`,
      })),
    ),
  ];
}

export function roleEntitlements(resource: Resource, roles: AdminRole[]): Entitlement[] {
  return roles.map((r) =>
    entitlement(resource, {
      slug: r.slug,
      displayName: r.displayName,
      description: `${r.description} (Atlassian role ${r.roleId})`,
      grantableTo: [userType, groupType],
      purpose: 'permission',
    }),
  );
}

const grantToken = pageToken('admin-role-grant', 1, z.strictObject({ e: z.number().int().nonnegative().max(10_000), c: cursor.optional() }));

function groupGrant(resource: Resource, slug: string, groupId: string): Grant {
  return grant(resource, slug, rid(GROUP, groupId), [grantExpandable([memberEntitlementId(groupId)], [USER])]);
}

export interface AdminRoleAccess {
  grants(resource: Resource, roles: AdminRole[], pageToken: string | undefined, ctx: CallContext): Promise<Page<Grant>>;
  provisioner(decode: (ent: Entitlement | undefined, field: string, ctx: CallContext) => Promise<{ resource: Resource; role: AdminRole }>): Provisioner;
  dropSync(activeSyncId: string | undefined): void;
}

export function adminRoleAccess(org: OrgApi, dryRun: boolean): AdminRoleAccess {
  const admin = org.admin;
  const groupsCache = new PromiseCache<string[]>({ maxEntries: 2000, maxBytes: 8 * 1024 * 1024, ttlMs: 30 * 60 * 1000 });
  const dirCache = new PromiseCache<string[]>({ maxEntries: 64, maxBytes: 1024 * 1024, ttlMs: 30 * 60 * 1000 });
  const cached = <T>(cache: PromiseCache<T>, ctx: CallContext, key: string, load: () => Promise<T>) => (ctx.activeSyncId ? cache.get(`${syncKey(ctx.activeSyncId)}|${key}`, load) : load());

  /** every group the role is assigned to on the resource */
  const grantingGroups = (role: AdminRole, ctx: CallContext) =>
    cached(groupsCache, ctx, `${role.roleId}|${role.resourceId}`, async () => {
      const out: string[] = [];
      let c: string | undefined;
      do {
        const page = await admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { roleIds: [role.roleId], resourceIds: [role.resourceId], limit: PAGE, cursor: c }, ctx);
        for (const g of page.data) out.push(g.id);
        c = page.nextCursor;
      } while (c);
      return out;
    });

  const directories = (ctx: CallContext) =>
    cached(dirCache, ctx, 'dirs', async () => {
      const out: string[] = [];
      let c: string | undefined;
      do {
        const page = await admin.directories(org.orgId, c, ctx);
        for (const d of page.data) if (d.directoryId) out.push(d.directoryId);
        c = page.nextCursor;
      } while (c);
      return out;
    });

  /** the account's assignments of the role (methods), from the directory that has it; undefined when no directory has the account */
  async function heldBy(accountId: string, role: AdminRole, ctx: CallContext): Promise<{ direct: boolean; methods: string[] } | undefined> {
    for (const d of await directories(ctx)) {
      try {
        const held = await admin.userRoleAssignments(org.orgId, d, accountId, { resourceIds: [role.resourceId], roleIds: [role.roleId] }, ctx);
        const methods = held.flatMap((h) => h.methods);
        // Atlassian not saying how a role is held counts as direct: shown, and revocable
        return { direct: held.length > 0 && (methods.length === 0 || methods.includes('direct')), methods };
      } catch (e) {
        if (isConnectorError(e) && e.kind === 'not-found') continue;
        throw e;
      }
    }
    return undefined;
  }

  async function grants(resource: Resource, roles: AdminRole[], token: string | undefined, ctx: CallContext): Promise<Page<Grant>> {
    const st = grantToken.decode(token) ?? { e: 0 };
    if (st.e >= roles.length) {
      if (token) throw invalidInput('page_token names an entitlement this resource no longer offers; send an empty token to start over');
      return { items: [] };
    }
    const role = roles[st.e];
    const groups = await grantingGroups(role, ctx);
    const items: Grant[] = st.c ? [] : groups.map((g) => groupGrant(resource, role.slug, g));
    const granting = new Set(groups);
    const page = await admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { roleIds: [role.roleId], resourceIds: [role.resourceId], expand: ['groups'], limit: PAGE, cursor: st.c }, ctx);
    const direct = await Promise.all(
      page.data.map(async (u) => {
        const viaGroup = (u.groups ?? []).some((g) => granting.has(g.id));
        if (!viaGroup) return true;
        if (!ADMINISTRATION.has(role.roleId)) return false;
        return (await heldBy(u.accountId, role, ctx))?.direct ?? false;
      }),
    );
    page.data.forEach((u, i) => {
      if (direct[i]) items.push(grant(resource, role.slug, rid(USER, u.accountId)));
    });
    const next = page.nextCursor ? { e: st.e, c: page.nextCursor } : st.e + 1 < roles.length ? { e: st.e + 1 } : undefined;
    return { items, nextPageToken: next ? grantToken.encode(next) : '' };
  }

  function provisioner(decode: (ent: Entitlement | undefined, field: string, ctx: CallContext) => Promise<{ resource: Resource; role: AdminRole }>): Provisioner {
    const audit = auditLog(dryRun);
    const inFlight = new KeyedLock();
    const principalKinds = { [USER]: 'accountId', [GROUP]: 'groupId' } as const;

    const refuseGroupOrgAdmin = (type: string, role: AdminRole) => {
      if (type === GROUP && role.roleId === ROLE_ID.orgAdmin)
        throw new ConnectorError(
          'precondition',
          'organization admin cannot be given to or taken from a group through the admin API (Atlassian assigns it to users only; the org-admins group no longer grants it); grant it to each user instead',
        );
    };

    /** changes the assignment when the state differs; answers whether it changed */
    const change = (add: boolean, type: string, id: string, role: AdminRole, ctx: CallContext): Promise<boolean> =>
      inFlight.run(`${type}|${id}|${role.roleId}|${role.resourceId}`, async () => {
        let changed: boolean;
        if (type === GROUP) {
          const dir = (await admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { groupIds: [id], limit: 10 }, ctx)).data.find((g) => g.id === id);
          if (!dir?.directoryId) throw new ConnectorError('precondition', `group ${id} is not a group of the organization's directories (roles are given to directory groups); nothing was changed`);
          const holds = (await admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { groupIds: [id], roleIds: [role.roleId], resourceIds: [role.resourceId], limit: 10 }, ctx)).data.some(
            (g) => g.id === id,
          );
          changed = holds !== add;
          if (changed) await (add ? admin.assignGroupRole : admin.revokeGroupRole)(org.orgId, dir.directoryId, id, role.roleId, role.resourceId, ctx);
        } else {
          const held = await heldBy(id, role, ctx);
          if (!held) throw new ConnectorError('precondition', `account ${id} is in none of the organization's directories: Atlassian gives roles only to its users; nothing was changed`);
          if (!add && !held.direct && held.methods.includes('group_direct'))
            throw new ConnectorError(
              'precondition',
              `account ${id} holds ${role.roleId} on ${role.resourceId} only through a group the role is assigned to; remove the membership or the group's role instead`,
            );
          changed = held.direct !== add;
          const resourceId = role.roleId === ROLE_ID.orgAdmin ? undefined : role.resourceId;
          if (changed) await (add ? admin.assignUserRole : admin.revokeUserRole)(org.orgId, id, role.roleId, resourceId, ctx);
        }
        audit(add ? 'administration role given' : 'administration role taken', { principalType: type, principalId: id, roleId: role.roleId, resourceId: role.resourceId, changed });
        if (changed) groupsCache.clear();
        return changed;
      });

    return {
      async grant(principal, ent, ctx): Promise<GrantResult> {
        const who = checkPrincipal(principal, principalKinds, 'principal');
        const { resource, role } = await decode(ent, 'entitlement', ctx);
        refuseGroupOrgAdmin(who.type, role);
        const changed = await change(true, who.type, who.id, role, ctx);
        const g = who.type === GROUP ? groupGrant(resource, role.slug, who.id) : grant(resource, role.slug, rid(USER, who.id));
        return { grants: [g], annotations: changed ? [] : [grantAlreadyExists()] };
      },
      async revoke(g, ctx): Promise<Any[]> {
        const who = checkPrincipal(g.principal, principalKinds, 'grant.principal');
        const { role } = await decode(g.entitlement, 'grant.entitlement', ctx);
        refuseGroupOrgAdmin(who.type, role);
        refuseInherited(g);
        const changed = await change(false, who.type, who.id, role, ctx);
        return changed ? [] : [grantAlreadyRevoked()];
      },
    };
  }

  return {
    grants,
    provisioner,
    dropSync(activeSyncId) {
      const k = syncKey(activeSyncId);
      groupsCache.dropSync(k);
      dirCache.dropSync(k);
    },
  };
}

/** The role an entitlement in a request names: of the resource's roles, by the slug its id ends with. */
export function roleOfEntitlement(ent: Entitlement | undefined, field: string, resourceId: ResourceId, roles: AdminRole[]): AdminRole {
  const prefix = entitlementId(resourceId.resourceType, resourceId.resource, '');
  const id = ent?.id ?? '';
  if (!id) throw invalidInput(`${field}.id is required: it names the role (${prefix}<role>)`);
  const role = id.startsWith(prefix) ? roles.find((r) => r.slug === id.slice(prefix.length)) : undefined;
  if (!role) throw invalidInput(`${field}.id ${JSON.stringify(id.slice(0, 200))} is not a role this ${resourceId.resourceType} offers`);
  return role;
}
