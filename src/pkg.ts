/** This package's name and version, found from the running file (works from src/ and dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: { name: string; version: string } | undefined;

export function packageInfo(): { name: string; version: string } {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (j.name === 'jira-identity-connector') return (cached = { name: j.name, version: j.version ?? '0.0.0' });
    }
    dir = dirname(dir);
  }
  return (cached = { name: 'jira-identity-connector', version: '0.0.0' });
}
