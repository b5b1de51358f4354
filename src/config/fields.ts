/**
 * The one list of configuration fields. The CLI flags, the env var names, the `config` command's
 * JSON, connector.yaml and the zod schema in schema.ts are all derived from it.
 *
 * Names follow baton-jira (flag `jira-url` <-> env `BATON_JIRA_URL`) so its users can switch.
 */

export type FieldType = 'string' | 'boolean' | 'string-list' | 'number';
export type FieldGroup = 'jira' | 'oauth' | 'organization' | 'behaviour' | 'server';

export interface FieldSpec {
  /** flag name without the leading dashes, kebab-case */
  name: string;
  /** environment variable */
  env: string;
  displayName: string;
  description: string;
  type: FieldType;
  group: FieldGroup;
  secret?: boolean;
  /** required on its own; conditional requirements are listed in CONSTRAINTS */
  required?: boolean;
  default?: string | boolean | number | string[];
  placeholder?: string;
  /** accepted values, for enum-like strings */
  choices?: string[];
  /** extra flag spellings accepted for compatibility (e.g. baton-jira's camelCase) */
  aliases?: string[];
}

export const AUTH_MODES = ['auto', 'basic', 'scoped-basic', 'scoped-bearer', 'oauth-client-credentials', 'oauth-refresh-token'] as const;
export type AuthModeSetting = (typeof AUTH_MODES)[number];

export const FIELDS: FieldSpec[] = [
  {
    name: 'jira-url',
    env: 'BATON_JIRA_URL',
    displayName: 'Jira site URL',
    description: 'Your Jira Cloud site, e.g. https://example.atlassian.net (or the gateway form https://api.atlassian.com/ex/jira/<cloudId>). Plain http:// is accepted only for loopback hosts.',
    type: 'string',
    group: 'jira',
    required: true,
    placeholder: 'https://example.atlassian.net',
  },
  {
    name: 'jira-email',
    env: 'BATON_JIRA_EMAIL',
    displayName: 'Account email',
    description:
      'Email of the account the API token belongs to (a service account email ends in @serviceaccount.atlassian.com). Leave empty with a scoped service-account token sent as Bearer or with OAuth.',
    type: 'string',
    group: 'jira',
    placeholder: 'governance-bot@example.com',
  },
  {
    name: 'jira-api-token',
    env: 'BATON_JIRA_API_TOKEN',
    displayName: 'API token',
    description: 'Classic or scoped Atlassian API token of that account.',
    type: 'string',
    group: 'jira',
    secret: true,
  },
  {
    name: 'jira-cloud-id',
    env: 'BATON_JIRA_CLOUD_ID',
    displayName: 'Cloud ID',
    description: 'Cloud ID of the site (from https://<site>.atlassian.net/_edge/tenant_info). Discovered automatically when a scoped token or OAuth needs it and only the site URL is given.',
    type: 'string',
    group: 'jira',
  },
  {
    name: 'jira-auth-mode',
    env: 'BATON_JIRA_AUTH_MODE',
    displayName: 'Authentication mode',
    description:
      'auto (default: detected from the other settings), basic (email + classic token on the site URL), scoped-basic (email + scoped token through the gateway), scoped-bearer (service-account scoped token as Bearer through the gateway), oauth-client-credentials (service-account OAuth 2.0 client), oauth-refresh-token (OAuth 2.0 3LO with a rotating refresh token).',
    type: 'string',
    group: 'jira',
    default: 'auto',
    choices: [...AUTH_MODES],
  },
  {
    name: 'jira-oauth-client-id',
    env: 'BATON_JIRA_OAUTH_CLIENT_ID',
    displayName: 'OAuth client ID',
    description: 'Client ID of a service-account OAuth 2.0 credential or of a 3LO app.',
    type: 'string',
    group: 'oauth',
  },
  {
    name: 'jira-oauth-client-secret',
    env: 'BATON_JIRA_OAUTH_CLIENT_SECRET',
    displayName: 'OAuth client secret',
    description: 'Client secret that goes with the OAuth client ID.',
    type: 'string',
    group: 'oauth',
    secret: true,
  },
  {
    name: 'jira-oauth-refresh-token',
    env: 'BATON_JIRA_OAUTH_REFRESH_TOKEN',
    displayName: 'OAuth refresh token',
    description: 'Refresh token of a 3LO authorization (scope offline_access). Atlassian rotates it on every use; see jira-oauth-refresh-token-file.',
    type: 'string',
    group: 'oauth',
    secret: true,
  },
  {
    name: 'jira-oauth-refresh-token-file',
    env: 'BATON_JIRA_OAUTH_REFRESH_TOKEN_FILE',
    displayName: 'Refresh token file',
    description:
      'File that holds the current 3LO refresh token. Read at start (when jira-oauth-refresh-token is empty) and rewritten atomically after each rotation, so a restart does not need a new consent.',
    type: 'string',
    group: 'oauth',
  },
  {
    name: 'atlassian-orgid',
    env: 'BATON_ATLASSIAN_ORGID',
    displayName: 'Organization ID',
    description: 'Atlassian organization ID (admin.atlassian.com/o/<orgId>/...). Set together with atlassian-api-token to sync managed accounts and directory groups.',
    type: 'string',
    group: 'organization',
    aliases: ['atlassian-orgId'],
  },
  {
    name: 'atlassian-api-token',
    env: 'BATON_ATLASSIAN_API_TOKEN',
    displayName: 'Organization API key',
    description: 'Organization admin API key (admin.atlassian.com > Settings > API keys), sent as Bearer to the admin API only.',
    type: 'string',
    group: 'organization',
    secret: true,
  },
  {
    name: 'atlassian-api-url',
    env: 'BATON_ATLASSIAN_API_URL',
    displayName: 'Atlassian API URL',
    description: 'Base of the Atlassian platform API (gateway for scoped tokens, admin API, OAuth resources). Change only for testing.',
    type: 'string',
    group: 'organization',
    default: 'https://api.atlassian.com',
  },
  {
    name: 'atlassian-auth-url',
    env: 'BATON_ATLASSIAN_AUTH_URL',
    displayName: 'OAuth token endpoint',
    description: 'OAuth 2.0 token endpoint. Change only for testing.',
    type: 'string',
    group: 'oauth',
    default: 'https://auth.atlassian.com/oauth/token',
  },
  {
    name: 'jira-project-keys',
    env: 'BATON_JIRA_PROJECT_KEYS',
    displayName: 'Project keys',
    description: 'Comma-separated project keys to sync (and, with ticketing, the projects tickets go to). Empty: every project the account can administer.',
    type: 'string-list',
    group: 'behaviour',
    default: [],
  },
  {
    name: 'jira-project-permissions',
    env: 'BATON_JIRA_PROJECT_PERMISSIONS',
    displayName: 'Project permissions',
    description:
      'Comma-separated project permission keys to sync as entitlements of each company-managed project, with grants from its permission scheme (e.g. BROWSE_PROJECTS,ADMINISTER_PROJECTS,EDIT_ISSUES); all: every project permission Jira lists (GET /permissions); none: no project permissions.',
    type: 'string-list',
    group: 'behaviour',
    default: ['BROWSE_PROJECTS', 'ADMINISTER_PROJECTS'],
  },
  {
    name: 'jira-expand-product-grants',
    env: 'BATON_JIRA_EXPAND_PRODUCT_GRANTS',
    displayName: 'Expand product-wide project permissions',
    description:
      'A project permission the scheme gives to a product (an application role, e.g. "any product access") is held by every licensed user of that product. Off (default): it stays one grant to the application-role (with GrantMetadata naming the product and the holders it stands for), and the project profile lists it in open_to_product_users. On: the grant is expandable from the application role\'s assigned, so the platform creates one grant per product user per project (with the default scheme, every licensed user on every company-managed project: millions of grants on a large site).',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'jira-global-permissions',
    env: 'BATON_JIRA_GLOBAL_PERMISSIONS',
    displayName: 'Global permissions',
    description:
      'Sync Jira global permissions (Administer Jira, Browse users and groups, ...) as resources with grants to users. No Jira API lists their holders: each account is checked with POST /permissions/check, one request per account per sync (paced inside the rate limit).',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'jira-audit-days',
    env: 'BATON_JIRA_AUDIT_DAYS',
    displayName: 'Audit log window (days)',
    description:
      "Read Jira's audit log of the last N days (1 to 3650; 0 = off) once per sync and attach to each group membership and project role actor the date it was added (GrantMetadata added_at, added_source jira-audit-log, added_by). Needs Administer Jira and a paid Jira plan; without them the sync warns once and goes on without dates. Costs 2 requests per sync (one for group records, one for project role records), plus one per further 1000 records of the window.",
    type: 'number',
    group: 'behaviour',
    default: 0,
  },
  {
    name: 'skip-project-participants',
    env: 'BATON_SKIP_PROJECT_PARTICIPANTS',
    displayName: 'Skip project participants',
    description: 'Do not emit the project "participate" entitlement and its grants.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'skip-customer-user',
    env: 'BATON_SKIP_CUSTOMER_USER',
    displayName: 'Skip customer accounts',
    description: 'Leave Jira Service Management portal customers (accountType customer) out of the sync.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'provisioning',
    env: 'BATON_PROVISIONING',
    displayName: 'Enable provisioning',
    description: 'Allow Grant, Revoke, CreateAccount and account actions to change Jira and the organization.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'allow-delete',
    env: 'BATON_ALLOW_DELETE',
    displayName: 'Allow irreversible offboarding',
    description:
      'With provisioning on, also allow the operations that cannot be undone: removing an account from the Jira site or the organization, deleting a managed account, revoking an API token. Without it they answer FAILED_PRECONDITION before any request.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'dry-run',
    env: 'BATON_DRY_RUN',
    displayName: 'Dry run',
    description: 'Provisioning writes are not sent to Atlassian; each is logged (and printed by the grant, revoke and create-account commands) as it would have been sent. Reads still happen.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'ticketing',
    env: 'BATON_TICKETING',
    displayName: 'Enable ticketing',
    description: "Offer Jira as the platform's ticketing provider (TicketsService): schemas per project and issue type, create and read work items. Needs write:jira-work.",
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'jira-activity-days',
    env: 'BATON_JIRA_ACTIVITY_DAYS',
    displayName: 'Issue activity window (days)',
    description:
      "Last issue activity per account (created or changed an issue) within this many days, on each user's profile (last_issue_activity); one search over the issues updated in the window (see the README for its cost). 0: off.",
    type: 'number',
    group: 'behaviour',
    default: 0,
  },
  {
    name: 'jira-work-items',
    env: 'BATON_JIRA_WORK_ITEMS',
    displayName: 'Sync work items',
    description: 'Sync issues as work-item resources (children of their project) with assignee and reporter grants.',
    type: 'boolean',
    group: 'behaviour',
    default: false,
  },
  {
    name: 'jira-work-item-projects',
    env: 'BATON_JIRA_WORK_ITEM_PROJECTS',
    displayName: 'Work item projects',
    description: 'Comma-separated project keys whose work items are synced. Empty: every synced project.',
    type: 'string-list',
    group: 'behaviour',
    default: [],
  },
  {
    name: 'jira-work-item-statuses',
    env: 'BATON_JIRA_WORK_ITEM_STATUSES',
    displayName: 'Work item statuses to include',
    description: 'Comma-separated status names: only work items in these statuses are synced. Empty: every status.',
    type: 'string-list',
    group: 'behaviour',
    default: [],
  },
  {
    name: 'jira-work-item-exclude-statuses',
    env: 'BATON_JIRA_WORK_ITEM_EXCLUDE_STATUSES',
    displayName: 'Work item statuses to exclude',
    description: 'Comma-separated status names whose work items are not synced (e.g. Done,Closed).',
    type: 'string-list',
    group: 'behaviour',
    default: [],
  },
  {
    name: 'jira-work-item-summary',
    env: 'BATON_JIRA_WORK_ITEM_SUMMARY',
    displayName: 'Work item summaries',
    description: "Put each work item's summary in its profile and display name (false: the key only; summaries can be sensitive).",
    type: 'boolean',
    group: 'behaviour',
    default: true,
  },
  {
    name: 'http-timeout-seconds',
    env: 'BATON_HTTP_TIMEOUT_SECONDS',
    displayName: 'HTTP timeout',
    description: 'Timeout of one upstream HTTP attempt, headers and body, in seconds (1..1800); never past the gRPC deadline of the call.',
    type: 'number',
    group: 'behaviour',
    default: 60,
  },
  {
    name: 'max-concurrency',
    env: 'BATON_MAX_CONCURRENCY',
    displayName: 'Upstream concurrency',
    description: 'Most upstream requests in flight at once (1..64).',
    type: 'number',
    group: 'behaviour',
    default: 8,
  },
  {
    name: 'sync-state-ttl-minutes',
    env: 'BATON_SYNC_STATE_TTL_MINUTES',
    displayName: 'Sync state idle TTL',
    description: 'Minutes without a call of a sync after which what the connector cached for it is dropped, as at Cleanup (1..1440).',
    type: 'number',
    group: 'behaviour',
    default: 30,
  },
  {
    name: 'host',
    env: 'BATON_HOST',
    displayName: 'Listen host',
    description: 'Address the gRPC server listens on (0.0.0.0 in a container).',
    type: 'string',
    group: 'server',
    default: '127.0.0.1',
  },
  {
    name: 'port',
    env: 'BATON_PORT',
    displayName: 'Listen port',
    description: 'Port of the gRPC server (0 picks a free one).',
    type: 'number',
    group: 'server',
    default: 50051,
  },
  {
    name: 'tls-cert',
    env: 'BATON_TLS_CERT',
    displayName: 'TLS certificate',
    description: 'PEM certificate (chain) file; with tls-key the server speaks TLS.',
    type: 'string',
    group: 'server',
  },
  {
    name: 'tls-key',
    env: 'BATON_TLS_KEY',
    displayName: 'TLS private key',
    description: 'PEM private key file of the TLS certificate.',
    type: 'string',
    group: 'server',
  },
  {
    name: 'tls-client-ca',
    env: 'BATON_TLS_CLIENT_CA',
    displayName: 'TLS client CA',
    description: 'PEM CA bundle; when set the server requires client certificates signed by it (mTLS).',
    type: 'string',
    group: 'server',
  },
  {
    name: 'shutdown-grace-seconds',
    env: 'BATON_SHUTDOWN_GRACE_SECONDS',
    displayName: 'Shutdown grace',
    description:
      'On SIGTERM or SIGINT the server drains: health answers NOT_SERVING, new calls are refused with UNAVAILABLE, and calls in flight get this many seconds to finish (0..3600) before they are cancelled and the process exits. The default fits a Kubernetes terminationGracePeriodSeconds of 30. A second signal exits at once.',
    type: 'number',
    group: 'server',
    default: 25,
  },
  {
    name: 'metrics-addr',
    env: 'BATON_METRICS_ADDR',
    displayName: 'Metrics address',
    description:
      'host:port of an HTTP listener serving Prometheus metrics on /metrics (RPCs, upstream requests by endpoint template, retries, rate-limit waits, cache, sync progress; no ids or secrets). Off when empty; e.g. 127.0.0.1:9464, or 0.0.0.0:9464 in a pod (a warning is logged for non-loopback addresses).',
    type: 'string',
    group: 'server',
    placeholder: '127.0.0.1:9464',
  },
  {
    name: 'log-level',
    env: 'BATON_LOG_LEVEL',
    displayName: 'Log level',
    description: 'debug, info, warn or error.',
    type: 'string',
    group: 'server',
    default: 'info',
    choices: ['debug', 'info', 'warn', 'error'],
  },
  {
    name: 'log-format',
    env: 'BATON_LOG_FORMAT',
    displayName: 'Log format',
    description: 'json (one object per line) or console.',
    type: 'string',
    group: 'server',
    default: 'json',
    choices: ['json', 'console'],
  },
];

/** Relations between fields, in the shape of Baton's configuration constraints. */
export interface FieldConstraint {
  kind: 'REQUIRED_TOGETHER' | 'MUTUALLY_EXCLUSIVE' | 'AT_LEAST_ONE' | 'DEPENDENT_ON';
  fieldNames: string[];
  secondaryFieldNames?: string[];
  explanation: string;
}

export const CONSTRAINTS: FieldConstraint[] = [
  {
    kind: 'REQUIRED_TOGETHER',
    fieldNames: ['atlassian-orgid', 'atlassian-api-token'],
    explanation: 'The organization ID and the organization API key work only together.',
  },
  {
    kind: 'AT_LEAST_ONE',
    fieldNames: ['jira-api-token', 'jira-oauth-client-id'],
    explanation: 'Jira needs an API token or an OAuth client.',
  },
  {
    kind: 'REQUIRED_TOGETHER',
    fieldNames: ['jira-oauth-client-id', 'jira-oauth-client-secret'],
    explanation: 'An OAuth client needs both its ID and its secret.',
  },
  {
    kind: 'REQUIRED_TOGETHER',
    fieldNames: ['tls-cert', 'tls-key'],
    explanation: 'TLS needs both the certificate and its key.',
  },
  {
    kind: 'DEPENDENT_ON',
    fieldNames: ['tls-client-ca'],
    secondaryFieldNames: ['tls-cert', 'tls-key'],
    explanation: 'Client-certificate checking (mTLS) needs the server certificate too.',
  },
];

export function fieldByName(name: string): FieldSpec | undefined {
  return FIELDS.find((f) => f.name === name || f.aliases?.includes(name));
}
