/**
 * The connector server for the soak (npm run bench -- --soak N): built exactly as `serve` builds it
 * (buildConnector + startServer), in its own process started with --expose-gc so the heap after a
 * full GC can be read between syncs. Configured by an IPC 'start' message (raw config); answers
 * 'heap' with the heap used after GC and the RSS, and 'stop'.
 */
import { parseConnectorConfig, RawConfig } from '../src/config/schema';
import { buildConnector } from '../src/connector/wire';
import { startServer } from '../src/server/server';
import { preferSmallHeap } from '../src/server/heap';
import { createLogger, setRootLogger } from '../src/log';

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): { heapMb: number; rssMb: number } {
  // a few passes: weak references and finalizers need more than one
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 1024 / 1024, rssMb: m.rss / 1024 / 1024 };
}

process.on('message', (m: { type: string; raw?: RawConfig }) => {
  void (async () => {
    if (m.type === 'start') {
      if (!gc) throw new Error('start the soak server with --expose-gc');
      setRootLogger(createLogger('warn'));
      preferSmallHeap();
      const cfg = parseConnectorConfig(m.raw!);
      const { connector } = await buildConnector(cfg);
      const running = await startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false });
      process.send!({ type: 'ready', address: running.address, ...heapAfterGc() });
    }
    if (m.type === 'heap') process.send!({ type: 'heap', ...heapAfterGc() });
    if (m.type === 'stop') process.exit(0);
  })().catch((e) => {
    process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
    process.exit(1);
  });
});
