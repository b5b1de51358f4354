/** `validate`: what works, what is missing, and which permission or scope would fix it. */
import type { ConnectorConfig, ServerConfig } from '../config/schema';
import { createAtlassianClients } from '../atlassian';
import { probeCapabilities } from '../atlassian/probe';
import { describeListener } from '../server/exposure';
import { metricsExposure } from '../server/metrics-http';
import { orgPosture } from '../connector/org-posture';

export async function runValidateCommand(cfg: ConnectorConfig, server?: ServerConfig): Promise<number> {
  const clients = createAtlassianClients(cfg);
  const out = process.stdout;
  try {
    out.write(`Jira: ${cfg.jira.siteUrl ?? cfg.jira.gatewayUrl}\n`);
    out.write(`Authentication: ${cfg.jira.authMode} (${cfg.jira.authModeReason})\n`);
    out.write(`Organization: ${cfg.org ? cfg.org.orgId : 'not configured (managed accounts and directory groups are not synced)'}\n`);
    out.write(`Provisioning: ${cfg.provisioning ? 'enabled' : 'disabled'}\n`);
    out.write(server ? `Server: ${describeListener(server)}\n${server.metrics ? metricsLine(server.metrics) : ''}\n` : '\n');
    const results = await probeCapabilities(clients, cfg, { signal: new AbortController().signal });
    let failed = 0;
    for (const r of results) {
      out.write(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.capability}: ${r.check}${r.detail ? ` — ${r.detail}` : ''}\n`);
      if (!r.ok) {
        failed++;
        if (r.fix) out.write(`      fix: ${r.fix}\n`);
      }
    }
    if (cfg.org && clients.admin && !failed) {
      // organization posture (org-posture.ts): a summary; the full record belongs on the organization resource
      const p = await orgPosture({ orgId: cfg.org.orgId, admin: clients.admin, siteResourceIds: async () => [] }, { signal: new AbortController().signal }, { maxAccounts: 10_000 }).catch(
        () => undefined,
      );
      if (p)
        out.write(
          `\nOrganization posture: verified domains ${p.verified_domains.map((d) => `${d.domain} (${d.managed_accounts} managed)`).join(', ') || 'none'}; ` +
            `${p.managed_accounts}${p.complete ? '' : '+'} managed accounts, two-step verification on ${p.two_step_verification.enabled}; ` +
            `policies ${p.policies.map((x) => `${x.name || x.type} (${x.type}, ${x.status})`).join(', ') || 'none'}; authentication policies: ${p.authentication_policies}\n`,
        );
    }
    out.write(failed ? `\n${failed} check(s) failed.\n` : '\nAll checks passed.\n');
    return failed ? 1 : 0;
  } finally {
    await clients.close();
  }
}

/** Where `serve` would serve Prometheus metrics, with the warning when that is not loopback. */
function metricsLine(m: { host: string; port: number }): string {
  const warning = metricsExposure(m.host);
  return `Metrics: http://${m.host.includes(':') ? `[${m.host}]` : m.host}:${m.port}/metrics${warning ? ` — WARNING: ${warning}` : ''}\n`;
}
