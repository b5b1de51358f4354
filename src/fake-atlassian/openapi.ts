/**
 * OpenAPI validation against Atlassian's own documents, as committed extracts in ./schemas/ (one JSON file per
 * document, made by scripts/extract-openapi.mjs from Atlassian's documents: the operations the fake serves and the
 * components they reference, prose stripped). Nothing here reads outside the repository.
 *
 * - Extracts are loaded once per process and shared by every fake instance.
 * - Each document's `components` is registered in one Ajv instance under the document's name;
 *   operation schemas are "rebased" so their internal `#/components/...` $refs resolve there.
 * - Validators are compiled lazily, once per (operation, parameter | body | status), and cached.
 * - A few document defects are patched at load time; every patch is listed in DOC_PATCHES (and in
 *   README.md) so the deviation is visible. The extracts themselves are never edited.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export type DocId = 'jira-platform' | 'admin-organization' | 'admin-user-management' | 'fake-handwritten';

/** Atlassian's document behind each extract (`schemas/<id>.json`). */
export const DOC_FILES: Record<Exclude<DocId, 'fake-handwritten'>, string> = {
  'jira-platform': 'jira-platform.openapi.json',
  'admin-organization': 'admin-organization.openapi.json',
  'admin-user-management': 'admin-user-management.openapi.json',
};

/** Human-readable name of the document that validates an operation. */
export function docLabel(doc: DocId): string {
  return doc === 'fake-handwritten' ? 'hand-written schema (atlassian-api.md §3/§4)' : DOC_FILES[doc];
}

/**
 * Patches applied to Atlassian's documents before compiling (each one is a documented deviation, listed in README.md).
 * @public
 */
export const DOC_PATCHES: ReadonlyArray<{ doc: DocId; where: string; why: string }> = [
  {
    doc: 'admin-user-management',
    where: 'components.schemas.AccountId.pattern',
    why: 'the pattern ends with a literal newline ("[a-zA-Z0-9_|:-]{1,128}\\n") so no real account id could match; the trailing newline is dropped and the pattern anchored',
  },
  {
    doc: 'jira-platform',
    where: 'components.schemas.User.emailAddress, UserDetails.emailAddress',
    why: 'the prose says the field "may be returned as null" when hidden; made nullable so the fake can return null (option hiddenEmail: "null")',
  },
  {
    doc: 'jira-platform',
    where: 'GET /rest/api/3/project/search parameter maxResults.maximum (100)',
    why: 'Jira silently clamps maxResults above 100 to 100 (atlassian-api.md §1.2); the fake accepts larger values and clamps, instead of rejecting them',
  },
  {
    doc: 'jira-platform',
    where: 'components.schemas.AuditRecordBean.authorAccountId',
    why: "Atlassian's own example of GET /auditing/record returns authorAccountId (authorKey is deprecated for it), but the schema (additionalProperties: false) leaves it out; added as a string",
  },
  { doc: 'admin-organization', where: 'components.schemas.QueryVariants (nullable without type)', why: 'rewritten as anyOf [null, ...] so Ajv can compile it' },
];

export interface ParamSpec {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  schema: Record<string, unknown>;
  isArray: boolean;
  itemType: string | undefined;
  validate?: ValidateFunction;
}

export interface OperationSpec {
  doc: DocId;
  docPath: string;
  method: string;
  operationId: string;
  /** true when the document has no operationId and the fake named the operation. */
  operationIdSynthesized: boolean;
  params: ParamSpec[];
  body?: { required: boolean; mediaTypes: string[]; schema?: Record<string, unknown> };
  responses: Record<string, { schema?: Record<string, unknown> } | undefined>;
  /** From x-atlassian-oauth2-scopes: classic ("Current") and granular ("Beta") scopes. */
  oauthScopes?: { classic: string[]; granular: string[] };
  /** security allows an empty requirement ({}): the operation can be called anonymously. */
  anonymous: boolean;
  /** Scopes for admin-API operations (hand mapping, see handwritten.ts). */
  adminScopes?: string[];
}

type Json = Record<string, unknown>;

/**
 * The folder holding the committed extracts: ./schemas next to this module (ts-jest runs src/; the container image
 * copies them next to the compiled code), else, when running compiled from <repo>/dist/src/fake-atlassian/, the
 * repository's src/fake-atlassian/schemas (tsc does not copy JSON that no module imports). Never anywhere else.
 */
export function schemasDir(): string {
  const tried = [path.join(__dirname, 'schemas')];
  const compiled = path.join('dist', 'src', 'fake-atlassian');
  if (__dirname.endsWith(path.sep + compiled)) tried.push(path.join(__dirname.slice(0, -compiled.length), 'src', 'fake-atlassian', 'schemas'));
  for (const dir of tried) if (fs.existsSync(path.join(dir, 'jira-platform.json'))) return dir;
  throw new Error(`fake-atlassian: the OpenAPI schema extracts are missing (looked in ${tried.join(', ')}); they are committed under src/fake-atlassian/schemas`);
}

function rebase(node: unknown, docId: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rebase(n, docId));
  if (node && typeof node === 'object') {
    const src = node as Json;
    const out: Json = {};
    for (const [k, v] of Object.entries(src)) {
      // The extracts carry no annotations: a key named description or example here is a property name, kept as is.
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = `${docId}${v}`;
      else out[k] = rebase(v, docId);
    }
    if (out.nullable === true && out.type === undefined) {
      delete out.nullable;
      return { anyOf: [{ type: 'null' }, out] };
    }
    return out;
  }
  return node;
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[k];
  }
  return cur;
}

function applyPatches(docId: DocId, doc: Json): void {
  if (docId === 'admin-user-management') {
    const acc = get(doc, 'components', 'schemas', 'AccountId') as Json | undefined;
    if (acc && typeof acc.pattern === 'string') acc.pattern = '^' + acc.pattern.replace(/\n$/, '') + '$';
  }
  if (docId === 'jira-platform') {
    for (const s of ['User', 'UserDetails']) {
      const prop = get(doc, 'components', 'schemas', s, 'properties', 'emailAddress') as Json | undefined;
      if (prop) prop.nullable = true;
    }
    const params = get(doc, 'paths', '/rest/api/3/project/search', 'get', 'parameters') as Json[] | undefined;
    for (const p of params ?? []) if (p.name === 'maxResults') delete (p.schema as Json).maximum;
    const audit = get(doc, 'components', 'schemas', 'AuditRecordBean', 'properties') as Json | undefined;
    if (audit && !audit.authorAccountId) audit.authorAccountId = { type: 'string', readOnly: true };
  }
}

export class OpenApiRegistry {
  readonly ajv: Ajv;
  private readonly docs = new Map<DocId, Json>();
  private readonly ops = new Map<string, OperationSpec>();
  private readonly responseValidators = new Map<string, ValidateFunction | null>();
  private readonly bodyValidators = new Map<string, ValidateFunction | null>();

  constructor(readonly schemaDir: string = schemasDir()) {
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: true });
    // 'fast' format regexes (e.g. uri: scheme + no whitespace) instead of the full RFC 3986 ones,
    // which cost ~15% of the server's CPU on big pages of self/avatar links.
    addFormats(this.ajv, { mode: 'fast' });
    for (const id of Object.keys(DOC_FILES) as DocId[]) {
      const doc = JSON.parse(fs.readFileSync(path.join(schemaDir, `${id}.json`), 'utf8')) as Json;
      applyPatches(id, doc);
      this.docs.set(id, doc);
      this.ajv.addSchema({ $id: id, components: rebase(doc.components ?? {}, id) } as Json);
    }
  }

  /** Register hand-written operations (not in Atlassian's documents). */
  addHandwritten(spec: OperationSpec, components?: Json): void {
    if (components && !this.ajv.getSchema('fake-handwritten')) this.ajv.addSchema({ $id: 'fake-handwritten', components } as Json);
    this.ops.set(this.key('fake-handwritten', spec.docPath, spec.method), spec);
  }

  private key(doc: DocId, docPath: string, method: string): string {
    return `${doc} ${method.toUpperCase()} ${docPath}`;
  }

  has(doc: DocId, docPath: string, method: string): boolean {
    if (doc === 'fake-handwritten') return this.ops.has(this.key(doc, docPath, method));
    return !!get(this.docs.get(doc), 'paths', docPath, method.toLowerCase());
  }

  /** The documented operation (throws when the document does not have it). */
  operation(doc: DocId, docPath: string, method: string, fallbackOperationId?: string): OperationSpec {
    const k = this.key(doc, docPath, method);
    const cached = this.ops.get(k);
    if (cached) return cached;
    if (doc === 'fake-handwritten') throw new Error(`no hand-written operation ${k}`);
    const d = this.docs.get(doc) as Json;
    const pathItem = get(d, 'paths', docPath) as Json | undefined;
    const op = pathItem?.[method.toLowerCase()] as Json | undefined;
    if (!op)
      throw new Error(
        `fake-atlassian: schemas/${doc}.json (from ${DOC_FILES[doc]}) has no operation ${method.toUpperCase()} ${docPath}; list it in OPERATIONS in scripts/extract-openapi.mjs and run npm run extract-openapi`,
      );
    const rawParams = [...((pathItem?.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])];
    const params: ParamSpec[] = rawParams.map((p) => {
      const schema = rebase(p.schema ?? { type: 'string' }, doc) as Json;
      const isArray = schema.type === 'array';
      return {
        name: String(p.name),
        in: p.in as ParamSpec['in'],
        required: p.required === true || p.in === 'path',
        schema,
        isArray,
        itemType: isArray ? ((schema.items as Json | undefined)?.type as string | undefined) : (schema.type as string | undefined),
      };
    });
    let body: OperationSpec['body'];
    const rb = op.requestBody as Json | undefined;
    if (rb) {
      const content = (rb.content ?? {}) as Json;
      const json = content['application/json'] as Json | undefined;
      body = { required: rb.required === true, mediaTypes: Object.keys(content), schema: json?.schema ? (rebase(json.schema, doc) as Json) : undefined };
    }
    const responses: OperationSpec['responses'] = {};
    for (const [status, rawResp] of Object.entries((op.responses ?? {}) as Json)) {
      let resp = rawResp as Json;
      if (typeof resp.$ref === 'string') resp = get(d, ...resp.$ref.slice(2).split('/')) as Json;
      const schema = get(resp, 'content', 'application/json', 'schema');
      responses[status] = { schema: schema ? (rebase(schema, doc) as Json) : undefined };
    }
    let oauthScopes: OperationSpec['oauthScopes'];
    const xs = op['x-atlassian-oauth2-scopes'] as Array<{ scopes: string[]; state: string }> | undefined;
    if (xs) {
      oauthScopes = { classic: xs.find((s) => s.state === 'Current')?.scopes ?? [], granular: xs.find((s) => s.state === 'Beta')?.scopes ?? [] };
    }
    const security = (op.security ?? d.security) as Json[] | undefined;
    const spec: OperationSpec = {
      doc,
      docPath,
      method: method.toUpperCase(),
      operationId: (op.operationId as string | undefined) ?? fallbackOperationId ?? `${method.toLowerCase()} ${docPath}`,
      operationIdSynthesized: !op.operationId,
      params,
      body,
      responses,
      oauthScopes,
      anonymous: Array.isArray(security) && security.some((s) => Object.keys(s).length === 0),
    };
    this.ops.set(k, spec);
    return spec;
  }

  /** Validator for a parameter value (after coercion from the query string). */
  paramValidator(op: OperationSpec, p: ParamSpec): ValidateFunction {
    if (!p.validate) p.validate = this.ajv.compile(p.schema);
    return p.validate;
  }

  bodyValidator(op: OperationSpec): ValidateFunction | null {
    const k = `${op.doc} ${op.method} ${op.docPath}`;
    let v = this.bodyValidators.get(k);
    if (v === undefined) {
      v = op.body?.schema ? this.ajv.compile(op.body.schema) : null;
      this.bodyValidators.set(k, v);
    }
    return v;
  }

  /** Validator for the JSON body of a response status, or null when the document gives no schema. */
  responseValidator(op: OperationSpec, status: number): ValidateFunction | null {
    const k = `${op.doc} ${op.method} ${op.docPath} ${status}`;
    let v = this.responseValidators.get(k);
    if (v === undefined) {
      const r = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
      v = r?.schema ? this.ajv.compile(r.schema) : null;
      this.responseValidators.set(k, v);
    }
    return v;
  }

  isDocumentedStatus(op: OperationSpec, status: number): boolean {
    return String(status) in op.responses || `${String(status)[0]}XX` in op.responses || 'default' in op.responses;
  }
}

let sharedRegistry: OpenApiRegistry | undefined;

/** One registry per process (documents parsed and validators compiled once). */
export function sharedOpenApi(): OpenApiRegistry {
  if (!sharedRegistry) sharedRegistry = new OpenApiRegistry();
  return sharedRegistry;
}

/**
 * The OAuth scopes Atlassian documents for one Jira operation (`x-atlassian-oauth2-scopes`: classic "Current" and
 * granular "Beta"), by method and documented path ('/rest/api/3/...'); undefined when the document lists none.
 * Throws for an operation the fake does not serve (the extract has only those).
 */
export function documentedScopes(method: string, docPath: string): OperationSpec['oauthScopes'] {
  return sharedOpenApi().operation('jira-platform', docPath, method).oauthScopes;
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined, prefix: string): string[] {
  if (!errors) return [];
  return errors.slice(0, 8).map((e) => {
    const where = `${prefix}${e.instancePath || ''}`;
    const extra =
      e.keyword === 'additionalProperties'
        ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
        : e.keyword === 'enum'
          ? ` ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`
          : '';
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
}

/** Coerce one query/path string to the parameter's declared type; returns an error string on mismatch. */
export function coerceScalar(raw: string, type: string | undefined): { value?: unknown; error?: string } {
  switch (type) {
    case 'integer':
      if (!/^-?\d+$/.test(raw)) return { error: `must be an integer, got ${JSON.stringify(raw)}` };
      return { value: Number(raw) };
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) return { error: `must be a number, got ${JSON.stringify(raw)}` };
      return { value: n };
    }
    case 'boolean':
      if (raw === 'true') return { value: true };
      if (raw === 'false') return { value: false };
      return { error: `must be true or false, got ${JSON.stringify(raw)}` };
    default:
      return { value: raw };
  }
}

export interface RequestCheckInput {
  query: URLSearchParams;
  pathParams: Record<string, string>;
  rawBody: string;
  contentType: string | undefined;
  /** Query parameter names the fake tolerates even if undocumented (none by default). */
  tolerate?: ReadonlySet<string>;
}

export interface RequestCheckResult {
  problems: string[];
  query: Record<string, unknown>;
  path: Record<string, unknown>;
  body: unknown;
  bodyParsed: boolean;
}

/** Check a request against its operation; coerces query/path values and parses the JSON body. */
export function checkRequest(reg: OpenApiRegistry, op: OperationSpec, input: RequestCheckInput, strictQuery: boolean): RequestCheckResult {
  const problems: string[] = [];
  const query: Record<string, unknown> = {};
  const pathValues: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const p of op.params) {
    if (p.in === 'header') continue;
    if (p.in === 'query') known.add(p.name);
    let values: string[];
    if (p.in === 'path') values = p.name in input.pathParams ? [input.pathParams[p.name]] : [];
    else values = input.query.getAll(p.name);
    if (values.length === 0) {
      if (p.required) problems.push(`${p.in} parameter '${p.name}' is required`);
      continue;
    }
    let value: unknown;
    if (p.isArray) {
      const arr: unknown[] = [];
      for (const raw of values) {
        const c = coerceScalar(raw, p.itemType);
        if (c.error) problems.push(`${p.in} parameter '${p.name}' item ${c.error}`);
        else arr.push(c.value);
      }
      value = arr;
    } else {
      if (values.length > 1) problems.push(`${p.in} parameter '${p.name}' is given ${values.length} times but is not an array`);
      const c = coerceScalar(values[0], p.itemType);
      if (c.error) {
        problems.push(`${p.in} parameter '${p.name}' ${c.error}`);
        continue;
      }
      value = c.value;
    }
    const v = reg.paramValidator(op, p);
    if (!v(value)) problems.push(...formatAjvErrors(v.errors, `${p.in} parameter '${p.name}'`));
    if (p.in === 'path') pathValues[p.name] = value;
    else query[p.name] = value;
  }
  if (strictQuery) {
    for (const name of new Set(input.query.keys())) {
      if (!known.has(name) && !input.tolerate?.has(name)) problems.push(`query parameter '${name}' is not documented for this operation`);
    }
  }
  let body: unknown;
  let bodyParsed = false;
  const hasBody = input.rawBody.length > 0;
  if (!op.body) {
    if (hasBody) problems.push('the operation takes no request body');
  } else if (!hasBody) {
    if (op.body.required) problems.push('request body is required');
  } else {
    const ct = (input.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!op.body.mediaTypes.includes(ct)) problems.push(`request content-type '${ct || '(none)'}' is not one of ${op.body.mediaTypes.join(', ')}`);
    else if (ct === 'application/x-www-form-urlencoded') {
      body = Object.fromEntries(new URLSearchParams(input.rawBody));
      bodyParsed = true;
      const v = reg.bodyValidator(op);
      if (v && !v(body)) problems.push(...formatAjvErrors(v.errors, 'body'));
    } else if (ct === 'application/json') {
      try {
        body = JSON.parse(input.rawBody);
        bodyParsed = true;
      } catch {
        problems.push('request body is not valid JSON');
      }
      if (bodyParsed) {
        const v = reg.bodyValidator(op);
        if (v && !v(body)) problems.push(...formatAjvErrors(v.errors, 'body'));
      }
    }
  }
  return { problems, query, path: pathValues, body, bodyParsed };
}
