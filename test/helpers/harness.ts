/**
 * Test harness: the fake Atlassian Cloud, our connector configured against it, the gRPC server on
 * a random loopback port, and a real gRPC client — the way the platform reaches us.
 */
import { startFakeAtlassian, FakeAtlassian, FakeAtlassianOptions } from '../../src/fake-atlassian';
import { parseConnectorConfig, RawConfig, ConnectorConfig } from '../../src/config/schema';
import { buildConnector, BuildOptions } from '../../src/connector/wire';
import type { Connector } from '../../src/connector/types';
import { startServer, RunningServer } from '../../src/server/server';
import { dialConnector, ConnectorClient } from '../../src/client/connector-client';
import { createLogger, setRootLogger } from '../../src/log';

setRootLogger(createLogger((process.env.TEST_LOG_LEVEL as 'debug') || 'silent'));

export interface Harness {
  fake: FakeAtlassian;
  cfg: ConnectorConfig;
  server: RunningServer;
  client: ConnectorClient;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  fake?: FakeAtlassianOptions;
  /** extra raw config on top of the classic-token defaults */
  config?: (fake: FakeAtlassian) => RawConfig;
  provisioning?: boolean;
  /** wraps the connector before the server serves it (fault injection: helpers/connector-faults.ts) */
  wrap?: (c: Connector) => Connector;
  /** connector build options (e.g. shorter retry waits) */
  build?: BuildOptions;
}

export function fakeConfig(fake: FakeAtlassian, extra: RawConfig = {}): RawConfig {
  return {
    'jira-url': fake.siteUrl,
    'jira-email': fake.credentials.adminEmail,
    'jira-api-token': fake.credentials.classicToken,
    'atlassian-api-url': fake.apiUrl,
    'atlassian-auth-url': fake.authUrl,
    ...extra,
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeAtlassian({ tier: 'S', seed: 1, ...opts.fake });
  const cfg = parseConnectorConfig(fakeConfig(fake, { provisioning: opts.provisioning ?? false, ...(opts.config?.(fake) ?? {}) }));
  const { connector } = await buildConnector(cfg, opts.build);
  const server = await startServer(opts.wrap ? opts.wrap(connector) : connector, { host: '127.0.0.1', port: 0, provisioning: cfg.provisioning });
  const client = dialConnector(server.address);
  return {
    fake,
    cfg,
    server,
    client,
    async stop() {
      client.close();
      await server.stop();
      await fake.stop();
    },
  };
}
