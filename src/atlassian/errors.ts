/**
 * Upstream failure → typed ConnectorError. Every error names the endpoint (path template, never
 * ids or query), carries Atlassian's own message and, where we can tell, a hint a Jira or
 * organization admin can act on (which permission or scope is missing, which setting to change);
 * the scopes and permissions come from the capability table (capabilities.ts).
 *
 * Nothing here ever reads request headers: an AxiosError never leaves this layer.
 */
import { ConnectorError, ErrorDetails, ErrorKind, RateLimitInfo } from '../errors';
import { redact } from '../log';
import type { AuthMode } from '../config/schema';
import { describeScopes, endpointNeeds } from './capabilities';

export type UpstreamName = 'jira' | 'admin' | 'token';

export interface MapContext {
  upstream: UpstreamName;
  endpoint: string;
  authMode: AuthMode;
  email?: string;
  siteUrl?: string;
  refreshTokenFile?: string;
  /** the same credential already got a successful answer from this upstream (so a 401 is about scope, not identity) */
  credentialWorked?: boolean;
}

/** A ConnectorError from this layer, with what a write wrapper needs to know. */
export class UpstreamError extends ConnectorError {
  /** the request may have reached Atlassian and been applied (network fault, 502/503/504, timeout) */
  readonly ambiguous: boolean;
  constructor(kind: ErrorKind, message: string, details: ErrorDetails, ambiguous = false) {
    super(kind, message, details);
    this.ambiguous = ambiguous;
  }
}

const KIND_OF_STATUS: Record<number, ErrorKind> = {
  400: 'invalid-input',
  401: 'auth',
  403: 'permission',
  404: 'not-found',
  409: 'conflict',
  412: 'precondition',
  422: 'invalid-input',
  429: 'rate-limited',
};

export function kindOfStatus(status: number): ErrorKind {
  if (KIND_OF_STATUS[status]) return KIND_OF_STATUS[status];
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid-input';
  return 'bad-upstream';
}

/** Pulls Atlassian's own message out of any of its error envelopes. */
export function upstreamMessage(body: unknown): string | undefined {
  let o: unknown = body;
  if (typeof body === 'string') {
    const t = body.trim();
    if (!t) return undefined;
    try {
      o = JSON.parse(t);
    } catch {
      // not JSON: a proxy or HTML error page; keep a short, tag-free excerpt
      const text = t
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      return text ? redact(text.slice(0, 200)) : undefined;
    }
  }
  if (!o || typeof o !== 'object') return undefined;
  const b = o as Record<string, unknown>;
  const parts: string[] = [];
  // Jira ErrorCollection {errorMessages: string[], errors: {field: message}}
  if (Array.isArray(b.errorMessages)) parts.push(...b.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (b.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    for (const [k, v] of Object.entries(b.errors as Record<string, unknown>)) if (typeof v === 'string') parts.push(`${k}: ${v}`);
  }
  // admin API {errors: [{id, status, code, title, detail}]}
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as unknown[]) {
      if (!e || typeof e !== 'object') continue;
      const x = e as Record<string, unknown>;
      const head = [x.code, x.title].filter((s) => typeof s === 'string' && s).join(' ');
      const text = [head, typeof x.detail === 'string' ? x.detail : ''].filter(Boolean).join(': ');
      if (text) parts.push(text);
    }
  }
  // OAuth {error, error_description}
  if (typeof b.error === 'string') parts.push(typeof b.error_description === 'string' ? `${b.error}: ${b.error_description}` : b.error);
  // ProxyError {code, message} and generic {message}
  if (!parts.length && typeof b.message === 'string') parts.push(b.message);
  if (!parts.length && typeof b.errorMessage === 'string') parts.push(b.errorMessage);
  return parts.length ? redact(parts.join('; ').slice(0, 1000)) : undefined;
}

/** The admin API's application error codes (ADMIN-403-5 ...), when present. */
export function adminErrorCodes(body: unknown): string[] {
  let o: unknown = body;
  if (typeof body === 'string') {
    try {
      o = JSON.parse(body);
    } catch {
      return [];
    }
  }
  const errs = (o as { errors?: unknown })?.errors;
  if (!Array.isArray(errs)) return [];
  return errs.map((e) => (e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined)).filter((c): c is string => typeof c === 'string');
}

const AUTH_DESCRIPTION: Record<AuthMode, string> = {
  basic: 'email + classic API token on the site URL',
  'scoped-basic': 'email + scoped API token through the api.atlassian.com gateway',
  'scoped-bearer': 'service-account scoped token (Bearer) through the api.atlassian.com gateway',
  'oauth-client-credentials': 'service-account OAuth 2.0 client credentials',
  'oauth-refresh-token': 'OAuth 2.0 (3LO) refresh token',
};

export function describeAuthMode(mode: AuthMode): string {
  return AUTH_DESCRIPTION[mode];
}

function jiraHint(status: number, mc: MapContext, message: string | undefined, headers: Record<string, string | undefined>): string | undefined {
  const ep = mc.endpoint;
  const needs = endpointNeeds(ep);
  const msg = (message ?? '').toLowerCase();
  const isRoleEndpoint = ep.includes('/role/') || ep.endsWith('/roledetails');
  const scopeText = needs && (needs.classic.length || needs.granular.length) ? describeScopes(needs) : undefined;
  if (status === 401) {
    const roleNote = isRoleEndpoint ? ' On project-role endpoints Jira also answers 401 when the account lacks "Administer projects" on that project.' : '';
    const scopeMismatch = msg.includes('scope does not match') || msg.includes('scope');
    switch (mc.authMode) {
      case 'basic':
        return (
          `Jira did not accept the email and API token (${AUTH_DESCRIPTION.basic}). Check that the token was created by ${mc.email ?? 'the configured email'} (a token only works together with its owner's email), ` +
          'that it has not expired or been revoked (id.atlassian.com > Security > API tokens), and that it is a classic token: a scoped token ("Create API token with scopes") is refused on the site URL and only works through api.atlassian.com — set jira-auth-mode to scoped-basic for it.' +
          roleNote
        );
      case 'scoped-basic':
        if (scopeMismatch && scopeText && mc.credentialWorked)
          return `The scoped API token lacks a scope this call needs: ${scopeText}. Create a token with those scopes at id.atlassian.com > Security > API tokens.${roleNote}`;
        return scopeMismatch && scopeText
          ? `Either the token is a classic (unscoped) API token, which works only on the site URL (use jira-auth-mode basic with https://<site>.atlassian.net), or the scoped token lacks a scope this call needs: ${scopeText}. Create a token with those scopes at id.atlassian.com > Security > API tokens.${roleNote}`
          : `The gateway did not accept the email and scoped API token. Check that the token belongs to ${mc.email ?? 'the configured email'}, has not expired or been revoked, and has the scopes this call needs${scopeText ? ` (${scopeText})` : ''}. A classic (unscoped) token works only on the site URL: use jira-auth-mode basic with the site URL for it.${roleNote}`;
      case 'scoped-bearer':
        return scopeMismatch && scopeText
          ? `The service-account token lacks a scope this call needs: ${scopeText}. Create a new token for the service account with those scopes (admin.atlassian.com > Directory > Service accounts).${roleNote}`
          : `The gateway did not accept the service-account token sent as Bearer. Check that it has not expired or been revoked and has the scopes this call needs${scopeText ? ` (${scopeText})` : ''}. A token of a normal account needs its email (jira-email, mode scoped-basic).${roleNote}`;
      case 'oauth-client-credentials':
        return `The service account's OAuth access token was refused. Check that the OAuth credential (admin.atlassian.com > Directory > Service accounts) is still valid and has the scopes this call needs${scopeText ? ` (${scopeText})` : ''}.${roleNote}`;
      case 'oauth-refresh-token':
        return `The OAuth (3LO) access token was refused. Check that the app has the scopes this call needs${scopeText ? ` (${scopeText})` : ''} and that the consenting user still has access to the site.${roleNote}`;
    }
  }
  if (status === 403) {
    if ((headers['x-authentication-denied-reason'] ?? '').toUpperCase().includes('CAPTCHA'))
      return 'Jira locked the account behind a CAPTCHA after repeated failed logins: sign in once in a browser as that account, then retry.';
    if (needs?.permission)
      return `The account is authenticated but lacks ${needs.permission}${mc.authMode !== 'basic' && scopeText ? `, or the credential lacks ${scopeText}` : ''}. A Jira admin can grant it in Settings > System > Global permissions (or the project's permission scheme).`;
    return 'The account is authenticated but lacks a Jira permission this call needs.';
  }
  if (status === 404) {
    if (isRoleEndpoint) return 'The project or role does not exist, or the account lacks "Administer projects" on that project (Jira answers 404 for both).';
    if (ep.includes('/group/')) return 'The group or user does not exist (or the user is inactive).';
    return undefined;
  }
  if (status === 409 && ep === 'GET /rest/api/3/users/search') return 'Jira stopped the user search after 10 seconds; retry with a smaller page size.';
  return undefined;
}

function adminHint(status: number, mc: MapContext, body: unknown): string | undefined {
  const codes = adminErrorCodes(body);
  const needs = endpointNeeds(mc.endpoint);
  if (status === 401 && /scope/i.test(upstreamMessage(body) ?? '') && needs?.classic.length)
    return `The organization API key lacks the scope this call needs (${needs.classic.join(', ')}). Create a key with that scope (or without scopes) in admin.atlassian.com > Settings > API keys.`;
  if (status === 401)
    return 'The organization API key was refused: it may have expired (keys last at most a year) or been revoked. Only an organization API key works on the admin API (a Jira API token or OAuth token does not); create one in admin.atlassian.com > Settings > API keys and set atlassian-api-token.';
  if (status === 403) {
    if (codes.includes('ADMIN-403-3')) return 'The API key belongs to an admin who cannot manage this organization; create the key as an organization admin of this org.';
    if (codes.includes('ADMIN-403-5'))
      return 'The API key may not manage this group: groups synced from an identity provider (SCIM) or protected admin groups must be changed in the identity provider or by an org admin.';
    return `The organization API key is not allowed to do this${needs?.classic.length ? `; a key with scopes needs ${needs.classic.join(', ')}` : ''}. Check the key's scopes in admin.atlassian.com > Settings > API keys.`;
  }
  if (status === 404) {
    if (codes.includes('ADMIN-404-2')) return 'The organization ID is unknown to this API key; check atlassian-orgid (admin.atlassian.com/o/<orgId>/...).';
    if (mc.endpoint.startsWith('GET /users/')) return 'The account is not managed by this organization (its email domain must be verified and claimed).';
  }
  return undefined;
}

function tokenHint(status: number, mc: MapContext, body: unknown): string | undefined {
  const msg = (upstreamMessage(body) ?? '').toLowerCase();
  if (mc.authMode === 'oauth-refresh-token') {
    if (msg.includes('invalid_grant') || status === 403 || status === 400)
      return `The refresh token was refused: it expired (90 days without use, or 365 days after consent), was revoked, or was already used — Atlassian rotates it on every refresh, so only the newest one works. Authorize the app again and put the new refresh token in ${mc.refreshTokenFile ? mc.refreshTokenFile : 'jira-oauth-refresh-token (or use jira-oauth-refresh-token-file so rotations survive restarts)'}.`;
    if (status === 401) return 'The OAuth client ID or secret of the 3LO app was refused; check them in developer.atlassian.com > My apps.';
  } else {
    if (status === 401 || msg.includes('invalid_client') || msg.includes('unauthorized_client'))
      return "The OAuth client ID or secret was refused; check the service account's OAuth credential in admin.atlassian.com > Directory > Service accounts (it may have been rotated, revoked or expired).";
    if (status === 403 || msg.includes('invalid_scope') || msg.includes('access_denied'))
      return "The service account's OAuth credential may not request a token for this site or these scopes; check its scopes and that it has access to the site.";
  }
  return undefined;
}

export interface HttpFailure {
  status: number;
  body: unknown;
  headers: Record<string, string | undefined>;
  rateLimit?: RateLimitInfo;
}

/** Maps an HTTP error response to the ConnectorError the rest of the connector sees. */
export function fromHttpFailure(f: HttpFailure, mc: MapContext, ambiguous = false): UpstreamError {
  const kind = kindOfStatus(f.status);
  const um = upstreamMessage(f.body);
  let hint: string | undefined;
  if (mc.upstream === 'jira') hint = jiraHint(f.status, mc, um, f.headers);
  else if (mc.upstream === 'admin') hint = adminHint(f.status, mc, f.body);
  else hint = tokenHint(f.status, mc, f.body);
  const what = mc.upstream === 'token' ? `OAuth token request failed with HTTP ${f.status}` : `${mc.upstream === 'admin' ? 'Atlassian admin API' : 'Jira'} answered HTTP ${f.status} to ${mc.endpoint}`;
  // a refused OAuth token request means our credential is bad, whatever the status
  const k: ErrorKind = mc.upstream === 'token' && (f.status === 400 || f.status === 401 || f.status === 403) ? 'auth' : kind;
  return new UpstreamError(k, what, { endpoint: mc.endpoint, status: f.status, upstreamMessage: um, rateLimit: f.rateLimit, hint }, ambiguous);
}
