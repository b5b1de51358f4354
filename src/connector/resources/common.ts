/**
 * Small builders shared by the resource types: resources, entitlements and grants in the shapes
 * (and ids) the Baton SDK helpers produce.
 */
import type { Any } from '../../gen/google/protobuf/any';
import { Resource, ResourceId, ResourceType, ResourceType_Trait } from '../../gen/c1/connector/v2/resource';
import { Entitlement, Entitlement_PurposeValue } from '../../gen/c1/connector/v2/entitlement';
import { Grant } from '../../gen/c1/connector/v2/grant';
import { entitlementId, grantId } from '../ids';
import { invalidInput } from '../../errors';
import { checkId, IdKind } from '../../id-shapes';

export const TRAIT = ResourceType_Trait;

export function resourceType(id: string, displayName: string, description: string, traits: ResourceType_Trait[], annotations: Any[] = []): ResourceType {
  return ResourceType.fromPartial({ id, displayName, description, traits, annotations, sourcedExternally: false });
}

export function rid(resourceType: string, resource: string): ResourceId {
  return { resourceType, resource, batonResource: false };
}

export function stripToId(r: Resource): Resource {
  return Resource.fromPartial({ id: r.id });
}

export interface EntitlementSpec {
  slug: string;
  displayName: string;
  description: string;
  grantableTo: ResourceType[];
  purpose?: 'assignment' | 'permission' | 'ownership';
  annotations?: Any[];
}

const PURPOSE = {
  assignment: Entitlement_PurposeValue.PURPOSE_VALUE_ASSIGNMENT,
  permission: Entitlement_PurposeValue.PURPOSE_VALUE_PERMISSION,
  ownership: Entitlement_PurposeValue.PURPOSE_VALUE_OWNERSHIP,
};

export function entitlement(resource: Resource, spec: EntitlementSpec): Entitlement {
  return Entitlement.fromPartial({
    resource,
    id: entitlementId(resource.id!.resourceType, resource.id!.resource, spec.slug),
    displayName: spec.displayName,
    description: spec.description,
    grantableTo: spec.grantableTo,
    annotations: spec.annotations ?? [],
    purpose: PURPOSE[spec.purpose ?? 'assignment'],
    slug: spec.slug,
  });
}

/** A grant whose entitlement carries {id, resource} and whose principal is an id-only stub, like grant.NewGrant. */
export function grant(resource: Resource, slug: string, principal: ResourceId, annotations: Any[] = []): Grant {
  const entId = entitlementId(resource.id!.resourceType, resource.id!.resource, slug);
  return Grant.fromPartial({
    entitlement: { id: entId, resource: stripToId(resource) },
    principal: { id: principal },
    id: grantId(entId, principal.resourceType, principal.resource),
    annotations,
  });
}

/** Checks that a resource id in a request is of the expected type; `field` names it (e.g. "resource_id"). */
export function expectType(r: ResourceId | undefined, type: string, field: string): ResourceId {
  if (!r) throw invalidInput(`${field} is required`);
  if (r.resourceType !== type) throw invalidInput(`${field}.resource_type must be ${type}, got ${JSON.stringify(String(r.resourceType ?? '').slice(0, 64))}`);
  return r;
}

/**
 * The Atlassian id a resource id in a request stands for: of the expected type and of the shape
 * Atlassian gives such ids (INVALID_ARGUMENT naming `field.resource` otherwise). Where a read or
 * write goes comes from this alone, never from a profile.
 */
export function idOf(r: ResourceId | undefined, type: string, kind: IdKind, field: string): string {
  return checkId(kind, expectType(r, type, field).resource, `${field}.resource`);
}

/** A profile value, for display only (descriptions): never where a read or write goes. */
export function profileString(r: Resource, key: string): string | undefined {
  const v = (r.profile as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
