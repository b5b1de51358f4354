// Generates TypeScript from proto/ with buf (binary shipped by the @bufbuild/buf npm package) and the
// local ts-proto plugin. Output goes to src/gen/, which is never edited by hand and not committed.
import { execFileSync } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src', 'gen');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const buf = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
try {
  execFileSync(buf, ['generate', '--template', 'buf.gen.yaml'], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('proto generation failed: run `npm ci` first so node_modules/.bin/buf and ts-proto exist');
  process.exit(1);
}
