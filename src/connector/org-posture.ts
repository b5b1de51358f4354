/**
 * Organization posture (issue 15, item 3), as a profile for the organization resource: verified
 * domains with how many managed accounts each covers (admin API v1 domains, and the managed
 * accounts of the directory by email domain), two-step verification across managed accounts, and
 * the organization's policies as the admin API documents them (ip-allowlist, data-residency).
 * Authentication policies (SSO enforcement, two-step verification enforcement) have no documented
 * admin API endpoint: the profile says so instead of guessing.
 */
import type { CallContext } from './types';
import type { OrgApi } from './jira-api';
import { ALL_DIRECTORIES } from './org';

export interface OrgPosture {
  verified_domains: { domain: string; verification: string; managed_accounts: number }[];
  /** claimed but not verified (or deleted, superseded): accounts there are not managed */
  unverified_domains: { domain: string; status: string }[];
  managed_accounts: number;
  /** managed accounts with a domain that is not in the verified list (e.g. a domain verified elsewhere) */
  managed_accounts_other_domains: number;
  two_step_verification: { enabled: number; not_enabled: number; unknown: number };
  policies: { id: string; type: string; name: string; status: string; resources: number }[];
  authentication_policies: string;
  /** false when the managed accounts were counted only up to maxAccounts */
  complete: boolean;
}

const NO_AUTH_POLICIES =
  "not available: Atlassian's admin API documents no endpoint for authentication policies (SSO enforcement, two-step verification enforcement); see admin.atlassian.com → Security → Authentication policies";

/** Every page of a v1 cursor listing (bounded). */
async function all<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor?: string }>, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const p = await page(cursor);
    out.push(...p.data);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return out;
}

export async function orgPosture(org: OrgApi, ctx: CallContext, opts: { maxAccounts?: number } = {}): Promise<OrgPosture> {
  const maxAccounts = opts.maxAccounts ?? 100_000;
  const [domains, policies] = await Promise.all([all((c) => org.admin.domains(org.orgId, c, ctx)), all((c) => org.admin.policies(org.orgId, c, ctx))]);
  const verified = domains.filter((d) => d.attributes.status === 'verified' && d.attributes.name);
  const perDomain = new Map<string, number>(verified.map((d) => [d.attributes.name!.toLowerCase(), 0]));
  const mfa = { enabled: 0, not_enabled: 0, unknown: 0 };
  let managed = 0;
  let other = 0;
  let cursor: string | undefined;
  let complete = true;
  do {
    const page = await org.admin.searchDirectoryUsers(org.orgId, ALL_DIRECTORIES, { claimStatus: 'managed', limit: Math.min(100, maxAccounts), cursor }, ctx);
    for (const u of page.data) {
      if (u.claimStatus !== 'managed') continue;
      managed++;
      const domain = (u.email ?? '').split('@')[1]?.toLowerCase();
      if (domain !== undefined && perDomain.has(domain)) perDomain.set(domain, perDomain.get(domain)! + 1);
      else other++;
      if (u.mfaEnabled === true) mfa.enabled++;
      else if (u.mfaEnabled === false) mfa.not_enabled++;
      else mfa.unknown++;
    }
    cursor = page.nextCursor;
    if (cursor && managed >= maxAccounts) {
      complete = false;
      break;
    }
  } while (cursor);
  return {
    verified_domains: verified.map((d) => ({ domain: d.attributes.name!, verification: d.attributes.claimType ?? '', managed_accounts: perDomain.get(d.attributes.name!.toLowerCase()) ?? 0 })),
    unverified_domains: domains.filter((d) => d.attributes.status !== 'verified' && d.attributes.name).map((d) => ({ domain: d.attributes.name!, status: d.attributes.status ?? 'unknown' })),
    managed_accounts: managed,
    managed_accounts_other_domains: other,
    two_step_verification: mfa,
    policies: policies.map((p) => ({ id: p.id, type: p.attributes.type ?? '', name: p.attributes.name ?? '', status: p.attributes.status ?? '', resources: p.attributes.resources })),
    authentication_policies: NO_AUTH_POLICIES,
    complete,
  };
}
