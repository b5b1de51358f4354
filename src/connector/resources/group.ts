/**
 * group: every Jira group (GET /group/bulk), `member` entitlement, grants for every member
 * including inactive users (GET /group/member?includeInactiveUsers=true, 50 per page, isLast).
 *
 * With the organization configured, groups are also directory groups (same ids): each Jira page
 * is enriched from the directory (IdP-synced or not, who manages it), directory groups without
 * access to the site are listed after the Jira groups, and memberships add the managed accounts
 * that have no site access (Jira's group/member lists only site users).
 */
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer, Provisioner } from '../types';
import type { JiraApi, JiraGroup, JiraUser, PageBean } from '../jira-api';
import { PromiseCache } from '../cache';
import type { AdminDirectoryGroup } from '../../atlassian';
import { entitlement, grant, resourceType, rid, TRAIT, expectType, profileString } from './common';
import { groupTrait } from '../anno';
import { decodeToken, encodeToken } from '../pagetoken';
import { userType, USER } from './user';
import { invalidInput, notFound } from '../../errors';
import { OrgApi, ALL_DIRECTORIES, groupsOnSite, directoryUsersById } from '../org';

export const GROUP = 'group';
export const MEMBER = 'member';
const GROUP_PAGE = 50;
const MEMBER_PAGE = 50;
const DIR_PAGE = 100;

export const groupType = resourceType(GROUP, 'Group', 'A Jira Cloud group; its members hold what the group is given', [TRAIT.TRAIT_GROUP]);

export function groupResource(g: JiraGroup, dir?: AdminDirectoryGroup, siteAccess = true): Resource {
  const profile: Record<string, unknown> = { group_id: g.groupId, name: g.name, site_access: siteAccess };
  let source: { type: string; raw?: string } | undefined;
  if (dir) {
    profile.directory_id = dir.directoryId ?? '';
    profile.identity_provider_synced = !!dir.externalSynced;
    profile.managed_by = dir.managedBy ?? '';
    if (dir.description) profile.description = dir.description;
    if (dir.managementAccess?.modifiable !== undefined) profile.modifiable = dir.managementAccess.modifiable;
    source = dir.externalSynced ? { type: 'identity-provider', raw: dir.managedBy } : { type: 'atlassian', raw: dir.managedBy };
  }
  return Resource.fromPartial({
    id: rid(GROUP, g.groupId),
    displayName: g.name,
    description: !siteAccess ? 'directory group without access to this Jira site' : dir?.externalSynced ? 'synced from an identity provider' : '',
    annotations: [groupTrait(profile, source)],
    profile,
  });
}

export function memberEntitlementId(groupId: string): string {
  return `${GROUP}:${groupId}:${MEMBER}`;
}

async function directoryGroupsById(org: OrgApi, ids: string[], ctx: CallContext): Promise<Map<string, AdminDirectoryGroup>> {
  const out = new Map<string, AdminDirectoryGroup>();
  if (!ids.length) return out;
  const page = await org.admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { groupIds: ids, limit: DIR_PAGE }, ctx);
  for (const g of page.data) out.set(g.id, g);
  return out;
}

type ListToken = { p?: 'jira' | 'dir'; s?: number; c?: string };

/**
 * Member pages prefetched within one sync (keyed by active_sync_id): when a group's page is asked
 * for, its next page and the first pages of the next groups in listing order are fetched
 * concurrently, so the Baton syncer's one-resource-at-a-time calls do not leave the rate limit
 * idle. Only an optimisation: a dropped or missing entry is fetched on demand.
 */
class MemberPrefetch {
  private readonly pages = new PromiseCache<PageBean<JiraUser>>(2000, 5 * 60 * 1000);
  private readonly order = new Map<string, { ids: string[]; index: Map<string, number> }>();
  constructor(
    private readonly api: JiraApi,
    private readonly lookahead = 3,
  ) {}

  noteGroups(ids: string[], ctx: CallContext): void {
    if (!ctx.activeSyncId) return;
    let o = this.order.get(ctx.activeSyncId);
    if (!o) {
      o = { ids: [], index: new Map() };
      this.order.set(ctx.activeSyncId, o);
      while (this.order.size > 8) this.order.delete(this.order.keys().next().value as string);
    }
    for (const id of ids) {
      if (o.index.has(id)) continue;
      o.index.set(id, o.ids.length);
      o.ids.push(id);
    }
  }

  private fetch(groupId: string, startAt: number, ctx: CallContext): Promise<PageBean<JiraUser>> {
    const key = `${ctx.activeSyncId}|${groupId}|${startAt}`;
    return this.pages.get(key, () => this.api.groupMembers(groupId, startAt, MEMBER_PAGE, { signal: undefined, deadline: undefined }));
  }

  async page(groupId: string, startAt: number, ctx: CallContext): Promise<PageBean<JiraUser>> {
    if (!ctx.activeSyncId) return this.api.groupMembers(groupId, startAt, MEMBER_PAGE, ctx);
    const p = this.fetch(groupId, startAt, ctx);
    if (startAt === 0) {
      const o = this.order.get(ctx.activeSyncId);
      const i = o?.index.get(groupId);
      if (o && i !== undefined) for (let k = 1; k <= this.lookahead && i + k < o.ids.length; k++) this.fetch(o.ids[i + k], 0, ctx).catch(() => undefined);
    }
    const page = await p;
    this.pages.deleteWhere((k) => k === `${ctx.activeSyncId}|${groupId}|${startAt}`);
    if (page.isLast !== true && page.values.length > 0) this.fetch(groupId, startAt + page.values.length, ctx).catch(() => undefined);
    return page;
  }
}
type MemberToken = { p?: 'jira' | 'dir'; s?: number; c?: string; g?: boolean };

export function groupSyncer(api: JiraApi, provisioner?: Provisioner, org?: OrgApi): ResourceSyncer {
  const prefetch = new MemberPrefetch(api);
  /** facts a grant listing needs about a group, from its profile or (stub resources) asked again */
  async function groupFacts(resource: Resource, ctx: CallContext): Promise<{ onSite: boolean; inDirectory: boolean }> {
    const p = resource.profile as Record<string, unknown> | undefined;
    if (p && typeof p.site_access === 'boolean') return { onSite: p.site_access, inDirectory: !!profileString(resource, 'directory_id') };
    const gid = resource.id!.resource;
    const jira = await api.getGroup(gid, ctx);
    const dir = org ? (await directoryGroupsById(org, [gid], ctx)).get(gid) : undefined;
    return { onSite: !!jira, inDirectory: !!dir };
  }

  return {
    type: groupType,
    provisioner,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      if (parent) return { items: [] };
      const st = decodeToken<ListToken>('group', pageToken) ?? {};
      if (st.p === 'dir' && !org) throw invalidInput('page_token belongs to the directory phase, but no organization is configured now; restart the listing with an empty token');
      if (st.p === 'dir' && org) {
        // directory groups the site does not have
        const page = await org.admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { cursor: st.c, limit: DIR_PAGE }, ctx);
        const onSite = await groupsOnSite(
          org,
          page.data.map((g) => g.id),
          ctx,
        );
        const items = page.data.filter((g) => !onSite.has(g.id)).map((g) => groupResource({ groupId: g.id, name: g.name }, g, false));
        return { items, nextPageToken: page.nextCursor ? encodeToken('group', { p: 'dir', c: page.nextCursor }) : '' };
      }
      const startAt = st.s ?? 0;
      const page = await api.listGroups(startAt, GROUP_PAGE, ctx);
      const next = startAt + page.values.length;
      const done = page.isLast === true || page.values.length === 0 || (page.total !== undefined && page.isLast === undefined && next >= page.total);
      const dir = org
        ? await directoryGroupsById(
            org,
            page.values.map((g) => g.groupId),
            ctx,
          )
        : undefined;
      const items = page.values.map((g) => groupResource(g, dir?.get(g.groupId)));
      prefetch.noteGroups(
        page.values.map((g) => g.groupId),
        ctx,
      );
      const token = !done ? encodeToken('group', { p: 'jira', s: next }) : org ? encodeToken('group', { p: 'dir' }) : '';
      return { items, nextPageToken: token };
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
      const st = decodeToken<MemberToken>('group-member', pageToken) ?? {};
      const facts = st.p === undefined && org ? await groupFacts(resource, ctx) : undefined;
      const phase = st.p ?? (facts && !facts.onSite ? 'dir' : 'jira');
      if (phase === 'dir' && org) {
        // directory members: site users when the site does not list the group; managed accounts without site access always
        const onSiteGroup = st.p === 'dir' ? (st.g ?? true) : (facts?.onSite ?? true);
        const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { groupIds: [groupId], cursor: st.c, limit: DIR_PAGE }, ctx);
        const onSite = await directoryUsersById(
          org,
          page.data.map((u) => u.accountId),
          ctx,
          { siteOnly: true },
        );
        const items = page.data.filter((u) => (onSite.has(u.accountId) ? !onSiteGroup : u.claimStatus === 'managed')).map((u) => grant(resource, MEMBER, rid(USER, u.accountId)));
        return { items, nextPageToken: page.nextCursor ? encodeToken('group-member', { p: 'dir', c: page.nextCursor, g: onSiteGroup }) : '' };
      }
      const startAt = st.s ?? 0;
      const page = await prefetch.page(groupId, startAt, ctx);
      const items = page.values.map((u) => grant(resource, MEMBER, rid(USER, u.accountId)));
      const next = startAt + page.values.length;
      const done = page.isLast === true || page.values.length === 0;
      let token = '';
      if (!done) token = encodeToken('group-member', { p: 'jira', s: next });
      else if (org) {
        const f = facts ?? (await groupFacts(resource, ctx));
        if (f.inDirectory) token = encodeToken('group-member', { p: 'dir', g: true });
      }
      return { items, nextPageToken: token };
    },
    async get(id, _parent, ctx) {
      const groupId = expectType(id, GROUP, 'resource_id');
      const g = await api.getGroup(groupId, ctx);
      const dir = org ? (await directoryGroupsById(org, [groupId], ctx)).get(groupId) : undefined;
      if (g) return groupResource(g, dir);
      if (dir) return groupResource({ groupId, name: dir.name }, dir, false);
      throw notFound(`group ${groupId} was not found`);
    },
  };
}
