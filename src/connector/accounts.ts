/**
 * Account lifecycle: CreateAccount (a Jira invitation by email, with chosen products) and the
 * account actions ACCOUNT_DISABLE / ACCOUNT_ENABLE (suspend and restore access in the Atlassian
 * organization, for managed accounts).
 */
import type { CreateAccountRequest, CreateAccountResponse, Resource } from '../gen/c1/connector/v2/resource';
import { CreateAccountResponse as CreateAccountResponseMsg } from '../gen/c1/connector/v2/resource';
import type { AccountManager, CallContext } from './types';
import type { JiraUser } from './jira-api';
import type { OrgApi } from './org';
import { ALL_DIRECTORIES, directoryUsersById, orgFacts } from './org';
import { userResource, USER, type UserFields } from './resources/user';
import { ConnectorError, invalidInput, isConnectorError } from '../errors';
import { log } from '../log';

export const PRODUCTS = ['jira-software', 'jira-servicemanagement', 'jira-product-discovery', 'jira-core'];

export interface AccountApi {
  createUser(input: { emailAddress: string; products: string[] }, ctx?: CallContext): Promise<JiraUser>;
  findUsers(query: string, startAt: number, maxResults: number, ctx?: CallContext): Promise<JiraUser[]>;
  getUser(accountId: string, ctx?: CallContext): Promise<JiraUser>;
}

/** RFC 5321 bounds a forward path at 256 octets with its angle brackets: an address is at most 254 bytes. */
export const MAX_EMAIL_BYTES = 254;

/** Said in the answer when the organization is not configured: Jira's user search cannot see hidden emails. */
const HIDDEN_EMAIL_NOT_RULED_OUT =
  'an existing account whose email is hidden by profile visibility could not be ruled out (Jira search does not match hidden emails); configure the Atlassian organization (BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN) to check its directory first';

/**
 * local@domain with no whitespace or control character, one "@", and a "." inside the domain: the same language as
 * /^[^\s@]+@[^\s@]+\.[^\s@]+$/, checked in one pass (that regex backtracks quadratically).
 */
function isEmail(s: string): boolean {
  const at = s.indexOf('@');
  // eslint-disable-next-line no-control-regex -- control characters are never part of an address
  if (at <= 0 || at !== s.lastIndexOf('@') || /[\s\u0000-\u001f\u007f]/.test(s)) return false;
  const domain = s.slice(at + 1);
  const dot = domain.indexOf('.', 1);
  return dot > 0 && dot < domain.length - 1;
}

/** The invitation address and the request field it came from; bounded before it is looked at. */
function emailOf(req: CreateAccountRequest): string {
  const info = req.accountInfo;
  const profile = (info?.profile ?? {}) as Record<string, unknown>;
  const primary = (info?.emails.find((e) => e.isPrimary) ?? info?.emails[0])?.address;
  const [email, field] = primary
    ? [primary, 'account_info.emails.address']
    : typeof profile.email === 'string' && profile.email
      ? [profile.email, 'account_info.profile.email']
      : [info?.login ?? '', 'account_info.login'];
  if (email.length > MAX_EMAIL_BYTES || Buffer.byteLength(email, 'utf8') > MAX_EMAIL_BYTES) throw invalidInput(`${field} is longer than ${MAX_EMAIL_BYTES} bytes`);
  if (!isEmail(email)) throw invalidInput('account_info needs an email address (emails, profile.email or login) to send the invitation to');
  return email;
}

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

/**
 * The organization's directory by email (all directories): it sees the emails Jira hides. The
 * account's Jira record when it has site access, else the directory's own facts.
 */
async function findInOrg(api: AccountApi, org: OrgApi, email: string, linkBase: string | undefined, ctx: CallContext): Promise<Resource | undefined> {
  const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { emails: [email], limit: 10 }, ctx);
  // the emails filter is exact; a record may still leave out an external account's hidden email
  const d = page.data.find((u) => !u.email || u.email.toLowerCase() === email.toLowerCase());
  if (!d) return undefined;
  try {
    return userResource(await api.getUser(d.accountId, ctx), { linkBase }, orgFacts(d));
  } catch (e) {
    if (!isConnectorError(e) || e.kind !== 'not-found') throw e;
    const u: UserFields = { accountId: d.accountId, accountType: d.accountType ?? 'atlassian', displayName: d.name, active: d.accountStatus === 'active' };
    return userResource(u, { linkBase }, orgFacts(d), false);
  }
}

export function accountManager(api: AccountApi, linkBase?: string, org?: OrgApi): AccountManager {
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
      const email = emailOf(req);
      const products = stringList(((req.accountInfo?.profile ?? {}) as Record<string, unknown>).products) ?? [];
      if (products.length > PRODUCTS.length) throw invalidInput(`account_info.profile.products lists ${products.length} products; there are ${PRODUCTS.length}: ${PRODUCTS.join(', ')}`);
      const unknown = products.filter((p) => !PRODUCTS.includes(p));
      if (unknown.length) throw invalidInput(`unknown product(s) ${unknown.map((p) => JSON.stringify(p.slice(0, 64))).join(', ')}; use ${PRODUCTS.join(', ')}`);

      const inJira = await findByEmail(api, email, ctx);
      const existing = inJira ? userResource(inJira, { linkBase }) : org ? await findInOrg(api, org, email, linkBase, ctx) : undefined;
      if (existing) {
        log().info(
          { audit: true, action: 'create account', accountId: existing.id!.resource, result: 'already exists', foundIn: inJira ? 'jira' : 'organization' },
          'provisioning: account already exists',
        );
        return CreateAccountResponseMsg.fromPartial({ result: { $case: 'alreadyExists', value: { resource: existing, isCreateAccountResult: true } } });
      }
      const notRuledOut = org ? '' : `; ${HIDDEN_EMAIL_NOT_RULED_OUT}`;
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
          result: {
            $case: 'actionRequired',
            value: { message: `dry run: an invitation to ${email} (products: ${products.join(', ') || 'none'}) was not sent${notRuledOut}`, isCreateAccountResult: true },
          },
        });
      }
      if (org) log().info({ audit: true, action: 'create account', accountId: user.accountId, products, result: 'invited' }, 'provisioning: account created');
      else log().warn({ audit: true, action: 'create account', accountId: user.accountId, products, result: 'invited', note: HIDDEN_EMAIL_NOT_RULED_OUT }, 'provisioning: account created');
      const resource = userResource(user, { linkBase });
      // SuccessResult has no message: the caveat travels in the returned resource's description
      if (!org) resource.description = [resource.description, `invited; ${HIDDEN_EMAIL_NOT_RULED_OUT}`].filter(Boolean).join('; ');
      return CreateAccountResponseMsg.fromPartial({ result: { $case: 'success', value: { resource, isCreateAccountResult: true } } });
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
