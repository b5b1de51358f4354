/**
 * The in-memory sink: everything a sync saw, kept in maps and returned as a SyncResult (what tests
 * and the benchmark read). It keeps its steps only for the run it serves: a new sink starts fresh.
 */
import { randomUUID } from 'node:crypto';
import type { Resource, ResourceId, ResourceType } from '../gen/c1/connector/v2/resource';
import type { Entitlement } from '../gen/c1/connector/v2/entitlement';
import type { Grant } from '../gen/c1/connector/v2/grant';
import type { ConnectorMetadata } from '../gen/c1/connector/v2/connector';
import { ChildResourceType } from '../gen/c1/connector/v2/annotation_resource_tree';
import { typeName } from '../connector/annotations';
import { EXPAND_STEP, ListingPhase, Page, SinkCounts, StepState, SyncProgress, SyncSink } from './loop';
import { countExpandedGrants, expandGrants, ExpandedGrant } from './expand';
import { SyncError } from './errors';

export interface SyncResult {
  syncId: string;
  sdkVersion: string;
  resourceTypes: ResourceType[];
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
  /** grants created by expansion (principal inherits through a group); empty when only counted */
  expanded: ExpandedGrant[];
  /** how many grants expansion creates (kept or only counted) */
  expandedCount: number;
  warnings: string[];
  stats: SyncProgress;
}

const key = (r: ResourceId) => `${r.resourceType}\u0000${r.resource}`;

export class MemorySink implements SyncSink {
  readonly syncId = randomUUID();
  private expandedCount = 0;

  /** countOnly: expansion is counted, not kept (the benchmark at tier L: millions of permission grants) */
  constructor(private readonly countOnly = false) {}

  private sdkVersion = '';
  private readonly steps = new Map<string, StepState>();
  private readonly types = new Map<string, ResourceType>();
  private readonly byKey = new Map<string, Resource>();
  private readonly perType: Record<string, number> = {};
  private readonly children = new Map<string, { type: string; parent: ResourceId }>();
  private readonly entitlements = new Map<string, Entitlement>();
  private readonly grants = new Map<string, Grant>();
  private expanded: ExpandedGrant[] = [];
  private readonly warnings: string[] = [];

  step(step: string): StepState | undefined {
    return this.steps.get(step);
  }

  page(step: string, page: Page, next: string, warnings: string[]): void {
    switch (page.phase) {
      case 'resource-types':
        for (const t of page.list) this.types.set(t.id, t);
        break;
      case 'resources':
        for (const r of page.list) this.putResource(r);
        break;
      case 'static-entitlements':
        break;
      case 'entitlements':
        for (const e of page.list) this.entitlements.set(e.id, e);
        break;
      case 'grants':
        for (const g of page.list) this.grants.set(g.id, g);
        break;
    }
    this.warnings.push(...warnings);
    this.steps.set(step, { token: next, done: !next });
  }

  private putResource(r: Resource): void {
    const k = key(r.id!);
    if (!this.byKey.has(k)) this.perType[r.id!.resourceType] = (this.perType[r.id!.resourceType] ?? 0) + 1;
    this.byKey.set(k, r);
    for (const a of r.annotations) {
      if (typeName(a) !== 'c1.connector.v2.ChildResourceType') continue;
      const type = ChildResourceType.decode(a.value).resourceTypeId;
      const ck = `${type}\u0000${k}`;
      if (!this.children.has(ck)) this.children.set(ck, { type, parent: r.id! });
    }
  }

  skip(step: string, _phase: ListingPhase, warning: string): void {
    this.warnings.push(warning);
    this.steps.set(step, { token: '', done: true });
  }

  validated(sdkVersion: string): void {
    this.sdkVersion = sdkVersion;
  }

  wantsMetadata(): boolean {
    return false;
  }

  metadata(_md: ConnectorMetadata | undefined): void {}

  resourceTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  childListings(): Iterable<{ type: string; parent: ResourceId }> {
    return [...this.children.values()];
  }

  resources(): Iterable<Resource> {
    return [...this.byKey.values()];
  }

  resource(id: ResourceId): Resource {
    const r = this.byKey.get(key(id));
    if (!r) throw new SyncError(`resource ${id.resourceType}:${id.resource} is not stored`);
    return r;
  }

  expand(): void {
    if (this.countOnly) this.expandedCount = countExpandedGrants([...this.grants.values()], this.entitlements).expanded;
    else {
      this.expanded = expandGrants([...this.grants.values()], this.entitlements);
      this.expandedCount = this.expanded.length;
    }
    this.steps.set(EXPAND_STEP, { token: '', done: true });
  }

  counts(): SinkCounts {
    return { resources: { ...this.perType }, entitlements: this.entitlements.size, grants: this.grants.size, expanded: this.expandedCount };
  }

  result(stats: SyncProgress): SyncResult {
    return {
      syncId: this.syncId,
      sdkVersion: this.sdkVersion,
      resourceTypes: this.resourceTypes(),
      resources: [...this.byKey.values()],
      entitlements: [...this.entitlements.values()],
      grants: [...this.grants.values()],
      expanded: this.expanded,
      expandedCount: this.expandedCount,
      warnings: [...this.warnings],
      stats,
    };
  }
}
