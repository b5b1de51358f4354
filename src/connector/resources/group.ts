/**
 * group: every Jira group (GET /group/bulk), `member` entitlement, grants for every member
 * including inactive users (GET /group/member?includeInactiveUsers=true, 50 per page, isLast).
 */
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer, Provisioner } from '../types';
import type { JiraApi, JiraGroup } from '../jira-api';
import { entitlement, grant, resourceType, rid, TRAIT, expectType } from './common';
import { groupTrait } from '../anno';
import { decodeToken, encodeToken } from '../pagetoken';
import { userType, USER } from './user';
import { notFound } from '../../errors';

export const GROUP = 'group';
export const MEMBER = 'member';
const GROUP_PAGE = 50;
const MEMBER_PAGE = 50;

export const groupType = resourceType(GROUP, 'Group', 'A Jira Cloud group; its members hold what the group is given', [TRAIT.TRAIT_GROUP]);

export function groupResource(g: JiraGroup): Resource {
  const profile = { group_id: g.groupId, name: g.name };
  return Resource.fromPartial({
    id: rid(GROUP, g.groupId),
    displayName: g.name,
    annotations: [groupTrait(profile)],
    profile,
  });
}

export function memberEntitlementId(groupId: string): string {
  return `${GROUP}:${groupId}:${MEMBER}`;
}

export function groupSyncer(api: JiraApi, provisioner?: Provisioner): ResourceSyncer {
  return {
    type: groupType,
    provisioner,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      if (parent) return { items: [] };
      const st = decodeToken<{ s: number }>('group', pageToken);
      const startAt = st?.s ?? 0;
      const page = await api.listGroups(startAt, GROUP_PAGE, ctx);
      const next = startAt + page.values.length;
      const done = page.isLast === true || page.values.length === 0 || (page.total !== undefined && page.isLast === undefined && next >= page.total);
      return { items: page.values.map(groupResource), nextPageToken: done ? '' : encodeToken('group', { s: next }) };
    },
    async entitlements(resource) {
      const name = resource.displayName || resource.id!.resource;
      return {
        items: [
          entitlement(resource, {
            slug: MEMBER,
            displayName: `${name} group member`,
            description: `Member of the ${name} group`,
            grantableTo: [userType],
          }),
        ],
      };
    },
    async grants(resource, pageToken, ctx) {
      const groupId = expectType(resource.id, GROUP, 'resource.id');
      const st = decodeToken<{ s: number }>('group-member', pageToken);
      const startAt = st?.s ?? 0;
      const page = await api.groupMembers(groupId, startAt, MEMBER_PAGE, ctx);
      const items = page.values.map((u) => grant(resource, MEMBER, rid(USER, u.accountId)));
      const next = startAt + page.values.length;
      const done = page.isLast === true || page.values.length === 0;
      return { items, nextPageToken: done ? '' : encodeToken('group-member', { s: next }) };
    },
    async get(id, _parent, ctx) {
      const groupId = expectType(id, GROUP, 'resource_id');
      const g = await api.getGroup(groupId, ctx);
      if (!g) throw notFound(`group ${groupId} was not found`);
      return groupResource(g);
    },
  };
}
