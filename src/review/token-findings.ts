/**
 * Findings about API tokens (the `api-token` resources of a snapshot, issue 15) and product seats:
 * tokens that never expire, tokens unused for --inactive-days, tokens whose owner is suspended,
 * deactivated, deleted or no longer in the snapshot, and products near their seat limit. Each
 * token finding names the owner (the account the reviewer acts on) and the token in its detail.
 */
import type { Review, Named } from './model';
import type { FindingKind } from './findings';

export interface TokenFinding {
  kind: FindingKind;
  severity: 'high' | 'medium' | 'low';
  accountId: string;
  name: string;
  email: string;
  detail: string;
}

/** A product is near its limit when at most this share of its seats is left. */
const SEAT_MARGIN = 0.05;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const DAY = 86_400_000;

export function tokenFindings(rv: Review, o: { inactiveDays: number; asOf: string }): TokenFinding[] {
  const out: TokenFinding[] = [];
  const asOf = Date.parse(o.asOf);
  for (const t of (rv.other.get('api-token') ?? new Map<string, Named>()).values()) {
    const p = t.profile;
    const ownerId = str(p.owner_account_id);
    const owner = rv.people.get(ownerId);
    const who = { accountId: ownerId, name: owner?.name ?? (str(p.owner_name) || ownerId), email: owner?.email ?? str(p.owner_email) };
    const label = `API token "${str(p.label) || t.name}" (${str(p.token_id) || t.id})`;
    const expires = Date.parse(str(p.expires_at));
    if (Number.isFinite(expires) && expires <= asOf) continue; // an expired token grants nothing
    const status = str(p.owner_status);
    if (!owner) out.push({ kind: 'token-owner-offboarded', severity: 'high', ...who, detail: `${label}: its owner is no longer in the snapshot (removed)` });
    else if (status && status !== 'active') out.push({ kind: 'token-owner-offboarded', severity: 'high', ...who, detail: `${label}: its owner is ${status}` });
    if (p.never_expires === true) out.push({ kind: 'token-never-expires', severity: 'medium', ...who, detail: `${label}: never expires (created ${str(p.created_at).slice(0, 10)})` });
    const used = Date.parse(str(p.last_used_at) || str(p.created_at));
    if (Number.isFinite(used) && asOf - used >= o.inactiveDays * DAY)
      out.push({
        kind: 'token-unused',
        severity: 'low',
        ...who,
        detail: `${label}: ${str(p.last_used_at) ? `last used ${str(p.last_used_at).slice(0, 10)}` : `never used since ${str(p.created_at).slice(0, 10)}`} (${Math.floor((asOf - used) / DAY)} days)`,
      });
  }
  for (const prod of rv.products.values()) {
    const seats = num(prod.profile.number_of_seats);
    const left = num(prod.profile.remaining_seats);
    if (prod.profile.unlimited_seats === true || seats === undefined || seats <= 0 || left === undefined || left < 0) continue;
    if (left <= Math.max(1, Math.floor(seats * SEAT_MARGIN)))
      out.push({ kind: 'seats-near-limit', severity: 'low', accountId: '', name: prod.name, email: '', detail: `${seats - left} of ${seats} seats used, ${left} left` });
  }
  return out;
}
