/**
 * Fake Atlassian Cloud: a spec-faithful Jira Cloud platform REST v3 + organization admin API on
 * loopback, validated against Atlassian's own OpenAPI documents (committed extracts in ./schemas).
 *
 *   const fake = await startFakeAtlassian({ tier: 'S', seed: 1 });
 *   const res = await fetch(`${fake.siteUrl}/rest/api/3/users/search`, { headers: { Authorization: fake.credentials.admin.authorization } });
 *   ...
 *   expect(fake.validationErrors).toEqual([]);
 *   await fake.stop();
 *
 * See README.md in this folder for endpoints, credentials, fault knobs and deviations.
 */
import type { FakeCredentials } from './auth';
import type { FaultController } from './faults';
import { FakeAtlassianServer, type FakeAtlassianOptions, type ServedEndpoint, type ValidationIssue } from './server';
import type { RequestStats } from './stats';
import type { Tenant } from './tenant';

export type {
  Tier,
  TierSpec,
  TenantUser,
  TenantGroup,
  TenantProject,
  TenantRole,
  ApplicationRoleDef,
  Directory,
  JiraPermissions,
  RoleActorsView,
  TenantIssue,
  Workspace,
  MutationResult,
} from './tenant';
export { Tenant, generateTenant, TIERS, MANAGED_DOMAINS, TENANT_EPOCH } from './tenant';
export type {
  FakeCredentials,
  MintOptions,
  OrgKeyMintOptions,
  BasicCredential,
  ServiceAccountCredential,
  AccessTokenCredential,
  OAuthClientCredential,
  ThreeLoCredential,
  OrgApiKeyCredential,
} from './auth';
export { FaultController } from './faults';
export type { FaultRule, FaultMatch, RateLimitSpec, RequestInfo } from './faults';
export { RequestStats } from './stats';
export type { LoggedRequest } from './stats';
export type { FakeAtlassianOptions, ValidationIssue, ServedEndpoint } from './server';
export { documentedScopes } from './openapi';

export interface FakeAtlassian {
  /** http://127.0.0.1:<port> — serves /rest/api/3/... (basic auth + classic token) and /_edge/tenant_info */
  siteUrl: string;
  /** http://127.0.0.1:<port>/ex/jira/<cloudId> — scoped tokens, service accounts, OAuth access tokens */
  gatewayUrl: string;
  /** http://127.0.0.1:<port> — serves /admin/..., /users/{id}/manage/..., /oauth/token, /oauth/token/accessible-resources */
  apiUrl: string;
  /** OAuth 2.0 token endpoint: http://127.0.0.1:<port>/oauth/token */
  authUrl: string;
  cloudId: string;
  orgId: string;
  credentials: FakeCredentials;
  /** Live ground truth (mutated by the write endpoints). */
  tenant: Tenant;
  faults: FaultController;
  stats: RequestStats;
  /** Every OpenAPI mismatch seen (requests the fake rejected, responses it sent, unknown routes). */
  validationErrors: ValidationIssue[];
  /** Every endpoint served and the document that validates it. */
  endpoints(): ServedEndpoint[];
  /** Shorthand for tenant.groundTruthCounts(). */
  groundTruthCounts(): ReturnType<Tenant['groundTruthCounts']>;
  stop(): Promise<void>;
}

export async function startFakeAtlassian(opts: FakeAtlassianOptions = {}): Promise<FakeAtlassian> {
  const server = new FakeAtlassianServer(opts);
  const state = await server.listen();
  return {
    siteUrl: state.siteUrl,
    gatewayUrl: state.gatewayUrl,
    apiUrl: state.apiUrl,
    authUrl: `${state.apiUrl}/oauth/token`,
    cloudId: server.tenant.cloudId,
    orgId: server.tenant.orgId,
    credentials: server.credentials,
    tenant: server.tenant,
    faults: server.faults,
    stats: server.stats,
    validationErrors: server.validationErrors,
    endpoints: () => server.endpoints(),
    groundTruthCounts: () => server.tenant.groundTruthCounts(),
    stop: () => server.close(),
  };
}
