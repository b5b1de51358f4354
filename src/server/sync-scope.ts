/**
 * The sync a listing call belongs to. A syncer that sends active_sync_id names it; an older host
 * sends none, and then every listing call would be a call of no sync: nothing cached, nothing
 * prefetched, each project's lead and scheme read again, each group's member pages fetched on
 * demand one round trip at a time.
 *
 * AnonymousSyncs gives such calls a sync of their own, told apart by the call sequence alone: a
 * sync starts with ListResourceTypes and lists grants after it lists resources, so a
 * ListResourceTypes that comes after a ListGrants of the current anonymous sync starts the next one
 * (and the previous one's state is dropped as if Cleanup had come; a Cleanup without an id ends the
 * current one). The id is made here, with a random part a caller cannot guess, so no caller-sent
 * id can name it. Only the listing calls (ListResourceTypes, ListResources, ListEntitlements,
 * ListStaticEntitlements, ListGrants) and Cleanup belong to it; GetResource, writes and actions
 * stay outside any sync and read upstream afresh.
 *
 * Two syncs without ids at once share one anonymous sync: they read the same tenant, so sharing the
 * cached reads is harmless, and each read is still made at most once.
 */
import { randomBytes } from 'node:crypto';

export type SyncCall = 'ListResourceTypes' | 'ListResources' | 'ListEntitlements' | 'ListStaticEntitlements' | 'ListGrants' | 'Cleanup';

export class AnonymousSyncs {
  private readonly nonce = randomBytes(9).toString('base64url');
  private generation = 1;
  private listedGrants = false;

  constructor(private readonly drop: (activeSyncId: string) => Promise<void>) {}

  /** the id of the current anonymous sync */
  get current(): string {
    return `anonymous-sync/${this.nonce}/${this.generation}`;
  }

  /** The anonymous sync a call without active_sync_id belongs to; may start the next one. */
  idFor(call: SyncCall): string {
    if (call === 'ListResourceTypes' && this.listedGrants) this.next();
    if (call === 'ListGrants') this.listedGrants = true;
    return this.current;
  }

  /** Cleanup without an id: the current anonymous sync ends (the caller drops its state). */
  ended(): void {
    this.generation++;
    this.listedGrants = false;
  }

  private next(): void {
    const old = this.current;
    this.ended();
    void this.drop(old).catch(() => undefined);
  }
}
