/**
 * project-role: one resource per (project, role), id "<projectId>:<roleId>" as in baton-jira,
 * listed as a child of its project. `assigned` is grantable to users and groups: user actors
 * become user grants; group actors become group grants carrying GrantExpandable to
 * group:<id>:member, so the group's members inherit the role.
 */
import { Resource, ResourceId } from '../../gen/c1/connector/v2/resource';
import type { Any } from '../../gen/google/protobuf/any';
import type { CallContext, GrantResult, Page, ResourceSyncer, Provisioner } from '../types';
import type { JiraApi, JiraProjectRoleDetails, JiraProjectRole } from '../jira-api';
import { entitlement, grant, resourceType, rid, TRAIT, profileString, expectType } from './common';
import { grantAlreadyExists, grantAlreadyRevoked, grantExpandable, roleTrait } from '../anno';
import { refuseToken } from '../pagetoken';
import { userType, USER } from './user';
import { groupType, GROUP, memberEntitlementId } from './group';
import { projectRoleId } from '../ids';
import type { ProjectRoles } from './roles';
import { ConnectorError, invalidInput, notFound } from '../../errors';
import { checkId } from '../../id-shapes';
import { log } from '../../log';
import { roleName } from './audit-names';
import { auditLog, checkEntitlement, checkPrincipal, refuseInherited } from './provisioning';

export const PROJECT_ROLE = 'project-role';
export const ASSIGNED = 'assigned';

export const projectRoleType = resourceType(PROJECT_ROLE, 'Project Role', 'A role in one Jira project (e.g. Administrators of ENG)', [TRAIT.TRAIT_ROLE]);

export interface ProjectRef {
  id: string;
  name: string;
  key?: string;
}

export function projectRoleResource(project: ProjectRef, role: JiraProjectRoleDetails): Resource {
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

/**
 * The project and role a project-role resource id "<projectId>:<roleId>" names (both numeric, as
 * Jira gives them). Only the id counts: a profile's project_id or role_id is never read.
 */
export function parseProjectRoleId(r: ResourceId | undefined, field: string): { projectId: string; roleId: number } {
  const id = expectType(r, PROJECT_ROLE, field).resource;
  const sep = id.indexOf(':');
  if (sep < 0 || id.length > 64) throw invalidInput(`${field}.resource ${JSON.stringify(id.slice(0, 64))} is not a project-role id of the form <projectId>:<roleId>`);
  const projectId = checkId('projectId', id.slice(0, sep), `${field}.resource (project id part)`);
  const roleId = checkId('roleId', id.slice(sep + 1), `${field}.resource (role id part)`);
  // canonical decimal numbers only: "010" or an id past 2^53 would name another project or role once parsed
  for (const [what, v] of [
    ['project', projectId],
    ['role', roleId],
  ] as const)
    if (!Number.isSafeInteger(Number(v)) || String(Number(v)) !== v) throw invalidInput(`${field}.resource: the ${what} id ${JSON.stringify(v)} is not a canonical Jira id`);
  return { projectId, roleId: Number(roleId) };
}

export interface ProjectRoleOptions {
  dryRun?: boolean;
}

export function projectRoleSyncer(api: JiraApi, roles: ProjectRoles, projectOf: (projectId: string, ctx: CallContext) => Promise<ProjectRef>, opts: ProjectRoleOptions = {}): ResourceSyncer {
  return {
    type: projectRoleType,
    provisioner: projectRoleProvisioner(api, roles, opts.dryRun ?? false),
    async list(parent, pageToken, ctx): Promise<Page<Resource>> {
      refuseToken(pageToken, 'ListResources of project roles');
      // child-only type: nothing at top level
      if (!parent || parent.resourceType !== 'project') return { items: [] };
      const project = await projectOf(checkId('projectId', parent.resource, 'parent_resource_id.resource'), ctx);
      const list = await roles.rolesOf(project.id, ctx);
      return { items: list.map((r) => projectRoleResource(project, r)) };
    },
    async entitlements(resource, pageToken) {
      parseProjectRoleId(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a project role');
      // names for display only
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
    async grants(resource, pageToken, ctx) {
      const { projectId, roleId } = parseProjectRoleId(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListGrants of a project role');
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
      const { projectId, roleId } = parseProjectRoleId(id, 'resource_id');
      const project = await projectOf(projectId, ctx);
      const role = (await roles.rolesOf(projectId, ctx)).find((r) => r.id === roleId);
      if (!role) throw notFound(`project ${projectId} has no role ${roleId}`);
      return projectRoleResource(project, role);
    },
  };
}

// ---------------------------------------------------------------- provisioning

const PRINCIPALS = { [USER]: 'accountId', [GROUP]: 'groupId' } as const;

/** The group actors of a role through which an account holds it (Jira's groups of the account, intersected). */
async function inheritedThrough(api: JiraApi, role: JiraProjectRole, accountId: string, ctx: CallContext): Promise<{ groupId: string; name: string }[]> {
  const actorGroups = new Map<string, string>();
  for (const a of role.actors ?? [])
    if (a.type === 'atlassian-group-role-actor' && a.actorGroup?.groupId) actorGroups.set(a.actorGroup.groupId, a.actorGroup.name ?? a.actorGroup.displayName ?? a.displayName ?? '');
  if (!actorGroups.size) return [];
  const mine = await api.userGroups(accountId, ctx);
  return mine.filter((g) => g.groupId && actorGroups.has(g.groupId)).map((g) => ({ groupId: g.groupId!, name: g.name || actorGroups.get(g.groupId!) || '' }));
}

/**
 * Grant and Revoke of `assigned`: adds or removes a user or group actor of the role in the
 * project the resource id names. Revoking from a user who is not a direct actor but holds the role
 * through a group actor is refused with FAILED_PRECONDITION naming the group(s).
 */
function projectRoleProvisioner(api: JiraApi, roles: ProjectRoles, dryRun: boolean): Provisioner {
  const audit = auditLog(dryRun);
  return {
    async grant(principal, ent, ctx): Promise<GrantResult> {
      const {
        resource,
        id: { projectId, roleId },
      } = checkEntitlement(ent, ASSIGNED, 'entitlement', parseProjectRoleId);
      const who = checkPrincipal(principal, PRINCIPALS, 'principal');
      const r = await api.addRoleActors(projectId, roleId, who.type === USER ? { users: [who.id] } : { groupIds: [who.id] }, ctx);
      roles.invalidate(projectId, roleId);
      audit('role actor added', { projectId, roleId, roleName: await roleName(api, projectId, roleId, ctx), principalType: who.type, principalId: who.id, changed: r.changed });
      const annotations = who.type === GROUP ? [grantExpandable([memberEntitlementId(who.id)], [USER])] : [];
      return { grants: [grant(resource, ASSIGNED, rid(who.type, who.id), annotations)], annotations: r.changed ? [] : [grantAlreadyExists()] };
    },
    async revoke(g, ctx): Promise<Any[]> {
      const {
        id: { projectId, roleId },
      } = checkEntitlement(g.entitlement, ASSIGNED, 'grant.entitlement', parseProjectRoleId);
      const who = checkPrincipal(g.principal, PRINCIPALS, 'grant.principal');
      refuseInherited(g);
      const r = await api.removeRoleActor(projectId, roleId, who.type === USER ? { accountId: who.id } : { groupId: who.id }, ctx);
      roles.invalidate(projectId, roleId);
      if (!r.changed && who.type === USER) {
        // not a direct actor: does the user hold the role through a group actor?
        const through = await inheritedThrough(api, await api.projectRole(projectId, roleId, ctx), who.id, ctx);
        if (through.length) {
          audit('role actor removed', {
            projectId,
            roleId,
            roleName: await roleName(api, projectId, roleId, ctx),
            principalType: who.type,
            principalId: who.id,
            changed: false,
            inheritedThrough: through.map((x) => x.groupId),
          });
          throw new ConnectorError(
            'precondition',
            `user ${who.id} is not a direct actor of role ${roleId} in project ${projectId}; it holds the role through group ${through
              .slice(0, 10)
              .map((x) => `"${x.name}" (${x.groupId})`)
              .join(', ')}${through.length > 10 ? ' …' : ''}: revoke that group's role assignment or the user's membership of it instead`,
          );
        }
      }
      audit('role actor removed', { projectId, roleId, roleName: await roleName(api, projectId, roleId, ctx), principalType: who.type, principalId: who.id, changed: r.changed });
      return r.changed ? [] : [grantAlreadyRevoked()];
    },
  };
}
