/**
 * Grant and Revoke for Jira groups and project roles. What to change comes from the entitlement's
 * resource; who, from the principal; only ids are trusted (the platform may send stubs). Writes
 * are idempotent by state: the client checks membership when Atlassian refuses or a write fails
 * ambiguously, and a no-op answers GrantAlreadyExists / GrantAlreadyRevoked.
 */
import type { Any } from '../../gen/google/protobuf/any';
import type { Resource } from '../../gen/c1/connector/v2/resource';
import type { Entitlement } from '../../gen/c1/connector/v2/entitlement';
import type { Grant } from '../../gen/c1/connector/v2/grant';
import type { CallContext, GrantResult, Provisioner } from '../types';
import type { WriteResult, RequestContext } from '../../atlassian';
import { grant, rid } from './common';
import { grantAlreadyExists, grantAlreadyRevoked, grantExpandable } from '../anno';
import { entitlementId } from '../ids';
import { ConnectorError, invalidInput } from '../../errors';
import { hasAnnotation } from '../annotations';
import { GROUP, MEMBER, memberEntitlementId } from './group';
import { USER } from './user';
import { PROJECT_ROLE, ASSIGNED, parseProjectRole } from './project-role';
import type { ProjectRoles } from './roles';
import { log } from '../../log';
import { OrgApi, ALL_DIRECTORIES, isDirectoryMember } from '../org';

export interface JiraWriteApi {
  addGroupMember(groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  removeGroupMember(groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  addRoleActors(projectIdOrKey: string, roleId: number | string, actors: { users?: string[]; groupIds?: string[] }, ctx?: RequestContext): Promise<WriteResult>;
  removeRoleActor(projectIdOrKey: string, roleId: number | string, actor: { accountId: string } | { groupId: string }, ctx?: RequestContext): Promise<WriteResult>;
}

function checkEntitlement(ent: Entitlement | undefined, type: string, slug: string): Resource {
  const res = ent?.resource;
  if (!res?.id || res.id.resourceType !== type) throw invalidInput(`entitlement.resource must be a ${type} resource`);
  const want = entitlementId(type, res.id.resource, slug);
  if (ent!.id && ent!.id !== want) throw invalidInput(`entitlement ${ent!.id.slice(0, 200)} cannot be granted: ${type} resources offer only ${want}`);
  return res;
}

function principalId(p: Resource | undefined, allowed: string[]): { type: string; id: string } {
  const t = p?.id?.resourceType;
  if (!p?.id || !t || !p.id.resource) throw invalidInput('principal.id is required');
  if (!allowed.includes(t)) throw invalidInput(`a ${t} cannot hold this entitlement; it is grantable to ${allowed.join(' and ')} principals`);
  return { type: t, id: p.id.resource };
}

/** Grants that came from expansion cannot be revoked at the inheriting principal. */
function refuseInherited(g: Grant): void {
  const sources = Object.keys(g.sources?.sources ?? {});
  if (hasAnnotation(g.annotations, 'c1.connector.v2.GrantImmutable') || sources.length) {
    throw new ConnectorError('precondition', `grant ${g.id.slice(0, 200)} is inherited${sources.length ? ` through ${sources.join(', ')}` : ''}; revoke the membership or role it comes from instead`);
  }
}

/** The audit log of writes; in a dry run (BATON_DRY_RUN) each line says the change was not sent. */
function auditLog(dryRun: boolean) {
  return (action: string, fields: Record<string, unknown>) =>
    log().info({ audit: true, action, ...fields, ...(dryRun ? { dryRun: true } : {}) }, dryRun ? `provisioning (dry run, not sent): ${action}` : `provisioning: ${action}`);
}

/**
 * Where a group membership is changed: groups synced from an identity provider cannot be changed
 * through Atlassian at all (declined as grant_cancelled); directory groups go through the admin
 * API when the organization is configured and the account is in the group's directory; anything
 * else through Jira's group API.
 */
async function membershipRoute(org: OrgApi | undefined, groupId: string, accountId: string, ctx: CallContext): Promise<{ via: 'jira' } | { via: 'admin'; directoryId: string }> {
  if (!org) return { via: 'jira' };
  const dir = (await org.admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { groupIds: [groupId], limit: 10 }, ctx)).data.find((g) => g.id === groupId);
  if (!dir) return { via: 'jira' };
  if (dir.externalSynced)
    throw new ConnectorError(
      'cancelled',
      `group "${dir.name}" is synced from an identity provider (directory ${dir.directoryId ?? 'unknown'}, managed by ${dir.managedBy ?? 'external'}); change its membership in the identity provider`,
      {
        reason: 'grant_cancelled',
      },
    );
  if (!dir.directoryId) return { via: 'jira' };
  const inDir = await org.admin.searchDirectoryUsers(org.orgId, dir.directoryId, { accountIds: [accountId], limit: 10 }, ctx);
  return inDir.data.some((u) => u.accountId === accountId) ? { via: 'admin', directoryId: dir.directoryId } : { via: 'jira' };
}

export function groupProvisioner(api: JiraWriteApi, org?: OrgApi, dryRun = false): Provisioner {
  const audit = auditLog(dryRun);
  return {
    async grant(principal, ent, ctx: CallContext): Promise<GrantResult> {
      const res = checkEntitlement(ent, GROUP, MEMBER);
      const who = principalId(principal, [USER]);
      const route = await membershipRoute(org, res.id!.resource, who.id, ctx);
      // the admin API answers a repeated add with success: the state decides whether anything changes
      const r =
        route.via === 'admin'
          ? (await isDirectoryMember(org!, route.directoryId, res.id!.resource, who.id, ctx))
            ? { changed: false }
            : await org!.admin.addDirectoryGroupMember(org!.orgId, route.directoryId, res.id!.resource, who.id, ctx)
          : await api.addGroupMember(res.id!.resource, who.id, ctx);
      audit('group member added', { groupId: res.id!.resource, accountId: who.id, via: route.via, changed: r.changed });
      return { grants: [grant(res, MEMBER, rid(USER, who.id))], annotations: r.changed ? [] : [grantAlreadyExists()] };
    },
    async revoke(g, ctx): Promise<Any[]> {
      const res = checkEntitlement(g.entitlement, GROUP, MEMBER);
      const who = principalId(g.principal, [USER]);
      refuseInherited(g);
      const route = await membershipRoute(org, res.id!.resource, who.id, ctx);
      const r =
        route.via === 'admin'
          ? !(await isDirectoryMember(org!, route.directoryId, res.id!.resource, who.id, ctx))
            ? { changed: false }
            : await org!.admin.removeDirectoryGroupMember(org!.orgId, route.directoryId, res.id!.resource, who.id, ctx)
          : await api.removeGroupMember(res.id!.resource, who.id, ctx);
      audit('group member removed', { groupId: res.id!.resource, accountId: who.id, via: route.via, changed: r.changed });
      return r.changed ? [] : [grantAlreadyRevoked()];
    },
  };
}

export function projectRoleProvisioner(api: JiraWriteApi, roles: ProjectRoles, dryRun = false): Provisioner {
  const audit = auditLog(dryRun);
  return {
    async grant(principal, ent, ctx): Promise<GrantResult> {
      const res = checkEntitlement(ent, PROJECT_ROLE, ASSIGNED);
      const { projectId, roleId } = parseProjectRole(res, 'entitlement.resource');
      const who = principalId(principal, [USER, GROUP]);
      const r = await api.addRoleActors(projectId, roleId, who.type === USER ? { users: [who.id] } : { groupIds: [who.id] }, ctx);
      roles.invalidate(projectId, roleId);
      audit('role actor added', { projectId, roleId, principalType: who.type, principalId: who.id, changed: r.changed });
      const annotations = who.type === GROUP ? [grantExpandable([memberEntitlementId(who.id)], [USER])] : [];
      return { grants: [grant(res, ASSIGNED, rid(who.type, who.id), annotations)], annotations: r.changed ? [] : [grantAlreadyExists()] };
    },
    async revoke(g, ctx): Promise<Any[]> {
      const res = checkEntitlement(g.entitlement, PROJECT_ROLE, ASSIGNED);
      const { projectId, roleId } = parseProjectRole(res, 'grant.entitlement.resource');
      const who = principalId(g.principal, [USER, GROUP]);
      refuseInherited(g);
      const r = await api.removeRoleActor(projectId, roleId, who.type === USER ? { accountId: who.id } : { groupId: who.id }, ctx);
      roles.invalidate(projectId, roleId);
      audit('role actor removed', { projectId, roleId, principalType: who.type, principalId: who.id, changed: r.changed });
      return r.changed ? [] : [grantAlreadyRevoked()];
    },
  };
}
