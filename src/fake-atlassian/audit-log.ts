/**
 * Jira's audit log in the fake: GET /rest/api/3/auditing/record (Administer Jira; 403 otherwise).
 *
 * Records come from the tenant's own memberships, generated once per tenant on first use with the
 * tenant's clock as "now" (deterministic from the ids): of the group memberships of site groups and
 * the role actors (users and groups) of every project role,
 *   4 in 10 have a "added" record 1 to 41 days old (inside any window of 42 days or more),
 *   3 in 10 have one 200 to 800 days old (outside any window of 199 days or less),
 *   3 in 10 have none (added before the log's retention, or by a bulk import).
 * Every membership change made through the fake's API afterwards (Tenant.membershipChanges: group
 * member added or removed, role actor added or removed, default groups of a created user) adds a
 * record at the time it happened, authored by the connector's service account.
 *
 * Shapes (Atlassian's AuditRecordBean): a group membership is summary "User added to group" /
 * "User removed from group", category "group management", objectItem the GROUP (by name, no id),
 * associatedItems the USER (id and name = account id). A role actor change is summary "Project
 * roles changed", category "projects", objectItem the PROJECT_ROLE (id = role id), associatedItems
 * the PROJECT (id = project id), changedValues "Users" (account ids) or "Groups" (group names),
 * changedFrom before and changedTo after for the one actor changed. `created` is in Jira's format
 * ("2026-11-02T10:00:00.000+0000"); newest first; `filter` words must each match one of summary,
 * category, eventSource, objectItem.name/parentName/typeName, changedFrom/To (case-insensitive).
 */
import type { Handler } from './context';
import { jiraError } from './context';
import type { MembershipChange, Tenant } from './tenant';

const DAY = 86_400_000;
const DIRECTORY = { parentId: '10000', parentName: 'com.atlassian.crowd.directory.IdentityPlatformRemoteDirectory' };

interface Item {
  id?: string;
  name?: string;
  typeName: string;
  parentId?: string;
  parentName?: string;
}

export interface FakeAuditRecord {
  id: number;
  summary: string;
  created: string;
  category: string;
  eventSource: string;
  authorAccountId?: string;
  objectItem: Item;
  associatedItems: Item[];
  changedValues: { fieldName: string; changedFrom: string; changedTo: string }[];
  /** ms of `created` (not sent) */
  ms: number;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Jira's date format: 2026-11-02T10:00:00.000+0000 */
function jiraDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** When the generated record of a membership was made (undefined: no record), from its key. */
export function generatedAddedAt(key: string, base: number): number | undefined {
  const h = hash(key);
  const bucket = h % 10;
  const second = (h >>> 8) % 86_400;
  if (bucket < 4) return base - (1 + ((h >>> 4) % 40)) * DAY - second * 1000;
  if (bucket < 7) return base - (200 + ((h >>> 4) % 600)) * DAY - second * 1000;
  return undefined;
}

interface Generated {
  base: number;
  records: FakeAuditRecord[];
}

const generated = new WeakMap<Tenant, Generated>();

function groupRecord(id: number, ms: number, added: boolean, groupName: string, accountId: string, author: string): FakeAuditRecord {
  return {
    id,
    summary: added ? 'User added to group' : 'User removed from group',
    created: jiraDate(ms),
    category: 'group management',
    eventSource: '',
    authorAccountId: author,
    objectItem: { name: groupName, typeName: 'GROUP', ...DIRECTORY },
    associatedItems: [{ id: accountId, name: accountId, typeName: 'USER', ...DIRECTORY }],
    changedValues: [],
    ms,
  };
}

function roleRecord(
  id: number,
  ms: number,
  added: boolean,
  project: { id: string; name: string },
  role: { id: number; name: string },
  actor: { field: 'Users' | 'Groups'; value: string },
  author: string,
): FakeAuditRecord {
  return {
    id,
    summary: 'Project roles changed',
    created: jiraDate(ms),
    category: 'projects',
    eventSource: '',
    authorAccountId: author,
    objectItem: { id: String(role.id), name: role.name, typeName: 'PROJECT_ROLE' },
    associatedItems: [{ id: project.id, name: project.name, typeName: 'PROJECT' }],
    changedValues: [{ fieldName: actor.field, changedFrom: added ? '' : actor.value, changedTo: added ? actor.value : '' }],
    ms,
  };
}

/** The generated records (memberships as they were at first use). */
function generate(t: Tenant): Generated {
  let g = generated.get(t);
  if (g) return g;
  const base = t.clock();
  const records: FakeAuditRecord[] = [];
  let id = 1;
  const author = t.adminAccountId;
  for (const group of t.groups()) {
    for (const accountId of t.groupMembers(group.groupId)) {
      const ms = generatedAddedAt(`g|${group.groupId}|${accountId}`, base);
      if (ms !== undefined) records.push(groupRecord(id++, ms, true, group.name, accountId, author));
    }
  }
  for (const p of t.projects()) {
    for (const role of t.projectRoles(p.id)) {
      const actors = t.roleActors(p.id, role.id);
      for (const accountId of actors.users) {
        const ms = generatedAddedAt(`r|${p.id}|${role.id}|u:${accountId}`, base);
        if (ms !== undefined) records.push(roleRecord(id++, ms, true, p, role, { field: 'Users', value: accountId }, author));
      }
      for (const groupId of actors.groups) {
        const ms = generatedAddedAt(`r|${p.id}|${role.id}|g:${groupId}`, base);
        const name = t.group(groupId)?.name;
        if (ms !== undefined && name) records.push(roleRecord(id++, ms, true, p, role, { field: 'Groups', value: name }, author));
      }
    }
  }
  g = { base, records };
  generated.set(t, g);
  return g;
}

function changeRecord(t: Tenant, c: MembershipChange, id: number): FakeAuditRecord | undefined {
  const author = t.serviceAccountId;
  if (c.projectId !== undefined && c.roleId !== undefined) {
    const p = t.project(c.projectId);
    const role = t.role(c.roleId);
    if (!p || !role) return undefined;
    const value = c.accountId ?? (c.groupId ? t.group(c.groupId)?.name : undefined);
    if (!value) return undefined;
    return roleRecord(id, c.at, c.added, p, role, { field: c.accountId ? 'Users' : 'Groups', value }, author);
  }
  const group = c.groupId ? t.group(c.groupId) : undefined;
  if (!group || !c.accountId) return undefined;
  return groupRecord(id, c.at, c.added, group.name, c.accountId, author);
}

/** Every audit record of the tenant, newest first (ground truth for tests). */
export function auditRecords(t: Tenant): FakeAuditRecord[] {
  const g = generate(t);
  const out = g.records.slice();
  let id = 1_000_000;
  for (const c of t.membershipChanges) {
    const r = changeRecord(t, c, id++);
    if (r) out.push(r);
  }
  return out.sort((a, b) => b.ms - a.ms || b.id - a.id);
}

function parseDate(s: unknown): number | undefined | null {
  if (s === undefined || s === '') return undefined;
  if (typeof s !== 'string' || s.length > 40) return null;
  const ms = Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : null;
}

function matches(r: FakeAuditRecord, word: string): boolean {
  const fields = [r.summary, r.category, r.eventSource, r.objectItem.name, r.objectItem.parentName, r.objectItem.typeName, ...r.changedValues.flatMap((c) => [c.changedFrom, c.changedTo])];
  return fields.some((f) => !!f && f.toLowerCase().includes(word));
}

const list: Handler = (ctx) => {
  if (!ctx.perms.administerJira) return jiraError(403, 'You do not have permission to view the audit log.');
  const offset = Math.max(0, Number(ctx.q.offset ?? 0) || 0);
  const limit = Math.min(1000, Math.max(1, Number(ctx.q.limit ?? 1000) || 1000));
  const from = parseDate(ctx.q.from);
  const to = parseDate(ctx.q.to);
  if (from === null || to === null) return jiraError(400, 'The date format is invalid.');
  const words = String(ctx.q.filter ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean);
  const all = auditRecords(ctx.s.tenant).filter((r) => (from === undefined || r.ms >= from) && (to === undefined || r.ms <= to) && words.every((w) => matches(r, w)));
  const page = all.slice(offset, offset + limit).map(({ ms: _ms, ...r }) => r);
  return { status: 200, body: { offset, limit, total: all.length, records: page } };
};

export const AUDIT_ROUTES: Array<{ method: string; suffix: string; handler: Handler }> = [{ method: 'GET', suffix: '/auditing/record', handler: list }];
