/**
 * Atlassian organization admin API (https://api.atlassian.com/admin, org API key as Bearer) and
 * the user management API (https://api.atlassian.com/users/{accountId}/manage/...), one page or
 * one write per call.
 *
 * Paging: v1 answers carry links.next as a full URL; v2 answers carry a cursor token. Either way
 * the caller gets `nextCursor` back and passes it in unchanged. A full URL is only followed when it
 * points at the configured API host and the same endpoint; anything else is a bad-upstream error
 * (a next link must never make us send the org key elsewhere).
 */
import { z } from 'zod';
import { ConnectorError } from '../errors';
import type { RequestContext, Upstream } from './http';
import { fillPath } from './http';
import { UpstreamError } from './errors';
import {
  AdminApiToken,
  AdminDirectory,
  AdminDirectoryGroup,
  AdminDirectoryUser,
  AdminOrg,
  AdminOrgUser,
  AdminWorkspace,
  ApiTokenSchema,
  DirectoryGroupPageSchema,
  DirectoryPageSchema,
  DirectoryUserPageSchema,
  LastActiveSchema,
  OrgPageSchema,
  OrgUserPageSchema,
  WorkspacePageSchema,
} from './schemas';
import { safeWrite, WriteResult } from './writes';

export interface CursorPage<T> {
  data: T[];
  /** pass back unchanged to get the next page; undefined on the last page */
  nextCursor?: string;
  total?: number;
}

export interface DirectoryUserSearch {
  cursor?: string;
  /** 1..100, default 100 */
  limit?: number;
  accountIds?: string[];
  groupIds?: string[];
  emails?: string[];
  searchTerm?: string;
  /** managed | unmanaged */
  claimStatus?: string;
  /** only accounts with access to these resources (ARIs such as ari:cloud:jira::site/<cloudId>) */
  resourceIds?: string[];
  status?: string[];
  /** platformRoles, counts.resources, productAccess, groups */
  expand?: string[];
}

export interface DirectoryGroupSearch {
  cursor?: string;
  /** 1..100, default 100 */
  limit?: number;
  groupIds?: string[];
  /** only groups with access to these resources (ARIs) */
  resourceIds?: string[];
  /** counts.users, counts.resources */
  expand?: string[];
}

export interface LastActiveDates {
  productAccess: { id?: string; key: string; lastActive?: string }[];
  addedToOrg?: string;
  nextCursor?: string;
}

export interface AdminClient {
  orgs(cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminOrg>>;
  /** v1 managed accounts (email, status, product access, last active) */
  orgUsers(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminOrgUser>>;
  lastActiveDates(orgId: string, accountId: string, ctx?: RequestContext): Promise<LastActiveDates>;
  directories(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminDirectory>>;
  /** v2 GET directory users (deprecated upstream after 2027-06-30; prefer searchDirectoryUsers) */
  directoryUsers(orgId: string, directoryId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminDirectoryUser>>;
  /** v2 POST users/search */
  searchDirectoryUsers(orgId: string, directoryId: string, search: DirectoryUserSearch, ctx?: RequestContext): Promise<CursorPage<AdminDirectoryUser>>;
  directoryGroups(orgId: string, directoryId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminDirectoryGroup>>;
  /** v2 POST groups/search */
  searchDirectoryGroups(orgId: string, directoryId: string, search: DirectoryGroupSearch, ctx?: RequestContext): Promise<CursorPage<AdminDirectoryGroup>>;
  /** members of a directory group, through the user search filtered by groupIds */
  directoryGroupMembers(orgId: string, directoryId: string, groupId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminDirectoryUser>>;
  addDirectoryGroupMember(orgId: string, directoryId: string, groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  removeDirectoryGroupMember(orgId: string, directoryId: string, groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  /** v2 suspend in a directory when directoryId is given, else v1 suspend-access (org-wide); idempotent by state */
  suspendUser(orgId: string, accountId: string, directoryId?: string, ctx?: RequestContext): Promise<WriteResult>;
  restoreUser(orgId: string, accountId: string, directoryId?: string, ctx?: RequestContext): Promise<WriteResult>;
  /** user management API: the API tokens of a managed account */
  userApiTokens(accountId: string, ctx?: RequestContext): Promise<AdminApiToken[]>;
  /** v2 workspaces (sites and products) of the org */
  workspaces(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminWorkspace>>;
}

const V1 = '/admin/v1/orgs';
const V2 = '/admin/v2/orgs';
const PAGE = 100;

export function createAdminClient(up: Upstream, apiUrl: string): AdminClient {
  const origin = new URL(apiUrl).origin;

  /** links.next → the cursor to hand out: the `cursor` parameter of a full URL, the token itself, or the checked URL. */
  function nextOf(next: string | undefined, endpoint: string): string | undefined {
    if (!next) return undefined;
    const looksLikeUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(next) || next.startsWith('/');
    if (!looksLikeUrl) return next;
    let u: URL;
    try {
      u = new URL(next, origin);
    } catch {
      throw new UpstreamError('bad-upstream', `Atlassian answered ${endpoint} with an unreadable next link`, { endpoint });
    }
    if (u.origin !== origin) throw new UpstreamError('bad-upstream', `Atlassian answered ${endpoint} with a next link to another host (${u.host}); refusing to follow it`, { endpoint });
    return u.searchParams.get('cursor') ?? u.toString();
  }

  /** A cursor from the caller: a token goes in ?cursor=, a URL must be our host and this very endpoint. */
  function follow(cursor: string | undefined, pathTemplate: string, pathParams: Record<string, string>): { url?: string; query?: Record<string, string> } {
    if (!cursor) return {};
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(cursor)) return { query: { cursor } };
    const endpoint = `GET ${pathTemplate}`;
    let u: URL;
    try {
      u = new URL(cursor);
    } catch {
      throw new ConnectorError('invalid-input', `the page cursor for ${endpoint} is not a valid URL`, { endpoint });
    }
    const expected = new URL(origin + fillPath(pathTemplate, pathParams));
    if (u.origin !== origin || u.pathname !== expected.pathname)
      throw new UpstreamError('bad-upstream', `the next link for ${endpoint} points elsewhere (${u.host}${u.pathname}); refusing to follow it`, { endpoint });
    return { url: u.toString() };
  }

  async function v1Page<T, S extends { data: T[]; links: { next?: string }; meta?: { total?: number } }>(
    pathTemplate: string,
    pathParams: Record<string, string>,
    schema: z.ZodType<S>,
    cursor: string | undefined,
    ctx: RequestContext | undefined,
  ): Promise<CursorPage<T>> {
    const f = follow(cursor, pathTemplate, pathParams);
    const r = await up.call({ method: 'GET', path: pathTemplate, pathParams, query: f.query, url: f.url, schema }, ctx);
    return { data: r.data, nextCursor: nextOf(r.links.next, `GET ${pathTemplate}`), total: r.meta?.total };
  }

  const client: AdminClient = {
    orgs: (cursor, ctx) => v1Page(V1, {}, OrgPageSchema, cursor, ctx),

    orgUsers: (orgId, cursor, ctx) => v1Page(`${V1}/{orgId}/users`, { orgId }, OrgUserPageSchema, cursor, ctx),

    async lastActiveDates(orgId, accountId, ctx) {
      const r = await up.call({ method: 'GET', path: `${V1}/{orgId}/directory/users/{accountId}/last-active-dates`, pathParams: { orgId, accountId }, schema: LastActiveSchema }, ctx);
      return {
        productAccess: r.data.product_access.map((p) => ({ id: p.id, key: p.key, lastActive: p.last_active })),
        addedToOrg: r.data.added_to_org,
        nextCursor: nextOf(r.links.next, `GET ${V1}/{orgId}/directory/users/{accountId}/last-active-dates`),
      };
    },

    async directories(orgId, cursor, ctx) {
      const r = await up.call({ method: 'GET', path: `${V2}/{orgId}/directories`, pathParams: { orgId }, query: { cursor, limit: PAGE }, schema: DirectoryPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `GET ${V2}/{orgId}/directories`) };
    },

    async directoryUsers(orgId, directoryId, cursor, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/users`;
      const r = await up.call({ method: 'GET', path, pathParams: { orgId, directoryId }, query: cursor ? { cursor } : { limit: PAGE }, schema: DirectoryUserPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `GET ${path}`) };
    },

    async searchDirectoryUsers(orgId, directoryId, s, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/users/search`;
      const body: Record<string, unknown> = { limit: s.limit ?? PAGE };
      if (s.cursor) body.cursor = s.cursor;
      if (s.accountIds?.length) body.accountIds = s.accountIds;
      if (s.groupIds?.length) body.groupIds = s.groupIds;
      if (s.emails?.length) body.emails = s.emails;
      if (s.searchTerm) body.searchTerm = s.searchTerm;
      if (s.claimStatus) body.claimStatus = s.claimStatus;
      if (s.resourceIds?.length) body.resourceIds = s.resourceIds;
      if (s.status?.length) body.status = s.status;
      if (s.expand?.length) body.expand = s.expand;
      // a search is a read: safe to resend
      const r = await up.call({ method: 'POST', path, pathParams: { orgId, directoryId }, body, schema: DirectoryUserPageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `POST ${path}`) };
    },

    async directoryGroups(orgId, directoryId, cursor, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/groups`;
      const r = await up.call({ method: 'GET', path, pathParams: { orgId, directoryId }, query: cursor ? { cursor } : { limit: PAGE }, schema: DirectoryGroupPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `GET ${path}`) };
    },

    async searchDirectoryGroups(orgId, directoryId, s, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/groups/search`;
      // when a cursor is sent, the filters travel inside it
      const body: Record<string, unknown> = s.cursor ? { cursor: s.cursor } : { limit: s.limit ?? PAGE };
      if (!s.cursor) {
        if (s.groupIds?.length) body.groupIds = s.groupIds;
        if (s.resourceIds?.length) body.resourceIds = s.resourceIds;
        if (s.expand?.length) body.expand = s.expand;
      }
      const r = await up.call({ method: 'POST', path, pathParams: { orgId, directoryId }, body, schema: DirectoryGroupPageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `POST ${path}`) };
    },

    directoryGroupMembers: (orgId, directoryId, groupId, cursor, ctx) => client.searchDirectoryUsers(orgId, directoryId, { cursor, groupIds: [groupId] }, ctx),

    async addDirectoryGroupMember(orgId, directoryId, groupId, accountId, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/memberships`;
      return safeWrite({
        endpoint: `POST ${path}`,
        send: async () => {
          await up.call({ method: 'POST', path, pathParams: { orgId, directoryId, groupId }, body: { accountId } }, ctx);
        },
        isAlready: (e) => e.kind === 'conflict' || (e.kind === 'invalid-input' && /already/i.test(e.details.upstreamMessage ?? '')),
        verify: () => isMember(orgId, directoryId, groupId, accountId, ctx),
      });
    },

    async removeDirectoryGroupMember(orgId, directoryId, groupId, accountId, ctx) {
      const path = `${V2}/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}`;
      return safeWrite({
        endpoint: `DELETE ${path}`,
        send: async () => {
          await up.call({ method: 'DELETE', path, pathParams: { orgId, directoryId, groupId, accountId } }, ctx);
        },
        isAlready: async (e) => {
          if (e.kind !== 'not-found' && !(e.kind === 'invalid-input' && /not a member|not.*member/i.test(e.details.upstreamMessage ?? ''))) return false;
          // 404 for "not a member" or for an unknown group/user: only the first is success
          try {
            return !(await isMember(orgId, directoryId, groupId, accountId, ctx));
          } catch {
            return false;
          }
        },
        verify: async () => !(await isMember(orgId, directoryId, groupId, accountId, ctx)),
      });
    },

    suspendUser: (orgId, accountId, directoryId, ctx) => lifecycle('suspend', orgId, accountId, directoryId, ctx),
    restoreUser: (orgId, accountId, directoryId, ctx) => lifecycle('restore', orgId, accountId, directoryId, ctx),

    userApiTokens: (accountId, ctx) => up.call({ method: 'GET', path: '/users/{accountId}/manage/api-tokens', pathParams: { accountId }, schema: z.array(ApiTokenSchema) }, ctx),

    async workspaces(orgId, cursor, ctx) {
      const path = `${V2}/{orgId}/workspaces`;
      // when a cursor is sent no other field may be present
      const body = cursor ? { cursor } : { limit: PAGE };
      const r = await up.call({ method: 'POST', path, pathParams: { orgId }, body, schema: WorkspacePageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, `POST ${path}`), total: r.meta.total };
    },
  };

  async function isMember(orgId: string, directoryId: string, groupId: string, accountId: string, ctx?: RequestContext): Promise<boolean> {
    const r = await client.searchDirectoryUsers(orgId, directoryId, { accountIds: [accountId], groupIds: [groupId], limit: 10 }, ctx);
    return r.data.some((u) => u.accountId === accountId);
  }

  async function lifecycle(action: 'suspend' | 'restore', orgId: string, accountId: string, directoryId: string | undefined, ctx?: RequestContext): Promise<WriteResult> {
    const path = directoryId
      ? `${V2}/{orgId}/directories/{directoryId}/users/{accountId}/${action}`
      : `${V1}/{orgId}/directory/users/{accountId}/${action === 'suspend' ? 'suspend-access' : 'restore-access'}`;
    const pathParams: Record<string, string> = directoryId ? { orgId, directoryId, accountId } : { orgId, accountId };
    try {
      // suspending a suspended user (or restoring an active one) ends in the same state: safe to resend
      await up.call({ method: 'POST', path, pathParams, idempotent: true }, ctx);
      return { changed: true };
    } catch (e) {
      if (e instanceof ConnectorError && (e.kind === 'conflict' || (e.kind === 'invalid-input' && /already/i.test(e.details.upstreamMessage ?? '')))) return { changed: false };
      throw e;
    }
  }

  return client;
}
