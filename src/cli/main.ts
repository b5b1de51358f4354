#!/usr/bin/env node
/**
 * jira-connector: serve | validate | capabilities | config | manifest | health | sync | report | diff | grant | revoke | create-account | explain | tickets | delete | invoke-action | demo
 */
import { preferSmallHeap } from '../server/heap';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { addConfigOptions, configJson, guarded, rawFrom } from './options';
import { parseConnectorConfig, parseServerConfig } from '../config/schema';
import { createLogger, LogLevel, setRootLogger, log } from '../log';
import { describeConnector, buildConnector } from '../connector/wire';
import { computeCapabilities } from '../connector/metadata';
import { ConnectorCapabilities } from '../gen/c1/connector/v2/connector';
import { startServer } from '../server/server';
import { plaintextExposure } from '../server/exposure';
import { metricsExposure } from '../server/metrics-http';
import { registerReviewCommands } from './review';
import { registerProvisionCommands } from './provision';
import { registerOffboardingCommands } from './offboarding';
import { registerTicketCommands } from './tickets';
import { endQuietlyWhenOutputCloses, usageLine } from './failure';

endQuietlyWhenOutputCloses();

const program = new Command();
program
  .name('jira-connector')
  .description('Jira Cloud connector for identity governance (Baton c1.connector.v2 over gRPC)')
  // every usage error (unknown command or option, missing argument, bad value), of every command: one line, exit 2
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(usageLine(str)) });

/** A flag value parsed when the command line is read: a bad one is a usage error (one line, exit 2). */
function integerArg(min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `It must be an integer of at least ${min}.` : `It must be an integer from ${min} to ${max}.`);
    return n;
  };
}

function tierArg(v: string): string {
  const t = v.toUpperCase();
  if (!['S', 'M', 'L'].includes(t)) throw new InvalidArgumentError('It must be S, M or L.');
  return t;
}

function setupLogging(raw: ReturnType<typeof rawFrom>, quietDefault = false): void {
  const level = (raw['log-level'] as LogLevel | undefined) ?? (quietDefault ? 'error' : 'info');
  const format = (raw['log-format'] as 'json' | 'console' | undefined) ?? 'json';
  setRootLogger(createLogger(['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info', format === 'console' ? 'console' : 'json'));
}

addConfigOptions(program.command('serve').description('run the gRPC server (default 127.0.0.1:50051)'), ['jira', 'oauth', 'organization', 'behaviour', 'server']).action(async (_opts, cmd: Command) =>
  guarded(async () => {
    preferSmallHeap();
    const raw = rawFrom(cmd);
    const server = parseServerConfig(raw);
    setupLogging(raw);
    const cfg = parseConnectorConfig(raw);
    const { connector } = await buildConnector(cfg);
    const running = await startServer(connector, { host: server.host, port: server.port, provisioning: cfg.provisioning, tls: server.tls, metrics: server.metrics });
    log().info(
      { address: running.address, tls: !!server.tls, mtls: !!server.tls?.clientCaFile, provisioning: cfg.provisioning, ticketing: cfg.ticketing, authMode: cfg.jira.authMode, org: !!cfg.org },
      'jira connector listening',
    );
    const exposure = plaintextExposure(server.host, !!server.tls);
    if (exposure) log().warn({ address: running.address }, exposure);
    if (running.metricsAddress) {
      log().info({ metrics: `http://${running.metricsAddress}/metrics` }, 'Prometheus metrics listening');
      const metricsWarning = metricsExposure(server.metrics!.host);
      if (metricsWarning) log().warn({ metrics: running.metricsAddress }, metricsWarning);
    }
    // first signal: drain (health NOT_SERVING, new calls refused, calls in flight finish within the grace), exit 0;
    // a second signal: exit at once with 128 + the signal number, as a shell reports a killed process
    let stopping = false;
    const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
      if (stopping) {
        log().warn({ signal }, 'second signal: exiting without waiting for calls in flight');
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      }
      stopping = true;
      log().info({ signal, graceSeconds: server.shutdownGraceMs / 1000, inFlight: running.inFlight() }, 'draining: health is NOT_SERVING, new calls are refused, calls in flight may finish');
      running.drain(server.shutdownGraceMs).then(
        ({ cancelled }) => {
          if (cancelled) log().warn({ cancelled }, 'grace period over: calls still in flight were cancelled');
          log().info('stopped');
          process.exit(0);
        },
        (e: unknown) => {
          log().error({ err: e }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }),
);

addConfigOptions(program.command('validate').description('check the configuration and the upstream credentials, and say what is missing'), [
  'jira',
  'oauth',
  'organization',
  'behaviour',
  'server',
]).action(async (_opts, cmd: Command) =>
  guarded(async () => {
    const raw = rawFrom(cmd);
    setupLogging(raw, true);
    const cfg = parseConnectorConfig(raw);
    const server = parseServerConfig(raw);
    const { runValidateCommand } = await import('./validate');
    process.exitCode = await runValidateCommand(cfg, server);
  }),
);

program
  .command('capabilities')
  .description('print the connector capabilities as c1.connector.v2.ConnectorCapabilities JSON')
  .action(() =>
    guarded(async () => {
      const caps = computeCapabilities(describeConnector());
      process.stdout.write(JSON.stringify(ConnectorCapabilities.toJSON(caps), null, 2) + '\n');
    }),
  );

program
  .command('config')
  .description('print the configuration fields (names, env vars, required and secret flags, defaults) as JSON')
  .action(() =>
    guarded(async () => {
      process.stdout.write(JSON.stringify(configJson(), null, 2) + '\n');
    }),
  );

program
  .command('manifest')
  .description('print connector.yaml (the hosting manifest) from the live capabilities and configuration fields')
  .action(() =>
    guarded(async () => {
      const { manifestYaml } = await import('./manifest');
      process.stdout.write(manifestYaml());
    }),
  );

program
  .command('health')
  .description('ask a running server for grpc.health.v1 status (exit 0 when SERVING); used by the container HEALTHCHECK and probes')
  .option('--address <host:port>', 'server address', `127.0.0.1:${process.env.BATON_PORT || 50051}`)
  .option('--tls-ca <file>', 'PEM CA that signed the server certificate [env BATON_HEALTH_TLS_CA, else BATON_TLS_CLIENT_CA; else the system roots]')
  .option('--tls-cert <file>', 'PEM client certificate for mTLS [env BATON_HEALTH_TLS_CERT, else BATON_TLS_CERT]')
  .option('--tls-key <file>', 'PEM key of the client certificate [env BATON_HEALTH_TLS_KEY, else BATON_TLS_KEY]')
  .option('--tls-server-name <name>', 'name in the server certificate when it is not the address host [env BATON_HEALTH_TLS_SERVER_NAME]')
  .option('--timeout <ms>', 'deadline (at most 60000)', integerArg(1, 60_000), 3000)
  .action((opts: { address: string; tlsCa?: string; tlsCert?: string; tlsKey?: string; tlsServerName?: string; timeout: number }) =>
    guarded(async () => {
      const { checkHealth, healthTlsFrom } = await import('./health');
      const st = await checkHealth(opts.address, { timeoutMs: opts.timeout, tls: healthTlsFrom(opts) });
      process.stdout.write(st + '\n');
      process.exitCode = st === 'SERVING' ? 0 : 1;
    }),
  );

registerReviewCommands(program);
registerProvisionCommands(program);
registerTicketCommands(program);
registerOffboardingCommands(program);

addConfigOptions(
  program
    .command('explain')
    .description(
      "print every project permission (and global permission, when synced) one person holds on each project and each path to it, from the connector's own grants; cross-checked with Jira's POST /permissions/check (exit 1 on any disagreement)",
    )
    .requiredOption('--user <accountId|email>', 'the person: an Atlassian account id, or an email Jira shows')
    .option('--project <key>', 'only this project')
    .option('--connector <host:port>', 'sync a running connector server instead of one in this process (the Jira flags are still needed: the cross-check asks Jira)')
    .option('--connector-ca <file>', 'PEM CA that signed the running server’s certificate (TLS)')
    .option('--connector-cert <file>', 'PEM client certificate for mutual TLS')
    .option('--connector-key <file>', 'PEM client key for mutual TLS')
    .option('--json', 'print the explanation and the disagreements as JSON'),
  ['jira', 'oauth', 'organization', 'behaviour'],
).action(async (opts: { user: string; project?: string; connector?: string; connectorCa?: string; connectorCert?: string; connectorKey?: string; json?: boolean }, cmd: Command) =>
  guarded(async () => {
    setupLogging(rawFrom(cmd), true);
    const { runExplainCommand } = await import('./explain');
    await runExplainCommand(opts, cmd);
  }),
);

program
  .command('demo')
  .description('start the fake Atlassian tenant and the server, run a full sync through gRPC and print a summary')
  .option('--tier <tier>', 'size of the demo tenant: S, M or L', tierArg, 'S')
  .option('--seed <n>', 'tenant seed', integerArg(0), 1)
  .action((opts: { tier: string; seed: number }) =>
    guarded(async () => {
      setRootLogger(createLogger((process.env.BATON_LOG_LEVEL as LogLevel) || 'warn', 'console'));
      const { runDemo } = await import('./demo');
      await runDemo({ tier: opts.tier, seed: opts.seed });
    }),
  );

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // the line is written (outputError above); help asked for ends with 0, help shown for a missing command with 2
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    return;
  }
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
