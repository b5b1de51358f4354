/**
 * Atlassian organization admin API (https://api.atlassian.com/admin, org API key as Bearer) and
 * the user management API (https://api.atlassian.com/users/{accountId}/manage/...), one page or
 * one write per call.
 *
 * Paging: v1 answers carry links.next as a full URL; v2 answers carry a cursor value. Either way
 * the caller gets only the cursor *value* back as `nextCursor` (it ends up in a page token) and
 * passes it in unchanged. A URL is never followed: every request is built from the configured API
 * origin and the endpoint's own template, and the cursor travels as ?cursor= or in the body. A v1
 * next link that is not our origin, carries credentials, names another endpoint or holds no single
 * cursor is a bad-upstream error; a cursor from a caller that is a URL (or too long) is invalid
 * input. A forged page token can thus neither send the org key elsewhere nor add query parameters.
 */
import { z } from 'zod';
import { ConnectorError } from '../errors';
import type { RequestContext, Upstream } from './http';
import { fillPath } from './paths';
import { ENDPOINTS as E } from './capabilities';
import { UpstreamError } from './errors';
import {
  AdminApiToken,
  AdminDirectory,
  AdminDomain,
  AdminPolicy,
  DomainPageSchema,
  PolicyPageSchema,
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
import { adminRoleClient, type AdminRoleClient } from './admin-roles';

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
  /** only holders of these administration roles (with resourceIds: on those resources) */
  roleIds?: string[];
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
  /** only groups these administration roles are assigned to (with resourceIds: on those resources) */
  roleIds?: string[];
  /** counts.users, counts.resources */
  expand?: string[];
}

export interface LastActiveDates {
  productAccess: { id?: string; key: string; lastActive?: string }[];
  addedToOrg?: string;
  nextCursor?: string;
}

export interface AdminClient extends AdminRoleClient {
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
  /** v1 DELETE directory user: removes the account's access and its place in the org directory (it must be invited again) */
  removeOrgUser(orgId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  /** user management lifecycle of a managed account: disable / enable (reversible), delete (14 days of grace) / cancel-delete */
  accountLifecycle(accountId: string, op: AccountLifecycleOp, ctx?: RequestContext): Promise<WriteResult>;
  /** user management API: revoke one API token of a managed account; changed: false when it was already gone */
  revokeApiToken(accountId: string, tokenId: string, ctx?: RequestContext): Promise<WriteResult>;
  /** v1 domains of the org with their verification status (organization posture) */
  domains(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminDomain>>;
  /** v1 policies of the org (the documents cover ip-allowlist and data-residency) */
  policies(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminPolicy>>;
  /** v2 workspaces (sites and products) of the org */
  workspaces(orgId: string, cursor?: string, ctx?: RequestContext): Promise<CursorPage<AdminWorkspace>>;
}

export type AccountLifecycleOp = 'disable' | 'enable' | 'delete' | 'cancel-delete';
const LIFECYCLE_OPS = { disable: E.deactivateAccount.path, enable: E.activateAccount.path, delete: E.deleteAccount.path, 'cancel-delete': E.cancelDeleteAccount.path } as const;

const PAGE = 100;
const LIFECYCLE_V1 = { suspend: E.suspendAccess.path, restore: E.restoreAccess.path } as const;
const LIFECYCLE_V2 = { suspend: E.suspendDirectoryUser.path, restore: E.restoreDirectoryUser.path } as const;
/** Longest cursor value accepted from a caller or from Atlassian (they are a few hundred characters at most). */
const MAX_CURSOR = 2048;
const CURSOR = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CURSOR}}$`);
/** an absolute URL ("scheme://..."): never a cursor value (base64 cursors hold no ":") */
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export function createAdminClient(up: Upstream, apiUrl: string): AdminClient {
  const api = new URL(apiUrl);
  const origin = api.origin;
  // the admin upstream sends to apiUrl + template: a next link must name that very path
  const basePath = api.pathname.replace(/\/+$/, '');

  /**
   * A cursor from the caller (out of a page token): a cursor value, never a URL. It travels only
   * as ?cursor= or in a JSON body, so it cannot change where a request goes.
   */
  function cursorIn(cursor: string | undefined, endpoint: string): string | undefined {
    if (cursor === undefined || cursor === '') return undefined;
    if (typeof cursor !== 'string' || !CURSOR.test(cursor) || ABSOLUTE_URL.test(cursor))
      throw new ConnectorError('invalid-input', `the page cursor for ${endpoint} is not a cursor value (at most ${MAX_CURSOR} printable characters, never a URL)`, { endpoint });
    return cursor;
  }

  /**
   * links.next → the cursor value to hand out. v2 answers carry the value itself ('value'); a v1
   * answer carries a full URL ('url'), which must be our configured origin, without credentials,
   * and this very endpoint, and only its `cursor` parameter is kept: the URL is never followed,
   * the next request is built from the template again.
   */
  function nextOf(next: string | undefined | null, form: 'url' | 'value', method: string, template: string, params: Record<string, string>): string | undefined {
    if (next === undefined || next === null || next === '') return undefined;
    const endpoint = `${method} ${template}`;
    const bad = (why: string) => new UpstreamError('bad-upstream', `Atlassian answered ${endpoint} with a next link ${why}; refusing to follow it`, { endpoint });
    if (form === 'value') {
      if (!CURSOR.test(next) || ABSOLUTE_URL.test(next)) throw bad('that is not a cursor value');
      return next;
    }
    let u: URL;
    try {
      u = new URL(next, origin);
    } catch {
      throw bad('that is not a URL');
    }
    if (u.origin !== origin) throw bad(`to another host (${u.host})`);
    if (u.username || u.password) throw bad('that carries credentials');
    if (u.pathname !== basePath + fillPath(template, params)) throw bad('to another endpoint');
    const cursors = u.searchParams.getAll('cursor');
    if (cursors.length !== 1 || !CURSOR.test(cursors[0])) throw bad('without one cursor value');
    return cursors[0];
  }

  async function v1Page<T, S extends { data: T[]; links: { next?: string }; meta?: { total?: number } }>(
    pathTemplate: string,
    pathParams: Record<string, string>,
    schema: z.ZodType<S>,
    cursor: string | undefined,
    ctx: RequestContext | undefined,
  ): Promise<CursorPage<T>> {
    const c = cursorIn(cursor, `GET ${pathTemplate}`);
    const r = await up.call({ method: 'GET', path: pathTemplate, pathParams, query: c ? { cursor: c } : undefined, schema }, ctx);
    return { data: r.data, nextCursor: nextOf(r.links.next, 'url', 'GET', pathTemplate, pathParams), total: r.meta?.total };
  }

  const client: AdminClient = {
    ...adminRoleClient(up),
    orgs: (cursor, ctx) => v1Page(E.orgs.path, {}, OrgPageSchema, cursor, ctx),

    orgUsers: (orgId, cursor, ctx) => v1Page(E.orgUsers.path, { orgId }, OrgUserPageSchema, cursor, ctx),

    async lastActiveDates(orgId, accountId, ctx) {
      const path = E.lastActiveDates.path;
      const r = await up.call({ method: 'GET', path, pathParams: { orgId, accountId }, schema: LastActiveSchema }, ctx);
      return {
        productAccess: r.data.product_access.map((p) => ({ id: p.id, key: p.key, lastActive: p.last_active })),
        addedToOrg: r.data.added_to_org,
        nextCursor: nextOf(r.links.next, 'url', 'GET', path, { orgId, accountId }),
      };
    },

    async directories(orgId, cursor, ctx) {
      const path = E.directories.path;
      const c = cursorIn(cursor, `GET ${path}`);
      const r = await up.call({ method: 'GET', path, pathParams: { orgId }, query: { cursor: c, limit: PAGE }, schema: DirectoryPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'GET', path, { orgId }) };
    },

    async directoryUsers(orgId, directoryId, cursor, ctx) {
      const path = E.directoryUsers.path;
      const c = cursorIn(cursor, `GET ${path}`);
      const r = await up.call({ method: 'GET', path, pathParams: { orgId, directoryId }, query: c ? { cursor: c } : { limit: PAGE }, schema: DirectoryUserPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'GET', path, { orgId, directoryId }) };
    },

    async searchDirectoryUsers(orgId, directoryId, s, ctx) {
      const path = E.searchDirectoryUsers.path;
      const body: Record<string, unknown> = { limit: s.limit ?? PAGE };
      const c = cursorIn(s.cursor, `POST ${path}`);
      if (c) body.cursor = c;
      if (s.accountIds?.length) body.accountIds = s.accountIds;
      if (s.groupIds?.length) body.groupIds = s.groupIds;
      if (s.emails?.length) body.emails = s.emails;
      if (s.searchTerm) body.searchTerm = s.searchTerm;
      if (s.claimStatus) body.claimStatus = s.claimStatus;
      if (s.resourceIds?.length) body.resourceIds = s.resourceIds;
      if (s.status?.length) body.status = s.status;
      if (s.roleIds?.length) body.roleIds = s.roleIds;
      if (s.expand?.length) body.expand = s.expand;
      // a search is a read: safe to resend
      const r = await up.call({ method: 'POST', path, pathParams: { orgId, directoryId }, body, schema: DirectoryUserPageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'POST', path, { orgId, directoryId }) };
    },

    async directoryGroups(orgId, directoryId, cursor, ctx) {
      const path = E.directoryGroups.path;
      const c = cursorIn(cursor, `GET ${path}`);
      const r = await up.call({ method: 'GET', path, pathParams: { orgId, directoryId }, query: c ? { cursor: c } : { limit: PAGE }, schema: DirectoryGroupPageSchema }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'GET', path, { orgId, directoryId }) };
    },

    async searchDirectoryGroups(orgId, directoryId, s, ctx) {
      const path = E.searchDirectoryGroups.path;
      // when a cursor is sent, the filters travel inside it
      const c = cursorIn(s.cursor, `POST ${path}`);
      const body: Record<string, unknown> = c ? { cursor: c } : { limit: s.limit ?? PAGE };
      if (!c) {
        if (s.groupIds?.length) body.groupIds = s.groupIds;
        if (s.resourceIds?.length) body.resourceIds = s.resourceIds;
        if (s.expand?.length) body.expand = s.expand;
        if (s.roleIds?.length) body.roleIds = s.roleIds;
      }
      const r = await up.call({ method: 'POST', path, pathParams: { orgId, directoryId }, body, schema: DirectoryGroupPageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'POST', path, { orgId, directoryId }) };
    },

    directoryGroupMembers: (orgId, directoryId, groupId, cursor, ctx) => client.searchDirectoryUsers(orgId, directoryId, { cursor, groupIds: [groupId] }, ctx),

    async addDirectoryGroupMember(orgId, directoryId, groupId, accountId, ctx) {
      const path = E.addDirectoryGroupMember.path;
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
      const path = E.removeDirectoryGroupMember.path;
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

    userApiTokens: (accountId, ctx) => up.call({ method: 'GET', path: E.apiTokens.path, pathParams: { accountId }, schema: z.array(ApiTokenSchema) }, ctx),

    domains: (orgId, cursor, ctx) => v1Page(E.orgDomains.path, { orgId }, DomainPageSchema, cursor, ctx),
    policies: (orgId, cursor, ctx) => v1Page(E.orgPolicies.path, { orgId }, PolicyPageSchema, cursor, ctx),

    async removeOrgUser(orgId, accountId, ctx) {
      const path = E.removeOrgUser.path;
      const inDirectory = async () => (await client.searchDirectoryUsers(orgId, '-', { accountIds: [accountId], limit: 10 }, ctx)).data.some((u) => u.accountId === accountId);
      return safeWrite({
        endpoint: `DELETE ${path}`,
        send: async () => {
          await up.call({ method: 'DELETE', path, pathParams: { orgId, accountId } }, ctx);
        },
        isAlready: async (e) => e.kind === 'not-found' && !(await inDirectory().catch(() => true)),
        verify: async () => !(await inDirectory()),
      });
    },

    async accountLifecycle(accountId, op, ctx) {
      // the callers read the state first; each of these ends in the same state when sent twice
      const body = op === 'disable' ? { message: 'Deactivated by the identity governance connector' } : undefined;
      await up.call({ method: 'POST', path: LIFECYCLE_OPS[op], pathParams: { accountId }, body, idempotent: true }, ctx);
      return { changed: true };
    },

    async revokeApiToken(accountId, tokenId, ctx) {
      const path = E.revokeApiToken.path;
      const present = async () => (await client.userApiTokens(accountId, ctx)).some((t) => t.id === tokenId);
      return safeWrite({
        endpoint: `DELETE ${path}`,
        send: async () => {
          await up.call({ method: 'DELETE', path, pathParams: { accountId, tokenId } }, ctx);
        },
        isAlready: async (e) => e.kind === 'not-found' && !(await present().catch(() => true)),
        verify: async () => !(await present()),
      });
    },

    async workspaces(orgId, cursor, ctx) {
      const path = E.workspaces.path;
      // when a cursor is sent no other field may be present
      const c = cursorIn(cursor, `POST ${path}`);
      const body = c ? { cursor: c } : { limit: PAGE };
      const r = await up.call({ method: 'POST', path, pathParams: { orgId }, body, schema: WorkspacePageSchema, idempotent: true, read: true }, ctx);
      return { data: r.data, nextCursor: nextOf(r.links.next, 'value', 'POST', path, { orgId }), total: r.meta.total };
    },
  };

  async function isMember(orgId: string, directoryId: string, groupId: string, accountId: string, ctx?: RequestContext): Promise<boolean> {
    const r = await client.searchDirectoryUsers(orgId, directoryId, { accountIds: [accountId], groupIds: [groupId], limit: 10 }, ctx);
    return r.data.some((u) => u.accountId === accountId);
  }

  async function lifecycle(action: 'suspend' | 'restore', orgId: string, accountId: string, directoryId: string | undefined, ctx?: RequestContext): Promise<WriteResult> {
    // an empty directory id is refused by the path builder, never read as "org-wide"
    const path = directoryId !== undefined ? LIFECYCLE_V2[action] : LIFECYCLE_V1[action];
    const pathParams: Record<string, string> = directoryId !== undefined ? { orgId, directoryId, accountId } : { orgId, accountId };
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
