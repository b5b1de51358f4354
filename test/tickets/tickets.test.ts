/**
 * Ticketing (issue 17) through gRPC against the fake: schemas equal the fake's create metadata for
 * every (project, issue type); a create with every field kind files exactly one issue with those
 * values; bad requests are refused with nothing written; a create retried after a reset (before or
 * after Jira applied it) files one issue; bulk create and get answer per item.
 */
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { startHarness, Harness } from '../helpers/harness';
import { Capability } from '../../src/gen/c1/connector/v2/connector';
import { TicketCustomField, TicketSchema, TicketsServiceCreateTicketRequest } from '../../src/gen/c1/connector/v2/ticket';
import { RequestId } from '../../src/gen/c1/connector/v2/annotation_request';
import { issueStore, ISSUE_TYPES, type MetaField } from '../../src/fake-atlassian/issues';
import type { TenantProject } from '../../src/fake-atlassian/tenant';

async function fails(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

/** the request's own fields (summary, description, labels) and what the schema id or the credential decides */
const OWN = new Set(['summary', 'description', 'labels', 'project', 'issuetype', 'reporter', 'parent']);

async function allSchemas(h: Harness): Promise<TicketSchema[]> {
  const out: TicketSchema[] = [];
  let pageToken = '';
  for (let i = 0; i < 100; i++) {
    const r = await h.client.tickets.listTicketSchemas({ pageSize: 0, pageToken, annotations: [] });
    out.push(...r.list);
    if (!r.nextPageToken) return out;
    pageToken = r.nextPageToken;
  }
  throw new Error('schema listing did not end');
}

const ACCESS_REQUEST = '10010';

describe('ticketing off (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 5 } });
  });
  afterAll(async () => h?.stop());

  test('no CAPABILITY_TICKETING, and TicketsService answers UNIMPLEMENTED', async () => {
    const md = (await h.client.connector.getMetadata({})).metadata!;
    expect(md.capabilities!.connectorCapabilities).not.toContain(Capability.CAPABILITY_TICKETING);
    const e = await fails(h.client.tickets.listTicketSchemas({ pageSize: 0, pageToken: '', annotations: [] }));
    expect(e.code).toBe(Code.UNIMPLEMENTED);
  });
});

describe('ticketing on', () => {
  let h: Harness;
  let projects: TenantProject[];
  let schemas: TicketSchema[];
  const store = () => issueStore(h.fake.tenant);
  const meta = (p: TenantProject, typeId: string): MetaField[] => store().createMeta(h.fake.siteUrl, p, typeId);

  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 5 }, config: () => ({ ticketing: true }) });
    projects = h.fake.tenant.projects();
    schemas = await allSchemas(h);
  });
  afterAll(async () => h?.stop());

  test('CAPABILITY_TICKETING is reported', async () => {
    const md = (await h.client.connector.getMetadata({})).metadata!;
    expect(md.capabilities!.connectorCapabilities).toContain(Capability.CAPABILITY_TICKETING);
  });

  test('schemas equal the fake create metadata for every (project, creatable issue type)', () => {
    const expected = projects.flatMap((p) =>
      store()
        .issueTypes(p.id)
        .filter((t) => !t.subtask)
        .map((t) => `${p.key}:${t.id}`),
    );
    expect(schemas.map((s) => s.id).sort()).toEqual(expected.sort());
    for (const s of schemas) {
      const [key, typeId] = s.id.split(':');
      const p = projects.find((x) => x.key === key)!;
      const type = ISSUE_TYPES.find((t) => t.id === typeId)!;
      expect(s.displayName).toBe(`${p.name}: ${type.name}`);
      expect(s.types).toEqual([{ id: type.id, displayName: type.name }]);
      expect(s.statuses).toEqual(
        store()
          .statuses(p.id, typeId)
          .map((x) => ({ id: x.id, displayName: x.name })),
      );
      const fields = meta(p, typeId).filter((f) => !OWN.has(f.key));
      expect(Object.keys(s.customFields).sort()).toEqual(fields.map((f) => f.key).sort());
      for (const f of fields) {
        const cf = s.customFields[f.key];
        expect([cf.id, cf.displayName, cf.required]).toEqual([f.key, f.name, f.required && !f.hasDefaultValue]);
        const v = cf.value!;
        const optionValues = (f.allowedValues ?? []).map((a) => a.value);
        const objectIds = (f.allowedValues ?? []).map((a) => a.id);
        if (v.$case === 'pickStringValue' || v.$case === 'pickMultipleStringValues') expect(v.value.allowedValues).toEqual(optionValues);
        if (v.$case === 'pickObjectValue' || v.$case === 'pickMultipleObjectValues') expect(v.value.allowedValues.map((a) => a.id)).toEqual(objectIds);
        if (v.$case === 'boolValue') expect(optionValues).toHaveLength(1);
      }
    }
  });

  test('an issue type Jira will not describe is left out of its page; the others stay', async () => {
    h.fake.faults.failWith(400, 1, { match: 'GET /rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}' });
    const first = await h.client.tickets.listTicketSchemas({ pageSize: 0, pageToken: '', annotations: [] });
    h.fake.faults.clear();
    const p = projects.find((x) => first.list[0]?.id.startsWith(`${x.key}:`))!;
    const all = store()
      .issueTypes(p.id)
      .filter((t) => !t.subtask);
    expect(first.list.map((s) => s.id)).toEqual(all.slice(1).map((t) => `${p.key}:${t.id}`));
    expect(first.nextPageToken).not.toBe('');
  });

  test('GetTicketSchema answers the listed schema; unknown or malformed ids are refused', async () => {
    const s = schemas.find((x) => x.id.endsWith(`:${ACCESS_REQUEST}`))!;
    expect((await h.client.tickets.getTicketSchema({ id: s.id, annotations: [] })).schema).toEqual(s);
    expect((await fails(h.client.tickets.getTicketSchema({ id: `${s.id.split(':')[0]}:10003`, annotations: [] }))).code).toBe(Code.NOT_FOUND);
    const bad = await fails(h.client.tickets.getTicketSchema({ id: '../x:1', annotations: [] }));
    expect(bad.code).toBe(Code.INVALID_ARGUMENT);
    expect(bad.details).toMatch(/^id /);
  });

  /** a project with components (every field kind is on its Access request schema) */
  const withComponents = () => projects.find((p) => store().components(p).length > 0)!;

  function everyKind(p: TenantProject, schema: TicketSchema): Record<string, TicketCustomField> {
    const users = h.fake.tenant.users().filter((u) => u.inJira && u.accountType === 'atlassian' && h.fake.tenant.isActiveInJira(u));
    const cf = (id: string, value: TicketCustomField['value']): TicketCustomField => ({ id, displayName: '', required: false, annotations: [], value });
    const field = (name: string) => Object.values(schema.customFields).find((f) => f.displayName === name)!;
    const opt = (name: string) => field(name).value as { $case: string; value: { allowedValues: Array<string | { id: string; displayName: string }> } };
    return {
      [field('Access level').id]: cf(field('Access level').id, {
        $case: 'pickStringValue',
        value: { value: opt('Access level').value.allowedValues[1] as string, allowedValues: [], defaultValue: '' },
      }),
      [field('Systems').id]: cf(field('Systems').id, {
        $case: 'pickMultipleStringValues',
        value: { values: opt('Systems').value.allowedValues.slice(0, 2) as string[], allowedValues: [], defaultValues: [] },
      }),
      [field('Approver').id]: cf(field('Approver').id, { $case: 'stringValue', value: { value: users[1].accountId, defaultValue: '' } }),
      [field('Business justification').id]: cf(field('Business justification').id, { $case: 'stringValue', value: { value: 'Quarterly audit', defaultValue: '' } }),
      [field('Temporary access').id]: cf(field('Temporary access').id, { $case: 'boolValue', value: { value: true } }),
      [field('Access starts').id]: cf(field('Access starts').id, { $case: 'timestampValue', value: { value: new Date('2026-12-24T09:30:00.000Z'), defaultValue: undefined } }),
      [field('Seats').id]: cf(field('Seats').id, { $case: 'numberValue', value: { value: 2.5, defaultValue: undefined } }),
      [field('Also notify').id]: cf(field('Also notify').id, { $case: 'stringValues', value: { values: [users[2].accountId, users[3].accountId], defaultValues: [] } }),
      priority: cf('priority', {
        $case: 'pickObjectValue',
        value: { value: { id: (opt('Priority').value.allowedValues[1] as { id: string }).id, displayName: '' }, allowedValues: [], defaultValue: undefined },
      }),
      components: cf('components', {
        $case: 'pickMultipleObjectValues',
        value: {
          values: store()
            .components(p)
            .slice(0, 2)
            .map((c) => ({ id: c.id, displayName: '' })),
          allowedValues: [],
          defaultValues: [],
        },
      }),
      assignee: cf('assignee', { $case: 'stringValue', value: { value: users[4].accountId, defaultValue: '' } }),
      duedate: cf('duedate', { $case: 'timestampValue', value: { value: new Date('2027-01-15T00:00:00.000Z'), defaultValue: undefined } }),
    };
  }

  const createReq = (schema: TicketSchema, customFields: Record<string, TicketCustomField>, extra: Partial<TicketsServiceCreateTicketRequest['request']> = {}, requestId?: string) =>
    TicketsServiceCreateTicketRequest.fromPartial({
      request: { displayName: 'Access to the finance board', description: 'Line one\nline two\n\nSecond paragraph', labels: ['access review'], customFields, ...extra },
      schema,
      annotations: requestId ? [{ typeUrl: 'type.googleapis.com/c1.connector.v2.RequestId', value: Buffer.from(RequestId.encode({ requestId }).finish()) }] : [],
    });

  test('a create with every field kind files exactly one issue with those values', async () => {
    const p = withComponents();
    const schema = schemas.find((s) => s.id === `${p.key}:${ACCESS_REQUEST}`)!;
    const fields = everyKind(p, schema);
    const before = store().created().length;
    const r = await h.client.tickets.createTicket(createReq(schema, fields));
    const created = store().created();
    expect(created).toHaveLength(before + 1);
    const issue = created[created.length - 1];
    expect([issue.projectId, issue.issueTypeId, issue.id]).toEqual([p.id, ACCESS_REQUEST, r.ticket!.id]);
    const f = issue.fields;
    const pick = (k: string) => fields[k].value!.value as never as { value?: unknown; values?: unknown[] };
    expect(f.summary).toBe('Access to the finance board');
    expect(f.description).toEqual({
      type: 'doc',
      version: 1,
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Line one' }, { type: 'hardBreak' }, { type: 'text', text: 'line two' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Second paragraph' }] },
      ],
    });
    expect(issue.labels.filter((l) => !l.startsWith('baton-request-'))).toEqual(['access_review']);
    expect(issue.labels.filter((l) => l.startsWith('baton-request-'))).toHaveLength(1);
    expect((f.customfield_10050 as { value: string }).value).toBe(pick('customfield_10050').value);
    expect((f.customfield_10051 as Array<{ value: string }>).map((o) => o.value)).toEqual(pick('customfield_10051').values);
    expect(f.customfield_10052).toBe(pick('customfield_10052').value);
    expect(f.customfield_10053).toBe('Quarterly audit');
    expect((f.customfield_10054 as Array<{ value: string }>).map((o) => o.value)).toEqual(['Yes']);
    expect(f.customfield_10055).toBe('2026-12-24T09:30:00.000Z');
    expect(f.customfield_10056).toBe(2.5);
    expect(f.customfield_10057).toEqual(pick('customfield_10057').values);
    expect((f.priority as { id: string }).id).toBe((pick('priority').value as { id: string }).id);
    expect((f.components as Array<{ id: string }>).map((c) => c.id)).toEqual((pick('components').values as Array<{ id: string }>).map((c) => c.id));
    expect(f.assignee).toBe(pick('assignee').value);
    expect(f.duedate).toBe('2027-01-15');

    // the answer is the issue as GetTicket reads it
    const t = r.ticket!;
    expect(t.displayName).toBe('Access to the finance board');
    expect(t.description).toBe('Line one\nline two\n\nSecond paragraph');
    expect(t.labels).toEqual(['access_review']);
    expect(t.status).toEqual({ id: store().statuses(p.id, ACCESS_REQUEST)[0].id, displayName: store().statuses(p.id, ACCESS_REQUEST)[0].name });
    expect(t.type).toEqual({ id: ACCESS_REQUEST, displayName: 'Access request' });
    expect(t.reporter!.id).toEqual({ resourceType: 'user', resource: issue.reporterAccountId, batonResource: false });
    expect(t.assignees.map((a) => a.id!.resource)).toEqual([f.assignee]);
    expect(t.url).toBe(`${h.fake.siteUrl}/browse/${issue.key}`);
    expect(t.createdAt!.toISOString()).toBe(issue.created);
    expect(t.completedAt).toBeUndefined();
    for (const k of Object.keys(fields)) expect(t.customFields[k]?.value?.$case).toBe(fields[k].value!.$case);
    expect(t.customFields.customfield_10056.value).toEqual({ $case: 'numberValue', value: { value: 2.5, defaultValue: undefined } });
    expect(t.customFields.customfield_10054.value).toEqual({ $case: 'boolValue', value: { value: true } });
    expect(t.customFields.status_category.value).toMatchObject({ $case: 'pickStringValue', value: { value: 'new' } });
  });

  test('a missing required field or a value the schema does not allow is refused with nothing written', async () => {
    const p = withComponents();
    const schema = schemas.find((s) => s.id === `${p.key}:${ACCESS_REQUEST}`)!;
    const fields = everyKind(p, schema);
    const before = store().created().length;
    h.fake.stats.reset();
    const { customfield_10052: _approver, ...missing } = fields;
    const e1 = await fails(h.client.tickets.createTicket(createReq(schema, missing)));
    expect(e1.code).toBe(Code.INVALID_ARGUMENT);
    expect(e1.details).toContain('request.custom_fields["customfield_10052"] (Approver) is required');
    const badOption = { ...fields, customfield_10050: { ...fields.customfield_10050, value: { $case: 'pickStringValue' as const, value: { value: 'Root', allowedValues: [], defaultValue: '' } } } };
    const e2 = await fails(h.client.tickets.createTicket(createReq(schema, badOption)));
    expect(e2.code).toBe(Code.INVALID_ARGUMENT);
    expect(e2.details).toMatch(/^request\.custom_fields\["customfield_10050"\]\.pick_string_value\.value "Root" is not one of the allowed values/);
    const unknown = { ...fields, customfield_99999: { ...fields.customfield_10053, id: 'customfield_99999' } };
    expect((await fails(h.client.tickets.createTicket(createReq(schema, unknown)))).details).toMatch(/^request\.custom_fields\["customfield_99999"\] is not a field of/);
    const wrongKind = { ...fields, customfield_10056: { ...fields.customfield_10053, id: 'customfield_10056' } };
    expect((await fails(h.client.tickets.createTicket(createReq(schema, wrongKind)))).details).toMatch(/must be a number_value/);
    const badUser = { ...fields, customfield_10052: { ...fields.customfield_10052, value: { $case: 'stringValue' as const, value: { value: '../admin', defaultValue: '' } } } };
    expect((await fails(h.client.tickets.createTicket(createReq(schema, badUser)))).details).toMatch(
      /^request\.custom_fields\["customfield_10052"\]\.string_value\.value "\.\.\/admin" is not an Atlassian account id/,
    );
    expect((await fails(h.client.tickets.createTicket(createReq(schema, fields, { displayName: '' })))).details).toMatch(/^request\.display_name is required/);
    expect((await fails(h.client.tickets.createTicket(createReq({ ...schema, id: 'NOPE' }, fields)))).details).toMatch(/^schema\.id /);
    expect(store().created()).toHaveLength(before);
    expect(h.fake.stats.count('POST /rest/api/3/issue')).toBe(0);
  });

  test('a create retried after a reset files one issue (reset before Jira applied it, and after)', async () => {
    const p = withComponents();
    const schema = schemas.find((s) => s.id === `${p.key}:10001`)!;
    for (const fault of ['reset', 'truncate'] as const) {
      const before = store().created().length;
      h.fake.stats.reset();
      if (fault === 'reset') h.fake.faults.resetConnections(1, 'POST /rest/api/3/issue');
      else h.fake.faults.truncateBodies(1, { match: 'POST /rest/api/3/issue', mode: 'destroy', fraction: 0.3 });
      const r = await h.client.tickets.createTicket(createReq(schema, {}, { displayName: `Retried after a ${fault}` }));
      h.fake.faults.clear();
      const created = store().created();
      expect(created).toHaveLength(before + 1);
      expect(created[created.length - 1].id).toBe(r.ticket!.id);
      expect(h.fake.stats.count('GET /rest/api/3/search/jql')).toBe(1);
      expect(h.fake.stats.count('POST /rest/api/3/issue')).toBe(fault === 'reset' ? 2 : 1);
    }
  });

  test("the platform's retry with the same request id finds the issue instead of filing another", async () => {
    const p = withComponents();
    const schema = schemas.find((s) => s.id === `${p.key}:10001`)!;
    const before = store().created().length;
    const a = await h.client.tickets.createTicket(createReq(schema, {}, { displayName: 'Once only' }, 'req-42'));
    const b = await h.client.tickets.createTicket(createReq(schema, {}, { displayName: 'Once only' }, 'req-42'));
    expect(b.ticket!.id).toBe(a.ticket!.id);
    expect(store().created()).toHaveLength(before + 1);
    // two at once with one request id: the second waits for the first and finds its issue
    const [c, d] = await Promise.all([1, 2].map(() => h.client.tickets.createTicket(createReq(schema, {}, { displayName: 'Concurrent' }, 'req-43'))));
    expect(d.ticket!.id).toBe(c.ticket!.id);
    expect(store().created()).toHaveLength(before + 2);
  });

  test('bulk create with one bad item creates the others and reports the bad one', async () => {
    const p = withComponents();
    const task = schemas.find((s) => s.id === `${p.key}:10001`)!;
    const before = store().created().length;
    const r = await h.client.tickets.bulkCreateTickets({
      ticketRequests: [createReq(task, {}, { displayName: 'Bulk one' }), createReq(task, {}, { displayName: '' }), createReq(task, {}, { displayName: 'Bulk three' })],
    });
    expect(r.tickets.map((t) => [t.ticket?.displayName ?? null, t.error])).toEqual([
      ['Bulk one', ''],
      [null, expect.stringMatching(/^INVALID_ARGUMENT: ticket_requests\[1\]: request\.display_name is required/)],
      ['Bulk three', ''],
    ]);
    const created = store().created().slice(before);
    expect(created.map((i) => i.fields.summary)).toEqual(['Bulk one', 'Bulk three']);
    expect(created.map((i) => i.id)).toEqual([r.tickets[0].ticket!.id, r.tickets[2].ticket!.id]);
  });

  test('get and bulk get: status with its category, completion, unknown and malformed ids per item', async () => {
    const p = withComponents();
    const task = schemas.find((s) => s.id === `${p.key}:10001`)!;
    const t = (await h.client.tickets.createTicket(createReq(task, {}, { displayName: 'To be done' }))).ticket!;
    const done = store()
      .statuses(p.id, '10001')
      .find((s) => s.category === 'done')!;
    store().setStatus(t.id, done.id);
    const issue = store().issue(t.id)!;
    const g = (await h.client.tickets.getTicket({ id: issue.key, annotations: [] })).ticket!;
    expect(g.status).toEqual({ id: done.id, displayName: done.name });
    expect(g.customFields.status_category.value).toMatchObject({ value: { value: 'done' } });
    expect(g.completedAt!.toISOString()).toBe(issue.resolutionDate);
    const r = await h.client.tickets.bulkGetTickets({
      ticketRequests: [
        { id: t.id, annotations: [] },
        { id: 'ZZZ-999', annotations: [] },
        { id: '1/../2', annotations: [] },
      ],
    });
    expect(r.tickets.map((x) => [x.ticket?.id ?? null, x.error.split(':')[0]])).toEqual([
      [t.id, ''],
      [null, 'NOT_FOUND'],
      [null, 'INVALID_ARGUMENT'],
    ]);
    expect(r.tickets[2].error).toMatch(/^INVALID_ARGUMENT: ticket_requests\[2\]: id "1\/\.\.\/2" is not/);
  });

  test("every request and answer of the fake matched Atlassian's documents", () => {
    expect(h.fake.validationErrors).toEqual([]);
  });
});

describe('ticketing with --dry-run and BATON_JIRA_PROJECT_KEYS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { tier: 'S', seed: 6 }, config: (f) => ({ ticketing: true, 'dry-run': true, 'jira-project-keys': [f.tenant.projects()[1].key] }) });
  });
  afterAll(async () => h?.stop());

  test('schemas only for the configured project; a create is checked and answered without a write', async () => {
    const key = h.fake.tenant.projects()[1].key;
    const schemas = await allSchemas(h);
    expect(new Set(schemas.map((s) => s.id.split(':')[0]))).toEqual(new Set([key]));
    h.fake.stats.reset();
    const s = schemas.find((x) => x.id === `${key}:10001`)!;
    const r = await h.client.tickets.createTicket(TicketsServiceCreateTicketRequest.fromPartial({ request: { displayName: 'Dry', description: '', labels: [], customFields: {} }, schema: s }));
    expect(r.ticket!.id).toBe('');
    expect(r.ticket!.displayName).toBe('Dry');
    expect(h.fake.stats.count('POST /rest/api/3/issue')).toBe(0);
    expect(issueStore(h.fake.tenant).created()).toHaveLength(0);
  });
});
