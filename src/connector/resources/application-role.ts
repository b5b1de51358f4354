/**
 * application-role: product access (Jira Software, Service Management, Product Discovery ...).
 * A product seat is held through the groups of the application role: each such group gets an
 * `assigned` grant carrying GrantExpandable to group:<id>:member, so a review sees who holds a
 * paid seat and through which group. Default groups (given to new users) are in the profile.
 */
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { JiraApi, JiraApplicationRole } from '../jira-api';
import { entitlement, grant, resourceType, rid, TRAIT, idOf } from './common';
import { refuseToken } from '../pagetoken';
import { PromiseCache, syncKey } from '../cache';
import { grantExpandable, grantImmutable, roleTrait } from '../anno';
import { userType, USER } from './user';
import { groupType, GROUP, memberEntitlementId } from './group';
import { notFound } from '../../errors';

export const APPLICATION_ROLE = 'application-role';
export const SEAT = 'assigned';

export const applicationRoleType = resourceType(APPLICATION_ROLE, 'Product Access', "Access to a Jira product (a licensed seat), held through the product's groups", [TRAIT.TRAIT_ROLE]);

function groupIds(details: JiraApplicationRole['groupDetails']): string[] {
  return [...new Set((details ?? []).map((g) => g.groupId).filter((x): x is string => !!x))];
}

export function applicationRoleResource(a: JiraApplicationRole): Resource {
  const profile: Record<string, unknown> = {
    key: a.key,
    name: a.name,
    group_ids: groupIds(a.groupDetails),
    group_names: a.groups ?? [],
    default_group_ids: groupIds(a.defaultGroupsDetails),
    number_of_seats: a.numberOfSeats ?? -1,
    remaining_seats: a.remainingSeats ?? -1,
    user_count: a.userCount ?? -1,
    unlimited_seats: !!a.hasUnlimitedSeats,
  };
  return Resource.fromPartial({
    id: rid(APPLICATION_ROLE, a.key),
    displayName: a.name,
    description: a.hasUnlimitedSeats ? 'unlimited seats' : a.numberOfSeats !== undefined ? `${a.userCount ?? '?'} of ${a.numberOfSeats} seats used` : '',
    annotations: [roleTrait(profile)],
    profile,
  });
}

/** The site's application roles, read once per sync (one request answers them all) and shared with project permissions; outside a sync, asked each time. */
export interface ApplicationRoleList {
  all(ctx: CallContext): Promise<JiraApplicationRole[]>;
  dropSync(activeSyncId: string | undefined): void;
}

export function applicationRoleList(api: JiraApi): ApplicationRoleList {
  const listed = new PromiseCache<JiraApplicationRole[]>({ maxEntries: 64, maxBytes: 4 * 1024 * 1024, ttlMs: 30 * 60 * 1000 });
  return {
    all: (ctx) => (ctx.activeSyncId ? listed.get(syncKey(ctx.activeSyncId) + '|', () => api.applicationRoles(ctx)) : api.applicationRoles(ctx)),
    dropSync: (activeSyncId) => listed.dropSync(syncKey(activeSyncId)),
  };
}

export function applicationRoleSyncer(list: ApplicationRoleList): ResourceSyncer {
  const all = list.all;
  const find = async (key: string, ctx: CallContext) => {
    const a = (await all(ctx)).find((x) => x.key === key);
    if (!a) throw notFound(`no product access role ${key}`);
    return a;
  };
  return {
    type: applicationRoleType,
    async list(parent, pageToken, ctx): Promise<Page<Resource>> {
      refuseToken(pageToken, 'ListResources of application roles');
      if (parent) return { items: [] };
      return { items: (await all(ctx)).map(applicationRoleResource) };
    },
    async entitlements(resource, pageToken) {
      const key = idOf(resource.id, APPLICATION_ROLE, 'applicationRoleKey', 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of an application role');
      const name = resource.displayName || key;
      return {
        items: [
          entitlement(resource, {
            slug: SEAT,
            displayName: `${name} access`,
            description: `Can use ${name} (holds a seat), given through the product's groups`,
            grantableTo: [userType, groupType],
          }),
        ],
      };
    },
    async grants(resource, pageToken, ctx) {
      const key = idOf(resource.id, APPLICATION_ROLE, 'applicationRoleKey', 'resource.id');
      refuseToken(pageToken, 'ListGrants of an application role');
      // the groups come from Jira, never from the resource's profile
      const ids = groupIds((await find(key, ctx)).groupDetails);
      return {
        items: ids.map((gid) => grant(resource, SEAT, rid(GROUP, gid), [grantExpandable([memberEntitlementId(gid)], [USER]), grantImmutable()])),
      };
    },
    async get(id, _parent, ctx) {
      return applicationRoleResource(await find(idOf(id, APPLICATION_ROLE, 'applicationRoleKey', 'resource_id'), ctx));
    },
    async cleanup(activeSyncId) {
      list.dropSync(activeSyncId);
    },
  };
}
