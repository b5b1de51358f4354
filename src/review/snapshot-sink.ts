/**
 * The SQLite snapshot sink: where the sync loop's results go for the review CLI and the demo
 * (the schema is in store.ts). Every page is stored in one transaction together with the token
 * of the next page (or the step's end) and the warnings it gave, so a killed sync resumes from the
 * last committed page of every step, and skips finished steps. The sync's own bookkeeping (meta:
 * sync id, source, start and end, stats; counts; warnings) is here too.
 */
import { randomUUID } from 'node:crypto';
import { Resource, ResourceId, ResourceType, ResourceType_Trait, Status_ResourceStatus } from '../gen/c1/connector/v2/resource';
import { Entitlement, Entitlement_PurposeValue } from '../gen/c1/connector/v2/entitlement';
import { Grant } from '../gen/c1/connector/v2/grant';
import type { ConnectorMetadata } from '../gen/c1/connector/v2/connector';
import { ChildResourceType } from '../gen/c1/connector/v2/annotation_resource_tree';
import { typeName } from '../connector/annotations';
import { EXPAND_STEP, ListingPhase, Page, SinkCounts, StepState, SyncProgress, SyncSink } from '../client/loop';
import { Db, SnapshotError, finalizeFile, getMeta, openForWrite, setMeta } from './store';
import { expandWithPaths, expansionOf, isProductWide } from './expand';

const STATUS_NAME: Record<number, string> = {
  [Status_ResourceStatus.RESOURCE_STATUS_UNSPECIFIED]: 'unspecified',
  [Status_ResourceStatus.RESOURCE_STATUS_ENABLED]: 'enabled',
  [Status_ResourceStatus.RESOURCE_STATUS_DISABLED]: 'disabled',
  [Status_ResourceStatus.RESOURCE_STATUS_DELETED]: 'deleted',
};

const PURPOSE_NAME: Record<number, string> = {
  [Entitlement_PurposeValue.PURPOSE_VALUE_UNSPECIFIED]: 'unspecified',
  [Entitlement_PurposeValue.PURPOSE_VALUE_ASSIGNMENT]: 'assignment',
  [Entitlement_PurposeValue.PURPOSE_VALUE_PERMISSION]: 'permission',
};

const TRAIT_NAME: Partial<Record<number, string>> = {
  [ResourceType_Trait.TRAIT_USER]: 'user',
  [ResourceType_Trait.TRAIT_GROUP]: 'group',
  [ResourceType_Trait.TRAIT_ROLE]: 'role',
  [ResourceType_Trait.TRAIT_APP]: 'app',
  [ResourceType_Trait.TRAIT_SECRET]: 'secret',
};

export interface SnapshotSource {
  /** 'in-process' (config from flags/env) or 'remote' (--connector) */
  kind: 'in-process' | 'remote';
  /** what a reader sees: the site URL or the connector address */
  label: string;
  /** what must match to resume a partial snapshot (the source and the options that shape its content) */
  identity: string;
}

export class SnapshotSink implements SyncSink {
  readonly syncId: string;
  /** the sync continues one that was interrupted: how far it had come */
  readonly resumedFrom: { listings: number; pages: number } | undefined;
  private live: SinkCounts;
  private closed = false;
  private readonly st;

  private readonly db: Db;

  /**
   * Opens (or creates) the partial snapshot `file` for `source`, and starts or resumes its sync.
   * A file that holds an unfinished sync of another source is refused (SnapshotError).
   */
  constructor(
    private readonly file: string,
    source: SnapshotSource,
    tool: string,
  ) {
    const db = (this.db = openForWrite(file));
    try {
      const identity = getMeta(db, 'source_identity');
      if (identity !== undefined && identity !== source.identity) {
        throw new SnapshotError(`${file} is an unfinished sync of another source (${getMeta(db, 'source') ?? 'unknown'}, options ${identity}): pass --restart to discard it, or choose another --out`);
      }
      const id = getMeta(db, 'sync_id');
      if (id) {
        this.syncId = id;
        setMeta(db, 'resumes', String(Number(getMeta(db, 'resumes') ?? '0') + 1));
        const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
        this.resumedFrom = { listings: n('SELECT COUNT(*) AS n FROM steps WHERE done = 1'), pages: n('SELECT COALESCE(SUM(pages), 0) AS n FROM steps') };
      } else {
        this.syncId = randomUUID();
        db.transaction(() => {
          setMeta(db, 'sync_id', this.syncId);
          setMeta(db, 'started_at', new Date().toISOString());
          setMeta(db, 'status', 'running');
          setMeta(db, 'source_kind', source.kind);
          setMeta(db, 'source', source.label);
          setMeta(db, 'source_identity', source.identity);
          setMeta(db, 'tool', tool);
          setMeta(db, 'resumes', '0');
        })();
      }
    } catch (e) {
      db.close();
      throw e;
    }
    this.st = {
      getStep: db.prepare('SELECT token, pages, done FROM steps WHERE step = ?'),
      insertStep: db.prepare('INSERT OR IGNORE INTO steps (step, phase) VALUES (?, ?)'),
      updateStep: db.prepare('UPDATE steps SET token = ?, pages = pages + 1, done = ? WHERE step = ?'),
      finishStep: db.prepare('UPDATE steps SET done = 1 WHERE step = ?'),
      warn: db.prepare('INSERT INTO warnings (step, message) VALUES (?, ?)'),
      putType: db.prepare('INSERT OR REPLACE INTO resource_types (id, ord, display_name, traits, data) VALUES (?, (SELECT COUNT(*) FROM resource_types), ?, ?, ?)'),
      putResource: db.prepare(
        'INSERT OR REPLACE INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getResource: db.prepare('SELECT data FROM resources WHERE resource_type = ? AND resource_id = ?'),
      putEntitlement: db.prepare('INSERT OR REPLACE INTO entitlements (id, resource_type, resource_id, slug, display_name, purpose, grantable_to, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      putDirect: db.prepare(
        "INSERT OR REPLACE INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, expandable, sources, paths, data) VALUES (?, 'direct', ?, ?, ?, ?, ?, ?, '[]', '[[]]', ?)",
      ),
    };
    this.live = this.recount();
  }

  // ---- the loop's side (SyncSink) ----

  step(step: string): StepState | undefined {
    const row = this.st.getStep.get(step) as { token: string; done: number } | undefined;
    return row && { token: row.token, done: !!row.done };
  }

  page(step: string, page: Page, next: string, warnings: string[]): void {
    this.db.transaction(() => {
      this.st.insertStep.run(step, page.phase);
      switch (page.phase) {
        case 'resource-types':
          for (const t of page.list) this.st.putType.run(t.id, t.displayName, JSON.stringify(t.traits.map((x) => TRAIT_NAME[x] ?? String(x))), Buffer.from(ResourceType.encode(t).finish()));
          break;
        case 'resources':
          for (const r of page.list) this.putResource(r);
          break;
        case 'static-entitlements':
          break;
        case 'entitlements':
          for (const e of page.list) this.putEntitlement(e);
          break;
        case 'grants':
          for (const g of page.list) this.putGrant(g);
          break;
      }
      for (const w of warnings) this.st.warn.run(step, w);
      this.st.updateStep.run(next, next ? 0 : 1, step);
    })();
  }

  skip(step: string, phase: ListingPhase, warning: string): void {
    this.db.transaction(() => {
      this.st.insertStep.run(step, phase);
      this.st.warn.run(step, warning);
      this.st.finishStep.run(step);
    })();
  }

  validated(sdkVersion: string): void {
    setMeta(this.db, 'sdk_version', sdkVersion);
  }

  wantsMetadata(): boolean {
    return getMeta(this.db, 'connector') === undefined;
  }

  metadata(md: ConnectorMetadata | undefined): void {
    setMeta(this.db, 'connector', md?.displayName ?? '');
    if (md) setMeta(this.db, 'connector_description', md.description);
  }

  resourceTypes(): ResourceType[] {
    return (this.db.prepare('SELECT data FROM resource_types ORDER BY ord').all() as { data: Buffer }[]).map((r) => ResourceType.decode(r.data));
  }

  *childListings(): Iterable<{ type: string; parent: ResourceId }> {
    const rows = this.db.prepare("SELECT resource_type, resource_id, child_types FROM resources WHERE child_types <> '[]' ORDER BY resource_type, resource_id").all() as {
      resource_type: string;
      resource_id: string;
      child_types: string;
    }[];
    for (const r of rows) for (const type of JSON.parse(r.child_types) as string[]) yield { type, parent: ResourceId.fromPartial({ resourceType: r.resource_type, resource: r.resource_id }) };
  }

  *resources(): Iterable<Resource> {
    for (const row of this.db.prepare('SELECT data FROM resources ORDER BY resource_type, resource_id').iterate() as IterableIterator<{ data: Buffer }>) yield Resource.decode(row.data);
  }

  resource(id: ResourceId): Resource {
    const row = this.st.getResource.get(id.resourceType, id.resource) as { data: Buffer };
    return Resource.decode(row.data);
  }

  /** Expansion with paths (review/expand.ts), in one transaction with the step's end. */
  expand(): void {
    const db = this.db;
    const entitlements = new Map<string, Entitlement>();
    for (const row of db.prepare('SELECT data FROM entitlements').iterate() as IterableIterator<{ data: Buffer }>) {
      const e = Entitlement.decode(row.data);
      entitlements.set(e.id, e);
    }
    const direct: Grant[] = [];
    for (const row of db.prepare("SELECT data FROM grants WHERE kind = 'direct' ORDER BY id").iterate() as IterableIterator<{ data: Buffer }>) {
      const g = Grant.decode(row.data);
      if (!isProductWide(g, entitlements)) direct.push(g); // kept as the one grant to the product: see isProductWide
    }
    const res = expandWithPaths(direct, entitlements);
    const put = db.prepare(
      "INSERT OR REPLACE INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, expandable, sources, paths, data) VALUES (?, 'expanded', ?, ?, ?, ?, ?, 'null', ?, ?, NULL)",
    );
    const upd = db.prepare("UPDATE grants SET sources = ?, paths = ? WHERE id = ? AND kind = 'direct'");
    db.transaction(() => {
      db.prepare("DELETE FROM grants WHERE kind = 'expanded'").run();
      db.prepare("UPDATE grants SET sources = '[]', paths = '[[]]' WHERE kind = 'direct'").run();
      for (const e of res.expanded) {
        const g = e.grant;
        const rid = g.entitlement!.resource?.id;
        put.run(g.id, g.entitlement!.id, rid?.resourceType ?? '', rid?.resource ?? '', g.principal!.id!.resourceType, g.principal!.id!.resource, JSON.stringify(e.sources), JSON.stringify(e.paths));
      }
      for (const [id, d] of res.direct) upd.run(JSON.stringify(d.sources), JSON.stringify(d.paths), id);
      this.st.insertStep.run(EXPAND_STEP, 'expand');
      this.st.finishStep.run(EXPAND_STEP);
    })();
  }

  counts(exact: boolean): SinkCounts {
    if (exact) this.live = this.recount();
    return { ...this.live, resources: { ...this.live.resources } };
  }

  private putResource(r: Resource): void {
    const id = r.id!;
    const children = r.annotations.filter((a) => typeName(a) === 'c1.connector.v2.ChildResourceType').map((a) => ChildResourceType.decode(a.value).resourceTypeId);
    this.st.putResource.run(
      id.resourceType,
      id.resource,
      r.parentResourceId?.resourceType || null,
      r.parentResourceId?.resource || null,
      r.displayName,
      r.description,
      STATUS_NAME[r.status?.status ?? 0] ?? 'unspecified',
      JSON.stringify(children),
      JSON.stringify(r.profile ?? {}),
      Buffer.from(Resource.encode(r).finish()),
    );
    this.live.resources[id.resourceType] = (this.live.resources[id.resourceType] ?? 0) + 1;
  }

  private putEntitlement(e: Entitlement): void {
    const rid = e.resource?.id;
    this.st.putEntitlement.run(
      e.id,
      rid?.resourceType ?? '',
      rid?.resource ?? '',
      e.slug,
      e.displayName,
      PURPOSE_NAME[e.purpose] ?? String(e.purpose),
      JSON.stringify(e.grantableTo.map((t) => t.id)),
      Buffer.from(Entitlement.encode(e).finish()),
    );
    this.live.entitlements++;
  }

  private putGrant(g: Grant): void {
    const rid = g.entitlement!.resource?.id;
    const p = g.principal!.id!;
    this.st.putDirect.run(
      g.id,
      g.entitlement!.id,
      rid?.resourceType ?? '',
      rid?.resource ?? '',
      p.resourceType,
      p.resource,
      JSON.stringify(expansionOf(g) ?? null),
      Buffer.from(Grant.encode(g).finish()),
    );
    this.live.grants++;
  }

  /** Counts from the snapshot itself. */
  private recount(): SinkCounts {
    const db = this.db;
    const resources: Record<string, number> = {};
    for (const r of db.prepare('SELECT resource_type AS k, COUNT(*) AS n FROM resources GROUP BY resource_type ORDER BY resource_type').all() as { k: string; n: number }[]) resources[r.k] = r.n;
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      resources,
      entitlements: n('SELECT COUNT(*) AS n FROM entitlements'),
      grants: n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'direct'"),
      expanded: n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'expanded'"),
    };
  }

  // ---- the snapshot's side ----

  /** Nothing of the sync is stored yet (it failed before its first page): the file can go. */
  isEmpty(): boolean {
    return !this.closed && !this.db.prepare('SELECT 1 FROM steps LIMIT 1').get();
  }

  /**
   * Ends the sync: writes the counts table and the final meta (status, end, stats), folds the
   * file into one and renames it to `out`. Returns the counts and the warnings.
   */
  finish(out: string, progress: SyncProgress, extra: { durationMs: number; workers: number }): { counts: Record<string, number>; warnings: string[] } {
    const db = this.db;
    const counts = this.writeCounts();
    const warnings = (db.prepare('SELECT message FROM warnings ORDER BY n').all() as { message: string }[]).map((r) => r.message);
    db.transaction(() => {
      setMeta(db, 'finished_at', new Date().toISOString());
      setMeta(db, 'status', 'complete');
      const { calls, pages, retries, rateLimitWaits, waitMs } = progress;
      setMeta(db, 'stats', JSON.stringify({ calls, pages, retries, rateLimitWaits, waitMs, ...extra }));
    })();
    this.closed = true;
    finalizeFile(db, this.file, out);
    return { counts, warnings };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private writeCounts(): Record<string, number> {
    const db = this.db;
    const counts: Record<string, number> = {};
    const ins = db.prepare('INSERT OR REPLACE INTO counts (kind, key, value) VALUES (?, ?, ?)');
    const put = (kind: string, key: string, value: number) => {
      counts[`${kind}:${key}`] = value;
      ins.run(kind, key, value);
    };
    const rows = (sql: string, ...args: string[]) => db.prepare(sql).all(...args) as { k: string; n: number }[];
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    db.transaction(() => {
      db.prepare('DELETE FROM counts').run();
      for (const r of rows('SELECT resource_type AS k, COUNT(*) AS n FROM resources GROUP BY resource_type')) put('resources', r.k, r.n);
      for (const r of rows("SELECT resource_type || ':' || slug AS k, COUNT(*) AS n FROM entitlements GROUP BY 1")) put('entitlements', r.k, r.n);
      for (const kind of ['direct', 'expanded'])
        for (const r of rows(
          "SELECT g.resource_type || ':' || COALESCE(e.slug, '?') AS k, COUNT(*) AS n FROM grants g LEFT JOIN entitlements e ON e.id = g.entitlement_id WHERE g.kind = ? GROUP BY 1",
          kind,
        ))
          put(`grants-${kind}`, r.k, r.n);
      put('total', 'resources', n('SELECT COUNT(*) AS n FROM resources'));
      put('total', 'entitlements', n('SELECT COUNT(*) AS n FROM entitlements'));
      put('total', 'grants-direct', n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'direct'"));
      put('total', 'grants-expanded', n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'expanded'"));
    })();
    return counts;
  }
}
