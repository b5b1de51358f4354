/**
 * project-role: one resource per (project, role), id "<projectId>:<roleId>" as in baton-jira,
 * listed as a child of its project. `assigned` is grantable to users and groups: user actors
 * become user grants; group actors become group grants carrying GrantExpandable to
 * group:<id>:member, so the group's members inherit the role.
 */
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer, Provisioner } from '../types';
import type { JiraRoleDetails } from '../jira-api';
import { entitlement, grant, resourceType, rid, TRAIT, profileString } from './common';
import { grantExpandable, roleTrait } from '../anno';
import { userType, USER } from './user';
import { groupType, GROUP, memberEntitlementId } from './group';
import { projectRoleId } from '../ids';
import type { ProjectRoles } from './roles';
import { invalidInput, notFound } from '../../errors';
import { log } from '../../log';

export const PROJECT_ROLE = 'project-role';
export const ASSIGNED = 'assigned';

export const projectRoleType = resourceType(PROJECT_ROLE, 'Project Role', 'A role in one Jira project (e.g. Administrators of ENG)', [TRAIT.TRAIT_ROLE]);

export interface ProjectRef {
  id: string;
  name: string;
  key?: string;
}

export function projectRoleResource(project: ProjectRef, role: JiraRoleDetails): Resource {
  const profile: Record<string, unknown> = {
    project_id: project.id,
    project_key: project.key ?? '',
    project_name: project.name,
    role_id: role.id,
    name: role.name,
    description: role.description ?? '',
    scope: role.scope?.type ?? 'GLOBAL',
  };
  return Resource.fromPartial({
    id: rid(PROJECT_ROLE, projectRoleId(project.id, role.id)),
    parentResourceId: rid('project', project.id),
    displayName: `${project.name} - ${role.name}`,
    description: role.description ?? '',
    annotations: [roleTrait(profile)],
    profile,
  });
}

/** Reads project and role ids from a project-role resource: from its profile, else from its id. */
export function parseProjectRole(r: Resource | undefined, field: string): { projectId: string; roleId: number } {
  if (!r?.id || r.id.resourceType !== PROJECT_ROLE) throw invalidInput(`${field} must be a ${PROJECT_ROLE} resource`);
  const pid = profileString(r, 'project_id');
  const roleRaw = (r.profile as Record<string, unknown> | undefined)?.role_id;
  if (pid && (typeof roleRaw === 'number' || typeof roleRaw === 'string') && Number.isInteger(Number(roleRaw))) return { projectId: pid, roleId: Number(roleRaw) };
  // "<projectId>:<roleId>": project ids are numeric, role ids are integers
  const m = /^(\d+):(\d+)$/.exec(r.id.resource);
  if (!m) throw invalidInput(`${field}.id "${r.id.resource.slice(0, 64)}" is not a project-role id of the form <projectId>:<roleId>`);
  return { projectId: m[1], roleId: Number(m[2]) };
}

export function projectRoleSyncer(roles: ProjectRoles, projectOf: (projectId: string, ctx: CallContext) => Promise<ProjectRef>, provisioner?: Provisioner): ResourceSyncer {
  return {
    type: projectRoleType,
    provisioner,
    async list(parent, _pageToken, ctx): Promise<Page<Resource>> {
      // child-only type: nothing at top level
      if (!parent) return { items: [] };
      if (parent.resourceType !== 'project') return { items: [] };
      const project = await projectOf(parent.resource, ctx);
      const list = await roles.rolesOf(project.id, ctx);
      return { items: list.map((r) => projectRoleResource(project, r)) };
    },
    async entitlements(resource) {
      const name = resource.displayName || resource.id!.resource;
      const projectName = profileString(resource, 'project_name') ?? '';
      const roleName = profileString(resource, 'name') ?? name;
      return {
        items: [
          entitlement(resource, {
            slug: ASSIGNED,
            displayName: `${name} Assignment`,
            description: projectName ? `Assigned to the ${roleName} role in the ${projectName} project` : `Assigned to ${name}`,
            grantableTo: [userType, groupType],
          }),
        ],
      };
    },
    async grants(resource, _pageToken, ctx) {
      const { projectId, roleId } = parseProjectRole(resource, 'resource');
      const role = await roles.actorsOf(projectId, roleId, ctx);
      const items = [];
      const seen = new Set<string>();
      for (const a of role.actors ?? []) {
        if (a.type === 'atlassian-user-role-actor') {
          const id = a.actorUser?.accountId;
          if (!id || id === 'unknown') {
            log().warn({ projectId, roleId, actor: a.displayName }, 'role actor without a usable account id skipped');
            continue;
          }
          if (seen.has(`u:${id}`)) continue;
          seen.add(`u:${id}`);
          items.push(grant(resource, ASSIGNED, rid(USER, id)));
        } else if (a.type === 'atlassian-group-role-actor') {
          const gid = a.actorGroup?.groupId;
          if (!gid) {
            log().warn({ projectId, roleId, actor: a.displayName }, 'group role actor without a group id skipped');
            continue;
          }
          if (seen.has(`g:${gid}`)) continue;
          seen.add(`g:${gid}`);
          items.push(grant(resource, ASSIGNED, rid(GROUP, gid), [grantExpandable([memberEntitlementId(gid)], [USER])]));
        } else {
          log().warn({ projectId, roleId, type: a.type }, 'unknown role actor type skipped');
        }
      }
      return { items };
    },
    async get(id, _parent, ctx) {
      const { projectId, roleId } = parseProjectRole(Resource.fromPartial({ id }), 'resource_id');
      const project = await projectOf(projectId, ctx);
      const role = (await roles.rolesOf(projectId, ctx)).find((r) => r.id === roleId);
      if (!role) throw notFound(`project ${projectId} has no role ${roleId}`);
      return projectRoleResource(project, role);
    },
  };
}
