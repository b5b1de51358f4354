/**
 * project: every project (or those in BATON_JIRA_PROJECT_KEYS), with `lead` and `participate`.
 *
 * Participation comes from the project's role actors, not from the 1,000-capped "users with
 * browse permission" search: for each role of the project there is one `participate` grant whose
 * principal is the project-role resource, carrying GrantExpandable(project-role:<p>:<r>:assigned).
 * Grant expansion then gives participation to every user holding the role, directly or through a
 * group (whose own role grant expands group:<g>:member). It costs no upstream request beyond the
 * project's role list, which listing the project's roles needs anyway (shared through the cache).
 *
 * Project permissions (BATON_JIRA_PROJECT_PERMISSIONS) add one `permission:<KEY>` entitlement per
 * key to company-managed projects, with grants from the project's permission scheme, and the scheme,
 * `open_to_anyone`, `open_to_product_users` and `conditional_access` to the profile: see project-permission.ts.
 */
import { z } from 'zod';
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { JiraApi, JiraProject } from '../jira-api';
import { entitlement, grant, resourceType, rid, idOf } from './common';
import { childResourceType, externalLink, grantExpandable, grantImmutable } from '../anno';
import { pageToken, refuseToken, startAt } from '../pagetoken';
import { PromiseCache, syncKey } from '../cache';
import { listingPage, type Prefetcher } from '../prefetch';
import { userType, USER } from './user';
import { PROJECT_ROLE, projectRoleType, ASSIGNED } from './project-role';
import { projectRoleId } from '../ids';
import type { ProjectRoles } from './roles';
import { invalidInput, ConnectorError } from '../../errors';
import type { ProjectPermissions } from './project-permission';
import { log } from '../../log';

export const PROJECT = 'project';
export const LEAD = 'lead';
export const PARTICIPATE = 'participate';
const PAGE = 100; // project/search silently clamps maxResults to 100
const KEYS_PER_REQUEST = 50; // project/search accepts at most 50 keys

/** `c`: which chunk of the configured project keys (at most 50 per request), `s`: offset within it. */
const listToken = pageToken('project', 1, z.strictObject({ c: z.number().int().nonnegative().max(100_000), s: startAt }));

export const projectType = resourceType(PROJECT, 'Project', 'A Jira project; its roles are listed as project-role resources', []);

export interface ProjectOptions {
  projectKeys: string[];
  skipParticipants: boolean;
  linkBase?: string;
  /** project permissions as entitlements (none when absent or with no keys) */
  permissions?: ProjectPermissions;
  /** told of every listed page (names for project-role resources, order and style for prefetching) */
  onListed?: (projects: JiraProject[], ctx: CallContext) => void;
  /** further child resource types of a project (work-item, when synced) */
  childTypes?: string[];
  /** the connector's prefetcher: the next page is on its way while the syncer handles this one */
  prefetch?: Prefetcher;
}

export function projectResource(p: JiraProject, linkBase?: string, extraProfile: Record<string, unknown> = {}, childTypes: string[] = []): Resource {
  const profile: Record<string, unknown> = {
    project_id: p.id,
    key: p.key,
    name: p.name,
    project_type: p.projectTypeKey ?? '',
    style: p.style ?? '',
    lead_account_id: p.lead?.accountId ?? '',
    lead_display_name: p.lead?.displayName ?? '',
    ...extraProfile,
  };
  const annotations = [childResourceType(PROJECT_ROLE), ...childTypes.map(childResourceType)];
  if (linkBase) annotations.push(externalLink(`${linkBase}/browse/${encodeURIComponent(p.key)}`));
  return Resource.fromPartial({
    id: rid(PROJECT, p.id),
    displayName: p.name,
    description: `${p.key}${p.projectTypeKey ? ` (${p.projectTypeKey})` : ''}`,
    annotations,
    profile,
  });
}

export function projectSyncer(api: JiraApi, roles: ProjectRoles, opts: ProjectOptions): ResourceSyncer {
  const keyChunks: string[][] = [];
  for (let i = 0; i < opts.projectKeys.length; i += KEYS_PER_REQUEST) keyChunks.push(opts.projectKeys.slice(i, i + KEYS_PER_REQUEST));
  // each project's lead as listed in this sync; a project not listed in this sync is read (never taken from a profile)
  const leads = new PromiseCache<string>({ maxEntries: 200_000, maxBytes: 16 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: (v) => v.length + 16 });
  const readLead = async (projectId: string, ctx: CallContext) => (await api.getProject(projectId, ctx)).lead?.accountId ?? '';
  const leadOf = (projectId: string, ctx: CallContext) => (ctx.activeSyncId ? leads.get(`${syncKey(ctx.activeSyncId)}|${projectId}`, () => readLead(projectId, ctx)) : readLead(projectId, ctx));
  const perms = opts.permissions?.keys.length ? opts.permissions : undefined;
  // the scheme in the profile is information only: a project whose scheme cannot be read is still listed (its grants will say why)
  const permissionProfile = async (p: JiraProject, ctx: CallContext): Promise<Record<string, unknown>> => {
    if (!perms) return {};
    try {
      return await perms.profile(p.id, p.style, ctx);
    } catch (e) {
      if (!(e instanceof ConnectorError)) throw e;
      log().warn({ projectId: p.id, kind: e.kind }, 'could not read the permission scheme of a project');
      return { permission_scheme: `not read (${e.kind})` };
    }
  };

  return {
    type: projectType,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      const st = listToken.decode(pageToken) ?? { c: 0, s: 0 };
      if (parent) return { items: [] };
      if (st.c > 0 && st.c >= keyChunks.length) throw invalidInput('page_token names a chunk of project keys this configuration does not have; restart the listing with an empty token');
      const keys = keyChunks.length ? keyChunks[st.c] : undefined;
      const page = await listingPage(
        opts.prefetch,
        ctx,
        `projects|${st.c}`,
        st.s,
        (at, c) => api.searchProjects({ startAt: at, maxResults: PAGE, keys, expand: 'lead,description' }, c),
        (p) => (p.isLast === true || p.values.length === 0 ? undefined : st.s + p.values.length),
      );
      const next = st.s + page.values.length;
      const chunkDone = page.isLast === true || page.values.length === 0;
      let token = '';
      if (!chunkDone) token = listToken.encode({ c: st.c, s: next });
      else if (keyChunks.length && st.c + 1 < keyChunks.length) token = listToken.encode({ c: st.c + 1, s: 0 });
      if (ctx.activeSyncId) for (const p of page.values) leads.set(`${syncKey(ctx.activeSyncId)}|${p.id}`, p.lead?.accountId ?? '');
      opts.onListed?.(page.values, ctx);
      perms?.noteProjects(page.values, ctx);
      const profiles = await Promise.all(page.values.map((p) => permissionProfile(p, ctx)));
      return { items: page.values.map((p, i) => projectResource(p, opts.linkBase, profiles[i], opts.childTypes)), nextPageToken: token };
    },
    async entitlements(resource, pageToken, ctx) {
      const projectId = idOf(resource.id, PROJECT, 'projectId', 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a project');
      const name = resource.displayName || projectId;
      const items = [
        entitlement(resource, {
          slug: LEAD,
          displayName: `${name} project lead`,
          description: `Lead of the ${name} project`,
          grantableTo: [userType],
          purpose: 'ownership',
        }),
      ];
      if (!opts.skipParticipants)
        items.push(
          entitlement(resource, {
            slug: PARTICIPATE,
            displayName: `${name} project participate`,
            description: `Holds a role in the ${name} project (directly, through a group, or through a role)`,
            grantableTo: [userType, projectRoleType],
          }),
        );
      if (perms) items.push(...(await perms.entitlements(resource, projectId, ctx)));
      return { items };
    },
    async grants(resource, pageToken, ctx) {
      const projectId = idOf(resource.id, PROJECT, 'projectId', 'resource.id');
      refuseToken(pageToken, 'ListGrants of a project');
      const lead = await leadOf(projectId, ctx);
      const items = [];
      if (lead) items.push(grant(resource, LEAD, rid(USER, lead), [grantImmutable()]));
      if (!opts.skipParticipants) {
        const projectRoles = await roles.rolesOf(projectId, ctx);
        for (const r of projectRoles) {
          const roleRes = rid(PROJECT_ROLE, projectRoleId(projectId, r.id));
          items.push(grant(resource, PARTICIPATE, roleRes, [grantExpandable([`${PROJECT_ROLE}:${roleRes.resource}:${ASSIGNED}`], [USER]), grantImmutable()]));
        }
      }
      if (perms) items.push(...(await perms.grants(resource, projectId, lead, ctx)));
      return { items };
    },
    async get(id, _parent, ctx) {
      const projectId = idOf(id, PROJECT, 'projectId', 'resource_id');
      const p = await api.getProject(projectId, ctx);
      return projectResource(p, opts.linkBase, await permissionProfile(p, ctx), opts.childTypes);
    },
    async cleanup(activeSyncId) {
      leads.dropSync(syncKey(activeSyncId));
      perms?.dropSync(activeSyncId);
    },
  };
}
