/**
 * global-permission: Jira's global permissions (Administer Jira, Browse users and groups, Share
 * dashboards and filters, ...), one resource per key `GET /permissions` lists with type GLOBAL, each
 * with one entitlement, `granted`, held by users.
 *
 * Jira Cloud has no API that lists who holds a global permission (they are given to groups in the
 * admin UI, and no endpoint reads that table). The only way to know is to ask per account:
 * `POST /permissions/check {accountId, globalPermissions: [every global key]}` answers which of them
 * the account holds (Jira's own evaluation). So the option is opt-in (BATON_JIRA_GLOBAL_PERMISSIONS):
 *   cost per sync = 1 × GET /permissions + 1 × POST /permissions/check per account (customers left
 *   out with BATON_SKIP_CUSTOMER_USER); each check answers every global key at once, so the number
 *   of global permissions does not change the cost. The requests go through the Jira client, whose
 *   concurrency slots, shared 429 pause and pacing keep them inside the rate limit; at most CONCURRENCY
 *   of them are in flight from one ListGrants call, and one call checks at most CHUNK accounts.
 * The accounts are the user listing's own pages: the user syncer reports each page it fetched in the
 * sync (`notePage`), and the grants of a global permission walk the same offsets, so nothing is
 * fetched twice. Only when a page was not seen in this sync (another process served the listing, the
 * cache expired) is it fetched again. Checks are cached per sync and chunk, so the second global
 * permission's grants cost nothing upstream; everything is dropped at Cleanup.
 *
 * Without the option the type stays in the catalogue (its description says global permissions are
 * not synced and how to turn them on) and lists no resources: a placeholder resource would show in
 * access reviews as a permission nobody holds, which is false.
 */
import { Resource, type ResourceId } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { JiraApi, JiraUser } from '../jira-api';
import { z } from 'zod';
import { entitlement, expectType, grant, resourceType, rid, TRAIT } from './common';
import { grantImmutable, roleTrait } from '../anno';
import { pageToken, refuseToken, startAt as startAtSchema } from '../pagetoken';
import { PromiseCache, syncKey } from '../cache';
import { userType, USER } from './user';
import { invalidInput, isConnectorError, notFound } from '../../errors';
import { log } from '../../log';
import { isId } from '../../id-shapes';

export const GLOBAL_PERMISSION = 'global-permission';
export const GRANTED = 'granted';

/** accounts checked per ListGrants call (a chunk of one user page) */
const CHUNK = 50;
/** permissions/check requests in flight from one call (the client's slots and pacing bound the rest) */
const CONCURRENCY = 8;
const KEY = /^[A-Z][A-Z0-9_]{0,99}$/;

const grantsToken = pageToken('global-permission-grants', 1, z.strictObject({ s: startAtSchema, o: z.number().int().nonnegative().max(100_000) }));

const ON = 'A Jira global permission (Administer Jira, Browse users and groups, ...); holders are checked per account with POST /permissions/check';
const OFF = 'Jira global permissions: not synced (no Jira API lists their holders; set BATON_JIRA_GLOBAL_PERMISSIONS=true to check each account, one request per account per sync)';

export interface GlobalPermissionOptions {
  enabled: boolean;
  /** the user listing's page size (the offsets the user syncer walks) */
  pageSize: number;
  skipCustomers: boolean;
}

type Account = { accountId: string; accountType?: string };

export interface GlobalPermissions {
  syncer: ResourceSyncer;
  /** the user syncer's pages, as it lists them in a sync (reused for the checks) */
  notePage(startAt: number, users: readonly JiraUser[], ctx: CallContext): void;
}

function globalPermissionKey(id: ResourceId | undefined, field: string): string {
  const key = expectType(id, GLOBAL_PERMISSION, field).resource;
  if (!KEY.test(key)) throw invalidInput(`${field}.resource must be a global permission key such as ADMINISTER (upper-case letters, digits and _)`);
  return key;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function globalPermissions(api: JiraApi, opts: GlobalPermissionOptions): GlobalPermissions {
  const type = resourceType(GLOBAL_PERMISSION, 'Global Permission', opts.enabled ? ON : OFF, [TRAIT.TRAIT_ROLE]);
  const keysCache = new PromiseCache<{ key: string; name: string; description: string }[]>({
    maxEntries: 16,
    maxBytes: 1024 * 1024,
    ttlMs: 30 * 60 * 1000,
    sizeOf: (v) => 256 * Math.max(1, v.length),
  });
  const pages = new PromiseCache<Account[]>({ maxEntries: 5000, maxBytes: 32 * 1024 * 1024, ttlMs: 60 * 60 * 1000, sizeOf: (v) => 64 + v.length * 96 });
  const checks = new PromiseCache<Map<string, string[]>>({ maxEntries: 20_000, maxBytes: 32 * 1024 * 1024, ttlMs: 60 * 60 * 1000, sizeOf: (m) => 64 + m.size * 160 });

  const cached = <T>(cache: PromiseCache<T>, ctx: CallContext, key: string, load: () => Promise<T>) => (ctx.activeSyncId ? cache.get(`${syncKey(ctx.activeSyncId)}|${key}`, load) : load());

  const globalKeys = (ctx: CallContext) =>
    cached(keysCache, ctx, '', async () =>
      (await api.allPermissions(ctx))
        .filter((p) => p.type === 'GLOBAL' && KEY.test(p.key))
        .map((p) => ({ key: p.key, name: p.name || p.key, description: p.description }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );

  const slim = (users: readonly JiraUser[]): Account[] => users.map((u) => ({ accountId: u.accountId, accountType: u.accountType }));
  const pageAt = (s: number, ctx: CallContext) => cached(pages, ctx, `p${s}`, async () => slim(await api.searchUsers(s, opts.pageSize, ctx)));

  /** global keys held by each account of one chunk (one permissions/check per account) */
  const chunk = (s: number, o: number, accounts: Account[], keys: string[], ctx: CallContext) =>
    cached(checks, ctx, `c${s}:${o}`, async () => {
      const wanted = accounts.filter((a) => isId('accountId', a.accountId) && !(opts.skipCustomers && a.accountType === 'customer'));
      const held = await mapLimit(wanted, CONCURRENCY, async (a) => {
        try {
          return (await api.checkPermissions({ accountId: a.accountId, globalPermissions: keys }, ctx)).globalPermissions;
        } catch (e) {
          // an account Jira no longer knows (deleted since the listing) holds nothing; anything else fails the call
          if (!(isConnectorError(e) && (e.kind === 'not-found' || e.kind === 'invalid-input'))) throw e;
          log().warn({ accountId: a.accountId, kind: e.kind }, 'permissions/check refused an account; it is given no global permission');
          return [];
        }
      });
      return new Map(wanted.map((a, i) => [a.accountId, held[i].filter((k) => keys.includes(k))]));
    });

  const toResource = (p: { key: string; name: string; description: string }) =>
    Resource.fromPartial({
      id: rid(GLOBAL_PERMISSION, p.key),
      displayName: p.name,
      description: p.description,
      annotations: [roleTrait({ key: p.key, name: p.name, source: 'POST /rest/api/3/permissions/check per account' })],
      profile: { key: p.key, name: p.name },
    });

  const syncer: ResourceSyncer = {
    type,
    async list(parent, pageToken, ctx): Promise<Page<Resource>> {
      refuseToken(pageToken, 'ListResources of global permissions');
      if (parent || !opts.enabled) return { items: [] };
      return { items: (await globalKeys(ctx)).map(toResource) };
    },
    async entitlements(resource, pageToken) {
      const key = globalPermissionKey(resource.id, 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a global permission');
      if (!opts.enabled) return { items: [] };
      const name = resource.displayName || key;
      return {
        items: [
          entitlement(resource, {
            slug: GRANTED,
            displayName: `${name}`,
            description: `Holds the Jira global permission ${name} (${key}), as Jira's permissions/check answers for the account`,
            grantableTo: [userType],
            purpose: 'permission',
          }),
        ],
      };
    },
    async grants(resource, pageToken, ctx) {
      const key = globalPermissionKey(resource.id, 'resource.id');
      const st = grantsToken.decode(pageToken) ?? { s: 0, o: 0 };
      if (!opts.enabled) return { items: [] };
      const keys = (await globalKeys(ctx)).map((p) => p.key);
      if (!keys.includes(key)) return { items: [] };
      const accounts = await pageAt(st.s, ctx);
      if (!accounts.length) return { items: [] };
      const part = accounts.slice(st.o, st.o + CHUNK);
      const held = await chunk(st.s, st.o, part, keys, ctx);
      const items = [...held].filter(([, ks]) => ks.includes(key)).map(([accountId]) => grant(resource, GRANTED, rid(USER, accountId), [grantImmutable()]));
      const next = st.o + CHUNK < accounts.length ? { s: st.s, o: st.o + CHUNK } : { s: st.s + accounts.length, o: 0 };
      return { items, nextPageToken: grantsToken.encode(next) };
    },
    async get(id, _parent, ctx) {
      const key = globalPermissionKey(id, 'resource_id');
      if (!opts.enabled) throw notFound(`global permissions are not synced (BATON_JIRA_GLOBAL_PERMISSIONS is off)`);
      const p = (await globalKeys(ctx)).find((x) => x.key === key);
      if (!p) throw notFound(`no global permission ${key}`);
      return toResource(p);
    },
    async cleanup(activeSyncId) {
      const k = syncKey(activeSyncId);
      keysCache.dropSync(k);
      pages.dropSync(k);
      checks.dropSync(k);
    },
  };

  return {
    syncer,
    notePage(startAt, users, ctx) {
      if (!opts.enabled || !ctx.activeSyncId) return;
      pages.set(`${syncKey(ctx.activeSyncId)}|p${startAt}`, slim(users));
    },
  };
}
