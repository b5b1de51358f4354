/**
 * What the fake tenant holds, in the terms of the review: every (entitlement, principal) pair a
 * full sync with expansion must show, and per person / per project / findings as the report
 * should compute them. Built from the tenant's own query methods, never from a sync.
 */
import type { Tenant } from '../../../src/fake-atlassian';

/** BATON_JIRA_PROJECT_PERMISSIONS's default */
const PROJECT_PERMISSIONS = ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'];

export interface TenantTruth {
  /** "<entitlementId>|<principalType>:<principalId>" for direct grants */
  direct: Set<string>;
  /** direct and expanded */
  all: Set<string>;
}

/**
 * A project permission granted to a product stays that one grant (BATON_JIRA_EXPAND_PRODUCT_GRANTS
 * off, the default: no GrantExpandable; a review snapshot keeps it so too, isProductWide in
 * src/review/expand.ts), so its holders through the product are not rows; `expandProductGrants`:
 * as the platform (and the in-memory sink) expands it with the option on.
 */
export function accessTruth(t: Tenant, opts: { expandProductGrants?: boolean } = {}): TenantTruth {
  const site = new Set(t.users().map((u) => u.accountId));
  const members = (gid: string) => t.groupMembers(gid).filter((a) => site.has(a));
  const direct = new Set<string>();
  const all = new Set<string>();
  const d = (k: string) => (direct.add(k), all.add(k));
  for (const g of t.groups()) for (const a of members(g.groupId)) d(`group:${g.groupId}:member|user:${a}`);
  for (const p of t.projects()) {
    if (p.leadAccountId) d(`project:${p.id}:lead|user:${p.leadAccountId}`);
    for (const r of t.projectRoles(p.id)) {
      const rid = `${p.id}:${r.id}`;
      const ent = `project-role:${rid}:assigned`;
      d(`project:${p.id}:participate|project-role:${rid}`);
      const actors = t.roleActors(p.id, r.id);
      for (const u of actors.users) {
        d(`${ent}|user:${u}`);
        all.add(`project:${p.id}:participate|user:${u}`);
      }
      for (const g of actors.groups) {
        d(`${ent}|group:${g}`);
        for (const a of members(g)) {
          all.add(`${ent}|user:${a}`);
          all.add(`project:${p.id}:participate|user:${a}`);
        }
      }
    }
  }
  for (const a of t.applicationRoles()) {
    const ent = `application-role:${a.key}:assigned`;
    for (const g of a.groups) {
      d(`${ent}|group:${g}`);
      for (const m of members(g)) all.add(`${ent}|user:${m}`);
    }
  }
  // project permissions (BATON_JIRA_PROJECT_PERMISSIONS's default): direct grants from each company-managed project's scheme, holders from the model
  for (const p of t.projects()) {
    for (const key of PROJECT_PERMISSIONS) {
      const holders = t.projectPermissionHolders(p.id, key);
      if (holders.schemeId === null) continue;
      const ent = `project:${p.id}:permission:${key}`;
      for (const g of t.permissionScheme(holders.schemeId)!.permissions) {
        if (g.permission !== key) continue;
        const h = g.holder;
        if (h.type === 'projectRole') d(`${ent}|project-role:${p.id}:${h.value}`);
        else if (h.type === 'group') d(`${ent}|group:${h.value}`);
        else if (h.type === 'applicationRole') {
          for (const a of t.applicationRoles()) if (!h.parameter || h.parameter === a.key) d(`${ent}|application-role:${a.key}`);
        } else if (h.type === 'user') d(`${ent}|user:${h.value}`);
        else if (h.type === 'projectLead') d(`${ent}|project:${p.id}`);
      }
      if (opts.expandProductGrants) {
        for (const a of holders.accountIds) all.add(`${ent}|user:${a}`);
        continue;
      }
      // a grant to a product stays that one grant: expanded rows come from the other holders
      for (const g of t.permissionScheme(holders.schemeId)!.permissions) {
        if (g.permission !== key) continue;
        const h = g.holder;
        const add = (a: string) => site.has(a) && all.add(`${ent}|user:${a}`);
        if (h.type === 'projectRole') {
          const actors = t.roleActors(p.id, Number(h.value));
          actors.users.forEach(add);
          for (const gid of actors.groups) members(gid).forEach(add);
        } else if (h.type === 'group' && h.value) members(h.value).forEach(add);
        else if (h.type === 'user' && h.value) add(h.value);
        else if (h.type === 'projectLead' && p.leadAccountId) add(p.leadAccountId);
      }
    }
  }
  return { direct, all };
}

export interface PersonTruth {
  groups: string[];
  products: string[];
  roles: string[];
  projects: string[];
  /** projects whose ADMINISTER_PROJECTS the person holds by the scheme model */
  administers: string[];
  /** administrative access as the report judges it with permissions synced (ADMINISTER_PROJECTS anywhere) */
  admin: boolean;
}

export function peopleTruth(t: Tenant): Map<string, PersonTruth> {
  const site = new Set(t.users().map((u) => u.accountId));
  const administers = new Map<string, string[]>();
  for (const p of t.projects()) for (const a of t.projectPermissionHolders(p.id, 'ADMINISTER_PROJECTS').accountIds) (administers.get(a) ?? administers.set(a, []).get(a)!).push(p.key);
  const groupsOf = new Map<string, string[]>();
  for (const g of t.groups()) for (const a of t.groupMembers(g.groupId)) if (site.has(a)) (groupsOf.get(a) ?? groupsOf.set(a, []).get(a)!).push(g.groupId);
  const groupName = new Map(t.groups().map((g) => [g.groupId, g.name]));
  const out = new Map<string, PersonTruth>();
  for (const u of t.users()) {
    const gids = new Set(groupsOf.get(u.accountId) ?? []);
    const products = t
      .applicationRoles()
      .filter((a) => a.groups.some((g) => gids.has(g)))
      .map((a) => a.name);
    const roles: string[] = [];
    const projects = new Set<string>();
    for (const p of t.projects()) {
      if (p.leadAccountId === u.accountId) projects.add(p.key);
      for (const r of t.projectRoles(p.id)) {
        const a = t.roleActors(p.id, r.id);
        if (a.users.includes(u.accountId) || a.groups.some((g) => gids.has(g))) {
          roles.push(`${p.key}: ${r.name}`);
          projects.add(p.key);
        }
      }
    }
    const groups = [...gids].map((g) => groupName.get(g)!);
    const adm = (administers.get(u.accountId) ?? []).sort();
    out.set(u.accountId, { groups: groups.sort(), products: products.sort(), roles: roles.sort(), projects: [...projects].sort(), administers: adm, admin: adm.length > 0 });
  }
  return out;
}

export interface ProjectTruth {
  people: number;
  direct: number;
  throughGroups: number;
  inactive: number;
}

export function projectsTruth(t: Tenant): Map<string, ProjectTruth> {
  const site = new Set(t.users().map((u) => u.accountId));
  const out = new Map<string, ProjectTruth>();
  for (const p of t.projects()) {
    const all = new Set<string>();
    const direct = new Set<string>();
    const viaGroup = new Set<string>();
    if (p.leadAccountId) all.add(p.leadAccountId);
    for (const r of t.projectRoles(p.id)) {
      const a = t.roleActors(p.id, r.id);
      for (const u of a.users) {
        all.add(u);
        direct.add(u);
      }
      for (const g of a.groups)
        for (const m of t.groupMembers(g)) {
          if (!site.has(m)) continue;
          all.add(m);
          viaGroup.add(m);
        }
    }
    const inactive = [...all].filter((a) => {
      const u = t.user(a);
      return u && !t.isActiveInJira(u);
    }).length;
    out.set(p.key, { people: all.size, direct: direct.size, throughGroups: viaGroup.size, inactive });
  }
  return out;
}

/** Projects some configured permission of which is granted to anyone (anonymous access), as "KEY (name)". */
export function openProjectsTruth(t: Tenant): string[] {
  return t
    .projects()
    .filter((p) => PROJECT_PERMISSIONS.some((k) => t.projectPermissionHolders(p.id, k).anyone))
    .map((p) => `${p.key} (${p.name})`)
    .sort();
}
