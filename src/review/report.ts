/**
 * The reviewer's report from a snapshot: per person, per project, flagged findings, and every
 * effective grant with how it was obtained; written as CSV files and one self-contained HTML page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSnapshot } from './store';
import { Review, Holding, loadReview, describeVia, describeEntitlement, adminMatcher, pk } from './model';
import { toCsv } from './csv';
import { renderHtml } from './html';
import { FINDING_TITLES, type FindingKind } from './findings';
import { tokenFindings } from './token-findings';

export interface ReportOptions {
  /** days without activity after which a licensed account is flagged (when last-active dates are known) */
  inactiveDays?: number;
  /** app accounts holding roles in at least this many projects are flagged as broad */
  broadProjects?: number;
  /** names of groups, roles and products that count as administrative (case-insensitive regex) */
  adminPattern?: string;
  /** the date inactivity is measured from (ISO); default: when the snapshot was taken */
  asOf?: string;
}

const SEVERITY: Record<FindingKind, 'high' | 'medium' | 'low'> = {
  'external-admin': 'high',
  'inactive-licensed': 'medium',
  'app-broad-access': 'medium',
  'hidden-email': 'low',
  'token-owner-offboarded': 'high',
  'token-never-expires': 'medium',
  'token-unused': 'low',
  'seats-near-limit': 'low',
};

export interface Finding {
  kind: FindingKind;
  severity: 'high' | 'medium' | 'low';
  accountId: string;
  name: string;
  email: string;
  detail: string;
}

export interface Via {
  /** group / role / product / project display text */
  what: string;
  /** how: "direct" or the chain of groups and roles */
  through: string[];
}

export interface PersonRow {
  accountId: string;
  name: string;
  email: string;
  /** 'visible', 'hidden', or 'hidden (email from organization)' */
  emailVisibility: string;
  accountType: string;
  active: boolean;
  status: string;
  /** 'managed', 'external', or 'unknown' */
  managed: 'managed' | 'external' | 'unknown';
  lastActive: string;
  /** days between last activity and the snapshot; undefined when unknown */
  daysInactive?: number;
  siteAccess: boolean;
  /** API tokens the account owns (organization data), when known */
  apiTokens?: number;
  groups: string[];
  products: Via[];
  roles: (Via & { projectKey: string; role: string })[];
  projects: string[];
  leads: string[];
  adminAccess: string[];
  findings: FindingKind[];
}

export interface ProjectAccessRow {
  projectId: string;
  projectKey: string;
  accountId: string;
  /** 'lead' or the role name */
  access: string;
  /** 'direct' or the chain (e.g. group "x") */
  through: string;
}

export interface ProjectRow {
  id: string;
  key: string;
  name: string;
  lead: string;
  leadAccountId: string;
  people: number;
  direct: number;
  throughGroups: number;
  inactive: number;
  roles: { role: string; people: number; direct: number; throughGroups: number }[];
}

export interface ReportData {
  meta: Record<string, string>;
  generatedAt: string;
  /** the snapshot's time, which "days inactive" is measured from */
  asOf: string;
  options: Required<ReportOptions>;
  totals: Record<string, number>;
  people: PersonRow[];
  projects: ProjectRow[];
  projectAccess: ProjectAccessRow[];
  findings: Finding[];
  products: { id: string; name: string; holders: number; active: number; inactive: number }[];
  groups: { id: string; name: string; members: number; admin: boolean }[];
  /** true when the snapshot carries organization data (managed/external, last active) */
  orgData: boolean;
  warnings: string[];
}

const DAY = 86_400_000;

function userHoldings(rv: Review, accountId: string): Holding[] {
  return rv.byPrincipal.get(pk('user', accountId)) ?? [];
}

export function buildReport(rv: Review, o: ReportOptions = {}): ReportData {
  const asOf = o.asOf ?? rv.meta.finished_at ?? rv.meta.started_at ?? new Date().toISOString();
  const options: Required<ReportOptions> = { inactiveDays: o.inactiveDays ?? 90, broadProjects: o.broadProjects ?? 10, adminPattern: o.adminPattern ?? 'admin', asOf };
  const isAdmin = adminMatcher(options.adminPattern);
  const asOfT = Date.parse(asOf);
  const orgData = [...rv.people.values()].some((p) => p.managed !== undefined || p.lastActive !== undefined);

  const people: PersonRow[] = [];
  const findings: Finding[] = [];
  const projectAccess: ProjectAccessRow[] = [];
  const productHolders = new Map<string, Set<string>>();

  const sortedPeople = [...rv.people.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.accountId < b.accountId ? -1 : 1));
  for (const p of sortedPeople) {
    const groups: string[] = [];
    const products: Via[] = [];
    const roles: PersonRow['roles'] = [];
    const projects = new Set<string>();
    const leads: string[] = [];
    const adminAccess: string[] = [];
    for (const h of userHoldings(rv, p.accountId)) {
      const e = h.entitlement;
      const through = describeVia(rv, h);
      if (e.resourceType === 'group' && e.slug === 'member') {
        const name = rv.groups.get(e.resourceId)?.name ?? e.resourceId;
        groups.push(name);
        if (isAdmin(name)) adminAccess.push(`group "${name}"`);
      } else if (e.resourceType === 'application-role' && e.slug === 'assigned') {
        const name = rv.products.get(e.resourceId)?.name ?? e.resourceId;
        products.push({ what: name, through });
        if (!productHolders.has(e.resourceId)) productHolders.set(e.resourceId, new Set());
        productHolders.get(e.resourceId)!.add(p.accountId);
        if (isAdmin(name)) adminAccess.push(`product "${name}"`);
      } else if (e.resourceType === 'project-role' && e.slug === 'assigned') {
        const r = rv.roles.get(e.resourceId);
        const key = r?.projectKey || r?.projectName || e.resourceId;
        const role = r?.roleName ?? e.resourceId;
        roles.push({ what: `${key}: ${role}`, through, projectKey: key, role });
        if (r?.projectId) projects.add(rv.projects.get(r.projectId)?.key ?? key);
        if (isAdmin(role)) adminAccess.push(`role "${role}" in ${key}`);
        if (r) for (const t of through) projectAccess.push({ projectId: r.projectId, projectKey: key, accountId: p.accountId, access: role, through: t });
      } else if (e.resourceType === 'project' && e.slug === 'lead') {
        const pr = rv.projects.get(e.resourceId);
        const key = pr?.key ?? e.resourceId;
        leads.push(key);
        projects.add(key);
        projectAccess.push({ projectId: e.resourceId, projectKey: key, accountId: p.accountId, access: 'lead', through: 'direct' });
      }
    }
    groups.sort((a, b) => a.localeCompare(b));
    products.sort((a, b) => a.what.localeCompare(b.what));
    roles.sort((a, b) => a.what.localeCompare(b.what));
    const daysInactive = p.lastActive ? Math.floor((asOfT - Date.parse(p.lastActive)) / DAY) : undefined;
    const managed: PersonRow['managed'] = p.managed === true ? 'managed' : p.managed === false || p.accountType === 'customer' ? 'external' : 'unknown';
    const row: PersonRow = {
      accountId: p.accountId,
      name: p.name,
      email: p.email,
      emailVisibility: !p.emailHidden ? 'visible' : p.email ? `hidden (email from ${p.emailSource ?? 'organization'})` : 'hidden',
      accountType: p.accountType + (p.appType ? ` (${p.appType})` : ''),
      active: p.active,
      status: p.status,
      managed,
      lastActive: p.lastActive ?? '',
      daysInactive,
      siteAccess: p.siteAccess,
      apiTokens: p.apiTokenCount,
      groups,
      products,
      roles,
      projects: [...projects].sort(),
      leads: leads.sort(),
      adminAccess: [...new Set(adminAccess)].sort(),
      findings: [],
    };
    const flag = (kind: FindingKind, detail: string) => {
      row.findings.push(kind);
      findings.push({ kind, severity: SEVERITY[kind], accountId: p.accountId, name: p.name, email: p.email, detail });
    };
    // inactive but licensed: holds a product seat and is deactivated, or has not been active for inactiveDays
    if (products.length) {
      const seats = products.map((x) => `${x.what} (${x.through.join('; ')})`).join(', ');
      if (!p.active) flag('inactive-licensed', `${p.suspended ? 'suspended' : 'deactivated'} but holds ${seats}`);
      else if (daysInactive !== undefined && daysInactive >= options.inactiveDays)
        flag('inactive-licensed', `last active ${(p.lastActive ?? '').slice(0, 10)} (${daysInactive} days before ${asOf.slice(0, 10)}) and holds ${seats}`);
      else if (orgData && p.managed === true && !p.lastActive) flag('inactive-licensed', `never active in a product and holds ${seats}`);
    }
    if (managed === 'external' && p.accountType !== 'app' && row.adminAccess.length)
      flag('external-admin', `${p.accountType === 'customer' ? 'customer account' : 'not managed by the organization'}; ${row.adminAccess.join(', ')}`);
    if (p.emailHidden)
      flag(
        'hidden-email',
        p.email ? `hidden by profile visibility in Jira; the organization knows it as ${p.email}` : 'hidden by profile visibility; the account cannot be matched to a person by email',
      );
    if (p.accountType === 'app') {
      const broad: string[] = [];
      if (row.adminAccess.length) broad.push(row.adminAccess.join(', '));
      if (row.projects.length >= options.broadProjects) broad.push(`roles in ${row.projects.length} projects`);
      if (broad.length) flag('app-broad-access', broad.join('; '));
    }
    people.push(row);
  }

  // per project
  const byProject = new Map<string, ProjectAccessRow[]>();
  for (const a of projectAccess) {
    if (!byProject.has(a.projectId)) byProject.set(a.projectId, []);
    byProject.get(a.projectId)!.push(a);
  }
  const personById = new Map(people.map((x) => [x.accountId, x]));
  const projects: ProjectRow[] = [...rv.projects.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((pr) => {
      const rows = byProject.get(pr.id) ?? [];
      const viaRole = rows.filter((r) => r.access !== 'lead');
      const all = new Set(rows.map((r) => r.accountId));
      const direct = new Set(viaRole.filter((r) => r.through === 'direct').map((r) => r.accountId));
      const groups = new Set(viaRole.filter((r) => r.through !== 'direct').map((r) => r.accountId));
      const roleNames = [...rv.roles.values()].filter((r) => r.projectId === pr.id).map((r) => r.roleName);
      const roles = roleNames.sort().map((role) => {
        const rr = rows.filter((r) => r.access === role);
        return {
          role,
          people: new Set(rr.map((r) => r.accountId)).size,
          direct: new Set(rr.filter((r) => r.through === 'direct').map((r) => r.accountId)).size,
          throughGroups: new Set(rr.filter((r) => r.through !== 'direct').map((r) => r.accountId)).size,
        };
      });
      return {
        id: pr.id,
        key: pr.key,
        name: pr.name,
        lead: rv.people.get(pr.leadAccountId)?.name ?? pr.leadAccountId,
        leadAccountId: pr.leadAccountId,
        people: all.size,
        direct: direct.size,
        throughGroups: groups.size,
        inactive: [...all].filter((a) => personById.get(a) && !personById.get(a)!.active).length,
        roles,
      };
    });
  projectAccess.sort((a, b) => a.projectKey.localeCompare(b.projectKey) || a.accountId.localeCompare(b.accountId) || a.access.localeCompare(b.access) || a.through.localeCompare(b.through));

  const products = [...rv.products.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((x) => {
      const h = [...(productHolders.get(x.id) ?? [])];
      const active = h.filter((a) => personById.get(a)?.active).length;
      return { id: x.id, name: x.name, holders: h.length, active, inactive: h.length - active };
    });
  const groupRows = [...rv.groups.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((g) => {
      const ents = [...rv.entitlements.values()].filter((e) => e.resourceType === 'group' && e.resourceId === g.id && e.slug === 'member');
      const members = new Set<string>();
      for (const e of ents) for (const h of rv.byEntitlement.get(e.id) ?? []) if (h.principalType === 'user') members.add(h.principalId);
      return { id: g.id, name: g.name, members: members.size, admin: isAdmin(g.name) };
    });

  // API tokens and product seats (issue 15)
  findings.push(...tokenFindings(rv, options));
  const sev = { high: 0, medium: 1, low: 2 };
  findings.sort((a, b) => sev[a.severity] - sev[b.severity] || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name) || a.accountId.localeCompare(b.accountId));
  const count = (f: (p: PersonRow) => boolean) => people.filter(f).length;
  const totals: Record<string, number> = {
    people: people.length,
    active: count((p) => p.active),
    inactive: count((p) => !p.active),
    atlassian: count((p) => p.accountType === 'atlassian'),
    app: count((p) => p.accountType.startsWith('app')),
    customer: count((p) => p.accountType === 'customer'),
    managed: count((p) => p.managed === 'managed'),
    external: count((p) => p.managed === 'external'),
    licensed: count((p) => p.products.length > 0),
    hiddenEmail: count((p) => p.emailVisibility !== 'visible'),
    groups: rv.groups.size,
    projects: rv.projects.size,
    roles: rv.roles.size,
    products: rv.products.size,
    findings: findings.length,
    'findings:inactive-licensed': findings.filter((f) => f.kind === 'inactive-licensed').length,
    'findings:external-admin': findings.filter((f) => f.kind === 'external-admin').length,
    'findings:hidden-email': findings.filter((f) => f.kind === 'hidden-email').length,
    'findings:app-broad-access': findings.filter((f) => f.kind === 'app-broad-access').length,
    ...Object.fromEntries((['token-owner-offboarded', 'token-never-expires', 'token-unused', 'seats-near-limit'] as const).map((k) => [`findings:${k}`, findings.filter((f) => f.kind === k).length])),
    grantsDirect: rv.counts['total:grants-direct'] ?? 0,
    grantsExpanded: rv.counts['total:grants-expanded'] ?? 0,
  };
  return { meta: rv.meta, generatedAt: new Date().toISOString(), asOf, options, totals, people, projects, projectAccess, findings, products, groups: groupRows, orgData, warnings: rv.warnings };
}

/** Every effective grant to a user: what, and how. */
function accessRows(rv: Review): string[][] {
  const out: string[][] = [];
  const people = [...rv.people.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  for (const p of people) {
    for (const h of userHoldings(rv, p.accountId)) {
      out.push([
        p.accountId,
        p.name,
        p.email,
        h.entitlement.resourceType,
        h.entitlement.resourceId,
        h.entitlement.slug,
        describeEntitlement(rv, h.entitlement.id),
        h.kind,
        describeVia(rv, h).join(' | '),
        h.entitlement.id,
      ]);
    }
  }
  return out;
}

export interface WrittenReport {
  dir: string;
  files: Record<'html' | 'people' | 'projects' | 'projectAccess' | 'findings' | 'access', string>;
  data: ReportData;
  bytes: Record<string, number>;
}

export function writeReport(snapshotFile: string, outDir: string, opts: ReportOptions = {}): WrittenReport {
  const db = openSnapshot(snapshotFile);
  let rv: Review;
  try {
    rv = loadReview(db);
  } finally {
    db.close();
  }
  const data = buildReport(rv, opts);
  mkdirSync(outDir, { recursive: true });
  const files = {
    html: join(outDir, 'index.html'),
    people: join(outDir, 'people.csv'),
    projects: join(outDir, 'projects.csv'),
    projectAccess: join(outDir, 'project-access.csv'),
    findings: join(outDir, 'findings.csv'),
    access: join(outDir, 'access.csv'),
  };
  const personById = new Map(data.people.map((p) => [p.accountId, p]));
  const contents: Record<keyof typeof files, string> = {
    people: toCsv(
      [
        'account_id',
        'name',
        'email',
        'email_visibility',
        'account_type',
        'active',
        'managed',
        'last_active',
        'days_inactive',
        'site_access',
        'api_tokens',
        'product_seats',
        'groups',
        'projects',
        'project_roles',
        'lead_of',
        'admin_like_access',
        'findings',
      ],
      data.people.map((p) => [
        p.accountId,
        p.name,
        p.email,
        p.emailVisibility,
        p.accountType,
        p.active,
        p.managed,
        p.lastActive,
        p.daysInactive,
        p.siteAccess,
        p.apiTokens,
        p.products.map((x) => `${x.what} (${x.through.join(', ')})`),
        p.groups,
        p.projects,
        p.roles.map((r) => `${r.what} (${r.through.join(', ')})`),
        p.leads,
        p.adminAccess,
        p.findings,
      ]),
    ),
    projects: toCsv(
      ['project_id', 'key', 'name', 'lead', 'lead_account_id', 'people', 'people_direct', 'people_through_groups', 'people_inactive', 'roles'],
      data.projects.map((p) => [
        p.id,
        p.key,
        p.name,
        p.lead,
        p.leadAccountId,
        p.people,
        p.direct,
        p.throughGroups,
        p.inactive,
        p.roles.map((r) => `${r.role}: ${r.people} (${r.direct} direct, ${r.throughGroups} through groups)`),
      ]),
    ),
    projectAccess: toCsv(
      ['project_key', 'project_id', 'account_id', 'name', 'email', 'active', 'access', 'through'],
      data.projectAccess.map((a) => {
        const p = personById.get(a.accountId);
        return [a.projectKey, a.projectId, a.accountId, p?.name ?? '', p?.email ?? '', p?.active ?? '', a.access, a.through];
      }),
    ),
    findings: toCsv(
      ['severity', 'finding', 'title', 'account_id', 'name', 'email', 'detail'],
      data.findings.map((f) => [f.severity, f.kind, FINDING_TITLES[f.kind], f.accountId, f.name, f.email, f.detail]),
    ),
    access: toCsv(['account_id', 'name', 'email', 'resource_type', 'resource_id', 'entitlement', 'what', 'kind', 'through', 'entitlement_id'], accessRows(rv)),
    html: renderHtml(data),
  };
  const bytes: Record<string, number> = {};
  for (const [k, f] of Object.entries(files) as [keyof typeof files, string][]) {
    writeFileSync(f, contents[k]);
    bytes[k] = Buffer.byteLength(contents[k]);
  }
  return { dir: outDir, files, data, bytes };
}
