/**
 * Redaction: drive every auth mode through success and failure paths with debug logging on, then
 * grep every log line (logTap) and every error (message, describe(), details, stack, JSON) for the
 * configured secrets, the derived Authorization values and any token-shaped string of the fake.
 * (Every other test file in test/atlassian runs the same check over its own calls in afterAll,
 * via helpers.useFake, so the whole suite's client output is covered.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useFake, SECRET_PREFIXES } from './helpers';
import { ConnectorError } from '../../src/errors';
import { log } from '../../src/log';
import { probeCapabilities, probeFailure } from '../../src/atlassian';

const h = useFake({ seed: 5 });
const tmp = mkdtempSync(path.join(tmpdir(), 'atl-redact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('no secret reaches a log line or an error, whatever fails', async () => {
  const f = h.fake;
  const c = f.credentials;
  const file = path.join(tmp, 'rt');
  const three = c.mint3LO();
  h.secret(three.clientSecret, three.refreshToken);

  const basic = h.clients(h.config({ 'jira-email': c.admin.email, 'jira-api-token': c.admin.token, 'atlassian-orgid': f.orgId, 'atlassian-api-token': c.orgApiKey.key }));
  const scoped = h.clients(h.config({ 'jira-email': c.scoped.email, 'jira-api-token': c.scoped.token, 'jira-auth-mode': 'scoped-basic' }));
  const bearer = h.clients(h.config({ 'jira-api-token': c.serviceAccount.token }));
  const cc = h.clients(h.config({ 'jira-oauth-client-id': c.oauthClient.clientId, 'jira-oauth-client-secret': c.oauthClient.clientSecret }));
  const lo = h.clients(
    h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token': three.refreshToken, 'jira-oauth-refresh-token-file': file }),
  );

  // successes (debug lines for every request, info lines for token fetches)
  for (const x of [basic, scoped, bearer, cc, lo]) await x.jira.myself();
  await basic.admin!.orgs();
  h.secret(readFileSync(file, 'utf8').trim());

  // failures of every kind, on every upstream
  const errors: ConnectorError[] = [];
  const expectFail = async (p: Promise<unknown>) => errors.push(await h.fails(p));
  f.faults.failWith(503, 100, { match: 'GET /rest/api/3/users/search' });
  for (const x of [basic, scoped, bearer, cc, lo]) await expectFail(x.jira.searchUsers(0, 5));
  f.faults.clear();
  f.faults.resetConnections(100, 'GET /rest/api/3/group/bulk');
  for (const x of [basic, scoped, cc]) await expectFail(x.jira.listGroups(0, 5));
  f.faults.clear();
  f.faults.truncateBodies(100, { match: 'GET /rest/api/3/role', mode: 'end' });
  await expectFail(cc.jira.roles());
  f.faults.clear();
  // Atlassian echoing a credential back in its error body
  f.faults.failWith(400, 1, { match: 'GET /rest/api/3/user', body: { errorMessages: [`bad credential ${c.admin.token} / ${c.admin.authorization}`], errors: {} } });
  await expectFail(basic.jira.getUser('x'));
  f.faults.failWith(401, 10, { match: 'GET /admin/v1/orgs', body: { code: 401, message: `key ${c.orgApiKey.key} refused` } });
  await expectFail(basic.admin!.orgs());
  f.faults.clear();
  // bad credentials on each upstream, including the token endpoint
  await expectFail(h.clients(h.config({ 'jira-email': 'wrong@acme.example', 'jira-api-token': c.admin.token })).jira.myself());
  await expectFail(h.clients(h.config({ 'jira-oauth-client-id': c.oauthClient.clientId, 'jira-oauth-client-secret': `${c.oauthClient.clientSecret}x` })).jira.myself());
  h.secret(`${c.oauthClient.clientSecret}x`);
  await expectFail(h.clients(h.config({ 'jira-oauth-client-id': three.clientId, 'jira-oauth-client-secret': three.clientSecret, 'jira-oauth-refresh-token': three.refreshToken })).jira.myself());
  await expectFail(h.clients(h.config({ 'jira-email': c.admin.email, 'jira-api-token': c.admin.token, 'atlassian-orgid': f.orgId, 'atlassian-api-token': c.admin.token })).admin!.orgs());
  // probe output (what validate prints)
  const cfgBad = h.config({ 'jira-email': 'wrong@acme.example', 'jira-api-token': c.admin.token });
  const probe = await probeCapabilities(h.clients(cfgBad), cfgBad);
  h.errors.push(JSON.stringify(probe), probeFailure(probe)!.describe());
  // an error logged the way the server logs it
  for (const e of errors) log().error({ err: e, details: e.details }, 'call failed');

  expect(errors).toHaveLength(15);
  for (const e of errors) {
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e.details.cause).toBeUndefined();
    expect(JSON.stringify(e)).not.toMatch(/"config"|"headers"|"request"/);
  }
  expect(h.lines.length).toBeGreaterThan(40);
  expect(h.lines.some((l) => l.includes('retrying Atlassian request'))).toBe(true);
  expect(h.lines.some((l) => l.includes('fetched an OAuth access token'))).toBe(true);

  // the check itself (helpers.useFake repeats it in afterAll for every test file)
  const all = [...h.lines, ...h.errors];
  const secrets = [
    c.admin.token,
    c.admin.authorization,
    c.scoped.token,
    c.serviceAccount.token,
    c.oauthClient.clientSecret,
    three.clientSecret,
    three.refreshToken,
    c.orgApiKey.key,
    Buffer.from(`${c.admin.email}:${c.admin.token}`).toString('base64'),
  ];
  for (const s of secrets) expect(all.filter((l) => l.includes(s))).toEqual([]);
  for (const p of SECRET_PREFIXES) expect(all.filter((l) => l.includes(p))).toEqual([]);
  expect(all.filter((l) => /(Basic|Bearer) (?!\[REDACTED\])[A-Za-z0-9+/=._~-]{12,}/.test(l))).toEqual([]);
  // the echoed credential was replaced, not dropped silently
  expect(errors.find((e) => e.details.endpoint === 'GET /rest/api/3/user')!.details.upstreamMessage).toMatch(/\[REDACTED\]/);
});
