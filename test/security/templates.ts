/**
 * The upstream endpoints our client may call, as templates whose path parameters carry the id
 * shape of src/id-shapes.ts, and a matcher for the fake's request log: every request the fake
 * received must be one of these (method, path, each segment of the right shape and canonically
 * encoded, only the listed query parameters with well-formed values, the right auth scheme).
 */
import { isId, type IdKind } from '../../src/id-shapes';
import type { LoggedRequest } from '../../src/fake-atlassian';

/** How a query parameter's value must look. */
type QueryRule = 'int' | 'bool' | 'text' | 'email' | 'cursor' | 'projectKeys' | 'datetime' | 'jql' | IdKind;
/** A path parameter: an id shape, or the configured organization, or a directory (UUID or "-"). */
type ParamRule = IdKind | 'theOrg' | 'directory';

interface Template {
  method: string;
  /** segments: literals, or {rule} */
  path: string;
  query: Record<string, QueryRule>;
  auth: 'basic' | 'bearer' | 'none';
}

const J = '/rest/api/3';
const V1 = '/admin/v1/orgs/{theOrg}';
const V2 = '/admin/v2/orgs/{theOrg}';
const PAGE: Record<string, QueryRule> = { startAt: 'int', maxResults: 'int' };

/** A JQL string literal as the connector quotes it: no control characters, quotes and backslashes escaped. */
const Q = '"(?:[^"\\\\\\x00-\\x1f]|\\\\["\\\\])*"';
const JQL_SHAPES = [
  new RegExp(`^project = ${Q} AND labels = ${Q}$`),
  new RegExp(`^updated >= -[0-9]{1,4}d(?: AND project in \\(${Q}(?:, ${Q})*\\))? ORDER BY id ASC$`),
  new RegExp(`^project = [0-9]{1,18}(?: AND status (?:not )?in \\(${Q}(?:, ${Q})*\\))* ORDER BY id ASC$`),
  /^id = [0-9]{1,18}$/,
  new RegExp(`^status (?:not )?in \\(${Q}(?:, ${Q})*\\)(?: AND status not in \\(${Q}(?:, ${Q})*\\))? ORDER BY id ASC$`),
];

const jira = (method: string, path: string, query: Record<string, QueryRule> = {}): Template => ({ method, path: J + path, query, auth: 'basic' });
const admin = (method: string, path: string, query: Record<string, QueryRule> = {}): Template => ({ method, path, query, auth: 'bearer' });

export const TEMPLATES: Template[] = [
  jira('GET', '/myself', { expand: 'text' }),
  jira('GET', '/serverInfo'),
  jira('GET', '/users/search', PAGE),
  jira('GET', '/user/search', { query: 'email', ...PAGE }),
  jira('GET', '/user', { accountId: 'accountId' }),
  jira('GET', '/user/groups', { accountId: 'accountId' }),
  jira('GET', '/group/bulk', { groupId: 'groupId', ...PAGE }),
  jira('GET', '/group/member', { groupId: 'groupId', includeInactiveUsers: 'bool', ...PAGE }),
  jira('POST', '/group/user', { groupId: 'groupId' }),
  jira('DELETE', '/group/user', { groupId: 'groupId', accountId: 'accountId' }),
  jira('GET', '/project/search', { keys: 'projectKeys', expand: 'text', orderBy: 'text', ...PAGE }),
  jira('GET', '/project/{projectIdOrKey}', { expand: 'text' }),
  jira('GET', '/project/{projectIdOrKey}/roledetails'),
  jira('GET', '/project/{projectIdOrKey}/role/{roleId}'),
  jira('POST', '/project/{projectIdOrKey}/role/{roleId}'),
  jira('DELETE', '/project/{projectIdOrKey}/role/{roleId}', { user: 'accountId', groupId: 'groupId' }),
  jira('GET', '/role'),
  jira('GET', '/applicationrole'),
  jira('POST', '/user'),
  jira('GET', '/permissionscheme', { expand: 'text' }),
  jira('GET', '/project/{projectIdOrKey}/permissionscheme'),
  jira('GET', '/mypermissions', { permissions: 'text' }),
  jira('GET', '/permissions'),
  jira('POST', '/permissions/check'),
  jira('GET', '/auditing/record', { offset: 'int', limit: 'int', from: 'datetime', filter: 'text' }),
  jira('GET', '/issue/createmeta/{projectIdOrKey}/issuetypes', PAGE),
  jira('GET', '/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}', PAGE),
  jira('GET', '/project/{projectIdOrKey}/statuses'),
  jira('POST', '/issue'),
  jira('GET', '/issue/{issueIdOrKey}'),
  jira('GET', '/search/jql', { jql: 'jql', maxResults: 'int', fields: 'text', expand: 'text', nextPageToken: 'cursor' }),
  jira('POST', '/changelog/bulkfetch'),
  { method: 'GET', path: '/_edge/tenant_info', query: {}, auth: 'none' },
  admin('GET', '/admin/v1/orgs', { cursor: 'cursor' }),
  admin('GET', `${V1}/users`, { cursor: 'cursor' }),
  admin('GET', `${V1}/directory/users/{accountId}/last-active-dates`, { cursor: 'cursor' }),
  admin('POST', `${V1}/directory/users/{accountId}/suspend-access`),
  admin('POST', `${V1}/directory/users/{accountId}/restore-access`),
  admin('GET', `${V2}/directories`, { cursor: 'cursor', limit: 'int' }),
  admin('GET', `${V2}/directories/{directory}/users`, { cursor: 'cursor', limit: 'int' }),
  admin('POST', `${V2}/directories/{directory}/users/search`),
  admin('POST', `${V2}/directories/{directory}/users/{accountId}/suspend`),
  admin('POST', `${V2}/directories/{directory}/users/{accountId}/restore`),
  admin('GET', `${V2}/directories/{directory}/groups`, { cursor: 'cursor', limit: 'int' }),
  admin('POST', `${V2}/directories/{directory}/groups/search`),
  admin('POST', `${V2}/directories/{directory}/groups/{groupId}/memberships`),
  admin('DELETE', `${V2}/directories/{directory}/groups/{groupId}/memberships/{accountId}`),
  admin('POST', `${V2}/workspaces`),
  admin('GET', `${V2}/directories/{directory}/users/{accountId}/role-assignments`, { limit: 'int' }),
  admin('POST', `${V2}/directories/{directory}/groups/{groupId}/role-assignments/assign`),
  admin('POST', `${V2}/directories/{directory}/groups/{groupId}/role-assignments/revoke`),
  admin('POST', `${V1}/users/{accountId}/roles/assign`),
  admin('POST', `${V1}/users/{accountId}/roles/revoke`),
  admin('GET', '/users/{accountId}/manage/api-tokens'),
  // offboarding (issue 15)
  jira('DELETE', '/user', { accountId: 'accountId' }),
  admin('DELETE', `${V1}/directory/users/{accountId}`),
  admin('POST', '/users/{accountId}/manage/lifecycle/disable'),
  admin('POST', '/users/{accountId}/manage/lifecycle/enable'),
  admin('POST', '/users/{accountId}/manage/lifecycle/delete'),
  admin('POST', '/users/{accountId}/manage/lifecycle/cancel-delete'),
  admin('DELETE', '/users/{accountId}/manage/api-tokens/{apiTokenId}'),
  admin('GET', `${V1}/domains`, { cursor: 'cursor' }),
  admin('GET', `${V1}/policies`, { cursor: 'cursor' }),
];

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function paramOk(rule: ParamRule, value: string, orgId: string): boolean {
  if (rule === 'theOrg') return value === orgId;
  if (rule === 'directory') return value === '-' || UUID.test(value);
  return isId(rule, value);
}

/** whitespace or a control character */
const hasControl = (v: string) => /\s/.test(v) || [...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

function queryValueOk(rule: QueryRule, v: string): boolean {
  switch (rule) {
    case 'int':
      return /^(0|[1-9][0-9]{0,8})$/.test(v);
    case 'bool':
      return v === 'true' || v === 'false';
    case 'text':
      return v.length <= 256 && /^[A-Za-z0-9_,.-]*$/.test(v);
    case 'jql':
      // only the shapes the connector builds: ticketing's label search, issue activity's window, a project's work items, one issue
      return v.length <= 8000 && JQL_SHAPES.some((re) => re.test(v));
    case 'email':
      // the connector looks accounts up by email: at most 254 characters (RFC 5321)
      return v.length >= 3 && v.length <= 254 && !hasControl(v);
    case 'cursor':
      // an opaque cursor value; never a URL, never unbounded
      return v.length > 0 && v.length <= 4096 && !/^[a-z][a-z0-9+.-]*:/i.test(v) && !hasControl(v);
    case 'projectKeys':
      return isId('projectIdOrKey', v);
    case 'datetime':
      return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/.test(v);
    default:
      return isId(rule, v);
  }
}

/** Why a logged request is outside every template, or undefined when it matches one. */
export function checkRequest(r: LoggedRequest, orgId: string): string | undefined {
  const segs = r.path.split('/');
  const candidates = TEMPLATES.filter((t) => t.method === r.method && t.path.split('/').length === segs.length);
  let best: string | undefined;
  for (const t of candidates) {
    const tsegs = t.path.split('/');
    let why: string | undefined;
    let literalMismatch = false;
    for (let i = 0; i < tsegs.length && !why && !literalMismatch; i++) {
      const ts = tsegs[i];
      const raw = segs[i];
      if (!ts.startsWith('{')) {
        if (ts !== raw) literalMismatch = true;
        continue;
      }
      const rule = ts.slice(1, -1) as ParamRule;
      const value = decode(raw);
      if (value === undefined) why = `path segment ${i} ${JSON.stringify(raw.slice(0, 80))} does not decode`;
      else if (encodeURIComponent(value) !== raw) why = `path segment ${i} ${JSON.stringify(raw.slice(0, 80))} is not canonically encoded`;
      else if (!paramOk(rule, value, orgId)) why = `path segment ${i} ${JSON.stringify(value.slice(0, 80))} is not ${rule === 'theOrg' ? 'the configured organization' : `a ${rule}`}`;
    }
    if (literalMismatch) continue;
    if (!why) {
      if (r.auth !== t.auth) why = `auth scheme ${r.auth}, expected ${t.auth}`;
    }
    if (!why && r.query) {
      let params: URLSearchParams | undefined;
      try {
        params = new URLSearchParams(r.query);
      } catch {
        why = 'query does not parse';
      }
      for (const [k, v] of params ?? []) {
        const rule = t.query[k];
        if (!rule) {
          why = `unexpected query parameter ${JSON.stringify(k.slice(0, 80))}`;
          break;
        }
        if (!queryValueOk(rule, v)) {
          why = `query ${k}=${JSON.stringify(v.slice(0, 80))}${v.length > 80 ? `… (${v.length} chars)` : ''} is not a well-formed ${rule}`;
          break;
        }
      }
    }
    if (!why) return undefined;
    best ??= `${why} (template ${t.method} ${t.path})`;
  }
  return best ?? 'no endpoint template has this method and path';
}

/** "METHOD path?query" for reports, cut to a readable length. */
export function show(r: LoggedRequest): string {
  const s = `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} [${r.auth}]`;
  return s.length > 240 ? `${s.slice(0, 240)}… (${s.length} chars)` : s;
}
