/**
 * The roles of each project and the actors of each role, shared by the project and project-role
 * types. Lookups are cached per sync (keyed by active_sync_id) so one sync asks Atlassian once per
 * project for its roles and once per (project, role) for its actors, and they are prefetched:
 * when one role of a project is asked for, the actors of all its roles and of the roles of the
 * next projects in listing order are fetched concurrently, bounded by the client's concurrency
 * and rate limits. The Baton syncer asks one resource at a time, so this keeps the sync bound by
 * Atlassian's rate instead of by round trips. Writes drop the entries they change.
 */
import type { CallContext } from '../types';
import type { JiraApi, JiraProjectRole, JiraRoleDetails } from '../jira-api';
import { PromiseCache } from '../cache';
import { log } from '../../log';

export interface ProjectRoles {
  /**
   * The roles of a project. Company-managed ("classic") projects have exactly the site's global
   * roles (GET /role, once per sync); other projects, or when the style is unknown, are asked
   * directly (GET /project/{id}/roledetails).
   */
  rolesOf(projectId: string, ctx: CallContext, style?: string): Promise<JiraRoleDetails[]>;
  actorsOf(projectId: string, roleId: number, ctx: CallContext): Promise<JiraProjectRole>;
  /** records listed projects: their style (which roles they have) and order (for look-ahead prefetching) */
  noteProjects(projects: { id: string; style?: string }[], ctx: CallContext): void;
  /** after a write to (project, role) */
  invalidate(projectId: string, roleId: number): void;
}

export function projectRoles(api: JiraApi, lookahead = 2): ProjectRoles {
  const roleCache = new PromiseCache<JiraRoleDetails[]>(20000);
  const actorCache = new PromiseCache<JiraProjectRole>(50000);
  // per sync: project ids in the order they were listed
  const order = new Map<string, { ids: string[]; index: Map<string, number> }>();
  const syncKey = (ctx: CallContext) => ctx.activeSyncId ?? 'no-sync';

  const NO_CTX = { signal: undefined, deadline: undefined };
  // styles of listed projects; an optimisation only: an unknown style means asking the project
  const styles = new Map<string, string>();
  const rolesOf = (projectId: string, ctx: CallContext, style?: string) => {
    if (style) {
      if (styles.size > 200000) styles.clear();
      styles.set(projectId, style);
    }
    if ((style ?? styles.get(projectId)) === 'classic') return roleCache.get(`${syncKey(ctx)}|*global*`, () => api.roles(NO_CTX));
    return roleCache.get(`${syncKey(ctx)}|${projectId}`, () => api.projectRoleDetails(projectId, NO_CTX));
  };

  const actorsOfOne = (projectId: string, roleId: number, ctx: CallContext) => actorCache.get(`${syncKey(ctx)}|${projectId}|${roleId}`, () => api.projectRole(projectId, roleId, NO_CTX));

  function prefetch(projectId: string, ctx: CallContext): void {
    const o = order.get(syncKey(ctx));
    const targets = [projectId];
    const i = o?.index.get(projectId);
    if (o && i !== undefined) for (let k = 1; k <= lookahead && i + k < o.ids.length; k++) targets.push(o.ids[i + k]);
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
      const key = `${syncKey(ctx)}|${projectId}|${roleId}`;
      if (!actorCache.peek(key) && ctx.activeSyncId) prefetch(projectId, ctx);
      return actorsOfOne(projectId, roleId, ctx);
    },
    noteProjects(projects, ctx) {
      for (const p of projects) {
        if (!p.style) continue;
        if (styles.size > 200000) styles.clear();
        styles.set(p.id, p.style);
      }
      const projectIds = projects.map((p) => p.id);
      if (!ctx.activeSyncId) return;
      let o = order.get(ctx.activeSyncId);
      if (!o) {
        o = { ids: [], index: new Map() };
        order.set(ctx.activeSyncId, o);
        while (order.size > 8) order.delete(order.keys().next().value as string);
      }
      for (const id of projectIds) {
        if (o.index.has(id)) continue;
        o.index.set(id, o.ids.length);
        o.ids.push(id);
      }
    },
    invalidate(projectId, roleId) {
      actorCache.deleteWhere((k) => k.endsWith(`|${projectId}|${roleId}`));
    },
  };
}
