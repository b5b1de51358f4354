/**
 * Two snapshots → what changed: access granted and revoked (every principal, direct or through
 * groups and roles, with how), access that stayed but changed how it is obtained, and accounts
 * that are new, removed or changed. As text, JSON or CSV.
 */
import { openSnapshot } from './store';
import { Review, Holding, Person, loadReview, describeEntitlement, describeVia, pk } from './model';
import { toCsv } from './csv';
import { tokenChanges, tokenChangeLine, type TokenChange } from './token-diff';

export interface AccessChange {
  change: 'granted' | 'revoked' | 'via-changed';
  principalType: string;
  principalId: string;
  principalName: string;
  email: string;
  entitlementId: string;
  resourceType: string;
  resourceId: string;
  slug: string;
  /** the entitlement in words: `group "x"`, `role "Developers" in ABC`, `product "Jira Software"` */
  what: string;
  /** 'direct' when held directly (in the snapshot where it is held), else 'inherited' */
  how: 'direct' | 'inherited';
  via: string[];
  /** for via-changed: how it was obtained before */
  oldVia?: string[];
}

export interface AccountChange {
  change: 'new' | 'removed' | 'changed';
  accountId: string;
  name: string;
  email: string;
  accountType: string;
  active: boolean;
  /** for 'changed': "field: old → new" */
  fields?: string[];
}

export interface SnapshotRef {
  file: string;
  syncId: string;
  source: string;
  asOf: string;
}

export interface SnapshotDiff {
  old: SnapshotRef;
  new: SnapshotRef;
  /** set when the snapshots come from different sources */
  warning?: string;
  accounts: { new: AccountChange[]; removed: AccountChange[]; changed: AccountChange[] };
  granted: AccessChange[];
  revoked: AccessChange[];
  viaChanged: AccessChange[];
  summary: { newAccounts: number; removedAccounts: number; changedAccounts: number; granted: number; revoked: number; viaChanged: number; tokensCreated?: number; tokensRevoked?: number };
  /** API tokens created and revoked (token-diff.ts) */
  tokens?: { created: TokenChange[]; revoked: TokenChange[] };
}

function load(file: string): Review {
  const db = openSnapshot(file);
  try {
    return loadReview(db);
  } finally {
    db.close();
  }
}

function holdings(rv: Review): Map<string, Holding> {
  const out = new Map<string, Holding>();
  for (const list of rv.byPrincipal.values()) for (const h of list) out.set(`${h.entitlement.id}\u0001${pk(h.principalType, h.principalId)}`, h);
  return out;
}

function principalName(rv: Review, type: string, id: string): { name: string; email: string } {
  switch (type) {
    case 'user': {
      const p = rv.people.get(id);
      return { name: p?.name ?? id, email: p?.email ?? '' };
    }
    case 'group':
      return { name: rv.groups.get(id)?.name ?? id, email: '' };
    case 'project-role': {
      const r = rv.roles.get(id);
      return { name: r ? `${r.projectKey || r.projectName}: ${r.roleName}` : id, email: '' };
    }
    default:
      return { name: id, email: '' };
  }
}

const cmpChange = (a: AccessChange, b: AccessChange) =>
  a.principalType.localeCompare(b.principalType) || a.principalName.localeCompare(b.principalName) || a.principalId.localeCompare(b.principalId) || a.entitlementId.localeCompare(b.entitlementId);

function accountOf(change: AccountChange['change'], p: Person): AccountChange {
  return { change, accountId: p.accountId, name: p.name, email: p.email, accountType: p.accountType, active: p.active };
}

export function diffReviews(a: Review, b: Review, files: { old: string; new: string }): SnapshotDiff {
  const ref = (rv: Review, file: string): SnapshotRef => ({ file, syncId: rv.meta.sync_id ?? '', source: rv.meta.source ?? '', asOf: rv.meta.finished_at ?? '' });
  const ha = holdings(a);
  const hb = holdings(b);
  const change = (rv: Review, h: Holding, kind: AccessChange['change']): AccessChange => {
    const who = principalName(rv, h.principalType, h.principalId);
    return {
      change: kind,
      principalType: h.principalType,
      principalId: h.principalId,
      principalName: who.name,
      email: who.email,
      entitlementId: h.entitlement.id,
      resourceType: h.entitlement.resourceType,
      resourceId: h.entitlement.resourceId,
      slug: h.entitlement.slug,
      what: describeEntitlement(rv, h.entitlement.id),
      how: h.paths.some((p) => p.length === 0) ? 'direct' : 'inherited',
      via: describeVia(rv, h),
    };
  };
  const granted: AccessChange[] = [];
  const revoked: AccessChange[] = [];
  const viaChanged: AccessChange[] = [];
  for (const [k, h] of hb) {
    const old = ha.get(k);
    if (!old) granted.push(change(b, h, 'granted'));
    else {
      const pa = JSON.stringify(old.paths);
      const pb = JSON.stringify(h.paths);
      if (pa !== pb) viaChanged.push({ ...change(b, h, 'via-changed'), oldVia: describeVia(a, old) });
    }
  }
  for (const [k, h] of ha) if (!hb.has(k)) revoked.push(change(a, h, 'revoked'));
  granted.sort(cmpChange);
  revoked.sort(cmpChange);
  viaChanged.sort(cmpChange);

  const accNew: AccountChange[] = [];
  const accRemoved: AccountChange[] = [];
  const accChanged: AccountChange[] = [];
  for (const [id, p] of b.people) {
    const o = a.people.get(id);
    if (!o) {
      accNew.push(accountOf('new', p));
      continue;
    }
    const fields: string[] = [];
    const cmp = (label: string, x: unknown, y: unknown) => {
      if (x !== y) fields.push(`${label}: ${x === undefined || x === '' ? '(none)' : String(x)} → ${y === undefined || y === '' ? '(none)' : String(y)}`);
    };
    cmp('name', o.name, p.name);
    cmp('email', o.email, p.email);
    cmp('active', o.active, p.active);
    cmp('account type', o.accountType, p.accountType);
    cmp('managed', o.managed, p.managed);
    cmp('site access', o.siteAccess, p.siteAccess);
    if (fields.length) accChanged.push({ ...accountOf('changed', p), fields });
  }
  for (const [id, o] of a.people) if (!b.people.has(id)) accRemoved.push(accountOf('removed', o));
  const byName = (x: AccountChange, y: AccountChange) => x.name.localeCompare(y.name) || x.accountId.localeCompare(y.accountId);
  accNew.sort(byName);
  accRemoved.sort(byName);
  accChanged.sort(byName);

  const oldRef = ref(a, files.old);
  const newRef = ref(b, files.new);
  const tokens = tokenChanges(a, b);
  const warning = oldRef.source && newRef.source && oldRef.source !== newRef.source ? `the snapshots come from different sources (${oldRef.source} and ${newRef.source})` : undefined;
  return {
    old: oldRef,
    new: newRef,
    ...(warning ? { warning } : {}),
    accounts: { new: accNew, removed: accRemoved, changed: accChanged },
    granted,
    revoked,
    viaChanged,
    summary: {
      newAccounts: accNew.length,
      removedAccounts: accRemoved.length,
      changedAccounts: accChanged.length,
      granted: granted.length,
      revoked: revoked.length,
      viaChanged: viaChanged.length,
      tokensCreated: tokens.created.length,
      tokensRevoked: tokens.revoked.length,
    },
    tokens,
  };
}

export function diffSnapshots(oldFile: string, newFile: string): SnapshotDiff {
  return diffReviews(load(oldFile), load(newFile), { old: oldFile, new: newFile });
}

export function hasChanges(d: SnapshotDiff): boolean {
  const s = d.summary;
  return s.newAccounts + s.removedAccounts + s.changedAccounts + s.granted + s.revoked + (s.tokensCreated ?? 0) + (s.tokensRevoked ?? 0) > 0;
}

export function diffText(d: SnapshotDiff): string {
  const out: string[] = [];
  const s = d.summary;
  out.push(`Changes from ${d.old.asOf || d.old.file} to ${d.new.asOf || d.new.file} (${d.new.source || 'unknown source'})`);
  if (d.warning) out.push(`warning: ${d.warning}`);
  out.push(`accounts: ${s.newAccounts} new, ${s.removedAccounts} removed, ${s.changedAccounts} changed; access: ${s.granted} granted, ${s.revoked} revoked, ${s.viaChanged} obtained differently`);
  const acc = (sign: string, x: AccountChange) =>
    `  ${sign} ${x.name}${x.email ? ` <${x.email}>` : ''} (${x.accountId}) ${x.accountType}, ${x.active ? 'active' : 'inactive'}${x.fields ? `: ${x.fields.join('; ')}` : ''}`;
  const section = <T>(title: string, list: T[], line: (x: T) => string) => {
    if (!list.length) return;
    out.push('', `${title} (${list.length})`);
    for (const x of list) out.push(line(x));
  };
  section('New accounts', d.accounts.new, (x) => acc('+', x));
  section('Removed accounts', d.accounts.removed, (x) => acc('-', x));
  section('Changed accounts', d.accounts.changed, (x) => acc('~', x));
  const who = (c: AccessChange) => `${c.principalType === 'user' ? '' : `${c.principalType} `}${c.principalName}${c.email ? ` <${c.email}>` : ''}`;
  section('Granted', d.granted, (c) => `  + ${who(c)}: ${c.what} [${c.via.join('; ')}]`);
  section('Revoked', d.revoked, (c) => `  - ${who(c)}: ${c.what} [was ${c.via.join('; ')}]`);
  section('API tokens created', d.tokens?.created ?? [], tokenChangeLine);
  section('API tokens revoked', d.tokens?.revoked ?? [], tokenChangeLine);
  section('Obtained differently', d.viaChanged, (c) => `  ~ ${who(c)}: ${c.what} [${(c.oldVia ?? []).join('; ')} → ${c.via.join('; ')}]`);
  if (!hasChanges(d) && !s.viaChanged) out.push('', 'No changes.');
  return out.join('\n') + '\n';
}

export function diffJson(d: SnapshotDiff): string {
  return JSON.stringify(d, null, 2) + '\n';
}

export function diffCsv(d: SnapshotDiff): string {
  const rows: (string | boolean)[][] = [];
  for (const x of [...d.accounts.new, ...d.accounts.removed, ...d.accounts.changed])
    rows.push([`${x.change}-account`, 'user', x.accountId, x.name, x.email, x.accountType, x.active ? 'active' : 'inactive', '', '', '', '', '', '', '', (x.fields ?? []).join('; ')]);
  for (const c of [...d.granted, ...d.revoked, ...d.viaChanged])
    rows.push([
      c.change,
      c.principalType,
      c.principalId,
      c.principalName,
      c.email,
      '',
      '',
      c.what,
      c.entitlementId,
      c.resourceType,
      c.resourceId,
      c.slug,
      c.how,
      c.via.join('; '),
      c.oldVia ? `was: ${c.oldVia.join('; ')}` : '',
    ]);
  return toCsv(
    ['change', 'principal_type', 'principal_id', 'principal_name', 'email', 'account_type', 'status', 'what', 'entitlement_id', 'resource_type', 'resource_id', 'slug', 'how', 'via', 'details'],
    rows,
  );
}
