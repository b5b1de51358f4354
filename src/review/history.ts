/**
 * "Since when": a history store beside the snapshots (issue 18). Each finished snapshot recorded
 * in it (`sync --history <db>`, or `history <db> <snapshot>` for earlier ones) updates, for every
 * grant (direct and through groups and roles) and every account:
 *   first_seen — the first recorded sync that saw it;
 *   since      — the start of its current unbroken run (reset when it was missing from the sync before);
 *   last_seen  — the last recorded sync that saw it.
 * Dates are the syncs' finish times. Snapshots are recorded in order (an older one after a newer
 * is refused), each once (recording it again changes nothing), and only from one source (the
 * snapshot's source identity: another site is refused). The report reads it (`report --history`)
 * for the dates, and for the trend of accounts and findings across reviews.
 */
import type { Db } from './store';
import { allMeta, openSnapshot, sqlite } from './store';

const HISTORY_VERSION = '1';

/** A problem with the history file or the order of snapshots: the CLI exits 2 naming it. */
export class HistoryError extends Error {}

export interface HistoryDates {
  firstSeen: string;
  since: string;
  lastSeen: string;
}

export interface HistorySync {
  syncId: string;
  finishedAt: string;
  people: number;
  grants: number;
  /** the report's findings for this sync, when a report was made with this history */
  findings?: number;
}

function openHistory(file: string): Db {
  const Database = sqlite();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS syncs (sync_id TEXT PRIMARY KEY, finished_at TEXT NOT NULL, people INTEGER NOT NULL, grants INTEGER NOT NULL, findings INTEGER);
    CREATE TABLE IF NOT EXISTS grants (
      entitlement_id TEXT NOT NULL, principal_type TEXT NOT NULL, principal_id TEXT NOT NULL,
      first_seen TEXT NOT NULL, since TEXT NOT NULL, last_seen TEXT NOT NULL, last_sync TEXT NOT NULL,
      PRIMARY KEY (entitlement_id, principal_type, principal_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, first_seen TEXT NOT NULL, since TEXT NOT NULL, last_seen TEXT NOT NULL, last_sync TEXT NOT NULL) WITHOUT ROWID;
  `);
  const v = (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value;
  if (v === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(HISTORY_VERSION);
  else if (v !== HISTORY_VERSION) {
    db.close();
    throw new HistoryError(`${file} is a history of schema version ${v}; this tool reads version ${HISTORY_VERSION}`);
  }
  return db;
}

function meta(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

export interface RecordResult {
  recorded: boolean;
  /** why nothing changed, when it did not */
  note?: string;
  grants: number;
  newGrants: number;
}

/** Records one finished snapshot in the history (created when missing). */
export function recordSnapshot(historyFile: string, snapshotFile: string): RecordResult {
  const snap = openSnapshot(snapshotFile);
  const h = openHistory(historyFile);
  try {
    const m = allMeta(snap);
    const syncId = m.sync_id ?? '';
    const at = m.finished_at ?? '';
    if (!syncId || !at) throw new HistoryError(`${snapshotFile} has no sync id or finish time`);
    const identity = m.source_identity ?? m.source ?? '';
    const known = meta(h, 'source_identity');
    if (known !== undefined && known !== identity)
      throw new HistoryError(`${historyFile} records another source (${meta(h, 'source') ?? 'unknown'}); ${snapshotFile} comes from ${m.source ?? 'unknown'}: use one history per site and options`);
    if (h.prepare('SELECT 1 FROM syncs WHERE sync_id = ?').get(syncId)) return { recorded: false, note: 'this snapshot is already recorded', grants: 0, newGrants: 0 };
    const latest = h.prepare('SELECT sync_id, finished_at FROM syncs ORDER BY finished_at DESC LIMIT 1').get() as { sync_id: string; finished_at: string } | undefined;
    if (latest && latest.finished_at > at)
      throw new HistoryError(`${historyFile} already has a later sync (${latest.finished_at}) than ${snapshotFile} (${at}): record snapshots in the order they were taken`);
    const prev = latest?.sync_id ?? '';
    const upsertGrant = h.prepare(`INSERT INTO grants (entitlement_id, principal_type, principal_id, first_seen, since, last_seen, last_sync) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (entitlement_id, principal_type, principal_id) DO UPDATE SET since = CASE WHEN last_sync = ? THEN since ELSE excluded.since END, last_seen = excluded.last_seen, last_sync = excluded.last_sync`);
    const upsertAccount = h.prepare(`INSERT INTO accounts (account_id, first_seen, since, last_seen, last_sync) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (account_id) DO UPDATE SET since = CASE WHEN last_sync = ? THEN since ELSE excluded.since END, last_seen = excluded.last_seen, last_sync = excluded.last_sync`);
    const isNew = h.prepare('SELECT 1 FROM grants WHERE entitlement_id = ? AND principal_type = ? AND principal_id = ?');
    let grants = 0;
    let newGrants = 0;
    let people = 0;
    h.transaction(() => {
      if (known === undefined) {
        h.prepare("INSERT INTO meta (key, value) VALUES ('source_identity', ?), ('source', ?)").run(identity, m.source ?? '');
      }
      for (const g of snap.prepare('SELECT DISTINCT entitlement_id, principal_type, principal_id FROM grants').iterate() as IterableIterator<{
        entitlement_id: string;
        principal_type: string;
        principal_id: string;
      }>) {
        if (!isNew.get(g.entitlement_id, g.principal_type, g.principal_id)) newGrants++;
        upsertGrant.run(g.entitlement_id, g.principal_type, g.principal_id, at, at, at, syncId, prev);
        grants++;
      }
      for (const u of snap.prepare("SELECT resource_id FROM resources WHERE resource_type = 'user'").iterate() as IterableIterator<{ resource_id: string }>) {
        upsertAccount.run(u.resource_id, at, at, at, syncId, prev);
        people++;
      }
      h.prepare('INSERT INTO syncs (sync_id, finished_at, people, grants) VALUES (?, ?, ?, ?)').run(syncId, at, people, grants);
    })();
    return { recorded: true, grants, newGrants };
  } finally {
    h.close();
    snap.close();
  }
}

export interface History {
  /** by "<entitlementId>\0<principalType>\0<principalId>" */
  grants: Map<string, HistoryDates>;
  accounts: Map<string, HistoryDates>;
  syncs: HistorySync[];
}

export const historyKey = (entitlementId: string, principalType: string, principalId: string) => `${entitlementId}\u0000${principalType}\u0000${principalId}`;

/** Reads the history for a report of `syncId` (which must be recorded in it). */
export function readHistory(historyFile: string, syncId: string): History {
  const h = openHistory(historyFile);
  try {
    if (!h.prepare('SELECT 1 FROM syncs WHERE sync_id = ?').get(syncId))
      throw new HistoryError(`${historyFile} does not record this snapshot's sync (${syncId}): record it first (sync --history, or the history command)`);
    const latest = (h.prepare('SELECT sync_id FROM syncs ORDER BY finished_at DESC LIMIT 1').get() as { sync_id: string }).sync_id;
    if (latest !== syncId) throw new HistoryError(`${historyFile} has later syncs than this snapshot's: dates from a history are for a report of its latest snapshot`);
    const grants = new Map<string, HistoryDates>();
    for (const g of h.prepare('SELECT entitlement_id, principal_type, principal_id, first_seen, since, last_seen FROM grants WHERE last_sync = ?').iterate(syncId) as IterableIterator<{
      entitlement_id: string;
      principal_type: string;
      principal_id: string;
      first_seen: string;
      since: string;
      last_seen: string;
    }>)
      grants.set(historyKey(g.entitlement_id, g.principal_type, g.principal_id), { firstSeen: g.first_seen, since: g.since, lastSeen: g.last_seen });
    const accounts = new Map<string, HistoryDates>();
    for (const a of h.prepare('SELECT account_id, first_seen, since, last_seen FROM accounts WHERE last_sync = ?').iterate(syncId) as IterableIterator<{
      account_id: string;
      first_seen: string;
      since: string;
      last_seen: string;
    }>)
      accounts.set(a.account_id, { firstSeen: a.first_seen, since: a.since, lastSeen: a.last_seen });
    const syncs = (
      h.prepare('SELECT sync_id, finished_at, people, grants, findings FROM syncs ORDER BY finished_at').all() as {
        sync_id: string;
        finished_at: string;
        people: number;
        grants: number;
        findings: number | null;
      }[]
    ).map((s) => ({ syncId: s.sync_id, finishedAt: s.finished_at, people: s.people, grants: s.grants, findings: s.findings ?? undefined }));
    return { grants, accounts, syncs };
  } finally {
    h.close();
  }
}

/** Stores a report's findings count for its sync (the trend across reviews). */
export function recordFindings(historyFile: string, syncId: string, findings: number): void {
  const h = openHistory(historyFile);
  try {
    h.prepare('UPDATE syncs SET findings = ? WHERE sync_id = ?').run(findings, syncId);
  } finally {
    h.close();
  }
}
