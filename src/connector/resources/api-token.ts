/**
 * api-token: the API tokens of the organization's managed accounts, as secrets (SecretTrait: created,
 * expires, last used, the owning user as identity), from the user management API
 * (GET /users/{accountId}/manage/api-tokens), one page of managed accounts (admin API directory
 * search, claimStatus managed) per RPC. Ordinary API tokens of accounts the organization does not
 * manage cannot be listed by anyone but their owner: the type's description says so.
 *
 * Revoking a token is a DeleteResourceV2 of the token (DELETE /users/{accountId}/manage/api-tokens/{tokenId}):
 * irreversible, so it needs BATON_ALLOW_DELETE besides BATON_PROVISIONING; refused before any request.
 *
 * Resource id: "<accountId>:<tokenId>" (token ids hold no ":", account ids may).
 */
import { z } from 'zod';
import { Resource, Status, Status_ResourceStatus, type ResourceId } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { AdminDirectoryUser, OrgApi } from '../jira-api';
import { resourceType, rid, TRAIT, expectType } from './common';
import { USER } from './user';
import { secretTrait, skipEntitlementsAndGrants } from '../anno';
import { pageToken, cursor } from '../pagetoken';
import { ALL_DIRECTORIES, orgFacts, tokenLists } from '../org';
import { ConnectorError, invalidInput, notFound } from '../../errors';
import { checkId } from '../../id-shapes';
import { log } from '../../log';
import type { OffboardingGuard } from '../offboarding';

export const API_TOKEN = 'api-token';
/** managed accounts per page (each costs one token-list request) */
const PAGE = 50;

const listToken = pageToken('api-token', 1, z.strictObject({ c: cursor.optional() }));

export const apiTokenType = resourceType(
  API_TOKEN,
  'API token',
  "An Atlassian API token of a managed account (user management API): created, expires, last used, owner. Only the organization's managed accounts are covered: API tokens of accounts the organization does not manage (other email domains) cannot be listed by an admin.",
  [TRAIT.TRAIT_SECRET],
  [skipEntitlementsAndGrants()],
);

export interface TokenOwner {
  accountId: string;
  name?: string;
  email?: string;
  /** active, suspended, deactivated (inactive) or closed (deleted, or deletion scheduled) */
  status: string;
}

export interface ApiTokenRecord {
  id: string;
  label: string;
  createdAt: string;
  lastAccess?: string;
  expiresAt?: string;
}

export function ownerOf(d: AdminDirectoryUser): TokenOwner {
  const f = orgFacts(d);
  const status = f.accountStatus === 'inactive' ? 'deactivated' : f.accountStatus && f.accountStatus !== 'active' ? f.accountStatus : f.suspended ? 'suspended' : 'active';
  return { accountId: d.accountId, name: d.name, email: d.email, status };
}

function date(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function tokenResourceId(accountId: string, tokenId: string): string {
  return `${accountId}:${tokenId}`;
}

/** The owner's account id and the token id a resource id stands for, each checked against its shape. */
export function parseTokenId(id: ResourceId | undefined, field: string): { accountId: string; tokenId: string } {
  const r = expectType(id, API_TOKEN, field).resource;
  const i = typeof r === 'string' ? r.lastIndexOf(':') : -1;
  if (i <= 0) throw invalidInput(`${field}.resource must be "<accountId>:<tokenId>"`);
  return { accountId: checkId('accountId', r.slice(0, i), `${field}.resource (account id)`), tokenId: checkId('apiTokenId', r.slice(i + 1), `${field}.resource (token id)`) };
}

export function apiTokenResource(t: ApiTokenRecord, owner: TokenOwner, now = Date.now()): Resource {
  const expires = date(t.expiresAt);
  const expired = !!expires && expires.getTime() <= now;
  const profile: Record<string, unknown> = {
    token_id: t.id,
    label: t.label,
    owner_account_id: owner.accountId,
    owner_name: owner.name ?? '',
    owner_email: owner.email ?? '',
    owner_status: owner.status,
    created_at: t.createdAt,
    last_used_at: t.lastAccess ?? '',
    expires_at: t.expiresAt ?? '',
    never_expires: !t.expiresAt,
    expired,
    source: 'organization (user management API)',
  };
  const identity = rid(USER, owner.accountId);
  return Resource.fromPartial({
    id: rid(API_TOKEN, tokenResourceId(owner.accountId, t.id)),
    parentResourceId: undefined,
    displayName: t.label || t.id,
    description: `API token of ${owner.name || owner.accountId}${!t.expiresAt ? ', never expires' : expired ? ', expired' : ''}`,
    annotations: [secretTrait({ createdAt: date(t.createdAt), expiresAt: expires, lastUsedAt: date(t.lastAccess), identity, detail: 'atlassian_api_token' })],
    profile,
    createdAt: date(t.createdAt),
    status: Status.fromPartial({
      status: expired ? Status_ResourceStatus.RESOURCE_STATUS_DISABLED : Status_ResourceStatus.RESOURCE_STATUS_ENABLED,
      details: expired ? 'expired' : '',
    }),
  });
}

/** The token list of one managed account (read once per sync with the user listing's count); undefined when the key may not read it. */
async function tokensOf(org: OrgApi, accountId: string, ctx: CallContext): Promise<ApiTokenRecord[] | undefined> {
  const tokens = await tokenLists(org).read(accountId, 'list', ctx);
  if (!tokens) log().warn({ accountId }, 'api-token: the token list of a managed account could not be read; its tokens are left out');
  return tokens;
}

export function apiTokenSyncer(org: OrgApi | undefined, guard: OffboardingGuard): ResourceSyncer {
  return {
    type: apiTokenType,
    async cleanup(activeSyncId) {
      if (org) tokenLists(org).dropSync(activeSyncId);
    },
    async list(parent, token, ctx): Promise<Page<Resource>> {
      const state = listToken.decode(token);
      if (parent || !org) return { items: [] };
      const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { claimStatus: 'managed', limit: PAGE, cursor: state?.c }, ctx);
      const owners = page.data.filter((d) => d.claimStatus === 'managed');
      const lists = await Promise.all(owners.map((d) => tokensOf(org, d.accountId, ctx)));
      const items: Resource[] = [];
      owners.forEach((d, i) => {
        for (const t of lists[i] ?? []) items.push(apiTokenResource(t, ownerOf(d)));
      });
      return { items, nextPageToken: page.nextCursor ? listToken.encode({ c: page.nextCursor }) : '' };
    },
    async entitlements() {
      return { items: [] };
    },
    async grants() {
      return { items: [] };
    },
    async get(id, _parent, ctx) {
      const { accountId, tokenId } = parseTokenId(id, 'resource_id');
      if (!org) throw new ConnectorError('precondition', 'API tokens are read from the Atlassian organization: set BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN');
      const [tokens, dir] = await Promise.all([tokensOf(org, accountId, ctx), org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { accountIds: [accountId], limit: 10 }, ctx)]);
      const t = tokens?.find((x) => x.id === tokenId);
      const d = dir.data.find((x) => x.accountId === accountId);
      if (!t || !d) throw notFound(`API token ${tokenId} of ${accountId} was not found`);
      return apiTokenResource(t, ownerOf(d));
    },
    deleter: {
      async delete(id, _parent, ctx) {
        const { accountId, tokenId } = parseTokenId(id, 'resource_id');
        guard.irreversible('revoking an API token', 'api-token');
        if (!org) throw new ConnectorError('precondition', 'revoking an API token needs the Atlassian organization: set BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN');
        const before = await tokensOf(org, accountId, ctx);
        if (before === undefined)
          throw new ConnectorError('precondition', `the API tokens of ${accountId} cannot be read with this key: only the tokens of accounts the organization manages can be revoked here`);
        if (!before.some((t) => t.id === tokenId)) {
          guard.audit('api token revoke', { accountId, tokenId, changed: false });
          return { changed: false, message: `API token ${tokenId} of ${accountId} does not exist (already revoked): nothing was sent` };
        }
        const r = await org.admin.revokeApiToken(accountId, tokenId, ctx);
        guard.audit('api token revoke', { accountId, tokenId, changed: r.changed });
        return { changed: r.changed, message: `API token ${tokenId} of ${accountId} revoked` };
      },
    },
  };
}
