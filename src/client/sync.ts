/**
 * A full sync through the c1.connector.v2 contract into memory: the one sync loop
 * (src/client/loop.ts) with the in-memory sink. Used by the tests and the benchmark; the review
 * CLI and the demo run the same loop into a SQLite snapshot (src/review/sync.ts).
 */
import type { ConnectorClient } from './connector-client';
import { LoopOptions, runSyncLoop } from './loop';
import { MemorySink, SyncResult } from './memory-sink';

export type { SyncResult } from './memory-sink';

export type SyncOptions = Omit<LoopOptions, 'resumed'> & {
  /** 'count': expansion is counted, not kept (SyncResult.expanded stays empty) */
  expansion?: 'keep' | 'count';
};

export async function runSync(client: ConnectorClient, opts: SyncOptions = {}): Promise<SyncResult> {
  const { expansion, ...loop } = opts;
  const sink = new MemorySink(expansion === 'count');
  const stats = await runSyncLoop(client, sink, loop);
  return sink.result(stats);
}
