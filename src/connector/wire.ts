/**
 * Assembles the connector from configuration: Atlassian clients -> resource types -> Connector.
 */
import type { ConnectorConfig } from '../config/schema';
import type { Connector } from './types';
import type { JiraApi } from './jira-api';
import { createJiraConnector } from './jira';
import { createAtlassianClients, AtlassianClients } from '../atlassian';
import { probeCapabilities, probeError } from '../atlassian/probe';

export async function buildConnector(cfg: ConnectorConfig): Promise<{ connector: Connector; clients: AtlassianClients }> {
  const clients = createAtlassianClients(cfg);
  const connector = createJiraConnector(cfg, {
    api: clients.jira as unknown as JiraApi,
    validate: async (ctx) => {
      const results = await probeCapabilities(clients, cfg, ctx);
      const err = probeError(results);
      if (err) throw err;
    },
    close: () => clients.close(),
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
