/**
 * The fake organization's administration roles: who holds organization admin, site admin, user
 * access admin and the product roles (admin / user / basic / guest) of each Jira product, assigned
 * to users directly or to groups (every member of an assigned group holds the role).
 *
 * Role ids are the admin API's (`atlassian/org-admin`, `atlassian/site-admin`, ...; atlassian-api.md
 * §4.2); a role is held on a resource named by its ARI: the organization
 * (`ari:cloud:platform::org/<orgId>`), the site (`ari:cloud:platform::site/<cloudId>`) or one product
 * of the site (`ari:cloud:<productKey>::site/<cloudId>`).
 *
 * The model is seeded from the tenant (deterministically: fixed accounts and well-known groups) and
 * kept per Tenant object; the v2 search filters (`roleIds` with `resourceIds`), the role-assignments
 * routes (admin-role-routes.ts) and the tests' ground truth all read it.
 */
import type { Tenant } from './tenant';

export const ADMIN_ROLE = {
  orgAdmin: 'atlassian/org-admin',
  siteAdmin: 'atlassian/site-admin',
  userAccessAdmin: 'atlassian/user-access-admin',
  admin: 'atlassian/admin',
  user: 'atlassian/user',
  basic: 'atlassian/basic',
  guest: 'atlassian/guest',
} as const;

/** Roles held on a product of the site. */
export const PRODUCT_ROLES: readonly string[] = [ADMIN_ROLE.admin, ADMIN_ROLE.user, ADMIN_ROLE.basic, ADMIN_ROLE.guest];

export const orgAri = (orgId: string) => `ari:cloud:platform::org/${orgId}`;
export const platformSiteAri = (cloudId: string) => `ari:cloud:platform::site/${cloudId}`;
export const productAri = (productKey: string, cloudId: string) => `ari:cloud:${productKey}::site/${cloudId}`;

export interface RoleAssignment {
  kind: 'user' | 'group';
  /** accountId or groupId */
  id: string;
  roleId: string;
  resourceId: string;
}

export interface HeldRole {
  roleId: string;
  resourceId: string;
  /** 'direct', or the id of the group it comes through */
  via: string;
}

export class AdminRoles {
  private readonly list: RoleAssignment[] = [];

  constructor(private readonly t: Tenant) {
    this.seed();
  }

  /** the resources a role may be held on in this tenant */
  resources(): { org: string; site: string; products: { key: string; ari: string }[] } {
    const t = this.t;
    return { org: orgAri(t.orgId), site: platformSiteAri(t.cloudId), products: t.applicationRoles().map((r) => ({ key: r.key, ari: productAri(r.key, t.cloudId) })) };
  }

  /** whether a role can be held on that resource (org-admin on the org, site roles on the site, product roles on a product) */
  validPair(roleId: string, resourceId: string): boolean {
    const r = this.resources();
    if (roleId === ADMIN_ROLE.orgAdmin) return resourceId === r.org;
    if (roleId === ADMIN_ROLE.siteAdmin || roleId === ADMIN_ROLE.userAccessAdmin) return resourceId === r.site;
    return PRODUCT_ROLES.includes(roleId) && r.products.some((p) => p.ari === resourceId);
  }

  private seed(): void {
    const t = this.t;
    const r = this.resources();
    const listed = t.users().filter((u) => u.accountType === 'atlassian' && u.directoryId !== null && t.isActiveInJira(u));
    const pick = (i: number) => listed[Math.min(i, listed.length - 1)].accountId;
    const groupId = (name: string) => t.group(name)?.groupId;
    const add = (kind: 'user' | 'group', id: string | undefined, roleId: string, resourceId: string) => {
      if (id) this.assign(kind, id, roleId, resourceId);
    };
    add('user', t.adminAccountId, ADMIN_ROLE.orgAdmin, r.org);
    add('user', pick(3), ADMIN_ROLE.orgAdmin, r.org);
    add('group', groupId('site-admins'), ADMIN_ROLE.siteAdmin, r.site);
    // also a member of site-admins: a direct assignment next to the group's
    add('user', t.adminAccountId, ADMIN_ROLE.siteAdmin, r.site);
    add('user', pick(4), ADMIN_ROLE.siteAdmin, r.site);
    add('user', pick(5), ADMIN_ROLE.userAccessAdmin, r.site);
    for (const [i, p] of r.products.entries()) {
      add('group', groupId('jira-administrators'), ADMIN_ROLE.admin, p.ari);
      for (const g of t.applicationRoles().find((a) => a.key === p.key)?.groups ?? []) add('group', g, ADMIN_ROLE.user, p.ari);
      add('user', pick(6 + i), i === 0 ? ADMIN_ROLE.guest : ADMIN_ROLE.basic, p.ari);
    }
    if (r.products[1]) add('user', pick(9), ADMIN_ROLE.admin, r.products[1].ari);
  }

  assignments(): RoleAssignment[] {
    return this.list.map((a) => ({ ...a }));
  }

  private find(kind: 'user' | 'group', id: string, roleId: string, resourceId: string): number {
    return this.list.findIndex((a) => a.kind === kind && a.id === id && a.roleId === roleId && a.resourceId === resourceId);
  }

  hasAssignment(kind: 'user' | 'group', id: string, roleId: string, resourceId: string): boolean {
    return this.find(kind, id, roleId, resourceId) >= 0;
  }

  /** true when it changed anything */
  assign(kind: 'user' | 'group', id: string, roleId: string, resourceId: string): boolean {
    if (this.hasAssignment(kind, id, roleId, resourceId)) return false;
    this.list.push({ kind, id, roleId, resourceId });
    this.t.version++;
    return true;
  }

  revoke(kind: 'user' | 'group', id: string, roleId: string, resourceId: string): boolean {
    const i = this.find(kind, id, roleId, resourceId);
    if (i < 0) return false;
    this.list.splice(i, 1);
    this.t.version++;
    return true;
  }

  /** every role an account holds, directly or through a group (one entry per path) */
  rolesOfUser(accountId: string): HeldRole[] {
    const out: HeldRole[] = [];
    for (const a of this.list) {
      if (a.kind === 'user' && a.id === accountId) out.push({ roleId: a.roleId, resourceId: a.resourceId, via: 'direct' });
      else if (a.kind === 'group' && this.t.isGroupMember(a.id, accountId)) out.push({ roleId: a.roleId, resourceId: a.resourceId, via: a.id });
    }
    return out;
  }

  rolesOfGroup(groupId: string): RoleAssignment[] {
    return this.list.filter((a) => a.kind === 'group' && a.id === groupId).map((a) => ({ ...a }));
  }

  /** whether an account holds one of the roles (on one of the resources, when given), directly or through a group */
  userHolds(accountId: string, roleIds: readonly string[], resourceIds?: readonly string[]): boolean {
    return this.rolesOfUser(accountId).some((h) => roleIds.includes(h.roleId) && (!resourceIds || resourceIds.includes(h.resourceId)));
  }

  groupHolds(groupId: string, roleIds: readonly string[], resourceIds?: readonly string[]): boolean {
    return this.list.some((a) => a.kind === 'group' && a.id === groupId && roleIds.includes(a.roleId) && (!resourceIds || resourceIds.includes(a.resourceId)));
  }

  /** Ground truth: every account holding the role on the resource (direct users and members of assigned groups). */
  holders(roleId: string, resourceId: string): Set<string> {
    const out = new Set<string>();
    for (const a of this.list) {
      if (a.roleId !== roleId || a.resourceId !== resourceId) continue;
      if (a.kind === 'user') out.add(a.id);
      else for (const u of this.t.allAccounts()) if (this.t.isGroupMember(a.id, u.accountId)) out.add(u.accountId);
    }
    return out;
  }

  /** every (role, resource) pair the tenant offers */
  pairs(): { roleId: string; resourceId: string }[] {
    const r = this.resources();
    return [
      { roleId: ADMIN_ROLE.orgAdmin, resourceId: r.org },
      { roleId: ADMIN_ROLE.siteAdmin, resourceId: r.site },
      { roleId: ADMIN_ROLE.userAccessAdmin, resourceId: r.site },
      ...r.products.flatMap((p) => PRODUCT_ROLES.map((roleId) => ({ roleId, resourceId: p.ari }))),
    ];
  }
}

const models = new WeakMap<Tenant, AdminRoles>();

/** The administration roles of a tenant (created and seeded on first use). */
export function adminRoles(t: Tenant): AdminRoles {
  let m = models.get(t);
  if (!m) {
    m = new AdminRoles(t);
    models.set(t, m);
  }
  return m;
}
