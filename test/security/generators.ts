/**
 * Fuzzed c1.connector.v2 requests, as the bytes that go on the wire: structured requests built
 * from hostile values (traversal ids, ids of the wrong kind, extreme numbers, forged page tokens,
 * profiles that disagree with ids, oversized fields, wrong resource types and principals), valid
 * requests with their encoding damaged, and random bytes. Everything comes from one seeded PRNG.
 */
import { Rng } from '../../src/fake-atlassian/rng';
import type { FakeAtlassian } from '../../src/fake-atlassian';
import type { Any } from '../../src/gen/google/protobuf/any';
import { ConnectorServiceService, ConnectorServiceCleanupRequest, ConnectorServiceGetMetadataRequest, ConnectorServiceValidateRequest } from '../../src/gen/c1/connector/v2/connector';
import {
  AccountManagerServiceService,
  CreateAccountRequest,
  CreateResourceRequest,
  CredentialManagerServiceService,
  DeleteResourceRequest,
  DeleteResourceV2Request,
  IssueCredentialRequest,
  Resource,
  ResourceDeleterServiceService,
  ResourceGetterServiceGetResourceRequest,
  ResourceGetterServiceService,
  ResourceId,
  ResourceManagerServiceService,
  ResourcesServiceListResourcesRequest,
  ResourcesServiceService,
  ResourceTypesServiceListResourceTypesRequest,
  ResourceTypesServiceService,
  RotateCredentialRequest,
} from '../../src/gen/c1/connector/v2/resource';
import { EntitlementsServiceListEntitlementsRequest, EntitlementsServiceListStaticEntitlementsRequest, EntitlementsServiceService, Entitlement } from '../../src/gen/c1/connector/v2/entitlement';
import {
  GrantManagerServiceGrantRequest,
  GrantManagerServiceRevokeRequest,
  GrantManagerServiceService,
  GrantsServiceListGrantsRequest,
  GrantsServiceService,
  Grant,
} from '../../src/gen/c1/connector/v2/grant';
import { ActionServiceService, GetActionSchemaRequest, GetActionStatusRequest, InvokeActionRequest, ListActionSchemasRequest } from '../../src/gen/c1/connector/v2/action';
import { AssetServiceGetAssetRequest, AssetServiceService } from '../../src/gen/c1/connector/v2/asset';
import {
  TicketCustomField,
  TicketsServiceBulkCreateTicketsRequest,
  TicketsServiceBulkGetTicketsRequest,
  TicketsServiceCreateTicketRequest,
  TicketsServiceGetTicketRequest,
  TicketsServiceGetTicketSchemaRequest,
  TicketsServiceListTicketSchemasRequest,
  TicketsServiceService,
} from '../../src/gen/c1/connector/v2/ticket';

/** What a write request's ids name: the only place its changes may land. */
export type WriteIntent =
  | { kind: 'grant' | 'revoke'; entType: string; entId: string; principalType: string; principalId: string }
  | { kind: 'create-account'; emails: string[] }
  | { kind: 'action'; name: string; accountId?: string }
  | { kind: 'none' };

export interface FuzzCase {
  /** "Service/Method" */
  rpc: string;
  /** gRPC path */
  path: string;
  bytes: Buffer;
  stream: boolean;
  /** a write RPC (Grant, Revoke, CreateAccount, InvokeAction): run one at a time, tenant diffed after */
  write: boolean;
  /** generator that made it, for the summary */
  label: string;
  /** which connector server: without or with the Atlassian organization configured (undefined: the batch's) */
  server?: 'plain' | 'org';
}

interface Rpc {
  rpc: string;
  path: string;
  stream: boolean;
  write: boolean;
}

function rpcsOf(service: Record<string, { path: string; responseStream: boolean }>): Rpc[] {
  return Object.values(service).map((m) => {
    const rpc = m.path
      .split('/')
      .slice(1)
      .join('/')
      .replace(/^c1\.connector\.v2\./, '');
    return { rpc, path: m.path, stream: m.responseStream, write: /\/(Grant|Revoke|CreateAccount|InvokeAction)$/.test(m.path) };
  });
}

/** Every RPC of every c1.connector.v2 service the server registers (served or answering UNIMPLEMENTED). */
export const ALL_RPCS: Rpc[] = [
  ConnectorServiceService,
  ResourceTypesServiceService,
  ResourcesServiceService,
  ResourceGetterServiceService,
  EntitlementsServiceService,
  GrantsServiceService,
  GrantManagerServiceService,
  AccountManagerServiceService,
  ActionServiceService,
  ResourceManagerServiceService,
  ResourceDeleterServiceService,
  CredentialManagerServiceService,
  AssetServiceService,
  TicketsServiceService,
].flatMap((s) => rpcsOf(s as unknown as Record<string, { path: string; responseStream: boolean }>));

const RPC = Object.fromEntries(ALL_RPCS.map((r) => [r.rpc.split('/')[1], r])) as Record<string, Rpc>;

const encode = <T>(codec: { encode(m: T): { finish(): Uint8Array }; fromPartial(o: object): T }, o: object): Buffer => Buffer.from(codec.encode(codec.fromPartial(o)).finish());

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited protobuf field. */
function field(num: number, body: Buffer): Buffer {
  return Buffer.concat([varint((num << 3) | 2), varint(body.length), body]);
}

/** A google.protobuf.Value nested `depth` list_values deep (built iteratively; the encoder would recurse). */
function deepValue(depth: number): Buffer {
  let v: Buffer = Buffer.from([0x08, 0x00]); // null_value
  for (let i = 0; i < depth; i++) v = field(6, field(1, v)); // Value.list_value(ListValue.values[0])
  return v;
}

export interface Pools {
  users: string[];
  groups: string[];
  /** groups in a directory of the organization */
  directoryGroups: string[];
  projects: string[];
  projectKeys: string[];
  roles: string[];
  projectRoles: string[];
  appRoles: string[];
  /** never named by any fuzzed request's ids: the connector's own account and the service account */
  protectedAccounts: string[];
  siteUrl: string;
  apiUrl: string;
  orgId: string;
  /** the site's cloud id (the `site` resource) */
  cloudId: string;
  port: string;
}

export function poolsOf(fake: FakeAtlassian): Pools {
  const t = fake.tenant;
  const protectedAccounts = [t.adminAccountId, t.serviceAccountId];
  const projects = t.projects().map((p) => p.id);
  const roles = t.roles().map((r) => String(r.id));
  return {
    users: t
      .allAccounts()
      .map((u) => u.accountId)
      .filter((id) => !protectedAccounts.includes(id)),
    groups: t.allGroups().map((g) => g.groupId),
    directoryGroups: t
      .allGroups()
      .filter((g) => g.directoryId)
      .map((g) => g.groupId),
    projects,
    projectKeys: t.projects().map((p) => p.key),
    roles,
    projectRoles: projects.flatMap((p) => t.projectRoles(p).map((r) => `${p}:${r.id}`)),
    appRoles: t.applicationRoles().map((a) => a.key),
    protectedAccounts,
    siteUrl: fake.siteUrl,
    apiUrl: fake.apiUrl,
    orgId: fake.orgId,
    cloudId: t.cloudId,
    port: new URL(fake.siteUrl).port,
  };
}

const TYPES = ['user', 'group', 'project', 'project-role', 'application-role', 'organization', 'site', 'api-token', 'global-permission', 'work-item'];

const HOSTILE_IDS = [
  '',
  '.',
  '..',
  '...',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '%252e%252e',
  '..%2f..',
  '../role/10000',
  '..%2Frole%2F10000',
  'a/b',
  '10000/..',
  '/',
  '//',
  '\\..\\',
  '?',
  '?x=1',
  '#frag',
  '&accountId=x',
  '&groupId=x',
  'a b',
  '\r\nX-Injected: 1',
  '\u0000',
  '%00',
  '%',
  '%zz',
  '\ud800',
  '😀',
  'é',
  '-1',
  '0',
  '00010001',
  '1e3',
  '0x10',
  '9'.repeat(19),
  '9'.repeat(400),
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  ':',
  '::',
  '10001:',
  ':10000',
  '10001:10000:1',
  '10001:..',
  '..:10000',
  '10001:10000/..',
  '10001:-1',
  '10001:1.5',
  '10001:1e3',
  '-10001:10000',
  'http://u:p@127.0.0.1/',
  'javascript:alert(1)',
  'A'.repeat(1024),
  'A'.repeat(1025),
  'é'.repeat(513),
  'x'.repeat(4096),
];

/** Generates fuzzed requests; `next()` draws one. */
export class Fuzzer {
  readonly rng: Rng;
  constructor(
    seed: number,
    private readonly p: Pools,
  ) {
    this.rng = new Rng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    return this.rng.pick(xs);
  }

  private chance(x: number): boolean {
    return this.rng.chance(x);
  }

  private randomBytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.rng.u32() & 0xff;
    return b;
  }

  private randomString(max: number): string {
    const n = this.rng.int(0, max);
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.rng.next();
      s += r < 0.6 ? String.fromCharCode(this.rng.int(0x20, 0x7e)) : r < 0.8 ? String.fromCharCode(this.rng.int(0, 0x1f)) : String.fromCodePoint(this.rng.int(0x80, 0x10ffff) & 0x10ffff);
    }
    return s;
  }

  /** A string of the wrong size: 1 KiB edge, tens of KiB, or (rarely) a few hundred KiB. */
  private oversized(): string {
    const n = this.pick([1024, 1025, 2048, 65536, 65537, this.chance(0.1) ? 300_000 : 8192]);
    return this.pick(['A', '9', '.', '/', 'é']).repeat(n).slice(0, n);
  }

  private hostile(): string {
    const r = this.rng.next();
    if (r < 0.75) return this.pick(HOSTILE_IDS);
    if (r < 0.9) return this.randomString(40);
    return this.oversized();
  }

  private realIdOf(type: string): string {
    switch (type) {
      case 'user':
        return this.pick(this.p.users);
      case 'group':
        return this.pick(this.p.groups);
      case 'project':
        return this.chance(0.8) ? this.pick(this.p.projects) : this.pick(this.p.projectKeys);
      case 'project-role':
        return this.pick(this.p.projectRoles);
      case 'application-role':
        return this.pick(this.p.appRoles);
      case 'organization':
        return this.p.orgId;
      case 'site':
        return this.p.cloudId;
      case 'global-permission':
        return this.pick(['ADMINISTER', 'SYSTEM_ADMIN', 'USER_PICKER', 'BULK_CHANGE']);
      case 'work-item':
        return this.pick(['10000', '10001', '10002', '10003', '10007']);
      default:
        return this.pick([this.pick(this.p.users), this.pick(this.p.groups), this.pick(this.p.projects)]);
    }
  }

  /** An id for a resource of `type`: often real, else of another type, hostile, or a real id with a hostile part. */
  private idFor(type: string): string {
    const r = this.rng.next();
    if (r < 0.45) return this.realIdOf(type);
    if (r < 0.55) return this.realIdOf(this.pick(TYPES));
    if (r < 0.85) return this.hostile();
    const real = this.realIdOf(type);
    const h = this.pick(HOSTILE_IDS.filter((x) => x.length < 64));
    if (type === 'project-role') {
      const [p, ro] = real.split(':');
      return this.pick([`${p}:${h}`, `${h}:${ro}`, `${p}:${ro}${h}`, `${p}${h}:${ro}`]);
    }
    return this.pick([`${real}${h}`, `${h}${real}`, `${real}/${h}`, real.toUpperCase(), ` ${real}`, `${real}\n`]);
  }

  private resourceType(): string {
    const r = this.rng.next();
    if (r < 0.8) return this.pick(TYPES);
    if (r < 0.95) return this.pick(['', 'USER', 'group ', 'role', 'project_role', 'app', 'projectrole', 'application-role:', 'user/..', ...HOSTILE_IDS.slice(0, 20)]);
    return this.oversized();
  }

  private resourceId(type?: string): ResourceId {
    const t = type ?? this.resourceType();
    return { resourceType: t, resource: this.idFor(t), batonResource: this.chance(0.05) };
  }

  private number(): number {
    return this.pick([0, 1, -1, 1.5, 10000, 10001, 10002, 2 ** 31, 2 ** 53 + 1, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 0.1]);
  }

  /** Profile values that point somewhere else than the id, or are malformed. */
  private hostileProfile(): Record<string, unknown> {
    const r = this.rng.next();
    const otherPr = this.pick(this.p.projectRoles).split(':');
    if (r < 0.25) return { project_id: this.pick(['..', '.', '%2e%2e', 'a/b', '../..', otherPr[0], '']), role_id: this.pick([Number(otherPr[1]), otherPr[1], '..', this.number()]) };
    if (r < 0.45) return { project_id: otherPr[0], role_id: Number(otherPr[1]), project_name: 'x', name: 'x', style: this.pick(['classic', 'next-gen', '..']) };
    if (r < 0.6)
      return {
        group_id: this.pick(this.p.groups),
        group_ids: [this.pick(this.p.groups), '..', this.hostile()],
        site_access: this.chance(0.5),
        directory_id: this.pick(['-', '..', this.hostile()]),
        lead_account_id: this.pick([this.pick(this.p.users), '..', this.hostile()]),
      };
    if (r < 0.7) return { key: this.hostile(), project_id: this.hostile(), account_id: this.hostile(), email: this.hostile(), style: 'classic' };
    if (r < 0.8) {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < this.rng.int(1, 300); i++) o[`k${i}`] = this.number();
      return o;
    }
    if (r < 0.9) return { blob: 'x'.repeat(this.pick([1000, 100_000, 256 * 1024])) };
    return { nested: [[[{ a: [this.number(), null, true, this.hostile()] }]]], project_id: otherPr[0] };
  }

  private resource(type?: string): Resource {
    const id = this.resourceId(type);
    return Resource.fromPartial({
      id,
      parentResourceId: this.chance(0.2) ? this.resourceId() : undefined,
      displayName: this.chance(0.2) ? this.hostile() : '',
      profile: this.chance(0.5) ? this.hostileProfile() : undefined,
      annotations: this.annotations(),
    });
  }

  private annotations(): Any[] {
    if (this.chance(0.8)) return [];
    return this.pick([
      [{ typeUrl: 'type.googleapis.com/c1.connector.v2.GrantImmutable', value: Buffer.alloc(0) }],
      [{ typeUrl: 'type.googleapis.com/c1.connector.v2.ExternalLink', value: this.randomBytes(this.rng.int(0, 64)) }],
      [{ typeUrl: this.hostile(), value: this.randomBytes(this.rng.int(0, 256)) }],
      Array.from({ length: 50 }, () => ({ typeUrl: 'x', value: Buffer.alloc(0) })),
    ]);
  }

  private pageSize(): number {
    return this.chance(0.6) ? 0 : this.pick([1, 50, 250, 251, 1000, 2 ** 31 - 1, 2 ** 32 - 1]);
  }

  private syncId(): string {
    return this.chance(0.5) ? '' : this.pick(['sync-1', 'sync-2', `s-${this.rng.hex(8)}`, this.hostile(), 'x'.repeat(1025)]);
  }

  /** base64url(JSON) page tokens: the connector's shape with wrong kinds, types, versions, numbers, cursors. */
  private pageToken(): string {
    const r = this.rng.next();
    if (r < 0.25) return '';
    if (r < 0.32) return this.pick(['!!', '%%', ' ', 'a b', '====', '\u0000', 'e30', 'bnVsbA', 'WzFd', 'IngiCg', this.randomString(30)]);
    if (r < 0.34) return 'A'.repeat(this.pick([1024 * 1024, 1024 * 1024 + 1, 200_000]));
    const base = `127.0.0.1:${this.p.port}`;
    const v1 = `/admin/v1/orgs/${this.p.orgId}/users`;
    const cursor = this.pick([
      'abc',
      '',
      '..',
      `http://u:p@${base}${v1}?cursor=x`,
      `http://${base}${v1}?cursor=x&evil=1`,
      `http://${base}${v1}?limit=100000`,
      `http://evil.example${v1}?cursor=x`,
      `//evil.example${v1}`,
      `http://${base}/admin/v1/orgs/${this.p.orgId}/users/../../../../rest/api/3/role`,
      `http://${base}/rest/api/3/role/10000`,
      `${this.p.apiUrl}${v1}?cursor=${'c'.repeat(5000)}`,
      'x'.repeat(10_000),
      this.hostile(),
    ]);
    const state: Record<string, unknown> = {
      v: this.chance(0.7) ? 1 : this.pick([0, 2, '1', null, 1.0000001, 1e308, [], {}]),
      k: this.chance(0.7) ? this.pick(['user', 'group', 'group-member', 'project']) : this.pick(['', 'x', null, 1, 'user ', 'USER']),
    };
    if (this.chance(0.7)) state.p = this.pick(['jira', 'org', 'dir', 'x', null, 1, {}]);
    if (this.chance(0.7)) state.s = this.pick([0, 50, -1, 1.5, '0', 'abc', 1e300, 2 ** 53 + 1, {}, [], null, true, '1;x', 99999999999]);
    if (this.chance(0.5)) state.c = this.chance(0.8) ? cursor : this.pick([1, {}, [], null, -1, 1e300]);
    if (this.chance(0.3)) state.g = this.pick([true, false, 'x', 1, null]);
    if (this.chance(0.1)) state.__proto__ = { p: 'org' };
    if (this.chance(0.05)) return Buffer.from(JSON.stringify([state])).toString('base64url');
    return Buffer.from(JSON.stringify(state)).toString('base64url');
  }

  private entitlementFor(type: string, res: Resource): Entitlement {
    const slug = this.chance(0.8)
      ? this.pick([
          'member',
          'assigned',
          'lead',
          'participate',
          'org-admin',
          'site-admin',
          'user-access-admin',
          `product:${this.pick(this.p.appRoles)}:${this.pick(['admin', 'user', 'basic', 'guest'])}`,
        ])
      : this.hostile();
    const id = this.chance(0.7) ? `${res.id?.resourceType}:${res.id?.resource}:${slug}` : this.pick(['', this.hostile(), `${type}:${this.realIdOf(type)}:${slug}`]);
    return Entitlement.fromPartial({ id, resource: res, slug, annotations: this.annotations() });
  }

  /** A principal: a user (mostly), a group, or something that cannot hold an entitlement. */
  private principal(): Resource {
    const t = this.chance(0.85) ? this.pick(['user', 'user', 'user', 'group']) : this.resourceType();
    return this.resource(t);
  }

  private writableType(): string {
    return this.chance(0.85) ? this.pick(['group', 'project-role', 'organization', 'site']) : this.resourceType();
  }

  private email(): string {
    const r = this.rng.next();
    if (r < 0.3) return `fuzz.${this.rng.hex(6)}@acme.example`;
    if (r < 0.45) return this.pick(['', '@', 'a@b', 'a@b.', '@b.c', 'a@@b.c', 'a b@c.d', 'a@b.c\n', '<a@b.c>', 'admin@acme.example', 'ADMIN@ACME.EXAMPLE']);
    if (r < 0.6) return `${'a'.repeat(this.pick([64, 250, 255, 1000]))}@acme.example`;
    if (r < 0.7) return `a@${'b.'.repeat(this.pick([100, 2000]))}c`;
    if (r < 0.8) return `x@${'.'.repeat(this.pick([100, 1000, 2000]))}@`;
    return this.hostile();
  }

  /** One structured request of a chosen RPC. */
  private structured(name: string): Buffer {
    switch (name) {
      case 'GetMetadata':
        return encode(ConnectorServiceGetMetadataRequest, {});
      case 'Validate':
        return encode(ConnectorServiceValidateRequest, {});
      case 'Cleanup':
        return encode(ConnectorServiceCleanupRequest, { activeSyncId: this.syncId(), annotations: this.annotations() });
      case 'ListResourceTypes':
        return encode(ResourceTypesServiceListResourceTypesRequest, {
          parent: this.chance(0.3) ? this.resource() : undefined,
          pageSize: this.pageSize(),
          pageToken: this.chance(0.7) ? '' : this.pageToken(),
          activeSyncId: this.syncId(),
        });
      case 'ListResources':
        return encode(ResourcesServiceListResourcesRequest, {
          resourceTypeId: this.resourceType(),
          parentResourceId: this.chance(0.4) ? this.resourceId(this.chance(0.7) ? 'project' : undefined) : undefined,
          pageSize: this.pageSize(),
          pageToken: this.pageToken(),
          activeSyncId: this.syncId(),
          annotations: this.annotations(),
        });
      case 'GetResource':
        return encode(ResourceGetterServiceGetResourceRequest, {
          resourceId: this.chance(0.95) ? this.resourceId() : undefined,
          parentResourceId: this.chance(0.3) ? this.resourceId() : undefined,
          activeSyncId: this.syncId(),
          annotations: this.annotations(),
        });
      case 'ListEntitlements':
        return encode(EntitlementsServiceListEntitlementsRequest, {
          resource: this.chance(0.95) ? this.resource() : undefined,
          pageSize: this.pageSize(),
          pageToken: this.pageToken(),
          activeSyncId: this.syncId(),
        });
      case 'ListStaticEntitlements':
        return encode(EntitlementsServiceListStaticEntitlementsRequest, { resourceTypeId: this.resourceType(), pageSize: this.pageSize(), pageToken: this.pageToken(), activeSyncId: this.syncId() });
      case 'ListGrants':
        return encode(GrantsServiceListGrantsRequest, {
          resource: this.chance(0.95) ? this.resource() : undefined,
          pageSize: this.pageSize(),
          pageToken: this.pageToken(),
          activeSyncId: this.syncId(),
          expandableOnly: this.chance(0.1),
          needsExpansionOnly: this.chance(0.1),
        });
      case 'Grant': {
        const t = this.writableType();
        const res = this.resource(t);
        return encode(GrantManagerServiceGrantRequest, {
          entitlement: this.chance(0.97) ? this.entitlementFor(t, res) : undefined,
          principal: this.chance(0.97) ? this.principal() : undefined,
          annotations: this.annotations(),
        });
      }
      case 'Revoke': {
        const t = this.writableType();
        const res = this.resource(t);
        const ent = this.entitlementFor(t, res);
        const principal = this.principal();
        const g = Grant.fromPartial({
          entitlement: this.chance(0.97) ? ent : undefined,
          principal: this.chance(0.97) ? principal : undefined,
          id: this.chance(0.7) ? `${ent.id}:${principal.id?.resourceType}:${principal.id?.resource}` : this.hostile(),
          sources: this.chance(0.1) ? { sources: { [this.hostile()]: { isDirect: this.chance(0.5) } } } : undefined,
          annotations: this.annotations(),
        });
        return encode(GrantManagerServiceRevokeRequest, { grant: this.chance(0.97) ? g : undefined });
      }
      case 'CreateAccount': {
        const emails = Array.from({ length: this.pick([0, 1, 1, 1, 2, 50]) }, () => ({ address: this.email(), isPrimary: this.chance(0.5) }));
        const profile = this.chance(0.5) ? { email: this.email(), products: this.pick([['jira-software'], 'jira-software,..', [this.hostile()], 'x'.repeat(3000), 42, null]) } : undefined;
        return encode(CreateAccountRequest, {
          accountInfo: this.chance(0.95) ? { emails, login: this.chance(0.3) ? this.email() : '', loginAliases: this.chance(0.1) ? [this.hostile()] : [], profile } : undefined,
          credentialOptions: this.chance(0.7)
            ? { options: { $case: 'noPassword', value: {} } }
            : this.chance(0.5)
              ? { options: { $case: 'randomPassword', value: { length: this.pick([0, 1, -1, 2 ** 31, 2 ** 53 - 1]) } } }
              : undefined,
          resourceTypeId: this.chance(0.7) ? '' : this.resourceType(),
        });
      }
      case 'InvokeAction': {
        const id = this.chance(0.6) ? this.pick(this.p.users) : this.hostile();
        const arg = this.pick<unknown>([id, { resource_type_id: this.chance(0.8) ? 'user' : this.resourceType(), resource_id: id }, { resourceTypeId: 'user', resourceId: id }, 42, null, [id], '']);
        const key = this.pick(['resource_id', 'resource_id', 'account_id', 'user_id', 'x']);
        return encode(InvokeActionRequest, {
          name: this.chance(0.85) ? this.pick(['account_disable', 'account_enable']) : this.hostile(),
          args: this.chance(0.95) ? { [key]: arg } : undefined,
          resourceTypeId: this.chance(0.7) ? '' : this.resourceType(),
        });
      }
      case 'GetActionStatus':
        return encode(GetActionStatusRequest, { id: this.chance(0.3) ? `${this.rng.hex(8)}-0000-4000-8000-${this.rng.hex(12)}` : this.hostile(), name: this.hostile() });
      case 'GetActionSchema':
        return encode(GetActionSchemaRequest, { name: this.chance(0.4) ? this.pick(['account_disable', 'account_enable']) : this.hostile() });
      case 'ListActionSchemas':
        return encode(ListActionSchemasRequest, { resourceTypeId: this.chance(0.5) ? '' : this.resourceType() });
      case 'CreateResource':
        return encode(CreateResourceRequest, { resource: this.resource() });
      case 'DeleteResource':
        return encode(DeleteResourceRequest, { resourceId: this.resourceId(), parentResourceId: this.chance(0.3) ? this.resourceId() : undefined });
      case 'DeleteResourceV2':
        return encode(DeleteResourceV2Request, { resourceId: this.resourceId() });
      case 'RotateCredential':
        return encode(RotateCredentialRequest, { resourceId: this.resourceId() });
      case 'IssueCredential':
        return encode(IssueCredentialRequest, { identityId: this.resourceId(), requestId: this.hostile() });
      case 'GetAsset':
        return encode(AssetServiceGetAssetRequest, { asset: { id: this.hostile() } });
      // ticketing (the servers run with BATON_TICKETING): schema ids, issue keys, custom fields of every kind
      case 'ListTicketSchemas':
        return encode(TicketsServiceListTicketSchemasRequest, { pageSize: this.pageSize(), pageToken: this.pageToken(), annotations: this.annotations() });
      case 'GetTicketSchema':
        return encode(TicketsServiceGetTicketSchemaRequest, { id: this.ticketSchemaId(), annotations: this.annotations() });
      case 'GetTicket':
        return encode(TicketsServiceGetTicketRequest, { id: this.issueId(), annotations: this.annotations() });
      case 'BulkGetTickets':
        return encode(TicketsServiceBulkGetTicketsRequest, { ticketRequests: Array.from({ length: this.pick([0, 1, 3, 101]) }, () => ({ id: this.issueId() })) });
      case 'CreateTicket':
        return encode(TicketsServiceCreateTicketRequest, this.ticketRequest());
      case 'BulkCreateTickets':
        return encode(TicketsServiceBulkCreateTicketsRequest, { ticketRequests: Array.from({ length: this.pick([0, 1, 3, 101]) }, () => this.ticketRequest()) });
      default:
        throw new Error(`no generator for ${name}`);
    }
  }

  /** Damages a valid encoding: truncation, bit flips, inserted bytes, a wrong wire type, an overlong length. */
  private damage(b: Buffer): Buffer {
    const r = this.rng.next();
    if (b.length === 0) return this.randomBytes(this.rng.int(1, 16));
    if (r < 0.25) return b.subarray(0, this.rng.int(0, b.length - 1));
    if (r < 0.5) {
      const c = Buffer.from(b);
      for (let i = 0; i < this.rng.int(1, 8); i++) c[this.rng.int(0, c.length - 1)] ^= 1 << this.rng.int(0, 7);
      return c;
    }
    if (r < 0.7) {
      const at = this.rng.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), this.randomBytes(this.rng.int(1, 32)), b.subarray(at)]);
    }
    if (r < 0.8) return Buffer.concat([b, Buffer.from([0x0b]), this.randomBytes(8)]); // start-group wire type
    if (r < 0.9) return Buffer.concat([b, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]); // field 1, length 4 GiB
    return Buffer.concat([b, Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]); // overlong varint
  }

  private make(rpc: Rpc, bytes: Buffer, label: string): FuzzCase {
    return { rpc: rpc.rpc, path: rpc.path, stream: rpc.stream, write: rpc.write, bytes, label };
  }

  /** Draws one fuzzed request. */
  next(): FuzzCase {
    const r = this.rng.next();
    if (r < 0.1) {
      const rpc = this.pick(ALL_RPCS);
      return this.make(rpc, this.randomBytes(this.pick([1, 2, 3, 7, 16, 64, 256, 1024, 4096])), 'random bytes');
    }
    const name = this.pickWeighted();
    const rpc = RPC[name];
    const bytes = this.structured(name);
    if (r < 0.22) return this.make(rpc, this.damage(bytes), 'damaged encoding');
    return this.make(rpc, bytes, 'structured');
  }

  private ticketSchemaId(): string {
    const r = this.rng.next();
    if (r < 0.5) return `${this.pick(this.p.projectKeys)}:${this.pick(['10001', '10004', '10010', '10003', '1', '99999'])}`;
    if (r < 0.7) return `${this.pick(this.p.projectKeys)}:${this.hostile()}`;
    return this.hostile();
  }

  private issueId(): string {
    return this.chance(0.4) ? `${this.pick(this.p.projectKeys)}-${this.rng.int(0, 20)}` : this.chance(0.3) ? String(this.rng.int(9990, 10100)) : this.hostile();
  }

  private ticketField(): TicketCustomField['value'] {
    switch (this.rng.int(0, 8)) {
      case 0:
        return { $case: 'stringValue', value: { value: this.chance(0.5) ? this.pick(this.p.users) : this.hostile(), defaultValue: '' } };
      case 1:
        return { $case: 'stringValues', value: { values: [this.hostile(), this.pick(this.p.users)], defaultValues: [] } };
      case 2:
        return { $case: 'boolValue', value: { value: this.chance(0.5) } };
      case 3:
        return { $case: 'numberValue', value: { value: this.pick([NaN, Infinity, 2.5, -1, 0]), defaultValue: undefined } };
      case 4:
        return { $case: 'timestampValue', value: { value: new Date(this.pick([0, -8.64e15, 8.64e15, 1.7e12])), defaultValue: undefined } };
      case 5:
        return { $case: 'pickStringValue', value: { value: this.pick(['Read', 'Write', 'Sev-1', this.hostile()]), allowedValues: [], defaultValue: '' } };
      case 6:
        return { $case: 'pickMultipleStringValues', value: { values: [this.pick(['Jira', 'VPN']), this.hostile()], allowedValues: [], defaultValues: [] } };
      case 7:
        return { $case: 'pickObjectValue', value: { value: { id: this.pick(['1', '3', this.hostile()]), displayName: '' }, allowedValues: [], defaultValue: undefined } };
      default:
        return { $case: 'pickMultipleObjectValues', value: { values: [{ id: this.hostile(), displayName: '' }], allowedValues: [], defaultValues: [] } };
    }
  }

  private ticketRequest(): object {
    const customFields: Record<string, TicketCustomField> = {};
    for (let i = this.rng.int(0, 4); i > 0; i--) {
      const k = this.pick(['customfield_10050', 'customfield_10052', 'customfield_10056', 'priority', 'components', 'duedate', 'assignee', 'summary', this.hostile()]);
      customFields[k] = { id: k, displayName: '', required: false, annotations: [], value: this.ticketField() };
    }
    return {
      request: this.chance(0.95)
        ? {
            displayName: this.chance(0.5) ? `Fuzz ${this.rng.hex(4)}` : this.hostile(),
            description: this.chance(0.6) ? '' : this.hostile(),
            labels: this.chance(0.7) ? [] : [this.hostile()],
            customFields,
          }
        : undefined,
      schema: this.chance(0.9) ? { id: this.ticketSchemaId() } : undefined,
      annotations: this.chance(0.8) ? [] : [{ typeUrl: 'type.googleapis.com/c1.connector.v2.RequestId', value: this.randomBytes(this.rng.int(0, 40)) }],
    };
  }

  private pickWeighted(): string {
    const w: [string, number][] = [
      ['ListResources', 9],
      ['GetResource', 10],
      ['ListEntitlements', 6],
      ['ListStaticEntitlements', 2],
      ['ListGrants', 12],
      ['Grant', 8],
      ['Revoke', 8],
      ['CreateAccount', 2],
      ['InvokeAction', 2],
      ['GetActionStatus', 1],
      ['GetActionSchema', 1],
      ['ListActionSchemas', 1],
      ['ListResourceTypes', 2],
      ['GetMetadata', 1],
      ['Validate', 0.3],
      ['Cleanup', 2],
      ['CreateResource', 0.5],
      ['DeleteResource', 0.5],
      ['DeleteResourceV2', 0.5],
      ['RotateCredential', 0.5],
      ['IssueCredential', 0.5],
      ['GetAsset', 0.5],
      ['ListTicketSchemas', 0.3],
      ['GetTicketSchema', 0.7],
      ['GetTicket', 0.7],
      ['BulkGetTickets', 0.3],
      ['CreateTicket', 1],
      ['BulkCreateTickets', 0.3],
    ];
    const total = w.reduce((a, [, n]) => a + n, 0);
    let x = this.rng.next() * total;
    for (const [name, n] of w) {
      x -= n;
      if (x < 0) return name;
    }
    return w[0][0];
  }

  /**
   * Requests that reproduce the findings of issue 13, whatever the seed: traversal through a
   * profile, profiles steering writes, oversized sync ids (memory), a quadratic email (event
   * loop), an over-long email lookup, huge ids, forged cursors with userinfo or extra query, token
   * fields of the wrong type, undecodable bytes on every RPC, a deeply nested profile.
   */
  specials(tenant: FakeAtlassian['tenant']): FuzzCase[] {
    const out: FuzzCase[] = [];
    const add = (name: string, bytes: Buffer, label: string, server?: 'plain' | 'org') => out.push({ ...this.make(RPC[name], bytes, label), server });
    const stub = (type: string, id: string, profile?: Record<string, unknown>) => Resource.fromPartial({ id: { resourceType: type, resource: id }, profile });
    const [pA, pB] = [tenant.projects()[1].id, tenant.projects()[2].id];
    const roles = tenant.roles().map((r) => r.id);
    const users = this.p.users.filter((u) => tenant.isActiveInJira(tenant.user(u)!));
    const notActor = (p: string, r: number) => users.find((u) => !tenant.roleActors(p, r).users.includes(u))!;
    const actor = (p: string, r: number) => tenant.roleActors(p, r).users.find((u) => !this.p.protectedAccounts.includes(u));
    const prEnt = (id: string, profile?: Record<string, unknown>) => Entitlement.fromPartial({ id: `project-role:${id}:assigned`, resource: stub('project-role', id, profile) });
    const grantReq = (id: string, who: string, profile?: Record<string, unknown>) => encode(GrantManagerServiceGrantRequest, { entitlement: prEnt(id, profile), principal: stub('user', who) });
    const revokeReq = (id: string, who: string, profile?: Record<string, unknown>) =>
      encode(GrantManagerServiceRevokeRequest, { grant: { id: `project-role:${id}:assigned:user:${who}`, entitlement: prEnt(id, profile), principal: stub('user', who) } });

    // 1. dot segments through the profile: Jira's global-role endpoints
    for (const server of ['plain', 'org'] as const) {
      const id = `${pA}:${roles[0]}`;
      add('Revoke', revokeReq(id, notActor(pA, roles[0]), { project_id: '..', role_id: roles[1] }), 'special: traversal profile (revoke)', server);
      add('Grant', grantReq(id, notActor(pA, roles[0]), { project_id: '..', role_id: roles[1] }), 'special: traversal profile (grant)', server);
      for (const bad of ['..', '.', '%2e%2e', 'a/b', '../role'])
        add('GetResource', encode(ResourceGetterServiceGetResourceRequest, { resourceId: { resourceType: 'project', resource: bad } }), 'special: traversal project id', server);
    }
    // 2. profiles steering writes: ids name (pA, r0), the profile (pB, r1)
    const steerGrantUser = notActor(pB, roles[1]);
    add('Grant', grantReq(`${pA}:${roles[0]}`, steerGrantUser, { project_id: pB, role_id: roles[1] }), 'special: profile steers grant', 'plain');
    const held = actor(pB, roles[2]);
    if (held) add('Revoke', revokeReq(`${pA}:${roles[0]}`, held, { project_id: pB, role_id: roles[2] }), 'special: profile steers revoke', 'org');
    // 3. active_sync_id of 1 MiB, all different: caches keyed by them
    for (let i = 0; i < 32; i++) {
      const sync = `${i.toString(36)}-${'s'.repeat(1024 * 1024)}`;
      const p = tenant.projects()[i % tenant.projects().length].id;
      const r = roles[i % roles.length];
      if (i % 3 === 0) add('ListGrants', encode(GrantsServiceListGrantsRequest, { resource: stub('project', p), activeSyncId: sync }), 'special: 1 MiB active_sync_id', 'plain');
      else add('ListGrants', encode(GrantsServiceListGrantsRequest, { resource: stub('project-role', `${p}:${r}`), activeSyncId: sync }), 'special: 1 MiB active_sync_id', 'plain');
    }
    // 4. an email a backtracking check takes seconds on; 5. an email longer than 254 characters
    add('CreateAccount', encode(CreateAccountRequest, { accountInfo: { emails: [{ address: `x@${'.'.repeat(50_000)}@`, isPrimary: true }] } }), 'special: quadratic email', 'plain');
    add('CreateAccount', encode(CreateAccountRequest, { accountInfo: { emails: [{ address: `${'a'.repeat(300)}@acme.example`, isPrimary: true }] } }), 'special: 313-character email', 'plain');
    // 6. 4 MiB ids
    for (let i = 0; i < 4; i++)
      add('GetResource', encode(ResourceGetterServiceGetResourceRequest, { resourceId: { resourceType: 'user', resource: `${i}`.repeat(4 * 1024 * 1024) } }), 'special: 4 MiB id', 'plain');
    // 7. forged organization cursors: userinfo, extra query
    const base = `127.0.0.1:${this.p.port}`;
    const v1 = `/admin/v1/orgs/${this.p.orgId}/users`;
    const tok = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const c of [`http://u:p@${base}${v1}?cursor=x`, `http://${base}${v1}?cursor=x&evil=1`, `http://${base}${v1}?limit=1000000`])
      add('ListResources', encode(ResourcesServiceListResourcesRequest, { resourceTypeId: 'user', pageToken: tok({ v: 1, k: 'user', p: 'org', c }) }), 'special: forged cursor URL', 'org');
    // 8. token fields of the wrong type
    for (const s of ['0', 'abc', -1, 1e300, 1.5])
      add('ListResources', encode(ResourcesServiceListResourcesRequest, { resourceTypeId: 'project', pageToken: tok({ v: 1, k: 'project', c: 0, s }) }), 'special: token field type', 'plain');
    add('ListResources', encode(ResourcesServiceListResourcesRequest, { resourceTypeId: 'user', pageToken: tok({ v: 1, k: 'user', p: 'jira', s: 'abc' }) }), 'special: token field type', 'org');
    add(
      'ListGrants',
      encode(GrantsServiceListGrantsRequest, { resource: stub('group', this.p.groups[3]), pageToken: tok({ v: 1, k: 'group-member', p: 'jira', s: '5; x' }) }),
      'special: token field type',
      'plain',
    );
    // 9. undecodable bytes on every RPC
    for (const rpc of ALL_RPCS) out.push({ ...this.make(rpc, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'special: undecodable bytes'), server: 'plain' });
    // 10. a profile nested 3,000 levels deep
    const res = Buffer.concat([
      Buffer.from(Resource.encode(Resource.fromPartial({ id: { resourceType: 'project', resource: pA } })).finish()),
      field(9, field(1, Buffer.concat([field(1, Buffer.from('a')), field(2, deepValue(3000))]))),
    ]);
    add('ListGrants', field(1, res), 'special: profile nested 3,000 deep', 'plain');
    return out;
  }
}

/** What a write request's ids name, read from the bytes the server receives (undecodable: nothing may change). */
export function writeIntent(c: FuzzCase): WriteIntent {
  try {
    const b = new Uint8Array(c.bytes);
    if (c.rpc.endsWith('/Grant')) {
      const r = GrantManagerServiceGrantRequest.decode(b);
      return intentOf('grant', r.entitlement, r.principal);
    }
    if (c.rpc.endsWith('/Revoke')) {
      const r = GrantManagerServiceRevokeRequest.decode(b);
      return intentOf('revoke', r.grant?.entitlement, r.grant?.principal);
    }
    if (c.rpc.endsWith('/CreateAccount')) {
      const r = CreateAccountRequest.decode(b);
      const p = (r.accountInfo?.profile ?? {}) as Record<string, unknown>;
      const emails = [...(r.accountInfo?.emails ?? []).map((e) => e.address), typeof p.email === 'string' ? p.email : '', r.accountInfo?.login ?? ''].filter(Boolean).map((e) => e.toLowerCase());
      return { kind: 'create-account', emails };
    }
    if (c.rpc.endsWith('/InvokeAction')) {
      const r = InvokeActionRequest.decode(b);
      const a = (r.args ?? {}) as Record<string, unknown>;
      const v = a.resource_id ?? a.account_id ?? a.user_id;
      let accountId: string | undefined;
      if (typeof v === 'string') accountId = v;
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        const id = o.resource_id ?? o.resourceId ?? o.resource;
        if (typeof id === 'string') accountId = id;
      }
      return { kind: 'action', name: r.name, accountId };
    }
  } catch {
    // undecodable: nothing may change
  }
  return { kind: 'none' };
}

function intentOf(kind: 'grant' | 'revoke', ent: Entitlement | undefined, principal: Resource | undefined): WriteIntent {
  if (!ent?.resource?.id || !principal?.id) return { kind: 'none' };
  return { kind, entType: ent.resource.id.resourceType, entId: ent.resource.id.resource, principalType: principal.id.resourceType, principalId: principal.id.resource };
}
