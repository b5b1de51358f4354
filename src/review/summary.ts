/**
 * `report --summary`: one screen of text for a ticket or a sign-off e-mail: what was reviewed, by
 * whom, the numbers, the findings by kind and severity, the first findings, and where the files are.
 */
import { FINDING_TITLES, type FindingKind } from './findings';
import type { ReportData } from './report';

const MAX_FINDINGS = 8;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function summaryText(d: ReportData): string {
  const t = d.totals;
  const m = d.meta;
  const lines: string[] = [];
  lines.push(`Jira access review${d.signOff.campaign ? ` — ${d.signOff.campaign}` : ''} — ${m.source ?? 'unknown source'}`);
  lines.push(`Snapshot ${m.finished_at ?? '?'} (sync ${m.sync_id ?? '?'}); report ${d.generatedAt.slice(0, 10)}${d.signOff.reviewer ? `; reviewer ${d.signOff.reviewer}` : ''}`);
  lines.push(`People: ${t.people} (${t.active} active, ${t.inactive} inactive; ${t.atlassian} people, ${t.app} apps, ${t.customer} customers); ${t.licensed} with a product seat`);
  if (d.products.length) lines.push(`Products: ${d.products.map((p) => `${p.name} ${p.holders} (${p.inactive} inactive)`).join('; ')}`);
  lines.push(
    `Groups ${t.groups}, projects ${t.projects}, project roles ${t.roles}; administrative access: ${t.administrators} people (${d.adminBasis === 'permissions' ? 'from synced permissions' : 'by name only: no permissions in the snapshot'})`,
  );
  const sev = { high: 0, medium: 0, low: 0 };
  for (const f of d.findings) sev[f.severity]++;
  lines.push(`Findings: ${d.findings.length} (${sev.high} high, ${sev.medium} medium, ${sev.low} low)`);
  for (const k of Object.keys(FINDING_TITLES) as FindingKind[]) if (t[`findings:${k}`]) lines.push(`  ${String(t[`findings:${k}`]).padStart(5)}  ${FINDING_TITLES[k]}`);
  const first = d.findings.filter((f) => f.severity !== 'low').slice(0, MAX_FINDINGS);
  if (first.length) {
    lines.push('First findings:');
    for (const f of first) lines.push(`  ${f.severity.padEnd(6)} ${cut(`${f.name}${f.email ? ` <${f.email}>` : ''}`, 40).padEnd(40)} ${cut(f.detail, 90)}`);
  }
  if (!d.orgData) lines.push('No organization data: managed/external and last-active dates are unknown.');
  lines.push(`Decisions worksheet: ${d.decisions.length} reviewable accesses (decisions.csv; remediate applies the revoke decisions).`);
  return lines.join('\n') + '\n';
}
