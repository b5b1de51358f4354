/**
 * Per-sync state is released (issue 19, item 5): what the connector's caches hold for a sync
 * (role actors, member pages, look-ahead lists, project leads, scheme facts) is gone after the
 * sync's Cleanup, and, for a sync that never sends one, after sync-state-ttl-minutes without a
 * call of it, on an injected clock. The heap-after-GC bound over many syncs is measured by
 * `npm run bench -- --soak N` (docs/PERFORMANCE.md).
 */
import { startHarness, Harness } from '../helpers/harness';
import { runSync } from '../../src/client/sync';
import { heldForSync } from '../../src/connector/cache';
import { syncStatesOf, SyncStates } from '../../src/connector/sync-expiry';
import type { Connector } from '../../src/connector/types';
import { ResourcesServiceListResourcesRequest } from '../../src/gen/c1/connector/v2/resource';

jest.setTimeout(60_000);

const MIN = 60_000;
let t = Date.parse('2026-12-02T12:00:00Z');
let h: Harness;
let states: SyncStates;
/** Cleanup is passed on to the connector unless `dropCleanup` (a runner that died before its end) */
let dropCleanup = false;
/** per sync id: entries held when its Cleanup came (before it ran) */
const heldAtCleanup = new Map<string, number>();

function watchCleanup(c: Connector): Connector {
  states = syncStatesOf(c)!;
  return {
    ...c,
    async cleanup(id) {
      heldAtCleanup.set(id!, heldForSync(id));
      if (!dropCleanup) await c.cleanup!(id);
    },
  };
}

beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 8 }, config: () => ({ 'sync-state-ttl-minutes': 30 }), build: { now: () => t }, wrap: watchCleanup });
});
afterAll(async () => h?.stop());

const sync = async () => {
  const before = new Set(heldAtCleanup.keys());
  await runSync(h.client, { sleep: async () => undefined });
  return [...heldAtCleanup.keys()].find((k) => !before.has(k))!;
};

it('Cleanup releases everything cached for the sync', async () => {
  const id = await sync();
  expect(heldAtCleanup.get(id)).toBeGreaterThan(0);
  expect(heldForSync(id)).toBe(0);
  expect(states.tracked).toBe(0);
});

it('a sync that never sends Cleanup is released after the idle TTL, not before', async () => {
  dropCleanup = true;
  const id = await sync();
  dropCleanup = false;
  const held = heldForSync(id);
  expect(held).toBeGreaterThan(0);
  expect(held).toBe(heldAtCleanup.get(id));
  expect(states.tracked).toBe(1);
  const expiredBefore = states.expired;

  t += 29 * MIN;
  expect(await states.sweep()).toBe(0);
  expect(heldForSync(id)).toBe(held);

  // a call of the sync keeps it alive
  await h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'project', activeSyncId: id }));
  t += 29 * MIN;
  expect(await states.sweep()).toBe(0);
  expect(heldForSync(id)).toBeGreaterThan(0);

  t += 2 * MIN;
  expect(await states.sweep()).toBe(1);
  expect(heldForSync(id)).toBe(0);
  expect(states.tracked).toBe(0);
  expect(states.expired).toBe(expiredBefore + 1);
});

it('the next call of any sync sweeps idle ones (no timer needed)', async () => {
  dropCleanup = true;
  const id = await sync();
  dropCleanup = false;
  expect(heldForSync(id)).toBeGreaterThan(0);
  t += 31 * MIN;
  await h.client.resources.listResources(ResourcesServiceListResourcesRequest.fromPartial({ resourceTypeId: 'user', activeSyncId: 'another-sync' }));
  expect(heldForSync(id)).toBe(0);
  expect(states.tracked).toBe(1);
});
