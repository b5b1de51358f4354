/**
 * The schema extracts the fake validates against (src/fake-atlassian/schemas/*.json, made by
 * scripts/extract-openapi.mjs): they hold exactly the operations the fake serves, no prose, and
 * when Atlassian's documents are beside the repository (../shared/atlassian/), they are exactly
 * what the script makes from them and validate exactly like the full documents.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADMIN_ROUTES } from '../../src/fake-atlassian/admin';
import { documentedScopes } from '../../src/fake-atlassian/index';
import { JIRA_ROUTES } from '../../src/fake-atlassian/jira';
import { DOC_FILES, OpenApiRegistry, schemasDir, type DocId, type OperationSpec } from '../../src/fake-atlassian/openapi';

type Json = Record<string, unknown>;
const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'extract-openapi.mjs');
const SCHEMAS = path.join(ROOT, 'src', 'fake-atlassian', 'schemas');
const REFRESH = 'npm run extract-openapi';
const DOCS = Object.keys(DOC_FILES) as Array<Exclude<DocId, 'fake-handwritten'>>;

function script(...args: string[]): string {
  return execFileSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The folder the script reads (FAKE_ATLASSIAN_SPEC_DIR, else the nearest shared/atlassian/ above the repo), if any. */
const specDir = script('--locate').trim() || undefined;

function committed(docId: string): Json {
  return JSON.parse(fs.readFileSync(path.join(SCHEMAS, `${docId}.json`), 'utf8')) as Json;
}

/** "doc METHOD path" of every operation in the extracts. */
function extractOperations(): string[] {
  const out: string[] = [];
  for (const docId of DOCS) {
    for (const [p, item] of Object.entries(committed(docId).paths as Record<string, Json>)) {
      for (const m of Object.keys(item)) if (m !== 'parameters') out.push(`${docId} ${m.toUpperCase()} ${p}`);
    }
  }
  return out.sort();
}

const ANNOTATIONS = new Set(['description', 'summary', 'example', 'examples', 'title', 'externalDocs', 'deprecated', 'xml', '$comment']);

/** Drops annotations from a schema-ish tree; the keys of a properties map are names (kept), their values schemas. */
function stripAnnotations(node: unknown, namesMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => stripAnnotations(n));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (namesMap) out[k] = stripAnnotations(v);
    else if (ANNOTATIONS.has(k) || k.startsWith('x-')) continue;
    else if (['enum', 'const', 'default', 'required'].includes(k)) out[k] = v;
    else out[k] = stripAnnotations(v, k === 'properties' || k === 'patternProperties');
  }
  return out;
}

/** Every annotation key found where it annotates (the keys of a properties map are names, not annotations). */
function annotationsIn(node: unknown, at: string, namesMap = false, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n, i) => annotationsIn(n, `${at}[${i}]`, false, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Json)) {
      if (!namesMap && (ANNOTATIONS.has(k) || (k.startsWith('x-') && k !== 'x-atlassian-oauth2-scopes' && k !== 'x-source'))) found.push(`${at}.${k}`);
      if (!namesMap && ['enum', 'const', 'default', 'required'].includes(k)) continue;
      annotationsIn(v, `${at}.${k}`, !namesMap && (k === 'properties' || k === 'patternProperties'), found);
    }
  }
  return found;
}

describe('the committed extracts', () => {
  test('are found where the fake looks for them', () => {
    expect(schemasDir()).toBe(SCHEMAS);
  });

  test('hold exactly the documented operations the fake serves (JIRA_ROUTES, ADMIN_ROUTES)', () => {
    const served = [
      ...JIRA_ROUTES.map((r) => `jira-platform ${r.method} /rest/api/3${r.suffix}`),
      ...ADMIN_ROUTES.filter((r) => r.doc !== 'fake-handwritten').map((r) => `${r.doc} ${r.method} ${r.docPath}`),
    ].sort();
    expect(served.length).toBeGreaterThan(30);
    // A route added to the fake needs its operation in OPERATIONS (scripts/extract-openapi.mjs) and a refresh: npm run extract-openapi
    expect(extractOperations()).toEqual(served);
  });

  test('carry no prose, but keep properties named like annotations (Project.description)', () => {
    for (const docId of DOCS) {
      const doc = committed(docId);
      const { $comment: _comment, ...rest } = doc;
      expect(annotationsIn(rest, docId)).toEqual([]);
    }
    const project = (committed('jira-platform').components as Json).schemas as Record<string, Json>;
    expect(Object.keys(project.Project.properties as Json)).toContain('description');
    expect((project.Project.properties as Record<string, Json>).description).toEqual({ readOnly: true, type: 'string' });
  });

  test("keep each Jira operation's OAuth scopes, read through documentedScopes()", () => {
    expect(documentedScopes('GET', '/rest/api/3/users/search')).toEqual({
      classic: ['read:jira-user'],
      granular: expect.arrayContaining(['read:user:jira', 'read:avatar:jira']) as unknown as string[],
    });
    expect(documentedScopes('POST', '/rest/api/3/project/{projectIdOrKey}/role/{id}')?.classic).toEqual(['manage:jira-configuration']);
    const withScopes = JIRA_ROUTES.filter((r) => (documentedScopes(r.method, `/rest/api/3${r.suffix}`)?.classic.length ?? 0) > 0);
    // serverInfo needs none; permissions/check lists no classic scope (only granular read:permission:jira)
    expect(withScopes.map((r) => r.suffix)).toEqual(JIRA_ROUTES.filter((r) => r.suffix !== '/serverInfo' && r.suffix !== '/permissions/check').map((r) => r.suffix));
    expect(() => documentedScopes('GET', '/rest/api/3/dashboard')).toThrow(/has no operation GET \/rest\/api\/3\/dashboard.*npm run extract-openapi/);
  });
});

const withDocuments = specDir ? describe : describe.skip;
const title = specDir
  ? `against Atlassian's documents in ${specDir}`
  : "SKIPPED (no ../shared/atlassian beside the repository, set FAKE_ATLASSIAN_SPEC_DIR to check): the extracts against Atlassian's documents";

withDocuments(title, () => {
  test(`are up to date (refresh: ${REFRESH})`, () => {
    const fresh = JSON.parse(script('--print', '--from', specDir as string)) as Record<string, string>;
    const onDisk = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'));
    const problems: string[] = [];
    for (const f of new Set([...Object.keys(fresh), ...onDisk])) {
      const want = fresh[f];
      const have = onDisk.includes(f) ? fs.readFileSync(path.join(SCHEMAS, f), 'utf8') : undefined;
      if (want === undefined) problems.push(`src/fake-atlassian/schemas/${f} is not made by the script (remove it)`);
      else if (have === undefined) problems.push(`src/fake-atlassian/schemas/${f} is missing`);
      else if (have !== want) {
        const a = have.split('\n');
        const b = want.split('\n');
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        problems.push(`src/fake-atlassian/schemas/${f} is stale at line ${i + 1}: committed ${JSON.stringify(a[i])}, fresh ${JSON.stringify(b[i])}`);
      }
    }
    if (problems.length > 0) throw new Error(`${problems.join('\n')}\nRefresh with: ${REFRESH} (reads ${specDir})`);
  });

  test('validate exactly like the full documents (every served operation: parameters, body, responses, scopes)', () => {
    // A registry over the full documents (linked under the extract names) against one over the extracts.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-openapi-full-'));
    try {
      for (const d of DOCS) fs.symlinkSync(path.join(specDir as string, DOC_FILES[d]), path.join(tmp, `${d}.json`));
      const full = new OpenApiRegistry(tmp);
      const extract = new OpenApiRegistry();
      const ops: Array<[DocId, string, string, string | undefined]> = [
        ...JIRA_ROUTES.map((r): [DocId, string, string, undefined] => ['jira-platform', `/rest/api/3${r.suffix}`, r.method, undefined]),
        ...ADMIN_ROUTES.filter((r) => r.doc !== 'fake-handwritten').map((r): [DocId, string, string, string | undefined] => [r.doc, r.docPath, r.method, r.operationId]),
      ];
      const differing: string[] = [];
      for (const [doc, p, m, id] of ops) {
        const a = JSON.stringify(stripAnnotations(canonical(full, full.operation(doc, p, m, id))));
        const b = JSON.stringify(canonical(extract, extract.operation(doc, p, m, id)));
        if (a !== b) differing.push(`${doc} ${m} ${p}`);
      }
      expect(differing).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** The schema a rebased $ref ("<docId>#/components/<section>/<name>") points at in the registry. */
function resolveRef(reg: OpenApiRegistry, ref: string): unknown {
  const [id, pointer] = ref.split('#');
  let node: unknown = reg.ajv.getSchema(id)?.schema;
  for (const seg of pointer.split('/').slice(1)) node = (node as Json | undefined)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node;
}

/** An operation as the fake uses it, keys sorted, every $ref inlined (recursion cut at the first repeat on a branch). */
function canonical(reg: OpenApiRegistry, op: OperationSpec): unknown {
  const inline = (node: unknown, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => inline(n, stack));
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
      if (k === '$ref' && typeof v === 'string') {
        const target = resolveRef(reg, v);
        out.$ref = stack.includes(v) ? v : inline(target, [...stack, v]);
      } else out[k] = inline(v, stack);
    }
    return out;
  };
  return inline(
    {
      operationId: op.operationId,
      synthesized: op.operationIdSynthesized,
      anonymous: op.anonymous,
      scopes: op.oauthScopes ?? null,
      params: op.params.map((p) => ({ name: p.name, in: p.in, required: p.required, isArray: p.isArray, itemType: p.itemType ?? null, schema: p.schema })),
      body: op.body ? { required: op.body.required, mediaTypes: op.body.mediaTypes, schema: op.body.schema ?? null } : null,
      responses: Object.fromEntries(Object.entries(op.responses).map(([s, r]) => [s, r?.schema ?? null])),
    },
    [],
  );
}
