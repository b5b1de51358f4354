/**
 * Shared set-up for the Atlassian client tests: a fake Atlassian Cloud per test file, configs
 * built through the real config parser, and a redaction guard that collects every log line
 * (logTap) and every error our clients produce in the file and checks them for secrets.
 */
import { Writable } from 'node:stream';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { parseConnectorConfig, ConnectorConfig, RawConfig } from '../../src/config/schema';
import { createAtlassianClients, AtlassianClients, ClientOptions } from '../../src/atlassian';
import { ConnectorError } from '../../src/errors';
import { createLogger, logTap, setRootLogger } from '../../src/log';

export const FAST: ClientOptions = { retry: { baseDelayMs: 10, maxDelayMs: 80, maxWaitMs: 10_000 } };

/** Every secret any test file saw, plus the fake's secret prefixes (a leaked fake secret starts with one). */
export const SECRET_PREFIXES = ['ATATT3xFfGF0', 'ATCTT3xFfGN0', 'eyJraWQiOiJmYWtlLWF0bGFzc2lhbiJ9.', 'eyJyZWZyZXNoIjoiZmFrZSJ9.'];

export interface Harness {
  fake: FakeAtlassian;
  /** builds a config from flag-style raw values, pointing every URL at the fake */
  config(raw: RawConfig, tweak?: (c: ConnectorConfig) => void): ConnectorConfig;
  /** clients closed automatically after the file */
  clients(cfg: ConnectorConfig, opts?: ClientOptions): AtlassianClients;
  /** awaits a call that must fail; records the error for the redaction check */
  fails(p: Promise<unknown>): Promise<ConnectorError>;
  /** a value that must never show up in logs or errors */
  secret(...values: (string | undefined)[]): void;
  lines: string[];
  errors: string[];
}

export function useFake(opts: Parameters<typeof startFakeAtlassian>[0] = {}): Harness {
  const lines: string[] = [];
  const errors: string[] = [];
  const secrets = new Set<string>();
  const open: AtlassianClients[] = [];
  const h: Harness = {
    fake: undefined as unknown as FakeAtlassian,
    lines,
    errors,
    config(raw, tweak) {
      const cfg = parseConnectorConfig({
        'jira-url': h.fake.siteUrl,
        'atlassian-api-url': h.fake.apiUrl,
        'atlassian-auth-url': h.fake.authUrl,
        'http-timeout-seconds': 5,
        'max-concurrency': 4,
        ...raw,
      });
      for (const k of ['jira-api-token', 'jira-oauth-client-secret', 'jira-oauth-refresh-token', 'atlassian-api-token']) {
        const v = raw[k];
        if (typeof v === 'string') secrets.add(v);
      }
      tweak?.(cfg);
      return cfg;
    },
    clients(cfg, o = FAST) {
      const c = createAtlassianClients(cfg, o);
      open.push(c);
      return c;
    },
    async fails(p) {
      try {
        await p;
      } catch (e) {
        if (!(e instanceof ConnectorError)) throw new Error(`expected a ConnectorError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        errors.push(e.message, e.describe(), JSON.stringify(e.details), String(e.stack), JSON.stringify(e));
        return e;
      }
      throw new Error('expected the call to fail');
    },
    secret(...values) {
      for (const v of values) if (v) secrets.add(v);
    },
  };

  beforeAll(async () => {
    logTap.lines = lines;
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    setRootLogger(createLogger('debug', 'json', sink));
    h.fake = await startFakeAtlassian({ tier: 'S', seed: 7, withOrg: true, validate: 'all', ...opts });
    const c = h.fake.credentials;
    h.secret(c.admin.token, c.admin.authorization, c.scoped.token, c.serviceAccount.token, c.oauthClient.clientSecret, c.threeLO.clientSecret, c.threeLO.refreshToken, c.orgApiKey.key);
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    // every request we sent matched Atlassian's documents (the fake validates them)
    const bad = h.fake?.validationErrors.filter((v) => v.direction === 'request') ?? [];
    if (bad.length) throw new Error(`requests that break the API documents: ${JSON.stringify(bad.slice(0, 3))}`);
    const resp = h.fake?.validationErrors.filter((v) => v.direction === 'response') ?? [];
    if (resp.length) process.stderr.write(`[atlassian tests] the fake sent ${resp.length} responses that break the documents, e.g. ${JSON.stringify(resp[0])}\n`);
    const routes = h.fake?.validationErrors.filter((v) => v.direction === 'route').map((v) => v.key) ?? [];
    if (routes.length) process.stderr.write(`[atlassian tests] routes the fake does not serve: ${[...new Set(routes)].join(', ')}\n`);
    await h.fake?.stop();
    logTap.lines = undefined;
    // the redaction check of this file: nothing we logged or threw may contain a secret
    const haystack = [...lines, ...errors];
    for (const s of secrets) for (const text of haystack) if (text.includes(s)) throw new Error(`secret leaked into ${text.slice(0, 200)}`);
    for (const prefix of SECRET_PREFIXES) for (const text of haystack) if (text.includes(prefix)) throw new Error(`a token-like value leaked into ${text.slice(0, 200)}`);
    for (const text of haystack) if (/(Basic|Bearer) (?!\[REDACTED\])[A-Za-z0-9+/=._~-]{12,}/.test(text)) throw new Error(`an Authorization value leaked into ${text.slice(0, 200)}`);
  });

  return h;
}

export function basicRaw(fake: FakeAtlassian): RawConfig {
  return { 'jira-email': fake.credentials.admin.email, 'jira-api-token': fake.credentials.admin.token };
}
