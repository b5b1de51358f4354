/**
 * Builders for the annotations we emit, and the registry of every annotation type we may emit
 * (a test decodes each emitted annotation through it). Only c1.connector.v2.* types are emitted.
 */
import type { Any } from '../gen/google/protobuf/any';
import { packAny } from './annotations';
import { UserTrait, UserTrait_AccountType, UserTrait_Status_Status, GroupTrait, RoleTrait } from '../gen/c1/connector/v2/annotation_trait';
import { ChildResourceType, SkipEntitlementsAndGrants } from '../gen/c1/connector/v2/annotation_resource_tree';
import { GrantExpandable, GrantImmutable, GrantAlreadyExists, GrantAlreadyRevoked, GrantMetadata } from '../gen/c1/connector/v2/annotation_grant';
import { ExternalLink } from '../gen/c1/connector/v2/annotation_external_link';
import { V1Identifier } from '../gen/c1/connector/v2/annotation_v1_identifier';
import { RateLimitDescription } from '../gen/c1/connector/v2/annotation_ratelimit';
import { EntitlementImmutable } from '../gen/c1/connector/v2/annotation_entitlement';
import { SecretTrait, SecretTrait_CredentialType } from '../gen/c1/connector/v2/annotation_trait';
import { ResourceDeleted } from '../gen/c1/connector/v2/annotation_resource_deleted';
import type { ResourceId } from '../gen/c1/connector/v2/resource';

const N = 'c1.connector.v2.';

export const EMITTED_ANNOTATIONS: Record<string, { decode(b: Uint8Array): unknown }> = {
  [N + 'UserTrait']: UserTrait,
  [N + 'GroupTrait']: GroupTrait,
  [N + 'RoleTrait']: RoleTrait,
  [N + 'ChildResourceType']: ChildResourceType,
  [N + 'SkipEntitlementsAndGrants']: SkipEntitlementsAndGrants,
  [N + 'GrantExpandable']: GrantExpandable,
  [N + 'GrantImmutable']: GrantImmutable,
  [N + 'GrantAlreadyExists']: GrantAlreadyExists,
  [N + 'GrantAlreadyRevoked']: GrantAlreadyRevoked,
  [N + 'GrantMetadata']: GrantMetadata,
  [N + 'ExternalLink']: ExternalLink,
  [N + 'V1Identifier']: V1Identifier,
  [N + 'RateLimitDescription']: RateLimitDescription,
  [N + 'EntitlementImmutable']: EntitlementImmutable,
  [N + 'SecretTrait']: SecretTrait,
  [N + 'ResourceDeleted']: ResourceDeleted,
};

export interface UserTraitInput {
  emails: { address: string; primary: boolean }[];
  enabled: boolean;
  statusDetails?: string;
  accountType: 'human' | 'service' | 'system' | 'unspecified';
  login?: string;
  profile?: Record<string, unknown>;
  lastLogin?: Date;
  createdAt?: Date;
  mfaEnabled?: boolean;
}

const ACCOUNT_TYPE = {
  human: UserTrait_AccountType.ACCOUNT_TYPE_HUMAN,
  service: UserTrait_AccountType.ACCOUNT_TYPE_SERVICE,
  system: UserTrait_AccountType.ACCOUNT_TYPE_SYSTEM,
  unspecified: UserTrait_AccountType.ACCOUNT_TYPE_UNSPECIFIED,
};

export function userTrait(u: UserTraitInput): Any {
  return packAny(UserTrait, N + 'UserTrait', {
    emails: u.emails.map((e) => ({ address: e.address, isPrimary: e.primary })),
    // the deprecated trait status is still read by older platforms: set it as well as Resource.status
    status: { status: u.enabled ? UserTrait_Status_Status.STATUS_ENABLED : UserTrait_Status_Status.STATUS_DISABLED, details: u.statusDetails ?? '' },
    profile: u.profile,
    accountType: ACCOUNT_TYPE[u.accountType],
    login: u.login ?? '',
    loginAliases: [],
    lastLogin: u.lastLogin,
    mfaStatus: u.mfaEnabled === undefined ? undefined : { mfaEnabled: u.mfaEnabled },
    createdAt: u.createdAt,
    employeeIds: [],
  });
}

export function groupTrait(profile?: Record<string, unknown>, source?: { type: string; raw?: string }): Any {
  return packAny(GroupTrait, N + 'GroupTrait', { profile, groupSourceType: source?.type ?? '', rawGroupSourceType: source?.raw ?? '' });
}

export function roleTrait(profile?: Record<string, unknown>): Any {
  return packAny(RoleTrait, N + 'RoleTrait', { profile });
}

export function childResourceType(resourceTypeId: string): Any {
  return packAny(ChildResourceType, N + 'ChildResourceType', { resourceTypeId });
}

export function skipEntitlementsAndGrants(): Any {
  return packAny(SkipEntitlementsAndGrants, N + 'SkipEntitlementsAndGrants', {});
}

/** Members of the source entitlements (of the grant's principal) inherit the grant's entitlement. */
export function grantExpandable(entitlementIds: string[], resourceTypeIds: string[] = ['user'], shallow = false): Any {
  return packAny(GrantExpandable, N + 'GrantExpandable', { entitlementIds, resourceTypeIds, shallow });
}

export function grantImmutable(sourceId = '', metadata?: Record<string, unknown>): Any {
  return packAny(GrantImmutable, N + 'GrantImmutable', { sourceId, metadata });
}

/** Facts about a grant for the platform (a Struct), e.g. {added_at, added_source, added_by} from Jira's audit log. */
export function grantMetadata(metadata: Record<string, unknown>): Any {
  return packAny(GrantMetadata, N + 'GrantMetadata', { metadata });
}

export function grantAlreadyExists(): Any {
  return packAny(GrantAlreadyExists, N + 'GrantAlreadyExists', {});
}

export function grantAlreadyRevoked(): Any {
  return packAny(GrantAlreadyRevoked, N + 'GrantAlreadyRevoked', {});
}

export function externalLink(url: string): Any {
  return packAny(ExternalLink, N + 'ExternalLink', { url });
}

/** A static secret (an API token): when it was made, expires and was last used, and whose it is. */
export function secretTrait(s: { createdAt?: Date; expiresAt?: Date; lastUsedAt?: Date; identity: ResourceId; detail: string }): Any {
  return packAny(SecretTrait, N + 'SecretTrait', {
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    lastUsedAt: s.lastUsedAt,
    identityId: s.identity,
    createdById: s.identity,
    credentialType: SecretTrait_CredentialType.CREDENTIAL_TYPE_STATIC_SECRET,
    credentialDetail: s.detail,
  });
}

/** On a DeleteResourceV2 answer: the resource was already gone before the call, nothing was sent. */
export function resourceDeleted(resourceId: ResourceId): Any {
  return packAny(ResourceDeleted, N + 'ResourceDeleted', { resourceId });
}
