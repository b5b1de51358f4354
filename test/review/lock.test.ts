/** One writer per snapshot: a live lock stops a second sync; a dead writer's lock is taken over. */
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { startHarness, Harness } from '../helpers/harness';
import { syncSnapshot } from '../../src/review/sync';
import { partialPath } from '../../src/review/store';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ fake: { tier: 'S', seed: 3 } });
  dir = mkdtempSync(join(tmpdir(), 'lock-'));
});
afterAll(async () => {
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const source = { kind: 'in-process' as const, label: 'lock-test', identity: 'lock' };

test('a sync running (live pid in the lock) makes a second one stop with a clear error', async () => {
  const out = join(dir, 'a.sqlite');
  writeFileSync(`${partialPath(out)}.lock`, `${process.pid} ${hostname()}\n`);
  await expect(syncSnapshot(h.client, { out, source })).rejects.toThrow(/another sync \(pid \d+/);
  expect(existsSync(out)).toBe(false);
});

test("a killed writer's lock is taken over and released at the end", async () => {
  const out = join(dir, 'b.sqlite');
  writeFileSync(`${partialPath(out)}.lock`, `999999999 ${hostname()}\n`);
  const r = await syncSnapshot(h.client, { out, source });
  expect(r.file).toBe(out);
  expect(existsSync(out)).toBe(true);
  expect(existsSync(`${partialPath(out)}.lock`)).toBe(false);
});
