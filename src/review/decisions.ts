/**
 * The decisions worksheet of an access review (issue 18): one row per reviewable access in a
 * snapshot, with columns for the reviewer's decision (keep / revoke), name and comment; and the
 * plan `remediate` makes from a filled worksheet, checked against the snapshot it was made from.
 *
 * Reviewable: every grant to a user or a group on a group, project role, product or other
 * grantable resource, direct or inherited. Access derived from those (project participation,
 * project permissions, leads) is not a row of its own: the row that gives it says so in `gives`.
 * A `revoke` on an inherited row cannot be carried out as such; the plan refuses it and names the
 * direct grant (the group membership, the group's role) to decide on instead.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Db } from './store';
import { allMeta } from './store';
import { describeEntitlement, describeVia, Holding, pk, Review } from './model';
import { Cell, parseCsv, toCsv } from './csv';
import { grantId } from '../connector/ids';
import { History, historyKey } from './history';

export const DECISION_COLUMNS = [
  'row_id',
  'snapshot',
  'principal_type',
  'principal_id',
  'name',
  'email',
  'access',
  'entitlement_id',
  'kind',
  'since',
  'added_at',
  'added_source',
  'through',
  'gives',
  'decision',
  'reviewer',
  'comment',
] as const;

export type Decision = 'keep' | 'revoke' | '';

/** Resource types whose grants are not rows of their own (derived from other grants, or not changed by a revoke). */
const DERIVED_TYPES = new Set(['project']);
const MAX_GIVES = 12;
/** a decisions file larger than this is refused before it is read (a review of tier XL is far below) */
export const MAX_DECISIONS_BYTES = 256 * 1024 * 1024;

export interface DecisionRow {
  rowId: string;
  principalType: string;
  principalId: string;
  name: string;
  email: string;
  access: string;
  entitlementId: string;
  kind: 'direct' | 'inherited';
  /** with a history: since when it is held without a break */
  since: string;
  /** when the connector says the grant was added, and from where (a direct grant's GrantMetadata; '' when unknown) */
  addedAt: string;
  addedSource: string;
  through: string;
  gives: string;
}

function reviewable(h: Holding): boolean {
  return (h.principalType === 'user' || h.principalType === 'group') && !DERIVED_TYPES.has(h.entitlement.resourceType);
}

/** What a directly held entitlement brings its holder besides itself: every holding whose path starts with it. */
function givesOf(rv: Review, holdings: Holding[], entitlementId: string): string {
  const out = new Set<string>();
  for (const h of holdings) {
    if (h.entitlement.id === entitlementId) continue;
    if (h.paths.some((p) => p[0] === entitlementId)) out.add(describeEntitlement(rv, h.entitlement.id));
  }
  const list = [...out].sort((a, b) => a.localeCompare(b));
  return list.length > MAX_GIVES ? `${list.slice(0, MAX_GIVES).join('; ')}; and ${list.length - MAX_GIVES} more` : list.join('; ');
}

/** The worksheet's rows, people first (by name), then groups. */
export function decisionRows(rv: Review, history?: History): DecisionRow[] {
  const rows: DecisionRow[] = [];
  const people = [...rv.people.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.accountId < b.accountId ? -1 : 1));
  const principals: { type: string; id: string; name: string; email: string }[] = [
    ...people.map((p) => ({ type: 'user', id: p.accountId, name: p.name, email: p.email })),
    ...[...rv.groups.values()].sort((a, b) => a.name.localeCompare(b.name)).map((g) => ({ type: 'group', id: g.id, name: g.name, email: '' })),
  ];
  for (const who of principals) {
    const holdings = rv.byPrincipal.get(pk(who.type, who.id)) ?? [];
    const mine = holdings.filter(reviewable).sort((a, b) => describeEntitlement(rv, a.entitlement.id).localeCompare(describeEntitlement(rv, b.entitlement.id)));
    for (const h of mine) {
      const direct = h.paths.some((p) => p.length === 0);
      rows.push({
        rowId: grantId(h.entitlement.id, who.type, who.id),
        principalType: who.type,
        principalId: who.id,
        name: who.name,
        email: who.email,
        access: describeEntitlement(rv, h.entitlement.id),
        entitlementId: h.entitlement.id,
        kind: direct ? 'direct' : 'inherited',
        since: history?.grants.get(historyKey(h.entitlement.id, who.type, who.id))?.since ?? '',
        addedAt: direct ? (h.addedAt ?? '') : '',
        addedSource: direct ? (h.addedSource ?? '') : '',
        through: describeVia(rv, h).join(' | '),
        gives: direct ? givesOf(rv, holdings, h.entitlement.id) : '',
      });
    }
  }
  return rows;
}

export function decisionsCsv(rows: DecisionRow[], syncId: string): string {
  return toCsv(
    [...DECISION_COLUMNS],
    rows.map((r): Cell[] => [r.rowId, syncId, r.principalType, r.principalId, r.name, r.email, r.access, r.entitlementId, r.kind, r.since, r.addedAt, r.addedSource, r.through, r.gives, '', '', '']),
  );
}

/** A problem with the decisions file itself: the CLI exits 2 naming it. */
export class DecisionsError extends Error {}

export interface FilledDecision {
  /** 1-based line in the file (the header is line 1) */
  line: number;
  rowId: string;
  snapshot: string;
  principalType: string;
  principalId: string;
  access: string;
  decision: Decision;
  reviewer: string;
  comment: string;
}

/** Undoes csvCell's formula guard on a cell we wrote (a leading apostrophe before = + - @). */
const unguard = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);

/** Reads a filled worksheet; every problem names the line and the column. */
export function readDecisions(file: string): FilledDecision[] {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new DecisionsError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_DECISIONS_BYTES) throw new DecisionsError(`${file} is ${size} bytes, more than the ${MAX_DECISIONS_BYTES} a decisions file may have`);
  const rows = parseCsv(readFileSync(file, 'utf8'));
  if (!rows.length) throw new DecisionsError(`${file} is empty`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DecisionsError(`${file}: the header has no "${name}" column (a worksheet written by \`report\` has ${DECISION_COLUMNS.join(', ')})`);
    return i;
  };
  const c = {
    row: col('row_id'),
    snap: col('snapshot'),
    pt: col('principal_type'),
    pid: col('principal_id'),
    access: col('access'),
    decision: col('decision'),
    reviewer: col('reviewer'),
    comment: col('comment'),
  };
  const out: FilledDecision[] = [];
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i];
    if (r.length === 1 && r[0].trim() === '') continue; // a blank line
    const cell = (k: number) => unguard((r[k] ?? '').trim());
    const raw = cell(c.decision).toLowerCase();
    if (raw !== '' && raw !== 'keep' && raw !== 'revoke') throw new DecisionsError(`${file} line ${i + 1}: decision must be keep, revoke or empty (got "${cell(c.decision).slice(0, 40)}")`);
    const rowId = cell(c.row);
    if (!rowId) throw new DecisionsError(`${file} line ${i + 1}: row_id is empty`);
    out.push({
      line: i + 1,
      rowId,
      snapshot: cell(c.snap),
      principalType: cell(c.pt),
      principalId: cell(c.pid),
      access: cell(c.access),
      decision: raw as Decision,
      reviewer: cell(c.reviewer),
      comment: cell(c.comment),
    });
  }
  return out;
}

export type PlanStep =
  { row: FilledDecision; action: 'revoke'; grantData: Buffer; entitlementId: string } | { row: FilledDecision; action: 'refuse'; reason: string } | { row: FilledDecision; action: 'keep' };

/**
 * The plan for a filled worksheet against the snapshot it was made from: every row's snapshot must
 * be this snapshot's sync id (else the whole file is refused); a revoke of a direct grant becomes a
 * Revoke of the grant as the connector returned it; a revoke of an inherited access is refused,
 * naming the direct grant(s) it comes through.
 */
export function planRemediation(db: Db, rv: Review, decisions: FilledDecision[]): PlanStep[] {
  const syncId = allMeta(db).sync_id ?? '';
  const other = decisions.find((d) => d.snapshot !== syncId);
  if (other)
    throw new DecisionsError(
      `line ${other.line}: the decisions were made from snapshot "${other.snapshot}", not from this one ("${syncId}"); run remediate with the snapshot the report was written from`,
    );
  const seen = new Set<string>();
  const getGrant = db.prepare('SELECT kind, entitlement_id, principal_type, principal_id, data FROM grants WHERE id = ?');
  const plan: PlanStep[] = [];
  for (const row of decisions) {
    if (seen.has(row.rowId)) throw new DecisionsError(`line ${row.line}: row ${row.rowId} appears twice`);
    seen.add(row.rowId);
    if (row.decision !== 'revoke') {
      plan.push({ row, action: 'keep' });
      continue;
    }
    const g = getGrant.get(row.rowId) as { kind: string; entitlement_id: string; principal_type: string; principal_id: string; data: Buffer | null } | undefined;
    if (!g || g.principal_type !== row.principalType || g.principal_id !== row.principalId) {
      plan.push({ row, action: 'refuse', reason: 'not a grant of this snapshot (row_id or principal changed by hand?)' });
      continue;
    }
    if (g.kind === 'direct' && g.data) {
      plan.push({ row, action: 'revoke', grantData: g.data, entitlementId: g.entitlement_id });
      continue;
    }
    const h = (rv.byPrincipal.get(pk(g.principal_type, g.principal_id)) ?? []).find((x) => x.entitlement.id === g.entitlement_id);
    const sources = [...new Set((h?.paths ?? []).filter((p) => p.length > 0).map((p) => p[0]))];
    const instead = sources.map((s) => `${describeEntitlement(rv, s)} (row ${grantId(s, g.principal_type, g.principal_id)})`);
    // one hop through a group: the group's own grant of this entitlement is the other thing to change
    for (const p of h?.paths ?? []) {
      const e = p.length === 1 ? rv.entitlements.get(p[0]) : undefined;
      if (e?.resourceType === 'group')
        instead.push(`${describeEntitlement(rv, g.entitlement_id)} held by group "${rv.groups.get(e.resourceId)?.name ?? e.resourceId}" (row ${grantId(g.entitlement_id, 'group', e.resourceId)})`);
    }
    plan.push({
      row,
      action: 'refuse',
      reason: `inherited through ${(h ? describeVia(rv, h) : []).join(' | ') || 'another grant'}: it cannot be revoked on its own; decide on ${instead.join(' or ') || 'the group or role it comes through'} instead`,
    });
  }
  return plan;
}
