/**
 * Logging (pino) with a last line of defence against leaked secrets: every configured secret, and
 * every value derived from one (an Authorization header), is registered here and replaced by
 * "[REDACTED]" in each log line and in each error message we hand to a caller.
 */
import pino, { Logger } from 'pino';
import { currentCall } from './call-scope';

const secrets = new Set<string>();

/** Registers a secret (and its JSON-escaped and base64 spellings) for redaction. Short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 6) return;
  secrets.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) secrets.add(escaped);
  secrets.add(encodeURIComponent(value));
}

export function redact(text: string): string {
  if (secrets.size === 0 || !text) return text;
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  }
  // Authorization headers are never logged, whatever their origin
  return out.replace(/((?:authorization|proxy-authorization)"?\s*[:=]\s*"?)(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+/gi, '$1$2 [REDACTED]');
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

let root: Logger | undefined;

/** Log lines seen by the redacting stream; tests read them to prove no secret leaks. */
export const logTap: { lines: string[] | undefined } = { lines: undefined };

export function createLogger(level: LogLevel = 'info', format: 'json' | 'console' = 'json', out: NodeJS.WritableStream = process.stderr): Logger {
  const stream = {
    write(line: string) {
      const clean = redact(line);
      if (logTap.lines) logTap.lines.push(clean);
      if (format === 'console') {
        try {
          const o = JSON.parse(clean) as Record<string, unknown>;
          const { level: lv, time, msg, pid: _pid, hostname: _h, name: _n, ...rest } = o;
          const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
          const when = typeof time === 'string' ? time : new Date(Number(time)).toISOString();
          out.write(`${when} ${typeof lv === 'number' ? (pino.levels.labels[lv] ?? lv) : lv} ${msg ?? ''}${extra}\n`);
          return;
        } catch {
          // fall through to raw line
        }
      }
      out.write(clean);
    },
  };
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['*.authorization', '*.Authorization', 'headers.authorization', 'config.headers.Authorization', '*.apiToken', '*.clientSecret', '*.refreshToken', '*.apiKey'],
        censor: '[REDACTED]',
      },
      serializers: { err: (e: unknown) => serializeError(e) },
      // "level":"info" and an ISO time instead of pino's numbers
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: callFields,
    },
    stream,
  );
}

/**
 * The fields of the gRPC call a line is logged in (call-scope.ts): its RPC id and sync id on every line, and on an
 * audit line the caller's certificate identity (mTLS).
 */
function callFields(obj: object): Record<string, unknown> {
  const c = currentCall();
  if (!c) return {};
  const out: Record<string, unknown> = { rpcId: c.rpcId };
  if (c.syncId) out.syncId = c.syncId;
  if ((obj as { audit?: unknown }).audit === true) {
    if (c.caller) out.caller = c.caller;
  }
  return out;
}

function serializeError(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { type: e.name, message: redact(e.message) };
  return { message: redact(String(e)) };
}

export function setRootLogger(l: Logger): void {
  root = l;
}

export function log(): Logger {
  if (!root) root = createLogger((process.env.BATON_LOG_LEVEL as LogLevel) || 'info');
  return root;
}
