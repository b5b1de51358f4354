/**
 * Builds one Upstream per Atlassian host from the parsed configuration and hands out the typed
 * Jira and admin clients. See index.ts for where requests go in each auth mode.
 */
import type { ConnectorConfig } from '../config/schema';
import { ConnectorError } from '../errors';
import { log, registerSecret } from '../log';
import { createAdminClient, AdminClient } from './admin';
import { StaticAuth } from './auth/static';
import { OAuthTokenSource } from './auth/oauth';
import { AuthProvider, ClientStats, DryRunWrite, RequestContext, StatsCollector, Upstream, UpstreamEvent } from './http';
import type { Clock } from './limiter';
import { DEFAULT_RETRY, RandomSource, RetryPolicy } from './retry-policy';
import { createJiraClient, JiraClient } from './jira';
import { createIssuesClient, IssuesClient } from './issues';
import { createActivityClient, ActivityClient } from './activity';
import { TenantInfoSchema } from './schemas';

export interface AtlassianClients {
  jira: JiraClient;
  /** work items (ticketing) on the same Jira upstream */
  issues: IssuesClient;
  /** issue activity and work items (issue 16) on the same Jira upstream */
  activity: ActivityClient;
  /** present when an organization ID and API key are configured */
  admin?: AdminClient;
  /** the Jira site's cloud ID: configured, from the gateway URL, or discovered once from tenant_info */
  cloudId(ctx?: RequestContext): Promise<string>;
  /** counters since creation: requests per endpoint, retries, rate-limit waits (ms) */
  stats(): ClientStats;
  /** stops keep-alive sockets; later calls fail with unavailable */
  close(): Promise<void>;
}

export interface ClientOptions {
  /** retry tuning (tests shorten the waits) */
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** dry run: writes are reported here instead of being sent */
  dryRun?: (w: DryRunWrite) => void;
  /** time and sleeps of the retry and rate-limit waits (tests inject a test clock; default: the system clock) */
  clock?: Clock;
  /** jitter source (default: Math.random) */
  random?: RandomSource;
  /** observer of every upstream attempt, retry and wait (the server's metrics) */
  observe?: (e: UpstreamEvent) => void;
}

export function createAtlassianClients(cfg: ConnectorConfig, opts: ClientOptions = {}): AtlassianClients {
  const stats = new StatsCollector();
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const common = {
    timeoutMs: cfg.httpTimeoutMs,
    maxConcurrency: cfg.maxConcurrency,
    retry,
    stats,
    authMode: cfg.jira.authMode,
    userAgent: opts.userAgent,
    dryRun: opts.dryRun,
    clock: opts.clock,
    random: opts.random,
    observe: opts.observe,
  };
  const j = cfg.jira;
  registerSecret(j.apiToken);
  registerSecret(j.oauth?.clientSecret);
  registerSecret(j.oauth?.refreshToken);
  registerSecret(cfg.org?.apiKey);

  const upstreams: Upstream[] = [];

  // OAuth token endpoint (its own host and connection pool)
  let auth: AuthProvider;
  let tokenSource: OAuthTokenSource | undefined;
  if (j.authMode === 'oauth-client-credentials' || j.authMode === 'oauth-refresh-token') {
    if (!j.oauth) throw new ConnectorError('invalid-input', `jira-auth-mode ${j.authMode} needs jira-oauth-client-id and jira-oauth-client-secret`);
    const au = new URL(cfg.authUrl);
    const tokenUp = new Upstream({ ...common, name: 'token', baseUrl: au.origin, mapContext: { refreshTokenFile: j.oauth.refreshTokenFile } });
    upstreams.push(tokenUp);
    tokenSource = new OAuthTokenSource(
      tokenUp,
      au.pathname || '/',
      j.authMode === 'oauth-client-credentials'
        ? { kind: 'client_credentials', clientId: j.oauth.clientId, clientSecret: j.oauth.clientSecret }
        : { kind: 'refresh_token', clientId: j.oauth.clientId, clientSecret: j.oauth.clientSecret, refreshToken: j.oauth.refreshToken, refreshTokenFile: j.oauth.refreshTokenFile },
      stats,
      opts.clock,
    );
    auth = tokenSource;
  } else if (j.authMode === 'scoped-bearer') {
    if (!j.apiToken) throw new ConnectorError('invalid-input', 'jira-auth-mode scoped-bearer needs jira-api-token');
    auth = StaticAuth.bearer(j.apiToken);
  } else {
    if (!j.apiToken || !j.email) throw new ConnectorError('invalid-input', `jira-auth-mode ${j.authMode} needs jira-email and jira-api-token`);
    auth = StaticAuth.basic(j.email, j.apiToken);
  }

  // Jira: site URL for classic tokens, gateway for everything else
  let gateway = j.gatewayUrl ?? (j.cloudId ? `${cfg.apiUrl}/ex/jira/${j.cloudId}` : undefined);
  let discovering: Promise<string> | undefined;
  // eslint-disable-next-line prefer-const -- assigned below, after jiraBase (which it uses) is defined
  let jiraUp: Upstream;
  const jiraBase = async (ctx?: RequestContext): Promise<string> => {
    if (j.authMode === 'basic') {
      if (!j.siteUrl) throw new ConnectorError('invalid-input', 'classic API tokens work on the site URL; set jira-url to https://<site>.atlassian.net');
      return j.siteUrl;
    }
    if (gateway) return gateway;
    if (!j.siteUrl) throw new ConnectorError('invalid-input', 'the gateway needs the cloud ID: set jira-cloud-id or use the site URL so it can be discovered');
    if (!discovering) {
      discovering = discoverCloudId(jiraUp, j.siteUrl, { deadline: ctx?.deadline })
        .then((cloudId) => {
          gateway = `${cfg.apiUrl}/ex/jira/${cloudId}`;
          log().info({ cloudId, gateway }, 'discovered the cloud ID of the Jira site');
          return gateway;
        })
        .finally(() => {
          discovering = undefined;
        });
    }
    return discovering;
  };
  jiraUp = new Upstream({ ...common, name: 'jira', baseUrl: () => jiraBase(), auth, mapContext: { email: j.email, siteUrl: j.siteUrl } });
  upstreams.push(jiraUp);
  const jira = createJiraClient(jiraUp, jiraBase);

  let admin: AdminClient | undefined;
  if (cfg.org) {
    const adminUp = new Upstream({ ...common, name: 'admin', baseUrl: cfg.apiUrl, auth: StaticAuth.bearer(cfg.org.apiKey) });
    upstreams.push(adminUp);
    admin = createAdminClient(adminUp, cfg.apiUrl);
  }

  let cloudIdP: Promise<string> | undefined;
  const cloudId = (ctx?: RequestContext): Promise<string> => {
    if (j.cloudId) return Promise.resolve(j.cloudId);
    const m = gateway ? /\/ex\/jira\/([^/]+)$/.exec(gateway) : null;
    if (m) return Promise.resolve(m[1]);
    if (!j.siteUrl) return Promise.reject(new ConnectorError('invalid-input', 'the cloud ID is unknown: set jira-cloud-id'));
    if (!cloudIdP) {
      cloudIdP = discoverCloudId(jiraUp, j.siteUrl, { deadline: ctx?.deadline });
      cloudIdP.catch(() => (cloudIdP = undefined));
    }
    return cloudIdP;
  };

  return {
    jira,
    issues: createIssuesClient(jiraUp),
    activity: createActivityClient(jiraUp),
    admin,
    cloudId,
    stats: () => stats.snapshot(),
    close: async () => {
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
}

/** GET <siteUrl>/_edge/tenant_info (no credentials) → the cloud ID. */
export async function discoverCloudId(up: Upstream, siteUrl: string, ctx?: RequestContext): Promise<string> {
  try {
    const r = await up.call({ method: 'GET', path: '/_edge/tenant_info', url: `${siteUrl}/_edge/tenant_info`, noAuth: true, schema: TenantInfoSchema }, ctx);
    return r.cloudId;
  } catch (e) {
    if (e instanceof ConnectorError && (e.kind === 'not-found' || e.kind === 'bad-upstream'))
      throw new ConnectorError('invalid-input', `could not discover the cloud ID of ${siteUrl}: ${e.message}`, {
        endpoint: 'GET /_edge/tenant_info',
        status: e.details.status,
        hint: 'Check that jira-url is the Jira Cloud site (https://<site>.atlassian.net), or set jira-cloud-id (from https://<site>.atlassian.net/_edge/tenant_info).',
      });
    throw e;
  }
}
