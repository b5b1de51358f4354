/**
 * Baton id conventions (an external contract; byte-identical to the SDK's helpers):
 *   entitlement id = "<resourceType>:<resourceId>:<slug>"
 *   grant id       = "<entitlementId>:<principalType>:<principalId>"
 * They are lossy joins: never split them to get a resource id back (account ids contain ':').
 */
export function entitlementId(resourceType: string, resourceId: string, slug: string): string {
  return `${resourceType}:${resourceId}:${slug}`;
}

export function grantId(entId: string, principalType: string, principalId: string): string {
  return `${entId}:${principalType}:${principalId}`;
}

/** project-role resource id, kept from baton-jira */
export function projectRoleId(projectId: string, roleId: string | number): string {
  return `${projectId}:${roleId}`;
}
