/**
 * A full sync through the c1.connector.v2 contract, in the order the Baton SDK syncer uses:
 * Validate -> ListResourceTypes -> ListResources per type (no parent), then per parent for
 * every ChildResourceType annotation -> ListStaticEntitlements per type -> ListEntitlements per
 * resource -> ListGrants per resource -> grant expansion (GrantExpandable) -> Cleanup.
 * It applies the syncer's rules: trait annotations required, skip annotations honoured,
 * UNAVAILABLE retried (waiting on a RateLimitDescription detail), NOT_FOUND counted as a warning.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { ConnectorClient } from './connector-client';
import { Resource, ResourceType, ResourceType_Trait, ResourceTypesServiceListResourceTypesRequest, ResourcesServiceListResourcesRequest } from '../gen/c1/connector/v2/resource';
import { Entitlement, EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest } from '../gen/c1/connector/v2/entitlement';
import { Grant, GrantsServiceListGrantsRequest } from '../gen/c1/connector/v2/grant';
import { ConnectorServiceCleanupRequest } from '../gen/c1/connector/v2/connector';
import { ChildResourceType } from '../gen/c1/connector/v2/annotation_resource_tree';
import { GrantExpandable } from '../gen/c1/connector/v2/annotation_grant';
import { RateLimitDescription } from '../gen/c1/connector/v2/annotation_ratelimit';
import { hasAnnotation, pickAnnotation, typeName } from '../connector/annotations';
import { decodeStatusDetails } from '../server/status';
import { grantId } from '../connector/ids';

export interface SyncOptions {
  /** concurrent per-resource calls, like the syncer's --worker-count (default 4) */
  workers?: number;
  /** expand GrantExpandable grants (default true) */
  expand?: boolean;
  /** stop retrying UNAVAILABLE after this many attempts (default 50) */
  maxAttempts?: number;
  /** cap of one retry wait in ms (the syncer caps at 60 s; default 60000) */
  maxWaitMs?: number;
  onProgress?: (p: SyncProgress) => void;
}

export interface SyncProgress {
  phase: 'validate' | 'resource-types' | 'resources' | 'entitlements' | 'grants' | 'expand' | 'done';
  resources: number;
  entitlements: number;
  grants: number;
  calls: number;
  retries: number;
  waitMs: number;
}

export interface ExpandedGrant {
  grant: Grant;
  /** entitlement ids the principal's access came through */
  sources: string[];
}

export interface SyncResult {
  syncId: string;
  sdkVersion: string;
  resourceTypes: ResourceType[];
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
  /** grants created by expansion (principal inherits through a group) */
  expanded: ExpandedGrant[];
  warnings: string[];
  stats: SyncProgress;
}

export class SyncError extends Error {}

/**
 * How long the Baton syncer waits before retrying an UNAVAILABLE / DEADLINE_EXCEEDED answer:
 * 1 s × attempt, or the schedule of a RateLimitDescription status detail (until reset_at, spread
 * over the remaining budget), capped at maxWaitMs. Undefined when the code is not retried.
 */
export function retryDelay(err: ServiceError, attempt: number, maxWaitMs: number): { waitMs: number; rateLimited: boolean } | undefined {
  if (err.code !== Code.UNAVAILABLE && err.code !== Code.DEADLINE_EXCEEDED) return undefined;
  let waitMs = Math.min(1000 * attempt, maxWaitMs);
  const rlAny = decodeStatusDetails(err)?.details.find((d) => typeName(d) === 'c1.connector.v2.RateLimitDescription');
  if (!rlAny) return { waitMs, rateLimited: false };
  const rl = RateLimitDescription.decode(rlAny.value);
  if (rl.resetAt && rl.resetAt.getTime() > Date.now()) {
    const until = rl.resetAt.getTime() - Date.now();
    waitMs = Math.min(Math.max(rl.remaining > 0 ? Math.ceil(until / rl.remaining) : until, 1), maxWaitMs);
  }
  return { waitMs, rateLimited: true };
}

const key = (r: { resourceType: string; resource: string }) => `${r.resourceType}\u0000${r.resource}`;

export async function runSync(client: ConnectorClient, opts: SyncOptions = {}): Promise<SyncResult> {
  const workers = opts.workers ?? 4;
  const maxAttempts = opts.maxAttempts ?? 50;
  const maxWaitMs = opts.maxWaitMs ?? 60000;
  const stats: SyncProgress = { phase: 'validate', resources: 0, entitlements: 0, grants: 0, calls: 0, retries: 0, waitMs: 0 };
  const progress = (phase: SyncProgress['phase']) => {
    stats.phase = phase;
    opts.onProgress?.({ ...stats });
  };
  const warnings: string[] = [];
  const syncId = randomUUID();

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      stats.calls++;
      try {
        return await fn();
      } catch (e) {
        const err = e as ServiceError;
        if (err.code === Code.NOT_FOUND) {
          warnings.push(`${what}: ${err.details}`);
          return undefined;
        }
        const delay = attempt < maxAttempts ? retryDelay(err, attempt, maxWaitMs) : undefined;
        if (delay) {
          stats.retries++;
          const wait = delay.waitMs;
          stats.waitMs += wait;
          progress(stats.phase);
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        throw new SyncError(`${what} failed: ${Code[err.code] ?? err.code} ${err.details ?? err.message}`);
      }
    }
  }

  async function pages<T>(what: string, fetch: (token: string) => Promise<{ list: T[]; nextPageToken: string }>): Promise<T[]> {
    const out: T[] = [];
    let token = '';
    const seen = new Set<string>();
    for (;;) {
      const res = await call(what, () => fetch(token));
      if (!res) return out;
      out.push(...res.list);
      if (!res.nextPageToken) return out;
      if (res.nextPageToken === token || seen.has(res.nextPageToken)) throw new SyncError(`${what}: the connector returned a page token it returned before (a loop)`);
      seen.add(res.nextPageToken);
      token = res.nextPageToken;
    }
  }

  async function pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, items.length) }, async () => {
        while (i < items.length) await fn(items[i++]);
      }),
    );
  }

  // 1. Validate: like the SDK's builder, retried up to 5 times on UNAVAILABLE / DEADLINE_EXCEEDED; anything else aborts
  progress('validate');
  let v: { sdkVersion: string } | undefined;
  for (let attempt = 1; !v; attempt++) {
    stats.calls++;
    try {
      v = await client.connector.validate({});
    } catch (e) {
      const err = e as ServiceError;
      if ((err.code === Code.UNAVAILABLE || err.code === Code.DEADLINE_EXCEEDED) && attempt < 5) {
        stats.retries++;
        await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, maxWaitMs)));
        continue;
      }
      throw new SyncError(`Validate failed: ${Code[err.code] ?? err.code} ${err.details ?? err.message}`);
    }
  }

  // 2. resource types
  progress('resource-types');
  const types = await pages('ListResourceTypes', (pageToken) => client.resourceTypes.listResourceTypes(ResourceTypesServiceListResourceTypesRequest.fromPartial({ pageToken, activeSyncId: syncId })));
  if (types.length === 0) throw new SyncError('the connector lists no resource types');
  const typeById = new Map(types.map((t) => [t.id, t]));

  // 3. resources: top level per type, then children per parent annotation
  progress('resources');
  const resources = new Map<string, Resource>();
  const childQueue: { type: string; parent: Resource }[] = [];
  const scheduled = new Set<string>();
  const store = (list: Resource[]) => {
    for (const r of list) {
      if (!r.id?.resourceType || !r.id.resource) {
        warnings.push('dropped a resource with an empty id (invalid connector data)');
        continue;
      }
      checkTraits(typeById.get(r.id.resourceType), r);
      resources.set(key(r.id), r);
      stats.resources = resources.size;
      for (const a of r.annotations) {
        if (typeName(a) !== 'c1.connector.v2.ChildResourceType') continue;
        const child = ChildResourceType.decode(a.value).resourceTypeId;
        const k = `${child}\u0000${key(r.id)}`;
        if (!scheduled.has(k)) {
          scheduled.add(k);
          childQueue.push({ type: child, parent: r });
        }
      }
    }
  };
  for (const t of types) {
    store(
      await pages(`ListResources(${t.id})`, (pageToken) => client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId: syncId }))),
    );
  }
  while (childQueue.length) {
    const batch = childQueue.splice(0, childQueue.length);
    const found: Resource[][] = [];
    await pool(batch, async ({ type, parent }) => {
      found.push(
        await pages(`ListResources(${type}, parent ${parent.id!.resource})`, (pageToken) =>
          client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: type, parentResourceId: parent.id, pageToken, activeSyncId: syncId })),
        ),
      );
    });
    found.forEach(store);
  }

  // 4. static entitlements (expected empty for Jira, but the syncer asks)
  for (const t of types) {
    const st = await pages(`ListStaticEntitlements(${t.id})`, (pageToken) =>
      client.entitlements.listStaticEntitlements(EntitlementsServiceListStaticEntitlementsRequest.fromPartial({ resourceTypeId: t.id, pageToken, activeSyncId: syncId })),
    );
    if (st.length) warnings.push(`${t.id}: ${st.length} static entitlements ignored by this client`);
  }

  const all = [...resources.values()];
  const skip = (r: Resource, what: 'entitlements' | 'grants') => {
    const t = typeById.get(r.id!.resourceType);
    const annos = [...(t?.annotations ?? []), ...r.annotations];
    if (hasAnnotation(annos, 'c1.connector.v2.SkipEntitlementsAndGrants')) return true;
    if (what === 'entitlements' && hasAnnotation(annos, 'c1.connector.v2.SkipEntitlements')) return true;
    if (what === 'grants' && hasAnnotation(r.annotations, 'c1.connector.v2.SkipGrants')) return true;
    return false;
  };

  // 5. entitlements
  progress('entitlements');
  const entitlements = new Map<string, Entitlement>();
  await pool(
    all.filter((r) => !skip(r, 'entitlements')),
    async (r) => {
      const list = await pages(`ListEntitlements(${r.id!.resourceType}:${r.id!.resource})`, (pageToken) =>
        client.entitlements.listEntitlements(EntitlementsServiceListEntitlementsRequest.fromPartial({ resource: r, pageToken, activeSyncId: syncId })),
      );
      for (const e of list) entitlements.set(e.id, e);
      stats.entitlements = entitlements.size;
      opts.onProgress?.({ ...stats });
    },
  );

  // 6. grants
  progress('grants');
  const grants = new Map<string, Grant>();
  await pool(
    all.filter((r) => !skip(r, 'grants')),
    async (r) => {
      const list = await pages(`ListGrants(${r.id!.resourceType}:${r.id!.resource})`, (pageToken) =>
        client.grants.listGrants(GrantsServiceListGrantsRequest.fromPartial({ resource: r, pageToken, activeSyncId: syncId })),
      );
      for (const g of list) grants.set(g.id, g);
      stats.grants = grants.size;
      opts.onProgress?.({ ...stats });
    },
  );

  // 7. expansion
  let expanded: ExpandedGrant[] = [];
  if (opts.expand !== false) {
    progress('expand');
    expanded = expandGrants([...grants.values()], entitlements);
  }

  await call('Cleanup', () => client.connector.cleanup(ConnectorServiceCleanupRequest.fromPartial({ activeSyncId: syncId })));
  progress('done');
  return {
    syncId,
    sdkVersion: v.sdkVersion,
    resourceTypes: types,
    resources: all,
    entitlements: [...entitlements.values()],
    grants: [...grants.values()],
    expanded,
    warnings,
    stats: { ...stats },
  };
}

const TRAIT_ANNOTATION: Partial<Record<ResourceType_Trait, string>> = {
  [ResourceType_Trait.TRAIT_USER]: 'c1.connector.v2.UserTrait',
  [ResourceType_Trait.TRAIT_GROUP]: 'c1.connector.v2.GroupTrait',
  [ResourceType_Trait.TRAIT_ROLE]: 'c1.connector.v2.RoleTrait',
  [ResourceType_Trait.TRAIT_APP]: 'c1.connector.v2.AppTrait',
  [ResourceType_Trait.TRAIT_SECRET]: 'c1.connector.v2.SecretTrait',
};

/** The syncer fails the whole sync when a resource of a traited type lacks its trait annotation. */
export function checkTraits(t: ResourceType | undefined, r: Resource): void {
  if (!t) throw new SyncError(`resource ${r.id!.resourceType}:${r.id!.resource} has a type that ListResourceTypes did not list`);
  for (const trait of t.traits) {
    const name = TRAIT_ANNOTATION[trait];
    if (name && !hasAnnotation(r.annotations, name)) throw new SyncError(`resource ${r.id!.resourceType}:${r.id!.resource} lacks its ${name} annotation`);
  }
}

/**
 * Grant expansion as the SDK does it: for a grant G (entitlement E_dst, principal P) carrying
 * GrantExpandable{entitlement_ids}, every principal holding a source entitlement (whose resource
 * must be P) gets E_dst too, transitively (depth <= 20). Returns only the grants that did not
 * already exist directly.
 */
export function expandGrants(grants: Grant[], entitlements: Map<string, Entitlement>): ExpandedGrant[] {
  const byEnt = new Map<string, Grant[]>();
  for (const g of grants) {
    const id = g.entitlement!.id;
    if (!byEnt.has(id)) byEnt.set(id, []);
    byEnt.get(id)!.push(g);
  }
  // edges src -> dst
  const edges: { src: string; dst: Entitlement; types: string[] }[] = [];
  for (const g of grants) {
    const ge = pickAnnotation(g.annotations, GrantExpandable, 'c1.connector.v2.GrantExpandable');
    if (!ge) continue;
    for (const src of ge.entitlementIds) {
      const srcEnt = entitlements.get(src);
      if (!srcEnt) continue; // "source missing": dropped, as the SDK does
      const sr = srcEnt.resource!.id!;
      const p = g.principal!.id!;
      if (sr.resourceType !== p.resourceType || sr.resource !== p.resource) throw new SyncError(`grant ${g.id}: source entitlement ${src} does not belong to the grant's principal`);
      edges.push({ src, dst: g.entitlement!, types: ge.resourceTypeIds });
    }
  }
  const direct = new Set(grants.map((g) => g.id));
  const result = new Map<string, ExpandedGrant>();
  // holders(ent) = direct grants on ent plus expanded ones; iterate to a fixed point (depth <= 20)
  const holders = new Map<string, Map<string, Grant>>();
  for (const [ent, gs] of byEnt) holders.set(ent, new Map(gs.map((g) => [key(g.principal!.id!), g])));
  for (let depth = 0; depth < 20; depth++) {
    let changed = false;
    for (const e of edges) {
      const src = holders.get(e.src);
      if (!src) continue;
      for (const g of [...src.values()]) {
        const p = g.principal!.id!;
        if (e.types.length && !e.types.includes(p.resourceType)) continue;
        const id = grantId(e.dst.id, p.resourceType, p.resource);
        if (!holders.has(e.dst.id)) holders.set(e.dst.id, new Map());
        const dst = holders.get(e.dst.id)!;
        const existing = result.get(id);
        if (existing) {
          if (!existing.sources.includes(e.src)) existing.sources.push(e.src);
          continue;
        }
        if (direct.has(id)) continue;
        const ng: Grant = { id, entitlement: { ...e.dst }, principal: g.principal, annotations: [], sources: undefined };
        result.set(id, { grant: ng, sources: [e.src] });
        dst.set(key(p), ng);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return [...result.values()];
}
