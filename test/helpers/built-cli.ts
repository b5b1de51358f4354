/**
 * The built CLI (dist/src/cli/main.js, what `npm test` builds first) in a child process, with the
 * test's environment less any BATON_ variable of the machine: synchronously for commands that need
 * nothing in this process, asynchronously for those that talk to a fake or server running here
 * (spawnSync would block its event loop).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const BUILT_MAIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export const cleanEnv = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_'))) as Record<string, string>;

export function runBuiltSync(args: string[], env: Record<string, string> = {}, timeout = 30000) {
  return spawnSync(process.execPath, [BUILT_MAIN, ...args], { env: { ...cleanEnv(), ...env }, encoding: 'utf8', timeout });
}

export function runBuilt(args: string[], env: Record<string, string> = {}, timeout = 30000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUILT_MAIN, ...args], { env: { ...cleanEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}
