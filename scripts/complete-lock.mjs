// The package registry reachable here does not serve some platform-specific optional packages
// (e.g. @bufbuild/buf-darwin-arm64), so `npm install` leaves them out of package-lock.json and a
// later `npm ci` refuses the lock as "out of sync". This adds a lock entry for each missing
// optional platform package, marked optional with its os/cpu, so `npm ci` skips it on this
// platform as it would anyway. Run after `npm install` changes the lock: node scripts/complete-lock.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'openbsd', 'sunos', 'aix', 'netbsd'];
const CPU = ['arm64', 'aarch64', 'x64', 'ia32', 'armv7', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32'];
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    if (pkgs[base] || pkgs[`node_modules/${name}`]) continue;
    const tail = name.split('/').pop();
    const os = OS.find((o) => tail.includes(o));
    const cpu = CPU.find((c) => tail.split('-').includes(c) || tail.includes(`-${c}`));
    const entry = { version: String(version).replace(/^[\^~]/, ''), optional: true };
    if (os) entry.os = [os === 'darwin' || os === 'win32' || os === 'linux' ? os : os];
    if (cpu) entry.cpu = [cpu === 'aarch64' ? 'arm64' : cpu === 'armv7' ? 'arm' : cpu];
    if (!os && !cpu) continue;
    pkgs[`node_modules/${name}`] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lock: added ${added} optional platform entries`);
