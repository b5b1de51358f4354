/**
 * `explain --user <accountId|email> [--project KEY]`: every project permission (of the configured
 * set) and, when synced, every global permission one person holds, with each path to it, computed
 * from the connector's own grants as the platform sees them (a full sync through c1.connector.v2,
 * in-process or from `--connector host:port`, expanded with the SDK's rules), then cross-checked
 * against Jira's own evaluation: `POST /permissions/check` for that account with the same
 * permission keys and the ids of the company-managed projects (at most 1000 per request).
 * Any disagreement is printed and the exit code is 1.
 *
 * Paths read from the scheme grant down to the person, e.g.
 *   scheme → project role "ENG - Developers" → group "Engineering Team" → person
 *   scheme → product access "Jira" → group "jira-software-users" → person
 *   scheme → project lead → person;  scheme → the person (named in the scheme)
 *   scheme → anyone (the project is open to everyone, signed in or not)
 * Issue-level holders (reporter, assignee, custom fields) are conditional and not explained as
 * project-wide access (they are in the project's profile); team-managed projects have no scheme.
 */
import type { Command } from 'commander';
import type { Resource } from '../gen/c1/connector/v2/resource';
import type { Entitlement } from '../gen/c1/connector/v2/entitlement';
import type { SyncResult } from '../client/sync';
import type { RequestContext } from '../atlassian';
import { expandWithPaths, withProductExpansion } from '../review/expand';

const PERMISSION = /^permission:([A-Z][A-Z0-9_]*)$/;
/** POST /permissions/check takes at most 1000 projects per request */
const MAX_PROJECTS = 1000;

export interface HeldPermission {
  key: string;
  /** each path, rendered from the scheme grant to the person */
  paths: string[];
}

export interface ProjectExplanation {
  id: string;
  key: string;
  name: string;
  /** held permissions of the configured set, by key */
  permissions: HeldPermission[];
}

export interface Explanation {
  accountId: string;
  displayName: string;
  /** the configured project permission keys (entitlements found in the sync) */
  keys: string[];
  /** company-managed projects explained (those with permission entitlements) */
  projects: ProjectExplanation[];
  /** team-managed projects in scope: no permission scheme, access comes from their roles */
  teamManaged: { key: string; name: string }[];
  /** global permission keys synced (empty when BATON_JIRA_GLOBAL_PERMISSIONS is off) */
  globalKeys: string[];
  /** global permissions held (by key) */
  global: string[];
}

export interface Disagreement {
  /** project key, or "global" */
  where: string;
  permission: string;
  /** what the connector's grants say, and what Jira's permissions/check says */
  connector: boolean;
  jira: boolean;
}

/** What permissions/check needs from the Jira client. */
export interface PermissionChecker {
  checkPermissions(
    input: { accountId: string; globalPermissions?: string[]; projectPermissions?: { permissions: string[]; projects: number[] }[] },
    ctx?: RequestContext,
  ): Promise<{ globalPermissions: string[]; projectPermissions: { permission: string; projects: number[] }[] }>;
}

const rkey = (r: { resourceType: string; resource: string }) => `${r.resourceType}\u0000${r.resource}`;

/** The sync, indexed once: several accounts can then be explained without expanding again. */
export interface ExplainIndex {
  resources: Map<string, Resource>;
  entitlements: Map<string, Entitlement>;
  users: Resource[];
  /** per user account: entitlement id → paths (entitlement ids, from the person's own up to the last before the target) */
  held: Map<string, Map<string, string[][]>>;
}

export function indexSync(r: SyncResult): ExplainIndex {
  const resources = new Map(r.resources.map((x) => [rkey(x.id!), x]));
  const entitlements = new Map(r.entitlements.map((e) => [e.id, e]));
  // a product-wide grant reaches every holder of the product, whether or not the connector expands it
  const x = expandWithPaths(withProductExpansion(r.grants, entitlements), entitlements);
  const held = new Map<string, Map<string, string[][]>>();
  const put = (g: { entitlement?: { id: string }; principal?: { id?: { resourceType: string; resource: string } } }, paths: string[][]) => {
    const p = g.principal!.id!;
    if (p.resourceType !== 'user') return;
    let m = held.get(p.resource);
    if (!m) held.set(p.resource, (m = new Map()));
    const prev = m.get(g.entitlement!.id) ?? [];
    m.set(g.entitlement!.id, [...prev, ...paths]);
  };
  for (const g of r.grants) put(g, x.direct.get(g.id)?.paths ?? [[]]);
  for (const e of x.expanded) put(e.grant, e.paths);
  return { resources, entitlements, users: r.resources.filter((u) => u.id!.resourceType === 'user'), held };
}

/** The user resource named by an account id or an email (case-insensitive); undefined when the sync has none. */
export function findUser(ix: ExplainIndex, who: string): Resource | undefined {
  const byId = ix.resources.get(rkey({ resourceType: 'user', resource: who }));
  if (byId) return byId;
  const email = who.toLowerCase();
  return ix.users.find((u) => String((u.profile as Record<string, unknown> | undefined)?.email ?? '').toLowerCase() === email);
}

function label(ix: ExplainIndex, entitlementId: string): string {
  const e = ix.entitlements.get(entitlementId);
  const rid = e?.resource?.id;
  if (!e || !rid) return entitlementId;
  const name = ix.resources.get(rkey(rid))?.displayName || rid.resource;
  switch (rid.resourceType) {
    case 'group':
      return `group "${name}"`;
    case 'project-role':
      return `project role "${name}"`;
    case 'application-role':
      return `product access "${name}"`;
    case 'project':
      return e.slug === 'lead' ? 'project lead' : `project "${name}" ${e.slug}`;
    default:
      return `${rid.resourceType} "${name}" ${e.slug}`;
  }
}

function render(ix: ExplainIndex, path: string[]): string {
  if (!path.length) return 'scheme → the person (named in the scheme)';
  return ['scheme', ...[...path].reverse().map((p) => label(ix, p)), 'person'].join(' → ');
}

export function explainAccount(ix: ExplainIndex, accountId: string, opts: { projectKey?: string } = {}): Explanation {
  const user = ix.resources.get(rkey({ resourceType: 'user', resource: accountId }));
  const mine = ix.held.get(accountId) ?? new Map<string, string[][]>();
  const keys = new Set<string>();
  const perProject = new Map<string, Set<string>>();
  for (const e of ix.entitlements.values()) {
    const rid = e.resource!.id!;
    const m = PERMISSION.exec(e.slug);
    if (rid.resourceType !== 'project' || !m) continue;
    keys.add(m[1]);
    if (!perProject.has(rid.resource)) perProject.set(rid.resource, new Set());
    perProject.get(rid.resource)!.add(m[1]);
  }
  const projects: ProjectExplanation[] = [];
  for (const [pid, pkeys] of perProject) {
    const res = ix.resources.get(rkey({ resourceType: 'project', resource: pid }));
    const profile = (res?.profile ?? {}) as Record<string, unknown>;
    const key = String(profile.key ?? pid);
    if (opts.projectKey && key.toUpperCase() !== opts.projectKey.toUpperCase()) continue;
    const open = new Set(Array.isArray(profile.open_to_anyone) ? (profile.open_to_anyone as unknown[]).map(String) : []);
    const permissions: HeldPermission[] = [];
    for (const k of [...pkeys].sort()) {
      const paths = [...new Set((mine.get(`project:${pid}:permission:${k}`) ?? []).map((p) => render(ix, p)))];
      if (open.has(k)) paths.push('scheme → anyone (the project is open to everyone, signed in or not)');
      if (paths.length) permissions.push({ key: k, paths });
    }
    projects.push({ id: pid, key, name: res?.displayName ?? key, permissions });
  }
  projects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const teamManaged: { key: string; name: string }[] = [];
  for (const r of ix.resources.values()) {
    const profile = (r.profile ?? {}) as Record<string, unknown>;
    if (r.id!.resourceType !== 'project' || !String(profile.permission_scheme ?? '').startsWith('none: team-managed')) continue;
    const key = String(profile.key ?? r.id!.resource);
    if (!opts.projectKey || key.toUpperCase() === opts.projectKey.toUpperCase()) teamManaged.push({ key, name: r.displayName });
  }
  teamManaged.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const globalKeys = [...ix.resources.values()]
    .filter((r) => r.id!.resourceType === 'global-permission')
    .map((r) => r.id!.resource)
    .sort();
  const global = globalKeys.filter((k) => mine.has(`global-permission:${k}:granted`));
  return { accountId, displayName: user?.displayName ?? accountId, keys: [...keys].sort(), projects, teamManaged, globalKeys, global };
}

/** Jira's own answer for the account, compared with the explanation; the disagreements (none: they agree). */
export async function crossCheck(api: PermissionChecker, e: Explanation, ctx?: RequestContext): Promise<Disagreement[]> {
  const ids = e.projects.map((p) => Number(p.id)).filter((n) => Number.isSafeInteger(n));
  const jira = new Map<string, Set<number>>(e.keys.map((k) => [k, new Set()]));
  let globals: Set<string> = new Set();
  const chunks: number[][] = [];
  for (let i = 0; i < ids.length; i += MAX_PROJECTS) chunks.push(ids.slice(i, i + MAX_PROJECTS));
  if (!chunks.length) chunks.push([]);
  for (const [i, chunk] of chunks.entries()) {
    const r = await api.checkPermissions(
      {
        accountId: e.accountId,
        globalPermissions: i === 0 && e.globalKeys.length ? e.globalKeys : undefined,
        projectPermissions: chunk.length && e.keys.length ? [{ permissions: e.keys, projects: chunk }] : undefined,
      },
      ctx,
    );
    if (i === 0) globals = new Set(r.globalPermissions);
    for (const pp of r.projectPermissions) for (const p of pp.projects) jira.get(pp.permission)?.add(p);
  }
  const out: Disagreement[] = [];
  for (const p of e.projects) {
    const held = new Set(p.permissions.map((h) => h.key));
    for (const k of e.keys) {
      const j = jira.get(k)?.has(Number(p.id)) ?? false;
      if (j !== held.has(k)) out.push({ where: p.key, permission: k, connector: held.has(k), jira: j });
    }
  }
  for (const k of e.globalKeys) {
    const c = e.global.includes(k);
    const j = globals.has(k);
    if (c !== j) out.push({ where: 'global', permission: k, connector: c, jira: j });
  }
  return out;
}

export function formatExplanation(e: Explanation, disagreements: Disagreement[]): string[] {
  const lines = [`${e.displayName} (${e.accountId})`];
  if (!e.keys.length) lines.push('  no project permissions are synced (BATON_JIRA_PROJECT_PERMISSIONS is none)');
  for (const p of e.projects) {
    lines.push(`  ${p.key} ${p.name} (${p.id})${p.permissions.length ? '' : ': none of ' + e.keys.join(', ')}`);
    for (const h of p.permissions) {
      lines.push(`    ${h.key}`);
      for (const path of h.paths) lines.push(`      ${path}`);
    }
  }
  for (const p of e.teamManaged) lines.push(`  ${p.key} ${p.name}: team-managed (no permission scheme: access comes from its roles, not explained here)`);
  if (e.globalKeys.length) lines.push(`  global permissions: ${e.global.length ? e.global.join(', ') : 'none'} (Jira's permissions/check, as synced)`);
  else lines.push('  global permissions: not synced (BATON_JIRA_GLOBAL_PERMISSIONS is off)');
  if (!disagreements.length)
    lines.push(`Jira's permissions/check agrees (${e.projects.length} projects × ${e.keys.length} permissions${e.globalKeys.length ? `, ${e.globalKeys.length} global permissions` : ''}).`);
  else {
    lines.push(`Jira's permissions/check disagrees in ${disagreements.length} places:`);
    for (const d of disagreements) lines.push(`  ${d.where} ${d.permission}: the connector's grants say ${d.connector ? 'held' : 'not held'}, Jira says ${d.jira ? 'held' : 'not held'}`);
  }
  return lines;
}

interface ExplainFlags {
  user: string;
  project?: string;
  connector?: string;
  connectorCa?: string;
  connectorCert?: string;
  connectorKey?: string;
  json?: boolean;
}

class ExplainUsage extends Error {}

/** The command: a sync through gRPC (in-process, or the running server at --connector), explained and cross-checked. */
export async function runExplainCommand(flags: ExplainFlags, cmd: Command): Promise<void> {
  try {
    await explainCommand(flags, cmd);
  } catch (e) {
    if (!(e instanceof ExplainUsage)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  }
}

async function explainCommand(flags: ExplainFlags, cmd: Command): Promise<void> {
  const { rawFrom } = await import('./options');
  const { parseConnectorConfig } = await import('../config/schema');
  const { createAtlassianClients } = await import('../atlassian');
  const { dialConnector } = await import('../client/connector-client');
  const { runSync } = await import('../client/sync');
  const usage = (m: string) => {
    process.stderr.write(`error: ${m}\n`);
    process.exitCode = 2;
  };
  const who = flags.user.trim();
  if (!/^[A-Za-z0-9:_-]{1,128}$/.test(who) && !/^[^\s@]{1,200}@[^\s@]{1,200}$/.test(who)) return usage('--user must be an Atlassian account id or an email address');
  if (flags.project !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,254}$/.test(flags.project)) return usage('--project must be a project key such as ENG');
  if (flags.connector !== undefined && !/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(flags.connector)) return usage(`--connector must be host:port (got "${flags.connector}")`);
  // the Jira credentials are needed in both cases: the cross-check asks Jira directly
  const cfg = parseConnectorConfig(rawFrom(cmd));
  const clients = createAtlassianClients(cfg);
  let stop = async () => {};
  let client;
  if (flags.connector) {
    const { readFileSync } = await import('node:fs');
    const pem = (flag: string, file: string | undefined) => {
      if (!file) return undefined;
      try {
        return readFileSync(file);
      } catch (e) {
        throw new ExplainUsage(`--${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    };
    const caPem = pem('connector-ca', flags.connectorCa);
    const clientCertPem = pem('connector-cert', flags.connectorCert);
    const clientKeyPem = pem('connector-key', flags.connectorKey);
    if (!!clientCertPem !== !!clientKeyPem) return usage('--connector-cert and --connector-key go together');
    if (clientCertPem && !caPem) return usage('mutual TLS needs --connector-ca as well');
    client = dialConnector(flags.connector, { caPem, clientCertPem, clientKeyPem, maxReceiveBytes: 64 * 1024 * 1024 });
    const c = client;
    stop = async () => c.close();
  } else {
    if (flags.connectorCa || flags.connectorCert || flags.connectorKey) return usage('--connector-ca, --connector-cert and --connector-key need --connector');
    const { buildConnector } = await import('../connector/wire');
    const { startServer } = await import('../server/server');
    const { connector } = await buildConnector(cfg);
    const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
    const c = dialConnector(server.address, { maxReceiveBytes: 64 * 1024 * 1024 });
    client = c;
    stop = async () => {
      c.close();
      await server.stop();
    };
  }
  try {
    const ix = indexSync(await runSync(client));
    const user = findUser(ix, who);
    if (!user) return usage(`no user ${JSON.stringify(who)} in the sync (an account id, or an email Jira shows)`);
    const e = explainAccount(ix, user.id!.resource, { projectKey: flags.project });
    if (flags.project && !e.projects.length && !e.teamManaged.length) return usage(`no project ${flags.project} in the sync`);
    const d = await crossCheck(clients.jira, e);
    if (flags.json) process.stdout.write(JSON.stringify({ ...e, disagreements: d }, null, 2) + '\n');
    else for (const l of formatExplanation(e, d)) process.stdout.write(l + '\n');
    process.exitCode = d.length ? 1 : 0;
  } finally {
    await stop();
    await clients.close();
  }
}
