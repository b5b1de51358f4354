/**
 * The one place where error kinds become gRPC status codes. Rate-limit information travels as a
 * c1.connector.v2.RateLimitDescription status detail (grpc-status-details-bin), the way the Baton
 * syncer reads it; 429 and 5xx map to UNAVAILABLE (never RESOURCE_EXHAUSTED, which is not retried).
 */
import { Metadata, status as Code, ServiceError } from '@grpc/grpc-js';
import { ConnectorError, ErrorKind, isConnectorError } from '../errors';
import { ConfigError } from '../config/schema';
import { Status } from '../gen/google/rpc/status';
import { ErrorInfo } from '../gen/google/rpc/error_details';
import { RateLimitDescription, RateLimitDescription_Status } from '../gen/c1/connector/v2/annotation_ratelimit';
import { packAny } from '../connector/annotations';
import { redact } from '../log';

const CODE_OF: Record<ErrorKind, Code> = {
  auth: Code.UNAUTHENTICATED,
  permission: Code.PERMISSION_DENIED,
  'not-found': Code.NOT_FOUND,
  'rate-limited': Code.UNAVAILABLE,
  unavailable: Code.UNAVAILABLE,
  'invalid-input': Code.INVALID_ARGUMENT,
  conflict: Code.ALREADY_EXISTS,
  precondition: Code.FAILED_PRECONDITION,
  cancelled: Code.FAILED_PRECONDITION,
  unimplemented: Code.UNIMPLEMENTED,
  'bad-upstream': Code.UNAVAILABLE,
  internal: Code.INTERNAL,
};

export const SDK_ERROR_DOMAIN = 'github.com/conductorone/baton-sdk';

export interface StatusError extends ServiceError {
  code: Code;
}

/** Turns anything thrown below the server into a gRPC error; unknown errors become INTERNAL without internals. */
export function toServiceError(e: unknown): Partial<StatusError> & { code: Code; details: string } {
  if (isConnectorError(e)) return fromConnectorError(e);
  if (e instanceof ConfigError) return build(Code.INVALID_ARGUMENT, e.message, []);
  return build(Code.INTERNAL, 'internal error in the Jira connector; the server log has the details', []);
}

function fromConnectorError(e: ConnectorError): Partial<StatusError> & { code: Code; details: string } {
  const code = CODE_OF[e.kind];
  const details = [];
  const rl = e.details.rateLimit;
  if (code === Code.UNAVAILABLE && rl) {
    details.push(
      packAny(RateLimitDescription, 'c1.connector.v2.RateLimitDescription', {
        status: e.kind === 'rate-limited' ? RateLimitDescription_Status.STATUS_OVERLIMIT : RateLimitDescription_Status.STATUS_ERROR,
        limit: rl.limit ?? 0,
        remaining: rl.remaining ?? 0,
        resetAt: rl.resetAt,
      }),
    );
  }
  if (e.kind === 'cancelled') {
    details.push(
      packAny(ErrorInfo, 'google.rpc.ErrorInfo', {
        reason: e.details.reason ?? 'grant_cancelled',
        domain: SDK_ERROR_DOMAIN,
        metadata: { reason: e.describe() },
      }),
    );
  } else if (e.details.reason) {
    details.push(packAny(ErrorInfo, 'google.rpc.ErrorInfo', { reason: e.details.reason, domain: 'jira-connector', metadata: {} }));
  }
  return build(code, e.describe(), details);
}

function build(code: Code, message: string, details: ReturnType<typeof packAny>[]) {
  const msg = redact(message);
  const metadata = new Metadata();
  if (details.length > 0) {
    const st = Status.encode({ code, message: msg, details }).finish();
    metadata.set('grpc-status-details-bin', Buffer.from(st));
  }
  return { code, details: msg, message: msg, metadata, name: 'ConnectorError' };
}

/** Decodes the rich status details of a received gRPC error (for tests and our own client). */
export function decodeStatusDetails(err: { metadata?: Metadata }): Status | undefined {
  const raw = err.metadata?.get('grpc-status-details-bin')?.[0];
  if (!raw) return undefined;
  return Status.decode(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw);
}
