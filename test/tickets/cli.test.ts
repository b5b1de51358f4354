/**
 * `tickets schemas`, `tickets create` (--dry-run, and for real with --ticketing) and `tickets get`, the built CLI
 * against the fake (npm test builds dist/ first).
 */
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { issueStore } from '../../src/fake-atlassian/issues';

import { runBuilt } from '../helpers/built-cli';

const runAsync = runBuilt;

describe('tickets commands', () => {
  let fake: FakeAtlassian;
  let env: Record<string, string>;
  beforeAll(async () => {
    fake = await startFakeAtlassian({ tier: 'S', seed: 9 });
    env = { BATON_JIRA_URL: fake.siteUrl, BATON_JIRA_EMAIL: fake.credentials.adminEmail, BATON_JIRA_API_TOKEN: fake.credentials.classicToken };
  });
  afterAll(async () => fake?.stop());

  test('schemas lists one schema per project and creatable issue type', async () => {
    const r = await runAsync(['tickets', 'schemas'], env);
    expect(r.status).toBe(0);
    const ids = (JSON.parse(r.stdout) as Array<{ id: string }>).map((s) => s.id).sort();
    const store = issueStore(fake.tenant);
    expect(ids).toEqual(
      fake.tenant
        .projects()
        .flatMap((p) =>
          store
            .issueTypes(p.id)
            .filter((t) => !t.subtask)
            .map((t) => `${p.key}:${t.id}`),
        )
        .sort(),
    );
  });

  test('create --dry-run checks the request and prints the issue it would send; a bad option is exit 2 naming the field', async () => {
    const p = fake.tenant.projects()[0];
    const approver = fake.tenant.users().find((u) => u.accountType === 'atlassian' && fake.tenant.isActiveInJira(u))!;
    const base = ['tickets', 'create', '--schema', `${p.key}:10010`, '--summary', 'Access please', '--description', 'Because', '--label', 'cli'];
    const fields = ['--field', 'customfield_10050=Write', '--field', `customfield_10052=${approver.accountId}`, '--field', 'customfield_10053=Audit', '--field', 'customfield_10056=3'];
    const dry = await runAsync([...base, ...fields, '--dry-run'], env);
    expect(dry.status).toBe(0);
    const out = JSON.parse(dry.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.wouldSend).toHaveLength(1);
    expect(out.wouldSend[0]).toMatchObject({ method: 'POST', url: '/rest/api/3/issue' });
    expect(out.wouldSend[0].body.fields).toMatchObject({
      project: { key: p.key },
      issuetype: { id: '10010' },
      summary: 'Access please',
      customfield_10050: { value: 'Write' },
      customfield_10052: { accountId: approver.accountId },
      customfield_10053: 'Audit',
      customfield_10056: 3,
    });
    expect(issueStore(fake.tenant).created()).toHaveLength(0);

    const bad = await runAsync([...base, '--field', 'customfield_10050=Root', '--dry-run'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^error: INVALID_ARGUMENT: request\.custom_fields\["customfield_10050"\]\.pick_string_value\.value "Root" is not one of the allowed values/);

    const off = await runAsync([...base, ...fields], env);
    expect(off.status).toBe(1);
    expect(off.stderr).toMatch(/FAILED_PRECONDITION: ticketing is not enabled/);
    expect(issueStore(fake.tenant).created()).toHaveLength(0);

    const real = await runAsync([...base, ...fields, '--ticketing'], env);
    expect(real.status).toBe(0);
    const created = issueStore(fake.tenant).created();
    expect(created).toHaveLength(1);
    expect(JSON.parse(real.stdout)).toMatchObject({ id: created[0].id, displayName: 'Access please', labels: ['cli'] });
    const got = await runAsync(['tickets', 'get', created[0].key], env);
    expect(got.status).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: created[0].id, status: { id: created[0].statusId } });
  });
});
