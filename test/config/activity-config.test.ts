/** Issue activity and work-item settings (issue 16): defaults off, bounds named with the field. */
import { parseConnectorConfig, ConfigError, RawConfig } from '../../src/config/schema';

const base: RawConfig = { 'jira-url': 'https://example.atlassian.net', 'jira-email': 'bot@example.com', 'jira-api-token': 'classic-token-123456' };

function message(raw: RawConfig): string {
  try {
    parseConnectorConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('off by default; summaries on; lists parsed, keys upper-cased', () => {
  const c = parseConnectorConfig(base);
  expect(c.activityDays).toBe(0);
  expect(c.workItems).toEqual({ enabled: false, projects: [], statuses: [], excludeStatuses: [], summary: true });
  const d = parseConnectorConfig({
    ...base,
    'jira-activity-days': '90',
    'jira-work-items': 'true',
    'jira-work-item-projects': 'eng,OPS,eng',
    'jira-work-item-statuses': 'To Do,In Progress',
    'jira-work-item-exclude-statuses': 'Done',
    'jira-work-item-summary': 'false',
  });
  expect(d.activityDays).toBe(90);
  expect(d.workItems).toEqual({ enabled: true, projects: ['ENG', 'OPS'], statuses: ['To Do', 'In Progress'], excludeStatuses: ['Done'], summary: false });
});

test('bad values are refused naming the setting', () => {
  expect(message({ ...base, 'jira-activity-days': '-1' })).toMatch(/BATON_JIRA_ACTIVITY_DAYS/);
  expect(message({ ...base, 'jira-activity-days': '4000' })).toMatch(/BATON_JIRA_ACTIVITY_DAYS/);
  expect(message({ ...base, 'jira-activity-days': '1.5' })).toMatch(/BATON_JIRA_ACTIVITY_DAYS/);
  expect(message({ ...base, 'jira-work-item-projects': 'ENG,a b' })).toMatch(/BATON_JIRA_WORK_ITEM_PROJECTS/);
  expect(message({ ...base, 'jira-work-item-statuses': 'x'.repeat(300) })).toMatch(/BATON_JIRA_WORK_ITEM_STATUSES/);
});
