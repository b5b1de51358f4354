/**
 * API tokens created and revoked between two snapshots (the `api-token` resources, issue 15): a
 * token in the new snapshot only was created, one in the old snapshot only was revoked (or expired
 * and was removed by Atlassian, or its owner left the organization).
 */
import type { Review, Named } from './model';

export interface TokenChange {
  change: 'created' | 'revoked';
  tokenId: string;
  label: string;
  ownerAccountId: string;
  ownerName: string;
  createdAt: string;
  expiresAt: string;
}

function tokens(rv: Review): Map<string, Named> {
  return rv.other.get('api-token') ?? new Map();
}

function changeOf(rv: Review, change: TokenChange['change'], t: Named): TokenChange {
  const p = t.profile;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const owner = s(p.owner_account_id);
  return {
    change,
    tokenId: s(p.token_id) || t.id,
    label: s(p.label) || t.name,
    ownerAccountId: owner,
    ownerName: rv.people.get(owner)?.name ?? (s(p.owner_name) || owner),
    createdAt: s(p.created_at),
    expiresAt: s(p.expires_at),
  };
}

export function tokenChanges(a: Review, b: Review): { created: TokenChange[]; revoked: TokenChange[] } {
  const ta = tokens(a);
  const tb = tokens(b);
  const created = [...tb].filter(([id]) => !ta.has(id)).map(([, t]) => changeOf(b, 'created', t));
  const revoked = [...ta].filter(([id]) => !tb.has(id)).map(([, t]) => changeOf(a, 'revoked', t));
  const cmp = (x: TokenChange, y: TokenChange) => x.ownerName.localeCompare(y.ownerName) || x.label.localeCompare(y.label) || x.tokenId.localeCompare(y.tokenId);
  return { created: created.sort(cmp), revoked: revoked.sort(cmp) };
}

export function tokenChangeLine(t: TokenChange): string {
  return `  ${t.change === 'created' ? '+' : '-'} ${t.ownerName} (${t.ownerAccountId}): API token "${t.label}" (${t.tokenId}), created ${t.createdAt.slice(0, 10)}${t.expiresAt ? `, expires ${t.expiresAt.slice(0, 10)}` : ', never expires'}`;
}
