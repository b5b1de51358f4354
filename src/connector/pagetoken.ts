/**
 * Opaque, self-contained, versioned page tokens: base64url(JSON {v, k, ...state}).
 *
 * Each kind of token (one per paged listing) is declared once, beside the listing that issues it,
 * with `pageToken(kind, version, schema)`: a zod schema of its state. A token from a request is
 * size-bounded, decoded and parsed against its kind's schema (strictly: no extra fields, numbers
 * are numbers, strings are bounded) before anything is sent upstream; anything else is
 * INVALID_ARGUMENT naming page_token. `k` names the listing, so a token of another listing is
 * refused; `v` lets a later release reject, rather than misread, tokens it no longer understands.
 */
import { z } from 'zod';
import { invalidInput } from '../errors';

/** The contract allows next_page_token up to 1 MiB; ours are a few hundred bytes. */
const MAX_ISSUED_BYTES = 1024 * 1024;
/** What a request may carry: far above any token we issue, far below what would cost memory. */
export const MAX_TOKEN_CHARS = 8 * 1024;

/** Offsets into Jira's listings (startAt is a 32-bit int there). */
export const startAt = z.number().int().nonnegative().max(2_147_483_647);
/** An admin API cursor value: printable ASCII, bounded. */
export const cursor = z
  .string()
  .regex(/^[\x21-\x7e]+$/, 'a printable cursor')
  .max(4096);

const RESTART = 'pass back the next_page_token of the previous response unchanged, or send an empty token to start over';
const declared = new Set<string>();

export interface PageToken<T> {
  readonly kind: string;
  readonly version: number;
  encode(state: T): string;
  /** The state of a token from a request; undefined for an empty token (the first page). */
  decode(token: string | undefined): T | undefined;
}

/** Declares a kind of page token: its name (unique), version and the zod schema of its state. */
export function pageToken<S extends z.ZodTypeAny>(kind: string, version: number, state: S): PageToken<z.infer<S>> {
  if (declared.has(kind)) throw new Error(`page token kind ${kind} is declared twice`);
  declared.add(kind);
  const envelope = z.object({ v: z.literal(version), k: z.literal(kind) }).passthrough();
  return {
    kind,
    version,
    encode(s) {
      const checked = state.parse(s) as Record<string, unknown>;
      const tok = Buffer.from(JSON.stringify({ v: version, k: kind, ...checked }), 'utf8').toString('base64url');
      if (tok.length > MAX_ISSUED_BYTES) throw new Error(`page token for ${kind} exceeds 1 MiB`);
      return tok;
    },
    decode(token) {
      if (!token) return undefined;
      if (token.length > MAX_TOKEN_CHARS)
        throw invalidInput(
          `page_token is longer than ${MAX_TOKEN_CHARS} characters (the contract allows 1 MiB; this connector's tokens are far shorter), so it is not one this connector issued; ${RESTART}`,
        );
      if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidInput(`page_token is not one this connector issued (not base64url); ${RESTART}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
      } catch {
        throw invalidInput(`page_token is not one this connector issued; ${RESTART}`);
      }
      const env = envelope.safeParse(parsed);
      if (!env.success) {
        const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { v?: unknown; k?: unknown };
        if (o.k !== kind) throw invalidInput(`page_token belongs to another listing, not ${kind}; ${RESTART}`);
        throw invalidInput(`page_token has version ${JSON.stringify(o.v)?.slice(0, 16)}, this connector reads version ${version} of ${kind} tokens; ${RESTART}`);
      }
      const { v: _v, k: _k, ...rest } = env.data;
      const st = state.safeParse(rest);
      if (!st.success) {
        const where = st.error.issues[0]?.path.join('.') || 'state';
        throw invalidInput(`page_token is malformed (${kind} token, field ${where.slice(0, 32)}: ${st.error.issues[0]?.message.slice(0, 80)}); ${RESTART}`);
      }
      return st.data;
    },
  };
}

/** For listings that answer in one page: any token was not issued by this connector. */
export function refuseToken(token: string | undefined, listing: string): void {
  if (token) throw invalidInput(`page_token was not issued by this connector: ${listing} answers in one page; send an empty token`);
}
