/**
 * The Atlassian organization (admin API), when BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN
 * are set. It enriches Jira users and groups with what Jira hides (emails of private profiles,
 * managed or external, suspended, last active per product, API tokens, IdP-synced groups) and
 * adds managed accounts and directory groups that have no access to the Jira site.
 *
 * "On the site" is asked of the admin API itself (the resourceIds filter with the site's ARI), one
 * request per page, so no listing depends on state kept between calls.
 */
import type { AdminApiToken, AdminDirectoryUser, AdminOrgUser, OrgApi, RequestContext } from './jira-api';
import type { CallContext } from './types';
import { isConnectorError } from '../errors';
import { PromiseCache, syncKey } from './cache';

export type { OrgApi } from './jira-api';

export const ALL_DIRECTORIES = '-';
const LOOKUP = 100; // v2 search: at most 100 per call

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Directory records of these accounts (those in the org's directories), by account id. */
export async function directoryUsersById(org: OrgApi, accountIds: string[], ctx: RequestContext, opts: { siteOnly?: boolean; expand?: string[] } = {}): Promise<Map<string, AdminDirectoryUser>> {
  const out = new Map<string, AdminDirectoryUser>();
  const resourceIds = opts.siteOnly ? await org.siteResourceIds(ctx) : undefined;
  await Promise.all(
    chunks([...new Set(accountIds)], LOOKUP).map(async (ids) => {
      let cursor: string | undefined;
      do {
        const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { accountIds: ids, resourceIds, expand: opts.expand, limit: LOOKUP, cursor }, ctx);
        for (const u of page.data) out.set(u.accountId, u);
        cursor = page.nextCursor;
      } while (cursor);
    }),
  );
  return out;
}

/** Which of these groups the Jira site has (admin API resourceIds filter). */
export async function groupsOnSite(org: OrgApi, groupIds: string[], ctx: RequestContext): Promise<Set<string>> {
  const out = new Set<string>();
  if (!groupIds.length) return out;
  const resourceIds = await org.siteResourceIds(ctx);
  for (const ids of chunks(groupIds, LOOKUP)) {
    let cursor: string | undefined;
    do {
      const page = await org.admin.searchDirectoryGroups(org.orgId, ALL_DIRECTORIES, { groupIds: ids, resourceIds, limit: LOOKUP, cursor }, ctx);
      for (const g of page.data) out.add(g.id);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return out;
}

export interface OrgUserFacts {
  email?: string;
  managed: boolean;
  accountStatus?: string;
  suspended: boolean;
  status?: string;
  mfaEnabled?: boolean;
  addedToOrg?: string;
  lastActive?: string;
  productLastActive: Record<string, string>;
  apiTokenCount?: number;
  managementSource?: string;
}

/** Facts from a v2 directory record (and a v1 managed-account record when there is one). */
export function orgFacts(d: AdminDirectoryUser | undefined, v1?: AdminOrgUser): OrgUserFacts {
  const productLastActive: Record<string, string> = {};
  for (const p of (d?.productAccess ?? []) as { key?: string; lastActiveTimestamp?: string; lastActive?: string }[]) {
    const at = p.lastActiveTimestamp ?? p.lastActive;
    if (p.key && at) productLastActive[p.key] = at;
  }
  for (const p of v1?.product_access ?? []) if (p.last_active && !productLastActive[p.key]) productLastActive[p.key] = p.last_active;
  const dates = Object.values(productLastActive).concat(v1?.last_active ? [v1.last_active] : []);
  return {
    email: d?.email ?? v1?.email,
    managed: d ? d.claimStatus === 'managed' : !!v1,
    accountStatus: d?.accountStatus ?? v1?.account_status,
    suspended: d?.membershipStatus === 'suspended' || d?.status === 'suspended',
    status: d?.status,
    mfaEnabled: d?.mfaEnabled,
    addedToOrg: d?.addedToOrg,
    lastActive: dates.sort().at(-1),
    productLastActive,
    managementSource: d?.managementSource,
  };
}

/** Who reads a managed account's token list in a sync: the user listing (api_token_count) and the api-token type. */
type TokenReader = 'count' | 'list';
const READERS: readonly TokenReader[] = ['count', 'list'];

/**
 * Managed accounts' API-token lists (user management API, one request per account), read once per
 * sync: the user listing counts them and the api-token type lists them, in whichever order the
 * syncer calls them; the first reader's request answers both, and an entry both have read is
 * dropped. Bounded (32 MiB, 30 minutes), dropped at Cleanup; outside a sync each call reads.
 * `undefined`: the key may not read that account's tokens (e.g. it is no longer managed).
 */
export interface TokenLists {
  read(accountId: string, reader: TokenReader, ctx: CallContext): Promise<AdminApiToken[] | undefined>;
  dropSync(activeSyncId: string | undefined): void;
}

const sharedLists = new WeakMap<OrgApi, TokenLists>();

/** The token lists of one organization connection (one per connector, shared by its resource types). */
export function tokenLists(org: OrgApi): TokenLists {
  const known = sharedLists.get(org);
  if (known) return known;
  const cache = new PromiseCache<{ tokens: AdminApiToken[] | undefined; read: Set<TokenReader> }>({
    maxEntries: 500_000,
    maxBytes: 32 * 1024 * 1024,
    ttlMs: 30 * 60 * 1000,
    sizeOf: (v) => 96 + (v.tokens?.length ?? 0) * 320,
  });
  const fetch = async (accountId: string, ctx: RequestContext) => {
    try {
      return await org.admin.userApiTokens(accountId, ctx);
    } catch (e) {
      if (isConnectorError(e) && (e.kind === 'not-found' || e.kind === 'permission')) return undefined;
      throw e;
    }
  };
  const lists: TokenLists = {
    async read(accountId, reader, ctx) {
      if (!ctx.activeSyncId) return fetch(accountId, ctx);
      const key = `${syncKey(ctx.activeSyncId)}|${accountId}`;
      const entry = await cache.get(key, async () => ({ tokens: await fetch(accountId, ctx), read: new Set<TokenReader>() }));
      entry.read.add(reader);
      if (READERS.every((r) => entry.read.has(r))) cache.delete(key);
      return entry.tokens;
    },
    dropSync: (id) => cache.dropSync(syncKey(id)),
  };
  sharedLists.set(org, lists);
  return lists;
}

/** API-token counts of managed accounts (their lists read once per sync, see tokenLists; run concurrently). */
export async function apiTokenCounts(org: OrgApi, accountIds: string[], ctx: CallContext): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const lists = tokenLists(org);
  await Promise.all(
    accountIds.map(async (id) => {
      // a token list we may not read (e.g. not a managed account) leaves the count unknown
      const tokens = await lists.read(id, 'count', ctx);
      if (tokens) out.set(id, tokens.length);
    }),
  );
  return out;
}

/** Whether an account is a member of a directory group (one directory search). */
export async function isDirectoryMember(org: OrgApi, directoryId: string, groupId: string, accountId: string, ctx: RequestContext): Promise<boolean> {
  const r = await org.admin.searchDirectoryUsers(org.orgId, directoryId, { accountIds: [accountId], groupIds: [groupId], limit: 10 }, ctx);
  return r.data.some((u) => u.accountId === accountId);
}
