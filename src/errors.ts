/**
 * Errors as values with a kind. Code below the server throws ConnectorError; only
 * server/status.ts turns a kind into a gRPC status code.
 */
import { redact } from './log';

export type ErrorKind =
  | 'auth' // credentials missing, wrong or expired (HTTP 401)
  | 'permission' // authenticated but not allowed (HTTP 403, missing scope)
  | 'not-found'
  | 'rate-limited' // HTTP 429, or waiting would exceed the caller's deadline
  | 'unavailable' // 5xx, network faults, timeouts
  | 'invalid-input' // a bad request from the caller or bad configuration
  | 'conflict' // HTTP 409 or a state clash
  | 'precondition' // the operation is not possible in this configuration (FAILED_PRECONDITION)
  | 'cancelled' // an intentional policy decline of a grant (grant_cancelled)
  | 'unimplemented'
  | 'bad-upstream' // Atlassian answered something we cannot parse
  | 'internal';

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetAt?: Date;
}

export interface ErrorDetails {
  /** upstream endpoint, e.g. "GET /rest/api/3/users/search" */
  endpoint?: string;
  /** HTTP status from Atlassian */
  status?: number;
  /** Atlassian's own message */
  upstreamMessage?: string;
  rateLimit?: RateLimitInfo;
  /** google.rpc.ErrorInfo reason, e.g. grant_cancelled */
  reason?: string;
  /** what the user can do about it */
  hint?: string;
  cause?: unknown;
}

export class ConnectorError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;
  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(redact(message));
    this.name = 'ConnectorError';
    this.kind = kind;
    this.details = { ...details, upstreamMessage: details.upstreamMessage ? redact(details.upstreamMessage) : undefined };
  }

  /** The one-line text shown to callers: message, upstream message and hint, secrets removed. */
  describe(): string {
    const parts = [this.message];
    if (this.details.endpoint && !this.message.includes(this.details.endpoint)) parts.push(`(${this.details.endpoint}${this.details.status ? ` → HTTP ${this.details.status}` : ''})`);
    if (this.details.upstreamMessage) parts.push(`Atlassian said: ${this.details.upstreamMessage}`);
    if (this.details.hint) parts.push(this.details.hint);
    return redact(parts.join(' '));
  }
}

export function invalidInput(message: string, hint?: string): ConnectorError {
  return new ConnectorError('invalid-input', message, { hint });
}

export function notFound(message: string): ConnectorError {
  return new ConnectorError('not-found', message);
}

export function isConnectorError(e: unknown): e is ConnectorError {
  return e instanceof ConnectorError;
}
