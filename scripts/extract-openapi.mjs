#!/usr/bin/env node
// Derives the schema extracts the fake Atlassian Cloud validates against (src/fake-atlassian/schemas/*.json) from
// Atlassian's OpenAPI documents, so the fake never reads outside the repository at run time.
//
//   npm run extract-openapi                      refresh the committed extracts
//   node scripts/extract-openapi.mjs --from DIR  read the documents from DIR (default: FAKE_ATLASSIAN_SPEC_DIR, else
//                                                the nearest shared/atlassian/ above the repository, normally ../shared/atlassian)
//   node scripts/extract-openapi.mjs --out DIR   write the extracts to DIR instead of src/fake-atlassian/schemas
//   node scripts/extract-openapi.mjs --print     print {"<file>": "<content>"} as JSON instead of writing (used by
//                                                test/fake-atlassian/extract.test.ts to compare with the committed files)
//   node scripts/extract-openapi.mjs --locate    print the documents folder that would be read (nothing when there is none)
//
// An extract keeps, per document, only what src/fake-atlassian/openapi.ts reads: the operations in OPERATIONS below
// (operationId, parameters, request body, responses, `security`, `x-atlassian-oauth2-scopes`), the document-level
// `security`, and every component those operations reference, transitively. Prose (description, summary, example(s),
// title, externalDocs, deprecated, xml, other x- extensions) is stripped where it is an annotation; a property that
// happens to be *named* "description" or "example" stays. Keys are sorted and the JSON is indented, so a refresh
// gives a stable, readable diff. The documented patches (DOC_PATCHES in openapi.ts) are applied at load, not here:
// an extract is Atlassian's document, trimmed, never edited.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'src', 'fake-atlassian', 'schemas');
const REFRESH = 'npm run extract-openapi';

/** Source document of each extract (the extract is written as `<id>.json`). */
const DOCUMENTS = {
  'jira-platform': 'jira-platform.openapi.json',
  'admin-organization': 'admin-organization.openapi.json',
  'admin-user-management': 'admin-user-management.openapi.json',
};

/**
 * The documented operations the fake serves: JIRA_ROUTES in src/fake-atlassian/jira.ts (each served under
 * /rest/api/3, validated against the v3 path) and the ADMIN_ROUTES in src/fake-atlassian/admin.ts whose `doc` is one
 * of Atlassian's documents. test/fake-atlassian/extract.test.ts fails when the fake's routes and this list differ.
 */
const ORG = '/v1/orgs/{orgId}';
const OPERATIONS = {
  'jira-platform': [
    ['GET', '/myself'],
    ['GET', '/serverInfo'],
    ['GET', '/users/search'],
    ['GET', '/users'],
    ['GET', '/user'],
    ['POST', '/user'],
    ['DELETE', '/user'],
    ['GET', '/user/search'],
    ['GET', '/user/viewissue/search'],
    ['GET', '/user/groups'],
    ['GET', '/user/bulk'],
    ['GET', '/mypermissions'],
    ['GET', '/group/bulk'],
    ['GET', '/group/member'],
    ['POST', '/group/user'],
    ['DELETE', '/group/user'],
    ['GET', '/project/search'],
    ['GET', '/project/{projectIdOrKey}'],
    ['GET', '/project/{projectIdOrKey}/role'],
    ['GET', '/project/{projectIdOrKey}/roledetails'],
    ['GET', '/project/{projectIdOrKey}/role/{id}'],
    ['POST', '/project/{projectIdOrKey}/role/{id}'],
    ['DELETE', '/project/{projectIdOrKey}/role/{id}'],
    ['GET', '/role'],
    ['GET', '/role/{id}'],

    ['GET', '/applicationrole'],
    ['GET', '/applicationrole/{key}'],
    ['GET', '/permissionscheme'],
    ['GET', '/project/{projectKeyOrId}/permissionscheme'],
    ['GET', '/permissions'],
    ['POST', '/permissions/check'],
    ['GET', '/auditing/record'],
    ['GET', '/search/jql'],
    ['POST', '/search/jql'],
    ['POST', '/changelog/bulkfetch'],
    ['GET', '/issue/createmeta/{projectIdOrKey}/issuetypes'],
    ['GET', '/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}'],
    ['GET', '/project/{projectIdOrKey}/statuses'],
    ['POST', '/issue'],
    ['GET', '/issue/{issueIdOrKey}'],
  ].map(([m, p]) => [m, `/rest/api/3${p}`]),
  'admin-organization': [
    ['GET', '/v1/orgs'],
    ['GET', ORG],
    ['GET', `${ORG}/users`],
    ['GET', `${ORG}/directory/users/{accountId}/last-active-dates`],
    ['POST', `${ORG}/directory/users/{accountId}/suspend-access`],
    ['POST', `${ORG}/directory/users/{accountId}/restore-access`],
    ['DELETE', `${ORG}/directory/users/{accountId}`],
    ['GET', `${ORG}/domains`],
    ['GET', `${ORG}/policies`],
    ['POST', `${ORG}/directory/groups/{groupId}/memberships`],
    ['DELETE', `${ORG}/directory/groups/{groupId}/memberships/{accountId}`],
    ['POST', '/v2/orgs/{orgId}/workspaces'],
  ],
  'admin-user-management': [
    ['GET', '/users/{account_id}/manage/api-tokens'],
    ['DELETE', '/users/{account_id}/manage/api-tokens/{tokenId}'],
    ['POST', '/users/{account_id}/manage/lifecycle/disable'],
    ['POST', '/users/{account_id}/manage/lifecycle/enable'],
    ['POST', '/users/{account_id}/manage/lifecycle/delete'],
    ['POST', '/users/{account_id}/manage/lifecycle/cancel-delete'],
  ],
};

/** Keywords that only annotate a schema (Ajv does not validate them); dropped, as are x- extensions. */
const ANNOTATIONS = new Set(['description', 'summary', 'example', 'examples', 'title', 'externalDocs', 'deprecated', 'xml', '$comment']);
/** Keywords whose value is a map of names to schemas (the names are data: "description" may be one). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
/** Keywords whose value is one schema (or, for items, possibly a list of schemas). */
const SCHEMA_ONE = new Set(['items', 'additionalItems', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is data (kept verbatim, never walked). */
const DATA = new Set(['enum', 'const', 'default', 'required']);

const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);

function fail(msg) {
  throw new Error(`extract-openapi: ${msg}`);
}

function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v, k)]));
}

class Extractor {
  constructor(docId, doc) {
    this.docId = docId;
    this.doc = doc;
    /** Component refs seen ("#/components/<section>/<name>"), walked once each. */
    this.refs = new Set();
    this.queue = [];
  }

  ref(value, where) {
    if (typeof value !== 'string' || !value.startsWith('#/components/')) fail(`${this.docId}: unsupported $ref ${JSON.stringify(value)} at ${where}`);
    if (!this.refs.has(value)) {
      this.refs.add(value);
      this.queue.push(value);
    }
    return value;
  }

  schema(node, where) {
    if (typeof node === 'boolean') return node;
    if (!isObject(node)) fail(`${this.docId}: schema expected at ${where}`);
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      const at = `${where}.${k}`;
      if (ANNOTATIONS.has(k) || k.startsWith('x-')) continue;
      if (k === '$ref') out[k] = this.ref(v, at);
      else if (SCHEMA_MAPS.has(k)) out[k] = mapValues(v, (s, name) => this.schema(s, `${at}.${name}`));
      else if (SCHEMA_ONE.has(k)) out[k] = Array.isArray(v) ? v.map((s, i) => this.schema(s, `${at}[${i}]`)) : this.schema(v, at);
      else if (SCHEMA_LISTS.has(k)) out[k] = v.map((s, i) => this.schema(s, `${at}[${i}]`));
      else if (k === 'discriminator') {
        // Ajv runs without its discriminator option, so this is kept for fidelity only; its mapping targets are kept
        // too so that no reference in an extract dangles.
        for (const target of Object.values(v.mapping ?? {})) this.ref(target, `${at}.mapping`);
        out[k] = v;
      } else if (DATA.has(k) || typeof v !== 'object' || v === null) out[k] = v;
      else fail(`${this.docId}: unknown schema keyword '${k}' with an object value at ${where} (teach extract-openapi.mjs whether it holds schemas)`);
    }
    return out;
  }

  parameter(p, where) {
    if (p.$ref !== undefined) fail(`${this.docId}: parameter $ref at ${where} (openapi.ts does not resolve parameter refs)`);
    if (p.content !== undefined) fail(`${this.docId}: parameter with content at ${where} (openapi.ts reads only schema)`);
    const out = { name: p.name, in: p.in };
    if (p.required !== undefined) out.required = p.required;
    if (p.schema !== undefined) out.schema = this.schema(p.schema, `${where}.schema`);
    return out;
  }

  /** Only the application/json schema is read (openapi.ts); other media types keep their key (the accepted types). */
  content(content, where, keepMediaTypes) {
    const out = {};
    for (const [mt, media] of Object.entries(content ?? {})) {
      if (mt === 'application/json') out[mt] = media.schema === undefined ? {} : { schema: this.schema(media.schema, `${where}.${mt}.schema`) };
      else if (keepMediaTypes) out[mt] = {};
    }
    return out;
  }

  response(r, where) {
    if (r.$ref !== undefined) return { $ref: this.ref(r.$ref, `${where}.$ref`) };
    const out = {};
    const content = this.content(r.content, `${where}.content`, false);
    if (Object.keys(content).length > 0) out.content = content;
    return out;
  }

  operation(op, where) {
    const out = {};
    if (op.operationId !== undefined) out.operationId = op.operationId;
    if (op.parameters !== undefined) out.parameters = op.parameters.map((p, i) => this.parameter(p, `${where}.parameters[${i}]`));
    if (op.requestBody !== undefined) {
      const rb = op.requestBody;
      if (rb.$ref !== undefined) fail(`${this.docId}: requestBody $ref at ${where} (openapi.ts does not resolve it)`);
      out.requestBody = { content: this.content(rb.content, `${where}.requestBody.content`, true) };
      if (rb.required !== undefined) out.requestBody.required = rb.required;
    }
    out.responses = mapValues(op.responses ?? {}, (r, status) => this.response(r, `${where}.responses.${status}`));
    if (op.security !== undefined) out.security = op.security;
    if (op['x-atlassian-oauth2-scopes'] !== undefined) out['x-atlassian-oauth2-scopes'] = op['x-atlassian-oauth2-scopes'];
    return out;
  }

  component(ref) {
    const parts = ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (parts.length !== 3) fail(`${this.docId}: unsupported $ref ${ref}`);
    const [, section, name] = parts;
    const node = this.doc.components?.[section]?.[name];
    if (node === undefined) fail(`${this.docId}: $ref ${ref} points at nothing`);
    if (section === 'schemas') return [section, name, this.schema(node, ref)];
    if (section === 'responses') return [section, name, this.response(node, ref)];
    return fail(`${this.docId}: $ref into components.${section} is not supported (${ref})`);
  }

  extract(operations, sourceSha256) {
    const paths = {};
    for (const [method, path] of operations) {
      const item = this.doc.paths?.[path];
      const op = item?.[method.toLowerCase()];
      if (!op) fail(`${DOCUMENTS[this.docId]} has no operation ${method} ${path}`);
      const outItem = (paths[path] ??= {});
      if (item.parameters !== undefined && outItem.parameters === undefined) outItem.parameters = item.parameters.map((p, i) => this.parameter(p, `${path}.parameters[${i}]`));
      outItem[method.toLowerCase()] = this.operation(op, `${method} ${path}`);
    }
    const components = {};
    while (this.queue.length > 0) {
      const [section, name, value] = this.component(this.queue.shift());
      (components[section] ??= {})[name] = value;
    }
    const out = {
      $comment: `Generated by scripts/extract-openapi.mjs from ${DOCUMENTS[this.docId]}; do not edit. Refresh: ${REFRESH}`,
      'x-source': { document: DOCUMENTS[this.docId], sha256: sourceSha256, version: this.doc.info?.version ?? null },
      openapi: this.doc.openapi,
      paths,
      components,
    };
    if (this.doc.security !== undefined) out.security = this.doc.security;
    return out;
  }
}

/** JSON with keys sorted at every level and 2-space indentation (JSON.stringify keeps integer-like keys first). */
function stableStringify(value, indent = '') {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + stableStringify(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${stableStringify(value[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The extracts as { "<id>.json": content } from the documents in specDir. */
function extractAll(specDir) {
  const files = {};
  for (const [docId, file] of Object.entries(DOCUMENTS)) {
    const raw = readFileSync(join(specDir, file));
    const doc = JSON.parse(raw.toString('utf8'));
    const sha = createHash('sha256').update(raw).digest('hex');
    files[`${docId}.json`] = stableStringify(new Extractor(docId, doc).extract(OPERATIONS[docId], sha)) + '\n';
  }
  return files;
}

/** --from, else FAKE_ATLASSIAN_SPEC_DIR, else the nearest shared/atlassian/ above the repository; undefined when none. */
function locateSpecDir(from) {
  const explicit = from ?? process.env.FAKE_ATLASSIAN_SPEC_DIR;
  if (explicit) {
    if (!existsSync(join(explicit, DOCUMENTS['jira-platform']))) fail(`${explicit} does not contain ${DOCUMENTS['jira-platform']}`);
    return resolve(explicit);
  }
  for (let dir = dirname(ROOT); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'atlassian');
    if (existsSync(join(candidate, DOCUMENTS['jira-platform']))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function parseArgs(argv) {
  const args = { from: undefined, out: OUT_DIR, mode: 'write' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from' || a === '--out') {
      const v = argv[++i];
      if (!v) fail(`${a} needs a folder`);
      args[a.slice(2)] = v;
    } else if (a === '--print') args.mode = 'print';
    else if (a === '--locate') args.mode = 'locate';
    else fail(`unknown argument ${a} (usage: extract-openapi.mjs [--from DIR] [--out DIR | --print | --locate])`);
  }
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const specDir = locateSpecDir(args.from);
  if (args.mode === 'locate') {
    if (specDir) process.stdout.write(specDir + '\n');
    return;
  }
  if (!specDir) fail(`no shared/atlassian/${DOCUMENTS['jira-platform']} above ${ROOT}; pass --from DIR or set FAKE_ATLASSIAN_SPEC_DIR`);
  const files = extractAll(specDir);
  if (args.mode === 'print') {
    process.stdout.write(JSON.stringify(files));
    return;
  }
  mkdirSync(args.out, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(args.out, name), content);
    process.stdout.write(`${join(args.out, name)}: ${Buffer.byteLength(content)} bytes\n`);
  }
  process.stdout.write(`from ${specDir}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
