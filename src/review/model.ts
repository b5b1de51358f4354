/**
 * A snapshot read back as what a reviewer talks about: people (user resources) and who holds
 * what, directly or through which group or role. Report and diff both build on this.
 *
 * Ids stay opaque: what a grant is about comes from the entitlements table (resource type,
 * resource id, slug), never from splitting an id.
 */
import type { Db } from './store';
import { allMeta } from './store';
import { addedOf } from './added';

export interface Person {
  accountId: string;
  name: string;
  /** the address, when any source knows it */
  email: string;
  /** 'visible' in Jira, or hidden by the person's profile visibility */
  emailHidden: boolean;
  /** where the email came from when Jira hid it (e.g. 'organization') */
  emailSource?: string;
  accountType: string;
  appType?: string;
  active: boolean;
  status: string;
  /** company-managed account: true / false (external) / undefined (unknown: no organization data) */
  managed?: boolean;
  /** last activity (ISO date or date-time), when the organization reports it */
  lastActive?: string;
  productLastActive: Record<string, string>;
  /** false for a managed account without access to the Jira site */
  siteAccess: boolean;
  suspended?: boolean;
  apiTokenCount?: number;
  profile: Record<string, unknown>;
}

export interface EntitlementInfo {
  id: string;
  resourceType: string;
  resourceId: string;
  slug: string;
  displayName: string;
}

export interface Holding {
  entitlement: EntitlementInfo;
  principalType: string;
  principalId: string;
  kind: 'direct' | 'expanded';
  /** chains of entitlement ids from one held directly; [] = direct */
  paths: string[][];
  /** a direct grant's date of addition and its source (GrantMetadata added_at / added_source, e.g. from Jira's audit log) */
  addedAt?: string;
  addedSource?: string;
}

export interface Named {
  id: string;
  name: string;
  profile: Record<string, unknown>;
}

export interface ProjectInfo extends Named {
  key: string;
  leadAccountId: string;
}

export interface RoleInfo extends Named {
  projectId: string;
  projectKey: string;
  projectName: string;
  roleName: string;
}

export interface Review {
  meta: Record<string, string>;
  people: Map<string, Person>;
  groups: Map<string, Named>;
  projects: Map<string, ProjectInfo>;
  roles: Map<string, RoleInfo>;
  products: Map<string, Named>;
  /** other resource types, by type then id */
  other: Map<string, Map<string, Named>>;
  entitlements: Map<string, EntitlementInfo>;
  /** every grant (direct and expanded), by principal "<type>\0<id>" */
  byPrincipal: Map<string, Holding[]>;
  /** every grant, by entitlement id */
  byEntitlement: Map<string, Holding[]>;
  counts: Record<string, number>;
  warnings: string[];
}

export const pk = (type: string, id: string) => `${type}\u0000${id}`;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** Per-product last-active dates from the profile, whatever shape the organization data has. */
function productDates(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const x of v) {
      if (!x || typeof x !== 'object') continue;
      const o = x as Record<string, unknown>;
      const key = str(o.key) ?? str(o.product) ?? str(o.id);
      const date = str(o.last_active) ?? str(o.lastActive);
      if (key && date) out[key] = date;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, d] of Object.entries(v as Record<string, unknown>)) if (str(d)) out[k] = d as string;
  }
  return out;
}

/** The latest of ISO dates / date-times (compared as instants). */
export function latest(dates: (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let bestT = -Infinity;
  for (const d of dates) {
    if (!d) continue;
    const t = Date.parse(d);
    if (Number.isFinite(t) && t > bestT) {
      bestT = t;
      best = d;
    }
  }
  return best;
}

/** A person from a `user` resource; reads the optional organization fields when present. */
export function personOf(id: string, displayName: string, status: string, profile: Record<string, unknown>): Person {
  const email = str(profile.email) ?? '';
  const visibility = str(profile.email_visibility);
  const emailHidden = visibility !== undefined ? visibility !== 'visible' : email === '';
  const sources = (profile.sources && typeof profile.sources === 'object' ? profile.sources : {}) as Record<string, unknown>;
  const claim = str(profile.claim_status);
  let managed = bool(profile.managed);
  if (managed === undefined && bool(profile.external) !== undefined) managed = !bool(profile.external);
  if (managed === undefined && claim) managed = claim === 'managed';
  const productLastActive = { ...productDates(profile.product_access), ...productDates(profile.product_last_active) };
  const lastActive = latest([str(profile.last_active), str(profile.last_active_date), ...Object.values(productLastActive)]);
  const active = bool(profile.active) ?? status === 'enabled';
  return {
    accountId: str(profile.account_id) ?? id,
    name: displayName || str(profile.display_name) || id,
    email,
    emailHidden,
    emailSource: emailHidden && email ? (str(sources.email) ?? 'organization') : undefined,
    accountType: str(profile.account_type) ?? 'unknown',
    appType: str(profile.app_type),
    active,
    status,
    managed,
    lastActive,
    productLastActive,
    siteAccess: bool(profile.site_access) ?? true,
    suspended: bool(profile.suspended),
    apiTokenCount: num(profile.api_token_count),
    profile,
  };
}

export function loadReview(db: Db): Review {
  const meta = allMeta(db);
  const people = new Map<string, Person>();
  const groups = new Map<string, Named>();
  const projects = new Map<string, ProjectInfo>();
  const roles = new Map<string, RoleInfo>();
  const products = new Map<string, Named>();
  const other = new Map<string, Map<string, Named>>();
  for (const r of db.prepare('SELECT resource_type, resource_id, display_name, status, profile FROM resources ORDER BY resource_type, resource_id').iterate() as IterableIterator<{
    resource_type: string;
    resource_id: string;
    display_name: string;
    status: string;
    profile: string;
  }>) {
    const profile = JSON.parse(r.profile) as Record<string, unknown>;
    const id = r.resource_id;
    const name = r.display_name || id;
    switch (r.resource_type) {
      case 'user':
        people.set(id, personOf(id, r.display_name, r.status, profile));
        break;
      case 'group':
        groups.set(id, { id, name: str(profile.name) ?? name, profile });
        break;
      case 'project':
        projects.set(id, { id, name: str(profile.name) ?? name, key: str(profile.key) ?? id, leadAccountId: str(profile.lead_account_id) ?? '', profile });
        break;
      case 'project-role':
        roles.set(id, {
          id,
          name,
          profile,
          projectId: str(profile.project_id) ?? '',
          projectKey: str(profile.project_key) ?? '',
          projectName: str(profile.project_name) ?? '',
          roleName: str(profile.name) ?? name,
        });
        break;
      case 'application-role':
        products.set(id, { id, name: str(profile.name) ?? name, profile });
        break;
      default: {
        if (!other.has(r.resource_type)) other.set(r.resource_type, new Map());
        other.get(r.resource_type)!.set(id, { id, name, profile });
      }
    }
  }
  const entitlements = new Map<string, EntitlementInfo>();
  for (const e of db.prepare('SELECT id, resource_type, resource_id, slug, display_name FROM entitlements').iterate() as IterableIterator<{
    id: string;
    resource_type: string;
    resource_id: string;
    slug: string;
    display_name: string;
  }>) {
    entitlements.set(e.id, { id: e.id, resourceType: e.resource_type, resourceId: e.resource_id, slug: e.slug, displayName: e.display_name });
  }
  const byPrincipal = new Map<string, Holding[]>();
  const byEntitlement = new Map<string, Holding[]>();
  for (const g of db.prepare('SELECT kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, paths, data FROM grants ORDER BY id').iterate() as IterableIterator<{
    kind: 'direct' | 'expanded';
    entitlement_id: string;
    resource_type: string;
    resource_id: string;
    principal_type: string;
    principal_id: string;
    paths: string;
    data: Buffer | null;
  }>) {
    let ent = entitlements.get(g.entitlement_id);
    if (!ent) {
      // a grant on an entitlement the connector did not list: keep it, described from the grant
      ent = { id: g.entitlement_id, resourceType: g.resource_type, resourceId: g.resource_id, slug: '', displayName: g.entitlement_id };
      entitlements.set(ent.id, ent);
    }
    const h: Holding = { entitlement: ent, principalType: g.principal_type, principalId: g.principal_id, kind: g.kind, paths: JSON.parse(g.paths) as string[][] };
    const added = addedOf(g.data);
    if (added) Object.assign(h, added);
    const k = pk(g.principal_type, g.principal_id);
    if (!byPrincipal.has(k)) byPrincipal.set(k, []);
    byPrincipal.get(k)!.push(h);
    if (!byEntitlement.has(ent.id)) byEntitlement.set(ent.id, []);
    byEntitlement.get(ent.id)!.push(h);
  }
  const counts: Record<string, number> = {};
  for (const c of db.prepare('SELECT kind, key, value FROM counts').all() as { kind: string; key: string; value: number }[]) counts[`${c.kind}:${c.key}`] = c.value;
  const warnings = (db.prepare('SELECT message FROM warnings ORDER BY n').all() as { message: string }[]).map((w) => w.message);
  return { meta, people, groups, projects, roles, products, other, entitlements, byPrincipal, byEntitlement, counts, warnings };
}

/** What an entitlement is, in words: `group "jira-admins"`, `role Administrators in ABC`, `project ABC`, `product Jira Software`. */
export function describeEntitlement(rv: Review, id: string): string {
  const e = rv.entitlements.get(id);
  if (!e) return id;
  switch (e.resourceType) {
    case 'group':
      return `group "${rv.groups.get(e.resourceId)?.name ?? e.resourceId}"`;
    case 'project-role': {
      const r = rv.roles.get(e.resourceId);
      return r ? `role "${r.roleName}" in ${r.projectKey || r.projectName}` : `role ${e.resourceId}`;
    }
    case 'project': {
      const p = rv.projects.get(e.resourceId);
      if (e.slug.startsWith('permission:')) return `${e.slug.slice('permission:'.length)} on ${p?.key ?? e.resourceId}`;
      return `${e.slug} of ${p?.key ?? e.resourceId}`;
    }
    case 'application-role':
      return `product "${rv.products.get(e.resourceId)?.name ?? e.resourceId}"`;
    default:
      return e.displayName || id;
  }
}

/** How a holding was obtained: "direct", or the chain: `group "x" → role "Developers" in ABC`. */
export function describeVia(rv: Review, h: Holding): string[] {
  return h.paths.map((p) => (p.length === 0 ? 'direct' : p.map((id) => describeEntitlement(rv, id)).join(' → ')));
}

/** Whether a name looks administrative (default: contains "admin"). */
export function adminMatcher(pattern: string | RegExp = /admin/i): (s: string) => boolean {
  const re = typeof pattern === 'string' ? new RegExp(pattern, 'i') : pattern;
  return (s) => re.test(s);
}
