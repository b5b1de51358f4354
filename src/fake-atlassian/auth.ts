/**
 * Credentials and authentication, as Atlassian does it (atlassian-api.md §3):
 *
 * - classic (unscoped) API token: Basic email:token on the SITE URL only;
 * - scoped API token: Basic email:token through the GATEWAY (/ex/jira/<cloudId>) only (401 on the site URL);
 * - service-account token: scoped, gateway only, Basic (service-account email) or Bearer;
 * - OAuth 2.0 access tokens (client credentials, 3LO authorization code / refresh token with
 *   rotating refresh tokens): Bearer through the gateway only;
 * - org API key: Bearer on /admin (and the user management API) only; Jira credentials get 401 there
 *   and the org key gets 401 on Jira.
 *
 * Secrets are drawn from a seeded generator, so the same tenant seed prints the same credentials.
 */
import { Rng } from './rng';
import type { JiraPermissions, Tenant, TenantUser } from './tenant';

export type CredentialKind = 'classic-token' | 'scoped-token' | 'service-account-token' | 'access-token' | 'refresh-token' | 'authorization-code' | 'oauth-client' | 'org-api-key';

export interface MintOptions {
  /** Principal (defaults: the site admin, or the service account for service-account kinds). */
  accountId?: string;
  /** Scopes; default: every scope the fake's Jira operations use (classic + granular). */
  scopes?: string[];
  /** Lifetime; negative values mint an already expired credential. */
  expiresInSec?: number;
  /** Override the principal's Jira permissions (e.g. { browseUsersAndGroups: false }). */
  permissions?: Partial<JiraPermissions>;
  label?: string;
}

export interface BasicCredential {
  kind: 'classic-token' | 'scoped-token' | 'service-account-token';
  email: string;
  token: string;
  accountId: string;
  /** null = unscoped (classic token). */
  scopes: string[] | null;
  /** Ready-made Authorization header value ("Basic ..."). */
  authorization: string;
  expiresAt: string | null;
}

export interface ServiceAccountCredential extends BasicCredential {
  /** Same token as a Bearer header ("Bearer ..."), the other accepted form. */
  bearerAuthorization: string;
}

export interface AccessTokenCredential {
  kind: 'access-token';
  accessToken: string;
  accountId: string;
  scopes: string[];
  authorization: string;
  expiresAt: string;
}

export interface OAuthClientCredential {
  kind: 'oauth-client';
  grant: 'client_credentials' | 'authorization_code';
  clientId: string;
  clientSecret: string;
  accountId: string;
  scopes: string[];
}

export interface ThreeLoCredential extends OAuthClientCredential {
  grant: 'authorization_code';
  /** Initial refresh token (rotating: each refresh returns a new one and invalidates the old one). */
  refreshToken: string;
}

export interface OrgApiKeyCredential {
  kind: 'org-api-key';
  key: string;
  orgId: string;
  /** null = key created without scopes (full access of its admin). */
  scopes: string[] | null;
  authorization: string;
  expiresAt: string | null;
}

export interface OrgKeyMintOptions {
  scopes?: string[] | null;
  expiresInSec?: number;
  /** false: the key's admin cannot manage this org (403 ADMIN-403-3). */
  canManageOrg?: boolean;
  /** Org the key belongs to (default: the tenant's org). */
  orgId?: string;
  label?: string;
}

export interface FakeCredentials {
  /** Site admin email + classic API token (Basic, site URL). */
  admin: BasicCredential;
  /** Shorthand for admin.email. */
  adminEmail: string;
  /** Shorthand for admin.token (the site admin's classic API token). */
  classicToken: string;
  /** Site admin email + scoped API token with full scopes (Basic, gateway only). */
  scoped: BasicCredential;
  /** Service account email + scoped token (gateway only; Basic or Bearer). */
  serviceAccount: ServiceAccountCredential;
  /** Service account OAuth 2.0 client credentials (token endpoint → Bearer access token, gateway). */
  oauthClient: OAuthClientCredential;
  /** OAuth 2.0 (3LO) app acting as the site admin: client id/secret + refresh token. */
  threeLO: ThreeLoCredential;
  /** Org admin API key (Bearer, /admin and user management API only). */
  orgApiKey: OrgApiKeyCredential;
  /** Scopes used by default when minting. */
  fullJiraScopes: string[];
  fullAdminScopes: string[];

  mintClassicToken(opts?: MintOptions): BasicCredential;
  mintScopedToken(opts?: MintOptions): BasicCredential;
  mintServiceAccountToken(opts?: MintOptions): ServiceAccountCredential;
  /** An OAuth access token for the gateway (as if issued by the token endpoint). */
  mintAccessToken(opts?: MintOptions): AccessTokenCredential;
  mintOAuthClient(opts?: MintOptions): OAuthClientCredential;
  mint3LO(opts?: MintOptions): ThreeLoCredential;
  /** A one-time authorization code for a 3LO client (authorization_code grant). */
  mintAuthorizationCode(clientId: string, opts?: { redirectUri?: string; expiresInSec?: number }): string;
  mintOrgApiKey(opts?: OrgKeyMintOptions): OrgApiKeyCredential;
  /** Revoke any token, key, refresh token or client secret. */
  revoke(secret: string): boolean;
  /** "Basic base64(email:token)". */
  basic(email: string, token: string): string;
}

export interface CredRecord {
  id: number;
  kind: CredentialKind;
  secret: string;
  email?: string;
  accountId?: string;
  scopes: string[] | null;
  expiresAt: number | null;
  revoked: boolean;
  permissions?: Partial<JiraPermissions>;
  label: string;
  clientId?: string;
  clientSecret?: string;
  grant?: 'client_credentials' | 'authorization_code';
  redirectUri?: string;
  orgId?: string;
  canManageOrg?: boolean;
}

export interface Principal {
  cred: CredRecord;
  kind: CredentialKind;
  accountId?: string;
  user?: TenantUser;
  scopes: string[] | null;
}

export type AuthOutcome = { ok: true; principal: Principal | null } | { ok: false; status: 401 | 403 | 404; message: string };

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function jiraScopesSatisfied(have: string[] | null, need: { classic: string[]; granular: string[] } | undefined): boolean {
  if (have === null || !need) return true;
  if (need.classic.length === 0 && need.granular.length === 0) return true;
  const set = new Set(have);
  if (need.classic.length > 0 && need.classic.every((s) => set.has(s))) return true;
  if (need.granular.length > 0 && need.granular.every((s) => set.has(s))) return true;
  return false;
}

export function adminScopesSatisfied(have: string[] | null, need: string[] | undefined): boolean {
  if (have === null || !need || need.length === 0) return true;
  return need.every((s) => have.includes(s));
}

export class CredentialStore {
  private readonly bySecret = new Map<string, CredRecord>();
  private readonly clients = new Map<string, CredRecord>();
  private readonly rng: Rng;
  private seq = 0;
  accessTokenTtlSec: number;
  readonly view: FakeCredentials;

  constructor(
    private readonly tenant: Tenant,
    readonly fullJiraScopes: string[],
    readonly fullAdminScopes: string[],
    opts: { accessTokenTtlSec?: number } = {},
  ) {
    this.rng = new Rng((tenant.seed * 31) ^ 0xc0ffee);
    this.accessTokenTtlSec = opts.accessTokenTtlSec ?? 3600;
    const admin = this.mintBasic('classic-token', { label: 'site admin classic token' });
    const scoped = this.mintBasic('scoped-token', { label: 'site admin scoped token' });
    const svc = this.mintBasic('service-account-token', { label: 'service account scoped token' }) as ServiceAccountCredential;
    const oauthClient = this.mintClient('client_credentials', { label: 'service account OAuth client' });
    const threeLO = this.mint3LO({ label: '3LO app' });
    const orgApiKey = this.mintOrgKey({ label: 'org API key' });
    this.view = {
      admin,
      adminEmail: admin.email,
      classicToken: admin.token,
      scoped,
      serviceAccount: svc,
      oauthClient,
      threeLO,
      orgApiKey,
      fullJiraScopes: [...fullJiraScopes],
      fullAdminScopes: [...fullAdminScopes],
      mintClassicToken: (o) => this.mintBasic('classic-token', o),
      mintScopedToken: (o) => this.mintBasic('scoped-token', o),
      mintServiceAccountToken: (o) => this.mintBasic('service-account-token', o) as ServiceAccountCredential,
      mintAccessToken: (o) => this.mintAccess(o ?? {}),
      mintOAuthClient: (o) => this.mintClient('client_credentials', o ?? {}),
      mint3LO: (o) => this.mint3LO(o ?? {}),
      mintAuthorizationCode: (clientId, o) => this.mintCode(clientId, o ?? {}),
      mintOrgApiKey: (o) => this.mintOrgKey(o ?? {}),
      revoke: (secret) => this.revoke(secret),
      basic: (email, token) => `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`,
    };
  }

  private secret(prefix: string, len: number): string {
    let s = prefix;
    for (let i = 0; i < len; i++) s += B62[this.rng.u32() % 62];
    return s;
  }

  private expiry(opts: { expiresInSec?: number }, defaultSec: number | null): number | null {
    if (opts.expiresInSec !== undefined) return Date.now() + opts.expiresInSec * 1000;
    return defaultSec === null ? null : Date.now() + defaultSec * 1000;
  }

  private store(rec: Omit<CredRecord, 'id'>): CredRecord {
    const r: CredRecord = { id: ++this.seq, ...rec };
    this.bySecret.set(r.secret, r);
    return r;
  }

  private mintBasic(kind: 'classic-token' | 'scoped-token' | 'service-account-token', opts: MintOptions = {}): BasicCredential {
    const accountId = opts.accountId ?? (kind === 'service-account-token' ? this.tenant.serviceAccountId : this.tenant.adminAccountId);
    const user = this.tenant.user(accountId);
    if (!user) throw new Error(`fake-atlassian: unknown accountId ${accountId}`);
    const scopes = kind === 'classic-token' ? null : [...(opts.scopes ?? this.fullJiraScopes)];
    const token = this.secret('ATATT3xFfGF0', 180);
    const rec = this.store({
      kind,
      secret: token,
      email: user.email,
      accountId,
      scopes,
      expiresAt: this.expiry(opts, null),
      revoked: false,
      permissions: opts.permissions,
      label: opts.label ?? kind,
    });
    const cred: BasicCredential = {
      kind,
      email: user.email,
      token,
      accountId,
      scopes,
      authorization: `Basic ${Buffer.from(`${user.email}:${token}`).toString('base64')}`,
      expiresAt: rec.expiresAt === null ? null : new Date(rec.expiresAt).toISOString(),
    };
    if (kind === 'service-account-token') (cred as ServiceAccountCredential).bearerAuthorization = `Bearer ${token}`;
    return cred;
  }

  private mintAccess(opts: MintOptions & { clientId?: string }): AccessTokenCredential {
    const accountId = opts.accountId ?? this.tenant.adminAccountId;
    const scopes = [...(opts.scopes ?? this.fullJiraScopes)];
    const token = this.secret('eyJraWQiOiJmYWtlLWF0bGFzc2lhbiJ9.', 160);
    const rec = this.store({
      kind: 'access-token',
      secret: token,
      accountId,
      scopes,
      expiresAt: this.expiry(opts, this.accessTokenTtlSec),
      revoked: false,
      permissions: opts.permissions,
      label: opts.label ?? 'access token',
      clientId: opts.clientId,
    });
    return { kind: 'access-token', accessToken: token, accountId, scopes, authorization: `Bearer ${token}`, expiresAt: new Date(rec.expiresAt as number).toISOString() };
  }

  private mintClient(grant: 'client_credentials' | 'authorization_code', opts: MintOptions): OAuthClientCredential {
    const accountId = opts.accountId ?? (grant === 'client_credentials' ? this.tenant.serviceAccountId : this.tenant.adminAccountId);
    const scopes = [...(opts.scopes ?? (grant === 'authorization_code' ? [...this.fullJiraScopes, 'offline_access'] : this.fullJiraScopes))];
    const clientId = this.secret('', 32);
    const clientSecret = this.secret('ATOA', 60);
    const rec: CredRecord = {
      id: ++this.seq,
      kind: 'oauth-client',
      secret: clientSecret,
      clientId,
      clientSecret,
      accountId,
      scopes,
      grant,
      expiresAt: this.expiry(opts, null),
      revoked: false,
      permissions: opts.permissions,
      label: opts.label ?? `oauth client (${grant})`,
    };
    this.clients.set(clientId, rec);
    this.bySecret.set(clientSecret, rec);
    return { kind: 'oauth-client', grant, clientId, clientSecret, accountId, scopes };
  }

  private mint3LO(opts: MintOptions): ThreeLoCredential {
    const client = this.mintClient('authorization_code', opts);
    const refresh = this.issueRefresh(this.clients.get(client.clientId) as CredRecord, client.scopes);
    return { ...client, grant: 'authorization_code', refreshToken: refresh };
  }

  private issueRefresh(client: CredRecord, scopes: string[]): string {
    const token = this.secret('eyJyZWZyZXNoIjoiZmFrZSJ9.', 120);
    this.store({
      kind: 'refresh-token',
      secret: token,
      accountId: client.accountId,
      scopes,
      expiresAt: Date.now() + 90 * 86_400_000,
      revoked: false,
      permissions: client.permissions,
      label: 'refresh token',
      clientId: client.clientId,
    });
    return token;
  }

  private mintCode(clientId: string, opts: { redirectUri?: string; expiresInSec?: number }): string {
    const client = this.clients.get(clientId);
    if (!client || client.grant !== 'authorization_code') throw new Error(`fake-atlassian: ${clientId} is not a 3LO client`);
    const code = this.secret('code-', 40);
    this.store({
      kind: 'authorization-code',
      secret: code,
      accountId: client.accountId,
      scopes: client.scopes,
      expiresAt: this.expiry(opts, 600),
      revoked: false,
      label: 'authorization code',
      clientId,
      redirectUri: opts.redirectUri,
    });
    return code;
  }

  private mintOrgKey(opts: OrgKeyMintOptions): OrgApiKeyCredential {
    const key = this.secret('ATCTT3xFfGN0', 180);
    const scopes = opts.scopes === undefined ? null : opts.scopes === null ? null : [...opts.scopes];
    const rec = this.store({
      kind: 'org-api-key',
      secret: key,
      scopes,
      expiresAt: this.expiry(opts, 365 * 86_400),
      revoked: false,
      label: opts.label ?? 'org API key',
      orgId: opts.orgId ?? this.tenant.orgId,
      canManageOrg: opts.canManageOrg ?? true,
    });
    return { kind: 'org-api-key', key, orgId: rec.orgId as string, scopes, authorization: `Bearer ${key}`, expiresAt: new Date(rec.expiresAt as number).toISOString() };
  }

  revoke(secret: string): boolean {
    const r = this.bySecret.get(secret);
    if (!r) return false;
    r.revoked = true;
    return true;
  }

  private live(r: CredRecord | undefined): r is CredRecord {
    return !!r && !r.revoked && (r.expiresAt === null || r.expiresAt > Date.now());
  }

  private principalFor(r: CredRecord): AuthOutcome {
    const user = r.accountId ? this.tenant.user(r.accountId) : undefined;
    if (r.accountId && (!user || !user.inJira || !this.tenant.isActiveInJira(user))) return { ok: false, status: 401, message: 'the credential belongs to a user who is not active on this site' };
    return { ok: true, principal: { cred: r, kind: r.kind, accountId: r.accountId, user, scopes: r.scopes } };
  }

  /** Authenticate a Jira REST request (site URL or gateway). null principal = anonymous. */
  authenticateJira(authorization: string | undefined, gateway: boolean): AuthOutcome {
    if (!authorization) return { ok: true, principal: null };
    const [scheme, value = ''] = authorization.split(/\s+/, 2);
    if (/^basic$/i.test(scheme)) {
      let decoded: string;
      try {
        decoded = Buffer.from(value, 'base64').toString('utf8');
      } catch {
        return { ok: false, status: 401, message: 'malformed Basic credentials' };
      }
      const colon = decoded.indexOf(':');
      if (colon < 0) return { ok: false, status: 401, message: 'malformed Basic credentials' };
      const email = decoded.slice(0, colon);
      const token = decoded.slice(colon + 1);
      const r = this.bySecret.get(token);
      if (!this.live(r) || !r.email || r.email.toLowerCase() !== email.toLowerCase()) return { ok: false, status: 401, message: 'invalid, expired or revoked API token' };
      if (r.kind === 'classic-token') {
        if (gateway) return { ok: false, status: 401, message: 'Unauthorized; scope does not match' };
        return this.principalFor(r);
      }
      if (r.kind === 'scoped-token' || r.kind === 'service-account-token') {
        if (!gateway) return { ok: false, status: 401, message: 'scoped API tokens are only accepted through https://api.atlassian.com/ex/jira/<cloudId>' };
        return this.principalFor(r);
      }
      return { ok: false, status: 401, message: 'invalid credentials' };
    }
    if (/^bearer$/i.test(scheme)) {
      const r = this.bySecret.get(value);
      if (!this.live(r)) return { ok: false, status: 401, message: r ? 'access token expired or revoked' : 'invalid access token' };
      if (r.kind !== 'access-token' && r.kind !== 'service-account-token') return { ok: false, status: 401, message: 'this bearer token is not accepted by Jira' };
      if (!gateway) return { ok: false, status: 401, message: 'OAuth 2.0 tokens are only accepted through https://api.atlassian.com/ex/jira/<cloudId>' };
      return this.principalFor(r);
    }
    return { ok: false, status: 401, message: `unsupported authorization scheme ${scheme}` };
  }

  /** Authenticate an org admin API / user management API request (org API key only). */
  authenticateOrgKey(authorization: string | undefined): AuthOutcome {
    if (!authorization) return { ok: false, status: 401, message: 'Unauthorized' };
    const m = /^bearer\s+(.+)$/i.exec(authorization);
    if (!m) return { ok: false, status: 401, message: 'Unauthorized' };
    const r = this.bySecret.get(m[1]);
    if (!this.live(r) || r.kind !== 'org-api-key') return { ok: false, status: 401, message: 'Unauthorized' };
    return { ok: true, principal: { cred: r, kind: r.kind, scopes: r.scopes } };
  }

  /** Bearer access token for /oauth/token/accessible-resources. */
  authenticateAccessToken(authorization: string | undefined): AuthOutcome {
    const m = authorization ? /^bearer\s+(.+)$/i.exec(authorization) : null;
    const r = m ? this.bySecret.get(m[1]) : undefined;
    if (!this.live(r) || r.kind !== 'access-token') return { ok: false, status: 401, message: 'Unauthorized' };
    return { ok: true, principal: { cred: r, kind: r.kind, accountId: r.accountId, scopes: r.scopes } };
  }

  /** The OAuth 2.0 token endpoint (client_credentials, authorization_code, refresh_token). */
  tokenEndpoint(params: Record<string, unknown>, authorization: string | undefined): { status: number; body: Record<string, unknown> } {
    let clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
    let clientSecret = typeof params.client_secret === 'string' ? params.client_secret : undefined;
    if ((!clientId || !clientSecret) && authorization && /^basic\s/i.test(authorization)) {
      const decoded = Buffer.from(authorization.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) {
        clientId = decoded.slice(0, i);
        clientSecret = decoded.slice(i + 1);
      }
    }
    const grant = params.grant_type;
    if (grant !== 'client_credentials' && grant !== 'refresh_token' && grant !== 'authorization_code') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Unsupported grant type: ${String(grant)}` } };
    }
    const client = clientId ? this.clients.get(clientId) : undefined;
    if (!client || !this.live(client) || client.clientSecret !== clientSecret) {
      return { status: 401, body: { error: 'access_denied', error_description: 'Unauthorized' } };
    }
    const ttl = this.accessTokenTtlSec;
    if (grant === 'client_credentials') {
      if (client.grant !== 'client_credentials') return { status: 403, body: { error: 'unauthorized_client', error_description: 'Grant type client_credentials is not allowed for this client' } };
      const at = this.mintAccess({ accountId: client.accountId, scopes: client.scopes ?? [], permissions: client.permissions, clientId: client.clientId, label: 'client credentials access token' });
      return { status: 200, body: { access_token: at.accessToken, expires_in: ttl, token_type: 'Bearer', scope: (client.scopes ?? []).join(' ') } };
    }
    if (client.grant !== 'authorization_code') return { status: 403, body: { error: 'unauthorized_client', error_description: `Grant type ${grant} is not allowed for this client` } };
    let scopes = client.scopes ?? [];
    if (grant === 'authorization_code') {
      const code = typeof params.code === 'string' ? this.bySecret.get(params.code) : undefined;
      if (!this.live(code) || code.kind !== 'authorization-code' || code.clientId !== client.clientId || (code.redirectUri && code.redirectUri !== params.redirect_uri)) {
        return { status: 403, body: { error: 'invalid_grant', error_description: 'Invalid authorization code' } };
      }
      code.revoked = true; // one-time use
      scopes = code.scopes ?? scopes;
    } else {
      const rt = typeof params.refresh_token === 'string' ? this.bySecret.get(params.refresh_token) : undefined;
      if (!this.live(rt) || rt.kind !== 'refresh-token' || rt.clientId !== client.clientId) {
        return { status: 403, body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } };
      }
      rt.revoked = true; // rotating refresh tokens: the old one is dead after use
      scopes = rt.scopes ?? scopes;
    }
    const at = this.mintAccess({
      accountId: client.accountId,
      scopes: scopes.filter((s) => s !== 'offline_access'),
      permissions: client.permissions,
      clientId: client.clientId,
      label: '3LO access token',
    });
    const body: Record<string, unknown> = { access_token: at.accessToken, expires_in: ttl, token_type: 'Bearer', scope: scopes.join(' ') };
    if (scopes.includes('offline_access')) body.refresh_token = this.issueRefresh(client, scopes);
    return { status: 200, body };
  }
}
