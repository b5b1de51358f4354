/**
 * Account lifecycle: CreateAccount (a Jira invitation by email, with chosen products) and the
 * account actions ACCOUNT_DISABLE / ACCOUNT_ENABLE (suspend and restore access in the Atlassian
 * organization, for managed accounts).
 */
import type { CreateAccountRequest, CreateAccountResponse } from '../gen/c1/connector/v2/resource';
import { CreateAccountResponse as CreateAccountResponseMsg } from '../gen/c1/connector/v2/resource';
import type { AccountManager, CallContext } from './types';
import type { JiraUser } from './jira-api';
import type { OrgApi } from './org';
import { directoryUsersById, orgFacts } from './org';
import { userResource, USER } from './resources/user';
import { ConnectorError, invalidInput, isConnectorError } from '../errors';
import { log } from '../log';

export const PRODUCTS = ['jira-software', 'jira-servicemanagement', 'jira-product-discovery', 'jira-core'];

export interface AccountApi {
  createUser(input: { emailAddress: string; products: string[] }, ctx?: CallContext): Promise<JiraUser>;
  findUsers(query: string, startAt: number, maxResults: number, ctx?: CallContext): Promise<JiraUser[]>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function stringList(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return undefined;
}

/** Looks an email up among Jira's users (exact, case-insensitive); undefined when absent or the lookup is not possible. */
async function findByEmail(api: AccountApi, email: string, ctx: CallContext): Promise<JiraUser | undefined> {
  try {
    const found = await api.findUsers(email, 0, 20, ctx);
    return found.find((u) => (u.emailAddress ?? '').toLowerCase() === email.toLowerCase());
  } catch (e) {
    if (isConnectorError(e) && (e.kind === 'not-found' || e.kind === 'permission')) return undefined;
    throw e;
  }
}

export function accountManager(api: AccountApi, linkBase?: string): AccountManager {
  return {
    resourceTypeId: USER,
    supportedCredentialOptions: ['NO_PASSWORD'],
    preferredCredentialOption: 'NO_PASSWORD',
    schemaFields: [
      { name: 'email', displayName: 'Email', description: 'Where Atlassian sends the invitation', required: true, type: 'string', placeholder: 'new.person@example.com', order: 1 },
      {
        name: 'products',
        displayName: 'Products',
        description: `Products to give access to: ${PRODUCTS.join(', ')} (none: the account gets no product access)`,
        required: false,
        type: 'string-list',
        order: 2,
      },
    ],
    async create(req: CreateAccountRequest, ctx): Promise<CreateAccountResponse> {
      const opt = req.credentialOptions?.options;
      if (opt && opt.$case !== 'noPassword') throw invalidInput(`credential option ${opt.$case} is not supported: Atlassian accounts are created by invitation; send no_password`);
      const info = req.accountInfo;
      const profile = (info?.profile ?? {}) as Record<string, unknown>;
      const email = (info?.emails.find((e) => e.isPrimary) ?? info?.emails[0])?.address || (typeof profile.email === 'string' ? profile.email : '') || info?.login || '';
      if (!EMAIL.test(email)) throw invalidInput('account_info needs an email address (emails, profile.email or login) to send the invitation to');
      const products = stringList(profile.products) ?? [];
      const unknown = products.filter((p) => !PRODUCTS.includes(p));
      if (unknown.length) throw invalidInput(`unknown product(s) ${unknown.join(', ')}; use ${PRODUCTS.join(', ')}`);

      const existing = await findByEmail(api, email, ctx);
      if (existing) {
        log().info({ audit: true, action: 'create account', accountId: existing.accountId, result: 'already exists' }, 'provisioning: account already exists');
        return CreateAccountResponseMsg.fromPartial({
          result: { $case: 'alreadyExists', value: { resource: userResource(existing, { linkBase }), isCreateAccountResult: true } },
        });
      }
      let user: JiraUser;
      try {
        user = await api.createUser({ emailAddress: email, products }, ctx);
      } catch (e) {
        if (isConnectorError(e) && e.kind === 'invalid-input' && /already exists/i.test(e.details.upstreamMessage ?? '')) {
          return CreateAccountResponseMsg.fromPartial({
            result: {
              $case: 'actionRequired',
              value: {
                message: `an Atlassian account with this email exists but has no access to Jira; give it product access (a product group) instead`,
                isCreateAccountResult: true,
              },
            },
          });
        }
        throw e;
      }
      if (!user) {
        // dry run: nothing was sent
        return CreateAccountResponseMsg.fromPartial({
          result: { $case: 'actionRequired', value: { message: `dry run: an invitation to ${email} (products: ${products.join(', ') || 'none'}) was not sent`, isCreateAccountResult: true } },
        });
      }
      log().info({ audit: true, action: 'create account', accountId: user.accountId, products, result: 'invited' }, 'provisioning: account created');
      return CreateAccountResponseMsg.fromPartial({ result: { $case: 'success', value: { resource: userResource(user, { linkBase }), isCreateAccountResult: true } } });
    },
  };
}

export type AccountActionName = 'account_disable' | 'account_enable';

export interface AccountActionResult {
  accountId: string;
  suspended: boolean;
  changed: boolean;
}

/** Suspend or restore a managed account's access in the organization. */
export async function accountAction(org: OrgApi | undefined, action: AccountActionName, accountId: string, ctx: CallContext): Promise<AccountActionResult> {
  if (!org) throw new ConnectorError('precondition', `${action} needs the Atlassian organization: set BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN (an org admin API key)`);
  const d = (await directoryUsersById(org, [accountId], ctx)).get(accountId);
  if (!d) throw new ConnectorError('precondition', `account ${accountId} is not in the organization's directory, so its access cannot be suspended or restored here`);
  if (d.claimStatus !== 'managed')
    throw new ConnectorError('precondition', `account ${accountId} is not managed by the organization (its email domain is not verified); only managed accounts can be suspended or restored`);
  const before = orgFacts(d).suspended;
  if (before === (action === 'account_disable')) {
    log().info({ audit: true, action, accountId, changed: false }, `provisioning: ${action} (already in that state)`);
    return { accountId, suspended: before, changed: false };
  }
  const r = action === 'account_disable' ? await org.admin.suspendUser(org.orgId, accountId, undefined, ctx) : await org.admin.restoreUser(org.orgId, accountId, undefined, ctx);
  const after = orgFacts((await directoryUsersById(org, [accountId], ctx)).get(accountId));
  log().info({ audit: true, action, accountId, changed: r.changed, suspended: after.suspended }, `provisioning: ${action}`);
  return { accountId, suspended: after.suspended, changed: r.changed };
}
