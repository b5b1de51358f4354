import { status as Code } from '@grpc/grpc-js';
import { ConfigError } from '../config/schema';
import { isConnectorError } from '../errors';
import { toServiceError } from '../server/status';
import { redact } from '../log';

/** An error answered by a gRPC server (grant, revoke and create-account call our own in-process server). */
function isGrpcError(e: unknown): e is { code: Code; details: string } {
  return !!e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'number' && typeof (e as { details?: unknown }).details === 'string' && 'metadata' in e;
}

/**
 * One line for the user and the exit code: 2 for configuration and bad input, 1 for everything else
 * (refusals such as FAILED_PRECONDITION included). Refusals name their gRPC code, as the platform sees them.
 */
export function describeFailure(e: unknown): { line: string; code: number } {
  if (e instanceof ConfigError) return { line: `configuration error: ${redact(e.message)}`, code: 2 };
  if (isConnectorError(e)) {
    if (e.kind === 'invalid-input') return { line: `configuration error: ${e.describe()}`, code: 2 };
    return { line: `error: ${Code[toServiceError(e).code]}: ${e.describe()}`, code: 1 };
  }
  if (isGrpcError(e)) return { line: `error: ${Code[e.code] ?? e.code}: ${redact(e.details)}`, code: e.code === Code.INVALID_ARGUMENT ? 2 : 1 };
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `error: ${redact(msg)}`, code: 1 };
}

/** A usage error from commander as one line (its "Did you mean" suggestion included), with the way to the options. */
export function usageLine(message: string): string {
  return `${message.trim().replace(/\s*\n\s*/g, ' ')} (run with --help for the list of options)\n`;
}

/**
 * A reader that stops reading (`report | head -1`, `diff a b | less` quit early) closes our standard
 * output: the command ends quietly, as Unix tools do, with the exit code it had so far (0 unless it
 * had already failed), never with an EPIPE stack trace. A closed standard error is ignored: the
 * command carries on without its diagnostics. Any other write error on standard output is one line, exit 1.
 */
export function endQuietlyWhenOutputCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    process.stderr.write(`error: cannot write to standard output (${e.code ?? e.message})\n`);
    process.exit(1);
  });
  process.stderr.on('error', () => {
    /* nowhere left to say anything */
  });
}
