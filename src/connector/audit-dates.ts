/**
 * "Since when", from Jira's audit log (BATON_JIRA_AUDIT_DAYS=<n>, off by default): once per sync the
 * connector reads the audit records of the last n days (GET /auditing/record, Administer Jira and a
 * paid plan; offset/limit pages of 1000, two filtered listings: `group` for "User added to group" /
 * "User removed from group", `role` for project role actor changes) and attaches to every group
 * membership and project-role grant whose latest record in the window is an addition the date it
 * was added, as a GrantMetadata annotation: {added_at (ISO), added_source: "jira-audit-log",
 * added_by (account id of the author, when given)}. A grant without such a record carries none.
 *
 * Record shapes read (Atlassian's AuditRecordBean; either orientation of object and associated items):
 *   group membership   summary "User added to group" / "User removed from group"; a GROUP item
 *                      (name, maybe id) and a USER item (id or name = account id)
 *   project role       a PROJECT_ROLE item (id = role id) and a PROJECT item (id = project id);
 *                      changedValues "Users" / "Groups" (comma lists, before and after: what is in
 *                      changedTo and not in changedFrom was added), or USER / GROUP items on a
 *                      summary that says "added" / "removed"
 *
 * The index is cached per sync (keyed by a digest of active_sync_id) and dropped at Cleanup. Any
 * failure to read the log (no Administer Jira, free plan, scope, upstream down) is one warning per
 * sync and no dates: the sync goes on. Group names used to match records come from this sync's own
 * group listing, never from a request.
 */
import type { Any } from '../gen/google/protobuf/any';
import type { Grant } from '../gen/c1/connector/v2/grant';
import type { Resource } from '../gen/c1/connector/v2/resource';
import type { CallContext, ResourceSyncer } from './types';
import type { JiraApi, JiraAuditRecord } from './jira-api';
import { PromiseCache, syncKey } from './cache';
import { grantMetadata } from './anno';
import { log } from '../log';

export const AUDIT_SOURCE = 'jira-audit-log';
const PAGE = 1000;
/** pages per filtered listing (200k records); past it the oldest records are not read (warned) */
const MAX_PAGES = 200;
const DAY = 86_400_000;
/** group names noted per sync (and syncs held at once) */
const MAX_NAMES = 500_000;
const MAX_SYNCS = 8;

export interface AuditDate {
  /** ISO date-time the membership was added */
  at: string;
  /** account id of who added it, when the record says */
  by?: string;
}

/** The latest addition per membership, for the memberships whose latest record in the window is an addition. */
export interface AuditIndex {
  /** `<group id or lower-case name>|<accountId>` */
  groups: Map<string, AuditDate>;
  /** `<projectId>|<roleId>|u:<accountId>` or `<projectId>|<roleId>|g:<group id or lower-case name>` */
  roles: Map<string, AuditDate>;
  /** records read */
  records: number;
}

interface Event {
  ms: number;
  added: boolean;
  by?: string;
}

type Item = NonNullable<JiraAuditRecord['objectItem']>;

/** Jira's "2014-03-19T18:45:42.967+0000" (or ISO with a colon or Z): ms, or NaN. */
export function parseAuditDate(s: string | undefined): number {
  if (!s || s.length > 40) return NaN;
  return Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

const type = (i: Item | undefined) => (i?.typeName ?? '').toUpperCase();
const listOf = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x && x.length <= 256);

/** Folds audit records into the index (newest event per membership wins; only additions stay). */
export function indexRecords(records: Iterable<JiraAuditRecord>): AuditIndex {
  const groups = new Map<string, Event>();
  const roles = new Map<string, Event>();
  let n = 0;
  const note = (m: Map<string, Event>, key: string, e: Event) => {
    const old = m.get(key);
    if (!old || e.ms > old.ms || (e.ms === old.ms && e.added)) m.set(key, e);
  };
  for (const r of records) {
    n++;
    const ms = parseAuditDate(r.created);
    if (!Number.isFinite(ms)) continue;
    const by = r.authorAccountId || undefined;
    const items = [r.objectItem ?? undefined, ...(r.associatedItems ?? [])].filter((i): i is Item => !!i);
    const summary = (r.summary ?? '').toLowerCase();
    const added = /\badded\b/.test(summary);
    const removed = /\bremoved\b/.test(summary);
    const role = items.find((i) => type(i) === 'PROJECT_ROLE');
    const project = items.find((i) => type(i) === 'PROJECT');
    const users = items.filter((i) => type(i) === 'USER').map((i) => i.id || i.name || '');
    const groupItems = items.filter((i) => type(i) === 'GROUP');
    if (role && project && role.id && project.id) {
      const base = `${project.id}|${role.id}|`;
      for (const cv of r.changedValues ?? []) {
        const f = (cv.fieldName ?? '').toLowerCase();
        const kind = f.startsWith('user') ? 'u:' : f.startsWith('group') ? 'g:' : undefined;
        if (!kind) continue;
        const before = new Set(listOf(cv.changedFrom).map((x) => (kind === 'g:' ? x.toLowerCase() : x)));
        const after = new Set(listOf(cv.changedTo).map((x) => (kind === 'g:' ? x.toLowerCase() : x)));
        for (const x of after) if (!before.has(x)) note(roles, base + kind + x, { ms, added: true, by });
        for (const x of before) if (!after.has(x)) note(roles, base + kind + x, { ms, added: false, by });
      }
      if (added || removed) {
        for (const u of users) if (u) note(roles, `${base}u:${u}`, { ms, added, by });
        for (const g of groupItems) for (const k of groupKeys(g)) note(roles, `${base}g:${k}`, { ms, added, by });
      }
      continue;
    }
    if ((added || removed) && groupItems.length === 1 && users.length) {
      for (const u of users) if (u) for (const k of groupKeys(groupItems[0])) note(groups, `${k}|${u}`, { ms, added, by });
    }
  }
  const keep = (m: Map<string, Event>) => {
    const out = new Map<string, AuditDate>();
    for (const [k, e] of m) if (e.added) out.set(k, { at: new Date(e.ms).toISOString(), by: e.by });
    return out;
  };
  return { groups: keep(groups), roles: keep(roles), records: n };
}

/** A group item's keys: its id and its lower-case name (Jira's group names are case-insensitive). */
function groupKeys(g: Item): string[] {
  const out = new Set<string>();
  if (g.id) out.add(g.id);
  if (g.name) out.add(g.name.toLowerCase());
  return [...out];
}

export interface AuditDatesOptions {
  /** window in days (1..3650) */
  days: number;
  /** the clock (tests inject one) */
  now?: () => number;
}

/** The audit-date decorator of the group and project-role types (jira.ts wraps them when BATON_JIRA_AUDIT_DAYS is set). */
export function auditDates(api: JiraApi, opts: AuditDatesOptions) {
  const now = opts.now ?? Date.now;
  const sizeOf = (x: AuditIndex) => 128 * (x.groups.size + x.roles.size) + 64;
  // a sync's index lives until its Cleanup (or the idle expiry of sync-expiry.ts); calls outside a sync share one for 5 minutes
  const indexes = new PromiseCache<AuditIndex>({ maxEntries: MAX_SYNCS, maxBytes: 256 * 1024 * 1024, ttlMs: 24 * 60 * 60 * 1000, sizeOf });
  const unsynced = new PromiseCache<AuditIndex>({ maxEntries: 1, maxBytes: 64 * 1024 * 1024, ttlMs: 5 * 60 * 1000, sizeOf });
  const names = new Map<string, Map<string, string>>();

  const read = async (): Promise<AuditIndex> => {
    const from = new Date(now() - opts.days * DAY).toISOString();
    // a detached context: one caller's cancellation must not leave the whole sync without dates
    const ctx = { signal: undefined, deadline: undefined };
    const all: JiraAuditRecord[][] = [];
    try {
      for (const filter of ['group', 'role']) {
        for (let page = 0, offset = 0; ; page++) {
          if (page >= MAX_PAGES) {
            log().warn({ filter, records: offset }, `the audit log has more than ${MAX_PAGES * PAGE} "${filter}" records in the window; older additions get no date`);
            break;
          }
          const r = await api.auditRecords({ offset, limit: PAGE, from, filter }, ctx);
          all.push(r.records);
          offset += r.records.length;
          if (r.records.length < PAGE) break;
        }
      }
    } catch (e) {
      const err = e as { kind?: string; message?: string };
      log().warn(
        { kind: err.kind, days: opts.days },
        `Jira's audit log could not be read (${err.kind === 'permission' || err.kind === 'auth' ? 'it needs Administer Jira and a paid Jira plan' : (err.message ?? 'error').slice(0, 200)}); grants carry no added_at dates in this sync`,
      );
      return { groups: new Map(), roles: new Map(), records: 0 };
    }
    return indexRecords(all.flat());
  };
  const indexFor = (ctx: CallContext) => (ctx.activeSyncId ? indexes.get(`${syncKey(ctx.activeSyncId)}|audit`, read) : unsynced.get('-|audit', read));

  const namesOf = (ctx: CallContext) => {
    const k = syncKey(ctx.activeSyncId);
    let m = names.get(k);
    if (!m) {
      m = new Map();
      names.set(k, m);
      while (names.size > MAX_SYNCS) names.delete(names.keys().next().value as string);
    }
    return m;
  };
  const groupLookup = (ctx: CallContext, groupId: string): string[] => {
    const name = names.get(syncKey(ctx.activeSyncId))?.get(groupId);
    return name ? [groupId, name.toLowerCase()] : [groupId];
  };
  const annotate = (g: Grant, d: AuditDate | undefined): Grant => (d ? { ...g, annotations: [...g.annotations, dateAnnotation(d)] } : g);
  const find = (m: Map<string, AuditDate>, keys: string[]) => {
    for (const k of keys) {
      const d = m.get(k);
      if (d) return d;
    }
    return undefined;
  };

  return {
    /** the group type: notes group names while listing; dates on member grants */
    groups(s: ResourceSyncer): ResourceSyncer {
      return {
        ...s,
        async list(parent, token, ctx) {
          const page = await s.list(parent, token, ctx);
          const m = namesOf(ctx);
          for (const r of page.items) if (r.id && m.size < MAX_NAMES) m.set(r.id.resource, r.displayName);
          return page;
        },
        async grants(resource: Resource, token, ctx) {
          const page = await s.grants(resource, token, ctx);
          if (!page.items.length) return page;
          const idx = await indexFor(ctx);
          if (!idx.groups.size) return page;
          const gid = resource.id!.resource;
          const keys = groupLookup(ctx, gid);
          return {
            ...page,
            items: page.items.map((g) =>
              annotate(
                g,
                find(
                  idx.groups,
                  keys.map((k) => `${k}|${g.principal?.id?.resource ?? ''}`),
                ),
              ),
            ),
          };
        },
        async cleanup(id) {
          await s.cleanup?.(id);
          names.delete(syncKey(id));
        },
      };
    },
    /** the project-role type: dates on actor grants (users by account id, groups by id or this sync's name) */
    roles(s: ResourceSyncer): ResourceSyncer {
      return {
        ...s,
        async grants(resource: Resource, token, ctx) {
          const page = await s.grants(resource, token, ctx);
          if (!page.items.length) return page;
          const idx = await indexFor(ctx);
          if (!idx.roles.size) return page;
          // the resource id was checked by the inner listing ("<projectId>:<roleId>", both numeric)
          const base = resource.id!.resource.replace(':', '|') + '|';
          return {
            ...page,
            items: page.items.map((g) => {
              const p = g.principal?.id;
              if (!p) return g;
              const keys = p.resourceType === 'group' ? groupLookup(ctx, p.resource).map((k) => `${base}g:${k}`) : [`${base}u:${p.resource}`];
              return annotate(g, find(idx.roles, keys));
            }),
          };
        },
        async cleanup(id) {
          await s.cleanup?.(id);
          indexes.dropSync(syncKey(id));
        },
      };
    },
  };
}

function dateAnnotation(d: AuditDate): Any {
  const m: Record<string, unknown> = { added_at: d.at, added_source: AUDIT_SOURCE };
  if (d.by) m.added_by = d.by;
  return grantMetadata(m);
}
