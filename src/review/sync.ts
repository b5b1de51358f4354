/**
 * A resumable full sync into a snapshot: the one sync loop (src/client/loop.ts, the order and
 * rules of the Baton syncer) with the SQLite snapshot sink (snapshot-sink.ts).
 *
 * While it runs, the snapshot is `<out>.partial`, locked by `<out>.partial.lock` (lock.ts). Every
 * listing is a step stored with its next page token, so after a crash or a kill the next run with
 * the same output continues from the last committed page of every step, and skips finished steps.
 * The connector keeps no sync state (its page tokens hold everything), so a new server process
 * answers those tokens as the old one would. A sync that fails before it stored anything (Validate
 * refused, the server down) leaves no `.partial` behind, so the corrected rerun starts clean.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConnectorClient } from '../client/connector-client';
import { runSyncLoop, SyncProgress } from '../client/loop';
import { packageInfo } from '../pkg';
import { SnapshotError, getMeta, openSnapshot, partialPath, removeSnapshotFiles } from './store';
import { lockSnapshot } from './lock';
import { SnapshotSink, SnapshotSource } from './snapshot-sink';

export type { SnapshotSource } from './snapshot-sink';

export interface SnapshotSyncOptions {
  out: string;
  source: SnapshotSource;
  workers?: number;
  /** discard an unfinished sync of the same output instead of resuming it */
  restart?: boolean;
  /** replace an existing finished snapshot at `out` */
  overwrite?: boolean;
  maxAttempts?: number;
  maxWaitMs?: number;
  onProgress?: (p: SyncProgress) => void;
  /** a sentence per notable event (start, resume, phase ends, warnings, retries) */
  onLog?: (line: string) => void;
  /** retry waits and the clock (tests inject them) */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface SnapshotSyncResult {
  file: string;
  syncId: string;
  resumed: boolean;
  progress: SyncProgress;
  warnings: string[];
  counts: Record<string, number>;
  durationMs: number;
}

/**
 * Runs (or resumes) a sync into `<out>.partial` and renames it to `out` when it finishes.
 * Throws SnapshotError for file problems (exit 2 in the CLI) and SyncError for contract failures.
 */
export async function syncSnapshot(client: ConnectorClient, opts: SnapshotSyncOptions): Promise<SnapshotSyncResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const workers = Math.max(1, opts.workers ?? 4);
  const log = (s: string) => opts.onLog?.(s);
  const out = opts.out;
  const partial = partialPath(out);

  if (existsSync(out) && !opts.overwrite) {
    let what = 'a file';
    try {
      const db = openSnapshot(out, { allowPartial: true });
      what = `a snapshot finished ${getMeta(db, 'finished_at') ?? '(unknown)'}`;
      db.close();
    } catch {
      /* not a snapshot: still refuse to clobber it */
    }
    throw new SnapshotError(`${out} already exists (${what}): choose another --out, or pass --overwrite to replace it when this sync finishes`);
  }
  mkdirSync(dirname(partial), { recursive: true });
  const unlock = lockSnapshot(partial);
  try {
    if (opts.restart) removeSnapshotFiles(partial);
    const sink = new SnapshotSink(partial, opts.source, `${packageInfo().name} ${packageInfo().version}`);
    try {
      const from = sink.resumedFrom;
      if (from) log(`resuming sync ${sink.syncId} of ${opts.source.label} from ${partial}: ${from.listings} listings finished, ${from.pages} pages stored`);
      else log(`sync ${sink.syncId} of ${opts.source.label} into ${partial}`);
      const progress = await runSyncLoop(client, sink, {
        workers,
        maxAttempts: opts.maxAttempts,
        maxWaitMs: opts.maxWaitMs,
        resumed: !!from,
        onProgress: opts.onProgress,
        onLog: opts.onLog,
        sleep: opts.sleep,
        now: opts.now,
      });
      if (opts.overwrite) removeSnapshotFiles(out);
      const { counts, warnings } = sink.finish(out, progress, { durationMs: now() - started, workers });
      return { file: out, syncId: sink.syncId, resumed: !!from, progress, warnings, counts, durationMs: now() - started };
    } catch (e) {
      if (sink.isEmpty()) {
        // failed before its first page: nothing to resume, so nothing left to block the next run
        sink.close();
        removeSnapshotFiles(partial);
      }
      throw e;
    } finally {
      sink.close();
    }
  } finally {
    unlock();
  }
}
