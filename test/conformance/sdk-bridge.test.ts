/**
 * Conformance with the platform's own code: the official Baton SDK (Go, through
 * tools/baton-bridge) syncs our gRPC server into a c1z, and the c1z holds exactly the fake
 * tenant's ground truth — every resource, entitlement and grant, direct and expanded — with no
 * sync warning and no field outside the SDK's validation rules; also with 429s injected, with the
 * SQLite engine over mutual TLS, and provisioning through the SDK's provisioner changes the tenant; the SDK's ticket
 * request shapes list schemas, file a ticket (single and bulk) and read it back valid by the SDK's own check.
 *
 * Needs Go >= 1.25.2 (the first run builds the bridge: a few minutes cold, cached afterwards).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { fakeConfig } from '../helpers/harness';
import { makePki } from '../helpers/certs';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import { startServer, RunningServer, ServerOptions } from '../../src/server/server';
import { BUILD_TIMEOUT_MS, ensureBridge, runBridge, readDump, expectedFrom, compare, NO_DIFF, BridgeReport, Dump } from './bridge';

const SYNC_TIMEOUT = 5 * 60_000;
let dir: string;

beforeAll(() => {
  ensureBridge();
  dir = mkdtempSync(join(tmpdir(), 'baton-bridge-'));
}, BUILD_TIMEOUT_MS);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function serve(fake: FakeAtlassian, opts: Partial<ServerOptions> = {}, extra: Record<string, string | boolean> = {}): Promise<RunningServer> {
  const cfg = parseConnectorConfig(fakeConfig(fake, { provisioning: opts.provisioning ?? false, ...extra }));
  const { connector } = await buildConnector(cfg);
  return startServer(connector, { host: '127.0.0.1', port: 0, provisioning: cfg.provisioning, ...opts });
}

/** Runs `baton-bridge sync` and returns its report and dump; fails with the bridge's own error. */
async function sdkSync(addr: string, name: string, extra: string[] = []): Promise<{ report: BridgeReport; dump: Dump }> {
  const out = join(dir, `${name}.c1z`);
  const dumpPath = join(dir, `${name}.json`);
  const r = await runBridge(['sync', '--addr', addr, '--out', out, '--dump', dumpPath, '--tmp-dir', dir, ...extra], SYNC_TIMEOUT);
  if (r.code !== 0) throw new Error(`baton-bridge sync failed: ${JSON.stringify(r.json, null, 2).slice(0, 6000)}\n${r.stderr.slice(-4000)}`);
  return { report: r.json, dump: readDump(dumpPath) };
}

/** The c1z equals the tenant, and the SDK saw nothing to warn about. */
function expectConformant(report: BridgeReport, dump: Dump, fake: FakeAtlassian, expected = expectedFrom(fake.tenant)): void {
  const diff = compare(dump, expected);
  expect(diff).toEqual({ resources: NO_DIFF, entitlements: NO_DIFF, grants: NO_DIFF });
  expect(report.syncType).toBe('full');
  expect(report.warnings).toEqual({ count: 0, logs: [] });
  expect(report.wire?.violations).toEqual([]);
  // every user carries its trait (the SDK checks it too), and counts agree with the dump
  expect(dump.resources.filter((r) => r.type === 'user' && !r.traits?.includes('UserTrait'))).toEqual([]);
  expect(report.grants.total).toBe(dump.grants.length);
  expect(report.grants.expanded).toBe(dump.grants.filter((g) => g.expanded).length);
}

describe('the SDK syncer with global permissions (BATON_JIRA_GLOBAL_PERMISSIONS), audit dates (BATON_JIRA_AUDIT_DAYS) and product-wide grants expanded (BATON_JIRA_EXPAND_PRODUCT_GRANTS) on the S tier', () => {
  test(
    "the c1z holds a global-permission resource per key and exactly the holders of the fake's model, with 0 warnings; dated grants keep their GrantMetadata; product users hold product-wide permissions through expansion",
    async () => {
      const fake = await startFakeAtlassian({ tier: 'S', seed: 3 });
      const server = await serve(fake, {}, { 'jira-global-permissions': true, 'jira-audit-days': '90', 'jira-expand-product-grants': true });
      try {
        const { report, dump } = await sdkSync(server.address, 's-global', ['--workers', '4']);
        expectConformant(report, dump, fake, expectedFrom(fake.tenant, { globalPermissions: true, expandProductGrants: true }));
        expect(dump.grants.filter((g) => g.expanded && g.sources?.some((x) => x.startsWith('application-role:')) && g.entitlement.includes(':permission:')).length).toBeGreaterThan(0);
        expect(dump.grants.filter((g) => g.entitlement.startsWith('global-permission:')).length).toBeGreaterThan(0);
        // the annotation passes the SDK's checks and is stored with the grant
        expect(dump.grants.filter((g) => g.annotations?.includes('GrantMetadata') && !g.entitlement.includes(':permission:')).length).toBeGreaterThan(10);
        expect(fake.validationErrors).toEqual([]);
      } finally {
        await server.stop();
        await fake.stop();
      }
    },
    SYNC_TIMEOUT,
  );
});

describe('the SDK syncer with work items (BATON_JIRA_WORK_ITEMS) on the S tier', () => {
  test(
    "the c1z holds every work item of the fake's model under its project, with its assignee and reporter grants, and 0 warnings",
    async () => {
      const fake = await startFakeAtlassian({ tier: 'S', seed: 3 });
      const server = await serve(fake, {}, { 'jira-work-items': true });
      try {
        const { report, dump } = await sdkSync(server.address, 's-work-items', ['--workers', '4']);
        expectConformant(report, dump, fake, expectedFrom(fake.tenant, { workItems: true }));
        expect(dump.resources.filter((r) => r.type === 'work-item').length).toBe(fake.tenant.issues().length);
        expect(fake.validationErrors).toEqual([]);
      } finally {
        await server.stop();
        await fake.stop();
      }
    },
    SYNC_TIMEOUT,
  );
});

describe('the SDK syncer on the M tier', () => {
  let fake: FakeAtlassian;
  let server: RunningServer;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'M', seed: 7 });
    server = await serve(fake);
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.stop();
  });

  test(
    'a full sync (Pebble c1z, 4 workers) holds exactly the ground truth, with 0 warnings',
    async () => {
      const { report, dump } = await sdkSync(server.address, 'm-pebble', ['--workers', '4']);
      expectConformant(report, dump, fake);
      const counts = fake.groundTruthCounts();
      expect(report.resources).toEqual({ user: counts.users, group: counts.groups, project: counts.projects, 'project-role': counts.projectRoles, 'application-role': counts.applicationRoles });
      expect(report.resourceTypes).toEqual(['api-token', 'application-role', 'global-permission', 'group', 'project', 'project-role', 'user']);
      expect(report.grants.expanded).toBeGreaterThan(0);
      expect(report.wire?.calls['/c1.connector.v2.ConnectorService/Validate']).toBe(1);
      expect(report.wire?.calls['/c1.connector.v2.ConnectorService/Cleanup']).toBe(1);
      expect(fake.validationErrors).toEqual([]);
    },
    SYNC_TIMEOUT,
  );

  test(
    '429s on every Jira endpoint and a 503 outage longer than our own retries: the SDK retries UNAVAILABLE and the c1z is the same',
    async () => {
      // 429s: our HTTP layer absorbs them (Retry-After); the syncer only sees slower answers. The
      // bucket does not announce what is left, so the client cannot pace itself below the limit.
      fake.faults.rateLimit({ capacity: 10, refillPerSec: 200, retryAfterSec: 1, announce: false }, 'jira');
      // 30 x 503 on one project's role actors: more than the 5 attempts each upstream call makes, so
      // ListGrants answers UNAVAILABLE with a RateLimitDescription detail and the SDK retries the RPC
      const last = fake.tenant
        .projects()
        .filter((p) => fake.tenant.projectRoles(p.id).length > 0)
        .at(-1)!;
      fake.faults.failWith(503, 30, { retryAfterSec: 1, match: (r) => r.key === 'GET /rest/api/3/project/{projectIdOrKey}/role/{id}' && r.path.includes(`/project/${last.id}/`) });
      fake.stats.reset();
      try {
        const { report, dump } = await sdkSync(server.address, 'm-faults', ['--workers', '4']);
        expect(fake.stats.statusCount(429)).toBeGreaterThan(0);
        expect(fake.stats.statusCount(503)).toBe(30);
        expect(report.wire?.errors).toEqual({ '/c1.connector.v2.GrantsService/ListGrants Unavailable': expect.any(Number) });
        // the only thing the SDK logged is its retries; it waited until the reset_at of our
        // RateLimitDescription (its own linear backoff would wait exactly 1 s x attempt)
        const logs = report.warnings!.logs;
        expect(logs.length).toBe(report.wire!.errors['/c1.connector.v2.GrantsService/ListGrants Unavailable']);
        expect(logs.every((l) => l.message === 'retrying operation' && /code = Unavailable/.test(String(l.fields?.error)))).toBe(true);
        expect(logs.some((l) => Number(l.fields?.wait) % 1e9 !== 0)).toBe(true);
        expectConformant({ ...report, warnings: { count: report.warnings!.count, logs: [] } }, dump, fake);
      } finally {
        fake.faults.clear();
      }
    },
    SYNC_TIMEOUT,
  );

  test(
    'the SQLite (v1) c1z over mutual TLS, one worker, holds the same',
    async () => {
      const pki = makePki();
      const f = (name: string, pem: string) => {
        const p = join(dir, name);
        writeFileSync(p, pem);
        return p;
      };
      const tls = { certFile: f('server.pem', pki.serverCert), keyFile: f('server-key.pem', pki.serverKey), clientCaFile: f('ca.pem', pki.caCert) };
      const tlsServer = await serve(fake, { tls });
      try {
        const creds = ['--tls-ca', tls.clientCaFile, '--tls-cert', f('client.pem', pki.clientCert), '--tls-key', f('client-key.pem', pki.clientKey)];
        const { report, dump } = await sdkSync(tlsServer.address, 'm-sqlite-mtls', ['--engine', 'sqlite', '--workers', '1', ...creds]);
        expect(report.engine).toBe('sqlite');
        expectConformant(report, dump, fake);
        // without the client certificate the server refuses the connection, and the bridge says so
        const refused = await runBridge(['sync', '--addr', tlsServer.address, '--out', join(dir, 'refused.c1z'), '--tls-ca', tls.clientCaFile], 60_000);
        expect(refused.code).toBe(1);
        expect(refused.json.ok).toBe(false);
      } finally {
        await tlsServer.stop();
      }
    },
    SYNC_TIMEOUT,
  );
});

describe('the SDK syncer with the organization configured (S tier): administration roles', () => {
  let fake: FakeAtlassian;
  let server: RunningServer;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 5 });
    server = await serve(fake, {}, { 'atlassian-orgid': fake.orgId, 'atlassian-api-token': fake.credentials.orgApiKey.key });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.stop();
  });

  test(
    'the c1z holds exactly the ground truth, organization and site roles included, with 0 warnings',
    async () => {
      const { report, dump } = await sdkSync(server.address, 's-org', ['--workers', '4']);
      // the SDK stores the organization and site resources, and every role grant (groups expanded to their members)
      expect(report.resourceTypes).toEqual(expect.arrayContaining(['organization', 'site']));
      expect(dump.grants.some((g) => g.entitlement === `organization:${fake.tenant.orgId}:org-admin`)).toBe(true);
      expect(dump.grants.some((g) => g.entitlement.startsWith(`site:${fake.tenant.cloudId}:`) && g.expanded)).toBe(true);
      expectConformant(report, dump, fake, expectedFrom(fake.tenant, { org: true }));
      expect(fake.validationErrors).toEqual([]);
    },
    SYNC_TIMEOUT,
  );
});

describe('provisioning through the SDK provisioner and request shapes', () => {
  let fake: FakeAtlassian;
  let reader: RunningServer; // provisioning off: what a sync talks to
  let writer: RunningServer; // provisioning on
  let c1z: string;
  let dump: Dump;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 21 });
    reader = await serve(fake);
    writer = await serve(fake, { provisioning: true });
    const s = await sdkSync(reader.address, 'prov-before');
    c1z = s.report.c1z;
    dump = s.dump;
  }, SYNC_TIMEOUT);
  afterAll(async () => {
    await writer?.stop();
    await reader?.stop();
    await fake?.stop();
  });

  const bridge = (args: string[]) =>
    runBridge<{ annotations: string[]; code?: string; message?: string; response?: Record<string, unknown>; request?: Record<string, unknown> }>([...args, '--addr', writer.address], 60_000);

  test(
    'grant and revoke group memberships and project-role actors; the tenant changes; repeats are no-ops; a re-sync matches',
    async () => {
      const t = fake.tenant;
      // grant: a user who is not in an ordinary group
      const g = t.groups().find((x) => !x.system && !x.externalSynced)!;
      const u = t.users().find((x) => x.accountType === 'atlassian' && t.isActiveInJira(x) && !t.isGroupMember(g.groupId, x.accountId))!.accountId;
      const grantArgs = ['grant', '--c1z', c1z, '--entitlement', `group:${g.groupId}:member`, '--principal-type', 'user', '--principal-id', u];
      const g1 = await bridge(grantArgs);
      expect(g1.json).toMatchObject({ ok: true });
      expect(t.isGroupMember(g.groupId, u)).toBe(true);
      expect(g1.json.annotations).not.toContain('GrantAlreadyExists');
      expect((g1.json.response as { grants: { id: string }[] }).grants.map((x) => x.id)).toEqual([`group:${g.groupId}:member:user:${u}`]);
      // the SDK's provisioner sends the full stored resources, not stubs
      expect((g1.json.request as { principal: { display_name?: string } }).principal.display_name).toBeTruthy();
      expect((await bridge(grantArgs)).json.annotations).toContain('GrantAlreadyExists');

      // revoke: an existing direct membership, read from the c1z
      const member = dump.grants.find(
        (x) =>
          !x.expanded &&
          x.entitlement.startsWith('group:') &&
          x.principalType === 'user' &&
          !t.group(x.entitlement.split(':')[1])?.system &&
          !t.group(x.entitlement.split(':')[1])?.externalSynced &&
          x.entitlement !== `group:${g.groupId}:member`,
      )!;
      const gid2 = member.entitlement.slice('group:'.length, -':member'.length);
      const r1 = await bridge(['revoke', '--c1z', c1z, '--grant', member.id]);
      expect(r1.json).toMatchObject({ ok: true, annotations: [] });
      expect(t.isGroupMember(gid2, member.principalId)).toBe(false);
      expect((await bridge(['revoke', '--c1z', c1z, '--grant', member.id])).json.annotations).toContain('GrantAlreadyRevoked');

      // a group actor of a project role: revoke, then grant back
      const actor = dump.grants.find((x) => x.entitlement.startsWith('project-role:') && x.principalType === 'group')!;
      const [, projectId, roleId] = actor.entitlement.split(':');
      expect(actor.annotations).toContain('GrantExpandable');
      expect((await bridge(['revoke', '--c1z', c1z, '--grant', actor.id])).json.ok).toBe(true);
      expect(t.roleActors(projectId, Number(roleId)).groups).not.toContain(actor.principalId);
      const back = await bridge(['grant', '--c1z', c1z, '--entitlement', actor.entitlement, '--principal-type', 'group', '--principal-id', actor.principalId]);
      expect(back.json.ok).toBe(true);
      expect(t.roleActors(projectId, Number(roleId)).groups).toContain(actor.principalId);

      // an expanded grant (GrantImmutable, held through a group) cannot be revoked on its own
      const inherited = dump.grants.find((x) => x.expanded && x.entitlement.startsWith('project-role:'))!;
      const refused = await bridge(['revoke', '--c1z', c1z, '--grant', inherited.id]);
      expect(refused.code).toBe(1);
      expect(refused.json).toMatchObject({ ok: false, result: { code: 'FailedPrecondition' } });

      // the next SDK sync shows exactly the changed tenant
      const after = await sdkSync(reader.address, 'prov-after');
      expectConformant(after.report, after.dump, fake);
      const ids = new Set(after.dump.grants.map((x) => x.id));
      expect(ids.has(`group:${g.groupId}:member:user:${u}`)).toBe(true);
      expect(ids.has(member.id)).toBe(false);
      expect(ids.has(actor.id)).toBe(true);
    },
    SYNC_TIMEOUT,
  );

  test(
    'create-account with no_password invites the user; again answers already_exists',
    async () => {
      const t = fake.tenant;
      const email = 'sdk.bridge.invitee@acme.example';
      expect(t.users().some((x) => x.email === email)).toBe(false);
      const args = ['create-account', '--email', email, '--profile', JSON.stringify({ products: ['jira-software'] })];
      const c1 = await bridge(args);
      expect(c1.json).toMatchObject({ ok: true, request: { credential_options: { no_password: {} } } });
      const success = (c1.json.response as { success?: { resource: { id: { resource: string } }; is_create_account_result: boolean } }).success!;
      expect(success.is_create_account_result).toBe(true);
      const created = t.users().find((x) => x.email === email)!;
      expect(created).toBeDefined();
      expect(success.resource.id.resource).toBe(created.accountId);
      expect(t.isActiveInJira(created)).toBe(true);

      const c2 = await bridge(args);
      expect(c2.json.ok).toBe(true);
      expect((c2.json.response as { already_exists?: { resource: { id: { resource: string } } } }).already_exists?.resource.id.resource).toBe(created.accountId);
    },
    SYNC_TIMEOUT,
  );
});

describe('ticketing through the SDK ticket request shapes', () => {
  let fake: FakeAtlassian;
  let server: RunningServer;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 23 });
    const cfg = parseConnectorConfig(fakeConfig(fake, { ticketing: true }));
    const { connector } = await buildConnector(cfg);
    server = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.stop();
  });

  test(
    'the SDK lists every schema, creates a ticket with every field kind (single and bulk) and reads it back valid',
    async () => {
      const { issueStore } = await import('../../src/fake-atlassian/issues');
      const store = issueStore(fake.tenant);
      const t = fake.tenant;
      const p = t.projects().find((x) => store.components(x).length > 0)!;
      const users = t.users().filter((u) => u.accountType === 'atlassian' && t.isActiveInJira(u));
      const template = {
        schema_id: `${p.key}:10010`,
        display_name: 'Access through the SDK',
        description: 'Filed by the Baton SDK\n\nthrough the bridge',
        labels: ['sdk'],
        custom_fields: {
          customfield_10050: 'Write',
          customfield_10051: ['Jira', 'VPN'],
          customfield_10052: users[1].accountId,
          customfield_10053: 'Audit',
          customfield_10054: true,
          customfield_10055: '2026-12-24T09:30:00Z',
          customfield_10056: 2.5,
          customfield_10057: [users[2].accountId],
          priority: { id: '2' },
          components: [{ id: store.components(p)[0].id }],
          duedate: '2027-01-15T00:00:00Z',
        },
      };
      const file = join(dir, 'ticket.json');
      writeFileSync(file, JSON.stringify(template));
      for (const bulk of [false, true]) {
        const before = store.created().length;
        const r = await runBridge<{ schemaIds: string[]; valid: boolean; created: { id: string }; got: Record<string, unknown>; wire: { violations: unknown[] } }>(
          ['tickets', '--addr', server.address, '--template', file, ...(bulk ? ['--bulk'] : [])],
          120_000,
        );
        if (r.code !== 0) throw new Error(`baton-bridge tickets failed: ${JSON.stringify(r.json, null, 2).slice(0, 6000)}\n${r.stderr.slice(-3000)}`);
        expect(r.json.schemaIds.sort()).toEqual(
          t
            .projects()
            .flatMap((x) =>
              store
                .issueTypes(x.id)
                .filter((it) => !it.subtask)
                .map((it) => `${x.key}:${it.id}`),
            )
            .sort(),
        );
        expect(r.json.valid).toBe(true);
        expect(r.json.wire.violations).toEqual([]);
        const created = store.created();
        expect(created).toHaveLength(before + 1);
        const issue = created[created.length - 1];
        expect(r.json.created.id).toBe(issue.id);
        expect(issue.fields).toMatchObject({
          summary: 'Access through the SDK',
          customfield_10050: { value: 'Write' },
          customfield_10052: users[1].accountId,
          customfield_10053: 'Audit',
          customfield_10055: '2026-12-24T09:30:00.000Z',
          customfield_10056: 2.5,
          customfield_10057: [users[2].accountId],
          priority: { id: '2' },
          duedate: '2027-01-15',
        });
        expect((issue.fields.customfield_10051 as Array<{ value: string }>).map((o) => o.value)).toEqual(['Jira', 'VPN']);
        expect((issue.fields.customfield_10054 as Array<{ value: string }>).map((o) => o.value)).toEqual(['Yes']);
        expect((issue.fields.components as Array<{ id: string }>).map((c) => c.id)).toEqual([store.components(p)[0].id]);
        expect(r.json.got).toMatchObject({ id: issue.id, display_name: 'Access through the SDK', labels: ['sdk'], status: { id: issue.statusId } });
      }
      expect(fake.validationErrors).toEqual([]);
    },
    SYNC_TIMEOUT,
  );
});
