/**
 * The one sync loop: a full sync through the c1.connector.v2 contract, in the order the Baton SDK
 * syncer uses: Validate -> ListResourceTypes -> ListResources per type (no parent), then per
 * parent for every ChildResourceType annotation -> ListStaticEntitlements per type ->
 * ListEntitlements per resource -> ListGrants per resource -> grant expansion (GrantExpandable)
 * -> Cleanup. It applies the syncer's rules: trait annotations required, skip annotations
 * honoured, resources with an empty id dropped, a page token seen before refused (a loop).
 *
 * Every call goes through one rule (`call`): UNAVAILABLE and DEADLINE_EXCEEDED are retried on the
 * syncer's schedule (1 s × attempt, or a RateLimitDescription's), up to `maxAttempts` for every
 * call, Validate included; NOT_FOUND ends a listing with a warning; anything else fails the sync.
 * Waits go through the injected `sleep` and `now`; the schedule and the budget are the retry policy's
 * (src/atlassian/retry-policy.ts, callRetryDelay). Every call carries a gRPC deadline
 * (`callTimeoutMs`), so a call the connector cannot finish ends DEADLINE_EXCEEDED and is retried
 * instead of holding the sync.
 *
 * Where results go is the sink's business (`SyncSink`): memory (src/client/memory-sink.ts, what
 * `runSync` returns) or a SQLite snapshot (src/review/snapshot-sink.ts). Each listing is a step
 * with a key; the loop asks the sink where a step stands before it starts, so a sink that keeps
 * its steps (the snapshot) resumes an interrupted sync, and one that does not starts fresh.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import type { ConnectorClient } from './connector-client';
import { SyncError } from './errors';
import { Resource, ResourceId, ResourceType, ResourceType_Trait, ResourceTypesServiceListResourceTypesRequest, ResourcesServiceListResourcesRequest } from '../gen/c1/connector/v2/resource';
import { Entitlement, EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest } from '../gen/c1/connector/v2/entitlement';
import { Grant, GrantsServiceListGrantsRequest } from '../gen/c1/connector/v2/grant';
import { ConnectorMetadata, ConnectorServiceCleanupRequest } from '../gen/c1/connector/v2/connector';
import { RateLimitDescription } from '../gen/c1/connector/v2/annotation_ratelimit';
import { hasAnnotation, typeName } from '../connector/annotations';
import { decodeStatusDetails } from '../server/status';
import { callRetryDelay, DEFAULT_CALL_ATTEMPTS } from '../atlassian/retry-policy';

export type Phase = 'validate' | 'resource-types' | 'resources' | 'static-entitlements' | 'entitlements' | 'grants' | 'expand' | 'done';

/** One page of a listing, as the sink stores it (already checked by the loop). */
export type Page =
  | { phase: 'resource-types'; list: ResourceType[] }
  | { phase: 'resources'; list: Resource[] }
  | { phase: 'static-entitlements'; list: Entitlement[] }
  | { phase: 'entitlements'; list: Entitlement[] }
  | { phase: 'grants'; list: Grant[] };

export type ListingPhase = Page['phase'];

export interface SinkCounts {
  /** resources per type */
  resources: Record<string, number>;
  entitlements: number;
  /** direct grants, and grants created by expansion */
  grants: number;
  expanded: number;
}

export interface StepState {
  /** the token of the next page to ask for ('' = the first) */
  token: string;
  done: boolean;
}

/** Where a sync's results go. The loop decides what to ask and in which order; the sink stores. */
export interface SyncSink {
  /** the sync's id (activeSyncId): a new one, or the one of the sync being resumed */
  readonly syncId: string;
  /** where a listing stands; undefined when it has not started */
  step(step: string): StepState | undefined;
  /** stores one page, the warnings it gave and where the listing goes on (`next`, '' = done), at once */
  page(step: string, page: Page, next: string, warnings: string[]): void;
  /** a listing the connector answered NOT_FOUND: stores the warning and marks the step done, at once */
  skip(step: string, phase: ListingPhase, warning: string): void;
  /** Validate answered */
  validated(sdkVersion: string): void;
  /** true when the sink wants the connector's GetMetadata (asked once, right after Validate) */
  wantsMetadata(): boolean;
  metadata(md: ConnectorMetadata | undefined): void;
  /** the resource types stored so far, in listing order */
  resourceTypes(): ResourceType[];
  /** every (child type, parent) a stored resource's ChildResourceType annotation asks for */
  childListings(): Iterable<{ type: string; parent: ResourceId }>;
  /** every stored resource, in a stable order */
  resources(): Iterable<Resource>;
  resource(id: ResourceId): Resource;
  /** grant expansion over the stored grants; marks the step `EXPAND_STEP` done with its result */
  expand(): void;
  /** counts for progress; `exact` at the end of a phase (a sink may keep cheaper live counts between) */
  counts(exact: boolean): SinkCounts;
}

export interface SyncProgress extends SinkCounts {
  phase: Phase;
  /** steps (listings) finished in this phase, and how many the phase has so far */
  phaseDone: number;
  phaseTotal: number;
  /** this run: gRPC calls, pages stored, retries after UNAVAILABLE / DEADLINE_EXCEEDED, those on a rate-limit hint, and the time waited */
  calls: number;
  pages: number;
  retries: number;
  rateLimitWaits: number;
  waitMs: number;
  /** the run continues an interrupted sync */
  resumed: boolean;
}

export interface LoopOptions {
  /** listings in flight at once, like the syncer's --worker-count (default 4) */
  workers?: number;
  /** expand GrantExpandable grants (default true) */
  expand?: boolean;
  /** attempts per call, Validate and listings alike, before UNAVAILABLE / DEADLINE_EXCEEDED fails the sync (default 10) */
  maxAttempts?: number;
  /** cap of one retry wait in ms (the syncer caps at 60 s; default 60000) */
  maxWaitMs?: number;
  /** the gRPC deadline of each call in ms (default DEFAULT_CALL_TIMEOUT_MS); a call past it ends DEADLINE_EXCEEDED and is retried like UNAVAILABLE */
  callTimeoutMs?: number;
  /** the sink holds an interrupted sync (shown in progress) */
  resumed?: boolean;
  onProgress?: (p: SyncProgress) => void;
  /** a sentence per notable event (phase ends, warnings, retries) */
  onLog?: (line: string) => void;
  /** waits between attempts (default: a timer) */
  sleep?: (ms: number) => Promise<void>;
  /** the clock, in ms since the epoch (default Date.now) */
  now?: () => number;
  /** false: calls carry no active_sync_id, as an older host's (the benchmark's --no-sync-id; default true) */
  sendSyncId?: boolean;
}

export const DEFAULT_MAX_ATTEMPTS = DEFAULT_CALL_ATTEMPTS;
/** Each call's gRPC deadline: a page may fan out to many upstream requests, each bounded by http-timeout-seconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 5 * 60_000;
export const EXPAND_STEP = stepKey('expand');

/** A step's key: a JSON array (stored by the snapshot, so it stays stable across versions). */
export function stepKey(...parts: string[]): string {
  return JSON.stringify(parts);
}

/**
 * How long the Baton syncer waits before retrying an UNAVAILABLE / DEADLINE_EXCEEDED answer:
 * 1 s × attempt, or the schedule of a RateLimitDescription status detail (until reset_at, spread
 * over the remaining budget), capped at maxWaitMs. Undefined when the code is not retried.
 */
export function retryDelay(err: ServiceError, attempt: number, maxWaitMs: number, now: number): { waitMs: number; rateLimited: boolean } | undefined {
  if (err.code !== Code.UNAVAILABLE && err.code !== Code.DEADLINE_EXCEEDED) return undefined;
  const rlAny = decodeStatusDetails(err)?.details.find((d) => typeName(d) === 'c1.connector.v2.RateLimitDescription');
  if (!rlAny) return { waitMs: callRetryDelay(attempt, maxWaitMs, now), rateLimited: false };
  const rl = RateLimitDescription.decode(rlAny.value);
  return { waitMs: callRetryDelay(attempt, maxWaitMs, now, rl), rateLimited: true };
}

const TRAIT_ANNOTATION: Partial<Record<ResourceType_Trait, string>> = {
  [ResourceType_Trait.TRAIT_USER]: 'c1.connector.v2.UserTrait',
  [ResourceType_Trait.TRAIT_GROUP]: 'c1.connector.v2.GroupTrait',
  [ResourceType_Trait.TRAIT_ROLE]: 'c1.connector.v2.RoleTrait',
  [ResourceType_Trait.TRAIT_APP]: 'c1.connector.v2.AppTrait',
  [ResourceType_Trait.TRAIT_SECRET]: 'c1.connector.v2.SecretTrait',
};

/** The syncer fails the whole sync when a resource of a traited type lacks its trait annotation. */
function checkTraits(t: ResourceType | undefined, r: Resource): void {
  if (!t) throw new SyncError(`resource ${r.id!.resourceType}:${r.id!.resource} has a type that ListResourceTypes did not list`);
  for (const trait of t.traits) {
    const name = TRAIT_ANNOTATION[trait];
    if (name && !hasAnnotation(r.annotations, name)) throw new SyncError(`resource ${r.id!.resourceType}:${r.id!.resource} lacks its ${name} annotation`);
  }
}

function describe(err: ServiceError): string {
  return `${Code[err.code] ?? err.code} ${err.details ?? err.message}`;
}

const timer = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs (or, with a sink that kept its steps, resumes) a full sync into `sink`; returns the final progress. */
export async function runSyncLoop(client: ConnectorClient, sink: SyncSink, opts: LoopOptions = {}): Promise<SyncProgress> {
  return new Loop(client, sink, opts).run();
}

class Loop {
  private readonly workers: number;
  private readonly maxAttempts: number;
  private readonly maxWaitMs: number;
  private readonly callTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly stats = { calls: 0, pages: 0, retries: 0, rateLimitWaits: 0, waitMs: 0 };
  private phase: Phase = 'validate';
  private phaseDone = 0;
  private phaseTotal = 0;
  private lastEmit = 0;
  private typeById = new Map<string, ResourceType>();

  constructor(
    private readonly client: ConnectorClient,
    private readonly sink: SyncSink,
    private readonly o: LoopOptions,
  ) {
    this.workers = Math.max(1, o.workers ?? 4);
    this.maxAttempts = Math.max(1, o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.maxWaitMs = o.maxWaitMs ?? 60000;
    this.callTimeoutMs = Math.max(1, o.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    this.sleep = o.sleep ?? timer;
    this.now = o.now ?? Date.now;
  }

  /** The options of every call: its gRPC deadline, from now. */
  private deadline(): { deadlineMs: number } {
    return { deadlineMs: this.callTimeoutMs };
  }

  private log(line: string): void {
    this.o.onLog?.(line);
  }

  progress(exact = false): SyncProgress {
    return { phase: this.phase, phaseDone: this.phaseDone, phaseTotal: this.phaseTotal, ...this.sink.counts(exact), ...this.stats, resumed: !!this.o.resumed };
  }

  private emit(force = false): void {
    if (!this.o.onProgress) return;
    const now = this.now();
    if (!force && now - this.lastEmit < 100) return;
    this.lastEmit = now;
    this.o.onProgress(this.progress());
  }

  private enter(phase: Phase, total: number): void {
    this.phase = phase;
    this.phaseDone = 0;
    this.phaseTotal = total;
    this.emit(true);
  }

  /**
   * The one call rule. NOT_FOUND: undefined when `notFound` is 'warn' (the caller ends its listing
   * with a warning), a failure otherwise. UNAVAILABLE / DEADLINE_EXCEEDED: retried up to maxAttempts.
   */
  private async call<T>(what: string, fn: () => Promise<T>, notFound: 'warn' | 'fail'): Promise<{ ok: T } | { notFound: string }> {
    for (let attempt = 1; ; attempt++) {
      this.stats.calls++;
      try {
        return { ok: await fn() };
      } catch (e) {
        const err = e as ServiceError;
        if (err.code === Code.NOT_FOUND && notFound === 'warn') return { notFound: `${what}: ${err.details}` };
        const delay = attempt < this.maxAttempts ? retryDelay(err, attempt, this.maxWaitMs, this.now()) : undefined;
        if (!delay) throw new SyncError(`${what} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${describe(err)}`);
        this.stats.retries++;
        if (delay.rateLimited) this.stats.rateLimitWaits++;
        this.stats.waitMs += delay.waitMs;
        this.log(`${what}: ${describe(err)}; retry ${attempt} of ${this.maxAttempts - 1} in ${(delay.waitMs / 1000).toFixed(1)} s${delay.rateLimited ? ' (rate limit)' : ''}`);
        this.emit(true);
        await this.sleep(delay.waitMs);
      }
    }
  }

  /** The call rule for a call whose NOT_FOUND fails the sync. */
  private async mustCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const r = await this.call(what, fn, 'fail');
    if ('ok' in r) return r.ok;
    throw new SyncError(r.notFound);
  }

  /** One listing, page by page from where the sink says it stands; each page is handed over with the next token. */
  private async paged<T>(
    step: string,
    phase: ListingPhase,
    what: string,
    fetch: (token: string) => Promise<{ list: T[]; nextPageToken: string }>,
    prepare: (list: T[], warnings: string[]) => Page,
  ): Promise<void> {
    const state = this.sink.step(step);
    if (state?.done) return;
    let token = state?.token ?? '';
    const seen = new Set<string>();
    for (;;) {
      const res = await this.call(what, () => fetch(token), 'warn');
      if ('notFound' in res) {
        this.sink.skip(step, phase, res.notFound);
        this.log(`warning: ${res.notFound}`);
        return;
      }
      const next = res.ok.nextPageToken;
      if (next && (next === token || seen.has(next))) throw new SyncError(`${what}: the connector returned a page token it returned before (a loop)`);
      seen.add(next);
      const warnings: string[] = [];
      const page = prepare(res.ok.list, warnings);
      this.sink.page(step, page, next, warnings);
      this.stats.pages++;
      this.emit();
      if (!next) return;
      token = next;
    }
  }

  /** `workers` at a time; after a failure no new item starts, the ones in flight finish, the first failure is thrown. */
  private async pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    let failed: { e: unknown } | undefined;
    await Promise.all(
      Array.from({ length: Math.min(this.workers, items.length) }, async () => {
        while (i < items.length && !failed) {
          const item = items[i++];
          try {
            await fn(item);
          } catch (e) {
            failed ??= { e };
          }
          this.phaseDone++;
          this.emit();
        }
      }),
    );
    if (failed) throw failed.e;
  }

  private checkResources(list: Resource[], warnings: string[]): Page {
    const kept: Resource[] = [];
    for (const r of list) {
      if (!r.id?.resourceType || !r.id.resource) {
        warnings.push('dropped a resource with an empty id (invalid connector data)');
        continue;
      }
      checkTraits(this.typeById.get(r.id.resourceType), r);
      kept.push(r);
    }
    return { phase: 'resources', list: kept };
  }

  private checkGrants(list: Grant[], warnings: string[]): Page {
    const kept: Grant[] = [];
    for (const g of list) {
      const p = g.principal?.id;
      if (!g.entitlement?.id || !p?.resourceType || !p.resource) {
        warnings.push(`dropped grant ${g.id || '(no id)'} without an entitlement or principal (invalid connector data)`);
        continue;
      }
      kept.push(g);
    }
    return { phase: 'grants', list: kept };
  }

  /** Resources that need ListEntitlements / ListGrants (skip annotations on the type or the resource honoured, as the syncer does). */
  private targets(what: 'entitlements' | 'grants'): { step: string; id: ResourceId }[] {
    const out: { step: string; id: ResourceId }[] = [];
    for (const r of this.sink.resources()) {
      const annos = [...(this.typeById.get(r.id!.resourceType)?.annotations ?? []), ...r.annotations];
      if (hasAnnotation(annos, 'c1.connector.v2.SkipEntitlementsAndGrants')) continue;
      if (what === 'entitlements' && hasAnnotation(annos, 'c1.connector.v2.SkipEntitlements')) continue;
      if (what === 'grants' && hasAnnotation(r.annotations, 'c1.connector.v2.SkipGrants')) continue;
      out.push({ step: stepKey(what, r.id!.resourceType, r.id!.resource), id: r.id! });
    }
    return out;
  }

  async run(): Promise<SyncProgress> {
    const c = this.client;
    const sink = this.sink;
    const activeSyncId = this.o.sendSyncId === false ? '' : sink.syncId;

    // 1. Validate (every run: the credentials may have changed since an interrupted one)
    this.enter('validate', 1);
    sink.validated((await this.mustCall('Validate', () => c.connector.validate({}, this.deadline()))).sdkVersion);
    if (sink.wantsMetadata()) {
      let md: ConnectorMetadata | undefined;
      try {
        md = (await this.mustCall('GetMetadata', () => c.connector.getMetadata({}, this.deadline()))).metadata;
      } catch (e) {
        this.log(`warning: ${(e as Error).message}`);
      }
      sink.metadata(md);
    }
    this.phaseDone = 1;

    // 2. resource types
    this.enter('resource-types', 1);
    await this.paged(
      stepKey('resource-types'),
      'resource-types',
      'ListResourceTypes',
      (pageToken) => c.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ pageToken, activeSyncId }), this.deadline()),
      (list) => ({ phase: 'resource-types', list }),
    );
    const types = sink.resourceTypes();
    if (types.length === 0) throw new SyncError('the connector lists no resource types');
    this.typeById = new Map(types.map((t) => [t.id, t]));
    this.phaseDone = 1;

    // 3. resources: top level per type, then children per parent annotation until none is left
    this.enter('resources', types.length);
    for (const t of types) {
      await this.paged(
        stepKey('resources', t.id),
        'resources',
        `ListResources(${t.id})`,
        (pageToken) => c.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId }), this.deadline()),
        (list, w) => this.checkResources(list, w),
      );
      this.phaseDone++;
    }
    const scheduled = new Set<string>();
    for (;;) {
      const pending: { step: string; type: string; parent: ResourceId }[] = [];
      for (const { type, parent } of sink.childListings()) {
        const step = stepKey('children', type, parent.resourceType, parent.resource);
        if (scheduled.has(step)) continue;
        scheduled.add(step);
        if (sink.step(step)?.done) this.phaseDone++;
        else pending.push({ step, type, parent });
      }
      this.phaseTotal = types.length + scheduled.size;
      if (!pending.length) break;
      await this.pool(pending, ({ step, type, parent }) =>
        this.paged(
          step,
          'resources',
          `ListResources(${type}, parent ${parent.resource})`,
          (pageToken) =>
            c.resources.listResources(
              ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: type, parentResourceId: { resourceType: parent.resourceType, resource: parent.resource }, pageToken, activeSyncId }),
              this.deadline(),
            ),
          (list, w) => this.checkResources(list, w),
        ),
      );
    }
    const afterResources = this.progress(true);
    this.log(
      `resources: ${Object.entries(afterResources.resources)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}`,
    );

    // 4. static entitlements (the syncer asks; this client stores none)
    this.enter('static-entitlements', types.length);
    for (const t of types) {
      await this.paged(
        stepKey('static-entitlements', t.id),
        'static-entitlements',
        `ListStaticEntitlements(${t.id})`,
        (pageToken) => c.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId }), this.deadline()),
        (list, w) => {
          if (list.length) w.push(`${t.id}: ${list.length} static entitlements ignored by this client`);
          return { phase: 'static-entitlements', list: [] };
        },
      );
      this.phaseDone++;
    }

    // 5. entitlements, 6. grants: per resource, `workers` at a time
    for (const what of ['entitlements', 'grants'] as const) {
      const targets = this.targets(what);
      this.enter(what, targets.length);
      const todo = targets.filter((t) => {
        if (!sink.step(t.step)?.done) return true;
        this.phaseDone++;
        return false;
      });
      await this.pool(todo, async ({ step, id }) => {
        const resource = sink.resource(id);
        const label = `(${id.resourceType}:${id.resource})`;
        if (what === 'entitlements')
          await this.paged(
            step,
            what,
            `ListEntitlements${label}`,
            (pageToken) => c.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource, pageToken, activeSyncId }), this.deadline()),
            (list) => ({ phase: 'entitlements', list }),
          );
        else
          await this.paged(
            step,
            what,
            `ListGrants${label}`,
            (pageToken) => c.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource, pageToken, activeSyncId }), this.deadline()),
            (list, w) => this.checkGrants(list, w),
          );
      });
      const p = this.progress(true);
      this.log(what === 'entitlements' ? `entitlements: ${p.entitlements}` : `grants: ${p.grants}`);
    }

    // 7. expansion
    if (this.o.expand !== false) {
      this.enter('expand', 1);
      if (!sink.step(EXPAND_STEP)?.done) {
        sink.expand();
        this.log(`expanded grants: ${this.progress(true).expanded}`);
      }
      this.phaseDone = 1;
    }

    // 8. Cleanup: tells the connector the sync is over; like the syncer, a failure is logged, not fatal
    try {
      this.stats.calls++;
      await c.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId }), this.deadline());
    } catch (e) {
      const err = e as ServiceError;
      if (err.code !== Code.UNIMPLEMENTED) this.log(`warning: Cleanup failed: ${describe(err)}`);
    }
    this.phase = 'done';
    const done = this.progress(true);
    this.o.onProgress?.(done);
    return done;
  }
}
