/**
 * A resumable full sync into a snapshot, through the c1.connector.v2 client.
 *
 * The loop is the one the platform runs (and src/client/sync.ts runs in memory): Validate →
 * ListResourceTypes → ListResources per type, then per parent for every ChildResourceType →
 * ListStaticEntitlements per type → ListEntitlements per resource → ListGrants per resource →
 * grant expansion → Cleanup, with the same rules (trait annotations required, skip annotations
 * honoured, UNAVAILABLE retried on the RateLimitDescription's schedule, NOT_FOUND a warning).
 *
 * Every listing is a step. Each page is stored in one transaction together with the token of
 * the next page (or the step's end), so after a crash or a kill the next run with the same
 * output continues from the last committed page of every step, and skips finished steps. The
 * connector keeps no sync state (its page tokens hold everything), so a new server process
 * answers those tokens as the old one would.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { ConnectorClient } from '../client/connector-client';
import { checkTraits, retryDelay, SyncError } from '../client/sync';
import { Resource, ResourceType, ResourceType_Trait, ResourcesServiceListResourcesRequest, ResourceTypesServiceListResourceTypesRequest, Status_ResourceStatus } from '../gen/c1/connector/v2/resource';
import { Entitlement, EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest, Entitlement_PurposeValue } from '../gen/c1/connector/v2/entitlement';
import { Grant, GrantsServiceListGrantsRequest } from '../gen/c1/connector/v2/grant';
import { ConnectorServiceCleanupRequest } from '../gen/c1/connector/v2/connector';
import { ChildResourceType } from '../gen/c1/connector/v2/annotation_resource_tree';
import { hasAnnotation, typeName } from '../connector/annotations';
import { packageInfo } from '../pkg';
import { Db, SnapshotError, finalizeFile, getMeta, openForWrite, openSnapshot, partialPath, removeSnapshotFiles, setMeta } from './store';
import { expandWithPaths, expansionOf } from './expand';

export type Phase = 'validate' | 'resource-types' | 'resources' | 'static-entitlements' | 'entitlements' | 'grants' | 'expand' | 'done';

export interface SnapshotProgress {
  phase: Phase;
  /** steps (listings) finished in this phase, and how many the phase has so far */
  phaseDone: number;
  phaseTotal: number;
  /** resources per type, entitlements, direct and expanded grants in the snapshot */
  resources: Record<string, number>;
  entitlements: number;
  grants: number;
  expanded: number;
  /** this run: gRPC calls, pages stored, retries after UNAVAILABLE, and time spent waiting on rate limits */
  calls: number;
  pages: number;
  retries: number;
  rateLimitWaits: number;
  waitMs: number;
  /** the run continues an interrupted sync */
  resumed: boolean;
}

export interface SnapshotSource {
  /** 'in-process' (config from flags/env) or 'remote' (--connector) */
  kind: 'in-process' | 'remote';
  /** what a reader sees: the site URL or the connector address */
  label: string;
  /** what must match to resume a partial snapshot (the source and the options that shape its content) */
  identity: string;
}

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
  onProgress?: (p: SnapshotProgress) => void;
  /** a sentence per notable event (start, resume, phase ends, warnings) */
  onLog?: (line: string) => void;
}

export interface SnapshotSyncResult {
  file: string;
  syncId: string;
  resumed: boolean;
  progress: SnapshotProgress;
  warnings: string[];
  counts: Record<string, number>;
  durationMs: number;
}

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

const stepKey = (...parts: string[]) => JSON.stringify(parts);

/**
 * Runs (or resumes) a sync into `<out>.partial` and renames it to `out` when it finishes.
 * Throws SnapshotError for file problems (exit 2 in the CLI) and SyncError for contract failures.
 */
export async function syncSnapshot(client: ConnectorClient, opts: SnapshotSyncOptions): Promise<SnapshotSyncResult> {
  const started = Date.now();
  const workers = Math.max(1, opts.workers ?? 4);
  const maxAttempts = opts.maxAttempts ?? 50;
  const maxWaitMs = opts.maxWaitMs ?? 60000;
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
    return await syncLocked(client, opts, { started, workers, maxAttempts, maxWaitMs, log, out, partial });
  } finally {
    unlock();
  }
}

/**
 * One writer per output: `<out>.partial.lock` holds the writer's pid. A lock whose process is gone
 * (a killed sync) is taken over; a live one makes the second sync stop with a clear error.
 */
function lockSnapshot(partial: string): () => void {
  const lock = `${partial}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid} ${hostname()}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host] = readFileSync(lock, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      let alive = host !== hostname(); // another machine's lock: cannot tell, so respect it
      if (!alive && Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (k) {
          alive = (k as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new SnapshotError(`another sync (pid ${pidText} on ${host ?? 'unknown host'}) is writing ${partial}; wait for it, or remove ${lock} if that sync is gone`);
      rmSync(lock, { force: true }); // left behind by a sync that was killed
    }
  }
  throw new SnapshotError(`could not lock ${partial}`);
}

interface SyncRun {
  started: number;
  workers: number;
  maxAttempts: number;
  maxWaitMs: number;
  log: (s: string) => void;
  out: string;
  partial: string;
}

async function syncLocked(client: ConnectorClient, opts: SnapshotSyncOptions, run: SyncRun): Promise<SnapshotSyncResult> {
  const { started, workers, maxAttempts, maxWaitMs, log, out, partial } = run;
  if (opts.restart) removeSnapshotFiles(partial);

  const resumed = existsSync(partial);
  const db = openForWrite(partial);
  let closed = false;
  const closeDb = () => {
    if (!closed) {
      closed = true;
      db.close();
    }
  };
  try {
    if (resumed) {
      const identity = getMeta(db, 'source_identity');
      if (identity !== undefined && identity !== opts.source.identity) {
        throw new SnapshotError(
          `${partial} is an unfinished sync of another source (${getMeta(db, 'source') ?? 'unknown'}, options ${identity}): pass --restart to discard it, or choose another --out`,
        );
      }
    }
    const tx = <T>(fn: () => T): T => db.transaction(fn)();
    let syncId = getMeta(db, 'sync_id');
    if (!syncId) {
      syncId = randomUUID();
      tx(() => {
        setMeta(db, 'sync_id', syncId!);
        setMeta(db, 'started_at', new Date().toISOString());
        setMeta(db, 'status', 'running');
        setMeta(db, 'source_kind', opts.source.kind);
        setMeta(db, 'source', opts.source.label);
        setMeta(db, 'source_identity', opts.source.identity);
        setMeta(db, 'tool', `${packageInfo().name} ${packageInfo().version}`);
        setMeta(db, 'resumes', '0');
      });
      log(`sync ${syncId} of ${opts.source.label} into ${partial}`);
    } else {
      const n = Number(getMeta(db, 'resumes') ?? '0') + 1;
      setMeta(db, 'resumes', String(n));
      const done = (db.prepare('SELECT COUNT(*) AS n FROM steps WHERE done = 1').get() as { n: number }).n;
      const pages = (db.prepare('SELECT COALESCE(SUM(pages), 0) AS n FROM steps').get() as { n: number }).n;
      log(`resuming sync ${syncId} of ${opts.source.label} from ${partial}: ${done} listings finished, ${pages} pages stored`);
    }

    const loop = new SnapshotLoop(client, db, syncId, { workers, maxAttempts, maxWaitMs, resumed, onProgress: opts.onProgress, log });
    await loop.run();

    const counts = writeCounts(db);
    const warnings = (db.prepare('SELECT message FROM warnings ORDER BY n').all() as { message: string }[]).map((r) => r.message);
    loop.recount();
    const progress = loop.snapshotProgress('done');
    tx(() => {
      setMeta(db, 'finished_at', new Date().toISOString());
      setMeta(db, 'status', 'complete');
      setMeta(
        db,
        'stats',
        JSON.stringify({
          calls: progress.calls,
          pages: progress.pages,
          retries: progress.retries,
          rateLimitWaits: progress.rateLimitWaits,
          waitMs: progress.waitMs,
          durationMs: Date.now() - started,
          workers,
        }),
      );
    });
    closed = true;
    if (opts.overwrite) removeSnapshotFiles(out);
    finalizeFile(db, partial, out);
    return { file: out, syncId, resumed, progress, warnings, counts, durationMs: Date.now() - started };
  } finally {
    closeDb();
  }
}

function writeCounts(db: Db): Record<string, number> {
  const counts: Record<string, number> = {};
  const put = (kind: string, key: string, value: number) => {
    counts[`${kind}:${key}`] = value;
    db.prepare('INSERT OR REPLACE INTO counts (kind, key, value) VALUES (?, ?, ?)').run(kind, key, value);
  };
  db.transaction(() => {
    db.prepare('DELETE FROM counts').run();
    for (const r of db.prepare('SELECT resource_type AS k, COUNT(*) AS n FROM resources GROUP BY resource_type').all() as { k: string; n: number }[]) put('resources', r.k, r.n);
    for (const r of db.prepare("SELECT resource_type || ':' || slug AS k, COUNT(*) AS n FROM entitlements GROUP BY 1").all() as { k: string; n: number }[]) put('entitlements', r.k, r.n);
    for (const kind of ['direct', 'expanded'])
      for (const r of db
        .prepare("SELECT g.resource_type || ':' || COALESCE(e.slug, '?') AS k, COUNT(*) AS n FROM grants g LEFT JOIN entitlements e ON e.id = g.entitlement_id WHERE g.kind = ? GROUP BY 1")
        .all(kind) as { k: string; n: number }[])
        put(`grants-${kind}`, r.k, r.n);
    put('total', 'resources', (db.prepare('SELECT COUNT(*) AS n FROM resources').get() as { n: number }).n);
    put('total', 'entitlements', (db.prepare('SELECT COUNT(*) AS n FROM entitlements').get() as { n: number }).n);
    put('total', 'grants-direct', (db.prepare("SELECT COUNT(*) AS n FROM grants WHERE kind = 'direct'").get() as { n: number }).n);
    put('total', 'grants-expanded', (db.prepare("SELECT COUNT(*) AS n FROM grants WHERE kind = 'expanded'").get() as { n: number }).n);
  })();
  return counts;
}

interface LoopOptions {
  workers: number;
  maxAttempts: number;
  maxWaitMs: number;
  resumed: boolean;
  onProgress?: (p: SnapshotProgress) => void;
  log: (s: string) => void;
}

class SnapshotLoop {
  private calls = 0;
  private pages = 0;
  private retries = 0;
  private rateLimitWaits = 0;
  private waitMs = 0;
  private phase: Phase = 'validate';
  private phaseDone = 0;
  private phaseTotal = 0;
  private lastEmit = 0;
  private types: ResourceType[] = [];
  /** counts shown while the sync runs (the snapshot's own counts are recomputed at the end) */
  private live = { resources: {} as Record<string, number>, entitlements: 0, grants: 0, expanded: 0 };
  /** NOT_FOUND answers per step, stored with the step's end in one transaction */
  private readonly notFound = new Map<string, string>();
  private typeById = new Map<string, ResourceType>();

  private readonly st;

  constructor(
    private readonly client: ConnectorClient,
    private readonly db: Db,
    private readonly syncId: string,
    private readonly o: LoopOptions,
  ) {
    this.st = {
      getStep: db.prepare('SELECT token, pages, done FROM steps WHERE step = ?'),
      insertStep: db.prepare('INSERT OR IGNORE INTO steps (step, phase) VALUES (?, ?)'),
      updateStep: db.prepare('UPDATE steps SET token = ?, pages = pages + 1, done = ? WHERE step = ?'),
      finishStep: db.prepare('UPDATE steps SET done = 1 WHERE step = ?'),
      warn: db.prepare('INSERT INTO warnings (step, message) VALUES (?, ?)'),
      countType: db.prepare('INSERT OR REPLACE INTO resource_types (id, ord, display_name, traits, data) VALUES (?, (SELECT COUNT(*) FROM resource_types), ?, ?, ?)'),
      putResource: db.prepare(
        'INSERT OR REPLACE INTO resources (resource_type, resource_id, parent_type, parent_id, display_name, description, status, child_types, profile, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      putEntitlement: db.prepare('INSERT OR REPLACE INTO entitlements (id, resource_type, resource_id, slug, display_name, purpose, grantable_to, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      putDirect: db.prepare(
        "INSERT OR REPLACE INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, expandable, sources, paths, data) VALUES (?, 'direct', ?, ?, ?, ?, ?, ?, '[]', '[[]]', ?)",
      ),
    };
  }

  /** Recounts from the snapshot (at the start, after resuming, and at the end). */
  recount(): void {
    const resources: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT resource_type AS k, COUNT(*) AS n FROM resources GROUP BY resource_type ORDER BY resource_type').all() as { k: string; n: number }[]) resources[r.k] = r.n;
    const n = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.live = {
      resources,
      entitlements: n('SELECT COUNT(*) AS n FROM entitlements'),
      grants: n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'direct'"),
      expanded: n("SELECT COUNT(*) AS n FROM grants WHERE kind = 'expanded'"),
    };
  }

  snapshotProgress(phase = this.phase): SnapshotProgress {
    return {
      phase,
      phaseDone: this.phaseDone,
      phaseTotal: this.phaseTotal,
      resources: { ...this.live.resources },
      entitlements: this.live.entitlements,
      grants: this.live.grants,
      expanded: this.live.expanded,
      calls: this.calls,
      pages: this.pages,
      retries: this.retries,
      rateLimitWaits: this.rateLimitWaits,
      waitMs: this.waitMs,
      resumed: this.o.resumed,
    };
  }

  private emit(force = false): void {
    if (!this.o.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < 100) return;
    this.lastEmit = now;
    this.o.onProgress(this.snapshotProgress());
  }

  private enter(phase: Phase, total: number): void {
    this.phase = phase;
    this.phaseDone = 0;
    this.phaseTotal = total;
    this.emit(true);
  }

  private async call<T>(what: string, step: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      this.calls++;
      try {
        return await fn();
      } catch (e) {
        const err = e as ServiceError;
        if (err.code === Code.NOT_FOUND) {
          const msg = `${what}: ${err.details}`;
          this.notFound.set(step, msg);
          this.o.log(`warning: ${msg}`);
          return undefined;
        }
        const delay = attempt < this.o.maxAttempts ? retryDelay(err, attempt, this.o.maxWaitMs) : undefined;
        if (delay) {
          this.retries++;
          if (delay.rateLimited) this.rateLimitWaits++;
          const wait = delay.waitMs;
          this.waitMs += wait;
          this.emit(true);
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        throw new SyncError(`${what} failed: ${Code[err.code] ?? err.code} ${err.details ?? err.message}`);
      }
    }
  }

  /** One listing, page by page from its stored token; each page is stored with the next token in one transaction. */
  private async paged<T>(step: string, phase: Phase, what: string, fetch: (token: string) => Promise<{ list: T[]; nextPageToken: string }>, store: (list: T[]) => void): Promise<void> {
    let row = this.st.getStep.get(step) as { token: string; pages: number; done: number } | undefined;
    if (row?.done) return;
    if (!row) {
      this.st.insertStep.run(step, phase);
      row = { token: '', pages: 0, done: 0 };
    }
    let token = row.token;
    const seen = new Set<string>();
    for (;;) {
      const res = await this.call(what, step, () => fetch(token));
      if (!res) {
        this.db.transaction(() => {
          this.st.warn.run(step, this.notFound.get(step) ?? `${what}: not found`);
          this.st.finishStep.run(step);
        })();
        this.notFound.delete(step);
        return;
      }
      const next = res.nextPageToken;
      if (next && (next === token || seen.has(next))) throw new SyncError(`${what}: the connector returned a page token it returned before (a loop)`);
      seen.add(next);
      this.db.transaction(() => {
        store(res.list);
        this.st.updateStep.run(next, next ? 0 : 1, step);
      })();
      this.pages++;
      this.emit();
      if (!next) return;
      token = next;
    }
  }

  private async pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    let failed: unknown;
    await Promise.all(
      Array.from({ length: Math.min(this.o.workers, items.length) }, async () => {
        while (i < items.length && failed === undefined) {
          const item = items[i++];
          try {
            await fn(item);
          } catch (e) {
            failed ??= e;
          }
          this.phaseDone++;
          this.emit();
        }
      }),
    );
    if (failed !== undefined) throw failed;
  }

  private isDone(step: string): boolean {
    return !!(this.st.getStep.get(step) as { done: number } | undefined)?.done;
  }

  async run(): Promise<void> {
    const c = this.client;
    const syncId = this.syncId;
    this.recount();

    // 1. Validate (every run: the credentials may have changed since the interrupted one)
    this.enter('validate', 1);
    let v: { sdkVersion: string } | undefined;
    for (let attempt = 1; !v; attempt++) {
      this.calls++;
      try {
        v = await c.connector.validate({});
      } catch (e) {
        const err = e as ServiceError;
        if ((err.code === Code.UNAVAILABLE || err.code === Code.DEADLINE_EXCEEDED) && attempt < 5) {
          this.retries++;
          await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, this.o.maxWaitMs)));
          continue;
        }
        throw new SyncError(`Validate failed: ${Code[err.code] ?? err.code} ${err.details ?? err.message}`);
      }
    }
    setMeta(this.db, 'sdk_version', v.sdkVersion);
    if (getMeta(this.db, 'connector') === undefined) {
      try {
        this.calls++;
        const md = await c.connector.getMetadata({});
        setMeta(this.db, 'connector', md.metadata?.displayName ?? '');
        setMeta(this.db, 'connector_description', md.metadata?.description ?? '');
      } catch {
        setMeta(this.db, 'connector', '');
      }
    }

    // 2. resource types
    this.enter('resource-types', 1);
    await this.paged(
      stepKey('resource-types'),
      'resource-types',
      'ListResourceTypes',
      (pageToken) => c.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ pageToken, activeSyncId: syncId })),
      (list) => {
        for (const t of list) this.st.countType.run(t.id, t.displayName, JSON.stringify(t.traits.map((x) => TRAIT_NAME[x] ?? String(x))), Buffer.from(ResourceType.encode(t).finish()));
      },
    );
    this.types = (this.db.prepare('SELECT data FROM resource_types ORDER BY ord').all() as { data: Buffer }[]).map((r) => ResourceType.decode(r.data));
    if (this.types.length === 0) throw new SyncError('the connector lists no resource types');
    this.typeById = new Map(this.types.map((t) => [t.id, t]));

    // 3. resources: top level per type, then children per parent annotation until none is left
    this.enter('resources', this.types.length);
    for (const t of this.types) {
      await this.paged(
        stepKey('resources', t.id),
        'resources',
        `ListResources(${t.id})`,
        (pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId: syncId })),
        (list) => this.storeResources(list),
      );
      this.phaseDone++;
    }
    const scheduled = new Set<string>();
    for (;;) {
      const pending: { step: string; type: string; parent: { resourceType: string; resource: string } }[] = [];
      for (const r of this.db.prepare("SELECT resource_type, resource_id, child_types FROM resources WHERE child_types <> '[]' ORDER BY resource_type, resource_id").all() as {
        resource_type: string;
        resource_id: string;
        child_types: string;
      }[]) {
        for (const child of JSON.parse(r.child_types) as string[]) {
          const step = stepKey('children', child, r.resource_type, r.resource_id);
          if (scheduled.has(step)) continue;
          scheduled.add(step);
          if (this.isDone(step)) {
            this.phaseDone++;
            continue;
          }
          pending.push({ step, type: child, parent: { resourceType: r.resource_type, resource: r.resource_id } });
        }
      }
      this.phaseTotal = this.types.length + scheduled.size;
      if (!pending.length) break;
      await this.pool(pending, async ({ step, type, parent }) => {
        await this.paged(
          step,
          'resources',
          `ListResources(${type}, parent ${parent.resource})`,
          (pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: type, parentResourceId: parent, pageToken, activeSyncId: syncId })),
          (list) => this.storeResources(list),
        );
      });
    }
    this.recount();
    this.o.log(`resources: ${this.summaryOfResources()}`);

    // 4. static entitlements (the syncer asks; this connector has none)
    this.enter('static-entitlements', this.types.length);
    for (const t of this.types) {
      const step = stepKey('static-entitlements', t.id);
      await this.paged(
        step,
        'static-entitlements',
        `ListStaticEntitlements(${t.id})`,
        (pageToken) => c.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId: syncId })),
        (list) => {
          if (list.length) this.st.warn.run(step, `${t.id}: ${list.length} static entitlements ignored by this client`);
        },
      );
      this.phaseDone++;
    }

    // 5. entitlements, 6. grants: per resource, `workers` at a time
    for (const what of ['entitlements', 'grants'] as const) {
      const targets = this.resourcesFor(what);
      this.enter(what, targets.length);
      const todo = targets.filter((t) => {
        if (this.isDone(t.step)) {
          this.phaseDone++;
          return false;
        }
        return true;
      });
      await this.pool(todo, async ({ step, type, id }) => {
        const r = this.loadResource(type, id);
        const label = `${what === 'entitlements' ? 'ListEntitlements' : 'ListGrants'}(${type}:${id})`;
        if (what === 'entitlements')
          await this.paged(
            step,
            what,
            label,
            (pageToken) => c.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource: r, pageToken, activeSyncId: syncId })),
            (list) => this.storeEntitlements(list),
          );
        else
          await this.paged(
            step,
            what,
            label,
            (pageToken) => c.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: r, pageToken, activeSyncId: syncId })),
            (list) => this.storeGrants(list),
          );
      });
      const p = this.snapshotProgress();
      this.o.log(what === 'entitlements' ? `entitlements: ${p.entitlements}` : `grants: ${p.grants}`);
    }

    // 7. expansion, in one transaction
    this.enter('expand', 1);
    if (!this.isDone(stepKey('expand'))) {
      this.expand();
      this.recount();
      this.phaseDone = 1;
      this.o.log(`expanded grants: ${this.snapshotProgress().expanded}`);
    }

    // 8. cleanup: tells the connector the sync is over (failures do not change the snapshot)
    try {
      this.calls++;
      await c.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId: syncId }));
    } catch (e) {
      const err = e as ServiceError;
      if (err.code !== Code.UNIMPLEMENTED) this.o.log(`warning: Cleanup failed: ${Code[err.code] ?? err.code} ${err.details ?? err.message}`);
    }
    this.emit(true);
  }

  private summaryOfResources(): string {
    const p = this.snapshotProgress();
    return Object.entries(p.resources)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
  }

  private storeResources(list: Resource[]): void {
    for (const r of list) {
      if (!r.id?.resourceType || !r.id.resource) {
        this.st.warn.run('resources', 'dropped a resource with an empty id (invalid connector data)');
        continue;
      }
      checkTraits(this.typeById.get(r.id.resourceType), r);
      const children = r.annotations.filter((a) => typeName(a) === 'c1.connector.v2.ChildResourceType').map((a) => ChildResourceType.decode(a.value).resourceTypeId);
      const ins = this.st.putResource.run(
        r.id.resourceType,
        r.id.resource,
        r.parentResourceId?.resourceType || null,
        r.parentResourceId?.resource || null,
        r.displayName,
        r.description,
        STATUS_NAME[r.status?.status ?? 0] ?? 'unspecified',
        JSON.stringify(children),
        JSON.stringify(r.profile ?? {}),
        Buffer.from(Resource.encode(r).finish()),
      );
      if (ins.changes) this.live.resources[r.id.resourceType] = (this.live.resources[r.id.resourceType] ?? 0) + 1;
    }
  }

  private storeEntitlements(list: Entitlement[]): void {
    for (const e of list) {
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
  }

  private storeGrants(list: Grant[]): void {
    for (const g of list) {
      const rid = g.entitlement?.resource?.id;
      const p = g.principal?.id;
      if (!g.entitlement?.id || !p?.resourceType || !p.resource) {
        this.st.warn.run('grants', `dropped grant ${g.id || '(no id)'} without an entitlement or principal (invalid connector data)`);
        continue;
      }
      const ge = expansionOf(g);
      this.st.putDirect.run(g.id, g.entitlement.id, rid?.resourceType ?? '', rid?.resource ?? '', p.resourceType, p.resource, JSON.stringify(ge ?? null), Buffer.from(Grant.encode(g).finish()));
      this.live.grants++;
    }
  }

  private loadResource(type: string, id: string): Resource {
    const row = this.db.prepare('SELECT data FROM resources WHERE resource_type = ? AND resource_id = ?').get(type, id) as { data: Buffer };
    return Resource.decode(row.data);
  }

  /** Resources that need ListEntitlements / ListGrants (skip annotations honoured, as the syncer does). */
  private resourcesFor(what: 'entitlements' | 'grants'): { step: string; type: string; id: string }[] {
    const out: { step: string; type: string; id: string }[] = [];
    const typeSkips = new Map<string, boolean>();
    for (const t of this.types) {
      const skipAll = hasAnnotation(t.annotations, 'c1.connector.v2.SkipEntitlementsAndGrants');
      typeSkips.set(t.id, skipAll || (what === 'entitlements' && hasAnnotation(t.annotations, 'c1.connector.v2.SkipEntitlements')));
    }
    for (const row of this.db.prepare('SELECT resource_type, resource_id, data FROM resources ORDER BY resource_type, resource_id').iterate() as IterableIterator<{
      resource_type: string;
      resource_id: string;
      data: Buffer;
    }>) {
      if (typeSkips.get(row.resource_type)) continue;
      const r = Resource.decode(row.data);
      const a = r.annotations;
      if (hasAnnotation(a, 'c1.connector.v2.SkipEntitlementsAndGrants')) continue;
      if (what === 'entitlements' && hasAnnotation(a, 'c1.connector.v2.SkipEntitlements')) continue;
      if (what === 'grants' && hasAnnotation(a, 'c1.connector.v2.SkipGrants')) continue;
      out.push({ step: stepKey(what, row.resource_type, row.resource_id), type: row.resource_type, id: row.resource_id });
    }
    return out;
  }

  private expand(): void {
    const entitlements = new Map<string, Entitlement>();
    for (const row of this.db.prepare('SELECT data FROM entitlements').iterate() as IterableIterator<{ data: Buffer }>) {
      const e = Entitlement.decode(row.data);
      entitlements.set(e.id, e);
    }
    const direct: Grant[] = [];
    for (const row of this.db.prepare("SELECT data FROM grants WHERE kind = 'direct' ORDER BY id").iterate() as IterableIterator<{ data: Buffer }>) direct.push(Grant.decode(row.data));
    const res = expandWithPaths(direct, entitlements);
    const put = this.db.prepare(
      "INSERT OR REPLACE INTO grants (id, kind, entitlement_id, resource_type, resource_id, principal_type, principal_id, expandable, sources, paths, data) VALUES (?, 'expanded', ?, ?, ?, ?, ?, 'null', ?, ?, NULL)",
    );
    const upd = this.db.prepare("UPDATE grants SET sources = ?, paths = ? WHERE id = ? AND kind = 'direct'");
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM grants WHERE kind = 'expanded'").run();
      this.db.prepare("UPDATE grants SET sources = '[]', paths = '[[]]' WHERE kind = 'direct'").run();
      for (const e of res.expanded) {
        const g = e.grant;
        const rid = g.entitlement!.resource?.id;
        put.run(g.id, g.entitlement!.id, rid?.resourceType ?? '', rid?.resource ?? '', g.principal!.id!.resourceType, g.principal!.id!.resource, JSON.stringify(e.sources), JSON.stringify(e.paths));
      }
      for (const [id, d] of res.direct) upd.run(JSON.stringify(d.sources), JSON.stringify(d.paths), id);
      this.st.insertStep.run(stepKey('expand'), 'expand');
      this.st.finishStep.run(stepKey('expand'));
    })();
  }
}
