/** Authentication modes, 401 vs 403, scopes and rotating refresh tokens. */
import { startFakeAtlassian, type FakeAtlassian } from '../../src/fake-atlassian/index';
import { call, expectNoValidationErrors } from './test-helpers';

let fake: FakeAtlassian;

beforeAll(async () => {
  fake = await startFakeAtlassian({ tier: 'S', seed: 2 });
});
afterAll(() => fake.stop());
afterEach(() => expectNoValidationErrors(fake));

const MYSELF = '/rest/api/3/myself';

async function token(body: Record<string, string>, form = false): Promise<{ status: number; json: Record<string, any> }> {
  const r = form ? await call(fake.authUrl, { method: 'POST', form: body }) : await call(fake.authUrl, { method: 'POST', body });
  return { status: r.status, json: r.json as Record<string, any> };
}

describe('basic auth with a classic API token (site URL)', () => {
  test('works on the site URL, not through the gateway', async () => {
    const c = fake.credentials.admin;
    expect(c.email).toBe(fake.credentials.adminEmail);
    expect(c.token).toBe(fake.credentials.classicToken);
    expect((await call(fake.siteUrl + MYSELF, { auth: c.authorization })).status).toBe(200);
    const gw = await call(fake.gatewayUrl + MYSELF, { auth: c.authorization });
    expect(gw.status).toBe(401);
    expect(gw.json).toEqual({ code: 401, message: expect.stringContaining('Unauthorized') });
  });

  test('wrong token, wrong email, expired and revoked tokens get 401', async () => {
    const c = fake.credentials.admin;
    expect((await call(fake.siteUrl + MYSELF, { auth: fake.credentials.basic(c.email, 'wrong') })).status).toBe(401);
    expect((await call(fake.siteUrl + MYSELF, { auth: fake.credentials.basic('other@acme.example', c.token) })).status).toBe(401);
    const expired = fake.credentials.mintClassicToken({ expiresInSec: -1 });
    expect((await call(fake.siteUrl + MYSELF, { auth: expired.authorization })).status).toBe(401);
    const revoked = fake.credentials.mintClassicToken();
    expect((await call(fake.siteUrl + MYSELF, { auth: revoked.authorization })).status).toBe(200);
    fake.credentials.revoke(revoked.token);
    const r = await call(fake.siteUrl + MYSELF, { auth: revoked.authorization });
    expect(r.status).toBe(401);
    expect(r.text).toBe('Client must be authenticated to access this resource.');
  });

  test('anonymous: serverInfo answers, users/search gives an empty 200 (the trap), myself is 401', async () => {
    expect((await call(fake.siteUrl + '/rest/api/3/serverInfo')).status).toBe(200);
    const users = await call(fake.siteUrl + '/rest/api/3/users/search');
    expect(users.status).toBe(200);
    expect(users.json).toEqual([]);
    expect((await call(fake.siteUrl + MYSELF)).status).toBe(401);
    expect((await call(fake.gatewayUrl + '/rest/api/3/serverInfo')).status).toBe(401);
  });

  test('a deactivated or suspended user cannot authenticate', async () => {
    const u = fake.tenant.users().find((x) => x.accountType === 'atlassian' && fake.tenant.isActiveInJira(x) && x.index > 1)!;
    const c = fake.credentials.mintClassicToken({ accountId: u.accountId });
    expect((await call(fake.siteUrl + MYSELF, { auth: c.authorization })).status).toBe(200);
    fake.tenant.suspendUser(u.accountId);
    expect((await call(fake.siteUrl + MYSELF, { auth: c.authorization })).status).toBe(401);
    fake.tenant.restoreUser(u.accountId);
  });
});

describe('scoped API tokens and service accounts (gateway only)', () => {
  test('a scoped token works through the gateway and gets 401 on the site URL', async () => {
    const c = fake.credentials.scoped;
    expect((await call(fake.gatewayUrl + MYSELF, { auth: c.authorization })).status).toBe(200);
    expect((await call(fake.siteUrl + MYSELF, { auth: c.authorization })).status).toBe(401);
  });

  test('service-account token: Basic with the service-account email or Bearer', async () => {
    const c = fake.credentials.serviceAccount;
    expect(c.email).toMatch(/@serviceaccount\.atlassian\.com$/);
    const basic = await call(fake.gatewayUrl + MYSELF, { auth: c.authorization });
    expect(basic.status).toBe(200);
    expect(basic.json).toMatchObject({ accountType: 'app', appType: 'service', accountId: c.accountId });
    expect((await call(fake.gatewayUrl + MYSELF, { auth: c.bearerAuthorization })).status).toBe(200);
    expect((await call(fake.siteUrl + MYSELF, { auth: c.bearerAuthorization })).status).toBe(401);
  });

  test('a missing scope fails exactly the operations that need it', async () => {
    // read:jira-user covers users/search and myself; project/search needs read:jira-work; group/member needs manage:jira-configuration
    const c = fake.credentials.mintScopedToken({ scopes: ['read:jira-user'] });
    expect((await call(fake.gatewayUrl + MYSELF, { auth: c.authorization })).status).toBe(200);
    expect((await call(fake.gatewayUrl + '/rest/api/3/users/search', { auth: c.authorization })).status).toBe(200);
    const proj = await call(fake.gatewayUrl + '/rest/api/3/project/search', { auth: c.authorization });
    expect(proj.status).toBe(401);
    expect(proj.json).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
    const g = fake.tenant.groups()[0];
    expect((await call(`${fake.gatewayUrl}/rest/api/3/group/member?groupId=${g.groupId}`, { auth: c.authorization })).status).toBe(401);
    // granular scopes: all of the operation's granular scopes are needed
    const gran = fake.credentials.mintScopedToken({ scopes: ['read:group:jira'] });
    expect((await call(fake.gatewayUrl + '/rest/api/3/group/bulk', { auth: gran.authorization })).status).toBe(200);
    expect((await call(fake.gatewayUrl + '/rest/api/3/users/search', { auth: gran.authorization })).status).toBe(401);
  });
});

describe('OAuth 2.0', () => {
  test('client credentials: short-lived bearer token for the gateway, no refresh token', async () => {
    const c = fake.credentials.oauthClient;
    const t = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(t.status).toBe(200);
    expect(t.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(t.json.refresh_token).toBeUndefined();
    const auth = `Bearer ${t.json.access_token}`;
    const me = await call(fake.gatewayUrl + MYSELF, { auth });
    expect(me.status).toBe(200);
    expect(me.json.accountId).toBe(fake.tenant.serviceAccountId);
    expect((await call(fake.siteUrl + MYSELF, { auth })).status).toBe(401);
    const res = await call(`${fake.apiUrl}/oauth/token/accessible-resources`, { auth });
    expect(res.json).toEqual([expect.objectContaining({ id: fake.cloudId, url: fake.siteUrl })]);
    // form-encoded works too; a bad secret is 401
    expect((await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }, true)).status).toBe(200);
    const bad = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.json.error).toBe('access_denied');
  });

  test('3LO refresh tokens rotate: each refresh returns a new one and the old one stops working', async () => {
    const c = fake.credentials.threeLO;
    const first = await token({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken });
    expect(first.status).toBe(200);
    expect(first.json.refresh_token).toBeDefined();
    expect(first.json.refresh_token).not.toBe(c.refreshToken);
    expect((await call(fake.gatewayUrl + MYSELF, { auth: `Bearer ${first.json.access_token}` })).json.accountId).toBe(fake.tenant.adminAccountId);
    const reuse = await token({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken });
    expect(reuse.status).toBe(403);
    expect(reuse.json.error).toBe('invalid_grant');
    const second = await token({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: first.json.refresh_token });
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
  });

  test('authorization_code grant is one-time; expired access tokens get 401', async () => {
    const app = fake.credentials.mint3LO();
    const code = fake.credentials.mintAuthorizationCode(app.clientId, { redirectUri: 'https://app.example/cb' });
    const ok = await token({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code, redirect_uri: 'https://app.example/cb' });
    expect(ok.status).toBe(200);
    expect(ok.json.refresh_token).toBeDefined();
    const again = await token({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code, redirect_uri: 'https://app.example/cb' });
    expect(again.status).toBe(403);
    const expired = fake.credentials.mintAccessToken({ expiresInSec: -5 });
    expect((await call(fake.gatewayUrl + MYSELF, { auth: expired.authorization })).status).toBe(401);
    expect((await token({ grant_type: 'password', client_id: app.clientId, client_secret: app.clientSecret })).status).toBe(400);
  });
});

describe('org API key (admin API only)', () => {
  test('the org key works on /admin and gets 401 on Jira; Jira credentials get 401 on /admin', async () => {
    const key = fake.credentials.orgApiKey;
    expect((await call(`${fake.apiUrl}/admin/v1/orgs`, { auth: key.authorization })).status).toBe(200);
    expect((await call(fake.siteUrl + MYSELF, { auth: key.authorization })).status).toBe(401);
    expect((await call(fake.gatewayUrl + MYSELF, { auth: key.authorization })).status).toBe(401);
    for (const auth of [fake.credentials.admin.authorization, fake.credentials.scoped.authorization, fake.credentials.serviceAccount.bearerAuthorization, undefined]) {
      const r = await call(`${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/users`, { auth });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 401, message: 'Unauthorized' });
    }
  });

  test('scoped keys, keys that cannot manage the org, expired keys', async () => {
    const readOnly = fake.credentials.mintOrgApiKey({ scopes: ['read:orgs:admin'] });
    expect((await call(`${fake.apiUrl}/admin/v1/orgs/${fake.orgId}`, { auth: readOnly.authorization })).status).toBe(200);
    const users = await call(`${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/users`, { auth: readOnly.authorization });
    expect(users.status).toBe(401);
    expect(users.json.message).toBe('Unauthorized; scope does not match');
    const noManage = fake.credentials.mintOrgApiKey({ canManageOrg: false });
    const lad = await call(`${fake.apiUrl}/admin/v1/orgs/${fake.orgId}/directory/users/${encodeURIComponent(fake.tenant.adminAccountId)}/last-active-dates`, { auth: noManage.authorization });
    expect(lad.status).toBe(403);
    expect(lad.json.errors[0].code).toBe('ADMIN-403-3');
    expect((await call(`${fake.apiUrl}/admin/v1/orgs`, { auth: noManage.authorization })).json.data).toEqual([]);
    const expired = fake.credentials.mintOrgApiKey({ expiresInSec: -1 });
    expect((await call(`${fake.apiUrl}/admin/v1/orgs`, { auth: expired.authorization })).status).toBe(401);
    const um = await call(`${fake.apiUrl}/users/${encodeURIComponent(fake.tenant.adminAccountId)}/manage/api-tokens`, { auth: fake.credentials.admin.authorization });
    expect(um.status).toBe(401);
    expect(um.json).toEqual({ key: 'unauthorized' });
  });
});
