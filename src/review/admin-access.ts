/**
 * Which holdings give administrative rights, from the permissions the connector synced (issue 14):
 * ADMINISTER_PROJECTS on a project (from its permission scheme), the Atlassian administration roles
 * (organization and site resources), and Jira's global administration permissions when they were
 * synced. Names matching a pattern ("admin") are only the fallback for a snapshot taken without
 * project permissions.
 */
import type { EntitlementInfo, Holding, Review } from './model';

/** the project permission that makes a person an administrator of the project */
export const ADMINISTER_PROJECTS = 'permission:ADMINISTER_PROJECTS';
const ADMIN_GLOBALS = new Set(['ADMINISTER', 'SYSTEM_ADMIN']);
const ADMIN_ROLE_TYPES = new Set(['organization', 'site']);

/** How administrative access is judged in a snapshot: by synced permissions, or by names (fallback). */
export type AdminBasis = 'permissions' | 'names';

export function adminBasis(rv: Review): AdminBasis {
  for (const e of rv.entitlements.values()) if ((e.resourceType === 'project' && e.slug === ADMINISTER_PROJECTS) || ADMIN_ROLE_TYPES.has(e.resourceType)) return 'permissions';
  return 'names';
}

/** What administrative right an entitlement gives, in words; undefined when none. */
export function adminRight(rv: Review, e: EntitlementInfo): string | undefined {
  if (e.resourceType === 'project' && e.slug === ADMINISTER_PROJECTS) return `administers project ${rv.projects.get(e.resourceId)?.key ?? e.resourceId}`;
  if (e.resourceType === 'global-permission' && ADMIN_GLOBALS.has(e.resourceId)) return `Jira global permission ${rv.other.get('global-permission')?.get(e.resourceId)?.name ?? e.resourceId}`;
  if (ADMIN_ROLE_TYPES.has(e.resourceType) && /admin/i.test(`${e.slug} ${e.displayName}`)) return e.displayName || `${e.resourceType} ${e.slug}`;
  return undefined;
}

/** The project permission a holding is (e.g. BROWSE_PROJECTS), or undefined. */
export function projectPermissionOf(h: Holding): string | undefined {
  const e = h.entitlement;
  return e.resourceType === 'project' && e.slug.startsWith('permission:') ? e.slug.slice('permission:'.length) : undefined;
}
