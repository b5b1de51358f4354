/**
 * The fake Atlassian Cloud tenant: a plain in-memory model (one Jira site inside one Atlassian
 * organization) with a deterministic generator and ground-truth query methods that tests compare
 * against. The HTTP layer (server.ts) renders this model in Atlassian's wire formats; the write
 * endpoints call the mutators below, so the model is always the live truth.
 *
 * Memory is kept proportional: users, groups and projects are stored once; memberships and role
 * actors are Sets/arrays of numeric indices, never copies of objects.
 */
import { Rng } from './rng';

export type Tier = 'S' | 'M' | 'L' | 'XL';

export interface TierSpec {
  /** Jira site users (the users/search user base). */
  users: number;
  /** Jira-visible groups (group/bulk), system groups included. */
  groups: number;
  projects: number;
  rolesPerProject: number;
  /** Managed accounts in the org without Jira site access (in addition to `users`). */
  orgOnlyUsers: number;
  issuesPerProject: number;
  /** Average size of a generated (non-product) group. */
  avgGroupSize: number;
  /** Max user actors per (project, role). */
  maxRoleUsers: number;
  /** One group containing every site user (L and XL). */
  bigGroup: boolean;
}

export const TIERS: Readonly<Record<Tier, TierSpec>> = {
  S: { users: 50, groups: 10, projects: 5, rolesPerProject: 3, orgOnlyUsers: 4, issuesPerProject: 4, avgGroupSize: 8, maxRoleUsers: 3, bigGroup: false },
  M: { users: 1000, groups: 100, projects: 50, rolesPerProject: 5, orgOnlyUsers: 40, issuesPerProject: 3, avgGroupSize: 20, maxRoleUsers: 5, bigGroup: false },
  L: { users: 20000, groups: 2000, projects: 1500, rolesPerProject: 8, orgOnlyUsers: 500, issuesPerProject: 2, avgGroupSize: 40, maxRoleUsers: 6, bigGroup: true },
  XL: { users: 100000, groups: 10000, projects: 8000, rolesPerProject: 10, orgOnlyUsers: 2000, issuesPerProject: 1, avgGroupSize: 40, maxRoleUsers: 4, bigGroup: true },
};

export type AccountType = 'atlassian' | 'app' | 'customer';
export type AppType = 'service' | 'agent' | 'unknown';
export type AccountStatus = 'active' | 'inactive' | 'closed';

export interface TenantUser {
  readonly index: number;
  accountId: string;
  accountType: AccountType;
  /** Only for accountType 'app'; absent for classic Connect app users. */
  appType?: AppType;
  displayName: string;
  nickname: string;
  /** Hidden Jira username; group/member orders by it. */
  username: string;
  email: string;
  /** Profile visibility of the email in Jira (false: Jira leaves emailAddress out). */
  emailVisible: boolean;
  accountStatus: AccountStatus;
  /** Deleted account still listed by users/search as "Former user". */
  formerUser: boolean;
  timeZone: string;
  locale: string;
  /** Part of the Jira site's user base (listed by users/search). */
  inJira: boolean;
  /** Org directory holding the account; null: not in the org directory (customers, Connect apps, agents, former users). */
  directoryId: string | null;
  claimStatus: 'managed' | 'unmanaged';
  /** Access suspended in the org directory (Jira then reports active=false). */
  suspended: boolean;
  managementSource: 'invited' | 'synced' | null;
  mfaEnabled: boolean;
  jobTitle: string | null;
  department: string | null;
  addedToOrg: string;
  /** Last Jira activity (ISO date-time); null: never used Jira. */
  lastActive: string | null;
  /** Number of API tokens the account owns (user management API). */
  apiTokenCount: number;
}

export type GroupManagedBy = 'external' | 'admins' | 'team-members' | 'open';

export interface TenantGroup {
  readonly index: number;
  groupId: string;
  name: string;
  description: string;
  /** null: a Jira system group that the admin API does not return. */
  directoryId: string | null;
  /** Visible on the Jira site (group/bulk, group/member). */
  inJira: boolean;
  system: boolean;
  /** Synced from an identity provider (SCIM): memberships cannot be changed by API. */
  externalSynced: boolean;
  managedBy: GroupManagedBy;
}

export type ProjectTypeKey = 'software' | 'service_desk' | 'business';

export interface TenantProject {
  readonly index: number;
  id: string;
  key: string;
  name: string;
  description: string;
  projectTypeKey: ProjectTypeKey;
  style: 'classic' | 'next-gen';
  simplified: boolean;
  isPrivate: boolean;
  uuid: string | null;
  leadAccountId: string;
  permissionSchemeId: number;
}

export interface TenantRole {
  id: number;
  name: string;
  description: string;
  admin: boolean;
}

export interface ApplicationRoleDef {
  key: string;
  name: string;
  /** groupIds */
  groups: string[];
  defaultGroups: string[];
  numberOfSeats: number;
  hasUnlimitedSeats: boolean;
  platform: boolean;
  selectedByDefault: boolean;
}

export interface Directory {
  directoryId: string;
  name: string;
  icon: string;
}

export interface TenantIssue {
  id: string;
  key: string;
  projectId: string;
  summary: string;
  assigneeAccountId: string | null;
  reporterAccountId: string | null;
  updated: string;
}

export interface PermissionGrantDef {
  id: number;
  permission: string;
  holder: { type: string; parameter?: string; value?: string };
}

export interface PermissionSchemeDef {
  id: number;
  name: string;
  description: string;
  permissions: PermissionGrantDef[];
}

/** Who holds a project permission by the project's scheme (the ground truth the connector's grants must expand to). */
export interface PermissionHolders {
  /** the project's scheme, or null for a team-managed project (no permission scheme) */
  schemeId: number | null;
  /** site accounts holding it through roles (incl. group actors), groups, application roles, users or the lead; inactive accounts included */
  accountIds: Set<string>;
  /** granted to `anyone` (anonymous access): recorded apart from the accounts */
  anyone: boolean;
  /** issue-level holder types granted it (reporter, assignee, custom fields): conditional, not holders of the project */
  issueLevel: string[];
}

export interface ApiTokenDef {
  id: string;
  label: string;
  createdAt: string;
  lastAccess?: string;
  /** absent: a token that never expires (created before Atlassian's expiry rule); may be in the past */
  expiresAt?: string;
}

export interface LastActiveDates {
  product_access: Array<{ id: string; key: string; last_active?: string }>;
  added_to_org: string | null;
}

/** Jira permissions that the fake enforces, derived from group membership and role actors. */
export interface JiraPermissions {
  /** "Browse users and groups" global permission (USER_PICKER). */
  browseUsersAndGroups: boolean;
  /** "Administer Jira" global permission (ADMINISTER). */
  administerJira: boolean;
  /** Site administration: member of the site-admin group (needed for group writes, user delete). */
  siteAdmin: boolean;
  /** "Browse projects": true = every project; array = project ids. */
  browseProjects: boolean | string[];
  /** "Administer projects": true = every project; array = project ids. */
  administerProjects: boolean | string[];
}

export interface RoleActorsView {
  users: string[];
  groups: string[];
}

export interface Workspace {
  id: string;
  name: string;
  typeKey: string;
  type: string;
  /** null for the Jira site: filled by the server with its own site URL. */
  hostUrl: string | null;
  directoryId: string;
}

/** A membership change made through a mutator: a group membership (groupId, accountId) or a role actor (projectId, roleId, and accountId or groupId). */
export interface MembershipChange {
  at: number;
  added: boolean;
  accountId?: string;
  groupId?: string;
  projectId?: string;
  roleId?: number;
}

export type MutationResult = 'ok' | 'already' | 'not-member' | 'not-found' | 'forbidden' | 'invalid';

interface RoleActorSlot {
  users: number[];
  userActorIds: number[];
  groups: number[];
  groupActorIds: number[];
}

interface IssueRec {
  id: number;
  projectIdx: number;
  seq: number;
  assignee: number;
  reporter: number;
  updatedDay: number;
}

// --------------------------------------------------------------------------------------------
// Name material (deterministic; includes non-ASCII on purpose)

const FIRST = [
  'Ada',
  'Ben',
  'Chloé',
  'Dmitri',
  'Elif',
  'Farah',
  'Gustavo',
  'Hana',
  'Ivan',
  'José',
  'Kai',
  'Léa',
  'Mateo',
  'Nadia',
  'Oskar',
  'Priya',
  'Quinn',
  'Rosa',
  'Søren',
  'Tomás',
  'Uma',
  'Viktor',
  'Wen',
  'Xavier',
  'Yuki',
  'Zoë',
  'Łukasz',
  'Ана',
  '李',
  'Noah',
  'Emma',
  'Liam',
  'Olivia',
  'Amir',
  'Sofia',
  'Ravi',
  'Mia',
  'Jonas',
  'Ines',
  'Hugo',
];
const LAST = [
  'Anderson',
  'Bjørnsen',
  'Chen',
  'Dubois',
  'Eriksson',
  'Fernández',
  'García',
  'Horváth',
  'Ito',
  'Jansen',
  'Kowalski',
  'López',
  'Müller',
  'Nakamura',
  'O’Brien',
  'Petrov',
  'Quispe',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Umarov',
  'Varga',
  'Wang',
  'Xu',
  'Yilmaz',
  'Zhang',
  'Smith',
  'Jones',
  'Patel',
  'Kim',
  'Nguyen',
  'Silva',
  'Novak',
  'Dvořák',
  'Öztürk',
];
const TIMEZONES = ['Europe/Paris', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney', 'Europe/London', 'Asia/Kolkata', 'UTC', 'America/Sao_Paulo', 'Europe/Berlin'];
const LOCALES = ['en_US', 'en_GB', 'fr_FR', 'de_DE', 'ja_JP', 'es_ES', 'pt_BR'];
const EXTERNAL_DOMAINS = ['contractor.example', 'gmail.example', 'partner.example.org'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Support', 'Finance', 'Marketing', 'Operations', 'R&D'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Analyst', 'Designer', 'Director', 'Agent'];
const GROUP_WORDS = ['platform', 'mobile', 'payments', 'search', 'growth', 'infra', 'data', 'security', 'billing', 'design', 'qa', 'support', 'sales', 'ops', 'legal', 'hr'];
const GROUP_SPACED = ['Project Reviewers', 'Release Managers', 'On Call', 'Product Owners', 'Customer Success', 'Data Stewards'];
const GROUP_UNICODE = ['Développeurs', 'Équipe Qualité', '営業チーム', 'Über Admins', 'Soporte Técnico', 'Команда', 'Ärzte & Pflege'];
const PROJECT_WORDS = [
  'Apollo',
  'Borealis',
  'Cobalt',
  'Delta',
  'Ember',
  'Falcon',
  'Granite',
  'Helios',
  'Iris',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Meridian',
  'Nimbus',
  'Orion',
  'Pulsar',
  'Quartz',
  'Raven',
  'Sierra',
  'Titan',
  'Umbra',
  'Vega',
  'Willow',
  'Xenon',
  'Yarrow',
  'Zephyr',
];
const ROLE_DEFS: Array<Omit<TenantRole, 'id'> & { id: number }> = [
  { id: 10002, name: 'Administrators', description: 'A project role that represents administrators in a project', admin: true },
  { id: 10000, name: 'Developers', description: 'A project role that represents developers in a project', admin: false },
  { id: 10001, name: 'Users', description: 'A project role that represents users in a project', admin: false },
  { id: 10100, name: 'Service Desk Team', description: 'Members of the service desk team', admin: false },
  { id: 10101, name: 'Service Desk Customers', description: 'Customers of the service desk', admin: false },
  { id: 10200, name: 'Viewers', description: 'Read-only participants', admin: false },
  { id: 10201, name: 'Testers', description: 'QA participants', admin: false },
  { id: 10202, name: 'Product Owners', description: 'Product owners', admin: false },
  { id: 10203, name: 'Managers', description: 'Delivery managers', admin: false },
  { id: 10204, name: 'Contributors', description: 'External contributors', admin: false },
];

/** Reference "now" of the generated data (fixed for determinism). */
export const TENANT_EPOCH = Date.UTC(2026, 5, 1, 0, 0, 0);
const DAY = 86_400_000;

export const MANAGED_DOMAINS = ['acme.example', 'labs.acme.example'];

/** Permission schemes of the fake (ids as Jira numbers them: the default scheme is 0). */
const SCHEME_DEFAULT = 0;
const SCHEME_RESTRICTED = 10000;
const SCHEME_SOFTWARE = 10001;
const SCHEME_PUBLIC = 10002;
/** Holder types that depend on each issue (never a grant on the project as a whole). */
const ISSUE_LEVEL_HOLDERS: readonly string[] = ['reporter', 'assignee', 'userCustomField', 'groupCustomField', 'reporterWithCreatePermission', 'assigneeWithAssignablePermission'];
const GROUP_SITE_ADMINS = 'site-admins';
const GROUP_JIRA_ADMINS = 'jira-administrators';
const GROUP_SOFTWARE = 'jira-software-users';
const GROUP_JSM = 'jira-servicemanagement-users';
const GROUP_JPD = 'jira-product-discovery-users';

function strHash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function collate(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

export interface GenerateOptions {
  tier?: Tier;
  seed?: number;
  /** Whether the site belongs to an Atlassian organization with the admin API (default true). */
  withOrg?: boolean;
  /** Overrides of the tier's sizes, for tests that need one extreme without a whole big tier. */
  spec?: Partial<TierSpec>;
}

export class Tenant {
  readonly tier: Tier;
  readonly seed: number;
  readonly withOrg: boolean;
  readonly cloudId: string;
  readonly orgId: string;
  readonly orgName: string;
  readonly siteName: string;
  readonly managedDomains: readonly string[] = MANAGED_DOMAINS;
  readonly directoriesList: Directory[] = [];
  readonly workspacesList: Workspace[] = [];

  /** Monotonic counter bumped by every mutation (lets renderers cache safely). */
  version = 0;

  /** Call after editing tenant objects directly (outside the mutators) so derived caches refresh. */
  touch(): void {
    this.version++;
    this.jiraUserOrder = undefined;
    this.jiraGroupOrder = undefined;
    this.sortedMembersCache.fill(undefined);
  }

  /** Membership changes made through the mutators, oldest first (the fake's audit log, audit-log.ts, turns them into records). */
  readonly membershipChanges: MembershipChange[] = [];
  /** The clock of membershipChanges (tests replace it). */
  clock: () => number = () => Date.now();
  private noteChange(c: Omit<MembershipChange, 'at'>): void {
    if (this.membershipChanges.length < 100_000) this.membershipChanges.push({ ...c, at: this.clock() });
  }

  private readonly userArr: TenantUser[] = [];
  private readonly groupArr: TenantGroup[] = [];
  private readonly memberSets: Set<number>[] = [];
  private readonly sortedMembersCache: Array<number[] | undefined> = [];
  private readonly userGroupSets: Array<Set<number> | undefined> = [];
  private readonly projectArr: TenantProject[] = [];
  private readonly roleArr: TenantRole[] = [];
  private readonly roleActorSlots: RoleActorSlot[][] = [];
  /** Team-managed projects with no roles at all (their slots stay empty and unused). */
  private readonly rolelessProjects = new Set<number>();
  private readonly appRoles: ApplicationRoleDef[] = [];
  private readonly schemes: PermissionSchemeDef[] = [];
  private readonly issueArr: IssueRec[] = [];
  private readonly globalPerms: Record<'ADMINISTER' | 'SYSTEM_ADMIN' | 'USER_PICKER', number[]> = { ADMINISTER: [], SYSTEM_ADMIN: [], USER_PICKER: [] };

  private readonly userById = new Map<string, number>();
  private readonly userByEmail = new Map<string, number>();
  private readonly groupById = new Map<string, number>();
  private readonly groupByName = new Map<string, number>();
  private readonly projectById = new Map<string, number>();
  private readonly projectByKey = new Map<string, number>();
  private readonly roleById = new Map<number, number>();
  private jiraUserOrder: number[] | undefined;
  private jiraGroupOrder: number[] | undefined;
  private nextActorId = 10100;
  private nextProjectRoleCounter = 0;
  private readonly rng: Rng;

  /** Index of well-known accounts. */
  readonly adminAccountId: string;
  readonly serviceAccountId: string;

  constructor(opts: GenerateOptions = {}) {
    this.tier = opts.tier ?? 'S';
    this.seed = opts.seed ?? 1;
    this.withOrg = opts.withOrg ?? true;
    if (!TIERS[this.tier]) throw new Error(`unknown tier ${String(opts.tier)}`);
    const spec: TierSpec = { ...TIERS[this.tier], ...opts.spec };
    const rng = new Rng((this.seed * 7919) ^ strHash(this.tier));
    this.rng = rng;
    this.cloudId = rng.uuid();
    this.orgId = rng.uuid();
    this.orgName = 'Acme Corp';
    this.siteName = `acme-${rng.hex(6)}`;
    this.directoriesList.push(
      { directoryId: rng.uuid(), name: 'Acme Corp', icon: 'https://admin.atlassian.com/icons/directory-default.svg' },
      { directoryId: rng.uuid(), name: 'Acme Labs', icon: 'https://admin.atlassian.com/icons/directory-default.svg' },
    );
    this.workspacesList.push(
      { id: `ari:cloud:jira::site/${this.cloudId}`, name: this.siteName, typeKey: 'jira', type: 'jira-software', hostUrl: null, directoryId: this.directoriesList[0].directoryId },
      {
        id: `ari:cloud:confluence::site/${rng.uuid()}`,
        name: `${this.siteName}-wiki`,
        typeKey: 'confluence',
        type: 'confluence',
        hostUrl: `https://${this.siteName}-wiki.atlassian.example/wiki`,
        directoryId: this.directoriesList[1].directoryId,
      },
    );
    this.generateUsers(spec, rng);
    this.generateGroups(spec, rng);
    this.generateProjectsAndRoles(spec, rng);
    this.generateIssues(spec, rng);
    this.adminAccountId = this.userArr[0].accountId;
    this.serviceAccountId = this.userArr[1].accountId;
  }

  // ------------------------------------------------------------------------------------------
  // Generation

  private accountIdFor(kind: 'atlassian' | 'app' | 'customer', rng: Rng): string {
    if (kind === 'customer') return `qm:${rng.uuid()}:${rng.uuid()}`;
    const r = rng.next();
    if (r < 0.5) return `557058:${rng.uuid()}`;
    if (r < 0.8) return rng.hex(24);
    return `712020:${rng.uuid()}`;
  }

  private addUser(u: Omit<TenantUser, 'index'>): TenantUser {
    const user: TenantUser = { index: this.userArr.length, ...u };
    this.userArr.push(user);
    this.userById.set(user.accountId, user.index);
    this.userByEmail.set(user.email.toLowerCase(), user.index);
    return user;
  }

  private generateUsers(spec: TierSpec, rng: Rng): void {
    const D1 = this.directoriesList[0].directoryId;
    const D2 = this.directoriesList[1].directoryId;
    const daysAgo = (min: number, max: number): string => new Date(TENANT_EPOCH - rng.int(min, max) * DAY - rng.int(0, DAY - 1)).toISOString();
    // Fixed accounts: 0 = site/org admin, 1 = service account used by the connector credentials.
    this.addUser({
      accountId: `557058:${rng.uuid()}`,
      accountType: 'atlassian',
      displayName: 'Ada Admin',
      nickname: 'ada',
      username: 'admin',
      email: 'admin@acme.example',
      emailVisible: true,
      accountStatus: 'active',
      formerUser: false,
      timeZone: 'Europe/Paris',
      locale: 'en_US',
      inJira: true,
      directoryId: D1,
      claimStatus: 'managed',
      suspended: false,
      managementSource: 'invited',
      mfaEnabled: true,
      jobTitle: 'IT Administrator',
      department: 'IT',
      addedToOrg: daysAgo(700, 900),
      lastActive: daysAgo(0, 1),
      apiTokenCount: 2,
    });
    const svcHex = rng.hex(8);
    this.addUser({
      accountId: `712020:${rng.uuid()}`,
      accountType: 'app',
      appType: 'service',
      displayName: 'svc-identity-connector',
      nickname: 'svc-identity-connector',
      username: 'svc-identity-connector',
      email: `svc-identity-connector-${svcHex}@serviceaccount.atlassian.com`,
      emailVisible: true,
      accountStatus: 'active',
      formerUser: false,
      timeZone: 'UTC',
      locale: 'en_US',
      inJira: true,
      directoryId: D1,
      claimStatus: 'managed',
      suspended: false,
      managementSource: null,
      mfaEnabled: false,
      jobTitle: null,
      department: null,
      addedToOrg: daysAgo(100, 300),
      lastActive: daysAgo(0, 2),
      apiTokenCount: 0,
    });

    const n = spec.users - 2;
    const quota = (frac: number, min: number): number => Math.max(min, Math.round(spec.users * frac));
    type Kind = 'atl' | 'svc' | 'agent' | 'connect' | 'customer';
    const kinds: Kind[] = [];
    const push = (k: Kind, c: number): void => {
      for (let i = 0; i < c; i++) kinds.push(k);
    };
    push('svc', quota(0.015, 1));
    push('agent', quota(0.01, 1));
    push('connect', quota(0.01, 1));
    push('customer', quota(0.08, 3));
    push('atl', n - kinds.length);
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = kinds[i];
      kinds[i] = kinds[j];
      kinds[j] = t;
    }
    const atlassianIdx: number[] = [];
    let serial = 0;
    for (const kind of kinds) {
      serial++;
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const tz = rng.pick(TIMEZONES);
      const locale = rng.pick(LOCALES);
      const base = {
        emailVisible: true,
        accountStatus: 'active' as AccountStatus,
        formerUser: false,
        timeZone: tz,
        locale,
        inJira: true,
        suspended: false,
        mfaEnabled: rng.chance(0.6),
        jobTitle: null as string | null,
        department: null as string | null,
        addedToOrg: daysAgo(30, 1500),
        lastActive: rng.chance(0.9) ? daysAgo(0, 180) : null,
        apiTokenCount: 0,
      };
      if (kind === 'atl') {
        const ascii =
          `${first}.${last}`
            .normalize('NFD')
            .replace(/[^A-Za-z.]/g, '')
            .toLowerCase() || 'user';
        const u = this.addUser({
          ...base,
          accountId: this.accountIdFor('atlassian', rng),
          accountType: 'atlassian',
          displayName: `${first} ${last}`,
          nickname: `${first}${serial}`,
          username: `${ascii}${serial}`,
          email: `${ascii}${serial}@acme.example`,
          directoryId: D1,
          claimStatus: 'managed',
          managementSource: 'invited',
          jobTitle: rng.pick(TITLES),
          department: rng.pick(DEPARTMENTS),
        });
        atlassianIdx.push(u.index);
      } else if (kind === 'svc') {
        const name = `svc-${rng.pick(GROUP_WORDS)}-${serial}`;
        this.addUser({
          ...base,
          accountId: `712020:${rng.uuid()}`,
          accountType: 'app',
          appType: 'service',
          displayName: name,
          nickname: name,
          username: name,
          email: `${name}-${rng.hex(6)}@serviceaccount.atlassian.com`,
          directoryId: D1,
          claimStatus: 'managed',
          managementSource: null,
          mfaEnabled: false,
        });
      } else if (kind === 'agent') {
        const name = `Rovo ${rng.pick(['Triage', 'Helper', 'Planner', 'Scribe'])} Agent ${serial}`;
        this.addUser({
          ...base,
          accountId: `557058:${rng.uuid()}`,
          accountType: 'app',
          appType: 'agent',
          displayName: name,
          nickname: name,
          username: `agent-${serial}`,
          email: `agent-${serial}@connect.atlassian.com`,
          emailVisible: false,
          directoryId: null,
          claimStatus: 'unmanaged',
          managementSource: null,
          mfaEnabled: false,
          addedToOrg: daysAgo(10, 200),
        });
      } else if (kind === 'connect') {
        const name = `${rng.pick(['Tempo', 'Zephyr Scale', 'Slack', 'GitHub for Jira', 'Automation'])} app ${serial}`;
        this.addUser({
          ...base,
          accountId: rng.hex(24),
          accountType: 'app',
          displayName: name,
          nickname: name,
          username: `addon-${serial}`,
          email: `addon-${serial}@connect.atlassian.com`,
          emailVisible: false,
          directoryId: null,
          claimStatus: 'unmanaged',
          managementSource: null,
          mfaEnabled: false,
        });
      } else {
        this.addUser({
          ...base,
          accountId: this.accountIdFor('customer', rng),
          accountType: 'customer',
          displayName: `${first} ${last}`,
          nickname: first,
          username: `qm-customer-${serial}`,
          email: `customer${serial}@customer.example`,
          emailVisible: rng.chance(0.5),
          directoryId: null,
          claimStatus: 'unmanaged',
          managementSource: null,
          mfaEnabled: false,
        });
      }
    }
    // Attribute quotas among atlassian users (disjoint where it matters).
    const pool = rng.sample(atlassianIdx.length, atlassianIdx.length).map((i) => atlassianIdx[i]);
    // shuffle pool deterministically
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    let cursor = 0;
    const take = (c: number): TenantUser[] => {
      const out = pool.slice(cursor, cursor + c).map((i) => this.userArr[i]);
      cursor += c;
      return out;
    };
    for (const u of take(quota(0.01, 1))) {
      // deleted account still returned by users/search
      this.userByEmail.delete(u.email.toLowerCase());
      u.formerUser = true;
      u.accountStatus = 'closed';
      u.displayName = 'Former user';
      u.nickname = 'Former user';
      u.email = `former-${u.index}@deleted.invalid`;
      u.emailVisible = false;
      u.directoryId = null;
      u.managementSource = null;
      u.lastActive = null;
      this.userByEmail.set(u.email, u.index);
    }
    for (const u of take(quota(0.05, 3))) {
      u.accountStatus = 'inactive'; // deactivated managed account
      u.lastActive = u.lastActive ? daysAgo(200, 600) : null;
    }
    for (const u of take(quota(0.02, 2))) u.suspended = true;
    const external = take(quota(0.18, 5));
    for (const u of external) {
      this.userByEmail.delete(u.email.toLowerCase());
      const dom = rng.pick(EXTERNAL_DOMAINS);
      u.email = `${u.username}@${dom}`;
      u.claimStatus = 'unmanaged';
      u.managementSource = null;
      u.jobTitle = null;
      u.department = null;
      u.emailVisible = rng.chance(0.3);
      this.userByEmail.set(u.email.toLowerCase(), u.index);
    }
    // Hidden emails among the remaining managed users too (Jira hides them; the admin API still knows them).
    for (const u of take(quota(0.2, 4))) u.emailVisible = false;
    // IdP-synced managed accounts
    for (const u of this.userArr) {
      if (u.accountType === 'atlassian' && u.claimStatus === 'managed' && !u.formerUser && u.index > 1 && rng.chance(0.25)) u.managementSource = 'synced';
      if (u.accountType === 'atlassian' && u.claimStatus === 'managed' && !u.formerUser) u.apiTokenCount = u.index === 0 ? 2 : rng.int(0, 3);
    }
    // Managed accounts without Jira site access (org directory only).
    for (let i = 0; i < spec.orgOnlyUsers; i++) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const ascii =
        `${first}.${last}`
          .normalize('NFD')
          .replace(/[^A-Za-z.]/g, '')
          .toLowerCase() || 'user';
      this.addUser({
        accountId: this.accountIdFor('atlassian', rng),
        accountType: 'atlassian',
        displayName: `${first} ${last}`,
        nickname: `${first}L${i}`,
        username: `${ascii}.labs${i}`,
        email: `${ascii}.${i}@labs.acme.example`,
        emailVisible: rng.chance(0.5),
        accountStatus: 'active',
        formerUser: false,
        timeZone: rng.pick(TIMEZONES),
        locale: rng.pick(LOCALES),
        inJira: false,
        directoryId: D2,
        claimStatus: 'managed',
        suspended: i % 7 === 3,
        managementSource: rng.chance(0.5) ? 'synced' : 'invited',
        mfaEnabled: rng.chance(0.5),
        jobTitle: rng.pick(TITLES),
        department: 'Labs',
        addedToOrg: daysAgo(30, 900),
        lastActive: null,
        apiTokenCount: rng.int(0, 2),
      });
    }
  }

  private addGroup(g: Omit<TenantGroup, 'index'>, members: Iterable<number>): TenantGroup {
    const group: TenantGroup = { index: this.groupArr.length, ...g };
    this.groupArr.push(group);
    const set = new Set<number>(members);
    this.memberSets.push(set);
    this.sortedMembersCache.push(undefined);
    this.groupById.set(group.groupId, group.index);
    if (group.inJira) this.groupByName.set(group.name.toLowerCase(), group.index);
    for (const ui of set) this.userGroupsOf(ui).add(group.index);
    return group;
  }

  private userGroupsOf(ui: number): Set<number> {
    let s = this.userGroupSets[ui];
    if (!s) {
      s = new Set<number>();
      this.userGroupSets[ui] = s;
    }
    return s;
  }

  private generateGroups(spec: TierSpec, rng: Rng): void {
    const D1 = this.directoriesList[0].directoryId;
    const D2 = this.directoriesList[1].directoryId;
    const users = this.userArr;
    const siteUsers = users.filter((u) => u.inJira);
    const people = siteUsers.filter((u) => u.accountType === 'atlassian').map((u) => u.index);
    const peopleAndApps = siteUsers.filter((u) => u.accountType !== 'customer').map((u) => u.index);
    const connectApps = siteUsers.filter((u) => u.accountType === 'app' && u.appType === undefined).map((u) => u.index);
    const serviceAccounts = siteUsers.filter((u) => u.appType === 'service').map((u) => u.index);
    const synced = people.filter((i) => users[i].managementSource === 'synced');
    const pickFrom = (arr: number[], frac: number): number[] => rng.sample(arr.length, Math.round(arr.length * frac)).map((i) => arr[i]);
    const base = { description: '', inJira: true, system: false, externalSynced: false, managedBy: 'admins' as GroupManagedBy };

    this.addGroup({ ...base, groupId: rng.uuid(), name: 'system-administrators', description: 'Jira system administrators', directoryId: null, system: true }, [0]);
    this.addGroup({ ...base, groupId: rng.uuid(), name: 'atlassian-addons-admin', description: 'Connect app administrators', directoryId: null, system: true }, connectApps);
    this.addGroup({ ...base, groupId: rng.uuid(), name: GROUP_SITE_ADMINS, description: 'Site administrators', directoryId: D1 }, [0, 1]);
    const jiraAdmins = [0, 1, ...pickFrom(people, 0.02).slice(0, 5)];
    this.addGroup({ ...base, groupId: rng.uuid(), name: GROUP_JIRA_ADMINS, description: 'Jira administrators', directoryId: D1 }, jiraAdmins);
    this.addGroup({ ...base, groupId: rng.uuid(), name: GROUP_SOFTWARE, description: 'Grants access to Jira', directoryId: D1 }, [0, ...serviceAccounts, ...pickFrom(people, 0.75)]);
    this.addGroup({ ...base, groupId: rng.uuid(), name: GROUP_JSM, description: 'Grants access to Jira Service Management', directoryId: D1 }, [0, ...pickFrom(people, 0.15)]);
    this.addGroup({ ...base, groupId: rng.uuid(), name: GROUP_JPD, description: 'Grants access to Jira Product Discovery', directoryId: D1 }, pickFrom(people, 0.1));
    this.addGroup(
      { ...base, groupId: rng.uuid(), name: 'Engineering Team', description: 'All engineers', directoryId: D1, managedBy: 'team-members' },
      pickFrom(peopleAndApps, Math.min(0.3, 60 / Math.max(60, peopleAndApps.length)) + 0.05),
    );
    this.addGroup(
      { ...base, groupId: rng.uuid(), name: 'Équipe Produit – Paris', description: 'Product team (Paris)', directoryId: D1, managedBy: 'open' },
      pickFrom(people, Math.min(0.15, 20 / Math.max(20, people.length)) + 0.02),
    );
    this.addGroup(
      { ...base, groupId: rng.uuid(), name: 'okta-sales', description: 'Synced from Okta', directoryId: D1, externalSynced: true, managedBy: 'external' },
      pickFrom(synced, Math.min(0.5, 30 / Math.max(30, synced.length)) + 0.05),
    );
    const fixedCount = this.groupArr.length;
    const extra = Math.max(0, spec.groups - fixedCount);
    for (let i = 0; i < extra; i++) {
      if (spec.bigGroup && i === 0) {
        this.addGroup(
          { ...base, groupId: rng.uuid(), name: 'all-staff', description: 'Every user on the site', directoryId: D1, managedBy: 'admins' },
          siteUsers.map((u) => u.index),
        );
        continue;
      }
      const r = rng.next();
      let name: string;
      if (r < 0.12) name = `${rng.pick(GROUP_SPACED)} ${i}`;
      else if (r < 0.22) name = `${rng.pick(GROUP_UNICODE)} ${i}`;
      else name = `team-${rng.pick(GROUP_WORDS)}-${i}`;
      const isSynced = rng.chance(0.1);
      const size = Math.min(isSynced ? synced.length : peopleAndApps.length, rng.int(0, spec.avgGroupSize * 2));
      const src = isSynced ? synced : peopleAndApps;
      const members = rng.sample(src.length, size).map((k) => src[k]);
      this.addGroup(
        {
          ...base,
          groupId: rng.uuid(),
          name: isSynced ? `okta-${name}` : name,
          description: isSynced ? 'Synced from Okta' : `Group ${name}`,
          directoryId: D1,
          externalSynced: isSynced,
          managedBy: isSynced ? 'external' : rng.pick(['admins', 'team-members', 'open'] as GroupManagedBy[]),
        },
        members,
      );
    }
    // Groups of the second directory (not on the Jira site).
    const d2Users = users.filter((u) => u.directoryId === D2).map((u) => u.index);
    this.addGroup({ ...base, groupId: rng.uuid(), name: 'labs-confluence-users', description: 'Acme Labs wiki users', directoryId: D2, inJira: false }, d2Users);
    this.addGroup({ ...base, groupId: rng.uuid(), name: 'labs-admins', description: 'Acme Labs admins', directoryId: D2, inJira: false }, d2Users.slice(0, 2));

    const gi = (name: string): number => this.groupByName.get(name.toLowerCase()) as number;
    this.globalPerms.SYSTEM_ADMIN = [gi(GROUP_SITE_ADMINS), gi('system-administrators')];
    this.globalPerms.ADMINISTER = [gi(GROUP_JIRA_ADMINS), gi(GROUP_SITE_ADMINS)];
    this.globalPerms.USER_PICKER = [gi(GROUP_SOFTWARE), gi(GROUP_JSM), gi(GROUP_JPD), gi(GROUP_JIRA_ADMINS), gi(GROUP_SITE_ADMINS)];
    const id = (name: string): string => this.groupArr[gi(name)].groupId;
    this.appRoles.push(
      {
        key: 'jira-software',
        name: 'Jira',
        groups: [id(GROUP_SOFTWARE), id(GROUP_JIRA_ADMINS)],
        defaultGroups: [id(GROUP_SOFTWARE)],
        numberOfSeats: spec.users * 2,
        hasUnlimitedSeats: false,
        platform: false,
        selectedByDefault: false,
      },
      {
        key: 'jira-servicedesk',
        name: 'Jira Service Management',
        groups: [id(GROUP_JSM)],
        defaultGroups: [id(GROUP_JSM)],
        numberOfSeats: Math.max(10, Math.round(spec.users * 0.3)),
        hasUnlimitedSeats: false,
        platform: false,
        selectedByDefault: false,
      },
      {
        key: 'jira-product-discovery',
        name: 'Jira Product Discovery',
        groups: [id(GROUP_JPD)],
        defaultGroups: [id(GROUP_JPD)],
        numberOfSeats: 0,
        hasUnlimitedSeats: true,
        platform: false,
        selectedByDefault: false,
      },
    );
  }

  private generateProjectsAndRoles(spec: TierSpec, rng: Rng): void {
    for (const def of ROLE_DEFS.slice(0, spec.rolesPerProject)) {
      this.roleById.set(def.id, this.roleArr.length);
      this.roleArr.push({ ...def });
    }
    this.schemes.push(...this.schemeDefs());
    const siteUsers = this.userArr.filter((u) => u.inJira);
    const leads = siteUsers.filter((u) => u.accountType === 'atlassian' && u.accountStatus === 'active' && !u.suspended && !u.formerUser).map((u) => u.index);
    const actorPool = siteUsers.filter((u) => u.accountType !== 'customer').map((u) => u.index);
    const customers = siteUsers.filter((u) => u.accountType === 'customer').map((u) => u.index);
    const jiraGroups = this.groupArr.filter((g) => g.inJira && !g.system).map((g) => g.index);
    const usedKeys = new Set<string>();
    for (let p = 0; p < spec.projects; p++) {
      const word = PROJECT_WORDS[p % PROJECT_WORDS.length];
      const num = Math.floor(p / PROJECT_WORDS.length);
      const name = num === 0 ? word : `${word} ${num}`;
      let key = (word.slice(0, 3) + (num === 0 ? '' : String(num))).toUpperCase();
      while (usedKeys.has(key)) key += 'X';
      usedKeys.add(key);
      const r = rng.next();
      const projectTypeKey: ProjectTypeKey = r < 0.6 ? 'software' : r < 0.8 ? 'service_desk' : 'business';
      const nextGen = rng.chance(0.15);
      const project: TenantProject = {
        index: p,
        id: String(10000 + p),
        key,
        name,
        description: `The ${name} project`,
        projectTypeKey,
        style: nextGen ? 'next-gen' : 'classic',
        simplified: nextGen,
        isPrivate: rng.chance(0.1),
        uuid: nextGen ? rng.uuid() : null,
        leadAccountId: this.userArr[p === 0 ? 0 : rng.pick(leads)].accountId,
        permissionSchemeId: rng.chance(0.1) ? SCHEME_RESTRICTED : SCHEME_DEFAULT,
      };
      // more schemes, chosen without drawing from rng (the rest of the generated data stays as it was)
      if (p % 4 === 3) project.permissionSchemeId = SCHEME_RESTRICTED;
      else if (p % 3 === 2) project.permissionSchemeId = SCHEME_SOFTWARE;
      this.projectArr.push(project);
      this.projectById.set(project.id, p);
      this.projectByKey.set(project.key, p);
      const slots: RoleActorSlot[] = [];
      for (let r2 = 0; r2 < this.roleArr.length; r2++) {
        const slot: RoleActorSlot = { users: [], userActorIds: [], groups: [], groupActorIds: [] };
        slots.push(slot);
        if (p === 0) continue; // a project with no role actors at all
        const role = this.roleArr[r2];
        const groupsOnly = p === 1 && role.id === 10000;
        if (!groupsOnly) {
          let userIdx: number[];
          if (role.name === 'Service Desk Customers') userIdx = rng.sample(customers.length, rng.int(0, spec.maxRoleUsers)).map((k) => customers[k]);
          else userIdx = rng.sample(actorPool.length, rng.int(role.admin ? 0 : 0, spec.maxRoleUsers)).map((k) => actorPool[k]);
          if (role.admin) {
            const leadIdx = this.userById.get(project.leadAccountId) as number;
            if (!userIdx.includes(leadIdx)) userIdx.unshift(leadIdx);
          }
          for (const ui of userIdx) {
            slot.users.push(ui);
            slot.userActorIds.push(this.nextActorId++);
          }
        }
        const groupCount = groupsOnly ? rng.int(1, 2) : rng.chance(0.4) ? rng.int(1, 2) : 0;
        const gs = rng.sample(jiraGroups.length, groupCount).map((k) => jiraGroups[k]);
        if (role.admin && rng.chance(0.5)) {
          const ja = this.groupByName.get(GROUP_JIRA_ADMINS) as number;
          if (!gs.includes(ja)) gs.push(ja);
        }
        for (const g of gs) {
          slot.groups.push(g);
          slot.groupActorIds.push(this.nextActorId++);
        }
      }
      this.roleActorSlots.push(slots);
    }
    if (this.projectArr.length >= 3) {
      // the last project is team-managed and has no roles at all (its roles were never created)
      const last = this.projectArr[this.projectArr.length - 1];
      last.style = 'next-gen';
      last.simplified = true;
      last.uuid = last.uuid ?? `00000000-0000-4000-8000-${last.id.padStart(12, '0')}`;
      for (const slot of this.roleActorSlots[last.index]) {
        slot.users = [];
        slot.userActorIds = [];
        slot.groups = [];
        slot.groupActorIds = [];
      }
      this.rolelessProjects.add(last.index);
    }
    // exactly one project per tier can be browsed by anyone (anonymous access): the first company-managed one after the first
    const open = this.projectArr.find((p) => p.index > 0 && p.style === 'classic');
    if (open) open.permissionSchemeId = SCHEME_PUBLIC;
    this.nextProjectRoleCounter = this.nextActorId;
  }

  private generateIssues(spec: TierSpec, rng: Rng): void {
    const site = this.userArr.filter((u) => u.inJira && u.accountType === 'atlassian').map((u) => u.index);
    let id = 10000;
    for (let p = 0; p < this.projectArr.length; p++) {
      for (let s = 1; s <= spec.issuesPerProject; s++) {
        this.issueArr.push({
          id: id++,
          projectIdx: p,
          seq: s,
          assignee: rng.chance(0.8) ? rng.pick(site) : -1,
          reporter: rng.pick(site),
          updatedDay: rng.int(0, 365),
        });
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Ground truth queries

  /** Jira site user base in users/search order (active, inactive, former users; app and customer accounts). */
  users(): TenantUser[] {
    return this.jiraUserIndexOrder().map((i) => this.userArr[i]);
  }

  /** Every account the tenant knows (site users and org-only managed accounts). */
  allAccounts(): TenantUser[] {
    return this.userArr.slice();
  }

  user(accountId: string): TenantUser | undefined {
    const i = this.userById.get(accountId);
    return i === undefined ? undefined : this.userArr[i];
  }

  userByEmailAddress(email: string): TenantUser | undefined {
    const i = this.userByEmail.get(email.toLowerCase());
    return i === undefined ? undefined : this.userArr[i];
  }

  /** Jira's `active` flag: account active, not suspended in the org, not deleted. */
  isActiveInJira(u: TenantUser): boolean {
    return u.accountStatus === 'active' && !u.suspended && !u.formerUser;
  }

  /** Jira-visible groups (system groups included) in group/bulk order (by name). */
  groups(): TenantGroup[] {
    return this.jiraGroupIndexOrder().map((i) => this.groupArr[i]);
  }

  /** Every group, including org-directory groups that are not on the Jira site. */
  allGroups(): TenantGroup[] {
    return this.groupArr.slice();
  }

  /** By groupId, or (Jira-visible groups) by case-insensitive name. */
  group(groupIdOrName: string): TenantGroup | undefined {
    let i = this.groupById.get(groupIdOrName);
    if (i === undefined) i = this.groupByName.get(groupIdOrName.toLowerCase());
    return i === undefined ? undefined : this.groupArr[i];
  }

  /** Members of a group as accountIds, ordered like group/member (by hidden username). Inactive members included unless told otherwise. */
  groupMembers(groupId: string, opts: { includeInactive?: boolean } = {}): string[] {
    return this.groupMemberUsers(groupId, opts).map((u) => u.accountId);
  }

  groupMemberUsers(groupId: string, opts: { includeInactive?: boolean } = {}): TenantUser[] {
    const g = this.group(groupId);
    if (!g) return [];
    const sorted = this.sortedMembers(g.index);
    const includeInactive = opts.includeInactive ?? true;
    const out: TenantUser[] = [];
    for (const ui of sorted) {
      const u = this.userArr[ui];
      if (!includeInactive && !this.isActiveInJira(u)) continue;
      out.push(u);
    }
    return out;
  }

  groupSize(groupId: string): number {
    const g = this.group(groupId);
    return g ? this.memberSets[g.index].size : 0;
  }

  isGroupMember(groupId: string, accountId: string): boolean {
    const g = this.group(groupId);
    const ui = this.userById.get(accountId);
    return !!g && ui !== undefined && this.memberSets[g.index].has(ui);
  }

  /** Groups of a user (Jira-visible and directory groups), sorted by name. */
  userGroups(accountId: string, opts: { jiraOnly?: boolean } = {}): TenantGroup[] {
    const ui = this.userById.get(accountId);
    if (ui === undefined) return [];
    const s = this.userGroupSets[ui];
    if (!s) return [];
    const out: TenantGroup[] = [];
    for (const gi of s) {
      const g = this.groupArr[gi];
      if (opts.jiraOnly && !g.inJira) continue;
      out.push(g);
    }
    return out.sort((a, b) => collate(a.name, b.name));
  }

  projects(): TenantProject[] {
    return this.projectArr.slice();
  }

  project(idOrKey: string): TenantProject | undefined {
    let i = this.projectById.get(idOrKey);
    if (i === undefined) i = this.projectByKey.get(idOrKey.toUpperCase());
    return i === undefined ? undefined : this.projectArr[i];
  }

  /** Global project roles (every project uses all of them). */
  roles(): TenantRole[] {
    return this.roleArr.map((r) => ({ ...r }));
  }

  /** The roles a project has: the global roles, or none for a team-managed project without roles. */
  projectRoles(projectIdOrKey: string): TenantRole[] {
    const p = this.project(projectIdOrKey);
    if (!p || this.rolelessProjects.has(p.index)) return [];
    return this.roles();
  }

  role(id: number): TenantRole | undefined {
    const i = this.roleById.get(id);
    return i === undefined ? undefined : this.roleArr[i];
  }

  /** Direct actors of a project role (group actors are NOT expanded, as in Jira). */
  roleActors(projectIdOrKey: string, roleId: number): RoleActorsView {
    const slot = this.slot(projectIdOrKey, roleId);
    if (!slot) return { users: [], groups: [] };
    return { users: slot.users.map((i) => this.userArr[i].accountId), groups: slot.groups.map((i) => this.groupArr[i].groupId) };
  }

  /** Actors with stable actor ids, for rendering. */
  roleActorEntries(projectIdOrKey: string, roleId: number): { users: Array<{ user: TenantUser; actorId: number }>; groups: Array<{ group: TenantGroup; actorId: number }> } | undefined {
    const slot = this.slot(projectIdOrKey, roleId);
    if (!slot) return undefined;
    return {
      users: slot.users.map((i, k) => ({ user: this.userArr[i], actorId: slot.userActorIds[k] })),
      groups: slot.groups.map((i, k) => ({ group: this.groupArr[i], actorId: slot.groupActorIds[k] })),
    };
  }

  /** Users holding a project role directly or through a group actor (effective membership; inactive included unless told otherwise). */
  effectiveRoleUsers(projectIdOrKey: string, roleId: number, opts: { includeInactive?: boolean } = {}): string[] {
    const slot = this.slot(projectIdOrKey, roleId);
    if (!slot) return [];
    const seen = new Set<number>(slot.users);
    for (const gi of slot.groups) for (const ui of this.memberSets[gi]) seen.add(ui);
    const includeInactive = opts.includeInactive ?? true;
    return Array.from(seen)
      .sort((a, b) => a - b)
      .map((i) => this.userArr[i])
      .filter((u) => includeInactive || this.isActiveInJira(u))
      .map((u) => u.accountId);
  }

  /** Whether an account holds a project role directly or through a group actor. */
  isRoleMember(projectIdOrKey: string, roleId: number, accountId: string): boolean {
    const slot = this.slot(projectIdOrKey, roleId);
    const ui = this.userById.get(accountId);
    if (!slot || ui === undefined) return false;
    return slot.users.includes(ui) || slot.groups.some((gi) => this.memberSets[gi].has(ui));
  }

  applicationRoles(): Array<ApplicationRoleDef & { userCount: number }> {
    return this.appRoles.map((r) => {
      const seen = new Set<number>();
      for (const gid of r.groups) {
        const g = this.group(gid);
        if (!g) continue;
        for (const ui of this.memberSets[g.index]) if (this.isActiveInJira(this.userArr[ui])) seen.add(ui);
      }
      return { ...r, groups: r.groups.slice(), defaultGroups: r.defaultGroups.slice(), userCount: seen.size };
    });
  }

  /** Product keys a user can use on the site (through application-role groups). */
  userProducts(accountId: string): string[] {
    const ui = this.userById.get(accountId);
    if (ui === undefined) return [];
    const gs = this.userGroupSets[ui];
    const out: string[] = [];
    for (const r of this.appRoles) if (r.groups.some((gid) => gs?.has(this.groupById.get(gid) as number))) out.push(r.key);
    return out;
  }

  /**
   * Who holds a project permission through the project's scheme: holders of a project role (directly
   * or through a group actor), members of a group, users of an application role (with a product key:
   * that product's users; without: every user with product access), named users and the project lead.
   * `anyone` and issue-level holders are recorded apart. Team-managed projects have no scheme.
   */
  projectPermissionHolders(projectIdOrKey: string, permissionKey: string): PermissionHolders {
    const p = this.project(projectIdOrKey);
    const out: PermissionHolders = { schemeId: null, accountIds: new Set(), anyone: false, issueLevel: [] };
    if (!p || p.style !== 'classic') return out;
    const scheme = this.permissionScheme(p.permissionSchemeId);
    if (!scheme) return out;
    out.schemeId = scheme.id;
    const add = (ui: number) => {
      const u = this.userArr[ui];
      if (u.inJira) out.accountIds.add(u.accountId);
    };
    const addGroup = (groupId: string | undefined) => {
      const g = groupId === undefined ? undefined : this.group(groupId);
      if (g) for (const ui of this.memberSets[g.index]) add(ui);
    };
    for (const grant of scheme.permissions) {
      if (grant.permission !== permissionKey) continue;
      const h = grant.holder;
      switch (h.type) {
        case 'projectRole':
          for (const a of this.effectiveRoleUsers(p.id, Number(h.value))) add(this.userById.get(a) as number);
          break;
        case 'group':
          addGroup(h.value);
          break;
        case 'applicationRole':
          for (const r of this.appRoles) if (!h.parameter || r.key === h.parameter) for (const gid of r.groups) addGroup(gid);
          break;
        case 'user': {
          const ui = this.userById.get(h.value ?? '');
          if (ui !== undefined) add(ui);
          break;
        }
        case 'projectLead': {
          const ui = this.userById.get(p.leadAccountId);
          if (ui !== undefined) add(ui);
          break;
        }
        case 'anyone':
          out.anyone = true;
          break;
        default:
          if (ISSUE_LEVEL_HOLDERS.includes(h.type) && !out.issueLevel.includes(h.type)) out.issueLevel.push(h.type);
      }
    }
    return out;
  }

  /**
   * Who can view a project's issues (the ground truth of GET /user/viewissue/search): for a
   * company-managed project, the holders of BROWSE_PROJECTS through its scheme (`anyone`: every
   * account); a team-managed project has no scheme, so its role holders (directly or through a group
   * actor) [model: Jira's open/limited access levels are not modelled]. Accounts active or not (the
   * endpoint leaves inactive ones out). The last 16 projects asked are kept until the next change.
   */
  issueBrowsers(projectIdOrKey: string): { anyone: boolean; accountIds: ReadonlySet<string> } {
    const p = this.project(projectIdOrKey);
    if (!p) return { anyone: false, accountIds: new Set() };
    if (this.browsersCache.version !== this.version) this.browsersCache = { version: this.version, byProject: new Map() };
    const byProject = this.browsersCache.byProject;
    const hit = byProject.get(p.id);
    if (hit) return hit;
    let out: { anyone: boolean; accountIds: ReadonlySet<string> };
    if (p.style === 'classic') {
      const h = this.projectPermissionHolders(p.id, 'BROWSE_PROJECTS');
      out = { anyone: h.anyone, accountIds: h.accountIds };
    } else {
      const ids = new Set<string>();
      for (const r of this.projectRoles(p.id)) for (const a of this.effectiveRoleUsers(p.id, r.id)) ids.add(a);
      out = { anyone: false, accountIds: ids };
    }
    if (byProject.size >= 16) byProject.delete(byProject.keys().next().value as string);
    byProject.set(p.id, out);
    return out;
  }

  private browsersCache: { version: number; byProject: Map<string, { anyone: boolean; accountIds: ReadonlySet<string> }> } = { version: -1, byProject: new Map() };

  /** The generated schemes: every holder type, shared by several projects. */
  private schemeDefs(): PermissionSchemeDef[] {
    const role = (id: number) => ({ type: 'projectRole', parameter: String(id), value: String(id) });
    const group = (name: string) => ({ type: 'group', parameter: name, value: this.group(name)?.groupId });
    const appRole = (key?: string) => (key ? { type: 'applicationRole', parameter: key, value: key } : { type: 'applicationRole' });
    const person = this.userArr.find((u) => u.index >= 2 && u.inJira && u.accountType === 'atlassian') ?? this.userArr[0];
    const user = { type: 'user', parameter: person.accountId, value: person.accountId };
    const field = (type: string, id: string) => ({ type, parameter: id, value: id });
    const grants = (first: number, list: Array<[string, PermissionGrantDef['holder']]>): PermissionGrantDef[] => list.map(([permission, holder], i) => ({ id: first + i, permission, holder }));
    return [
      {
        id: SCHEME_DEFAULT,
        name: 'Default Permission Scheme',
        description: 'This is the default Permission Scheme. Any new projects that are created will be assigned this scheme.',
        permissions: grants(10000, [
          ['BROWSE_PROJECTS', appRole()],
          ['ADMINISTER_PROJECTS', role(10002)],
          ['CREATE_ISSUES', appRole()],
          ['ASSIGNABLE_USER', role(10000)],
          ['ADMINISTER_PROJECTS', group(GROUP_JIRA_ADMINS)],
          ['BROWSE_PROJECTS', { type: 'reporter' }],
          ['EDIT_ISSUES', { type: 'assignee' }],
        ]),
      },
      {
        id: SCHEME_RESTRICTED,
        name: 'Restricted Permission Scheme',
        description: 'Only project members may browse',
        permissions: grants(10100, [
          ['BROWSE_PROJECTS', role(10001)],
          ['ADMINISTER_PROJECTS', role(10002)],
          ['BROWSE_PROJECTS', { type: 'projectLead' }],
          ['BROWSE_PROJECTS', user],
          ['ADMINISTER_PROJECTS', user],
          ['BROWSE_PROJECTS', field('userCustomField', 'customfield_10100')],
          ['BROWSE_PROJECTS', field('groupCustomField', 'customfield_10101')],
        ]),
      },
      {
        id: SCHEME_SOFTWARE,
        name: 'Software Permission Scheme',
        description: 'Jira Software users and engineers browse; admins and the lead administer',
        permissions: grants(10200, [
          ['BROWSE_PROJECTS', appRole('jira-software')],
          ['BROWSE_PROJECTS', group('Engineering Team')],
          ['ADMINISTER_PROJECTS', role(10002)],
          ['ADMINISTER_PROJECTS', { type: 'projectLead' }],
          ['BROWSE_PROJECTS', { type: 'assignee' }],
          ['CREATE_ISSUES', appRole('jira-servicedesk')],
          ['MANAGE_SPRINTS_PERMISSION', role(10000)],
        ]),
      },
      {
        id: SCHEME_PUBLIC,
        name: 'Public Permission Scheme',
        description: 'Anyone on the web may browse',
        permissions: grants(10300, [
          ['BROWSE_PROJECTS', { type: 'anyone' }],
          ['BROWSE_PROJECTS', appRole()],
          ['ADMINISTER_PROJECTS', group(GROUP_JIRA_ADMINS)],
          ['ADMINISTER_PROJECTS', role(10002)],
          ['ADD_COMMENTS', { type: 'anyone' }],
        ]),
      },
    ];
  }

  permissionSchemes(): PermissionSchemeDef[] {
    return this.schemes.map((s) => ({ ...s, permissions: s.permissions.map((p) => ({ ...p, holder: { ...p.holder } })) }));
  }

  permissionScheme(id: number): PermissionSchemeDef | undefined {
    return this.schemes.find((s) => s.id === id);
  }

  /** Managed accounts of the org (what GET /admin/v1/orgs/{orgId}/users lists), including those without Jira site access. */
  orgUsers(): TenantUser[] {
    return this.orgUsersView().slice();
  }

  /** orgUsers() without the defensive copy (do not mutate). */
  orgUsersView(): readonly TenantUser[] {
    if (!this.withOrg) return [];
    return this.cached('orgUsers', () => this.userArr.filter((u) => u.claimStatus === 'managed' && !u.formerUser && (u.accountType === 'atlassian' || u.appType === 'service')));
  }

  /** Projects sorted for project/search's orderBy (key, name or owner; '-' for descending), cached. */
  projectOrder(orderBy: string): readonly TenantProject[] {
    return this.cached(`projects:${orderBy}`, () => {
      const desc = orderBy.startsWith('-');
      const field = orderBy.replace(/^[-+]/, '');
      const name = (p: TenantProject): string => (field === 'name' ? p.name : field === 'owner' ? (this.user(p.leadAccountId)?.displayName ?? '') : p.key);
      const sorted = this.projectArr.slice().sort((a, b) => {
        const d = field === 'name' || field === 'owner' ? collate(name(a), name(b)) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
        return desc ? -d : d;
      });
      return sorted;
    });
  }

  private readonly listCache = new Map<string, { version: number; value: unknown }>();

  /** Memoize a derived list until the next mutation. */
  private cached<T>(key: string, build: () => T): T {
    const c = this.listCache.get(key);
    if (c && c.version === this.version) return c.value as T;
    const value = build();
    this.listCache.set(key, { version: this.version, value });
    return value;
  }

  directories(): Directory[] {
    return this.withOrg ? this.directoriesList.map((d) => ({ ...d })) : [];
  }

  /** Users in an org directory ('-' = all directories), in stable order. */
  directoryUsers(directoryId = '-'): TenantUser[] {
    return this.directoryUsersView(directoryId).slice();
  }

  /** directoryUsers() without the defensive copy (do not mutate). */
  directoryUsersView(directoryId = '-'): readonly TenantUser[] {
    if (!this.withOrg) return [];
    return this.cached(`dirUsers:${directoryId}`, () => this.userArr.filter((u) => u.directoryId !== null && (directoryId === '-' || u.directoryId === directoryId)));
  }

  /** Groups of an org directory ('-' = all); Jira system groups are not directory groups. */
  directoryGroups(directoryId = '-'): TenantGroup[] {
    if (!this.withOrg) return [];
    return this.groupArr.filter((g) => g.directoryId !== null && (directoryId === '-' || g.directoryId === directoryId));
  }

  directoryGroupMembers(directoryId: string, groupId: string): string[] {
    const g = this.group(groupId);
    if (!g || g.directoryId === null || (directoryId !== '-' && g.directoryId !== directoryId)) return [];
    return Array.from(this.memberSets[g.index])
      .sort((a, b) => a - b)
      .map((i) => this.userArr[i].accountId);
  }

  workspaces(): Workspace[] {
    return this.withOrg ? this.workspacesList.map((w) => ({ ...w })) : [];
  }

  issues(): TenantIssue[] {
    return this.issueArr.map((r) => this.issueView(r));
  }

  /** Internal: raw issue records for the search endpoint. */
  issueRecords(): ReadonlyArray<{ id: number; projectIdx: number; seq: number; assignee: number; reporter: number; updatedDay: number }> {
    return this.issueArr;
  }

  issueView(r: IssueRec): TenantIssue {
    const p = this.projectArr[r.projectIdx];
    return {
      id: String(r.id),
      key: `${p.key}-${r.seq}`,
      projectId: p.id,
      summary: `Issue ${r.seq} of ${p.name}`,
      assigneeAccountId: r.assignee >= 0 ? this.userArr[r.assignee].accountId : null,
      reporterAccountId: r.reporter >= 0 ? this.userArr[r.reporter].accountId : null,
      updated: new Date(TENANT_EPOCH - r.updatedDay * DAY).toISOString(),
    };
  }

  userAt(index: number): TenantUser {
    return this.userArr[index];
  }

  projectAt(index: number): TenantProject {
    return this.projectArr[index];
  }

  private readonly revokedTokens = new Set<string>();

  /** Revoke one API token of an account (DELETE /users/{id}/manage/api-tokens/{tokenId}). */
  revokeApiToken(accountId: string, tokenId: string): MutationResult {
    if (!this.apiTokens(accountId).some((t) => t.id === tokenId)) return 'not-found';
    this.revokedTokens.add(`${accountId}/${tokenId}`);
    this.version++;
    return 'ok';
  }

  /** API tokens owned by a managed account (derived deterministically; only revocations are stored). */
  apiTokens(accountId: string): ApiTokenDef[] {
    const u = this.user(accountId);
    if (!u) return [];
    const rng = new Rng(strHash(accountId) ^ this.seed);
    const expiry = new Rng(strHash(`${accountId}/expiry`) ^ this.seed);
    const out: ApiTokenDef[] = [];
    for (let i = 0; i < u.apiTokenCount; i++) {
      const created = TENANT_EPOCH - rng.int(5, 360) * DAY;
      out.push({
        id: rng.uuid(),
        label: rng.pick(['CI pipeline', 'jira-cli', 'Backup script', 'Zapier', 'Reporting']) + ` ${i + 1}`,
        createdAt: new Date(created).toISOString(),
        ...(rng.chance(0.7) ? { lastAccess: new Date(Math.min(TENANT_EPOCH, created + rng.int(0, 300) * DAY)).toISOString() } : {}),
      });
      // expiry from its own stream, so the ids, labels and dates above stay what they were
      const exp = expiry.int(0, 9);
      // 0-2: never expires; 3-4: expired already; otherwise up to a year after creation
      if (exp >= 3) out[i].expiresAt = new Date(exp <= 4 ? Math.min(TENANT_EPOCH - DAY, created + expiry.int(1, 30) * DAY) : created + 365 * DAY).toISOString();
    }
    return out.filter((t) => !this.revokedTokens.has(`${accountId}/${t.id}`));
  }

  /** Per-product last-active dates as the admin API reports them. */
  lastActiveDates(accountId: string): LastActiveDates | undefined {
    const u = this.user(accountId);
    if (!u || u.directoryId === null) return undefined;
    const access: LastActiveDates['product_access'] = [];
    if (u.lastActive && u.inJira) {
      for (const key of this.userProducts(accountId)) {
        // the 2023 document's product enum has no jira-product-discovery: it is left out
        const mapped = key === 'jira-servicedesk' ? 'jira-service-desk' : key === 'jira-product-discovery' ? undefined : key;
        if (mapped && !access.some((a) => a.key === mapped)) access.push({ id: this.cloudId, key: mapped, last_active: u.lastActive.slice(0, 10) });
      }
    }
    return { product_access: access, added_to_org: u.addedToOrg.slice(0, 10) };
  }

  /** Jira permissions of an account, derived from groups and project-role actors. */
  effectivePermissions(accountId: string): JiraPermissions {
    const ui = this.userById.get(accountId);
    const none: JiraPermissions = { browseUsersAndGroups: false, administerJira: false, siteAdmin: false, browseProjects: false, administerProjects: false };
    if (ui === undefined) return none;
    const gs = this.userGroupSets[ui] ?? new Set<number>();
    const inAny = (arr: number[]): boolean => arr.some((g) => gs.has(g));
    const siteAdmin = inAny(this.globalPerms.SYSTEM_ADMIN);
    const administerJira = siteAdmin || inAny(this.globalPerms.ADMINISTER);
    const browseUsersAndGroups = administerJira || inAny(this.globalPerms.USER_PICKER);
    const hasProduct = this.appRoles.some((r) => r.groups.some((gid) => gs.has(this.groupById.get(gid) as number)));
    let administerProjects: boolean | string[] = administerJira;
    if (!administerJira) {
      const adminRole = this.roleArr.findIndex((r) => r.admin);
      const ids: string[] = [];
      if (adminRole >= 0) {
        for (let p = 0; p < this.projectArr.length; p++) {
          const slot = this.roleActorSlots[p][adminRole];
          if (slot.users.includes(ui) || slot.groups.some((g) => gs.has(g))) ids.push(this.projectArr[p].id);
        }
      }
      administerProjects = ids;
    }
    return { browseUsersAndGroups, administerJira, siteAdmin, browseProjects: administerJira || hasProduct ? true : administerProjects, administerProjects };
  }

  // ------------------------------------------------------------------------------------------
  // Mutators (used by the write endpoints; tests may call them too)

  addGroupMember(groupIdOrName: string, accountId: string): MutationResult {
    const g = this.group(groupIdOrName);
    const ui = this.userById.get(accountId);
    if (!g || ui === undefined) return 'not-found';
    const set = this.memberSets[g.index];
    if (set.has(ui)) return 'already';
    set.add(ui);
    this.userGroupsOf(ui).add(g.index);
    this.sortedMembersCache[g.index] = undefined;
    this.noteChange({ added: true, groupId: g.groupId, accountId });
    this.version++;
    return 'ok';
  }

  removeGroupMember(groupIdOrName: string, accountId: string): MutationResult {
    const g = this.group(groupIdOrName);
    const ui = this.userById.get(accountId);
    if (!g || ui === undefined) return 'not-found';
    const set = this.memberSets[g.index];
    if (!set.has(ui)) return 'not-member';
    set.delete(ui);
    this.userGroupSets[ui]?.delete(g.index);
    this.sortedMembersCache[g.index] = undefined;
    this.noteChange({ added: false, groupId: g.groupId, accountId });
    this.version++;
    return 'ok';
  }

  addRoleActorUser(projectIdOrKey: string, roleId: number, accountId: string): MutationResult {
    const slot = this.slot(projectIdOrKey, roleId);
    const ui = this.userById.get(accountId);
    if (!slot || ui === undefined) return 'not-found';
    if (slot.users.includes(ui)) return 'already';
    slot.users.push(ui);
    slot.userActorIds.push(this.nextActorId++);
    this.noteChange({ added: true, projectId: this.project(projectIdOrKey)?.id, roleId, accountId });
    this.version++;
    return 'ok';
  }

  removeRoleActorUser(projectIdOrKey: string, roleId: number, accountId: string): MutationResult {
    const slot = this.slot(projectIdOrKey, roleId);
    const ui = this.userById.get(accountId);
    if (!slot || ui === undefined) return 'not-found';
    const k = slot.users.indexOf(ui);
    if (k < 0) return 'not-member';
    slot.users.splice(k, 1);
    slot.userActorIds.splice(k, 1);
    this.noteChange({ added: false, projectId: this.project(projectIdOrKey)?.id, roleId, accountId });
    this.version++;
    return 'ok';
  }

  addRoleActorGroup(projectIdOrKey: string, roleId: number, groupIdOrName: string): MutationResult {
    const slot = this.slot(projectIdOrKey, roleId);
    const g = this.group(groupIdOrName);
    if (!slot || !g) return 'not-found';
    if (slot.groups.includes(g.index)) return 'already';
    slot.groups.push(g.index);
    slot.groupActorIds.push(this.nextActorId++);
    this.noteChange({ added: true, projectId: this.project(projectIdOrKey)?.id, roleId, groupId: g.groupId });
    this.version++;
    return 'ok';
  }

  removeRoleActorGroup(projectIdOrKey: string, roleId: number, groupIdOrName: string): MutationResult {
    const slot = this.slot(projectIdOrKey, roleId);
    const g = this.group(groupIdOrName);
    if (!slot || !g) return 'not-found';
    const k = slot.groups.indexOf(g.index);
    if (k < 0) return 'not-member';
    slot.groups.splice(k, 1);
    slot.groupActorIds.splice(k, 1);
    this.noteChange({ added: false, projectId: this.project(projectIdOrKey)?.id, roleId, groupId: g.groupId });
    this.version++;
    return 'ok';
  }

  /** Suspend a managed account's access in the org directory (keeps group memberships). */
  suspendUser(accountId: string): MutationResult {
    const u = this.user(accountId);
    if (!u || u.directoryId === null) return 'not-found';
    if (u.suspended) return 'already';
    u.suspended = true;
    this.version++;
    return 'ok';
  }

  restoreUser(accountId: string): MutationResult {
    const u = this.user(accountId);
    if (!u || u.directoryId === null) return 'not-found';
    if (!u.suspended) return 'already';
    u.suspended = false;
    this.version++;
    return 'ok';
  }

  /**
   * Create (or invite) a user with product access, as POST /rest/api/3/user and the org invite do:
   * an unknown email gets a new Atlassian account; an existing account without site access gets it.
   * Returns 'already' (with the user) when the account already has Jira access.
   */
  createUser(input: { emailAddress: string; products?: string[]; displayName?: string }): { result: MutationResult; user?: TenantUser } {
    const email = input.emailAddress.trim();
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return { result: 'invalid' };
    const existing = this.userByEmailAddress(email);
    const products = input.products ?? [];
    const D1 = this.directoriesList[0].directoryId;
    let user: TenantUser;
    if (existing) {
      if (existing.inJira) return { result: 'already', user: existing };
      existing.inJira = true;
      if (existing.directoryId === null) existing.directoryId = D1;
      user = existing;
    } else {
      const domain = email.split('@')[1].toLowerCase();
      const managed = this.managedDomains.includes(domain);
      const local = email.split('@')[0];
      user = this.addUser({
        accountId: `712020:${this.rng.uuid()}`,
        accountType: 'atlassian',
        displayName: input.displayName ?? local,
        nickname: local,
        username: `${local.toLowerCase()}.${this.userArr.length}`,
        email,
        emailVisible: managed,
        accountStatus: 'active',
        formerUser: false,
        timeZone: 'UTC',
        locale: 'en_US',
        inJira: true,
        directoryId: D1,
        claimStatus: managed ? 'managed' : 'unmanaged',
        suspended: false,
        managementSource: managed ? 'invited' : null,
        mfaEnabled: false,
        jobTitle: null,
        department: null,
        addedToOrg: new Date(TENANT_EPOCH).toISOString(),
        lastActive: null,
        apiTokenCount: 0,
      });
    }
    for (const key of products) {
      const role = this.appRoles.find((r) => r.key === key || (key === 'jira-core' && r.key === 'jira-software'));
      if (!role) continue;
      for (const gid of role.defaultGroups) this.addGroupMember(gid, user.accountId);
    }
    this.jiraUserOrder = undefined;
    this.version++;
    return { result: 'ok', user };
  }

  /** Alias of createUser (the org invite path). */
  inviteUser(input: { emailAddress: string; products?: string[]; displayName?: string }): { result: MutationResult; user?: TenantUser } {
    return this.createUser(input);
  }

  /** The organization's domains (admin API v1 domains): the managed ones verified, one claim left unverified. */
  domains(): Array<{ id: string; name: string; claimType: 'dns' | 'http'; status: 'verified' | 'unverified' }> {
    if (!this.withOrg) return [];
    const verified = this.managedDomains.map((name, i) => ({ id: `domain-${i + 1}`, name, claimType: i % 2 ? ('http' as const) : ('dns' as const), status: 'verified' as const }));
    return [...verified, { id: `domain-${verified.length + 1}`, name: 'acme-legacy.example', claimType: 'dns', status: 'unverified' }];
  }

  /** The organization's policies (admin API v1 policies; the documented types are ip-allowlist and data-residency). */
  policies(): Array<{ id: string; type: 'ip-allowlist' | 'data-residency'; name: string; status: 'enabled' | 'disabled'; in: string[] }> {
    if (!this.withOrg) return [];
    return [
      { id: 'policy-1', type: 'ip-allowlist', name: 'Office network', status: 'enabled', in: ['203.0.113.0/24'] },
      { id: 'policy-2', type: 'data-residency', name: 'EU data residency', status: 'disabled', in: ['EU'] },
    ];
  }

  /** Accounts whose deletion is scheduled (user management lifecycle/delete; cancel-delete undoes it). */
  private readonly pendingDeletion = new Set<string>();

  /** True while a managed account's deletion is scheduled (its 14-day grace period). */
  deletionPending(accountId: string): boolean {
    return this.pendingDeletion.has(accountId);
  }

  /**
   * User management lifecycle of a managed account: disable (accountStatus inactive), enable
   * (active), delete (closed, deletion scheduled; Atlassian shows it as deactivated) and
   * cancel-delete (active again). 'already' when the account is in that state; 'invalid' for
   * enable or cancel-delete of an account whose deletion is not scheduled / is scheduled.
   */
  accountLifecycle(accountId: string, op: 'disable' | 'enable' | 'delete' | 'cancel-delete'): MutationResult {
    const u = this.user(accountId);
    if (!u || u.directoryId === null || u.claimStatus !== 'managed') return 'not-found';
    const pending = this.pendingDeletion.has(accountId);
    if (op === 'delete') {
      if (pending) return 'already';
      this.pendingDeletion.add(accountId);
      u.accountStatus = 'closed';
    } else if (op === 'cancel-delete') {
      if (!pending) return 'invalid';
      this.pendingDeletion.delete(accountId);
      u.accountStatus = 'active';
    } else {
      if (pending) return 'invalid';
      const want = op === 'disable' ? 'inactive' : 'active';
      if (u.accountStatus === want) return 'already';
      u.accountStatus = want;
    }
    this.jiraUserOrder = undefined;
    this.version++;
    return 'ok';
  }

  /**
   * Remove an account from the organization's directory (admin API v1 DELETE directory user): its
   * product access and group memberships go, and so does its place in the directory.
   */
  removeFromOrg(accountId: string): MutationResult {
    const u = this.user(accountId);
    if (!u || u.directoryId === null) return 'not-found';
    if (u.inJira) this.deleteUser(accountId);
    const gs = this.userGroupSets[u.index];
    if (gs) {
      for (const gi of Array.from(gs)) {
        this.memberSets[gi].delete(u.index);
        this.sortedMembersCache[gi] = undefined;
        gs.delete(gi);
      }
    }
    u.directoryId = null;
    this.version++;
    return 'ok';
  }

  /** Remove a user from Jira's user base (DELETE /rest/api/3/user); the Atlassian account remains. */
  deleteUser(accountId: string): MutationResult {
    const u = this.user(accountId);
    if (!u || !u.inJira) return 'not-found';
    u.inJira = false;
    const gs = this.userGroupSets[u.index];
    if (gs) {
      for (const gi of Array.from(gs)) {
        if (!this.groupArr[gi].inJira) continue;
        this.memberSets[gi].delete(u.index);
        this.sortedMembersCache[gi] = undefined;
        gs.delete(gi);
      }
    }
    for (const slots of this.roleActorSlots) {
      for (const slot of slots) {
        const k = slot.users.indexOf(u.index);
        if (k >= 0) {
          slot.users.splice(k, 1);
          slot.userActorIds.splice(k, 1);
        }
      }
    }
    this.jiraUserOrder = undefined;
    this.version++;
    return 'ok';
  }

  /** Create a group in an org directory (visible on the Jira site when it is the site's directory). */
  createGroup(name: string, opts: { directoryId?: string; description?: string; externalSynced?: boolean } = {}): { result: MutationResult; group?: TenantGroup } {
    if (this.groupByName.has(name.toLowerCase())) return { result: 'already', group: this.group(name) };
    const directoryId = opts.directoryId ?? this.directoriesList[0].directoryId;
    const g = this.addGroup(
      {
        groupId: this.rng.uuid(),
        name,
        description: opts.description ?? '',
        directoryId,
        inJira: directoryId === this.directoriesList[0].directoryId,
        system: false,
        externalSynced: opts.externalSynced ?? false,
        managedBy: opts.externalSynced ? 'external' : 'admins',
      },
      [],
    );
    this.jiraGroupOrder = undefined;
    this.version++;
    return { result: 'ok', group: g };
  }

  // ------------------------------------------------------------------------------------------
  // Internals shared with the HTTP layer

  /** users/search order as indices (stable; rebuilt when users join or leave the site). */
  jiraUserIndexOrder(): number[] {
    if (!this.jiraUserOrder) {
      const out: number[] = [];
      for (const u of this.userArr) if (u.inJira) out.push(u.index);
      this.jiraUserOrder = out;
    }
    return this.jiraUserOrder;
  }

  jiraGroupIndexOrder(): number[] {
    if (!this.jiraGroupOrder) {
      this.jiraGroupOrder = this.groupArr
        .filter((g) => g.inJira)
        .sort((a, b) => collate(a.name, b.name))
        .map((g) => g.index);
    }
    return this.jiraGroupOrder;
  }

  /** Members of a group ordered by hidden username (cached until the next change). */
  sortedMembers(groupIndex: number): number[] {
    let s = this.sortedMembersCache[groupIndex];
    if (!s) {
      s = Array.from(this.memberSets[groupIndex]).sort((a, b) => {
        const x = this.userArr[a].username;
        const y = this.userArr[b].username;
        return x < y ? -1 : x > y ? 1 : a - b;
      });
      this.sortedMembersCache[groupIndex] = s;
    }
    return s;
  }

  private readonly jiraMemberCache = new Map<number, { version: number; all: number[]; active: number[] }>();

  /** Site members of a group in group/member order, all or active only (cached until the next change). */
  jiraMembers(groupIndex: number, includeInactive: boolean): number[] {
    let c = this.jiraMemberCache.get(groupIndex);
    if (!c || c.version !== this.version) {
      const all: number[] = [];
      const active: number[] = [];
      for (const i of this.sortedMembers(groupIndex)) {
        const u = this.userArr[i];
        if (!u.inJira) continue;
        all.push(i);
        if (this.isActiveInJira(u)) active.push(i);
      }
      c = { version: this.version, all, active };
      this.jiraMemberCache.set(groupIndex, c);
    }
    return includeInactive ? c.all : c.active;
  }

  groupAt(index: number): TenantGroup {
    return this.groupArr[index];
  }

  userGroupIndices(accountId: string): ReadonlySet<number> {
    const ui = this.userById.get(accountId);
    return (ui !== undefined && this.userGroupSets[ui]) || new Set<number>();
  }

  private slot(projectIdOrKey: string, roleId: number): RoleActorSlot | undefined {
    const p = this.project(projectIdOrKey);
    const r = this.roleById.get(roleId);
    if (!p || r === undefined || this.rolelessProjects.has(p.index)) return undefined;
    return this.roleActorSlots[p.index][r];
  }

  /** Canonical JSON of the whole tenant (for determinism checks; avoid on L/XL). */
  snapshot(): string {
    return JSON.stringify({
      tier: this.tier,
      seed: this.seed,
      cloudId: this.cloudId,
      orgId: this.orgId,
      siteName: this.siteName,
      directories: this.directoriesList,
      workspaces: this.workspacesList,
      users: this.userArr,
      groups: this.groupArr.map((g) => ({ ...g, members: this.sortedMembers(g.index).map((i) => this.userArr[i].accountId) })),
      projects: this.projectArr,
      roles: this.roleArr,
      roleActors: this.projectArr
        .map((p) => this.roleArr.map((r) => this.roleActorEntries(p.id, r.id)))
        .map((x) => x.map((e) => e && { u: e.users.map((a) => [a.user.accountId, a.actorId]), g: e.groups.map((a) => [a.group.groupId, a.actorId]) })),
      applicationRoles: this.applicationRoles(),
      schemes: this.schemes,
      issues: this.issueArr,
      counter: this.nextProjectRoleCounter,
    });
  }

  /**
   * Ground-truth counts a full Jira sync should reproduce: site users (users/search), Jira groups,
   * projects, project roles (projects x roles), application roles, group memberships (site users in
   * Jira groups, inactive included) and direct project-role actors (users + groups).
   */
  groundTruthCounts(): {
    users: number;
    groups: number;
    projects: number;
    projectRoles: number;
    applicationRoles: number;
    groupMemberships: number;
    roleActors: number;
    orgManagedAccounts: number;
    directoryUsers: number;
    directoryGroups: number;
  } {
    let groupMemberships = 0;
    for (const gi of this.jiraGroupIndexOrder()) for (const ui of this.memberSets[gi]) if (this.userArr[ui].inJira) groupMemberships++;
    let roleActors = 0;
    for (const slots of this.roleActorSlots) for (const s of slots) roleActors += s.users.length + s.groups.length;
    return {
      users: this.jiraUserIndexOrder().length,
      groups: this.jiraGroupIndexOrder().length,
      projects: this.projectArr.length,
      projectRoles: (this.projectArr.length - this.rolelessProjects.size) * this.roleArr.length,
      applicationRoles: this.appRoles.length,
      groupMemberships,
      roleActors,
      orgManagedAccounts: this.orgUsers().length,
      directoryUsers: this.directoryUsers().length,
      directoryGroups: this.directoryGroups().length,
    };
  }

  /** Counts for reports. */
  summary(): Record<string, number> {
    let memberships = 0;
    for (const s of this.memberSets) memberships += s.size;
    let actors = 0;
    for (const slots of this.roleActorSlots) for (const s of slots) actors += s.users.length + s.groups.length;
    return {
      siteUsers: this.jiraUserIndexOrder().length,
      accounts: this.userArr.length,
      orgManagedAccounts: this.orgUsers().length,
      jiraGroups: this.jiraGroupIndexOrder().length,
      allGroups: this.groupArr.length,
      memberships,
      projects: this.projectArr.length,
      roles: this.roleArr.length,
      roleActors: actors,
      issues: this.issueArr.length,
    };
  }
}

/** Generate a tenant deterministically from tier + seed. */
export function generateTenant(opts: GenerateOptions = {}): Tenant {
  return new Tenant(opts);
}
