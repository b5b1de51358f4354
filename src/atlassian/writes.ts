/**
 * Writes are never resent blindly. A write that failed ambiguously (connection reset, timeout,
 * 502/503/504, truncated answer: it may or may not have been applied) is followed by a read of
 * the state; only if the change is not there is it sent again. A refusal is never judged by its
 * text: `isAlready` reads the state, and when the state is already the wanted one the write is a
 * no-op (`changed: false`), or our own earlier ambiguous send applied it (`changed: true`).
 */
import { ConnectorError } from '../errors';
import { log } from '../log';
import { UpstreamError } from './errors';

export interface WriteResult {
  /** false when Atlassian said (or the state showed) it was already that way */
  changed: boolean;
}

export interface WriteOptions {
  endpoint: string;
  /** sends the write once */
  send: () => Promise<void>;
  /** the error means "already in the wanted state" */
  isAlready?: (e: ConnectorError) => boolean | Promise<boolean>;
  /** reads the state: true when the change is in place */
  verify: () => Promise<boolean>;
  /** total sends, default 3 */
  maxSends?: number;
}

export async function safeWrite(o: WriteOptions): Promise<WriteResult> {
  const max = o.maxSends ?? 3;
  let ambiguousBefore = false;
  for (let sent = 1; ; sent++) {
    try {
      await o.send();
      return { changed: true };
    } catch (e) {
      if (!(e instanceof ConnectorError)) throw e;
      if (o.isAlready && (await o.isAlready(e))) return { changed: ambiguousBefore };
      if (!(e instanceof UpstreamError) || !e.ambiguous) throw e;
      ambiguousBefore = true;
      let done: boolean;
      try {
        done = await o.verify();
      } catch (ve) {
        log().warn({ endpoint: o.endpoint, kind: ve instanceof ConnectorError ? ve.kind : 'internal' }, 'could not check the state after an ambiguous write failure');
        throw e;
      }
      if (done) {
        log().info({ endpoint: o.endpoint }, 'an ambiguous write failure turned out to be applied');
        return { changed: true };
      }
      if (sent >= max) throw e;
      log().warn({ endpoint: o.endpoint, sent }, 'write failed ambiguously and the state shows it was not applied; sending it again');
    }
  }
}
