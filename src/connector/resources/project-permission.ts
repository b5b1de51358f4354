/**
 * Project permissions (BATON_JIRA_PROJECT_PERMISSIONS) as entitlements of the `project` resource,
 * with grants read from the project's permission scheme.
 *
 * Each company-managed project gets one entitlement per configured permission key, slug
 * `permission:<KEY>` (e.g. `project:10001:permission:BROWSE_PROJECTS`). The scheme's grants of that
 * permission become grants whose expansion yields exactly the accounts Jira gives it to:
 *   projectRole      → the project's project-role resource, expandable from its `assigned`
 *   group            → the group, expandable from its `member`
 *   applicationRole  → the application-role resource (without a product key: every one of the site's);
 *                      a product-wide grant: held by every licensed user of the product. By default it
 *                      is NOT expandable (GrantMetadata says whom it stands for, and the project profile
 *                      lists it in `open_to_product_users`): with Jira's default scheme it would become
 *                      one grant per licensed user per project (13.7 M at tier L, which the platform's
 *                      syncer spends about a minute expanding and indexing after its last request).
 *                      BATON_JIRA_EXPAND_PRODUCT_GRANTS=true makes it expandable from `assigned`.
 *   user             → the user, directly
 *   projectLead      → the project itself, expandable from its `lead`
 * `anyone` (anonymous access) is no grant: the project's profile lists the keys in `open_to_anyone`.
 * Issue-level holders (reporter, assignee, user or group custom fields, ...) depend on each issue:
 * no grant either; the profile lists them in `conditional_access`. Team-managed projects have no
 * permission scheme; their profile says so and their roles (`participate`) stay the answer.
 *
 * Cost per sync: GET /permissionscheme?expand=permissions once (every scheme with its grants), and
 * GET /project/{id}/permissionscheme once per company-managed project (Jira has no bulk way to read
 * which scheme a project uses). A grant to every product uses the application roles the
 * application-role type lists anyway (the same per-sync read).
 * Everything is cached per sync (keys start with a digest of active_sync_id) and dropped at Cleanup.
 */
import type { Resource } from '../../gen/c1/connector/v2/resource';
import type { Entitlement } from '../../gen/c1/connector/v2/entitlement';
import type { Grant } from '../../gen/c1/connector/v2/grant';
import type { CallContext } from '../types';
import type { JiraApi, JiraPermissionScheme } from '../jira-api';
import { entitlement, grant, rid } from './common';
import { grantExpandable, grantImmutable, grantMetadata } from '../anno';
import { PromiseCache, syncKey } from '../cache';
import { userType, USER } from './user';
import { groupType, GROUP, MEMBER } from './group';
import { PROJECT_ROLE, projectRoleType, ASSIGNED } from './project-role';
import { APPLICATION_ROLE, applicationRoleType, SEAT, type ApplicationRoleList } from './application-role';
import { projectRoleId } from '../ids';
import type { ProjectRoles } from './roles';
import { isId } from '../../id-shapes';
import { log } from '../../log';

export const PERMISSION_PREFIX = 'permission:';
const TEAM_MANAGED = 'none: team-managed project (no permission scheme; access comes from its roles and its access level)';
/** holder types Jira resolves per issue: never a grant on the project */
const ISSUE_LEVEL = new Set(['reporter', 'assignee', 'userCustomField', 'groupCustomField', 'reporterWithCreatePermission', 'assigneeWithAssignablePermission']);

type Scheme = JiraPermissionScheme;

/** BATON_JIRA_PROJECT_PERMISSIONS=all: every key GET /permissions lists with type PROJECT */
export const ALL_PROJECT_PERMISSIONS = 'ALL';

export interface ProjectPermissions {
  /** the configured permission keys (none: the feature is off; [ALL]: every project permission Jira lists) */
  readonly keys: readonly string[];
  /** records listed projects' styles (only company-managed projects have a scheme) */
  noteProjects(projects: { id: string; style?: string }[], ctx: CallContext): void;
  /** profile fields of a project: its scheme, `open_to_anyone`, `open_to_product_users`, `conditional_access` */
  profile(projectId: string, style: string | undefined, ctx: CallContext): Promise<Record<string, unknown>>;
  entitlements(resource: Resource, projectId: string, ctx: CallContext): Promise<Entitlement[]>;
  grants(resource: Resource, projectId: string, lead: string, ctx: CallContext): Promise<Grant[]>;
  dropSync(activeSyncId: string | undefined): void;
}

export function permissionSlug(key: string): string {
  return `${PERMISSION_PREFIX}${key}`;
}

export interface ProjectPermissionOptions {
  /** BATON_JIRA_EXPAND_PRODUCT_GRANTS: a grant to a product is expandable to its users */
  expandProductGrants?: boolean;
}

/** The metadata of a product-wide grant kept as one grant (not expanded). */
function productWideMetadata(productKey: string, anyProduct: boolean): Record<string, unknown> {
  return {
    product_wide: true,
    holders: `every account holding ${APPLICATION_ROLE}:${productKey}:${SEAT}`,
    scheme_holder: anyProduct ? 'applicationRole (any product access)' : `applicationRole ${productKey}`,
    expand_with: 'BATON_JIRA_EXPAND_PRODUCT_GRANTS=true',
  };
}

export function projectPermissions(api: JiraApi, roles: ProjectRoles, applicationRoles: ApplicationRoleList, keys: readonly string[], opts: ProjectPermissionOptions = {}): ProjectPermissions {
  const schemes = new PromiseCache<Map<number, Scheme>>({ maxEntries: 64, maxBytes: 32 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: (m) => 4096 * Math.max(1, m.size) });
  const schemeIds = new PromiseCache<number>({ maxEntries: 200_000, maxBytes: 16 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: () => 64 });
  const styles = new PromiseCache<string>({ maxEntries: 200_000, maxBytes: 16 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: (v) => v.length + 16 });

  // outside a sync (GetResource) nothing is cached: each call asks
  const cached = <T>(cache: PromiseCache<T>, ctx: CallContext, key: string, load: () => Promise<T>) => (ctx.activeSyncId ? cache.get(`${syncKey(ctx.activeSyncId)}|${key}`, load) : load());
  const allSchemes = (ctx: CallContext) => cached(schemes, ctx, '', async () => new Map((await api.permissionSchemes(ctx)).map((s) => [s.id, s])));
  const styleOf = (projectId: string, ctx: CallContext) => cached(styles, ctx, projectId, async () => (await api.getProject(projectId, ctx)).style ?? '');
  const schemeOf = async (projectId: string, ctx: CallContext): Promise<Scheme | undefined> => {
    const id = await cached(schemeIds, ctx, projectId, async () => (await api.projectPermissionScheme(projectId, ctx)).id);
    return (await allSchemes(ctx)).get(id);
  };
  const appRoleKeys = async (ctx: CallContext) => (await applicationRoles.all(ctx)).map((a) => a.key);
  // `all`: the keys of type PROJECT that GET /permissions lists, read once per sync
  const listed = new PromiseCache<string[]>({ maxEntries: 64, maxBytes: 4 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: (v) => 64 * Math.max(1, v.length) });
  const everyKey = keys.includes(ALL_PROJECT_PERMISSIONS);
  const keysFor = async (ctx: CallContext): Promise<readonly string[]> =>
    everyKey
      ? cached(listed, ctx, 'keys', async () =>
          (await api.allPermissions(ctx))
            .filter((p) => p.type === 'PROJECT' && isId('permissionKey', p.key))
            .map((p) => p.key)
            .sort(),
        )
      : keys;
  const companyManaged = (style: string | undefined) => style === 'classic';

  return {
    keys,
    noteProjects(projects, ctx) {
      if (!ctx.activeSyncId || !keys.length) return;
      for (const p of projects) if (p.style !== undefined) styles.set(`${syncKey(ctx.activeSyncId)}|${p.id}`, p.style);
    },
    async profile(projectId, style, ctx) {
      if (!keys.length) return {};
      const wantedKeys = await keysFor(ctx);
      if (!companyManaged(style)) return { permission_scheme: TEAM_MANAGED };
      const s = await schemeOf(projectId, ctx);
      if (!s) return { permission_scheme: 'unknown (the project names a scheme Jira did not list)' };
      const wanted = new Set(wantedKeys);
      const anyone = new Set<string>();
      const products = new Set<string>();
      const conditional = new Set<string>();
      for (const g of s.permissions) {
        if (!wanted.has(g.permission) || !g.holder) continue;
        if (g.holder.type === 'anyone') anyone.add(g.permission);
        else if (g.holder.type === 'applicationRole') products.add(`${g.permission}: ${g.holder.value ?? g.holder.parameter ?? 'any product'}`);
        else if (ISSUE_LEVEL.has(g.holder.type)) conditional.add(`${g.permission}: ${g.holder.type}${g.holder.parameter ? ` (${g.holder.parameter})` : ''}`);
      }
      return { permission_scheme: s.name, permission_scheme_id: s.id, open_to_anyone: [...anyone].sort(), open_to_product_users: [...products].sort(), conditional_access: [...conditional].sort() };
    },
    async entitlements(resource, projectId, ctx) {
      if (!keys.length || !companyManaged(await styleOf(projectId, ctx))) return [];
      const wantedKeys = await keysFor(ctx);
      const name = resource.displayName || resource.id?.resource || '';
      return wantedKeys.map((key) =>
        entitlement(resource, {
          slug: permissionSlug(key),
          displayName: `${name} ${key}`,
          description: `Holds the project permission ${key} on ${name} through the project's permission scheme (role, group, product access, user or project lead)`,
          grantableTo: [userType, groupType, projectRoleType, applicationRoleType],
          purpose: 'permission',
        }),
      );
    },
    async grants(resource, projectId, lead, ctx) {
      if (!keys.length) return [];
      if (!companyManaged(await styleOf(projectId, ctx))) return [];
      const s = await schemeOf(projectId, ctx);
      if (!s) return [];
      const wanted = new Set(await keysFor(ctx));
      const out = new Map<string, Grant>();
      const add = (g: Grant) => out.set(g.id, g);
      let roleIds: Set<number> | undefined;
      for (const g of s.permissions) {
        const h = g.holder;
        if (!wanted.has(g.permission) || !h) continue;
        const slug = permissionSlug(g.permission);
        switch (h.type) {
          case 'projectRole': {
            roleIds ??= new Set((await roles.rolesOf(projectId, ctx)).map((r) => r.id));
            const roleId = Number(h.value ?? h.parameter);
            if (!roleIds.has(roleId)) break; // a role the project does not have
            const roleRes = rid(PROJECT_ROLE, projectRoleId(projectId, roleId));
            add(grant(resource, slug, roleRes, [grantExpandable([`${PROJECT_ROLE}:${roleRes.resource}:${ASSIGNED}`], [USER]), grantImmutable()]));
            break;
          }
          case 'group': {
            const gid = h.value;
            if (!gid || !isId('groupId', gid)) {
              log().warn({ projectId, permission: g.permission, schemeId: s.id }, 'a scheme grant names a group without a usable groupId; left out');
              break;
            }
            add(grant(resource, slug, rid(GROUP, gid), [grantExpandable([`${GROUP}:${gid}:${MEMBER}`], [USER]), grantImmutable()]));
            break;
          }
          case 'applicationRole': {
            const key = h.value ?? h.parameter;
            const targets = key ? [key] : await appRoleKeys(ctx);
            for (const k of targets) {
              if (!isId('applicationRoleKey', k)) continue;
              const how = opts.expandProductGrants ? grantExpandable([`${APPLICATION_ROLE}:${k}:${SEAT}`], [USER]) : grantMetadata(productWideMetadata(k, !key));
              add(grant(resource, slug, rid(APPLICATION_ROLE, k), [how, grantImmutable()]));
            }
            break;
          }
          case 'user': {
            const accountId = h.value ?? h.parameter;
            if (accountId && isId('accountId', accountId)) add(grant(resource, slug, rid(USER, accountId), [grantImmutable()]));
            break;
          }
          case 'projectLead':
            if (lead) add(grant(resource, slug, resource.id!, [grantExpandable([`${resource.id!.resourceType}:${resource.id!.resource}:lead`], [USER]), grantImmutable()]));
            break;
          default:
          // anyone and issue-level holders: in the profile, not grants; other types (e.g. sd.customer.portal.only) are not project-wide
        }
      }
      return [...out.values()];
    },
    dropSync(activeSyncId) {
      const k = syncKey(activeSyncId);
      schemes.dropSync(k);
      schemeIds.dropSync(k);
      styles.dropSync(k);
      listed.dropSync(k);
    },
  };
}
