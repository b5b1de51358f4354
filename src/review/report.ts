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
import { DecisionRow, decisionRows, decisionsCsv } from './decisions';
import { summaryText } from './summary';
import { History, historyKey, HistorySync, readHistory, recordFindings } from './history';
import { FINDING_TITLES, type FindingKind } from './findings';
import { AdminBasis, adminBasis, adminRight, projectPermissionOf } from './admin-access';
import { tokenFindings } from './token-findings';
import { isOpen, workItemsCsv, workItemCounts, type WorkItemCount } from './work-items';

export interface ReportOptions {
  /** days without activity after which a licensed account is flagged (when last-active dates are known) */
  inactiveDays?: number;
  /** app accounts holding roles in at least this many projects are flagged as broad */
  broadProjects?: number;
  /** names of groups, roles and products that count as administrative (case-insensitive regex), when the snapshot has no project permissions */
  adminPattern?: string;
  /** the date inactivity is measured from (ISO); default: when the snapshot was taken */
  asOf?: string;
  /** who reviews (recorded in the page's header and the summary) */
  reviewer?: string;
  /** the review campaign's name (e.g. "Q4 2026 Jira access review") */
  campaign?: string;
  /** dates from a history store (history.ts): since when each access and account is held */
  history?: History;
}

const SEVERITY: Record<FindingKind, 'high' | 'medium' | 'low'> = {
  'external-admin': 'high',
  'open-project': 'high',
  'inactive-licensed': 'medium',
  'app-broad-access': 'medium',
  'open-items-inactive': 'medium',
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
  /** when the connector says it was added, and from where (e.g. "2026-09-20 (jira-audit-log)") */
  added?: string;
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
  /** latest time the account created or changed an issue (BATON_JIRA_ACTIVITY_DAYS), when measured and any */
  lastIssueActivity?: string;
  /** work items assigned to the account whose status is not done (BATON_JIRA_WORK_ITEMS), when synced */
  openItemsAssigned?: number;
  /** when the organization says the account was added to it (profile added_to_org), when known */
  addedToOrg?: string;
  /** with a history: the first recorded sync that saw the account, and the start of its current run */
  firstSeen?: string;
  since?: string;
  groups: string[];
  /** group name -> when the membership was added, and from where (addedText) */
  groupsAdded?: Record<string, string>;
  products: Via[];
  roles: (Via & { projectKey: string; role: string })[];
  projects: string[];
  leads: string[];
  /** administrative rights with their paths: from synced permissions, or names matching the pattern when none were synced */
  adminAccess: string[];
  /** keys of the projects the person can administer (ADMINISTER_PROJECTS) */
  administers: string[];
  /** how many projects the person can browse (BROWSE_PROJECTS), when synced */
  browses: number;
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
  /** with a history: since when the access is held without a break */
  since?: string;
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
  /** the permission scheme (company-managed) or why there is none */
  scheme: string;
  /** people holding each synced project permission */
  permissions: { key: string; people: number }[];
  /** permissions granted to anyone, anonymous visitors included */
  openToAnyone: string[];
  /** issue-level holders (reporter, assignee, ...) that give access to some issues only */
  conditional: string[];
}

export interface GroupRow {
  id: string;
  name: string;
  members: number;
  /** members whose account is deactivated or suspended */
  inactive: number;
  /** the name matches the admin pattern (the fallback basis) */
  admin: boolean;
  /** products (application roles) the group gives its members */
  products: string[];
  /** project roles held by the group, as "KEY: Role" */
  roles: string[];
  /** project permissions granted to the group directly by a scheme, as "KEY: PERMISSION" */
  permissions: string[];
  /** Atlassian administration and product roles held by the group (organization and site) */
  adminRoles: string[];
}

export interface ReportData {
  meta: Record<string, string>;
  generatedAt: string;
  /** the snapshot's time, which "days inactive" is measured from */
  asOf: string;
  options: Required<Omit<ReportOptions, 'reviewer' | 'campaign' | 'history'>>;
  totals: Record<string, number>;
  people: PersonRow[];
  projects: ProjectRow[];
  projectAccess: ProjectAccessRow[];
  findings: Finding[];
  products: { id: string; name: string; holders: number; active: number; inactive: number }[];
  groups: GroupRow[];
  /** work items per project and status (BATON_JIRA_WORK_ITEMS; empty without them) */
  workItems?: WorkItemCount[];
  /** true when the snapshot carries organization data (managed/external, last active) */
  orgData: boolean;
  /** administrative access judged from synced permissions, or from names (no permissions in the snapshot) */
  adminBasis: AdminBasis;
  /** the decisions worksheet's rows (decisions.csv, and the page's Decisions tab) */
  decisions: DecisionRow[];
  /** with a history: every recorded sync, oldest first (the trend across reviews) */
  trend: HistorySync[];
  /** the sign-off: who reviews, in which campaign (when given), and when the report was made */
  signOff: { reviewer?: string; campaign?: string; date: string };
  warnings: string[];
}

const DAY = 86_400_000;

function userHoldings(rv: Review, accountId: string): Holding[] {
  return rv.byPrincipal.get(pk('user', accountId)) ?? [];
}

/** Per product (application-role id): the project permission entitlements granted to the product as a whole (see isProductWide in expand.ts). */
function productWidePermissions(rv: Review): Map<string, Holding[]> {
  const out = new Map<string, Holding[]>();
  for (const id of rv.products.keys()) {
    const hs = (rv.byPrincipal.get(pk('application-role', id)) ?? []).filter((h) => h.entitlement.resourceType === 'project' && h.entitlement.slug.startsWith('permission:'));
    if (hs.length) out.set(id, hs);
  }
  return out;
}

/** A person's holdings plus the project permissions they hold through a product granted them as a whole (path: … → the product). */
function withProductWide(holdings: Holding[], productWide: Map<string, Holding[]>): Holding[] {
  if (!productWide.size) return holdings;
  const out = [...holdings];
  const at = new Map(holdings.map((h, i) => [h.entitlement.id, i]));
  for (const h of holdings) {
    if (h.entitlement.resourceType !== 'application-role' || h.entitlement.slug !== 'assigned') continue;
    for (const pw of productWide.get(h.entitlement.resourceId) ?? []) {
      const paths = h.paths.map((path) => [...path, h.entitlement.id]);
      const i = at.get(pw.entitlement.id);
      if (i !== undefined) out[i] = { ...out[i], paths: [...out[i].paths, ...paths] };
      else {
        at.set(pw.entitlement.id, out.length);
        out.push({ entitlement: pw.entitlement, principalType: h.principalType, principalId: h.principalId, kind: 'expanded', paths });
      }
    }
  }
  return out;
}

export function buildReport(rv: Review, o: ReportOptions = {}): ReportData {
  const asOf = o.asOf ?? rv.meta.finished_at ?? rv.meta.started_at ?? new Date().toISOString();
  const options: Required<Omit<ReportOptions, 'reviewer' | 'campaign' | 'history'>> = {
    inactiveDays: o.inactiveDays ?? 90,
    broadProjects: o.broadProjects ?? 10,
    adminPattern: o.adminPattern ?? 'admin',
    asOf,
  };
  const basis = adminBasis(rv);
  const sinceOf = (entitlementId: string, accountId: string) => o.history?.grants.get(historyKey(entitlementId, 'user', accountId))?.since;
  const byName = adminMatcher(options.adminPattern);
  const isAdmin = (name: string) => basis === 'names' && byName(name);
  /** per project id, per permission key, who holds it */
  const permHolders = new Map<string, Map<string, Set<string>>>();
  const productWide = productWidePermissions(rv);
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
    let groupsAdded: Record<string, string> | undefined;
    const projects = new Set<string>();
    const leads: string[] = [];
    const adminAccess: string[] = [];
    const administers = new Set<string>();
    const browses = new Set<string>();
    const rights = new Map<string, Set<string>>();
    const openItems: string[] = [];
    for (const h of withProductWide(userHoldings(rv, p.accountId), productWide)) {
      const e = h.entitlement;
      const item = e.resourceType === 'work-item' && e.slug === 'assignee' ? rv.other.get('work-item')?.get(e.resourceId) : undefined;
      if (item && isOpen(item.profile)) openItems.push(typeof item.profile.key === 'string' ? item.profile.key : item.id);
      const through = describeVia(rv, h);
      const right = basis === 'permissions' ? adminRight(rv, e) : undefined;
      if (right) for (const t of through) (rights.get(right) ?? rights.set(right, new Set()).get(right)!).add(t);
      const perm = projectPermissionOf(h);
      if (perm) {
        if (!permHolders.has(e.resourceId)) permHolders.set(e.resourceId, new Map());
        const byKey = permHolders.get(e.resourceId)!;
        if (!byKey.has(perm)) byKey.set(perm, new Set());
        byKey.get(perm)!.add(p.accountId);
        if (perm === 'ADMINISTER_PROJECTS') administers.add(rv.projects.get(e.resourceId)?.key ?? e.resourceId);
        if (perm === 'BROWSE_PROJECTS') browses.add(e.resourceId);
      } else if (e.resourceType === 'group' && e.slug === 'member') {
        const name = rv.groups.get(e.resourceId)?.name ?? e.resourceId;
        groups.push(name);
        if (h.addedAt) (groupsAdded ??= {})[name] = addedText(h);
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
        roles.push({ what: `${key}: ${role}`, through, projectKey: key, role, added: h.addedAt ? addedText(h) : undefined });
        if (r?.projectId) projects.add(rv.projects.get(r.projectId)?.key ?? key);
        if (isAdmin(role)) adminAccess.push(`role "${role}" in ${key}`);
        const since = sinceOf(e.id, p.accountId);
        if (r) for (const t of through) projectAccess.push({ projectId: r.projectId, projectKey: key, accountId: p.accountId, access: role, through: t, since });
      } else if (e.resourceType === 'project' && e.slug === 'lead') {
        const pr = rv.projects.get(e.resourceId);
        const key = pr?.key ?? e.resourceId;
        leads.push(key);
        projects.add(key);
        projectAccess.push({ projectId: e.resourceId, projectKey: key, accountId: p.accountId, access: 'lead', through: 'direct', since: sinceOf(e.id, p.accountId) });
      }
    }
    for (const [right, ts] of rights) adminAccess.push(`${right} (${[...ts].join('; ')})`);
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
      lastIssueActivity: typeof p.profile.last_issue_activity === 'string' ? p.profile.last_issue_activity : undefined,
      openItemsAssigned: rv.other.has('work-item') ? openItems.length : undefined,
      addedToOrg: typeof p.profile.added_to_org === 'string' ? p.profile.added_to_org : undefined,
      firstSeen: o.history?.accounts.get(p.accountId)?.firstSeen,
      since: o.history?.accounts.get(p.accountId)?.since,
      groups,
      groupsAdded,
      products,
      roles,
      projects: [...projects].sort(),
      leads: leads.sort(),
      adminAccess: [...new Set(adminAccess)].sort(),
      administers: [...administers].sort(),
      browses: browses.size,
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
      else if (!p.lastActive && typeof p.profile.last_issue_activity_window_days === 'number') {
        // no organization data for the person: Jira issue activity (BATON_JIRA_ACTIVITY_DAYS) says it instead
        const windowDays = p.profile.last_issue_activity_window_days;
        const last = row.lastIssueActivity;
        const days = last ? Math.floor((asOfT - Date.parse(last)) / DAY) : undefined;
        if (days !== undefined && days >= options.inactiveDays)
          flag('inactive-licensed', `last issue activity ${last!.slice(0, 10)} (${days} days before ${asOf.slice(0, 10)}; source: Jira issues, no organization data) and holds ${seats}`);
        else if (!last && windowDays >= options.inactiveDays)
          flag('inactive-licensed', `no issue created or changed in the last ${windowDays} days (source: Jira issues, no organization data) and holds ${seats}`);
      }
    }
    if (!p.active && openItems.length)
      flag(
        'open-items-inactive',
        `${p.suspended ? 'suspended' : 'deactivated'} with ${openItems.length} open work item${openItems.length > 1 ? 's' : ''} assigned: ${openItems.sort().slice(0, 20).join(', ')}${openItems.length > 20 ? ', ...' : ''}`,
      );
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
        scheme: strOf(pr.profile.permission_scheme),
        permissions: [...(permHolders.get(pr.id) ?? new Map<string, Set<string>>())].map(([key, who]) => ({ key, people: who.size })).sort((a, b) => a.key.localeCompare(b.key)),
        openToAnyone: strings(pr.profile.open_to_anyone),
        conditional: strings(pr.profile.conditional_access),
      };
    });
  for (const pr of projects)
    if (pr.openToAnyone.length)
      findings.push({
        kind: 'open-project',
        severity: SEVERITY['open-project'],
        accountId: '',
        name: `${pr.key} (${pr.name})`,
        email: '',
        detail: `anyone, anonymous visitors included, has ${pr.openToAnyone.join(', ')} by the permission scheme "${pr.scheme}"`,
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
      const held = rv.byPrincipal.get(pk('group', g.id)) ?? [];
      const products: string[] = [];
      const roles: string[] = [];
      const permissions: string[] = [];
      const adminRoles: string[] = [];
      for (const h of held) {
        const e = h.entitlement;
        if (e.resourceType === 'application-role') products.push(rv.products.get(e.resourceId)?.name ?? e.resourceId);
        else if (e.resourceType === 'project-role') {
          const r = rv.roles.get(e.resourceId);
          roles.push(r ? `${r.projectKey}: ${r.roleName}` : e.resourceId);
        } else if (e.resourceType === 'organization' || e.resourceType === 'site') adminRoles.push(e.displayName || `${e.resourceType} ${e.slug}`);
        else if (e.resourceType === 'project' && e.slug.startsWith('permission:')) permissions.push(`${rv.projects.get(e.resourceId)?.key ?? e.resourceId}: ${e.slug.slice('permission:'.length)}`);
      }
      const inactive = [...members].filter((a) => rv.people.get(a) && !rv.people.get(a)!.active).length;
      const sort = (xs: string[]) => xs.sort((a, b) => a.localeCompare(b));
      return {
        id: g.id,
        name: g.name,
        members: members.size,
        inactive,
        admin: isAdmin(g.name),
        products: sort(products),
        roles: sort(roles),
        permissions: sort(permissions),
        adminRoles: sort(adminRoles),
      };
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
    'findings:open-project': findings.filter((f) => f.kind === 'open-project').length,
    'findings:open-items-inactive': findings.filter((f) => f.kind === 'open-items-inactive').length,
    administrators: count((p) => p.adminAccess.length > 0),
    ...Object.fromEntries((['token-owner-offboarded', 'token-never-expires', 'token-unused', 'seats-near-limit'] as const).map((k) => [`findings:${k}`, findings.filter((f) => f.kind === k).length])),
    grantsDirect: rv.counts['total:grants-direct'] ?? 0,
    grantsExpanded: rv.counts['total:grants-expanded'] ?? 0,
  };
  return {
    meta: rv.meta,
    generatedAt: new Date().toISOString(),
    asOf,
    options,
    totals,
    people,
    projects,
    projectAccess,
    findings,
    products,
    groups: groupRows,
    workItems: workItemCounts(rv),
    orgData,
    adminBasis: basis,
    decisions: decisionRows(rv, o.history),
    trend: o.history?.syncs ?? [],
    signOff: { reviewer: o.reviewer?.trim() || undefined, campaign: o.campaign?.trim() || undefined, date: new Date().toISOString() },
    warnings: rv.warnings,
  };
}

const strOf = (v: unknown): string => (typeof v === 'string' ? v : '');
/** "2026-09-20 (jira-audit-log)": a holding's date of addition for the page */
const addedText = (h: Holding): string => (h.addedAt ?? '').slice(0, 10) + (h.addedSource ? ` (${h.addedSource})` : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Every effective grant to a user: what, and how. */
function accessRows(rv: Review, history?: History): string[][] {
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
        history?.grants.get(historyKey(h.entitlement.id, 'user', p.accountId))?.firstSeen ?? '',
        history?.grants.get(historyKey(h.entitlement.id, 'user', p.accountId))?.since ?? '',
        h.addedAt ?? '',
        h.addedSource ?? '',
      ]);
    }
  }
  return out;
}

export interface WrittenReport {
  dir: string;
  files: Record<'html' | 'people' | 'projects' | 'projectAccess' | 'findings' | 'access' | 'decisions' | 'summary' | 'workItems', string>;
  data: ReportData;
  bytes: Record<string, number>;
}

export function writeReport(snapshotFile: string, outDir: string, opts: Omit<ReportOptions, 'history'> & { historyFile?: string } = {}): WrittenReport {
  const db = openSnapshot(snapshotFile);
  let rv: Review;
  try {
    rv = loadReview(db);
  } finally {
    db.close();
  }
  const history = opts.historyFile ? readHistory(opts.historyFile, rv.meta.sync_id ?? '') : undefined;
  const data = buildReport(rv, { ...opts, history });
  if (opts.historyFile) {
    // the trend across reviews: this review's findings, kept for the next report
    recordFindings(opts.historyFile, rv.meta.sync_id ?? '', data.findings.length);
    const mine = data.trend.find((x) => x.syncId === rv.meta.sync_id);
    if (mine) mine.findings = data.findings.length;
  }
  mkdirSync(outDir, { recursive: true });
  const files = {
    html: join(outDir, 'index.html'),
    people: join(outDir, 'people.csv'),
    projects: join(outDir, 'projects.csv'),
    projectAccess: join(outDir, 'project-access.csv'),
    findings: join(outDir, 'findings.csv'),
    access: join(outDir, 'access.csv'),
    decisions: join(outDir, 'decisions.csv'),
    summary: join(outDir, 'summary.txt'),
    workItems: join(outDir, 'work-items.csv'),
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
        'last_issue_activity',
        'open_items_assigned',
        'added_to_org',
        'first_seen',
        'since',
        'product_seats',
        'groups',
        'projects',
        'project_roles',
        'lead_of',
        'admin_access',
        'can_administer_projects',
        'can_browse_projects',
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
        p.lastIssueActivity,
        p.openItemsAssigned,
        p.addedToOrg,
        p.firstSeen,
        p.since,
        p.products.map((x) => `${x.what} (${x.through.join(', ')})`),
        p.groups,
        p.projects,
        p.roles.map((r) => `${r.what} (${r.through.join(', ')})`),
        p.leads,
        p.adminAccess,
        p.administers,
        data.adminBasis === 'permissions' ? p.browses : '',
        p.findings,
      ]),
    ),
    projects: toCsv(
      [
        'project_id',
        'key',
        'name',
        'lead',
        'lead_account_id',
        'people',
        'people_direct',
        'people_through_groups',
        'people_inactive',
        'roles',
        'permission_scheme',
        'permissions',
        'open_to_anyone',
        'conditional_access',
      ],
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
        p.scheme,
        p.permissions.map((x) => `${x.key}: ${x.people}`),
        p.openToAnyone,
        p.conditional,
      ]),
    ),
    projectAccess: toCsv(
      ['project_key', 'project_id', 'account_id', 'name', 'email', 'active', 'access', 'through', 'since'],
      data.projectAccess.map((a) => {
        const p = personById.get(a.accountId);
        return [a.projectKey, a.projectId, a.accountId, p?.name ?? '', p?.email ?? '', p?.active ?? '', a.access, a.through, a.since];
      }),
    ),
    findings: toCsv(
      ['severity', 'finding', 'title', 'account_id', 'name', 'email', 'detail'],
      data.findings.map((f) => [f.severity, f.kind, FINDING_TITLES[f.kind], f.accountId, f.name, f.email, f.detail]),
    ),
    access: toCsv(
      ['account_id', 'name', 'email', 'resource_type', 'resource_id', 'entitlement', 'what', 'kind', 'through', 'entitlement_id', 'first_seen', 'since', 'added_at', 'added_source'],
      accessRows(rv, history),
    ),
    html: renderHtml(data),
    decisions: decisionsCsv(data.decisions, rv.meta.sync_id ?? ''),
    summary: summaryText(data),
    workItems: workItemsCsv(data.workItems ?? []),
  };
  const bytes: Record<string, number> = {};
  for (const [k, f] of Object.entries(files) as [keyof typeof files, string][]) {
    writeFileSync(f, contents[k]);
    bytes[k] = Buffer.byteLength(contents[k]);
  }
  return { dir: outDir, files, data, bytes };
}
