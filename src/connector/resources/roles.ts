/**
 * The roles of each project and the actors of each role, shared by the project and project-role
 * types. Lookups are cached per sync (keys start with a digest of active_sync_id) so one sync asks
 * Atlassian once per project for its roles and once per (project, role) for its actors, and they
 * are prefetched: when one role of a project is asked for, the actors of all its roles and of the
 * roles of the next projects in listing order are fetched concurrently, bounded by the client's
 * concurrency and rate limits. The Baton syncer asks one resource at a time, so this keeps the
 * sync bound by Atlassian's rate instead of by round trips. Writes drop the entries they change;
 * Cleanup drops a sync's entries; the caches are bounded in bytes.
 *
 * Project ids given here have been checked (numeric) by the caller.
 */
import type { CallContext } from '../types';
import type { JiraApi, JiraProjectRole, JiraProjectRoleDetails } from '../jira-api';
import { PromiseCache, SyncOrder, syncKey } from '../cache';
import { log } from '../../log';

export interface ProjectRoles {
  /**
   * The roles of a project. Company-managed ("classic") projects have exactly the site's global
   * roles (GET /role, once per sync); other projects, or when the style is unknown, are asked
   * directly (GET /project/{id}/roledetails). The style is only ever learnt from a listing.
   */
  rolesOf(projectId: string, ctx: CallContext): Promise<JiraProjectRoleDetails[]>;
  actorsOf(projectId: string, roleId: number, ctx: CallContext): Promise<JiraProjectRole>;
  /** records listed projects: their style (which roles they have) and order (for look-ahead prefetching) */
  noteProjects(projects: { id: string; style?: string }[], ctx: CallContext): void;
  /** after a write to (project, role) */
  invalidate(projectId: string, roleId: number): void;
  /** at Cleanup: drops the sync's entries */
  dropSync(activeSyncId: string | undefined): void;
}

const MAX_STYLES = 200_000;

export function projectRoles(api: JiraApi, lookahead = 2): ProjectRoles {
  const roleCache = new PromiseCache<JiraProjectRoleDetails[]>({ maxEntries: 20_000, maxBytes: 16 * 1024 * 1024 });
  const actorCache = new PromiseCache<JiraProjectRole>({ maxEntries: 50_000, maxBytes: 48 * 1024 * 1024 });
  // per sync: project ids in the order they were listed
  const order = new SyncOrder();

  const NO_CTX = { signal: undefined, deadline: undefined };
  // styles of listed projects (ids from Jira's own listing); an optimisation only: an unknown style means asking the project
  const styles = new Map<string, string>();
  const rolesOf = (projectId: string, ctx: CallContext) => {
    const sync = syncKey(ctx.activeSyncId);
    if (styles.get(projectId) === 'classic') return roleCache.get(`${sync}|*global*`, () => api.roles(NO_CTX));
    return roleCache.get(`${sync}|${projectId}`, () => api.projectRoleDetails(projectId, NO_CTX));
  };

  const actorsOfOne = (projectId: string, roleId: number, ctx: CallContext) => actorCache.get(`${syncKey(ctx.activeSyncId)}|${projectId}|${roleId}`, () => api.projectRole(projectId, roleId, NO_CTX));

  function prefetch(projectId: string, ctx: CallContext): void {
    const targets = [projectId, ...order.after(syncKey(ctx.activeSyncId), projectId, lookahead)];
    for (const p of targets) {
      rolesOf(p, ctx)
        .then((roles) => {
          for (const r of roles) actorsOfOne(p, r.id, ctx).catch(() => undefined);
        })
        .catch((e) => log().debug({ err: e, projectId: p }, 'prefetch of project roles failed; it will be fetched on demand'));
    }
  }

  return {
    rolesOf,
    async actorsOf(projectId, roleId, ctx) {
      const key = `${syncKey(ctx.activeSyncId)}|${projectId}|${roleId}`;
      if (!actorCache.peek(key) && ctx.activeSyncId) prefetch(projectId, ctx);
      return actorsOfOne(projectId, roleId, ctx);
    },
    noteProjects(projects, ctx) {
      for (const p of projects) {
        if (!p.style) continue;
        if (styles.size > MAX_STYLES) styles.clear();
        styles.set(p.id, p.style);
      }
      if (ctx.activeSyncId)
        order.note(
          syncKey(ctx.activeSyncId),
          projects.map((p) => p.id),
        );
    },
    invalidate(projectId, roleId) {
      actorCache.deleteWhere((k) => k.endsWith(`|${projectId}|${roleId}`));
    },
    dropSync(activeSyncId) {
      const sync = syncKey(activeSyncId);
      roleCache.dropSync(sync);
      actorCache.dropSync(sync);
      order.dropSync(sync);
    },
  };
}
