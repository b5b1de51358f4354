/** Configuration parsing: every rule names the field and what to do; secrets never appear. */
import { parseConnectorConfig, parseServerConfig, ConfigError, RawConfig, collectRaw } from '../../src/config/schema';

const base: RawConfig = { 'jira-url': 'https://example.atlassian.net', 'jira-email': 'bot@example.com', 'jira-api-token': 'classic-token-123456' };

function err(raw: RawConfig): ConfigError {
  try {
    parseConnectorConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('auth mode detection', () => {
  test('email + token on the site URL is basic (classic token)', () => {
    const c = parseConnectorConfig(base);
    expect(c.jira.authMode).toBe('basic');
    expect(c.jira.siteUrl).toBe('https://example.atlassian.net');
    expect(c.jira.gatewayUrl).toBeUndefined();
  });
  test('a service-account email means a scoped token through the gateway', () => {
    const c = parseConnectorConfig({ ...base, 'jira-email': 'bot-123@serviceaccount.atlassian.com' });
    expect(c.jira.authMode).toBe('scoped-basic');
  });
  test('the gateway URL form means scoped, and carries the cloud ID', () => {
    const c = parseConnectorConfig({ ...base, 'jira-url': 'https://api.atlassian.com/ex/jira/11111111-2222-3333-4444-555555555555/' });
    expect(c.jira.authMode).toBe('scoped-basic');
    expect(c.jira.cloudId).toBe('11111111-2222-3333-4444-555555555555');
    expect(c.jira.gatewayUrl).toBe('https://api.atlassian.com/ex/jira/11111111-2222-3333-4444-555555555555');
  });
  test('a token without email is a Bearer service-account token', () => {
    expect(parseConnectorConfig({ 'jira-url': base['jira-url'], 'jira-api-token': 'x'.repeat(20) }).jira.authMode).toBe('scoped-bearer');
  });
  test('OAuth client with and without refresh token', () => {
    const o = { 'jira-url': base['jira-url'], 'jira-oauth-client-id': 'cid', 'jira-oauth-client-secret': 'csecret-123456' };
    expect(parseConnectorConfig(o).jira.authMode).toBe('oauth-client-credentials');
    expect(parseConnectorConfig({ ...o, 'jira-oauth-refresh-token': 'rt-123456' }).jira.authMode).toBe('oauth-refresh-token');
  });
  test('token and OAuth client together are ambiguous unless the mode is set', () => {
    const o = { ...base, 'jira-oauth-client-id': 'cid', 'jira-oauth-client-secret': 'csecret-123456' };
    expect(err(o).field).toBe('jira-auth-mode');
    expect(parseConnectorConfig({ ...o, 'jira-auth-mode': 'basic' }).jira.authMode).toBe('basic');
  });
  test('explicit mode checks its own requirements', () => {
    expect(err({ 'jira-url': base['jira-url'], 'jira-api-token': 'tok-123456', 'jira-auth-mode': 'basic' }).field).toBe('jira-email');
    expect(err({ ...base, 'jira-auth-mode': 'oauth-client-credentials' }).field).toBe('jira-oauth-client-id');
    expect(err({ ...base, 'jira-auth-mode': 'sideways' }).message).toMatch(/expected one of auto, basic/);
  });
});

describe('URLs', () => {
  test('http only on loopback', () => {
    expect(parseConnectorConfig({ ...base, 'jira-url': 'http://127.0.0.1:8080' }).jira.siteUrl).toBe('http://127.0.0.1:8080');
    expect(parseConnectorConfig({ ...base, 'jira-url': 'http://localhost:8080' }).jira.siteUrl).toBe('http://localhost:8080');
    const e = err({ ...base, 'jira-url': 'http://example.atlassian.net' });
    expect(e.field).toBe('jira-url');
    expect(e.message).toMatch(/--jira-url \(BATON_JIRA_URL\).*loopback.*https:\/\/example\.atlassian\.net/);
    expect(err({ ...base, 'atlassian-api-url': 'http://10.0.0.1' }).field).toBe('atlassian-api-url');
  });
  test('no credentials, queries or odd paths in the URL', () => {
    expect(err({ ...base, 'jira-url': 'https://user:pw@example.atlassian.net' }).message).toMatch(/credentials/);
    expect(err({ ...base, 'jira-url': 'https://example.atlassian.net/jira/software' }).message).toMatch(/site root/);
    expect(err({ ...base, 'jira-url': 'not a url' }).message).toMatch(/not a URL/);
    expect(err({ ...base, 'jira-url': 'ftp://example.atlassian.net' }).message).toMatch(/scheme/);
  });
  test('jira-url is required', () => {
    expect(err({ 'jira-email': 'a@b.c', 'jira-api-token': 'tok-123456' }).field).toBe('jira-url');
  });
  test('cloud id in the URL and in the setting must agree', () => {
    expect(err({ ...base, 'jira-url': 'https://api.atlassian.com/ex/jira/abc', 'jira-cloud-id': 'def' }).field).toBe('jira-cloud-id');
  });
});

describe('organization settings come together', () => {
  test('org id without key and key without id are errors', () => {
    expect(err({ ...base, 'atlassian-orgid': 'org-1' }).field).toBe('atlassian-api-token');
    expect(err({ ...base, 'atlassian-api-token': 'key-123456' }).field).toBe('atlassian-orgid');
    expect(parseConnectorConfig({ ...base, 'atlassian-orgid': 'org-1', 'atlassian-api-token': 'key-123456' }).org).toEqual({ orgId: 'org-1', apiKey: 'key-123456' });
  });
});

describe('values', () => {
  test('booleans, lists and numbers from env-like strings', () => {
    const c = parseConnectorConfig({ ...base, provisioning: 'yes', 'skip-customer-user': '1', 'jira-project-keys': 'eng, OPS,,eng', 'http-timeout-seconds': '30' });
    expect(c.provisioning).toBe(true);
    expect(c.skipCustomerUser).toBe(true);
    expect(c.projectKeys).toEqual(['ENG', 'OPS']);
    expect(c.httpTimeoutMs).toBe(30000);
    expect(err({ ...base, provisioning: 'maybe' }).message).toMatch(/--provisioning \(BATON_PROVISIONING\): expected true or false/);
    expect(err({ ...base, 'http-timeout-seconds': '0' }).field).toBe('http-timeout-seconds');
    expect(err({ ...base, 'jira-project-keys': 'ok,not valid' }).field).toBe('jira-project-keys');
  });
  test('flags win over env, env is read by its BATON_ name, aliases work', () => {
    const raw = collectRaw({ jiraUrl: 'https://a.atlassian.net', atlassianOrgId: 'o1' }, { BATON_JIRA_URL: 'https://b.atlassian.net', BATON_JIRA_EMAIL: 'e@x.y' });
    expect(raw['jira-url']).toBe('https://a.atlassian.net');
    expect(raw['jira-email']).toBe('e@x.y');
    expect(raw['atlassian-orgid']).toBe('o1');
  });
  test('server settings', () => {
    expect(parseServerConfig({}).port).toBe(50051);
    expect(parseServerConfig({}).host).toBe('127.0.0.1');
    expect(() => parseServerConfig({ port: '70000' })).toThrow(/--port \(BATON_PORT\)/);
    expect(() => parseServerConfig({ 'tls-cert': 'a.pem' })).toThrow(/tls-key/);
    expect(() => parseServerConfig({ 'tls-client-ca': 'ca.pem' })).toThrow(/mTLS/);
  });
  test('no error message ever contains a secret value', () => {
    const secret = 'super-secret-token-value';
    const cases: RawConfig[] = [
      { 'jira-api-token': secret },
      { ...base, 'jira-api-token': secret, 'jira-url': 'http://example.com' },
      { ...base, 'atlassian-api-token': secret },
      { ...base, 'jira-oauth-client-secret': secret },
      { ...base, 'jira-oauth-refresh-token': secret, 'jira-auth-mode': 'oauth-refresh-token' },
    ];
    for (const c of cases) expect(err(c).message).not.toContain(secret);
  });
});
