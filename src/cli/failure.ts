import { ConfigError } from '../config/schema';
import { isConnectorError } from '../errors';
import { redact } from '../log';

/** One line for the user and the exit code: 2 for configuration, 1 for everything else. */
export function describeFailure(e: unknown): { line: string; code: number } {
  if (e instanceof ConfigError) return { line: `configuration error: ${redact(e.message)}`, code: 2 };
  if (isConnectorError(e)) {
    if (e.kind === 'invalid-input') return { line: `configuration error: ${e.describe()}`, code: 2 };
    return { line: `error: ${e.describe()}`, code: 1 };
  }
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `error: ${redact(msg)}`, code: 1 };
}
