/** Request counters per operation and status (for tests and benchmarks). */
export class RequestStats {
  total = 0;
  /** by "METHOD /template", e.g. "GET /rest/api/3/users/search" */
  byOperation: Record<string, number> = {};
  /** by OpenAPI operationId, e.g. "getAllUsers" */
  byOperationId: Record<string, number> = {};
  /** by response status ("200", "429", ...; "reset" for destroyed connections) */
  byStatus: Record<string, number> = {};
  /** by operation key and by operationId, then status */
  byOperationStatus: Record<string, Record<string, number>> = {};
  startedAt = Date.now();

  recordRequest(key: string, operationId: string): void {
    this.total++;
    this.byOperation[key] = (this.byOperation[key] ?? 0) + 1;
    this.byOperationId[operationId] = (this.byOperationId[operationId] ?? 0) + 1;
  }

  recordStatus(key: string, operationId: string, status: number | 'reset'): void {
    const s = String(status);
    this.byStatus[s] = (this.byStatus[s] ?? 0) + 1;
    for (const k of key === operationId ? [key] : [key, operationId]) {
      const m = (this.byOperationStatus[k] ??= {});
      m[s] = (m[s] ?? 0) + 1;
    }
  }

  /** Requests seen for an operation key or operationId. */
  count(keyOrOperationId: string): number {
    return this.byOperation[keyOrOperationId] ?? this.byOperationId[keyOrOperationId] ?? 0;
  }

  /** Responses with a status, for one operation (key or operationId) or overall. */
  statusCount(status: number | 'reset', keyOrOperationId?: string): number {
    const s = String(status);
    if (!keyOrOperationId) return this.byStatus[s] ?? 0;
    return this.byOperationStatus[keyOrOperationId]?.[s] ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.byOperation = {};
    this.byOperationId = {};
    this.byStatus = {};
    this.byOperationStatus = {};
    this.startedAt = Date.now();
  }

  snapshot(): { total: number; byOperation: Record<string, number>; byOperationId: Record<string, number>; byStatus: Record<string, number>; elapsedMs: number } {
    return { total: this.total, byOperation: { ...this.byOperation }, byOperationId: { ...this.byOperationId }, byStatus: { ...this.byStatus }, elapsedMs: Date.now() - this.startedAt };
  }
}
