/**
 * The audit-record parser (audit-dates.ts indexRecords) on the record shapes Jira may send besides
 * the fake's: full before/after actor lists, a group item with an id, user and group swapped between
 * objectItem and associatedItems, a removal after an addition, Jira's "+0000" dates, and junk.
 */
import { indexRecords, parseAuditDate } from '../../src/connector/audit-dates';
import type { JiraAuditRecord } from '../../src/connector/jira-api';

const rec = (r: object): JiraAuditRecord => ({ objectItem: undefined, associatedItems: [], changedValues: [], ...r }) as unknown as JiraAuditRecord;
const group = (name: string, id?: string) => ({ name, id, typeName: 'GROUP' });
const user = (id: string) => ({ id, name: id, typeName: 'USER' });

test("dates in Jira's format and ISO; anything else is NaN", () => {
  expect(parseAuditDate('2026-09-20T10:00:00.000+0000')).toBe(Date.UTC(2026, 8, 20, 10));
  expect(parseAuditDate('2026-09-20T12:00:00.000+02:00')).toBe(Date.UTC(2026, 8, 20, 10));
  expect(parseAuditDate('2026-09-20T10:00:00Z')).toBe(Date.UTC(2026, 8, 20, 10));
  for (const bad of [undefined, '', 'yesterday', 'x'.repeat(100)]) expect(parseAuditDate(bad)).toBeNaN();
});

test('group memberships: either orientation, by id and by name; the latest event wins; removals leave no date', () => {
  const idx = indexRecords([
    rec({ summary: 'User added to group', created: '2026-09-01T00:00:00.000+0000', authorAccountId: 'admin', objectItem: group('Devs'), associatedItems: [user('a')] }),
    rec({ summary: 'User added to group', created: '2026-09-02T00:00:00.000+0000', objectItem: user('b'), associatedItems: [group('Ops', 'gid-ops')] }),
    // a added again later: the later date counts
    rec({ summary: 'User added to group', created: '2026-09-05T00:00:00.000+0000', objectItem: group('devs'), associatedItems: [user('a')] }),
    // c added then removed: no date
    rec({ summary: 'User added to group', created: '2026-09-01T00:00:00.000+0000', objectItem: group('Devs'), associatedItems: [user('c')] }),
    rec({ summary: 'User removed from group', created: '2026-09-03T00:00:00.000+0000', objectItem: group('Devs'), associatedItems: [user('c')] }),
    // junk: no date, no group, two groups, unrelated summary
    rec({ summary: 'User added to group', created: 'soon', objectItem: group('Devs'), associatedItems: [user('d')] }),
    rec({ summary: 'User added to group', created: '2026-09-01T00:00:00.000+0000', associatedItems: [user('e')] }),
    rec({ summary: 'User created', created: '2026-09-01T00:00:00.000+0000', objectItem: user('f'), associatedItems: [group('Devs')] }),
  ]);
  expect(Object.fromEntries(idx.groups)).toEqual({
    'devs|a': { at: '2026-09-05T00:00:00.000Z', by: undefined },
    'ops|b': { at: '2026-09-02T00:00:00.000Z', by: undefined },
    'gid-ops|b': { at: '2026-09-02T00:00:00.000Z', by: undefined },
  });
  expect(idx.roles.size).toBe(0);
  expect(idx.records).toBe(8);
});

test('project role actors: full before/after lists, group names, and USER items on an "added" summary', () => {
  const role = { id: '10002', name: 'Developers', typeName: 'PROJECT_ROLE' };
  const project = { id: '10000', name: 'Engineering', typeName: 'PROJECT' };
  const idx = indexRecords([
    rec({
      summary: 'Project roles changed',
      created: '2026-09-01T00:00:00.000+0000',
      authorAccountId: 'admin',
      objectItem: role,
      associatedItems: [project],
      changedValues: [
        { fieldName: 'Users', changedFrom: 'a, b', changedTo: 'a, b, c' },
        { fieldName: 'Groups', changedFrom: '', changedTo: 'Team One' },
      ],
    }),
    rec({
      summary: 'Project roles changed',
      created: '2026-09-04T00:00:00.000+0000',
      objectItem: role,
      associatedItems: [project],
      changedValues: [{ fieldName: 'Users', changedFrom: 'a, b, c', changedTo: 'a, c' }],
    }),
    rec({ summary: 'User added to project role', created: '2026-09-06T00:00:00.000+0000', objectItem: project, associatedItems: [role, user('d')] }),
  ]);
  expect(Object.fromEntries(idx.roles)).toEqual({
    '10000|10002|u:c': { at: '2026-09-01T00:00:00.000Z', by: 'admin' },
    '10000|10002|g:team one': { at: '2026-09-01T00:00:00.000Z', by: 'admin' },
    '10000|10002|u:d': { at: '2026-09-06T00:00:00.000Z', by: undefined },
  });
});
