/**
 * The Go bridge (tools/baton-bridge) for the SDK conformance tests: build it once (cached in
 * tools/baton-bridge/bin/, rebuilt only when a Go source, go.mod or go.sum is newer than the
 * binary), run it, and compute what its c1z must hold from the fake tenant's ground truth.
 *
 * Without Go (or without the Go module proxy on a machine whose module cache is empty) these tests
 * fail with the reason: they must never pass by skipping.
 */
import { globalPermissionKeys, globalPermissionsOf } from '../../src/fake-atlassian/permissions-check';
import { workItemModel } from '../../src/fake-atlassian/work-items';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Tenant } from '../../src/fake-atlassian';
import { adminRoles, ADMIN_ROLE, PRODUCT_ROLES, orgAri, platformSiteAri, productAri } from '../../src/fake-atlassian/admin-roles';

/** tools/baton-bridge of this checkout, from test/conformance/ or from its compiled copy in dist/test/conformance/. */
function bridgeDir(): string {
  for (let d = __dirname, i = 0; i < 5; d = dirname(d), i++) if (existsSync(join(d, 'tools', 'baton-bridge', 'go.mod'))) return join(d, 'tools', 'baton-bridge');
  return resolve(__dirname, '../../tools/baton-bridge');
}

export const BRIDGE_DIR = bridgeDir();
export const BRIDGE_BIN = join(BRIDGE_DIR, 'bin', process.platform === 'win32' ? 'baton-bridge.exe' : 'baton-bridge');

/** Minutes a cold build may take: the SDK and its dependencies compile from scratch (a few minutes on 2 cores). */
export const BUILD_TIMEOUT_MS = 20 * 60_000;

function newestSource(): number {
  return Math.max(
    ...readdirSync(BRIDGE_DIR)
      .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
      .map((f) => statSync(join(BRIDGE_DIR, f)).mtimeMs),
  );
}

/** Builds the bridge unless the binary is newer than its sources; returns the binary's path. Throws with the reason when Go is missing or the build fails. */
export function ensureBridge(): string {
  const fresh = () => existsSync(BRIDGE_BIN) && statSync(BRIDGE_BIN).mtimeMs >= newestSource();
  if (fresh()) return BRIDGE_BIN;
  // several test files need the bridge and jest runs them in parallel workers: one builds, the others wait for it
  const lock = join(dirname(BRIDGE_BIN), '.build-lock');
  mkdirSync(dirname(BRIDGE_BIN), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > BUILD_TIMEOUT_MS) rmSync(lock, { recursive: true, force: true }); // left by a killed run
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // a synchronous one-second wait
      if (fresh()) return BRIDGE_BIN;
    }
  }
  try {
    return buildBridge();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildBridge(): string {
  if (existsSync(BRIDGE_BIN) && statSync(BRIDGE_BIN).mtimeMs >= newestSource()) return BRIDGE_BIN;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0)
    throw new Error(
      `the Baton SDK conformance tests need Go >= 1.25.2 to build tools/baton-bridge, and "go version" failed: ${go.error?.message ?? go.stderr.trim()}. Install Go (https://go.dev/dl/) or put it on PATH.`,
    );
  const started = Date.now();
  // -mod=readonly: go.mod and go.sum are committed and complete, so the build never edits them and
  // needs the module proxy only to fill an empty module cache.
  // at low priority where `nice` exists: a cold build takes minutes of both cores while other test files run
  const goBuild = ['go', 'build', '-mod=readonly', '-buildvcs=false', '-o', BRIDGE_BIN, '.'];
  const cmd = process.platform !== 'win32' && spawnSync('nice', ['true']).status === 0 ? ['nice', '-n', '10', ...goBuild] : goBuild;
  const build = spawnSync(cmd[0], cmd.slice(1), {
    cwd: BRIDGE_DIR,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
    env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto' },
  });
  if (build.error || build.status !== 0)
    throw new Error(
      `building tools/baton-bridge failed (${go.stdout.trim()}, ${Math.round((Date.now() - started) / 1000)} s): ${build.error?.message ?? ''}\n${(build.stderr ?? '').split('\n').slice(-30).join('\n')}`,
    );
  return BRIDGE_BIN;
}

export interface BridgeRun<T = BridgeReport> {
  code: number;
  json: T & { ok: boolean; error?: string; result?: unknown };
  stderr: string;
  ms: number;
}

/** Runs the bridge without blocking the event loop (our server may be running in this process). */
export function runBridge<T = BridgeReport>(args: string[], timeoutMs = 10 * 60_000): Promise<BridgeRun<T>> {
  const started = Date.now();
  return new Promise((res, rej) => {
    execFile(BRIDGE_BIN, args, { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : -1) : 0;
      try {
        res({ code, json: JSON.parse(stdout), stderr, ms: Date.now() - started });
      } catch {
        rej(new Error(`baton-bridge ${args[0]} exited ${code} without JSON: ${err?.message ?? ''}\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr.slice(-4000)}`));
      }
    });
  });
}

// ------------------------------------------------------------------------------------------------
// What the bridge prints and dumps (tools/baton-bridge/sync.go)

export interface BridgeReport {
  ok: boolean;
  sdkVersion: string;
  c1z: string;
  c1zBytes: number;
  engine?: string;
  workers?: number;
  syncId: string;
  syncType: string;
  syncSeconds?: number;
  /** the part of syncSeconds that called the connector (until the SDK's "sync data collection complete") */
  collectSeconds?: number;
  readSeconds: number;
  /** the bridge's peak RSS (Linux) */
  peakRssMB?: number;
  resourceTypes: string[];
  resources: Record<string, number>;
  entitlements: Record<string, number>;
  entitlementsTotal: number;
  grants: { total: number; direct: number; expanded: number; byEntitlementResourceType: Record<string, number> };
  warnings?: { count: number; logs: { level: string; message: string; fields?: Record<string, unknown> }[] };
  /** RPC counts, failed RPCs by "<method> <code>", and the SDK field-rule (ValidateAll) violations seen on the wire */
  wire?: { calls: Record<string, number>; errors: Record<string, number>; violations: { method: string; side: string; error: string }[] };
  dump?: string;
}

export interface DumpResource {
  type: string;
  id: string;
  parentType?: string;
  parentId?: string;
  displayName?: string;
  traits?: string[];
}
export interface DumpEntitlement {
  id: string;
  resourceType: string;
  resourceId: string;
  slug: string;
  grantableTo?: string[];
}
export interface DumpGrant {
  id: string;
  entitlement: string;
  principalType: string;
  principalId: string;
  expanded: boolean;
  sources?: string[];
  annotations?: string[];
}
export interface Dump {
  resources: DumpResource[];
  entitlements: DumpEntitlement[];
  grants: DumpGrant[];
}

export function readDump(path: string): Dump {
  const d = JSON.parse(readFileSync(path, 'utf8')) as Partial<Dump>;
  return { resources: d.resources ?? [], entitlements: d.entitlements ?? [], grants: d.grants ?? [] };
}

// ------------------------------------------------------------------------------------------------
// Ground truth: what the c1z must hold, from the tenant (the same rules as test/sync/ground-truth.test.ts)

export interface Expected {
  /** "type|id|parentType|parentId" */
  resources: Set<string>;
  /** "id|resourceType|resourceId|slug" */
  entitlements: Set<string>;
  /** grant id -> "entitlement|principalType|principalId|direct or expanded|sorted sources" */
  grants: Map<string, string>;
}

export function grantKey(g: Pick<DumpGrant, 'entitlement' | 'principalType' | 'principalId' | 'expanded' | 'sources'>): string {
  return [g.entitlement, g.principalType, g.principalId, g.expanded ? 'expanded' : 'direct', [...(g.sources ?? [])].sort().join(',')].join('|');
}

/**
 * Every resource, entitlement and grant of a full sync with grant expansion, as the SDK stores
 * them. Grants: direct ones as the connector sends them; expanded ones as the SDK's expander makes
 * them (id "<entitlement>:user:<accountId>", `sources` = the source entitlements the user holds
 * it through). A direct grant that expansion also reaches gets its own entitlement plus those
 * sources; one it does not reach keeps no sources.
 */
/** BATON_JIRA_PROJECT_PERMISSIONS's default (the conformance sync runs with it) */
const PROJECT_PERMISSIONS = ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'];

/**
 * `org`: the sync ran with the organization configured: managed accounts without site access and
 * directory groups without site access are synced too (group members are then every synced
 * member), and the organization and site resources carry the administration roles of the model.
 */
/** `globalPermissions`: BATON_JIRA_GLOBAL_PERMISSIONS is on (the fake's global permission model gives the holders). */
/** `expandProductGrants`: BATON_JIRA_EXPAND_PRODUCT_GRANTS is on (a permission granted to a product expands to its users). */
export function expectedFrom(t: Tenant, opts: { org?: boolean; globalPermissions?: boolean; workItems?: boolean; expandProductGrants?: boolean } = {}): Expected {
  // the synced users: the site's, plus (with the organization) managed accounts without site access
  const siteUsers = new Set(t.users().map((u) => u.accountId));
  if (opts.org) for (const u of t.orgUsers()) siteUsers.add(u.accountId);
  const members = (gid: string) => t.groupMembers(gid).filter((a) => siteUsers.has(a));
  const resources = new Set<string>();
  const entitlements = new Set<string>();
  const ent = (type: string, id: string, slug: string) => {
    const eid = `${type}:${id}:${slug}`;
    entitlements.add(`${eid}|${type}|${id}|${slug}`);
    return eid;
  };
  // direct grants: entitlement -> principal "type:id"
  const direct = new Map<string, Set<string>>();
  // user holders through expansion: entitlement -> user -> source entitlements
  const via = new Map<string, Map<string, Set<string>>>();
  const addDirect = (e: string, ptype: string, pid: string) => {
    if (!direct.has(e)) direct.set(e, new Set());
    direct.get(e)!.add(`${ptype}:${pid}`);
  };
  const addVia = (e: string, user: string, source: string) => {
    if (!via.has(e)) via.set(e, new Map());
    const m = via.get(e)!;
    if (!m.has(user)) m.set(user, new Set());
    m.get(user)!.add(source);
  };

  for (const u of siteUsers) resources.add(`user|${u}||`);
  const jiraGroups = new Set(t.groups().map((g) => g.groupId));
  const groups = opts.org ? [...t.groups(), ...t.directoryGroups().filter((g) => !jiraGroups.has(g.groupId))] : t.groups();
  for (const g of groups) {
    resources.add(`group|${g.groupId}||`);
    const e = ent('group', g.groupId, 'member');
    for (const a of members(g.groupId)) addDirect(e, 'user', a);
  }
  for (const p of t.projects()) {
    resources.add(`project|${p.id}||`);
    const lead = ent('project', p.id, 'lead');
    const participate = ent('project', p.id, 'participate');
    if (p.leadAccountId) addDirect(lead, 'user', p.leadAccountId);
    for (const r of t.projectRoles(p.id)) {
      const rid = `${p.id}:${r.id}`;
      resources.add(`project-role|${rid}|project|${p.id}`);
      const assigned = ent('project-role', rid, 'assigned');
      addDirect(participate, 'project-role', rid);
      const actors = t.roleActors(p.id, r.id);
      const holders = new Set<string>();
      for (const u of actors.users) {
        addDirect(assigned, 'user', u);
        holders.add(u);
      }
      for (const g of actors.groups) {
        addDirect(assigned, 'group', g);
        for (const a of members(g)) {
          addVia(assigned, a, `group:${g}:member`);
          holders.add(a);
        }
      }
      for (const u of holders) addVia(participate, u, assigned);
    }
  }
  // project permissions (BATON_JIRA_PROJECT_PERMISSIONS's default) of company-managed projects, from each project's scheme
  const appRoleUsers = (key: string) => new Set((t.applicationRoles().find((a) => a.key === key)?.groups ?? []).flatMap(members));
  for (const p of t.projects()) {
    if (t.projectPermissionHolders(p.id, PROJECT_PERMISSIONS[0]).schemeId === null) continue; // team-managed: no scheme
    const scheme = t.permissionScheme(p.permissionSchemeId)!;
    const roleIds = new Set(t.projectRoles(p.id).map((r) => r.id));
    for (const key of PROJECT_PERMISSIONS) {
      const e = ent('project', p.id, `permission:${key}`);
      for (const g of scheme.permissions) {
        if (g.permission !== key) continue;
        const h = g.holder;
        if (h.type === 'projectRole' && roleIds.has(Number(h.value))) {
          const rid = `${p.id}:${h.value}`;
          addDirect(e, 'project-role', rid);
          for (const u of t.effectiveRoleUsers(p.id, Number(h.value)).filter((a) => siteUsers.has(a))) addVia(e, u, `project-role:${rid}:assigned`);
        } else if (h.type === 'group' && h.value) {
          addDirect(e, 'group', h.value);
          for (const u of members(h.value)) addVia(e, u, `group:${h.value}:member`);
        } else if (h.type === 'applicationRole') {
          for (const a of t.applicationRoles()) {
            if (h.parameter && a.key !== h.parameter) continue;
            addDirect(e, 'application-role', a.key);
            // a product-wide grant is one grant unless BATON_JIRA_EXPAND_PRODUCT_GRANTS makes it expandable
            if (opts.expandProductGrants) for (const u of appRoleUsers(a.key)) addVia(e, u, `application-role:${a.key}:assigned`);
          }
        } else if (h.type === 'user' && h.value) addDirect(e, 'user', h.value);
        else if (h.type === 'projectLead' && p.leadAccountId) {
          addDirect(e, 'project', p.id);
          addVia(e, p.leadAccountId, `project:${p.id}:lead`);
        }
      }
    }
  }
  for (const a of t.applicationRoles()) {
    resources.add(`application-role|${a.key}||`);
    const e = ent('application-role', a.key, 'assigned');
    for (const g of a.groups) {
      addDirect(e, 'group', g);
      for (const m of members(g)) addVia(e, m, `group:${g}:member`);
    }
  }

  // API tokens of the organization's managed accounts (secrets: no entitlements or grants)
  if (opts.org)
    for (const u of t.allAccounts().filter((x) => x.claimStatus === 'managed' && x.directoryId !== null))
      for (const tok of t.apiTokens(u.accountId)) resources.add(`api-token|${u.accountId}:${tok.id}||`);

  // administration roles (with the organization): every assignment of the model is a grant; a group's expands to its members
  if (opts.org) {
    const roles = adminRoles(t);
    resources.add(`organization|${t.orgId}||`);
    resources.add(`site|${t.cloudId}||`);
    const entOf = new Map<string, string>();
    const key = (roleId: string, resourceId: string) => `${roleId}|${resourceId}`;
    entOf.set(key(ADMIN_ROLE.orgAdmin, orgAri(t.orgId)), ent('organization', t.orgId, 'org-admin'));
    entOf.set(key(ADMIN_ROLE.siteAdmin, platformSiteAri(t.cloudId)), ent('site', t.cloudId, 'site-admin'));
    entOf.set(key(ADMIN_ROLE.userAccessAdmin, platformSiteAri(t.cloudId)), ent('site', t.cloudId, 'user-access-admin'));
    for (const a of t.applicationRoles()) for (const r of PRODUCT_ROLES) entOf.set(key(r, productAri(a.key, t.cloudId)), ent('site', t.cloudId, `product:${a.key}:${r.slice('atlassian/'.length)}`));
    for (const a of roles.assignments()) {
      const e = entOf.get(key(a.roleId, a.resourceId))!;
      addDirect(e, a.kind, a.id);
      if (a.kind === 'group') for (const u of members(a.id)) addVia(e, u, `group:${a.id}:member`);
    }
  }

  if (opts.globalPermissions) {
    for (const key of globalPermissionKeys()) {
      resources.add(`global-permission|${key}||`);
      const e = ent('global-permission', key, 'granted');
      for (const u of siteUsers) if (globalPermissionsOf(t, u).includes(key)) addDirect(e, 'user', u);
    }
  }

  // work items (BATON_JIRA_WORK_ITEMS, no filters): every issue of the model under its project, assignee and reporter granted
  if (opts.workItems)
    for (const w of workItemModel(t).items()) {
      resources.add(`work-item|${w.id}|project|${w.projectId}`);
      const assignee = ent('work-item', w.id, 'assignee');
      const reporter = ent('work-item', w.id, 'reporter');
      if (w.assigneeAccountId) addDirect(assignee, 'user', w.assigneeAccountId);
      if (w.reporterAccountId) addDirect(reporter, 'user', w.reporterAccountId);
    }

  const grants = new Map<string, string>();
  for (const [e, principals] of direct)
    for (const p of principals) {
      const [ptype, ...rest] = p.split(':');
      const pid = rest.join(':');
      const sources = ptype === 'user' && via.get(e)?.has(pid) ? [e, ...via.get(e)!.get(pid)!] : [];
      grants.set(`${e}:${ptype}:${pid}`, grantKey({ entitlement: e, principalType: ptype, principalId: pid, expanded: false, sources }));
    }
  for (const [e, users] of via)
    for (const [u, sources] of users) {
      if (direct.get(e)?.has(`user:${u}`)) continue;
      grants.set(`${e}:user:${u}`, grantKey({ entitlement: e, principalType: 'user', principalId: u, expanded: true, sources: [...sources] }));
    }
  return { resources, entitlements, grants };
}

export interface Diff {
  missing: string[];
  extra: string[];
  changed: string[];
}

function setDiff(actual: Set<string>, expected: Set<string>, max = 10): Diff {
  return { missing: [...expected].filter((x) => !actual.has(x)).slice(0, max), extra: [...actual].filter((x) => !expected.has(x)).slice(0, max), changed: [] };
}

/** What differs between the c1z (its dump) and the expectation; every list empty when they match. */
export function compare(d: Dump, exp: Expected, max = 10): { resources: Diff; entitlements: Diff; grants: Diff } {
  const resources = new Set(d.resources.map((r) => `${r.type}|${r.id}|${r.parentType ?? ''}|${r.parentId ?? ''}`));
  const entitlements = new Set(d.entitlements.map((e) => `${e.id}|${e.resourceType}|${e.resourceId}|${e.slug}`));
  const grants = new Map(d.grants.map((g) => [g.id, grantKey(g)]));
  const g: Diff = { missing: [], extra: [], changed: [] };
  for (const [id, key] of exp.grants) {
    const got = grants.get(id);
    if (got === undefined) g.missing.push(`${id} (${key})`);
    else if (got !== key) g.changed.push(`${id}: expected ${key}, got ${got}`);
  }
  for (const [id, key] of grants) if (!exp.grants.has(id)) g.extra.push(`${id} (${key})`);
  return {
    resources: setDiff(resources, exp.resources, max),
    entitlements: setDiff(entitlements, exp.entitlements, max),
    grants: { missing: g.missing.slice(0, max), extra: g.extra.slice(0, max), changed: g.changed.slice(0, max) },
  };
}

export const NO_DIFF = { missing: [], extra: [], changed: [] };
