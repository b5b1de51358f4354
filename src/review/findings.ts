/** The kinds of finding a report flags, and their titles (shared by the report and its HTML page). */
export type FindingKind = 'inactive-licensed' | 'external-admin' | 'hidden-email' | 'app-broad-access' | 'open-project' | 'open-items-inactive' | TokenFindingKind;

/** Kinds from the API tokens and product seats (token-findings.ts). */
export type TokenFindingKind = 'token-owner-offboarded' | 'token-never-expires' | 'token-unused' | 'seats-near-limit';

export const FINDING_TITLES: Record<FindingKind, string> = {
  'inactive-licensed': 'Inactive but licensed',
  'external-admin': 'External account with administrative access',
  'open-project': 'Project open to anyone (anonymous access)',
  'hidden-email': 'Email hidden',
  'app-broad-access': 'App account with broad access',
  'open-items-inactive': 'Open work items assigned to a deactivated or suspended account',
  'token-owner-offboarded': 'API token of a suspended, deactivated or removed owner',
  'token-never-expires': 'API token that never expires',
  'token-unused': 'API token unused',
  'seats-near-limit': 'Product near its seat limit',
};
