/**
 * organization: the Atlassian organization (BATON_ATLASSIAN_ORGID with its API key), one resource
 * whose entitlement `org-admin` is held by the organization admins (admin-roles.ts: grants to users,
 * and to groups expandable to their members; provisioning to users only).
 *
 * Its profile comes from `organizationProfile` alone, so other organization-level facts (security
 * posture, API tokens, ...) are added there.
 */
import { Resource, type ResourceId } from '../../gen/c1/connector/v2/resource';
import type { CallContext, ResourceSyncer } from '../types';
import type { OrgApi } from '../jira-api';
import { resourceType, rid, idOf } from './common';
import { refuseToken } from '../pagetoken';
import { ConnectorError, notFound } from '../../errors';
import { orgPosture } from '../org-posture';
import { log } from '../../log';
import { organizationRoles, roleEntitlements, roleOfEntitlement, type AdminRoleAccess } from './admin-roles';

export const ORGANIZATION = 'organization';

export const organizationType = resourceType(ORGANIZATION, 'Organization', 'The Atlassian organization (admin API): its administrators', []);

/** The organization's profile: every organization-level fact the connector reports. */
export async function organizationProfile(org: OrgApi, ctx: CallContext): Promise<{ name: string; profile: Record<string, unknown> }> {
  let name = '';
  let c: string | undefined;
  do {
    const page = await org.admin.orgs(c, ctx);
    name = page.data.find((o) => o.id === org.orgId)?.attributes.name ?? name;
    c = name ? undefined : page.nextCursor;
  } while (c);
  let posture: Record<string, unknown>;
  try {
    posture = { ...(await orgPosture(org, ctx)) };
  } catch (e) {
    // a key without the domain or policy scopes: the roles still sync, the profile says what is missing
    if (!(e instanceof ConnectorError) || (e.kind !== 'permission' && e.kind !== 'not-found')) throw e;
    log().warn({ kind: e.kind }, 'organization posture could not be read; the organization resource carries its roles without it');
    posture = { posture_unavailable: `${e.kind}: ${e.message}`.slice(0, 500) };
  }
  return { name: name || 'Atlassian organization', profile: { org_id: org.orgId, name, ...posture } };
}

export function organizationSyncer(org: OrgApi | undefined, access: AdminRoleAccess | undefined): ResourceSyncer {
  const own = (id: ResourceId | undefined, field: string) => {
    const orgId = idOf(id, ORGANIZATION, 'orgId', field);
    if (!org || orgId !== org.orgId) throw notFound(`organization ${orgId} is not the configured organization`);
    return orgId;
  };
  const load = async (ctx: CallContext) => {
    const p = await organizationProfile(org!, ctx);
    return Resource.fromPartial({ id: rid(ORGANIZATION, org!.orgId), displayName: p.name, description: 'Atlassian organization', profile: p.profile });
  };
  return {
    type: organizationType,
    provisioner:
      org && access
        ? access.provisioner(async (ent, field) => {
            // the organization's roles are fixed: nothing is asked before a refusal
            const orgId = own(ent?.resource?.id, `${field}.resource.id`);
            return { resource: ent!.resource!, role: roleOfEntitlement(ent, field, rid(ORGANIZATION, orgId), organizationRoles(orgId)) };
          })
        : undefined,
    async list(parent, pageToken, ctx) {
      refuseToken(pageToken, 'ListResources of the organization');
      if (parent || !org) return { items: [] };
      return { items: [await load(ctx)] };
    },
    async entitlements(resource, pageToken) {
      own(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of the organization');
      return { items: roleEntitlements(resource, organizationRoles(org!.orgId)) };
    },
    async grants(resource, pageToken, ctx) {
      own(resource.id, 'resource.id');
      return access!.grants(resource, organizationRoles(org!.orgId), pageToken, ctx);
    },
    async get(id, _parent, ctx) {
      own(id, 'resource_id');
      return load(ctx);
    },
    async cleanup(activeSyncId) {
      access?.dropSync(activeSyncId);
    },
  };
}
