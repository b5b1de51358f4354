/** The opt-in HTTP listener of the Prometheus metrics (metrics-addr / BATON_METRICS_ADDR): GET /metrics, nothing else. */
import http from 'node:http';
import { isLoopbackHost } from './exposure';
import type { Metrics } from './metrics';
import { log } from '../log';
import { ConfigError } from '../config/schema';

export interface MetricsListener {
  /** host:port it listens on (the port resolved when 0 was asked) */
  address: string;
  close(): Promise<void>;
}

/** The warning when the metrics would be served on an address other machines can reach; undefined otherwise. */
export function metricsExposure(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return `Prometheus metrics on the non-loopback address ${host} without authentication: anyone who can reach it sees request rates, error codes and the tenant's size (no ids or secrets). Listen on 127.0.0.1, or restrict the port with a NetworkPolicy or firewall to the Prometheus scraper`;
}

export async function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are served on /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (e: unknown) => {
        log().error({ err: e }, 'metrics scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics are unavailable\n');
      },
    );
  });
  // a scraper keeps its connection alive; do not let an idle one hold the shutdown up
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 10000;
  const h = host.replace(/^\[(.*)\]$/, '$1');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, h, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: Error) => {
    throw new ConfigError('metrics-addr', `cannot listen on ${host}:${port} for metrics: ${e.message}`);
  });
  const bound = server.address();
  const actualPort = typeof bound === 'object' && bound ? bound.port : port;
  return {
    address: `${h.includes(':') ? `[${h}]` : h}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
