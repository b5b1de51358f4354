/**
 * project: every project (or those in BATON_JIRA_PROJECT_KEYS), with `lead` and `participate`.
 *
 * Participation comes from the project's role actors, not from the 1,000-capped "users with
 * browse permission" search: for each role of the project there is one `participate` grant whose
 * principal is the project-role resource, carrying GrantExpandable(project-role:<p>:<r>:assigned).
 * Grant expansion then gives participation to every user holding the role, directly or through a
 * group (whose own role grant expands group:<g>:member). It costs no upstream request beyond the
 * project's role list, which listing the project's roles needs anyway (shared through the cache).
 */
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { JiraApi, JiraProject, JiraRoleDetails } from '../jira-api';
import { entitlement, grant, resourceType, rid, expectType, profileString } from './common';
import { childResourceType, externalLink, grantExpandable, grantImmutable } from '../anno';
import { decodeToken, encodeToken } from '../pagetoken';
import { userType, USER } from './user';
import { PROJECT_ROLE, projectRoleType, ASSIGNED } from './project-role';
import { projectRoleId } from '../ids';
import type { ProjectRoles } from './roles';

export const PROJECT = 'project';
export const LEAD = 'lead';
export const PARTICIPATE = 'participate';
const PAGE = 100; // project/search silently clamps maxResults to 100
const KEYS_PER_REQUEST = 50; // project/search accepts at most 50 keys

export const projectType = resourceType(PROJECT, 'Project', 'A Jira project; its roles are listed as project-role resources', []);

export interface ProjectOptions {
  projectKeys: string[];
  skipParticipants: boolean;
  linkBase?: string;
  /** told of every listed page (names for project-role resources, order and style for prefetching) */
  onListed?: (projects: JiraProject[], ctx: CallContext) => void;
}

export function projectResource(p: JiraProject, linkBase?: string): Resource {
  const profile: Record<string, unknown> = {
    project_id: p.id,
    key: p.key,
    name: p.name,
    project_type: p.projectTypeKey ?? '',
    style: p.style ?? '',
    lead_account_id: p.lead?.accountId ?? '',
    lead_display_name: p.lead?.displayName ?? '',
  };
  const annotations = [childResourceType(PROJECT_ROLE)];
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

  return {
    type: projectType,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      if (parent) return { items: [] };
      const st = decodeToken<{ c: number; s: number }>('project', pageToken) ?? { c: 0, s: 0 };
      const keys = keyChunks.length ? keyChunks[st.c] : undefined;
      const page = await api.searchProjects({ startAt: st.s, maxResults: PAGE, keys, expand: 'lead,description' }, ctx);
      const next = st.s + page.values.length;
      const chunkDone = page.isLast === true || page.values.length === 0;
      let token = '';
      if (!chunkDone) token = encodeToken('project', { c: st.c, s: next });
      else if (keyChunks.length && st.c + 1 < keyChunks.length) token = encodeToken('project', { c: st.c + 1, s: 0 });
      opts.onListed?.(page.values, ctx);
      return { items: page.values.map((p) => projectResource(p, opts.linkBase)), nextPageToken: token };
    },
    async entitlements(resource) {
      const name = resource.displayName || resource.id!.resource;
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
      return { items };
    },
    async grants(resource, _pageToken, ctx) {
      const projectId = expectType(resource.id, PROJECT, 'resource.id');
      let lead = profileString(resource, 'lead_account_id');
      if (lead === undefined && !(resource.profile && 'lead_account_id' in resource.profile)) {
        // a stub resource (targeted sync, platform-sent): read the project itself
        lead = (await api.getProject(projectId, ctx)).lead?.accountId || undefined;
      }
      const items = [];
      if (lead) items.push(grant(resource, LEAD, rid(USER, lead), [grantImmutable()]));
      if (!opts.skipParticipants) {
        const projectRoles: JiraRoleDetails[] = await roles.rolesOf(projectId, ctx, profileString(resource, 'style'));
        for (const r of projectRoles) {
          const roleRes = rid(PROJECT_ROLE, projectRoleId(projectId, r.id));
          items.push(grant(resource, PARTICIPATE, roleRes, [grantExpandable([`${PROJECT_ROLE}:${roleRes.resource}:${ASSIGNED}`], [USER]), grantImmutable()]));
        }
      }
      return { items };
    },
    async get(id, _parent, ctx) {
      const projectId = expectType(id, PROJECT, 'resource_id');
      return projectResource(await api.getProject(projectId, ctx), opts.linkBase);
    },
  };
}
