/**
 * The snapshot: one SQLite file (better-sqlite3) holding what a sync saw.
 *
 *   meta            key/value: schema version, sync id, source, timestamps, status, stats
 *   steps           sync progress: one row per paged listing (its next page token, pages read, done)
 *   resource_types  ListResourceTypes, as returned (data = protobuf bytes)
 *   resources       every resource, with its parent, profile (JSON) and protobuf bytes
 *   entitlements    every entitlement
 *   grants          direct grants (kind 'direct', as the connector returned them) and grants
 *                   created by expansion (kind 'expanded'); `sources` = the entitlement ids the
 *                   principal's access came through, `paths` = every chain of entitlements from one
 *                   the principal holds directly to this one (JSON arrays, [] for a plain direct grant)
 *   counts          per-type resource counts, grants per "<type>:<slug>" (direct and expanded)
 *   warnings        what the sync skipped (NOT_FOUND answers), with the step
 *
 * A sync writes every page in one transaction together with the page token that follows it, so
 * a killed sync resumes from its last committed page. While it runs, the file is `<out>.partial`;
 * a finished sync is checkpointed into a single file and renamed to `<out>`.
 */
import type DatabaseCtor from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';

export type Db = DatabaseCtor.Database;

export const SCHEMA_VERSION = 1;
export const CONTENT_TABLES = ['resource_types', 'resources', 'entitlements', 'grants', 'counts'] as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
  step TEXT PRIMARY KEY,
  phase TEXT NOT NULL,
  token TEXT NOT NULL DEFAULT '',
  pages INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS resource_types (
  id TEXT PRIMARY KEY,
  ord INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  traits TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  parent_type TEXT,
  parent_id TEXT,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  child_types TEXT NOT NULL,
  profile TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (resource_type, resource_id)
);
CREATE TABLE IF NOT EXISTS entitlements (
  id TEXT PRIMARY KEY,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  display_name TEXT NOT NULL,
  purpose TEXT NOT NULL,
  grantable_to TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS entitlements_resource ON entitlements (resource_type, resource_id);
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('direct', 'expanded')),
  entitlement_id TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  principal_type TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  expandable TEXT NOT NULL DEFAULT '[]',
  sources TEXT NOT NULL DEFAULT '[]',
  paths TEXT NOT NULL DEFAULT '[]',
  data BLOB
);
CREATE INDEX IF NOT EXISTS grants_principal ON grants (principal_type, principal_id);
CREATE INDEX IF NOT EXISTS grants_entitlement ON grants (entitlement_id);
CREATE TABLE IF NOT EXISTS counts (kind TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS warnings (n INTEGER PRIMARY KEY AUTOINCREMENT, step TEXT NOT NULL, message TEXT NOT NULL);
`;

let ctor: typeof DatabaseCtor | undefined;

/** better-sqlite3, loaded on first use (the server never needs it). */
export function sqlite(): typeof DatabaseCtor {
  if (!ctor) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ctor = require('better-sqlite3') as typeof DatabaseCtor;
    } catch (e) {
      throw new Error(`better-sqlite3 is not installed or did not build (${(e as Error).message.split('\n')[0]}): run \`npm ci\` in the repository`);
    }
  }
  return ctor;
}

export class SnapshotError extends Error {}

export function partialPath(out: string): string {
  return `${out}.partial`;
}

/** Opens a snapshot for writing (a new or a partial one); creates the schema. */
export function openForWrite(file: string): Db {
  const D = sqlite();
  const db = new D(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const v = getMeta(db, 'schema_version');
  if (v === undefined) setMeta(db, 'schema_version', String(SCHEMA_VERSION));
  else if (Number(v) !== SCHEMA_VERSION) throw new SnapshotError(`${file} was written with snapshot schema ${v}; this version reads ${SCHEMA_VERSION}`);
  return db;
}

/** Opens a finished snapshot read-only and checks it is one. */
export function openSnapshot(file: string, opts: { allowPartial?: boolean } = {}): Db {
  if (!existsSync(file)) {
    const hint = existsSync(partialPath(file)) ? ` (an unfinished sync left ${partialPath(file)}: run \`sync\` again with the same --out to finish it)` : '';
    throw new SnapshotError(`no snapshot at ${file}${hint}`);
  }
  const D = sqlite();
  let db: Db;
  try {
    db = new D(file, { readonly: true, fileMustExist: true });
    db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
  } catch (e) {
    throw new SnapshotError(`${file} is not a snapshot (${(e as Error).message})`);
  }
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) {
    db.close();
    throw new SnapshotError(`${file} is not a snapshot written by this tool`);
  }
  const v = getMeta(db, 'schema_version');
  if (Number(v) !== SCHEMA_VERSION) {
    db.close();
    throw new SnapshotError(`${file} has snapshot schema ${v ?? 'none'}; this version reads ${SCHEMA_VERSION}`);
  }
  if (!opts.allowPartial && getMeta(db, 'status') !== 'complete') {
    db.close();
    throw new SnapshotError(`${file} holds an unfinished sync: run \`sync\` again with the same --out to finish it`);
  }
  return db;
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function allMeta(db: Db): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[]) out[r.key] = r.value;
  return out;
}

/** Folds the WAL into the main file, leaves a single self-contained file and renames it into place. */
export function finalizeFile(db: Db, from: string, to: string): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = DELETE');
  db.close();
  for (const suffix of ['-wal', '-shm']) rmSync(from + suffix, { force: true });
  renameSync(from, to);
}

export function removeSnapshotFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
}

/**
 * The content of a snapshot, in a canonical order: every row of the content tables (what was
 * synced, not when or how). Two syncs of the same tenant give equal dumps.
 */
export function contentDump(db: Db): Record<string, unknown[]> {
  const order: Record<string, string> = {
    resource_types: 'id',
    resources: 'resource_type, resource_id',
    entitlements: 'id',
    grants: 'id',
    counts: 'kind, key',
  };
  const out: Record<string, unknown[]> = {};
  for (const t of CONTENT_TABLES) {
    out[t] = (db.prepare(`SELECT * FROM ${t} ORDER BY ${order[t]}`).all() as Record<string, unknown>[]).map((row) => {
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) r[k] = Buffer.isBuffer(v) ? v.toString('base64') : v;
      return r;
    });
  }
  return out;
}
