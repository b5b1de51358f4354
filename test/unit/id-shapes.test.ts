/** Id shapes: what a request may carry where Atlassian expects an id. */
import { checkId, isId } from '../../src/id-shapes';

test('real ids of every kind pass', () => {
  expect(isId('projectId', '10000')).toBe(true);
  expect(isId('projectIdOrKey', 'ENG_2')).toBe(true);
  expect(isId('roleId', '10002')).toBe(true);
  expect(isId('groupId', '3c6e2d4a-0c1f-4b6e-9d3a-2f1e0b9c8a7d')).toBe(true);
  for (const a of ['557058:3c6e2d4a-0c1f-4b6e-9d3a-2f1e0b9c8a7d', '5b10ac8d82e05b22cc7d4ef5', 'qm:3c6e2d4a-0c1f-4b6e-9d3a-2f1e0b9c8a7d:9d3a2f1e']) expect(isId('accountId', a)).toBe(true);
  expect(isId('applicationRoleKey', 'jira-software')).toBe(true);
});

test.each(['', '.', '..', '%2e%2e', '%2E.', '10000/..', '10000?x=1', '10000#', ' 10000', 'a\u0000'])('traversal and junk %j are refused for every kind', (v) => {
  for (const k of ['projectId', 'roleId', 'groupId', 'accountId', 'directoryId', 'projectIdOrKey'] as const) expect(isId(k, v)).toBe(false);
});

test('numeric ids have at most 18 digits', () => {
  expect(isId('projectId', '1'.repeat(18))).toBe(true);
  expect(isId('projectId', '1'.repeat(19))).toBe(false);
  expect(isId('roleId', '1'.repeat(19))).toBe(false);
});

test('checkId names the field and never echoes more than 64 characters', () => {
  expect(() => checkId('projectId', '..', 'entitlement.resource.id.resource')).toThrow(/^entitlement\.resource\.id\.resource "\.\." is not a numeric Jira project id$/);
  const long = 'x'.repeat(10_000);
  let msg = '';
  try {
    checkId('accountId', long + '/', 'principal.id.resource');
  } catch (e) {
    msg = (e as Error).message;
  }
  expect(msg).toMatch(/^principal\.id\.resource "x{64}…" is not an Atlassian account id/);
  expect(msg.length).toBeLessThan(200);
  expect(checkId('roleId', '10002', 'f')).toBe('10002');
});
