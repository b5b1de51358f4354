/**
 * What every provisioner shares (each resource type's Grant/Revoke lives in its own file): the
 * checks of the entitlement and the principal, the refusal of inherited grants, the audit log and
 * one-write-in-flight per target. Only ids are trusted (the platform may send stubs): where a
 * write goes and who it is for come from the entitlement's resource id and the principal's id,
 * checked against the shapes Atlassian gives them; profiles are never read here.
 */
import type { Resource, ResourceId } from '../../gen/c1/connector/v2/resource';
import type { Entitlement } from '../../gen/c1/connector/v2/entitlement';
import type { Grant } from '../../gen/c1/connector/v2/grant';
import type { IdKind } from '../../id-shapes';
import { idOf } from './common';
import { entitlementId } from '../ids';
import { ConnectorError, invalidInput } from '../../errors';
import { hasAnnotation } from '../annotations';
import { log } from '../../log';

/**
 * The entitlement's resource and what its id names, decoded by the resource type (`decode` checks
 * the type and the id's shape and names `field` in its errors); the entitlement id, when sent, must
 * be the one slug this type offers. `field` names the entitlement ("entitlement", "grant.entitlement").
 */
export function checkEntitlement<T>(ent: Entitlement | undefined, slug: string, field: string, decode: (id: ResourceId | undefined, field: string) => T): { resource: Resource; id: T } {
  const res = ent?.resource;
  if (!res) throw invalidInput(`${field}.resource is required`);
  const id = decode(res.id, `${field}.resource.id`);
  const want = entitlementId(res.id!.resourceType, res.id!.resource, slug);
  if (ent!.id && ent!.id !== want) throw invalidInput(`${field}.id ${JSON.stringify(ent!.id.slice(0, 200))} cannot be granted: this ${res.id!.resourceType} resource offers only ${want}`);
  return { resource: res, id };
}

/** The principal's type and Atlassian id; `allowed` maps each type that may hold the entitlement to the shape of its ids. */
export function checkPrincipal(p: Resource | undefined, allowed: Record<string, IdKind>, field: string): { type: string; id: string } {
  const t = p?.id?.resourceType;
  if (!p?.id || !t) throw invalidInput(`${field}.id is required`);
  const kind = allowed[t];
  if (!kind || !Object.hasOwn(allowed, t))
    throw invalidInput(`a ${JSON.stringify(t.slice(0, 64))} principal cannot hold this entitlement; it is grantable to ${Object.keys(allowed).join(' and ')} principals`);
  return { type: t, id: idOf(p.id, t, kind, `${field}.id`) };
}

/** Grants that came from expansion (or are marked immutable) cannot be revoked at the inheriting principal. */
export function refuseInherited(g: Grant): void {
  const sources = Object.keys(g.sources?.sources ?? {});
  if (hasAnnotation(g.annotations, 'c1.connector.v2.GrantImmutable') || sources.length) {
    const shown = sources.slice(0, 5).map((s) => s.slice(0, 200));
    throw new ConnectorError(
      'precondition',
      `grant ${g.id.slice(0, 200)} is inherited${shown.length ? ` through ${shown.join(', ')}${sources.length > 5 ? ' …' : ''}` : ''}; revoke the membership or role it comes from instead`,
    );
  }
}

/** The audit log of writes; in a dry run (BATON_DRY_RUN) each line says the change was not sent. */
export function auditLog(dryRun: boolean) {
  return (action: string, fields: Record<string, unknown>) =>
    log().info({ audit: true, action, ...fields, ...(dryRun ? { dryRun: true } : {}) }, dryRun ? `provisioning (dry run, not sent): ${action}` : `provisioning: ${action}`);
}

/**
 * One operation in flight per key (e.g. one group membership): a second operation on the same
 * key waits for the first to end and then runs, so it sees the state the first left and answers
 * from it. Keys are built from checked ids; an entry lives only while operations on it are
 * pending. Within one server process only.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const p = before.then(fn, fn);
    const tail = p.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return p;
  }

  /** keys with operations pending */
  get size(): number {
    return this.tails.size;
  }
}
