/**
 * Configuration: raw strings from flags and env vars -> one typed, checked object.
 * Every problem becomes a ConfigError naming the field (flag and env var) and what to do.
 * Secret values never enter an error message.
 */
import { z } from 'zod';
import { AuthModeSetting, AUTH_MODES, FIELDS, FieldSpec, fieldByName } from './fields';

export type AuthMode = Exclude<AuthModeSetting, 'auto'>;

export interface JiraConfig {
  /** site URL without trailing slash, e.g. https://example.atlassian.net; undefined when only the gateway form was given */
  siteUrl?: string;
  /** gateway base, e.g. https://api.atlassian.com/ex/jira/<cloudId>; undefined until the cloud ID is known */
  gatewayUrl?: string;
  cloudId?: string;
  email?: string;
  apiToken?: string;
  authMode: AuthMode;
  /** how the mode was chosen, for `validate` to explain */
  authModeReason: string;
  oauth?: { clientId: string; clientSecret: string; refreshToken?: string; refreshTokenFile?: string };
}

export interface ConnectorConfig {
  jira: JiraConfig;
  org?: { orgId: string; apiKey: string };
  apiUrl: string;
  authUrl: string;
  projectKeys: string[];
  /** project permission keys synced as project entitlements (upper case, no duplicates) */
  projectPermissions: string[];
  /** sync global permissions through POST /permissions/check per account (BATON_JIRA_GLOBAL_PERMISSIONS) */
  globalPermissions: boolean;
  /** expand project permissions granted to a product to every product user (BATON_JIRA_EXPAND_PRODUCT_GRANTS) */
  expandProductGrants: boolean;
  /** days of Jira's audit log read for the dates memberships were added; 0 = off (BATON_JIRA_AUDIT_DAYS) */
  auditDays: number;
  skipProjectParticipants: boolean;
  skipCustomerUser: boolean;
  provisioning: boolean;
  /** BATON_ALLOW_DELETE: the irreversible offboarding operations (site/org removal, account deletion, token revocation) */
  allowDelete?: boolean;
  dryRun: boolean;
  ticketing: boolean;
  /** BATON_JIRA_ACTIVITY_DAYS: last issue activity window in days; 0: off */
  activityDays?: number;
  /** BATON_JIRA_WORK_ITEMS and its filters */
  workItems?: { enabled: boolean; projects: string[]; statuses: string[]; excludeStatuses: string[]; summary: boolean };
  httpTimeoutMs: number;
  maxConcurrency: number;
  /** idle time after which a sync's cached state is dropped (ms) */
  syncStateTtlMs: number;
}

/** host:port of a listener; the port 0..65535 */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]?\d{1,4})$/;

export interface ServerConfig {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** how long calls in flight may run after SIGTERM/SIGINT */
  shutdownGraceMs: number;
  /** where Prometheus metrics are served (metrics-addr), when set */
  metrics?: { host: string; port: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'json' | 'console';
}

export class ConfigError extends Error {
  constructor(
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(field ? `${describeField(field)}: ${problem}` : problem);
    this.name = 'ConfigError';
  }
}

function describeField(name: string): string {
  const f = fieldByName(name);
  return f ? `--${f.name} (${f.env})` : name;
}

export type RawConfig = Record<string, string | boolean | number | string[] | undefined>;

/** Reads each field from the given flag values first, then from the environment. */
export function collectRaw(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): RawConfig {
  const raw: RawConfig = {};
  for (const f of FIELDS) {
    const flagVal = flags[camel(f.name)] ?? f.aliases?.map((a) => flags[camel(a)]).find((v) => v !== undefined);
    if (flagVal !== undefined && flagVal !== '') {
      raw[f.name] = flagVal as string | boolean | number;
      continue;
    }
    const envVal = env[f.env];
    if (envVal !== undefined && envVal !== '') raw[f.name] = envVal;
  }
  return raw;
}

export function camel(kebab: string): string {
  return kebab.replace(/-([a-zA-Z])/g, (_, c: string) => c.toUpperCase());
}

const BOOL_TRUE = new Set(['true', '1', 'yes', 'on']);
const BOOL_FALSE = new Set(['false', '0', 'no', 'off']);

function coerce(f: FieldSpec, v: RawConfig[string]): unknown {
  if (v === undefined) return f.default;
  switch (f.type) {
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = String(v).trim().toLowerCase();
      if (BOOL_TRUE.has(s)) return true;
      if (BOOL_FALSE.has(s)) return false;
      throw new ConfigError(f.name, 'expected true or false');
    }
    case 'number': {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isFinite(n)) throw new ConfigError(f.name, 'expected a number');
      return n;
    }
    case 'string-list': {
      if (Array.isArray(v)) return v.map((s) => s.trim()).filter(Boolean);
      return String(v)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }
    default: {
      const s = String(v).trim();
      return s === '' ? f.default : s;
    }
  }
}

/** Typed view of all fields before cross-field rules. */
const fieldsSchema = z.object({
  'jira-url': z.string().optional(),
  'jira-email': z.string().optional(),
  'jira-api-token': z.string().optional(),
  'jira-cloud-id': z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'a cloud ID looks like a UUID')
    .optional(),
  'jira-auth-mode': z.enum(AUTH_MODES),
  'jira-oauth-client-id': z.string().optional(),
  'jira-oauth-client-secret': z.string().optional(),
  'jira-oauth-refresh-token': z.string().optional(),
  'jira-oauth-refresh-token-file': z.string().optional(),
  'atlassian-orgid': z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'an organization ID has only letters, digits, - and _')
    .optional(),
  'atlassian-api-token': z.string().optional(),
  'atlassian-api-url': z.string(),
  'atlassian-auth-url': z.string(),
  'jira-project-keys': z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,254}$/, 'project keys are letters, digits and _ (e.g. ENG,OPS)')),
  'jira-project-permissions': z
    .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'project permission keys are letters, digits and _ (e.g. BROWSE_PROJECTS,ADMINISTER_PROJECTS)'))
    .max(100, 'at most 100 project permission keys'),
  'jira-global-permissions': z.boolean(),
  'jira-expand-product-grants': z.boolean(),
  'jira-audit-days': z.number().int('a whole number of days').min(0, '0 (off) or 1 to 3650 days').max(3650, 'at most 3650 days'),
  'skip-project-participants': z.boolean(),
  'skip-customer-user': z.boolean(),
  provisioning: z.boolean(),
  'allow-delete': z.boolean(),
  'dry-run': z.boolean(),
  ticketing: z.boolean(),
  'jira-activity-days': z.number().int('a whole number of days').min(0, 'at least 0 (off)').max(3650, 'at most 3650 days'),
  'jira-work-items': z.boolean(),
  'jira-work-item-projects': z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,254}$/, 'project keys are letters, digits and _ (e.g. ENG,OPS)')).max(500, 'at most 500 project keys'),
  'jira-work-item-statuses': z.array(z.string().min(1).max(255, 'a status name has at most 255 characters')).max(100, 'at most 100 statuses'),
  'jira-work-item-exclude-statuses': z.array(z.string().min(1).max(255, 'a status name has at most 255 characters')).max(100, 'at most 100 statuses'),
  'jira-work-item-summary': z.boolean(),
  'http-timeout-seconds': z.number().min(1, 'at least 1 second').max(1800, 'at most 1800 seconds'),
  'max-concurrency': z.number().int('a whole number').min(1, 'at least 1').max(64, 'at most 64'),
  'sync-state-ttl-minutes': z.number().min(1, 'at least 1 minute').max(1440, 'at most 1440 minutes'),
  host: z.string().min(1),
  port: z.number().int('a whole number').min(0, 'a port from 0 to 65535').max(65535, 'a port from 0 to 65535'),
  'tls-cert': z.string().optional(),
  'tls-key': z.string().optional(),
  'tls-client-ca': z.string().optional(),
  'shutdown-grace-seconds': z.number().min(0, 'at least 0 seconds').max(3600, 'at most 3600 seconds'),
  'metrics-addr': z.string().regex(HOST_PORT, 'host:port, e.g. 127.0.0.1:9464 or [::1]:9464 (port 0..65535)').optional(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']),
  'log-format': z.enum(['json', 'console']),
});
type Fields = z.infer<typeof fieldsSchema>;

function parseFields(raw: RawConfig): Fields {
  const values: Record<string, unknown> = {};
  for (const f of FIELDS) values[f.name] = coerce(f, raw[f.name]);
  const r = fieldsSchema.safeParse(values);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = String(issue.path[0] ?? '');
    const f = fieldByName(name);
    let msg = issue.message;
    if (issue.code === 'invalid_value' && f?.choices) msg = `expected one of ${f.choices.join(', ')}`;
    throw new ConfigError(name || undefined, msg);
  }
  return r.data;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Parses a base URL; http is accepted only for loopback (the fake Atlassian Cloud). */
export function checkBaseUrl(field: string, value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(field, 'not a URL; expected e.g. https://example.atlassian.net');
  }
  if (u.username || u.password) throw new ConfigError(field, 'must not contain credentials; use the token settings instead');
  if (u.search || u.hash) throw new ConfigError(field, 'must not contain a query or fragment');
  if (u.protocol === 'http:') {
    if (!LOOPBACK.test(u.hostname)) throw new ConfigError(field, `plain http:// is allowed only for loopback hosts; use https://${u.host}${u.pathname === '/' ? '' : u.pathname}`);
  } else if (u.protocol !== 'https:') {
    throw new ConfigError(field, `unsupported scheme ${u.protocol}; use https://`);
  }
  return u;
}

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

const GATEWAY_PATH = /^\/ex\/jira\/([A-Za-z0-9-]+)\/?$/;
const SERVICE_ACCOUNT_DOMAIN = '@serviceaccount.atlassian.com';

function resolveAuth(f: Fields): Pick<JiraConfig, 'authMode' | 'authModeReason'> {
  const hasToken = !!f['jira-api-token'];
  const hasEmail = !!f['jira-email'];
  const hasClient = !!f['jira-oauth-client-id'] || !!f['jira-oauth-client-secret'];
  const hasRefresh = !!f['jira-oauth-refresh-token'] || !!f['jira-oauth-refresh-token-file'];
  const mode = f['jira-auth-mode'];
  if (mode !== 'auto') return { authMode: mode, authModeReason: 'set by --jira-auth-mode' };
  if (hasToken && hasClient) throw new ConfigError('jira-auth-mode', 'both an API token and an OAuth client are configured; set jira-auth-mode to say which one to use, or remove one');
  if (hasClient) {
    return hasRefresh
      ? { authMode: 'oauth-refresh-token', authModeReason: 'an OAuth client with a refresh token is configured' }
      : { authMode: 'oauth-client-credentials', authModeReason: 'an OAuth client without a refresh token is configured' };
  }
  if (hasRefresh) throw new ConfigError('jira-oauth-client-id', 'a refresh token needs the OAuth client ID and secret of the 3LO app');
  if (!hasToken) throw new ConfigError('jira-api-token', 'no Jira credential: set an API token (with jira-email) or an OAuth client');
  if (!hasEmail) return { authMode: 'scoped-bearer', authModeReason: 'an API token without an email is sent as Bearer through the gateway (service-account scoped token)' };
  if (f['jira-email']!.toLowerCase().endsWith(SERVICE_ACCOUNT_DOMAIN))
    return { authMode: 'scoped-basic', authModeReason: 'the email is a service account, whose tokens are scoped and work only through the gateway' };
  if (f['jira-url'] && GATEWAY_PATH.test(safePath(f['jira-url']))) return { authMode: 'scoped-basic', authModeReason: 'the Jira URL is the gateway form, used by scoped tokens' };
  return { authMode: 'basic', authModeReason: 'an email with a classic API token on the site URL' };
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}

function requireFor(f: Fields, mode: AuthMode): void {
  const need = (name: keyof Fields, why: string) => {
    if (!f[name]) throw new ConfigError(name, `required for jira-auth-mode ${mode}: ${why}`);
  };
  switch (mode) {
    case 'basic':
    case 'scoped-basic':
      need('jira-email', 'the email of the token owner');
      need('jira-api-token', 'the API token');
      break;
    case 'scoped-bearer':
      need('jira-api-token', 'the service-account scoped token');
      break;
    case 'oauth-client-credentials':
      need('jira-oauth-client-id', 'the OAuth client ID');
      need('jira-oauth-client-secret', 'the OAuth client secret');
      break;
    case 'oauth-refresh-token':
      need('jira-oauth-client-id', 'the 3LO app client ID');
      need('jira-oauth-client-secret', 'the 3LO app client secret');
      if (!f['jira-oauth-refresh-token'] && !f['jira-oauth-refresh-token-file'])
        throw new ConfigError('jira-oauth-refresh-token', 'required for jira-auth-mode oauth-refresh-token: the refresh token (or a file holding it)');
      break;
  }
}

export function parseConnectorConfig(raw: RawConfig): ConnectorConfig {
  const f = parseFields(raw);
  if (!f['jira-url']) throw new ConfigError('jira-url', 'required: the Jira site, e.g. https://example.atlassian.net');
  const u = checkBaseUrl('jira-url', f['jira-url']);
  const apiUrl = stripSlash(checkBaseUrl('atlassian-api-url', f['atlassian-api-url']).toString());
  const authUrl = checkBaseUrl('atlassian-auth-url', f['atlassian-auth-url']).toString();

  const auth = resolveAuth(f);
  requireFor(f, auth.authMode);

  const gw = GATEWAY_PATH.exec(u.pathname);
  let cloudId = f['jira-cloud-id'];
  let siteUrl: string | undefined;
  let gatewayUrl: string | undefined;
  if (gw) {
    if (cloudId && cloudId !== gw[1]) throw new ConfigError('jira-cloud-id', `differs from the cloud ID in jira-url (${gw[1]}); remove one`);
    cloudId = gw[1];
    gatewayUrl = stripSlash(u.toString());
  } else {
    if (u.pathname !== '/' && u.pathname !== '') throw new ConfigError('jira-url', 'use the site root, e.g. https://example.atlassian.net (no path)');
    siteUrl = stripSlash(u.toString());
    if (cloudId) gatewayUrl = `${apiUrl}/ex/jira/${cloudId}`;
  }
  if (auth.authMode === 'basic' && !siteUrl)
    throw new ConfigError('jira-url', 'classic API tokens work on the site URL (https://<site>.atlassian.net), not the gateway; use the site URL or jira-auth-mode scoped-basic');

  const orgId = f['atlassian-orgid'];
  const apiKey = f['atlassian-api-token'];
  if (!!orgId !== !!apiKey) {
    if (!apiKey) throw new ConfigError('atlassian-api-token', 'required when atlassian-orgid is set: the organization API key (or unset atlassian-orgid)');
    throw new ConfigError('atlassian-orgid', 'required when atlassian-api-token is set: the organization ID (or unset atlassian-api-token)');
  }
  const hasClient = !!f['jira-oauth-client-id'] || !!f['jira-oauth-client-secret'];
  if (hasClient && (!f['jira-oauth-client-id'] || !f['jira-oauth-client-secret'])) {
    const missing = f['jira-oauth-client-id'] ? 'jira-oauth-client-secret' : 'jira-oauth-client-id';
    throw new ConfigError(missing, 'an OAuth client needs both its ID and its secret');
  }

  return {
    jira: {
      siteUrl,
      gatewayUrl,
      cloudId,
      email: f['jira-email'],
      apiToken: f['jira-api-token'],
      ...auth,
      oauth: hasClient
        ? {
            clientId: f['jira-oauth-client-id']!,
            clientSecret: f['jira-oauth-client-secret']!,
            refreshToken: f['jira-oauth-refresh-token'],
            refreshTokenFile: f['jira-oauth-refresh-token-file'],
          }
        : undefined,
    },
    org: orgId && apiKey ? { orgId, apiKey } : undefined,
    apiUrl,
    authUrl,
    projectKeys: [...new Set(f['jira-project-keys'].map((k) => k.toUpperCase()))],
    // `none` turns project permissions off (an empty environment variable means "not set", so the default would apply)
    projectPermissions: [...new Set(f['jira-project-permissions'].map((k) => k.toUpperCase()))].filter((k) => k !== 'NONE'),
    globalPermissions: f['jira-global-permissions'],
    expandProductGrants: f['jira-expand-product-grants'],
    auditDays: f['jira-audit-days'],
    skipProjectParticipants: f['skip-project-participants'],
    skipCustomerUser: f['skip-customer-user'],
    provisioning: f.provisioning,
    allowDelete: f['allow-delete'],
    dryRun: f['dry-run'],
    ticketing: f.ticketing,
    activityDays: f['jira-activity-days'],
    workItems: {
      enabled: f['jira-work-items'],
      projects: [...new Set(f['jira-work-item-projects'].map((k) => k.toUpperCase()))],
      statuses: [...new Set(f['jira-work-item-statuses'])],
      excludeStatuses: [...new Set(f['jira-work-item-exclude-statuses'])],
      summary: f['jira-work-item-summary'],
    },
    httpTimeoutMs: Math.round(f['http-timeout-seconds'] * 1000),
    maxConcurrency: f['max-concurrency'],
    syncStateTtlMs: Math.round(f['sync-state-ttl-minutes'] * 60_000),
  };
}

export function parseServerConfig(raw: RawConfig): ServerConfig {
  const f = parseFields(raw);
  if (!!f['tls-cert'] !== !!f['tls-key']) throw new ConfigError(f['tls-cert'] ? 'tls-key' : 'tls-cert', 'TLS needs both tls-cert and tls-key');
  if (f['tls-client-ca'] && !f['tls-cert']) throw new ConfigError('tls-client-ca', 'mTLS needs the server certificate too: set tls-cert and tls-key');
  return {
    host: f.host,
    port: f.port,
    tls: f['tls-cert'] ? { certFile: f['tls-cert'], keyFile: f['tls-key']!, clientCaFile: f['tls-client-ca'] } : undefined,
    shutdownGraceMs: Math.round(f['shutdown-grace-seconds'] * 1000),
    metrics: f['metrics-addr'] ? { host: HOST_PORT.exec(f['metrics-addr'])![1].replace(/^\[(.*)\]$/, '$1'), port: Number(HOST_PORT.exec(f['metrics-addr'])![2]) } : undefined,
    logLevel: f['log-level'],
    logFormat: f['log-format'],
  };
}

/** Values of every secret field present in the raw config, for log and error redaction. */
export function secretValues(raw: RawConfig): string[] {
  return FIELDS.filter((f) => f.secret)
    .map((f) => raw[f.name])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}
