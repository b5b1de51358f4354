/**
 * Opaque, self-contained, versioned page tokens: base64url(JSON {v, k, ...state}).
 * `k` names the list the token belongs to, so a token of another list is refused, and the
 * version lets a later release reject (rather than misread) tokens it no longer understands.
 */
import { invalidInput } from '../errors';

const VERSION = 1;
/** The contract allows next_page_token up to 1 MiB. */
export const MAX_TOKEN_BYTES = 1024 * 1024;

export interface TokenState {
  [key: string]: unknown;
}

export function encodeToken(kind: string, state: TokenState): string {
  const tok = Buffer.from(JSON.stringify({ v: VERSION, k: kind, ...state }), 'utf8').toString('base64url');
  if (tok.length > MAX_TOKEN_BYTES) throw new Error(`page token for ${kind} exceeds 1 MiB`);
  return tok;
}

/** Decodes a token from a request. Empty means "first page" and yields undefined. */
export function decodeToken<T extends TokenState>(kind: string, token: string | undefined): T | undefined {
  if (!token) return undefined;
  if (token.length > MAX_TOKEN_BYTES) throw invalidInput('page_token is longer than 1 MiB; pass back the next_page_token of the previous response unchanged');
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidInput('page_token is not one this connector issued; pass back next_page_token unchanged, or send an empty token to start over');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidInput('page_token is not one this connector issued; pass back next_page_token unchanged, or send an empty token to start over');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidInput('page_token is malformed; send an empty token to start over');
  const o = parsed as { v?: unknown; k?: unknown };
  if (o.v !== VERSION) throw invalidInput(`page_token has version ${String(o.v)}, this connector reads version ${VERSION}; restart the listing with an empty token`);
  if (o.k !== kind) throw invalidInput(`page_token belongs to another listing (${String(o.k)}), not ${kind}; restart with an empty token`);
  return parsed as T;
}
