/**
 * The long-running server's heap policy. A sync's calls allocate in bursts: when the syncer's
 * workers consume prefetched results as fast as they can, the gRPC answers and their grants are
 * garbage within milliseconds, but V8's default policy grows the heap instead of collecting and a
 * process whose live heap is about 50 MB peaked at 300 MB RSS (tier L, the SDK syncer with 4
 * workers, docs/PERFORMANCE.md). `--optimize-for-size` makes V8 collect before growing: the same
 * run peaked at 139 MB with no change in wall time (the server waits on Atlassian, not on the CPU).
 *
 * Set at run time (V8 reads it on each heap-growth decision; NODE_OPTIONS does not accept it), by
 * `serve` only: the CLI's one-shot commands keep the default, faster policy.
 */
import { setFlagsFromString } from 'node:v8';

export function preferSmallHeap(): void {
  setFlagsFromString('--optimize-for-size');
}
