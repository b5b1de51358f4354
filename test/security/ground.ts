/**
 * Ground truth for "no write to a resource other than the one the id names": a snapshot of what
 * the fake tenant knows (group memberships, role actors, accounts), the changes between two
 * snapshots, and whether a change is one the write request's ids allow.
 */
import type { Tenant } from '../../src/fake-atlassian';
import type { WriteIntent } from './generators';
import { adminRoles, ADMIN_ROLE } from '../../src/fake-atlassian/admin-roles';

export interface TenantState {
  version: number;
  /** "groupId accountId" */
  members: Set<string>;
  /** "projectId:roleId user|group id" */
  actors: Set<string>;
  /** accountId -> "inJira suspended status" */
  accounts: Map<string, { inJira: boolean; suspended: boolean; status: string; email: string }>;
  /** administration role assignments: "user|group id roleId resourceId" */
  roles: Set<string>;
}

export type Change =
  | { what: 'group-member'; op: 'add' | 'remove'; groupId: string; accountId: string }
  | { what: 'role-actor'; op: 'add' | 'remove'; projectRole: string; actorType: 'user' | 'group'; actorId: string }
  | { what: 'admin-role'; op: 'add' | 'remove'; principalType: string; principalId: string; roleId: string; resourceId: string }
  | { what: 'account'; op: 'created' | 'site-access' | 'suspended' | 'restored' | 'status'; accountId: string; email: string };

export function snapshot(t: Tenant): TenantState {
  const members = new Set<string>();
  for (const g of t.allGroups()) for (const a of t.groupMembers(g.groupId)) members.add(`${g.groupId} ${a}`);
  const actors = new Set<string>();
  for (const p of t.projects())
    for (const r of t.projectRoles(p.id)) {
      const v = t.roleActors(p.id, r.id);
      for (const u of v.users) actors.add(`${p.id}:${r.id} user ${u}`);
      for (const g of v.groups) actors.add(`${p.id}:${r.id} group ${g}`);
    }
  const accounts = new Map<string, { inJira: boolean; suspended: boolean; status: string; email: string }>();
  for (const u of t.allAccounts()) accounts.set(u.accountId, { inJira: u.inJira, suspended: u.suspended, status: u.accountStatus, email: u.email.toLowerCase() });
  const roles = new Set(
    adminRoles(t)
      .assignments()
      .map((a) => `${a.kind} ${a.id} ${a.roleId} ${a.resourceId}`),
  );
  return { version: t.version, members, actors, accounts, roles };
}

export function diff(a: TenantState, b: TenantState): Change[] {
  const out: Change[] = [];
  for (const [x, y, op] of [
    [b.members, a.members, 'add'],
    [a.members, b.members, 'remove'],
  ] as const)
    for (const k of x)
      if (!y.has(k)) {
        const [groupId, accountId] = k.split(' ');
        out.push({ what: 'group-member', op, groupId, accountId });
      }
  for (const [x, y, op] of [
    [b.actors, a.actors, 'add'],
    [a.actors, b.actors, 'remove'],
  ] as const)
    for (const k of x)
      if (!y.has(k)) {
        const [projectRole, actorType, actorId] = k.split(' ');
        out.push({ what: 'role-actor', op, projectRole, actorType: actorType as 'user' | 'group', actorId });
      }
  for (const [x, y, op] of [
    [b.roles, a.roles, 'add'],
    [a.roles, b.roles, 'remove'],
  ] as const)
    for (const k of x)
      if (!y.has(k)) {
        const [principalType, principalId, roleId, resourceId] = k.split(' ');
        out.push({ what: 'admin-role', op, principalType, principalId, roleId, resourceId });
      }
  for (const [id, after] of b.accounts) {
    const before = a.accounts.get(id);
    if (!before) out.push({ what: 'account', op: 'created', accountId: id, email: after.email });
    else {
      if (!before.inJira && after.inJira) out.push({ what: 'account', op: 'site-access', accountId: id, email: after.email });
      if (before.suspended !== after.suspended) out.push({ what: 'account', op: after.suspended ? 'suspended' : 'restored', accountId: id, email: after.email });
      if (before.status !== after.status || (before.inJira && !after.inJira)) out.push({ what: 'account', op: 'status', accountId: id, email: after.email });
    }
  }
  return out;
}

/** Whether the request's ids name this change (what, where, who and direction). */
export function allowed(intent: WriteIntent, c: Change): boolean {
  switch (intent.kind) {
    case 'grant':
    case 'revoke': {
      const op = intent.kind === 'grant' ? 'add' : 'remove';
      if (c.what === 'group-member') return intent.entType === 'group' && c.op === op && c.groupId === intent.entId && intent.principalType === 'user' && c.accountId === intent.principalId;
      if (c.what === 'admin-role') {
        // organization admin only on the organization, every other role only on the site named by the ids
        const on = c.roleId === ADMIN_ROLE.orgAdmin ? { type: 'organization', id: c.resourceId.split('/').at(-1) } : { type: 'site', id: c.resourceId.split('/').at(-1) };
        return intent.entType === on.type && intent.entId === on.id && c.op === op && c.principalType === intent.principalType && c.principalId === intent.principalId;
      }
      if (c.what === 'role-actor')
        return (
          intent.entType === 'project-role' &&
          c.op === op &&
          /^\d+:\d+$/.test(intent.entId) &&
          c.projectRole === intent.entId &&
          c.actorType === intent.principalType &&
          c.actorId === intent.principalId
        );
      return false;
    }
    case 'create-account':
      return c.what === 'account' && (c.op === 'created' || c.op === 'site-access') && intent.emails.includes(c.email);
    case 'action':
      return c.what === 'account' && c.accountId === intent.accountId && ((intent.name === 'account_disable' && c.op === 'suspended') || (intent.name === 'account_enable' && c.op === 'restored'));
    default:
      return false;
  }
}

export function describeChange(c: Change): string {
  if (c.what === 'group-member') return `group ${c.groupId}: member ${c.accountId} ${c.op === 'add' ? 'added' : 'removed'}`;
  if (c.what === 'admin-role') return `${c.principalType} ${c.principalId}: role ${c.roleId} on ${c.resourceId} ${c.op === 'add' ? 'given' : 'taken'}`;
  if (c.what === 'role-actor') return `project-role ${c.projectRole}: ${c.actorType} ${c.actorId} ${c.op === 'add' ? 'added' : 'removed'}`;
  return `account ${c.accountId} (${c.email}): ${c.op}`;
}

/** The write request's ids, for reports. */
export function describeIntent(i: WriteIntent): string {
  if (i.kind === 'grant' || i.kind === 'revoke')
    return `${i.kind} ${i.entType}:${i.entId.slice(0, 60)}${i.entId.length > 60 ? '…' : ''} to ${i.principalType}:${i.principalId.slice(0, 60)}${i.principalId.length > 60 ? '…' : ''}`;
  if (i.kind === 'create-account') return `create-account ${i.emails.map((e) => e.slice(0, 60)).join(', ')}`;
  if (i.kind === 'action') return `${i.name.slice(0, 40)} ${String(i.accountId).slice(0, 60)}`;
  return 'undecodable or incomplete request';
}
