/** The kinds of finding a report flags, and their titles (shared by the report and its HTML page). */
export type FindingKind = 'inactive-licensed' | 'external-admin' | 'hidden-email' | 'app-broad-access' | 'open-project';

export const FINDING_TITLES: Record<FindingKind, string> = {
  'inactive-licensed': 'Inactive but licensed',
  'external-admin': 'External account with administrative access',
  'open-project': 'Project open to anyone (anonymous access)',
  'hidden-email': 'Email hidden',
  'app-broad-access': 'App account with broad access',
};
