/** A sync that cannot go on: a contract failure (a refused call, a retry budget spent, invalid connector data). */
export class SyncError extends Error {}
