/**
 * Metrics and logs (issue 19 items 6 and 7): the Prometheus listener scraped during and after a real sync over gRPC
 * against the fake (upstream counts equal the fake's own request stats, sync progress equals what the sync received,
 * no label value is an id, email or name of the tenant); 429 retries and waits counted on the clients' clock; log
 * lines with level names, ISO times, an RPC id and the sync id; the audit line of a grant under mTLS naming the client
 * certificate and the group.
 */
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { fakeConfig } from '../helpers/harness';
import { makePki } from '../helpers/certs';
import { grantReq } from '../helpers/grant-requests';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import type { Connector } from '../../src/connector/types';
import { startServer, RunningServer } from '../../src/server/server';
import { Metrics } from '../../src/server/metrics';
import { dialConnector, ConnectorClient } from '../../src/client/connector-client';
import { runSync } from '../../src/client/sync';
import { createAtlassianClients } from '../../src/atlassian';
import { observeUpstream, runInCall } from '../../src/call-scope';
import { createLogger, logTap, setRootLogger } from '../../src/log';
import type { Clock } from '../../src/atlassian/limiter';

const nowhere = new Writable({ write: (_c, _e, cb) => cb() });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, samples only. */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

async function scrape(s: RunningServer): Promise<Sample[]> {
  const res = await fetch(`http://${s.metricsAddress}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parse(await res.text());
}

let fake: FakeAtlassian;
beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 7 });
});
afterAll(async () => fake?.stop());
beforeEach(() => {
  setRootLogger(createLogger('debug', 'json', nowhere));
  logTap.lines = [];
});
afterEach(() => {
  logTap.lines = undefined;
  setRootLogger(createLogger('silent'));
});

/** The connector with its first ListGrants held until `release` (to scrape while a sync runs). */
function holdFirstGrants(c: Connector): { connector: Connector; reached: Promise<void>; release: () => void } {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  const connector: Connector = {
    ...c,
    syncers: c.syncers.map((s) => ({
      ...s,
      type: s.type,
      grants: async (r, token, ctx) => {
        if (first) {
          first = false;
          reach();
          await gate;
        }
        return s.grants(r, token, ctx);
      },
    })),
  };
  return { connector, reached, release };
}

/** Every id, email and name in the tenant: none may appear in a label value. */
function tenantValues(f: FakeAtlassian): string[] {
  const t = f.tenant;
  return [
    ...t.allAccounts().flatMap((u) => [u.accountId, u.email, u.displayName]),
    ...t.allGroups().flatMap((g) => [g.groupId, g.name]),
    ...t.projects().flatMap((p) => [p.id, p.key, p.name]),
    ...t.roles().map((r) => r.name),
    f.cloudId,
    f.orgId,
  ].filter((v) => typeof v === 'string' && v.length >= 3);
}

test('metrics scraped during and after a sync: RPCs, upstream requests equal to the fake, sync progress, no ids in labels', async () => {
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  const held = holdFirstGrants(connector);
  const server = await startServer(held.connector, { host: '127.0.0.1', port: 0, provisioning: false, metrics: { host: '127.0.0.1', port: 0 } });
  const client: ConnectorClient = dialConnector(server.address);
  try {
    expect(server.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await fetch(`http://${server.metricsAddress}/other`)).status).toBe(404);
    fake.stats.reset();

    const sync = runSync(client, { expand: false, workers: 2 });
    await held.reached;
    const during = await scrape(server);
    expect(sum(during, 'jira_connector_rpcs_in_flight', { method: 'ListGrants' })).toBeGreaterThanOrEqual(1);
    expect(sum(during, 'jira_connector_rpcs_total', { method: 'Validate', code: 'OK' })).toBe(1);
    expect(sum(during, 'jira_connector_rpcs_total', { method: 'ListResources', code: 'OK' })).toBeGreaterThan(0);
    expect(sum(during, 'jira_connector_rpc_duration_seconds_count', { method: 'ListResources', code: 'OK' })).toBe(sum(during, 'jira_connector_rpcs_total', { method: 'ListResources', code: 'OK' }));
    expect(sum(during, 'jira_connector_upstream_requests_total')).toBeGreaterThan(0);
    expect(sum(during, 'jira_connector_sync_emitted_total', { kind: 'resources' })).toBeGreaterThan(0);
    held.release();
    const result = await sync;

    const after = await scrape(server);
    // every HTTP attempt the fake answered, by status and by endpoint template
    const stats = fake.stats.snapshot() as { total: number; byStatus: Record<string, number>; byOperation: Record<string, number> };
    expect(sum(after, 'jira_connector_upstream_requests_total')).toBe(stats.total);
    for (const [status, n] of Object.entries(stats.byStatus)) expect([status, sum(after, 'jira_connector_upstream_requests_total', { status })]).toEqual([status, n]);
    const endpoints = new Set(after.filter((s) => s.name === 'jira_connector_upstream_requests_total').map((s) => s.labels.endpoint));
    expect(endpoints.has('other')).toBe(false);
    expect(endpoints.size).toBeGreaterThan(3);
    for (const e of endpoints) expect([e, sum(after, 'jira_connector_upstream_requests_total', { endpoint: e })]).toEqual([e, fake.stats.count(e)]);
    expect(sum(after, 'jira_connector_upstream_request_duration_seconds_count')).toBe(stats.total);
    expect(sum(after, 'jira_connector_upstream_retries_total')).toBe(0);

    // sync progress: what the sync received, per resource type
    const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, t) => ((m[t] = (m[t] ?? 0) + 1), m), {});
    const want = {
      resources: count(result.resources.map((r) => r.id!.resourceType)),
      entitlements: count(result.entitlements.map((e) => e.resource!.id!.resourceType)),
      grants: count(result.grants.map((g) => g.entitlement!.resource!.id!.resourceType)),
    };
    for (const [kind, byType] of Object.entries(want)) {
      expect(Object.keys(byType).length).toBeGreaterThan(0);
      for (const [type, n] of Object.entries(byType)) expect([kind, type, sum(after, 'jira_connector_sync_emitted_total', { kind, resource_type: type })]).toEqual([kind, type, n]);
    }
    expect(sum(after, 'jira_connector_rpcs_in_flight')).toBe(0);
    expect(sum(after, 'jira_connector_rpcs_total', { method: 'Cleanup', code: 'OK' })).toBe(1);
    expect(sum(after, 'jira_connector_syncs_seen_total')).toBe(1);
    expect(sum(after, 'jira_connector_cache_lookups_total')).toBeGreaterThan(0);

    // label values: from closed sets, never an id, an email or a name of the tenant, nor the sync id
    const forbidden = [...tenantValues(fake), result.syncId];
    const labelValues = new Set(after.flatMap((s) => Object.values(s.labels)));
    for (const v of labelValues) {
      expect(v).not.toMatch(/@|[0-9a-f]{8}-[0-9a-f]{4}-|\b\d{4,}\b|[0-9a-f]{24}/i);
      for (const f of forbidden) if (v === f || (f.length >= 6 && v.includes(f))) throw new Error(`label value "${v}" holds "${f}"`);
    }
  } finally {
    client.close();
    await server.stop();
  }
  // closed with the server
  await expect(fetch(`http://${server.metricsAddress}/metrics`)).rejects.toThrow();
});

test('429 retries, waits and seconds paused are counted from the clients (on their clock)', async () => {
  let skipped = 0;
  const clock: Clock = { now: () => Date.now() + skipped, sleep: async (ms) => void (skipped += Math.max(0, ms)) };
  const metrics = new Metrics();
  const clients = createAtlassianClients(parseConnectorConfig(fakeConfig(fake)), { clock, observe: observeUpstream, retry: { baseDelayMs: 10, maxDelayMs: 80 } });
  const USERS = 'GET /rest/api/3/users/search';
  fake.faults.failWith(429, 1, { retryAfterSec: 2, match: USERS });
  fake.faults.burst503(1, { match: USERS });
  try {
    const before = skipped;
    await runInCall({ rpcId: 'test', method: 'ListResources', observer: metrics }, () => clients.jira.searchUsers(0, 5));
    const m = parse((await metrics.scrape()).body);
    expect(sum(m, 'jira_connector_upstream_requests_total', { endpoint: USERS })).toBe(3);
    expect(sum(m, 'jira_connector_upstream_requests_total', { endpoint: USERS, status: '429' })).toBe(1);
    expect(sum(m, 'jira_connector_upstream_requests_total', { endpoint: USERS, status: '503' })).toBe(1);
    expect(sum(m, 'jira_connector_upstream_retries_total', { endpoint: USERS, reason: '429' })).toBe(1);
    expect(sum(m, 'jira_connector_upstream_retries_total', { endpoint: USERS, reason: '503' })).toBe(1);
    expect(sum(m, 'jira_connector_upstream_rate_limit_waits_total', { endpoint: USERS })).toBe(1);
    const s = clients.stats();
    const paused = sum(m, 'jira_connector_upstream_rate_limit_paused_seconds_total');
    expect(paused).toBeCloseTo(s.rateLimitWaitMs / 1000, 6);
    expect(paused).toBeGreaterThanOrEqual(2);
    expect(paused + sum(m, 'jira_connector_upstream_backoff_seconds_total')).toBeCloseTo((skipped - before) / 1000, 6);
  } finally {
    fake.faults.clear();
    await clients.close();
  }
});

interface Line {
  level: unknown;
  time: unknown;
  msg: string;
  rpcId?: string;
  syncId?: string;
  method?: string;
  [k: string]: unknown;
}

test('logs: level names, ISO times, an RPC id on every line of a call and the sync id on the lines of the sync', async () => {
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
  const client = dialConnector(server.address);
  try {
    const result = await runSync(client, { expand: false, workers: 2 });
    const lines = logTap.lines!.map((l) => JSON.parse(l) as Line);
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level);
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const upstream = lines.filter((l) => l.msg === 'atlassian request');
    expect(upstream.length).toBeGreaterThan(0);
    for (const l of upstream) expect(l.rpcId).toMatch(/^[0-9a-f]{16}$/);
    const done = lines.filter((l) => l.msg === 'rpc ok');
    const listing = done.filter((l) => ['ListResources', 'ListEntitlements', 'ListGrants'].includes(l.method!));
    expect(listing.length).toBeGreaterThan(0);
    for (const l of listing) expect(l.syncId).toBe(result.syncId);
    // one id per call: the upstream lines of a call share the id of the call's "rpc ok" line
    const ids = new Set(done.map((l) => l.rpcId));
    expect(ids.size).toBe(done.length);
    for (const l of upstream) expect(ids.has(l.rpcId)).toBe(true);
  } finally {
    client.close();
    await server.stop();
  }
});

test('audit: a grant under mTLS names the client certificate and the group', async () => {
  const pki = makePki();
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const file = (name: string, pem: string) => {
    const p = join(dir, name);
    writeFileSync(p, pem);
    return p;
  };
  const tls = { certFile: file('server.pem', pki.serverCert), keyFile: file('server.key', pki.serverKey), clientCaFile: file('ca.pem', pki.caCert) };
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake, { provisioning: true })));
  const server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: true, tls });
  const client = dialConnector(server.address, { caPem: Buffer.from(pki.caCert), clientCertPem: Buffer.from(pki.clientCert), clientKeyPem: Buffer.from(pki.clientKey) });
  try {
    const t = fake.tenant;
    const g = t.groups().find((x) => !x.system && !x.externalSynced && x.inJira)!;
    const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.isGroupMember(g.groupId, x.accountId))!;
    await client.grantManager.grant(grantReq('group', g.groupId, 'member', 'user', u.accountId));
    expect(t.isGroupMember(g.groupId, u.accountId)).toBe(true);
    const audit = logTap.lines!.map((l) => JSON.parse(l) as Line).filter((l) => l.audit === true);
    expect(audit).toEqual([
      expect.objectContaining({
        level: 'info',
        action: 'group member added',
        groupId: g.groupId,
        groupName: g.name,
        accountId: u.accountId,
        caller: { cn: 'platform' },
        rpcId: expect.stringMatching(/^[0-9a-f]{16}$/),
      }),
    ]);
  } finally {
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each server has its own registry; label values outside the known sets are counted as "other"', async () => {
  const { connector: c1 } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  const { connector: c2 } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  const opts = { host: '127.0.0.1', port: 0, provisioning: false, metrics: { host: '127.0.0.1', port: 0 } };
  const [a, b] = [await startServer(c1, opts), await startServer(c2, opts)];
  const client = dialConnector(a.address);
  try {
    await client.connector.getMetadata({});
    await client.connector.getMetadata({});
    expect(sum(await scrape(a), 'jira_connector_rpcs_total', { method: 'GetMetadata', code: 'OK' })).toBe(2);
    expect(sum(await scrape(b), 'jira_connector_rpcs_total')).toBe(0);
  } finally {
    client.close();
    await a.stop();
    await b.stop();
  }

  const m = new Metrics(new Set(['group']));
  const id = fake.tenant.groups()[0].groupId;
  m.upstreamAttempt('jira', `GET /rest/api/3/group/${id}`, 200, 5);
  m.upstreamAttempt('somewhere', 'GET /rest/api/3/group/member', 'connect to user@example.com failed', 5);
  m.upstreamRetry('jira', 'GET /rest/api/3/group/member', `reason ${id}`, 10);
  m.emittedItems('resources', id, 3);
  m.emittedItems('resources', 'group', 2);
  const samples = parse((await m.scrape()).body);
  expect(sum(samples, 'jira_connector_upstream_requests_total', { upstream: 'jira', endpoint: 'other', status: '200' })).toBe(1);
  expect(sum(samples, 'jira_connector_upstream_requests_total', { upstream: 'other', endpoint: 'GET /rest/api/3/group/member', status: 'other' })).toBe(1);
  expect(sum(samples, 'jira_connector_upstream_retries_total', { reason: 'other' })).toBe(1);
  expect(sum(samples, 'jira_connector_sync_emitted_total', { resource_type: 'other' })).toBe(3);
  expect(sum(samples, 'jira_connector_sync_emitted_total', { resource_type: 'group' })).toBe(2);
  expect(JSON.stringify(samples)).not.toContain(id);
});
