/**
 * Assembles the connector from configuration: Atlassian clients -> resource types -> Connector.
 */
import type { ConnectorConfig } from '../config/schema';
import type { Connector } from './types';
import type { JiraApi, OrgApi } from './jira-api';
import { createJiraConnector } from './jira';
import { createAtlassianClients, AtlassianClients, ClientOptions, DryRunWrite } from '../atlassian';
import { log } from '../log';
import { probeCapabilities, probeFailure } from '../atlassian/probe';
import { observeUpstream } from '../call-scope';
import { withSyncExpiry } from './sync-expiry';

export interface BuildOptions {
  /** receives each write a dry run did not send (besides the log line) */
  onDryRun?: (w: DryRunWrite) => void;
  /** retry tuning, clock and jitter of the Atlassian clients (tests shorten the waits) */
  client?: Pick<ClientOptions, 'retry' | 'clock' | 'random'>;
  /** the clock of the per-sync state's idle TTL and of the audit-log window (tests inject one; default Date.now) */
  now?: () => number;
}

export async function buildConnector(cfg: ConnectorConfig, opts: BuildOptions = {}): Promise<{ connector: Connector; clients: AtlassianClients }> {
  const clients = createAtlassianClients(cfg, {
    ...opts.client,
    dryRun: cfg.dryRun
      ? (w) => {
          log().warn({ dryRun: true, upstream: w.upstream, method: w.method, url: w.url, query: w.query, body: w.body }, `dry run: not sent: ${w.endpoint}`);
          opts.onDryRun?.(w);
        }
      : undefined,
    observe: observeUpstream,
  });
  const org: OrgApi | undefined =
    cfg.org && clients.admin
      ? {
          orgId: cfg.org.orgId,
          admin: clients.admin,
          siteResourceIds: async (ctx) => [`ari:cloud:jira::site/${await clients.cloudId(ctx)}`],
        }
      : undefined;
  const jira = createJiraConnector(cfg, {
    api: clients.jira,
    org,
    validate: async (ctx) => {
      const results = await probeCapabilities(clients, cfg, ctx);
      const err = probeFailure(results);
      if (err) throw err;
    },
    close: () => clients.close(),
    issues: clients.issues,
    now: opts.now,
    activity: clients.activity,
  });
  // per-sync state leaves at Cleanup, and after an idle TTL for a sync that never sends one
  const connector = withSyncExpiry(jira, { ttlMs: cfg.syncStateTtlMs, now: opts.now });
  return { connector, clients };
}

/** The connector's shape without configuration, for `capabilities` (no upstream is ever called). */
export function describeConnector(): Connector {
  const api = new Proxy({} as JiraApi, {
    get() {
      return () => Promise.reject(new Error('describe-only connector: no upstream'));
    },
  });
  // with an organization (describe-only too), so the shape includes the organization's resource types
  const org: OrgApi = { orgId: 'describe-only', admin: api as unknown as OrgApi['admin'], siteResourceIds: () => Promise.reject(new Error('describe-only connector: no upstream')) };
  return createJiraConnector(undefined, { api, org, validate: async () => undefined });
}
