/**
 * One writer per snapshot: `<out>.partial.lock` holds the writer's pid and host. A lock whose
 * process is gone (a killed sync) is taken over; a live one makes the second sync stop with a
 * clear error.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { SnapshotError } from './store';

/** Locks `partial`; returns the function that releases the lock. */
export function lockSnapshot(partial: string): () => void {
  const lock = `${partial}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid} ${hostname()}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host] = readFileSync(lock, 'utf8').trim().split(' ');
      const pid = Number(pidText);
      let alive = host !== hostname(); // another machine's lock: cannot tell, so respect it
      if (!alive && Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
          alive = true;
        } catch (k) {
          alive = (k as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive) throw new SnapshotError(`another sync (pid ${pidText} on ${host ?? 'unknown host'}) is writing ${partial}; wait for it, or remove ${lock} if that sync is gone`);
      rmSync(lock, { force: true }); // left behind by a sync that was killed
    }
  }
  throw new SnapshotError(`could not lock ${partial}`);
}
