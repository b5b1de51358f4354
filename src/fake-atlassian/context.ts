/** Types and helpers shared by the HTTP layer and the endpoint handlers. */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CredentialStore, Principal } from './auth';
import type { OperationSpec } from './openapi';
import type { JiraPermissions, Tenant, TenantGroup, TenantUser } from './tenant';
import type { RequestStats } from './stats';

export type Area = 'jira' | 'admin' | 'user-management' | 'oauth' | 'edge';

export interface ServerSettings {
  /** 'absent' (default): Jira leaves emailAddress out for hidden emails; 'null': sends "emailAddress": null. */
  hiddenEmail: 'absent' | 'null';
  /** Page size of GET /admin/v1/orgs/{orgId}/users (Atlassian does not document it; default 100). */
  adminV1PageSize: number;
  /** Status for a credential that lacks a scope the operation needs (default 401, as the gateway answers). */
  scopeMismatchStatus: 401 | 403;
}

export interface ServerState {
  tenant: Tenant;
  /** the server's request counters (handlers may record details) */
  stats: RequestStats;
  creds: CredentialStore;
  settings: ServerSettings;
  siteUrl: string;
  apiUrl: string;
  gatewayUrl: string;
}

export interface Ctx {
  s: ServerState;
  req: IncomingMessage;
  op: OperationSpec;
  area: Area;
  gateway: boolean;
  /** Base for links in responses: the site URL, or the gateway URL for gateway requests. */
  base: string;
  /** Path as served (after the gateway prefix), e.g. /rest/api/3/users/search */
  path: string;
  /** The request URL as the client would see it (base + path + query). */
  selfUrl: string;
  rawQuery: URLSearchParams;
  /** Query values coerced to their documented types. */
  q: Record<string, unknown>;
  /** Path parameters (decoded strings). */
  params: Record<string, string>;
  body: unknown;
  principal: Principal | null;
  /** Effective Jira permissions of the principal (anonymous: none). */
  perms: JiraPermissions;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Plain-text body (sent as text/plain). */
  text?: string;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export const NO_PERMS: JiraPermissions = { browseUsersAndGroups: false, administerJira: false, siteAdmin: false, browseProjects: false, administerProjects: false };

let errSeq = 0;

export function jiraError(status: number, messages: string | string[], errors: Record<string, string> = {}): Reply {
  return { status, body: { errorMessages: Array.isArray(messages) ? messages : [messages], errors } };
}

export function adminError(status: number, code: string, title: string, detail: string): Reply {
  errSeq++;
  return { status, body: { errors: [{ id: `fake-${Date.now().toString(36)}-${errSeq}`, status: String(status), code, title, detail }] } };
}

export function proxyError(code: number, message: string): Reply {
  return { status: code, body: { code, message } };
}

/** encodeURIComponent that keeps ':' readable (Jira renders account ids that way in self links). */
export function enc(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':');
}

export function avatarUrls(seed: string): Record<'16x16' | '24x24' | '32x32' | '48x48', string> {
  const initials = encodeURIComponent(
    seed
      .split(/\s+/)
      .map((w) => w.charAt(0))
      .join('')
      .slice(0, 2)
      .toUpperCase() || 'U',
  );
  const base = `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/${initials}-${seed.length % 6}.png`;
  return { '16x16': `${base}?size=16&s=16`, '24x24': `${base}?size=24&s=24`, '32x32': `${base}?size=32&s=32`, '48x48': `${base}?size=48&s=48` };
}

export function canBrowseProject(perms: JiraPermissions, projectId: string): boolean {
  const b = perms.browseProjects;
  return b === true || (Array.isArray(b) && b.includes(projectId)) || canAdministerProject(perms, projectId);
}

export function canAdministerProject(perms: JiraPermissions, projectId: string): boolean {
  const a = perms.administerProjects;
  return perms.administerJira || a === true || (Array.isArray(a) && a.includes(projectId));
}

export function administersAnyProject(perms: JiraPermissions): boolean {
  const a = perms.administerProjects;
  return perms.administerJira || a === true || (Array.isArray(a) && a.length > 0);
}

export function groupSelf(base: string, g: TenantGroup): string {
  return `${base}/rest/api/3/group?groupId=${g.groupId}`;
}

export function userSelf(base: string, u: TenantUser): string {
  return `${base}/rest/api/3/user?accountId=${enc(u.accountId)}`;
}

/** Clamp a requested page size the way Jira does (silently). */
export function clampInt(v: unknown, def: number, min: number, max: number): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : def;
  return Math.max(min, Math.min(max, n));
}

/**
 * The enhanced search's nextPageToken: an offset bound to the query it came from (a digest of the
 * JQL, so a token of another query is refused as Jira refuses it). `undefined` offset = a bad token.
 */
export function searchOffset(token: string | undefined, query: string): number | undefined {
  if (!token) return 0;
  try {
    const tok = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o: unknown; h: unknown };
    return tok.h === queryDigest(query) && typeof tok.o === 'number' && Number.isInteger(tok.o) && tok.o >= 0 ? tok.o : undefined;
  } catch {
    return undefined;
  }
}

export function searchToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, h: queryDigest(query) })).toString('base64url');
}

function queryDigest(query: string): string {
  return createHash('sha256').update(query).digest('base64url').slice(0, 16);
}
