/**
 * The fake Atlassian Cloud HTTP server (node:http, one process, loopback).
 *
 * Pipeline per request: route → stats → faults (latency, reset, rate limit, forced status) →
 * body → authentication (per area) → OpenAPI request validation → scope check → handler →
 * OpenAPI response validation → write (optionally truncated / slow).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ADMIN_ROUTES } from './admin';
import { ADMIN_ROLE_ROUTES } from './admin-role-routes';
import { CredentialStore, adminScopesSatisfied, jiraScopesSatisfied, type FakeCredentials, type Principal } from './auth';
import { NO_PERMS, adminError, jiraError, proxyError, type Area, type Ctx, type Handler, type Reply, type ServerSettings, type ServerState } from './context';
import { FaultController, type FaultPlan, type RequestInfo } from './faults';
import { ADMIN_SCOPES, ALL_ADMIN_SCOPES, HANDWRITTEN_COMPONENTS, HANDWRITTEN_OPERATIONS } from './handwritten';
import { JIRA_ROUTES } from './jira';
import { checkRequest, docLabel, formatAjvErrors, sharedOpenApi, type OpenApiRegistry, type OperationSpec } from './openapi';
import { RequestStats } from './stats';
import { Tenant, type JiraPermissions, type Tier } from './tenant';

export interface FakeAtlassianOptions {
  /** Tenant size (default 'S'). */
  tier?: Tier;
  /** Generator seed (default 1); same seed + tier => byte-identical tenant. */
  seed?: number;
  host?: string;
  /** 0 = random free port (default). */
  port?: number;
  /** The tenant has an Atlassian organization (admin API) (default true). */
  withOrg?: boolean;
  /** OpenAPI validation: 'all' (requests and responses, default), 'requests', or 'off'. */
  validate?: 'all' | 'requests' | 'off';
  /** Use this tenant instead of generating one. */
  tenant?: Tenant;
  // ---- extras (not required by callers) ----
  /** How Jira renders a hidden email: left out (default) or "emailAddress": null. */
  hiddenEmail?: 'absent' | 'null';
  /** Page size of GET /admin/v1/orgs/{orgId}/users (undocumented by Atlassian; default 100). */
  adminV1PageSize?: number;
  /** Status when a credential lacks a scope (default 401 "Unauthorized; scope does not match"). */
  scopeMismatchStatus?: 401 | 403;
  /** Lifetime of OAuth access tokens issued by the token endpoint (default 3600 s). */
  accessTokenTtlSec?: number;
  /** Reject query parameters the document does not list (default true when validating requests). */
  strictQuery?: boolean;
  /** Print every validation issue to stderr as it happens (default: env FAKE_ATLASSIAN_LOG=1). */
  logValidation?: boolean;
  /** Keep a log of every request received (method, raw path and query, auth scheme), at most this many entries between `stats.takeLog()` calls (default 0: off). */
  requestLog?: number;
}

export interface ValidationIssue {
  /** request: the client broke the document (answered 400); response: the fake's reply broke it; route: nothing serves this path. */
  direction: 'request' | 'response' | 'route';
  /** operationId (or the fake's name when the document has none). */
  operation: string;
  /** "METHOD /template" */
  key: string;
  method: string;
  /** Actual request path (with query). */
  url: string;
  status?: number;
  /** Document that defines the operation. */
  document: string;
  problems: string[];
  at: string;
}

export interface ServedEndpoint {
  method: string;
  /** Path template as served ('/rest/api/3/...' paths are also served under /ex/jira/{cloudId} and /rest/api/2). */
  path: string;
  operationId: string;
  area: Area;
  document: string;
}

interface RouteEntry {
  method: string;
  template: string;
  segments: string[];
  params: number;
  area: Area;
  op: OperationSpec;
  key: string;
  handler: Handler;
  anonymousOk: boolean;
}

const MAX_BODY = 10 * 1024 * 1024;
const ISSUE_CAP = 10_000;

let handwrittenRegistered = false;

function registerHandwritten(reg: OpenApiRegistry): void {
  if (handwrittenRegistered) return;
  for (const op of HANDWRITTEN_OPERATIONS) reg.addHandwritten(op, HANDWRITTEN_COMPONENTS);
  handwrittenRegistered = true;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

function adminResetFormat(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + '+0000';
}

export class FakeAtlassianServer {
  readonly reg: OpenApiRegistry;
  readonly tenant: Tenant;
  readonly faults: FaultController;
  readonly stats = new RequestStats();
  readonly validationErrors: ValidationIssue[] = [];
  readonly settings: ServerSettings;
  readonly validate: 'all' | 'requests' | 'off';
  readonly strictQuery: boolean;
  readonly logValidation: boolean;
  creds!: CredentialStore;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly routes = new Map<string, RouteEntry[]>();
  private readonly allRoutes: RouteEntry[] = [];
  private state!: ServerState;
  private reqSeq = 0;
  private readonly accessTokenTtlSec?: number;

  constructor(private readonly opts: FakeAtlassianOptions = {}) {
    this.reg = sharedOpenApi();
    registerHandwritten(this.reg);
    this.tenant = opts.tenant ?? new Tenant({ tier: opts.tier ?? 'S', seed: opts.seed ?? 1, withOrg: opts.withOrg ?? true });
    this.faults = new FaultController(this.tenant.seed);
    this.validate = opts.validate ?? 'all';
    this.strictQuery = opts.strictQuery ?? this.validate !== 'off';
    this.logValidation = opts.logValidation ?? process.env.FAKE_ATLASSIAN_LOG === '1';
    this.settings = { hiddenEmail: opts.hiddenEmail ?? 'absent', adminV1PageSize: opts.adminV1PageSize ?? 100, scopeMismatchStatus: opts.scopeMismatchStatus ?? 401 };
    this.accessTokenTtlSec = opts.accessTokenTtlSec;
    if (opts.requestLog) this.stats.enableLog(opts.requestLog);
    this.buildRoutes();
  }

  private addRoute(method: string, template: string, area: Area, op: OperationSpec, handler: Handler, anonymousOk = false): void {
    const segments = template.split('/').slice(1);
    const entry: RouteEntry = {
      method,
      template,
      segments,
      params: segments.filter((s) => s.startsWith('{')).length,
      area,
      op,
      key: `${method} ${template}`,
      handler,
      anonymousOk,
    };
    const k = `${method} ${segments.length}`;
    const list = this.routes.get(k) ?? [];
    list.push(entry);
    list.sort((a, b) => a.params - b.params);
    this.routes.set(k, list);
    this.allRoutes.push(entry);
  }

  private buildRoutes(): void {
    for (const r of JIRA_ROUTES) {
      const op = this.reg.operation('jira-platform', `/rest/api/3${r.suffix}`, r.method);
      for (const v of ['3', '2']) this.addRoute(r.method, `/rest/api/${v}${r.suffix}`, 'jira', op, r.handler, r.anonymousOk);
    }
    for (const r of [...ADMIN_ROUTES, ...ADMIN_ROLE_ROUTES]) {
      const op = r.doc === 'fake-handwritten' ? this.reg.operation('fake-handwritten', r.docPath, r.method) : this.reg.operation(r.doc, r.docPath, r.method, r.operationId);
      op.adminScopes = ADMIN_SCOPES[op.operationId];
      this.addRoute(r.method, r.path, r.path.startsWith('/users/') ? 'user-management' : 'admin', op, r.handler);
    }
    this.addRoute('POST', '/oauth/token', 'oauth', this.reg.operation('fake-handwritten', '/oauth/token', 'POST'), (ctx) => {
      const r = this.creds.tokenEndpoint((ctx.body ?? {}) as Record<string, unknown>, ctx.req.headers.authorization);
      return { status: r.status, body: r.body, headers: { 'Cache-Control': 'no-store' } };
    });
    this.addRoute('GET', '/oauth/token/accessible-resources', 'oauth', this.reg.operation('fake-handwritten', '/oauth/token/accessible-resources', 'GET'), (ctx) => ({
      status: 200,
      body: [
        {
          id: this.tenant.cloudId,
          url: this.state.siteUrl,
          name: this.tenant.siteName,
          scopes: ctx.principal?.scopes ?? [],
          avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png',
        },
      ],
    }));
    this.addRoute('GET', '/_edge/tenant_info', 'edge', this.reg.operation('fake-handwritten', '/_edge/tenant_info', 'GET'), () => ({ status: 200, body: { cloudId: this.tenant.cloudId } }), true);
  }

  /** Every endpoint served, with the document that validates it. */
  endpoints(): ServedEndpoint[] {
    return this.allRoutes
      .filter((r) => !r.template.startsWith('/rest/api/2/'))
      .map((r) => ({ method: r.method, path: r.template, operationId: r.op.operationId, area: r.area, document: docLabel(r.op.doc) }));
  }

  /** Union of the scopes the fake's Jira operations need (classic + granular). */
  private jiraScopes(): string[] {
    const s = new Set<string>();
    for (const r of this.allRoutes) {
      if (r.area !== 'jira') continue;
      for (const x of r.op.oauthScopes?.classic ?? []) s.add(x);
      for (const x of r.op.oauthScopes?.granular ?? []) s.add(x);
    }
    return Array.from(s).sort();
  }

  async listen(): Promise<ServerState> {
    const host = this.opts.host ?? '127.0.0.1';
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        try {
          if (!res.headersSent) {
            res.writeHead(500, { 'Content-Type': 'application/json;charset=UTF-8' });
            res.end(JSON.stringify({ errorMessages: [`fake-atlassian internal error: ${(err as Error)?.stack ?? String(err)}`], errors: {} }));
          } else res.destroy();
        } catch {
          /* ignore */
        }
      });
    });
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 35_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    const hostForUrl = host.includes(':') ? `[${host}]` : host;
    const siteUrl = `http://${hostForUrl}:${port}`;
    this.creds = new CredentialStore(this.tenant, this.jiraScopes(), ALL_ADMIN_SCOPES, { accessTokenTtlSec: this.accessTokenTtlSec });
    this.state = { tenant: this.tenant, stats: this.stats, creds: this.creds, settings: this.settings, siteUrl, apiUrl: siteUrl, gatewayUrl: `${siteUrl}/ex/jira/${this.tenant.cloudId}` };
    return this.state;
  }

  get credentials(): FakeCredentials {
    return this.creds.view;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      server.closeAllConnections?.();
    });
  }

  private record(issue: Omit<ValidationIssue, 'at'>): void {
    const full: ValidationIssue = { ...issue, at: new Date().toISOString() };
    if (this.validationErrors.length < ISSUE_CAP) this.validationErrors.push(full);
    if (this.logValidation) process.stderr.write(`[fake-atlassian] ${full.direction} mismatch in ${full.operation} (${full.key}) ${full.url}: ${full.problems.join('; ')}\n`);
  }

  private match(method: string, path: string): { route?: RouteEntry; params: Record<string, string>; methodMismatch: boolean; badEncoding?: boolean } {
    const segs = path.split('/').slice(1);
    const tryList = (list: RouteEntry[] | undefined): { route: RouteEntry; params: Record<string, string> } | undefined | 'bad' => {
      if (!list) return undefined;
      for (const r of list) {
        const params: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < segs.length; i++) {
          const t = r.segments[i];
          if (t.charCodeAt(0) === 123 /* { */) {
            if (segs[i] === '') {
              ok = false;
              break;
            }
            try {
              params[t.slice(1, -1)] = decodeURIComponent(segs[i]);
            } catch {
              return 'bad';
            }
          } else if (t !== segs[i]) {
            ok = false;
            break;
          }
        }
        if (ok) return { route: r, params };
      }
      return undefined;
    };
    const hit = tryList(this.routes.get(`${method} ${segs.length}`));
    if (hit === 'bad') return { params: {}, methodMismatch: false, badEncoding: true };
    if (hit) return { route: hit.route, params: hit.params, methodMismatch: false };
    for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      if (m === method) continue;
      const other = tryList(this.routes.get(`${m} ${segs.length}`));
      if (other && other !== 'bad') return { params: {}, methodMismatch: true };
    }
    return { params: {}, methodMismatch: false };
  }

  private async readBody(req: http.IncomingMessage): Promise<string> {
    if (req.method === 'GET' || req.method === 'HEAD') {
      // still drain anything sent
      if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return '';
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) throw new Error('request body too large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private unauthorized(area: Area, gateway: boolean, message: string, status: 401 | 403 | 404 = 401): Reply {
    if (area === 'jira') {
      if (gateway) return proxyError(status, status === 401 ? (message.startsWith('Unauthorized') ? message : 'Unauthorized') : message);
      if (status === 401) return { status: 401, text: 'Client must be authenticated to access this resource.', headers: { 'X-Fake-Atlassian-Reason': message.replace(/[^\x20-\x7e]/g, '?') } };
      return jiraError(status, message);
    }
    if (area === 'user-management') return { status, body: { key: status === 401 ? 'unauthorized' : 'forbidden' } };
    return proxyError(status, message.startsWith('Unauthorized') ? message : 'Unauthorized');
  }

  private permsOf(p: Principal | null): JiraPermissions {
    if (!p?.accountId) return NO_PERMS;
    const base = this.tenant.effectivePermissions(p.accountId);
    return p.cred.permissions ? { ...base, ...p.cred.permissions } : base;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    this.stats.logRequest(method, rawUrl, req.headers.authorization);
    const qi = rawUrl.indexOf('?');
    let path = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const search = qi < 0 ? '' : rawUrl.slice(qi);
    let gateway = false;
    let base = this.state.siteUrl;
    if (path.startsWith('/ex/jira/')) {
      const rest = path.slice('/ex/jira/'.length);
      const slash = rest.indexOf('/');
      const cloud = slash < 0 ? rest : rest.slice(0, slash);
      if (cloud !== this.tenant.cloudId) return this.send(res, undefined, proxyError(404, `Cloud id ${cloud} not found`), {});
      gateway = true;
      base = this.state.gatewayUrl;
      path = slash < 0 ? '/' : rest.slice(slash);
    }
    const m = this.match(method, path);
    if (!m.route) {
      const status = m.methodMismatch ? 405 : m.badEncoding ? 400 : 404;
      const key = `${method} ${path}`;
      this.stats.recordRequest(key, key);
      this.stats.recordStatus(key, key, status);
      if (this.validate !== 'off')
        this.record({
          direction: 'route',
          operation: '(none)',
          key,
          method,
          url: rawUrl,
          status,
          document: '(none)',
          problems: [m.methodMismatch ? `method ${method} is not served for ${path}` : `no endpoint of the fake serves ${method} ${path}`],
        });
      return this.send(res, undefined, jiraError(status, m.methodMismatch ? `Method ${method} is not allowed for ${path}` : `fake-atlassian: no endpoint serves ${method} ${path}`), {});
    }
    const route = m.route;
    const op = route.op;
    if (gateway && route.area !== 'jira') return this.send(res, route, proxyError(404, 'Not Found'), {});
    this.stats.recordRequest(route.key, op.operationId);

    const info: RequestInfo = { key: route.key, operationId: op.operationId, area: route.area, method, path, gateway };
    const plan = this.faults.plan(info);
    if (plan.latencyMs > 0) await new Promise((r) => setTimeout(r, plan.latencyMs));
    if (plan.reset) {
      this.stats.recordStatus(route.key, op.operationId, 'reset');
      req.socket.destroy();
      return;
    }
    if (plan.rateLimited) return this.send(res, route, this.rateLimitedReply(route.area, gateway, plan), plan, true);
    if (plan.status) {
      const s = plan.status;
      const headers: Record<string, string> = {};
      if (s.retryAfterSec !== undefined) headers['Retry-After'] = String(s.retryAfterSec);
      const body =
        s.body ??
        (route.area === 'jira' && !gateway
          ? { errorMessages: [s.code === 503 ? 'Service Unavailable' : `HTTP ${s.code}`], errors: {} }
          : { code: s.code, message: s.code === 503 ? 'Service Unavailable' : `HTTP ${s.code}` });
      return this.send(res, route, { status: s.code, body, headers }, plan, true);
    }

    let rawBody: string;
    try {
      rawBody = await this.readBody(req);
    } catch (e) {
      return this.send(res, route, jiraError(413, (e as Error).message), plan, true);
    }

    // ---- authentication ----
    let principal: Principal | null = null;
    if (route.area === 'jira') {
      const a = this.creds.authenticateJira(req.headers.authorization, gateway);
      if (!a.ok) return this.send(res, route, this.unauthorized('jira', gateway, a.message, a.status), plan, true);
      principal = a.principal;
      if (!principal && (gateway || !op.anonymous || !route.anonymousOk)) return this.send(res, route, this.unauthorized('jira', gateway, 'authentication required'), plan, true);
    } else if (route.area === 'admin' || route.area === 'user-management') {
      const a = this.creds.authenticateOrgKey(req.headers.authorization);
      if (!a.ok) return this.send(res, route, this.unauthorized(route.area, false, a.message), plan, true);
      principal = a.principal;
    } else if (route.template === '/oauth/token/accessible-resources') {
      const a = this.creds.authenticateAccessToken(req.headers.authorization);
      if (!a.ok) return this.send(res, route, proxyError(401, 'Unauthorized'), plan, true);
      principal = a.principal;
    }

    // ---- OpenAPI request validation ----
    const query = new URLSearchParams(search);
    const checked = checkRequest(this.reg, op, { query, pathParams: m.params, rawBody, contentType: req.headers['content-type'] }, this.strictQuery);
    if (checked.problems.length > 0 && this.validate !== 'off') {
      this.record({ direction: 'request', operation: op.operationId, key: route.key, method, url: rawUrl, status: 400, document: docLabel(op.doc), problems: checked.problems });
      const detail = `fake-atlassian: request does not match ${docLabel(op.doc)} for ${op.operationId} (${method} ${op.docPath}): ${checked.problems.join('; ')}`;
      let reply: Reply;
      if (route.area === 'jira') reply = jiraError(400, detail);
      else if (route.area === 'admin')
        reply = adminError(400, checked.problems.some((p) => p.startsWith('body') || p.includes('request body')) ? 'ADMIN-400-24' : 'ADMIN-400-4', 'Bad request', detail);
      else if (route.area === 'user-management') reply = { status: 400, body: { key: 'bodyParseFailure', message: detail } };
      else if (route.area === 'oauth') reply = { status: 400, body: { error: 'invalid_request', error_description: detail } };
      else reply = { status: 400, text: detail };
      reply.headers = { ...reply.headers, 'X-Fake-Atlassian-Validation': 'request' };
      return this.send(res, route, reply, plan, true);
    }

    // ---- scopes ----
    if (principal && route.area === 'jira' && !jiraScopesSatisfied(principal.scopes, op.oauthScopes)) {
      const st = this.settings.scopeMismatchStatus;
      return this.send(res, route, gateway ? proxyError(st, 'Unauthorized; scope does not match') : jiraError(st, 'Unauthorized; scope does not match'), plan, true);
    }
    if (principal && (route.area === 'admin' || route.area === 'user-management') && !adminScopesSatisfied(principal.scopes, op.adminScopes)) {
      return this.send(res, route, route.area === 'admin' ? proxyError(401, 'Unauthorized; scope does not match') : { status: 401, body: { key: 'unauthorized' } }, plan, true);
    }

    const ctx: Ctx = {
      s: this.state,
      req,
      op,
      area: route.area,
      gateway,
      base,
      path,
      selfUrl: `${base}${path}${search}`,
      rawQuery: query,
      q: checked.query,
      params: m.params,
      body: checked.body,
      principal,
      perms: route.area === 'jira' ? this.permsOf(principal) : NO_PERMS,
    };
    const reply = await route.handler(ctx);
    if (plan.rateHeaders) {
      reply.headers = { ...reply.headers, 'X-RateLimit-Limit': String(plan.rateHeaders.limit), 'X-RateLimit-Remaining': String(plan.rateHeaders.remaining) };
    }
    return this.send(res, route, reply, plan, false, rawUrl);
  }

  private rateLimitedReply(area: Area, gateway: boolean, plan: FaultPlan): Reply {
    const rl = plan.rateLimited as NonNullable<FaultPlan['rateLimited']>;
    const resetAt = Date.now() + rl.retryAfterSec * 1000;
    if (area === 'admin' || area === 'user-management') {
      return {
        status: 429,
        body: { code: 429, message: 'Rate limit exceeded' },
        headers: { 'Retry-After': String(rl.retryAfterSec), 'X-Ratelimit-Reset': adminResetFormat(resetAt), 'X-Ratelimit-Limit': String(rl.limit), 'X-Ratelimit-Remaining': '0' },
      };
    }
    const headers = {
      'Retry-After': String(rl.retryAfterSec),
      'X-RateLimit-Limit': String(rl.limit),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': isoMinute(resetAt),
      'RateLimit-Reason': rl.reason,
    };
    if (gateway) return { status: 429, body: { code: 429, message: 'Rate limit exceeded' }, headers };
    return { status: 429, body: { errorMessages: ['Rate limit exceeded.'], errors: {} }, headers };
  }

  private send(res: http.ServerResponse, route: RouteEntry | undefined, reply: Reply, plan: Partial<FaultPlan>, injected = false, rawUrl?: string): void {
    const op = route?.op;
    const headers: Record<string, string> = { 'X-AREQUESTID': `fake-${++this.reqSeq}`, ...reply.headers };
    let payload: Buffer | undefined;
    if (reply.text !== undefined) {
      headers['Content-Type'] = 'text/plain;charset=UTF-8';
      payload = Buffer.from(reply.text);
    } else if (reply.body !== undefined) {
      headers['Content-Type'] = 'application/json;charset=UTF-8';
      if (op && !injected && this.validate === 'all') {
        const problems: string[] = [];
        const v = this.reg.responseValidator(op, reply.status);
        if (v && !v(reply.body)) problems.push(...formatAjvErrors(v.errors, 'response'));
        if (!this.reg.isDocumentedStatus(op, reply.status) && ![401, 429, 500, 502, 503, 504].includes(reply.status)) problems.push(`status ${reply.status} is not documented for this operation`);
        if (problems.length > 0) {
          headers['X-Fake-Atlassian-Validation'] = 'response';
          this.record({
            direction: 'response',
            operation: op.operationId,
            key: (route as RouteEntry).key,
            method: op.method,
            url: rawUrl ?? '',
            status: reply.status,
            document: docLabel(op.doc),
            problems,
          });
        }
      }
      payload = Buffer.from(JSON.stringify(reply.body));
    } else if (op && !injected && this.validate === 'all' && !this.reg.isDocumentedStatus(op, reply.status)) {
      this.record({
        direction: 'response',
        operation: op.operationId,
        key: (route as RouteEntry).key,
        method: op.method,
        url: rawUrl ?? '',
        status: reply.status,
        document: docLabel(op.doc),
        problems: [`status ${reply.status} is not documented for this operation`],
      });
    }
    if (route) this.stats.recordStatus(route.key, route.op.operationId, reply.status);

    const truncate = plan.truncate;
    const slow = plan.slowBody;
    if (!payload || payload.length === 0) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    if (truncate) {
      const cut = Math.max(1, Math.min(payload.length - 1, Math.floor(payload.length * truncate.fraction)));
      if (truncate.mode === 'destroy') {
        headers['Content-Length'] = String(payload.length);
        res.writeHead(reply.status, headers);
        res.write(payload.subarray(0, cut), () => res.destroy());
      } else {
        res.writeHead(reply.status, headers);
        res.end(payload.subarray(0, cut));
      }
      return;
    }
    if (slow) {
      res.writeHead(reply.status, headers);
      let off = 0;
      const step = (): void => {
        if (res.destroyed) return;
        const chunk = payload.subarray(off, off + slow.chunkBytes);
        off += chunk.length;
        if (off >= payload.length) res.end(chunk);
        else res.write(chunk, () => setTimeout(step, slow.delayMs));
      };
      step();
      return;
    }
    headers['Content-Length'] = String(payload.length);
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}
