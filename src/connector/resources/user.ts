/**
 * user: every Jira account (atlassian, app, customer), one page of GET /users/search per RPC.
 * /users/search answers a bare array with no end marker and may return short pages, so the
 * listing ends on an empty page, never on a short one.
 */
import { Resource, Status, Status_ResourceStatus } from '../../gen/c1/connector/v2/resource';
import type { CallContext, Page, ResourceSyncer } from '../types';
import type { JiraApi, JiraUser } from '../jira-api';
import { resourceType, rid, TRAIT, expectType } from './common';
import { skipEntitlementsAndGrants, userTrait, externalLink } from '../anno';
import { decodeToken, encodeToken } from '../pagetoken';
import { notFound } from '../../errors';

export const USER = 'user';
const PAGE = 1000;

export const userType = resourceType(USER, 'User', 'A Jira Cloud account: a person, an app or service account, or a Service Management customer', [TRAIT.TRAIT_USER], [skipEntitlementsAndGrants()]);

export interface UserOptions {
  skipCustomers: boolean;
  /** https site URL for profile links; undefined leaves links out */
  linkBase?: string;
}

export const HIDDEN_EMAIL = 'hidden by profile visibility';

export function userResource(u: JiraUser, opts: Pick<UserOptions, 'linkBase'>): Resource {
  const email = u.emailAddress || undefined;
  const accountType = u.accountType ?? 'unknown';
  const kind = accountType === 'app' ? 'service' : accountType === 'atlassian' || accountType === 'customer' ? 'human' : 'unspecified';
  const profile: Record<string, unknown> = {
    account_id: u.accountId,
    display_name: u.displayName ?? '',
    account_type: accountType,
    active: u.active,
    email: email ?? '',
    email_visibility: email ? 'visible' : HIDDEN_EMAIL,
    source: 'jira',
  };
  if (u.appType) profile.app_type = u.appType;
  if (u.timeZone) profile.time_zone = u.timeZone;
  const annotations = [
    userTrait({
      emails: email ? [{ address: email, primary: true }] : [],
      enabled: u.active,
      statusDetails: u.active ? '' : 'deactivated or deleted in Atlassian',
      accountType: kind,
      login: email ?? u.accountId,
      profile,
    }),
  ];
  if (opts.linkBase) annotations.push(externalLink(`${opts.linkBase}/jira/people/${encodeURIComponent(u.accountId)}`));
  return Resource.fromPartial({
    id: rid(USER, u.accountId),
    displayName: u.displayName || u.accountId,
    description: accountType === 'app' ? `app account${u.appType ? ` (${u.appType})` : ''}` : accountType === 'customer' ? 'Service Management customer' : '',
    annotations,
    profile,
    status: Status.fromPartial({
      status: u.active ? Status_ResourceStatus.RESOURCE_STATUS_ENABLED : Status_ResourceStatus.RESOURCE_STATUS_DISABLED,
      details: u.active ? '' : 'inactive',
    }),
  });
}

export function userSyncer(api: JiraApi, opts: UserOptions): ResourceSyncer {
  return {
    type: userType,
    async list(parent, pageToken, ctx: CallContext): Promise<Page<Resource>> {
      if (parent) return { items: [] };
      const st = decodeToken<{ s: number }>('user', pageToken);
      const startAt = st?.s ?? 0;
      const users = await api.searchUsers(startAt, PAGE, ctx);
      const items = users.filter((u) => !(opts.skipCustomers && u.accountType === 'customer')).map((u) => userResource(u, opts));
      return { items, nextPageToken: users.length === 0 ? '' : encodeToken('user', { s: startAt + users.length }) };
    },
    async entitlements() {
      return { items: [] };
    },
    async grants() {
      return { items: [] };
    },
    async get(id, _parent, ctx) {
      const accountId = expectType(id, USER, 'resource_id');
      const u = await api.getUser(accountId, ctx);
      if (opts.skipCustomers && u.accountType === 'customer') throw notFound(`user ${accountId} is a customer account, which this connector is configured to skip`);
      return userResource(u, opts);
    },
  };
}
