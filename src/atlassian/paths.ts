/**
 * The one path builder: every upstream path is a template ("/rest/api/3/project/{projectIdOrKey}/role/{id}")
 * filled here with typed parameters. No other code puts a value into a URL path, and query values
 * only travel through the HTTP layer's query serializer.
 *
 * Each parameter is refused (INVALID_ARGUMENT naming the parameter) before anything is sent when it
 *  - is missing, empty, ".", ".." or decodes (once or more) to one of them ("%2e%2e", ".%2E");
 *  - holds a "/" or "\" (raw or percent-encoded) or a control character;
 *  - does not have the shape Atlassian gives that kind of id (src/id-shapes.ts), for every
 *    parameter name in PATH_PARAM_SHAPES;
 * and everything that passes is percent-encoded. encodeURIComponent alone leaves "." and ".."
 * alone, and the HTTP stack then resolves them: a project id ".." turned
 * DELETE /rest/api/3/project/{projectIdOrKey}/role/{id} into DELETE /rest/api/3/role/{id}.
 */
import { ConnectorError, invalidInput } from '../errors';
import { checkId, IdKind } from '../id-shapes';

/** The id shape of every path parameter name our endpoint templates use. */
export const PATH_PARAM_SHAPES: Readonly<Record<string, IdKind>> = {
  projectIdOrKey: 'projectIdOrKey',
  // only in /rest/api/3/project/{projectKeyOrId}/permissionscheme (Atlassian's name there)
  projectKeyOrId: 'projectIdOrKey',
  // only in /rest/api/3/project/{projectIdOrKey}/role/{id}
  id: 'roleId',
  orgId: 'orgId',
  directoryId: 'directoryId',
  groupId: 'groupId',
  accountId: 'accountId',
  // only in /users/{accountId}/manage/api-tokens/{tokenId}
  tokenId: 'apiTokenId',
  issueTypeId: 'issueTypeId',
  issueIdOrKey: 'issueIdOrKey',
};

/** The admin API's "every directory" id; accepted only by the directory list and search endpoints. */
const ALL_DIRECTORIES = '-';
const ALL_DIRECTORIES_TEMPLATE = /\/\{directoryId\}\/(?:users|groups)(?:\/search)?$/;

const MAX_PARAM = 1024;
const TEMPLATE = /^\/(?:[A-Za-z0-9._~!$&'()*+,;=:@{}%-]+\/?)*$/;
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

function shown(v: string): string {
  return JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v);
}

/** Decodings of a segment as servers or proxies on the way might see it (up to three rounds). */
function decodings(v: string): string[] {
  const out = [v];
  let cur = v;
  for (let i = 0; i < 3 && cur.includes('%'); i++) {
    try {
      cur = decodeURIComponent(cur);
    } catch {
      break;
    }
    out.push(cur);
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const UNSAFE = /[/\\\u0000-\u001f\u007f]/;

function checkSegment(template: string, name: string, raw: unknown): string {
  const field = `path parameter ${name}`;
  let v: string;
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) throw invalidInput(`${field} ${String(raw)} is not an id`);
    v = String(raw);
  } else if (typeof raw === 'string') {
    v = raw;
  } else if (raw === undefined || raw === null) {
    throw invalidInput(`missing ${field} for ${template}`);
  } else {
    throw invalidInput(`${field} is a ${typeof raw}, not an id`);
  }
  if (v.length > MAX_PARAM) throw invalidInput(`${field} is longer than ${MAX_PARAM} characters`);
  for (const d of decodings(v)) {
    if (d === '' || d === '.' || d === '..') throw invalidInput(v === '' ? `missing ${field} for ${template}` : `${field} ${shown(v)} is not a path segment`);
    if (UNSAFE.test(d)) throw invalidInput(`${field} ${shown(v)} holds a slash, backslash or control character`);
  }
  const kind = PATH_PARAM_SHAPES[name];
  if (!kind) return v;
  if (kind === 'directoryId' && v === ALL_DIRECTORIES && ALL_DIRECTORIES_TEMPLATE.test(template)) return v;
  return checkId(kind, v, field);
}

/**
 * Fills `template` with `params`: each value checked (see above) and percent-encoded. A template
 * that is not a plain absolute path, a placeholder without a value, or a value without a
 * placeholder is a bug of ours (internal); a bad value is INVALID_ARGUMENT naming the parameter.
 */
export function fillPath(template: string, params?: Readonly<Record<string, string | number>>): string {
  if (!TEMPLATE.test(template) || template.split('/').some((s) => s === '.' || s === '..')) throw new ConnectorError('internal', `not a path template: ${shown(template)}`);
  const used = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    used.add(name);
    return encodeURIComponent(checkSegment(template, name, params?.[name]));
  });
  if (out.includes('{') || out.includes('}')) throw new ConnectorError('internal', `malformed path template ${shown(template)}`);
  for (const k of Object.keys(params ?? {})) if (!used.has(k)) throw new ConnectorError('internal', `path parameter ${k} is not in ${template}`);
  return out;
}

/** The placeholder names of a template, in order. */
export function templateParams(template: string): string[] {
  return Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]);
}
