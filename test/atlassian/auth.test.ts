/**
 * Every auth mode against the fake: success, expired credential, wrong scope, credential on the
 * wrong URL; OAuth token caching, refresh before expiry, one refresh in flight, 401 → refresh;
 * 3LO rotating refresh tokens written back to the file; the org API key on the admin API only.
 */
import { mkdtempSync, readFileSync, writeFileSync, statSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useFake, basicRaw, FAST } from './helpers';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { parseConnectorConfig } from '../../src/config/schema';
import { createAtlassianClients } from '../../src/atlassian';

const h = useFake();
const dir = mkdtempSync(path.join(tmpdir(), 'atl-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('basic: email + classic token on the site URL', () => {
  it('works, on the site URL', async () => {
    const c = h.clients(h.config(basicRaw(h.fake)));
    expect((await c.jira.myself()).accountId).toBe(h.fake.credentials.admin.accountId);
    expect(await c.jira.baseUrl()).toBe(h.fake.siteUrl);
  });

  it('expired token → auth, with what to check', async () => {
    const t = h.fake.credentials.mintClassicToken({ expiresInSec: -10 });
    h.secret(t.token);
    const e = await h.fails(h.clients(h.config({ 'jira-email': t.email, 'jira-api-token': t.token })).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details).toMatchObject({ endpoint: 'GET /rest/api/3/myself', status: 401 });
    expect(e.details.hint).toMatch(/expired/);
    expect(e.details.hint).toMatch(/owner's email/);
  });

  it('wrong permission (classic tokens have no scopes) → permission, naming it', async () => {
    const t = h.fake.credentials.mintClassicToken({ permissions: { browseUsersAndGroups: false, administerJira: false } });
    h.secret(t.token);
    const e = await h.fails(h.clients(h.config({ 'jira-email': t.email, 'jira-api-token': t.token })).jira.groupMembers(h.fake.tenant.groups()[0].groupId, 0, 5));
    expect(e.kind).toBe('permission');
    expect(e.details.hint).toMatch(/Browse users and groups/);
  });

  it('a scoped token on the site URL → auth, telling to use scoped-basic', async () => {
    const s = h.fake.credentials.scoped;
    const e = await h.fails(h.clients(h.config({ 'jira-email': s.email, 'jira-api-token': s.token, 'jira-auth-mode': 'basic' })).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/scoped-basic/);
  });
});

describe('scoped-basic: email + scoped token through the gateway', () => {
  it('discovers the cloud ID from /_edge/tenant_info when only the site URL is given', async () => {
    const s = h.fake.credentials.scoped;
    const c = h.clients(h.config({ 'jira-email': s.email, 'jira-api-token': s.token, 'jira-auth-mode': 'scoped-basic' }));
    const [a, b] = await Promise.all([c.jira.myself(), c.jira.serverInfo()]);
    expect(a.accountId).toBe(s.accountId);
    expect(b.deploymentType).toBe('Cloud');
    expect(await c.jira.baseUrl()).toBe(h.fake.gatewayUrl);
    expect(c.stats().requests['GET /_edge/tenant_info']).toBe(1);
  });

  it('is auto-detected from the gateway form of jira-url and from a service-account email', async () => {
    const s = h.fake.credentials.scoped;
    const cfg = h.config({ 'jira-url': h.fake.gatewayUrl, 'jira-email': s.email, 'jira-api-token': s.token });
    expect(cfg.jira.authMode).toBe('scoped-basic');
    expect((await h.clients(cfg).jira.myself()).accountId).toBe(s.accountId);
    const sa = h.fake.credentials.serviceAccount;
    const cfg2 = h.config({ 'jira-email': sa.email, 'jira-api-token': sa.token, 'jira-cloud-id': h.fake.cloudId });
    expect(cfg2.jira.authMode).toBe('scoped-basic');
    const c2 = h.clients(cfg2);
    expect((await c2.jira.myself()).accountId).toBe(sa.accountId);
    expect(c2.stats().requests['GET /_edge/tenant_info']).toBeUndefined();
  });

  it('expired token → auth', async () => {
    const t = h.fake.credentials.mintScopedToken({ expiresInSec: -1 });
    h.secret(t.token);
    const e = await h.fails(h.clients(h.config({ 'jira-email': t.email, 'jira-api-token': t.token, 'jira-auth-mode': 'scoped-basic' })).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/expired/);
  });

  it('a token without the scope → auth naming the scopes', async () => {
    const t = h.fake.credentials.mintScopedToken({ scopes: ['read:jira-work'] });
    h.secret(t.token);
    const c = h.clients(h.config({ 'jira-email': t.email, 'jira-api-token': t.token, 'jira-auth-mode': 'scoped-basic' }));
    const e = await h.fails(c.jira.searchUsers(0, 10));
    expect(e.kind).toBe('auth');
    expect(e.details.upstreamMessage).toMatch(/scope does not match/);
    expect(e.details.hint).toMatch(/read:jira-user/);
    expect(e.details.hint).toMatch(/read:user:jira/);
    // once the token has worked for another call, the hint is only about the scope
    await c.jira.searchProjects({ startAt: 0, maxResults: 1 });
    const e2 = await h.fails(c.jira.searchUsers(0, 10));
    expect(e2.details.hint).toMatch(/^The scoped API token lacks a scope this call needs/);
  });

  it('a classic token on the gateway → auth, telling to use the site URL', async () => {
    const a = h.fake.credentials.admin;
    const e = await h.fails(h.clients(h.config({ 'jira-email': a.email, 'jira-api-token': a.token, 'jira-auth-mode': 'scoped-basic' })).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/classic \(unscoped\) API token/);
  });

  it('a site URL that is not a Jira Cloud site → invalid-input from the cloud ID discovery', async () => {
    const s = h.fake.credentials.scoped;
    const e = await h.fails(
      h
        .clients(
          h.config(
            { 'jira-url': `${h.fake.siteUrl.replace('127.0.0.1', 'localhost')}`, 'jira-email': s.email, 'jira-api-token': s.token, 'jira-auth-mode': 'scoped-basic' },
            (c) => (c.jira.siteUrl = `${h.fake.apiUrl}/nowhere`),
          ),
        )
        .jira.myself(),
    );
    expect(e.kind).toBe('invalid-input');
    expect(e.details.hint).toMatch(/jira-cloud-id/);
  });
});

describe('scoped-bearer: service-account token as Bearer through the gateway', () => {
  const raw = (token: string) => ({ 'jira-api-token': token });

  it('works (auto-detected: a token without an email)', async () => {
    const sa = h.fake.credentials.serviceAccount;
    const cfg = h.config(raw(sa.token));
    expect(cfg.jira.authMode).toBe('scoped-bearer');
    expect((await h.clients(cfg).jira.myself()).accountId).toBe(sa.accountId);
  });

  it('expired token → auth', async () => {
    const t = h.fake.credentials.mintServiceAccountToken({ expiresInSec: -1 });
    h.secret(t.token);
    const e = await h.fails(h.clients(h.config(raw(t.token))).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/expired/);
  });

  it('a token without the scope → auth naming the scopes', async () => {
    const t = h.fake.credentials.mintServiceAccountToken({ scopes: ['read:jira-user'] });
    h.secret(t.token);
    const e = await h.fails(h.clients(h.config(raw(t.token))).jira.applicationRoles());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/manage:jira-configuration/);
  });

  it('the org API key used as a Jira token → auth', async () => {
    const e = await h.fails(h.clients(h.config(raw(h.fake.credentials.orgApiKey.key))).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.status).toBe(401);
  });
});

describe('oauth-client-credentials', () => {
  const raw = (clientId: string, clientSecret: string) => ({ 'jira-oauth-client-id': clientId, 'jira-oauth-client-secret': clientSecret });

  it('caches the token, shares one fetch between parallel calls and goes through the gateway', async () => {
    const oc = h.fake.credentials.oauthClient;
    const cfg = h.config(raw(oc.clientId, oc.clientSecret));
    expect(cfg.jira.authMode).toBe('oauth-client-credentials');
    const c = h.clients(cfg);
    const before = h.fake.stats.count('POST /oauth/token');
    const res = await Promise.all([c.jira.myself(), c.jira.serverInfo(), c.jira.searchUsers(0, 5), c.jira.listGroups(0, 5)]);
    expect(res[0].accountId).toBe(oc.accountId);
    await c.jira.myself();
    expect(h.fake.stats.count('POST /oauth/token') - before).toBe(1);
    expect(c.stats().tokenRefreshes).toBe(1);
    expect(await c.jira.baseUrl()).toBe(h.fake.gatewayUrl);
  });

  it('a 401 on a cached token (revoked or expired early) → one new token, then the call succeeds', async () => {
    const oc = h.fake.credentials.oauthClient;
    const c = h.clients(h.config(raw(oc.clientId, oc.clientSecret)));
    await c.jira.myself();
    const id = h.fake.faults.failWith(401, 1, { match: 'GET /rest/api/3/users/search', body: { code: 401, message: 'Unauthorized' } });
    try {
      expect((await c.jira.searchUsers(0, 3)).length).toBe(3);
    } finally {
      h.fake.faults.remove(id);
    }
    expect(c.stats().tokenRefreshes).toBe(2);
    expect(c.stats().retriesByReason['401-refresh']).toBe(1);
  });

  it('expired or revoked client credential → auth from the token endpoint', async () => {
    const oc = h.fake.credentials.mintOAuthClient({ expiresInSec: -1 });
    h.secret(oc.clientSecret);
    const e = await h.fails(h.clients(h.config(raw(oc.clientId, oc.clientSecret))).jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.endpoint).toBe('POST /oauth/token');
    expect(e.details.hint).toMatch(/client ID or secret/);
  });

  it('a credential without the scope → auth naming the scopes (after one fresh-token retry)', async () => {
    const oc = h.fake.credentials.mintOAuthClient({ scopes: ['read:jira-work'] });
    h.secret(oc.clientSecret);
    const c = h.clients(h.config(raw(oc.clientId, oc.clientSecret)));
    const e = await h.fails(c.jira.searchUsers(0, 5));
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/read:jira-user/);
    expect(c.stats().tokenRefreshes).toBe(2);
  });

  it('a wrong token endpoint URL → a typed error naming it', async () => {
    const oc = h.fake.credentials.oauthClient;
    const e = await h.fails(h.clients(h.config({ ...raw(oc.clientId, oc.clientSecret), 'atlassian-auth-url': `${h.fake.apiUrl}/oauth/nope` })).jira.myself());
    expect(e.kind).toBe('not-found');
    expect(e.details.endpoint).toBe('POST /oauth/nope');
  });
});

describe('oauth-client-credentials: refresh before expiry', () => {
  let short: FakeAtlassian;
  beforeAll(async () => {
    short = await startFakeAtlassian({ tier: 'S', seed: 3, accessTokenTtlSec: 1 });
    h.secret(short.credentials.oauthClient.clientSecret);
  });
  afterAll(() => short.stop());

  it('fetches a new token before the old one expires', async () => {
    const oc = short.credentials.oauthClient;
    const cfg = parseConnectorConfig({
      'jira-url': short.siteUrl,
      'atlassian-api-url': short.apiUrl,
      'atlassian-auth-url': short.authUrl,
      'jira-oauth-client-id': oc.clientId,
      'jira-oauth-client-secret': oc.clientSecret,
    });
    const c = createAtlassianClients(cfg, FAST);
    try {
      await c.jira.myself();
      await new Promise((r) => setTimeout(r, 950)); // inside the last 10% of the 1 s lifetime
      await c.jira.myself();
      expect(c.stats().tokenRefreshes).toBe(2);
      expect(short.stats.statusCount(401)).toBe(0); // never sent an expired token
    } finally {
      await c.close();
    }
  });
});

describe('oauth-refresh-token (3LO, rotating refresh tokens)', () => {
  it('rotates the refresh token, writes it back atomically, and a restart reads it from the file', async () => {
    const three = h.fake.credentials.mint3LO();
    h.secret(three.clientSecret, three.refreshToken);
    const file = path.join(dir, 'refresh-token');
    const cfg = h.config({
      'jira-oauth-client-id': three.clientId,
      'jira-oauth-client-secret': three.clientSecret,
      'jira-oauth-refresh-token': three.refreshToken,
      'jira-oauth-refresh-token-file': file,
    });
    expect(cfg.jira.authMode).toBe('oauth-refresh-token');
    const c = h.clients(cfg);
    // parallel first calls: exactly one refresh (a second one would burn the rotated token)
    await Promise.all([c.jira.myself(), c.jira.serverInfo(), c.jira.listGroups(0, 2)]);
    expect(c.stats().tokenRefreshes).toBe(1);
    const rotated = readFileSync(file, 'utf8').trim();
    h.secret(rotated);
    expect(rotated).not.toBe(three.refreshToken);
    expect(rotated.length).toBeGreaterThan(20);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // the old refresh token is dead; a restart with only the file works and rotates again
    const cfg2 = h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token-file': file });
    const c2 = h.clients(cfg2);
    expect((await c2.jira.myself()).accountId).toBe(three.accountId);
    const rotated2 = readFileSync(file, 'utf8').trim();
    h.secret(rotated2);
    expect(rotated2).not.toBe(rotated);

    // a restart that only knows the first token: invalid_grant → auth, telling why
    const c3 = h.clients(h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token': three.refreshToken }));
    const e = await h.fails(c3.jira.myself());
    expect(e.kind).toBe('auth');
    expect(e.details.upstreamMessage).toMatch(/invalid_grant/);
    expect(e.details.hint).toMatch(/rotates/);
  });

  it('a stale file falls back to a newer configured token', async () => {
    const three = h.fake.credentials.mint3LO();
    h.secret(three.clientSecret, three.refreshToken);
    const file = path.join(dir, 'stale');
    writeFileSync(file, 'eyJyZWZyZXNoIjoiZmFrZSJ9.stale-and-unknown-token\n');
    h.secret('eyJyZWZyZXNoIjoiZmFrZSJ9.stale-and-unknown-token');
    const c = h.clients(
      h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token': three.refreshToken, 'jira-oauth-refresh-token-file': file }),
    );
    expect((await c.jira.myself()).accountId).toBe(three.accountId);
    const now = readFileSync(file, 'utf8').trim();
    h.secret(now);
    expect(now).not.toMatch(/stale/);
  });

  it('revoked refresh token → auth; missing file and token → auth with what to do', async () => {
    const three = h.fake.credentials.mint3LO();
    h.secret(three.clientSecret, three.refreshToken);
    h.fake.credentials.revoke(three.refreshToken);
    const e = await h.fails(
      h.clients(h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token': three.refreshToken })).jira.myself(),
    );
    expect(e.kind).toBe('auth');
    const e2 = await h.fails(
      h.clients(h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token-file': path.join(dir, 'missing') })).jira.myself(),
    );
    expect(e2.kind).toBe('auth');
    expect(e2.details.hint).toMatch(/offline_access/);
  });

  it('an app without the scope → auth naming the scopes', async () => {
    const three = h.fake.credentials.mint3LO({ scopes: ['read:jira-work', 'offline_access'] });
    h.secret(three.clientSecret, three.refreshToken);
    const c = h.clients(
      h.config({
        'jira-oauth-client-id': three.clientId,
        'jira-oauth-client-secret': three.clientSecret,
        'jira-oauth-refresh-token': three.refreshToken,
        'jira-oauth-refresh-token-file': path.join(dir, 'scoped'),
      }),
    );
    const e = await h.fails(c.jira.searchUsers(0, 5));
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/read:jira-user/);
    const f = readFileSync(path.join(dir, 'scoped'), 'utf8').trim();
    h.secret(f);
  });
});

describe('org API key (Bearer, admin API only)', () => {
  const withKey = (key: string) => h.clients(h.config({ ...basicRaw(h.fake), 'atlassian-orgid': h.fake.orgId, 'atlassian-api-token': key }));

  it('works on the admin API', async () => {
    expect((await withKey(h.fake.credentials.orgApiKey.key).admin!.orgs()).data[0].id).toBe(h.fake.orgId);
  });

  it('expired key → auth with what to do', async () => {
    const k = h.fake.credentials.mintOrgApiKey({ expiresInSec: -1 });
    h.secret(k.key);
    const e = await h.fails(withKey(k.key).admin!.orgUsers(h.fake.orgId));
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/expired/);
  });

  it('a key without the scope → auth naming the scope; a key of an admin who cannot manage the org → permission', async () => {
    const k = h.fake.credentials.mintOrgApiKey({ scopes: ['read:orgs:admin'] });
    h.secret(k.key);
    const e = await h.fails(withKey(k.key).admin!.orgUsers(h.fake.orgId));
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/read:accounts:admin/);
    const k2 = h.fake.credentials.mintOrgApiKey({ canManageOrg: false });
    h.secret(k2.key);
    const a2 = withKey(k2.key).admin!;
    const e2 = await h.fails(a2.workspaces(h.fake.orgId));
    expect(e2.kind).toBe('permission');
    expect(e2.details.upstreamMessage).toMatch(/ADMIN-403-3/);
    expect(e2.details.hint).toMatch(/organization admin/);
    // where the document has no 403, Atlassian answers 404 "organization not found"
    const e3 = await h.fails(a2.orgUsers(h.fake.orgId));
    expect(e3.kind).toBe('not-found');
    expect(e3.details.hint).toMatch(/atlassian-orgid/);
  });

  it('a Jira API token used as the org key → auth', async () => {
    const e = await h.fails(withKey(h.fake.credentials.admin.token).admin!.orgs());
    expect(e.kind).toBe('auth');
    expect(e.details.hint).toMatch(/Only an organization API key/);
  });
});
