/**
 * Assembles the connector from configuration: Atlassian clients -> resource types -> Connector.
 */
import type { ConnectorConfig } from '../config/schema';
import type { Connector } from './types';
import type { JiraApi, OrgApi } from './jira-api';
import { createJiraConnector } from './jira';
import { createAtlassianClients, AtlassianClients, DryRunWrite } from '../atlassian';
import { log } from '../log';
import { probeCapabilities, probeFailure } from '../atlassian/probe';

export interface BuildOptions {
  /** receives each write a dry run did not send (besides the log line) */
  onDryRun?: (w: DryRunWrite) => void;
}

export async function buildConnector(cfg: ConnectorConfig, opts: BuildOptions = {}): Promise<{ connector: Connector; clients: AtlassianClients }> {
  const clients = createAtlassianClients(cfg, {
    dryRun: cfg.dryRun
      ? (w) => {
          log().warn({ dryRun: true, upstream: w.upstream, method: w.method, url: w.url, query: w.query, body: w.body }, `dry run: not sent: ${w.endpoint}`);
          opts.onDryRun?.(w);
        }
      : undefined,
  });
  const org: OrgApi | undefined =
    cfg.org && clients.admin
      ? {
          orgId: cfg.org.orgId,
          admin: clients.admin,
          siteResourceIds: async (ctx) => [`ari:cloud:jira::site/${await clients.cloudId(ctx)}`],
        }
      : undefined;
  const connector = createJiraConnector(cfg, {
    api: clients.jira,
    org,
    validate: async (ctx) => {
      const results = await probeCapabilities(clients, cfg, ctx);
      const err = probeFailure(results);
      if (err) throw err;
    },
    close: () => clients.close(),
    issues: clients.issues,
  });
  return { connector, clients };
}

/** The connector's shape without configuration, for `capabilities` (no upstream is ever called). */
export function describeConnector(): Connector {
  const api = new Proxy({} as JiraApi, {
    get() {
      return () => Promise.reject(new Error('describe-only connector: no upstream'));
    },
  });
  return createJiraConnector(undefined, { api, validate: async () => undefined });
}
