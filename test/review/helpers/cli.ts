/**
 * The CLI from the sources in a child process (through ts-register.js, so never a stale dist/),
 * with the environment of the test less any BATON_ variable of the machine, and the environment
 * that points the in-process connector at a fake tenant.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { FakeAtlassian } from '../../../src/fake-atlassian';

const ROOT = join(__dirname, '..', '..', '..');

interface CliOptions {
  /** close our end of its standard output at once, as `| head -1` does once it has its line */
  closeStdout?: boolean;
  /** sees the child and what it has written to stderr so far, after each chunk */
  onStderr?: (child: ChildProcess, stderr: string) => void;
}

export function runCli(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
  opts: CliOptions = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_')));
    const child = spawn(process.execPath, ['-r', join(__dirname, 'ts-register.js'), join(ROOT, 'src', 'cli', 'main.ts'), ...args], { env: { ...base, ...env }, cwd: dir });
    let stdout = '';
    let stderr = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(child, stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export const envOf = (f: FakeAtlassian): Record<string, string> => ({
  BATON_JIRA_URL: f.siteUrl,
  BATON_JIRA_EMAIL: f.credentials.adminEmail,
  BATON_JIRA_API_TOKEN: f.credentials.classicToken,
  BATON_ATLASSIAN_API_URL: f.apiUrl,
});
