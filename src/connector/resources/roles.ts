/**
 * The roles of each project and the actors of each role, shared by the project and project-role
 * types. The role lists are cached per sync (keys start with a digest of active_sync_id): several
 * calls read them. The actors are read once per (project, role) and sync through the connector's
 * prefetcher (prefetch.ts): every project a listing page names has its roles and then the actors
 * of each role queued at once, so whatever order the syncer lists grants in, they are fetched
 * ahead and once. Writes discard the actors they change; Cleanup drops a sync's entries.
 *
 * Project ids given here have been checked (numeric) by the caller.
 */
import type { CallContext } from '../types';
import type { JiraApi, JiraProjectRole, JiraProjectRoleDetails } from '../jira-api';
import { PromiseCache, syncKey } from '../cache';
import { BACKGROUND, type Prefetcher } from '../prefetch';
import type { RequestContext } from '../jira-api';

/** A role's actors as its grants need them (the rest of Jira's answer is not kept). */
export interface RoleActors {
  id: number;
  name: string;
  actors: { type: string; displayName?: string; actorUser?: { accountId: string }; actorGroup?: { groupId: string } }[];
}

export interface ProjectRoles {
  /**
   * The roles of a project. Company-managed ("classic") projects have exactly the site's global
   * roles (GET /role, once per sync); other projects, or when the style is unknown, are asked
   * directly (GET /project/{id}/roledetails). The style is only ever learnt from a listing.
   */
  rolesOf(projectId: string, ctx: CallContext): Promise<JiraProjectRoleDetails[]>;
  actorsOf(projectId: string, roleId: number, ctx: CallContext): Promise<RoleActors>;
  /** records listed projects: their style (which roles they have) and order (for look-ahead prefetching) */
  noteProjects(projects: { id: string; style?: string }[], ctx: CallContext): void;
  /** after a write to (project, role) */
  invalidate(projectId: string, roleId: number): void;
  /** at Cleanup: drops the sync's entries */
  dropSync(activeSyncId: string | undefined): void;
}

const MAX_STYLES = 200_000;

export function projectRoles(api: JiraApi, prefetch?: Prefetcher): ProjectRoles {
  const roleCache = new PromiseCache<JiraProjectRoleDetails[]>({ maxEntries: 20_000, maxBytes: 16 * 1024 * 1024 });

  // styles of listed projects (ids from Jira's own listing); an optimisation only: an unknown style means asking the project
  const styles = new Map<string, string>();
  const rolesOf = (projectId: string, ctx: CallContext) => {
    const sync = syncKey(ctx.activeSyncId);
    if (styles.get(projectId) === 'classic') return roleCache.get(`${sync}|*global*`, () => api.roles(BACKGROUND));
    return roleCache.get(`${sync}|${projectId}`, () => api.projectRoleDetails(projectId, BACKGROUND));
  };
  const actorsKey = (projectId: string, roleId: number) => `actors|${projectId}|${roleId}`;
  const readActors = async (projectId: string, roleId: number, ctx: RequestContext) => compactRole(await api.projectRole(projectId, roleId, ctx));

  return {
    rolesOf,
    async actorsOf(projectId, roleId, ctx) {
      const read = () => readActors(projectId, roleId, ctx);
      if (!ctx.activeSyncId || !prefetch) return read();
      return prefetch.take(syncKey(ctx.activeSyncId), actorsKey(projectId, roleId), read);
    },
    noteProjects(projects, ctx) {
      for (const p of projects) {
        if (!p.style) continue;
        if (styles.size > MAX_STYLES) styles.clear();
        styles.set(p.id, p.style);
      }
      if (!ctx.activeSyncId || !prefetch) return;
      // the roles of every listed project, then the actors of each role: all of them will be asked for in this sync
      const sync = syncKey(ctx.activeSyncId);
      for (const p of projects)
        prefetch.want(sync, `roles|${p.id}`, () => rolesOf(p.id, ctx), {
          store: false,
          then: (roles) => {
            for (const r of roles) prefetch.want(sync, actorsKey(p.id, r.id), () => readActors(p.id, r.id, BACKGROUND), { sizeOf: roleBytes });
          },
        });
    },
    invalidate(projectId, roleId) {
      prefetch?.discard(actorsKey(projectId, roleId));
    },
    dropSync(activeSyncId) {
      const sync = syncKey(activeSyncId);
      roleCache.dropSync(sync);
    },
  };
}

/** A role as its grants need it: each actor's type, name (for warnings) and account or group id. */
function compactRole(r: JiraProjectRole): RoleActors {
  return {
    id: r.id,
    name: r.name,
    actors: (r.actors ?? []).map((a) => ({
      type: a.type,
      displayName: a.displayName,
      actorUser: a.actorUser?.accountId !== undefined ? { accountId: a.actorUser.accountId } : undefined,
      actorGroup: a.actorGroup?.groupId !== undefined ? { groupId: a.actorGroup.groupId } : undefined,
    })),
  };
}

/** About what a compact role holds in memory (objects and strings, not their JSON). */
function roleBytes(r: RoleActors): number {
  let n = 120 + 2 * r.name.length;
  for (const a of r.actors ?? []) n += 160 + 2 * ((a.displayName?.length ?? 0) + a.type.length + (a.actorUser?.accountId?.length ?? 0) + (a.actorGroup?.groupId?.length ?? 0));
  return n;
}
