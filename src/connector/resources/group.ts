/**
 * group: every Jira group (GET /group/bulk), `member` entitlement, grants for every member
 * including inactive users (GET /group/member?includeInactiveUsers=true, 50 per page, isLast).
 *
 * With the organization configured, groups are also directory groups (same ids): each Jira page
 * is enriched from the directory (IdP-synced or not, who manages it), directory groups without
 * access to the site are listed after the Jira groups, and memberships add the managed accounts
 * that have no site access (Jira's group/member lists only site users).
 */
import { z } from 'zod';
import { Resource } from '../../gen/c1/connector/v2/resource';
import type { Any } from '../../gen/google/protobuf/any';
import type { CallContext, GrantResult, Page, ResourceSyncer, Provisioner } from '../types';
import type { JiraApi, JiraGroup, PageBean, AdminDirectoryGroup, OrgApi, WriteResult } from '../jira-api';
import { PromiseCache, syncKey } from '../cache';
import { BACKGROUND, listingPage, type Prefetcher } from '../prefetch';
import type { RequestContext } from '../jira-api';
import { entitlement, grant, resourceType, rid, TRAIT, idOf } from './common';
import { groupTrait, grantAlreadyExists, grantAlreadyRevoked } from '../anno';
import { pageToken, refuseToken, startAt as startAtSchema, cursor } from '../pagetoken';
import { userType, USER } from './user';
import { ConnectorError, invalidInput, notFound } from '../../errors';
import { ALL_DIRECTORIES, groupsOnSite, directoryUsersById, isDirectoryMember } from '../org';
import { groupName } from './audit-names';
import { auditLog, checkEntitlement, checkPrincipal, KeyedLock, refuseInherited } from './provisioning';

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

/** Jira's group listing by offset, then (with the organization) directory groups by admin cursor. */
const listToken = pageToken('group', 1, z.discriminatedUnion('p', [z.strictObject({ p: z.literal('jira'), s: startAtSchema }), z.strictObject({ p: z.literal('dir'), c: cursor.optional() })]));
/** A group's members: Jira's by offset, then the directory's by cursor (`g`: whether the site lists the group). */
const memberToken = pageToken(
  'group-member',
  1,
  z.discriminatedUnion('p', [z.strictObject({ p: z.literal('jira'), s: startAtSchema }), z.strictObject({ p: z.literal('dir'), c: cursor.optional(), g: z.boolean() })]),
);

/** A member page as the grants need it: the account ids, and whether more pages follow. */
interface MemberPage {
  ids: string[];
  /** offset of the next page, or undefined at the last */
  next?: number;
}

/** A directory member page (with the organization): each account, whether it is managed and whether it has site access. */
interface DirMemberPage {
  members: { id: string; managed: boolean; onSite: boolean }[];
  /** cursor of the next page, or undefined at the last */
  next?: string;
}

/** How one kind of a group's member pages is read: `at` is the page's position (offset or cursor; undefined: the first). */
interface GroupPageKind<P, A> {
  name: string;
  first: A;
  read(groupId: string, at: A, ctx: RequestContext): Promise<P>;
  nextOf(p: P): A | undefined;
  sizeOf(p: P): number;
}

/**
 * A group's member pages through the connector's prefetcher (prefetch.ts): every group a listing
 * page names has its first page wanted at once, and each page that has a next one wants it first in
 * line, so whatever order the syncer lists grants in, the pages are being fetched before it asks
 * and each page is fetched once per sync. Two kinds: Jira's member pages (kept as account ids) and,
 * with the organization, the directory's (kept as id, managed, on site).
 */
class GroupPages<P, A> {
  constructor(
    private readonly kind: GroupPageKind<P, A>,
    private readonly prefetch: Prefetcher | undefined,
  ) {}

  private key(groupId: string, at: A): string {
    return `${this.kind.name}|${groupId}|${at ?? ''}`;
  }

  private want(sync: string, groupId: string, at: A, urgent: boolean): void {
    this.prefetch?.want(sync, this.key(groupId, at), () => this.kind.read(groupId, at, BACKGROUND), {
      sizeOf: (p) => this.kind.sizeOf(p),
      urgent,
      then: (p) => {
        const next = this.kind.nextOf(p);
        if (next !== undefined) this.want(sync, groupId, next, true);
      },
    });
  }

  /** A listing page named these groups: their first pages will be asked for in this sync. */
  noteGroups(ids: string[], ctx: CallContext): void {
    if (!ctx.activeSyncId) return;
    const sync = syncKey(ctx.activeSyncId);
    for (const id of ids) this.want(sync, id, this.kind.first, false);
  }

  async page(groupId: string, at: A, ctx: CallContext): Promise<P> {
    if (!ctx.activeSyncId || !this.prefetch) return this.kind.read(groupId, at, ctx);
    const sync = syncKey(ctx.activeSyncId);
    const page = await this.prefetch.take(sync, this.key(groupId, at), () => this.kind.read(groupId, at, ctx));
    // a group the listing did not name (or whose page was read on demand): its next page is on its way before the syncer asks
    const next = this.kind.nextOf(page);
    if (next !== undefined) this.want(sync, groupId, next, true);
    return page;
  }
}

function jiraMemberPages(api: JiraApi, prefetch: Prefetcher | undefined): GroupPages<MemberPage, number> {
  return new GroupPages<MemberPage, number>(
    {
      name: 'member',
      first: 0,
      async read(groupId, startAt, ctx) {
        const page = await api.groupMembers(groupId, startAt, MEMBER_PAGE, ctx);
        const ids = page.values.map((u) => u.accountId);
        return { ids, next: page.isLast === true || ids.length === 0 ? undefined : startAt + ids.length };
      },
      nextOf: (p) => p.next,
      sizeOf: memberPageBytes,
    },
    prefetch,
  );
}

/** Directory member pages: one directory search of the group's members, then one lookup of which of them have site access. */
function directoryMemberPages(org: OrgApi, prefetch: Prefetcher | undefined): GroupPages<DirMemberPage, string | undefined> {
  return new GroupPages<DirMemberPage, string | undefined>(
    {
      name: 'dir-member',
      first: undefined,
      async read(groupId, cursor, ctx) {
        const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { groupIds: [groupId], cursor, limit: DIR_PAGE }, ctx);
        const onSite = await directoryUsersById(
          org,
          page.data.map((u) => u.accountId),
          ctx,
          { siteOnly: true },
        );
        return { members: page.data.map((u) => ({ id: u.accountId, managed: u.claimStatus === 'managed', onSite: onSite.has(u.accountId) })), next: page.nextCursor || undefined };
      },
      nextOf: (p) => p.next,
      sizeOf: (p) => 64 + p.members.reduce((n, m) => n + 2 * m.id.length + 40, 0),
    },
    prefetch,
  );
}

function memberPageBytes(p: MemberPage): number {
  let n = 64;
  for (const id of p.ids) n += 2 * id.length + 32;
  return n;
}

/** What a grant listing needs to know about a group (with the organization): whether the site lists it, whether it is a directory group. */
interface GroupFacts {
  onSite: boolean;
  inDirectory: boolean;
}

export interface GroupOptions {
  /** the organization, when configured */
  org?: OrgApi;
  dryRun?: boolean;
  /** the connector's prefetcher (none: every page is read on demand) */
  prefetch?: Prefetcher;
}

export function groupSyncer(api: JiraApi, opts: GroupOptions = {}): ResourceSyncer {
  const org = opts.org;
  const members = jiraMemberPages(api, opts.prefetch);
  const dirMembers = org ? directoryMemberPages(org, opts.prefetch) : undefined;
  // facts learnt while listing groups in a sync; a group not listed in this sync is asked (never read from a profile)
  const facts = new PromiseCache<GroupFacts>({ maxEntries: 200_000, maxBytes: 16 * 1024 * 1024, ttlMs: 30 * 60 * 1000, sizeOf: () => 48 });
  const readFacts = async (groupId: string, ctx: CallContext): Promise<GroupFacts> => {
    const jira = await api.getGroup(groupId, ctx);
    const dir = org ? (await directoryGroupsById(org, [groupId], ctx)).get(groupId) : undefined;
    return { onSite: !!jira, inDirectory: !!dir };
  };
  const groupFacts = (groupId: string, ctx: CallContext): Promise<GroupFacts> =>
    ctx.activeSyncId ? facts.get(`${syncKey(ctx.activeSyncId)}|${groupId}`, () => readFacts(groupId, ctx)) : readFacts(groupId, ctx);
  const noteFacts = (ctx: CallContext, groupId: string, f: GroupFacts) => {
    if (ctx.activeSyncId) facts.set(`${syncKey(ctx.activeSyncId)}|${groupId}`, f);
  };

  return {
    type: groupType,
    provisioner: groupProvisioner(api, org, opts.dryRun ?? false),
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      const st = listToken.decode(pageToken) ?? { p: 'jira', s: 0 };
      if (parent) return { items: [] };
      if (st.p === 'dir') {
        if (!org) throw invalidInput('page_token belongs to the directory phase, but no organization is configured now; restart the listing with an empty token');
        // directory groups the site does not have
        const page = await org.admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { cursor: st.c, limit: DIR_PAGE }, ctx);
        const onSite = await groupsOnSite(
          org,
          page.data.map((g) => g.id),
          ctx,
        );
        const off = page.data.filter((g) => !onSite.has(g.id));
        for (const g of off) noteFacts(ctx, g.id, { onSite: false, inDirectory: true });
        dirMembers?.noteGroups(
          off.map((g) => g.id),
          ctx,
        );
        const items = off.map((g) => groupResource({ groupId: g.id, name: g.name }, g, false));
        return { items, nextPageToken: page.nextCursor ? listToken.encode({ p: 'dir', c: page.nextCursor }) : '' };
      }
      const startAt = st.s;
      const isDone = (p: PageBean<JiraGroup>, at: number) => p.isLast === true || p.values.length === 0 || (p.total !== undefined && p.isLast === undefined && at + p.values.length >= p.total);
      const page = await listingPage(
        opts.prefetch,
        ctx,
        'groups',
        startAt,
        (at, c) => api.listGroups(at, GROUP_PAGE, c),
        (p) => (isDone(p, startAt) ? undefined : startAt + p.values.length),
      );
      const next = startAt + page.values.length;
      const done = isDone(page, startAt);
      const dir = org
        ? await directoryGroupsById(
            org,
            page.values.map((g) => g.groupId),
            ctx,
          )
        : undefined;
      if (dir) for (const g of page.values) noteFacts(ctx, g.groupId, { onSite: true, inDirectory: dir.has(g.groupId) });
      const items = page.values.map((g) => groupResource(g, dir?.get(g.groupId)));
      members.noteGroups(
        page.values.map((g) => g.groupId),
        ctx,
      );
      if (dir)
        dirMembers?.noteGroups(
          page.values.filter((g) => dir.has(g.groupId)).map((g) => g.groupId),
          ctx,
        );
      const token = !done ? listToken.encode({ p: 'jira', s: next }) : org ? listToken.encode({ p: 'dir' }) : '';
      return { items, nextPageToken: token };
    },
    async entitlements(resource, pageToken) {
      const groupId = idOf(resource.id, GROUP, 'groupId', 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a group');
      const name = resource.displayName || groupId;
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
      const groupId = idOf(resource.id, GROUP, 'groupId', 'resource.id');
      const st = memberToken.decode(pageToken);
      const f = st === undefined && org ? await groupFacts(groupId, ctx) : undefined;
      const phase = st?.p ?? (f && !f.onSite ? 'dir' : 'jira');
      if (phase === 'dir' && dirMembers) {
        // directory members: site users when the site does not list the group; managed accounts without site access always
        const onSiteGroup = st?.p === 'dir' ? st.g : (f?.onSite ?? true);
        const page = await dirMembers.page(groupId, st?.p === 'dir' ? st.c : undefined, ctx);
        const items = page.members.filter((m) => (m.onSite ? !onSiteGroup : m.managed)).map((m) => grant(resource, MEMBER, rid(USER, m.id)));
        return { items, nextPageToken: page.next ? memberToken.encode({ p: 'dir', c: page.next, g: onSiteGroup }) : '' };
      }
      if (phase === 'dir') throw invalidInput('page_token belongs to the directory phase, but no organization is configured now; restart the listing with an empty token');
      const startAt = st?.p === 'jira' ? st.s : 0;
      const page = await members.page(groupId, startAt, ctx);
      const items = page.ids.map((id) => grant(resource, MEMBER, rid(USER, id)));
      let token = '';
      if (page.next !== undefined) token = memberToken.encode({ p: 'jira', s: page.next });
      else if (org && (f ?? (await groupFacts(groupId, ctx))).inDirectory) token = memberToken.encode({ p: 'dir', g: true });
      return { items, nextPageToken: token };
    },
    async get(id, _parent, ctx) {
      const groupId = idOf(id, GROUP, 'groupId', 'resource_id');
      const g = await api.getGroup(groupId, ctx);
      const dir = org ? (await directoryGroupsById(org, [groupId], ctx)).get(groupId) : undefined;
      if (g) return groupResource(g, dir);
      if (dir) return groupResource({ groupId, name: dir.name }, dir, false);
      throw notFound(`group ${groupId} was not found`);
    },
    async cleanup(activeSyncId) {
      facts.dropSync(syncKey(activeSyncId));
    },
  };
}

// ---------------------------------------------------------------- provisioning

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

/**
 * Grant and Revoke of `member`. One write in flight per membership (group, account): a duplicate
 * waits for the write before it and then answers from the state (the admin API answers a repeated
 * add or remove with success, so the state, not the answer, decides whether anything changed).
 */
function groupProvisioner(api: JiraApi, org: OrgApi | undefined, dryRun: boolean): Provisioner {
  const audit = auditLog(dryRun);
  const inFlight = new KeyedLock();
  const change = (add: boolean, groupId: string, accountId: string, ctx: CallContext): Promise<WriteResult> =>
    inFlight.run(`${groupId}|${accountId}`, async () => {
      const route = await membershipRoute(org, groupId, accountId, ctx);
      let r: WriteResult;
      if (route.via === 'admin') {
        const member = await isDirectoryMember(org!, route.directoryId, groupId, accountId, ctx);
        if (member === add) r = { changed: false };
        else if (add) r = await org!.admin.addDirectoryGroupMember(org!.orgId, route.directoryId, groupId, accountId, ctx);
        else r = await org!.admin.removeDirectoryGroupMember(org!.orgId, route.directoryId, groupId, accountId, ctx);
      } else r = add ? await api.addGroupMember(groupId, accountId, ctx) : await api.removeGroupMember(groupId, accountId, ctx);
      audit(add ? 'group member added' : 'group member removed', { groupId, groupName: await groupName(api, groupId, ctx), accountId, via: route.via, changed: r.changed });
      return r;
    });
  return {
    async grant(principal, ent, ctx): Promise<GrantResult> {
      const { resource, id: groupId } = checkEntitlement(ent, MEMBER, 'entitlement', (r, f) => idOf(r, GROUP, 'groupId', f));
      const who = checkPrincipal(principal, { [USER]: 'accountId' }, 'principal');
      const r = await change(true, groupId, who.id, ctx);
      return { grants: [grant(resource, MEMBER, rid(USER, who.id))], annotations: r.changed ? [] : [grantAlreadyExists()] };
    },
    async revoke(g, ctx): Promise<Any[]> {
      const { id: groupId } = checkEntitlement(g.entitlement, MEMBER, 'grant.entitlement', (r, f) => idOf(r, GROUP, 'groupId', f));
      const who = checkPrincipal(g.principal, { [USER]: 'accountId' }, 'grant.principal');
      refuseInherited(g);
      const r = await change(false, groupId, who.id, ctx);
      return r.changed ? [] : [grantAlreadyRevoked()];
    },
  };
}
