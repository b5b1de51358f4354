/**
 * Sync progress for people: one redrawn line with a bar on a TTY (counts per type, requests,
 * rate-limit waits), plain timestamped log lines otherwise (CI, pipes, files), and for
 * `--progress none` only what must not go unseen (warnings, the resume notice, the connector's log).
 */
import type { SyncProgress } from '../client/loop';

const SHORT: Record<string, string> = { user: 'users', group: 'groups', project: 'projects', 'project-role': 'roles', 'application-role': 'products' };

export function describeCounts(p: SyncProgress): string {
  const types = Object.entries(p.resources)
    .map(([k, n]) => `${SHORT[k] ?? k} ${n}`)
    .join(' ');
  return `${types || 'no resources yet'} | entitlements ${p.entitlements} | grants ${p.grants}${p.expanded ? ` +${p.expanded} expanded` : ''}`;
}

export function describeRequests(p: SyncProgress): string {
  const waits = p.rateLimitWaits ? `, ${p.rateLimitWaits} rate-limit waits (${(p.waitMs / 1000).toFixed(1)} s)` : p.retries ? `, ${p.retries} retries` : '';
  return `${p.calls} requests${waits}`;
}

export interface ProgressReporter {
  update(p: SyncProgress): void;
  /** a sentence of the sync; `always`: shown whatever the mode (the connector's log, at the level asked for) */
  log(line: string, always?: boolean): void;
  done(): void;
}

/** The sync's sentences that `--progress none` still shows: warnings, errors and the resume notice. */
function isNotice(line: string): boolean {
  return /^(warning|error)\b|^resuming /i.test(line);
}

/** No progress at all, but warnings and the resume notice (and what `always` marks) still go out. */
export function quietProgress(write: (line: string) => void): ProgressReporter {
  return {
    update() {},
    log(line, always) {
      if (always || isNotice(line)) write(line);
    },
    done() {},
  };
}

/** A bar redrawn in place on `stream` (a TTY). */
export function ttyProgress(stream: NodeJS.WriteStream): ProgressReporter {
  let last: SyncProgress | undefined;
  let drawn = false;
  const width = () => Math.max(40, (stream.columns || 100) - 1);
  const draw = () => {
    if (!last) return;
    const p = last;
    const frac = p.phaseTotal > 0 ? Math.min(1, p.phaseDone / p.phaseTotal) : 0;
    const barLen = 16;
    const filled = Math.round(frac * barLen);
    const bar = '█'.repeat(filled) + '░'.repeat(barLen - filled);
    const head = `${p.phase.padEnd(19)} ${bar} ${`${p.phaseDone}/${p.phaseTotal}`.padEnd(9)}`;
    const types = Object.entries(p.resources)
      .map(([k, n]) => `${SHORT[k] ?? k} ${n}`)
      .join(' ');
    const grants = `grants ${p.grants}${p.expanded ? `+${p.expanded}` : ''}`;
    const req = `${p.calls} requests${p.rateLimitWaits ? `, ${p.rateLimitWaits} waits (${(p.waitMs / 1000).toFixed(1)} s)` : p.retries ? `, ${p.retries} retries` : ''}`;
    // what does not fit goes first: the per-type counts, then the grant count
    const candidates = [
      [head, req, grants, types],
      [head, req, grants],
      [head, req],
    ].map((parts) => parts.filter(Boolean).join(' | '));
    let line = candidates.find((c) => c.length <= width()) ?? candidates[candidates.length - 1];
    if (line.length > width()) line = line.slice(0, width() - 1) + '…';
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  return {
    update(p) {
      last = p;
      draw();
    },
    log(line) {
      stream.write(`${drawn ? '\r\x1b[2K' : ''}${line}\n`);
      drawn = false;
      draw();
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** Plain lines: every event, and the counts every `everyMs` (default 5 s) and at each phase change. */
export function lineProgress(write: (line: string) => void, everyMs = 5000): ProgressReporter {
  let lastAt = 0;
  let lastPhase = '';
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === lastPhase && now - lastAt < everyMs) return;
      lastPhase = p.phase;
      lastAt = now;
      write(`${stamp()} ${p.phase} ${p.phaseDone}/${p.phaseTotal}: ${describeCounts(p)}; ${describeRequests(p)}`);
    },
    log(line) {
      write(`${stamp()} ${line}`);
    },
    done() {},
  };
}
