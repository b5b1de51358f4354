/**
 * site: the Jira site in the Atlassian organization (with BATON_ATLASSIAN_ORGID and its API key), one
 * resource (id: the site's cloud id) whose entitlements are the site's administration roles (site
 * admin, user access admin) and the roles of each of its products (admin, user, basic, guest per
 * Jira product the site has, from Jira's application roles). Grants and provisioning: admin-roles.ts.
 */
import { Resource, type ResourceId } from '../../gen/c1/connector/v2/resource';
import type { CallContext, ResourceSyncer } from '../types';
import type { OrgApi } from '../jira-api';
import { resourceType, rid, expectType } from './common';
import { refuseToken } from '../pagetoken';
import { invalidInput, notFound } from '../../errors';
import { siteRoles, roleEntitlements, roleOfEntitlement, type AdminRoleAccess, type AdminRole } from './admin-roles';
import type { ApplicationRoleList } from './application-role';

export const SITE = 'site';
const ROLE_SLUG = /^(?:site-admin|user-access-admin|product:[a-z0-9-]{1,64}:(?:admin|user|basic|guest))$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const siteType = resourceType(SITE, 'Site', 'The Jira site in the Atlassian organization: its administrators and the roles of its products', []);

export function siteSyncer(org: OrgApi | undefined, access: AdminRoleAccess | undefined, applicationRoles: ApplicationRoleList): ResourceSyncer {
  const cloudIdOf = async (ctx: CallContext) => {
    const ari = (await org!.siteResourceIds(ctx))[0] ?? '';
    return /^ari:cloud:jira::site\/(.+)$/.exec(ari)?.[1] ?? '';
  };
  /** the site a request names: a cloud id, and ours */
  const own = async (id: ResourceId | undefined, field: string, ctx: CallContext) => {
    const cloudId = expectType(id, SITE, field).resource;
    if (!UUID.test(cloudId)) throw invalidInput(`${field}.resource must be an Atlassian cloud id (a UUID)`);
    if (!org || cloudId !== (await cloudIdOf(ctx))) throw notFound(`site ${cloudId} is not the configured Jira site`);
    return cloudId;
  };
  const roles = async (cloudId: string, ctx: CallContext): Promise<AdminRole[]> =>
    siteRoles(
      cloudId,
      (await applicationRoles.all(ctx)).map((a) => ({ key: a.key, name: a.name })),
    );
  const load = async (cloudId: string, ctx: CallContext) => {
    const ws = await jiraWorkspace(org!, cloudId, ctx);
    const products = (await applicationRoles.all(ctx)).map((a) => a.key);
    const name = ws?.attributes.name || cloudId;
    return Resource.fromPartial({
      id: rid(SITE, cloudId),
      displayName: name,
      description: ws?.attributes.hostUrl ? `Jira site ${ws.attributes.hostUrl}` : 'Jira site',
      profile: { cloud_id: cloudId, name, host_url: ws?.attributes.hostUrl ?? '', products },
    });
  };
  return {
    type: siteType,
    provisioner:
      org && access
        ? access.provisioner(async (ent, field, ctx) => {
            const cloudId = await own(ent?.resource?.id, `${field}.resource.id`, ctx);
            // a slug of no site role is refused before the product list is read
            const slug = (ent?.id ?? '').slice(`${SITE}:${cloudId}:`.length);
            if (!ROLE_SLUG.test(slug)) throw invalidInput(`${field}.id ${JSON.stringify((ent?.id ?? '').slice(0, 200))} is not a role this site offers`);
            return { resource: ent!.resource!, role: roleOfEntitlement(ent, field, rid(SITE, cloudId), await roles(cloudId, ctx)) };
          })
        : undefined,
    async list(parent, pageToken, ctx) {
      refuseToken(pageToken, 'ListResources of the site');
      if (parent || !org) return { items: [] };
      return { items: [await load(await cloudIdOf(ctx), ctx)] };
    },
    async entitlements(resource, pageToken, ctx) {
      const cloudId = await own(resource.id, 'resource.id', ctx);
      refuseToken(pageToken, 'ListEntitlements of the site');
      return { items: roleEntitlements(resource, await roles(cloudId, ctx)) };
    },
    async grants(resource, pageToken, ctx) {
      const cloudId = await own(resource.id, 'resource.id', ctx);
      return access!.grants(resource, await roles(cloudId, ctx), pageToken, ctx);
    },
    async get(id, _parent, ctx) {
      return load(await own(id, 'resource_id', ctx), ctx);
    },
  };
}

/** The site's Jira workspace in the organization (name, URL), if the key may see it. */
async function jiraWorkspace(org: OrgApi, cloudId: string, ctx: CallContext) {
  const want = `ari:cloud:jira::site/${cloudId}`;
  let c: string | undefined;
  do {
    const page = await org.admin.workspaces(org.orgId, c, ctx);
    const w = page.data.find((x) => x.id === want);
    if (w) return w;
    c = page.nextCursor;
  } while (c);
  return undefined;
}
