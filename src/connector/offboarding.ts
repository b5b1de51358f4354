/**
 * Offboarding (issue 15): what finishes a leaver's access beyond suspend/restore.
 *
 * - DeleteResourceV2 of a `user`: remove the account from the Jira site (DELETE /rest/api/3/user).
 *   Atlassian refuses it to OAuth 2.0 and scoped tokens: those modes answer FAILED_PRECONDITION
 *   naming the mode and what works instead, before any request.
 * - Actions on a `user` (ActionService), each schema saying what it does and whether it can be undone:
 *   `account_deactivate` / `account_activate` (user management lifecycle/disable, enable),
 *   `account_delete` (lifecycle/delete: 14 days of grace) / `account_cancel_delete` (its undo), and
 *   `account_remove_from_org` (admin API v1 DELETE directory user).
 * - DeleteResourceV2 of an `api-token`: revoke it (resources/api-token.ts).
 *
 * Every operation reads the state first and answers `changed: false` (saying so) when the account
 * or token is already that way, without sending the write. Irreversible ones also need
 * BATON_ALLOW_DELETE; refused modes are refused before any request. Each write is audited.
 */
import type { ActionSpec, CallContext, ResourceDeleter } from './types';
import type { JiraApi, OrgApi, AdminDirectoryUser } from './jira-api';
import type { AuthMode } from '../config/schema';
import { ConnectorError, isConnectorError } from '../errors';
import { auditLog } from './resources/provisioning';
import { idOf } from './resources/common';
import { USER } from './resources/user';
import { ALL_DIRECTORIES } from './org';

export interface OffboardingOptions {
  /** BATON_ALLOW_DELETE */
  allowDelete: boolean;
  dryRun: boolean;
  /** the Jira credential's mode (site removal needs a classic API token) */
  authMode?: AuthMode;
}

/** The second switch and the audit log, shared by every offboarding operation. */
export interface OffboardingGuard {
  /** FAILED_PRECONDITION unless BATON_ALLOW_DELETE is on; call before any request */
  irreversible(what: string, resourceTypeId: string): void;
  audit(action: string, fields: Record<string, unknown>): void;
  readonly dryRun: boolean;
}

export function offboardingGuard(o: OffboardingOptions): OffboardingGuard {
  const log = auditLog(o.dryRun);
  return {
    dryRun: o.dryRun,
    irreversible(what, resourceTypeId) {
      // a dry run sends no write: it may preview what the switch would allow
      if (!o.allowDelete && !o.dryRun)
        throw new ConnectorError(
          'precondition',
          `${what} cannot be undone, so it needs a second switch: set BATON_ALLOW_DELETE=true (--allow-delete) besides BATON_PROVISIONING; nothing was sent (${resourceTypeId})`,
        );
    },
    audit: (action, fields) => log(action, fields),
  };
}

/** Atlassian allows DELETE /rest/api/3/user only with basic auth (email and classic API token) on the site URL. */
const SITE_REMOVAL_REFUSED: Partial<Record<AuthMode, string>> = {
  'scoped-basic': 'a scoped API token',
  'scoped-bearer': 'a scoped API token (service account, Bearer)',
  'oauth-client-credentials': 'OAuth 2.0 (client credentials)',
  'oauth-refresh-token': 'OAuth 2.0 (3LO)',
};

/** DeleteResourceV2 of a user: remove the account from the Jira site's user base. */
export function siteRemoval(api: JiraApi, o: OffboardingOptions, guard: OffboardingGuard): ResourceDeleter {
  return {
    async delete(id, _parent, ctx) {
      const accountId = idOf(id, USER, 'accountId', 'resource_id');
      const refused = o.authMode && SITE_REMOVAL_REFUSED[o.authMode];
      if (refused)
        throw new ConnectorError(
          'precondition',
          `removing an account from the Jira site is not possible with ${refused} (jira-auth-mode ${o.authMode}): Atlassian allows DELETE /rest/api/3/user only with a site admin's email and classic API token on the site URL; use those credentials, or the account_remove_from_org / account_deactivate actions with the organization configured; nothing was sent`,
        );
      guard.irreversible('removing an account from the Jira site', USER);
      let onSite = true;
      try {
        await api.getUser(accountId, ctx);
      } catch (e) {
        if (!isConnectorError(e) || e.kind !== 'not-found') throw e;
        onSite = false;
      }
      if (!onSite) {
        guard.audit('remove from site', { accountId, changed: false });
        return { changed: false, message: `account ${accountId} is not on the Jira site (already removed): nothing was sent` };
      }
      const r = await api.removeUser(accountId, ctx);
      guard.audit('remove from site', { accountId, changed: r.changed });
      return { changed: r.changed, message: `account ${accountId} removed from the Jira site (the Atlassian account remains)` };
    },
  };
}

export type OffboardingActionName = 'account_deactivate' | 'account_activate' | 'account_delete' | 'account_cancel_delete' | 'account_remove_from_org';

const ARGUMENT = { name: 'resource_id', displayName: 'Account', description: 'The user resource (Atlassian account ID) to act on' };

/** The offboarding actions' schemas: what each does, its endpoint, and whether (and how) it can be undone. */
export const OFFBOARDING_ACTIONS: (ActionSpec & { name: OffboardingActionName; irreversible: boolean })[] = [
  {
    name: 'account_deactivate',
    displayName: 'Deactivate managed account',
    description:
      'Deactivates a managed account everywhere in Atlassian (user management POST /users/{id}/manage/lifecycle/disable): it can no longer log in to any product. Reversible: account_activate.',
    actionType: 'ACCOUNT_DISABLE',
    resourceTypeId: USER,
    argument: ARGUMENT,
    irreversible: false,
  },
  {
    name: 'account_activate',
    displayName: 'Activate managed account',
    description: 'Activates a deactivated managed account (POST /users/{id}/manage/lifecycle/enable). Undoes account_deactivate.',
    actionType: 'ACCOUNT_ENABLE',
    resourceTypeId: USER,
    argument: ARGUMENT,
    irreversible: false,
  },
  {
    name: 'account_delete',
    displayName: 'Delete managed account',
    description:
      'Deletes a managed account (POST /users/{id}/manage/lifecycle/delete): access to every product ends and, after a 14-day grace period, the account is gone for good. Undo only within the 14 days: account_cancel_delete. Needs BATON_ALLOW_DELETE.',
    actionType: 'RESOURCE_DELETE',
    resourceTypeId: USER,
    argument: ARGUMENT,
    irreversible: true,
  },
  {
    name: 'account_cancel_delete',
    displayName: 'Cancel deletion of managed account',
    description: "Cancels a managed account's scheduled deletion within its 14-day grace period and activates it again (POST /users/{id}/manage/lifecycle/cancel-delete).",
    actionType: 'RESOURCE_ENABLE',
    resourceTypeId: USER,
    argument: ARGUMENT,
    irreversible: false,
  },
  {
    name: 'account_remove_from_org',
    displayName: 'Remove from organization',
    description:
      "Removes the account from the organization's directory (admin API DELETE /admin/v1/orgs/{orgId}/directory/users/{id}): its product access and group memberships end. Not reversible: the account must be invited again. Needs BATON_ALLOW_DELETE.",
    actionType: 'RESOURCE_DELETE',
    resourceTypeId: USER,
    argument: ARGUMENT,
    irreversible: true,
  },
];

export interface OffboardingResult {
  account_id: string;
  changed: boolean;
  /** the account's status in the organization afterwards */
  status: string;
  message: string;
  dry_run?: boolean;
}

async function directoryRecord(org: OrgApi, accountId: string, ctx: CallContext): Promise<AdminDirectoryUser | undefined> {
  const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { accountIds: [accountId], limit: 10 }, ctx);
  return page.data.find((u) => u.accountId === accountId);
}

/** active | inactive (deactivated) | closed (deleted, or deletion scheduled) */
function statusOf(d: AdminDirectoryUser): string {
  return (d as { accountStatus?: string }).accountStatus ?? 'active';
}

/** Runs one offboarding action; `spec.irreversible` ones need BATON_ALLOW_DELETE (checked before any request). */
export async function offboardingAction(org: OrgApi | undefined, guard: OffboardingGuard, name: OffboardingActionName, accountId: string, ctx: CallContext): Promise<OffboardingResult> {
  const spec = OFFBOARDING_ACTIONS.find((a) => a.name === name)!;
  if (!org) throw new ConnectorError('precondition', `${name} needs the Atlassian organization: set BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN (an org admin API key); nothing was sent`);
  if (spec.irreversible) guard.irreversible(`the ${name} action`, USER);
  const d = await directoryRecord(org, accountId, ctx);
  const done = (changed: boolean, status: string, message: string): OffboardingResult => {
    guard.audit(name, { accountId, changed, status });
    return { account_id: accountId, changed, status, message, ...(guard.dryRun ? { dry_run: true } : {}) };
  };
  if (name === 'account_remove_from_org') {
    if (!d) return done(false, 'not in the organization', `account ${accountId} is not in the organization's directory (already removed): nothing was sent`);
    const r = await org.admin.removeOrgUser(org.orgId, accountId, ctx);
    return done(r.changed, 'removed', `account ${accountId} removed from the organization's directory`);
  }
  if (!d) throw new ConnectorError('precondition', `account ${accountId} is not in the organization's directory, so ${name} cannot act on it; nothing was sent`);
  if (d.claimStatus !== 'managed')
    throw new ConnectorError(
      'precondition',
      `account ${accountId} is not managed by the organization (its email domain is not verified); only managed accounts can be deactivated or deleted; nothing was sent`,
    );
  const status = statusOf(d);
  const closed = status === 'closed';
  switch (name) {
    case 'account_deactivate':
      if (closed) throw new ConnectorError('precondition', `account ${accountId} is deleted or scheduled for deletion; account_cancel_delete first; nothing was sent`);
      if (status === 'inactive') return done(false, status, `account ${accountId} is already deactivated: nothing was sent`);
      await org.admin.accountLifecycle(accountId, 'disable', ctx);
      return done(true, 'inactive', `account ${accountId} deactivated (undo: account_activate)`);
    case 'account_activate':
      if (closed) throw new ConnectorError('precondition', `account ${accountId} is scheduled for deletion; use account_cancel_delete to restore it; nothing was sent`);
      if (status === 'active') return done(false, status, `account ${accountId} is already active: nothing was sent`);
      await org.admin.accountLifecycle(accountId, 'enable', ctx);
      return done(true, 'active', `account ${accountId} activated`);
    case 'account_delete':
      if (closed) return done(false, status, `account ${accountId} is already deleted or scheduled for deletion: nothing was sent`);
      await org.admin.accountLifecycle(accountId, 'delete', ctx);
      return done(true, 'closed', `account ${accountId} scheduled for deletion (undo within 14 days: account_cancel_delete)`);
    case 'account_cancel_delete':
      if (!closed) return done(false, status, `account ${accountId} is not scheduled for deletion: nothing was sent`);
      await org.admin.accountLifecycle(accountId, 'cancel-delete', ctx);
      return done(true, 'active', `the deletion of account ${accountId} was cancelled; the account is active`);
  }
  throw new ConnectorError('internal', `unknown offboarding action ${String(name)}`);
}
