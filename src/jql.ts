/**
 * The JQL the connector builds (issue 16), in one place for the connector and validate's probes:
 * string literals are quoted (quotes and backslashes escaped), numbers are checked by the caller.
 */

/** A JQL string literal. */
export function jqlString(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** `status in (...)` and `status not in (...)` clauses of BATON_JIRA_WORK_ITEM_STATUSES / _EXCLUDE_STATUSES. */
export function statusClauses(statuses: string[], excludeStatuses: string[]): string[] {
  const out: string[] = [];
  if (statuses.length) out.push(`status in (${statuses.map(jqlString).join(', ')})`);
  if (excludeStatuses.length) out.push(`status not in (${excludeStatuses.map(jqlString).join(', ')})`);
  return out;
}
