/**
 * user: every Jira account (atlassian, app, customer), one page of GET /users/search per RPC.
 * /users/search answers a bare array with no end marker and may return short pages, so the
 * listing ends on an empty page, never on a short one.
 */
import { listingPage, type Prefetcher } from '../prefetch';
import { Resource, Status, Status_ResourceStatus } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import { z } from 'zod';
import type { JiraApi, JiraUser, AdminOrgUser, OrgApi } from '../jira-api';
import { resourceType, rid, TRAIT, idOf } from './common';
import { skipEntitlementsAndGrants, userTrait, externalLink } from '../anno';
import { pageToken, refuseToken, startAt as startAtSchema, cursor } from '../pagetoken';
import { invalidInput, isConnectorError, notFound } from '../../errors';
import { OrgUserFacts, orgFacts, directoryUsersById, apiTokenCounts } from '../org';
import { IssueActivity, IssueActivityFacts, issueActivityProfile } from '../issue-activity';

export const USER = 'user';
const PAGE = 1000;

/** Jira's user listing by offset, then (with the organization) the managed accounts by admin cursor. */
const listToken = pageToken('user', 1, z.discriminatedUnion('p', [z.strictObject({ p: z.literal('jira'), s: startAtSchema }), z.strictObject({ p: z.literal('org'), c: cursor.optional() })]));

export const userType = resourceType(USER, 'User', 'A Jira Cloud account: a person, an app or service account, or a Service Management customer', [TRAIT.TRAIT_USER], [skipEntitlementsAndGrants()]);

export interface UserOptions {
  skipCustomers: boolean;
  /** https site URL for profile links; undefined leaves links out */
  linkBase?: string;
  /** the organization, when configured: enrichment and managed accounts without site access */
  org?: OrgApi;
  /** told each page of Jira users the listing fetched in a sync (global permissions reuse them) */
  onPage?: (startAt: number, users: readonly JiraUser[], ctx: CallContext) => void;
  /** last issue activity per account (BATON_JIRA_ACTIVITY_DAYS) */
  issueActivity?: IssueActivity;
  /** the connector's prefetcher: the next page is on its way while the syncer handles this one */
  prefetch?: Prefetcher;
}

/** Page size of the Jira user listing (smaller with the organization: each page is enriched). */
export function userPageSize(withOrg: boolean): number {
  return withOrg ? ORG_PAGE : PAGE;
}

export const HIDDEN_EMAIL = 'hidden by profile visibility';

/** What a user resource is built from: a Jira user, or an organization record in its shape. */
export type UserFields = Pick<JiraUser, 'accountId' | 'active'> & Partial<Pick<JiraUser, 'accountType' | 'appType' | 'displayName' | 'emailAddress' | 'timeZone'>>;

export function userResource(u: UserFields, opts: Pick<UserOptions, 'linkBase'>, facts?: OrgUserFacts, siteAccess = true, activity?: IssueActivityFacts): Resource {
  const jiraEmail = u.emailAddress || undefined;
  const email = jiraEmail ?? facts?.email;
  const accountType = u.accountType ?? 'unknown';
  const kind = accountType === 'app' ? 'service' : accountType === 'atlassian' || accountType === 'customer' ? 'human' : 'unspecified';
  const profile: Record<string, unknown> = {
    account_id: u.accountId,
    display_name: u.displayName ?? '',
    account_type: accountType,
    active: u.active,
    email: email ?? '',
    email_visibility: jiraEmail ? 'visible' : HIDDEN_EMAIL,
    source: siteAccess ? 'jira' : 'organization',
    site_access: siteAccess,
  };
  // where each field came from
  const sources: Record<string, string> = { display_name: siteAccess ? 'jira' : 'organization', active: siteAccess ? 'jira' : 'organization' };
  if (email) sources.email = jiraEmail ? 'jira' : 'organization';
  if (u.appType) profile.app_type = u.appType;
  if (u.timeZone) profile.time_zone = u.timeZone;
  if (facts) {
    profile.managed = facts.managed;
    profile.external = !facts.managed;
    sources.managed = 'organization';
    if (facts.accountStatus) {
      profile.org_account_status = facts.accountStatus;
      sources.org_account_status = 'organization';
    }
    profile.suspended = facts.suspended;
    sources.suspended = 'organization';
    if (facts.mfaEnabled !== undefined) {
      profile.mfa_enabled = facts.mfaEnabled;
      sources.mfa_enabled = 'organization';
    }
    if (facts.addedToOrg) {
      profile.added_to_org = facts.addedToOrg;
      sources.added_to_org = 'organization';
    }
    if (facts.lastActive) {
      profile.last_active = facts.lastActive;
      sources.last_active = 'organization';
    }
    if (Object.keys(facts.productLastActive).length) {
      profile.product_last_active = facts.productLastActive;
      sources.product_last_active = 'organization';
    }
    if (facts.apiTokenCount !== undefined) {
      profile.api_token_count = facts.apiTokenCount;
      sources.api_token_count = 'organization (user management API)';
    }
    if (facts.managementSource) {
      profile.management_source = facts.managementSource;
      sources.management_source = 'organization';
    }
  }
  if (activity) {
    Object.assign(profile, issueActivityProfile(activity));
    sources.last_issue_activity = 'jira issues (created, changelog)';
  }
  profile.sources = sources;
  const annotations = [
    userTrait({
      emails: email ? [{ address: email, primary: true }] : [],
      enabled: u.active,
      statusDetails: u.active ? '' : 'deactivated or deleted in Atlassian',
      accountType: kind,
      login: email ?? u.accountId,
      profile,
      lastLogin: facts?.lastActive ? new Date(facts.lastActive) : undefined,
      mfaEnabled: facts?.mfaEnabled,
    }),
  ];
  if (opts.linkBase) annotations.push(externalLink(`${opts.linkBase}/jira/people/${encodeURIComponent(u.accountId)}`));
  return Resource.fromPartial({
    id: rid(USER, u.accountId),
    displayName: u.displayName || u.accountId,
    description: !siteAccess
      ? 'managed account without access to this Jira site'
      : accountType === 'app'
        ? `app account${u.appType ? ` (${u.appType})` : ''}`
        : accountType === 'customer'
          ? 'Service Management customer'
          : '',
    annotations,
    profile,
    status: Status.fromPartial({
      status: u.active ? Status_ResourceStatus.RESOURCE_STATUS_ENABLED : Status_ResourceStatus.RESOURCE_STATUS_DISABLED,
      details: u.active ? (facts?.suspended ? 'suspended in the organization' : '') : facts?.suspended ? 'suspended in the organization' : 'inactive',
    }),
  });
}

const ORG_PAGE = 100;

/** Organization facts for a page of Jira users: one directory lookup, plus API-token counts of managed accounts. */
async function enrich(org: OrgApi, users: JiraUser[], ctx: CallContext): Promise<Map<string, OrgUserFacts>> {
  const dir = await directoryUsersById(
    org,
    users.map((u) => u.accountId),
    ctx,
    { expand: ['productAccess'] },
  );
  const managed = [...dir.values()].filter((d) => d.claimStatus === 'managed').map((d) => d.accountId);
  const tokens = await apiTokenCounts(org, managed, ctx);
  const out = new Map<string, OrgUserFacts>();
  for (const u of users) {
    const d = dir.get(u.accountId);
    if (!d) {
      // not in any directory of the organization: an external account
      out.set(u.accountId, { managed: false, suspended: false, productLastActive: {} });
      continue;
    }
    const f = orgFacts(d);
    f.apiTokenCount = tokens.get(u.accountId);
    out.set(u.accountId, f);
  }
  return out;
}

function fromDirectory(d: { accountId: string; accountType?: string; name?: string; email?: string; accountStatus?: string; status?: string }): UserFields {
  return {
    accountId: d.accountId,
    accountType: d.accountType ?? 'atlassian',
    active: (d.accountStatus ?? 'active') === 'active' && d.status !== 'suspended',
    displayName: d.name,
    emailAddress: d.email,
  };
}

function fromV1(v: AdminOrgUser): UserFields {
  return { accountId: v.account_id, accountType: v.account_type, active: v.account_status === 'active', displayName: v.name, emailAddress: v.email };
}

/**
 * Managed accounts (admin API v1, cursor pages) that have no access to the Jira site: the page's
 * accounts are checked against the site in one directory search, and only the others are listed.
 */
async function listOrgOnly(org: OrgApi, cursor: string | undefined, ctx: CallContext): Promise<Page<Resource>> {
  const page = await org.admin.orgUsers(org.orgId, cursor, ctx);
  const ids = page.data.map((v) => v.account_id);
  const onSite = await directoryUsersById(org, ids, ctx, { siteOnly: true });
  const off = page.data.filter((v) => !onSite.has(v.account_id));
  const dir = off.length
    ? await directoryUsersById(
        org,
        off.map((v) => v.account_id),
        ctx,
        { expand: ['productAccess'] },
      )
    : new Map();
  const tokens = await apiTokenCounts(
    org,
    off.map((v) => v.account_id),
    ctx,
  );
  const items = off.map((v) => {
    const d = dir.get(v.account_id);
    const facts = orgFacts(d, v);
    facts.managed = true;
    facts.apiTokenCount = tokens.get(v.account_id);
    const u = fromV1(v);
    if (d?.status === 'suspended' || d?.membershipStatus === 'suspended') u.active = false;
    return userResource(u, {}, facts, false);
  });
  return { items, nextPageToken: page.nextCursor ? listToken.encode({ p: 'org', c: page.nextCursor }) : '' };
}

export function userSyncer(api: JiraApi, opts: UserOptions): ResourceSyncer {
  return {
    type: userType,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      if (parent) return { items: [] };
      const st = listToken.decode(pageToken) ?? { p: 'jira', s: 0 };
      const org = opts.org;
      if (st.p === 'org') {
        if (!org) throw invalidInput('page_token belongs to the organization phase, but no organization is configured now; restart the listing with an empty token');
        return listOrgOnly(org, st.c, ctx);
      }
      const startAt = st.s;
      // with the organization, smaller pages keep each call's enrichment requests bounded
      const size = org ? ORG_PAGE : PAGE;
      // a bare array: the listing ends with an empty page
      const users = await listingPage(
        opts.prefetch,
        ctx,
        `users|${size}`,
        startAt,
        (at, c) => api.searchUsers(at, size, c),
        (page) => (page.length ? startAt + page.length : undefined),
      );
      opts.onPage?.(startAt, users, ctx);
      const kept = users.filter((u) => !(opts.skipCustomers && u.accountType === 'customer'));
      let facts: Map<string, OrgUserFacts> | undefined;
      if (org && kept.length) facts = await enrich(org, kept, ctx);
      const act = opts.issueActivity && kept.length ? await opts.issueActivity.forSync(ctx) : undefined;
      const items = kept.map((u) => userResource(u, opts, facts?.get(u.accountId), true, act?.of(u.accountId)));
      const next = users.length === 0 ? (org ? listToken.encode({ p: 'org' }) : '') : listToken.encode({ p: 'jira', s: startAt + users.length });
      return { items, nextPageToken: next };
    },
    async entitlements(resource, pageToken) {
      idOf(resource.id, USER, 'accountId', 'resource.id');
      refuseToken(pageToken, 'ListEntitlements of a user');
      return { items: [] };
    },
    async grants(resource, pageToken) {
      idOf(resource.id, USER, 'accountId', 'resource.id');
      refuseToken(pageToken, 'ListGrants of a user');
      return { items: [] };
    },
    async get(id, _parent, ctx) {
      const accountId = idOf(id, USER, 'accountId', 'resource_id');
      let u: JiraUser;
      try {
        u = await api.getUser(accountId, ctx);
      } catch (e) {
        if (!opts.org || !(isConnectorError(e) && e.kind === 'not-found')) throw e;
        // a managed account without site access
        const d = (await directoryUsersById(opts.org, [accountId], ctx, { expand: ['productAccess'] })).get(accountId);
        if (!d || d.claimStatus !== 'managed') throw e;
        return userResource(fromDirectory(d), opts, orgFacts(d), false);
      }
      if (opts.skipCustomers && u.accountType === 'customer') throw notFound(`user ${accountId} is a customer account, which this connector is configured to skip`);
      const act = opts.issueActivity ? (await opts.issueActivity.forSync(ctx)).of(accountId) : undefined;
      return userResource(u, opts, opts.org ? (await enrich(opts.org, [u], ctx)).get(accountId) : undefined, true, act);
    },
  };
}
