/** The kinds of finding a report flags, and their titles (shared by the report and its HTML page). */
export type FindingKind = 'inactive-licensed' | 'external-admin' | 'hidden-email' | 'app-broad-access';

export const FINDING_TITLES: Record<FindingKind, string> = {
  'inactive-licensed': 'Inactive but licensed',
  'external-admin': 'External account with admin-like access',
  'hidden-email': 'Email hidden',
  'app-broad-access': 'App account with broad access',
};
