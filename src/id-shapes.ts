/**
 * The shapes Atlassian gives its ids. Every id that came from a request is checked against its
 * shape before it is used (in a resource id, a path segment or a query), so a hostile value such
 * as "..", "%2e%2e", "a/b" or a 10 MB string is refused with INVALID_ARGUMENT naming the field,
 * before anything is sent upstream. Used by the connector when it decodes resource ids and by the
 * HTTP layer's path builder, so the two never disagree.
 */
import { invalidInput } from './errors';

export type IdKind =
  'projectId' | 'projectIdOrKey' | 'roleId' | 'groupId' | 'accountId' | 'directoryId' | 'orgId' | 'applicationRoleKey' | 'apiTokenId' | 'issueTypeId' | 'issueIdOrKey' | 'permissionKey';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const ID_SHAPES: Record<IdKind, { pattern: RegExp; what: string }> = {
  projectId: { pattern: /^[0-9]{1,18}$/, what: 'a numeric Jira project id' },
  // project keys are upper-case letters, digits and underscores, starting with a letter
  projectIdOrKey: { pattern: /^(?:[0-9]{1,18}|[A-Z][A-Z0-9_]{0,254})$/, what: 'a numeric Jira project id or a project key' },
  roleId: { pattern: /^[0-9]{1,18}$/, what: 'a numeric Jira project role id' },
  groupId: { pattern: UUID, what: 'a Jira group id (a UUID)' },
  // "557058:<uuid>", "712020:<uuid>", 24 hex digits, "qm:<uuid>:<uuid>" (customers)
  accountId: { pattern: /^[A-Za-z0-9:_-]{1,128}$/, what: 'an Atlassian account id (letters, digits, ":", "_" and "-", at most 128)' },
  directoryId: { pattern: UUID, what: 'an Atlassian directory id (a UUID)' },
  orgId: { pattern: /^[A-Za-z0-9_-]{1,128}$/, what: 'an Atlassian organization id' },
  applicationRoleKey: { pattern: /^[a-z][a-z0-9-]{0,127}$/, what: 'a Jira product key such as jira-software' },
  // the user management API's token ids (UUIDs in practice; the document says only "string")
  apiTokenId: { pattern: /^[A-Za-z0-9_-]{1,128}$/, what: 'an Atlassian API token id (letters, digits, "_" and "-", at most 128)' },
  // a Jira permission key (BROWSE_PROJECTS): what a permission entitlement's slug carries
  permissionKey: { pattern: /^[A-Za-z][A-Za-z0-9_]{0,99}$/, what: 'a Jira permission key such as BROWSE_PROJECTS' },
  issueTypeId: { pattern: /^[0-9]{1,18}$/, what: 'a numeric Jira issue type id' },
  // a numeric issue id, or a key: the project key, "-", the issue number
  issueIdOrKey: { pattern: /^(?:[0-9]{1,18}|[A-Z][A-Z0-9_]{0,254}-[0-9]{1,18})$/, what: 'a numeric Jira issue id or an issue key such as ABC-123' },
};

/** True when `value` has the shape of a `kind` id. */
export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && value.length <= 1024 && ID_SHAPES[kind].pattern.test(value);
}

/** Returns `value` when it has the shape of a `kind` id; otherwise INVALID_ARGUMENT naming `field`. */
export function checkId(kind: IdKind, value: unknown, field: string): string {
  if (isId(kind, value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 64 ? value.slice(0, 64) + '…' : value) : String(typeof value);
  throw invalidInput(`${field} ${shown} is not ${ID_SHAPES[kind].what}`);
}
