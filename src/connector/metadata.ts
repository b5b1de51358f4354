/**
 * ConnectorMetadata and capabilities, computed from what is registered, the way the Baton SDK's
 * builder does it (baton-contract.md §6): every synced type gets SYNC; a type with a provisioner
 * PROVISION; with an account manager ACCOUNT_PROVISIONING; with a getter TARGETED_SYNC. The
 * connector-level list is the union plus SERVICE_MODE_TARGETED_SYNC when any getter exists,
 * sorted; resource type capabilities are sorted by id.
 */
import { Capability, CapabilityDetailCredentialOption, ConnectorAccountCreationSchema, ConnectorCapabilities, ConnectorMetadata, ResourceTypeCapability } from '../gen/c1/connector/v2/connector';
import type { AccountManager, Connector, CredentialOption } from './types';

const CRED: Record<CredentialOption, CapabilityDetailCredentialOption> = {
  NO_PASSWORD: CapabilityDetailCredentialOption.CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD,
  RANDOM_PASSWORD: CapabilityDetailCredentialOption.CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD,
  SSO: CapabilityDetailCredentialOption.CAPABILITY_DETAIL_CREDENTIAL_OPTION_SSO,
  ENCRYPTED_PASSWORD: CapabilityDetailCredentialOption.CAPABILITY_DETAIL_CREDENTIAL_OPTION_ENCRYPTED_PASSWORD,
};

export function computeCapabilities(connector: Connector): ConnectorCapabilities {
  const perType: ResourceTypeCapability[] = [];
  const all = new Set<Capability>();
  let anyGetter = false;
  for (const s of [...connector.syncers].sort((a, b) => a.type.id.localeCompare(b.type.id))) {
    const caps = new Set<Capability>([Capability.CAPABILITY_SYNC]);
    if (s.provisioner) caps.add(Capability.CAPABILITY_PROVISION);
    if (connector.accountManager?.resourceTypeId === s.type.id) caps.add(Capability.CAPABILITY_ACCOUNT_PROVISIONING);
    if (s.deleter) caps.add(Capability.CAPABILITY_RESOURCE_DELETE);
    if (s.get) {
      caps.add(Capability.CAPABILITY_TARGETED_SYNC);
      anyGetter = true;
    }
    const sorted = [...caps].sort((a, b) => a - b);
    sorted.forEach((c) => all.add(c));
    perType.push(ResourceTypeCapability.fromPartial({ resourceType: s.type, capabilities: sorted }));
  }
  if (connector.accountManager) all.add(Capability.CAPABILITY_ACCOUNT_PROVISIONING);
  if (anyGetter) all.add(Capability.CAPABILITY_SERVICE_MODE_TARGETED_SYNC);
  if (connector.actions?.specs.length) all.add(Capability.CAPABILITY_ACTIONS);
  if (connector.tickets) all.add(Capability.CAPABILITY_TICKETING);
  return ConnectorCapabilities.fromPartial({
    resourceTypeCapabilities: perType,
    connectorCapabilities: [...all].sort((a, b) => a - b),
    credentialDetails: connector.accountManager ? credentialDetails(connector.accountManager) : undefined,
  });
}

function credentialDetails(am: AccountManager) {
  if (!am.supportedCredentialOptions.includes(am.preferredCredentialOption)) {
    throw new Error('account manager: the preferred credential option must be one of the supported ones');
  }
  return {
    capabilityAccountProvisioning: {
      supportedCredentialOptions: am.supportedCredentialOptions.map((o) => CRED[o]),
      preferredCredentialOption: CRED[am.preferredCredentialOption],
    },
  };
}

function accountCreationSchema(am: AccountManager): ConnectorAccountCreationSchema {
  const fieldMap: ConnectorAccountCreationSchema['fieldMap'] = {};
  for (const f of am.schemaFields) {
    const field =
      f.type === 'string-list'
        ? { $case: 'stringListField' as const, value: { defaultValue: [] } }
        : f.type === 'bool'
          ? { $case: 'boolField' as const, value: { defaultValue: false } }
          : { $case: 'stringField' as const, value: {} };
    fieldMap[f.name] = {
      displayName: f.displayName,
      required: f.required,
      description: f.description,
      placeholder: f.placeholder ?? '',
      order: f.order,
      deprecated: false,
      field,
    } as ConnectorAccountCreationSchema['fieldMap'][string];
  }
  return ConnectorAccountCreationSchema.fromPartial({ fieldMap });
}

export function computeMetadata(connector: Connector): ConnectorMetadata {
  return ConnectorMetadata.fromPartial({
    displayName: connector.info.displayName,
    description: connector.info.description,
    helpUrl: connector.info.helpUrl ?? '',
    capabilities: computeCapabilities(connector),
    accountCreationSchema: connector.accountManager ? accountCreationSchema(connector.accountManager) : undefined,
  });
}
