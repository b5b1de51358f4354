/**
 * Lets a child `node` process run the TypeScript sources directly (tests spawn the CLI from
 * src/, so they never depend on a stale dist/): each .ts file is transpiled on load, without
 * type checking, as CommonJS, and cached by content in the system temp folder.
 *   node -r ./test/review/helpers/ts-register.js src/cli/main.ts ...
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

let ts;
const options = { module: 1 /* CommonJS */, target: 9 /* ES2022 */, esModuleInterop: true, resolveJsonModule: true, sourceMap: false };
const cacheDir = path.join(os.tmpdir(), `jira-connector-ts-cache-${process.getuid ? process.getuid() : 'u'}`);
fs.mkdirSync(cacheDir, { recursive: true });

require.extensions['.ts'] = function (module, filename) {
  const src = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(filename).update('\0').update(src).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    code = ts.transpileModule(src, { compilerOptions: options, fileName: filename }).outputText;
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  }
  module._compile(code, filename);
};
