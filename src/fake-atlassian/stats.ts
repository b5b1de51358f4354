/** One request as the fake received it (`FakeAtlassianOptions.requestLog`). */
export interface LoggedRequest {
  method: string;
  /** raw path as sent, percent-encoding kept (gateway prefix included) */
  path: string;
  /** raw query string without "?" ('' when none) */
  query: string;
  /** scheme of the Authorization header, lower-case ('basic', 'bearer', ...), 'none' when absent; never the credential */
  auth: string;
}

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
  /** finer counts a handler records about what it was asked (e.g. one directory group's member page), for tests */
  byDetail: Record<string, number> = {};
  startedAt = Date.now();
  /** opt-in request log: off until enableLog(); keeps at most `max` entries, counts the rest as dropped */
  private log?: { max: number; entries: LoggedRequest[]; dropped: number };

  enableLog(max: number): void {
    this.log = { max, entries: [], dropped: 0 };
  }

  logRequest(method: string, rawUrl: string, authorization: string | undefined): void {
    const l = this.log;
    if (!l) return;
    if (l.entries.length >= l.max) {
      l.dropped++;
      return;
    }
    const qi = rawUrl.indexOf('?');
    const auth = authorization ? (/^\S+/.exec(authorization)?.[0] ?? '').toLowerCase() || 'other' : 'none';
    l.entries.push({ method, path: qi < 0 ? rawUrl : rawUrl.slice(0, qi), query: qi < 0 ? '' : rawUrl.slice(qi + 1), auth });
  }

  /** The logged requests since the last call (and how many did not fit), emptying the log. */
  takeLog(): { requests: LoggedRequest[]; dropped: number } {
    const l = this.log;
    if (!l) return { requests: [], dropped: 0 };
    const out = { requests: l.entries, dropped: l.dropped };
    l.entries = [];
    l.dropped = 0;
    return out;
  }

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

  recordDetail(detail: string): void {
    this.byDetail[detail] = (this.byDetail[detail] ?? 0) + 1;
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
    this.byDetail = {};
    this.startedAt = Date.now();
  }

  snapshot(): { total: number; byOperation: Record<string, number>; byOperationId: Record<string, number>; byStatus: Record<string, number>; elapsedMs: number } {
    return { total: this.total, byOperation: { ...this.byOperation }, byOperationId: { ...this.byOperationId }, byStatus: { ...this.byStatus }, elapsedMs: Date.now() - this.startedAt };
  }
}
