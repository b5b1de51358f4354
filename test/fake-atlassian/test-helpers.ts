/** Small helpers for the fake's own tests (real HTTP with node's fetch; no mocks). */
import type { FakeAtlassian } from '../../src/fake-atlassian/index';

export interface CallResult<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export async function call<T = any>(
  url: string,
  init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  if (init.auth) headers.Authorization = init.auth;
  let body: string | undefined;
  if (init.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

/** GET/POST... on the site URL with the site admin's classic token. */
export function site<T = any>(fake: FakeAtlassian, path: string, init: Parameters<typeof call>[1] = {}): Promise<CallResult<T>> {
  return call<T>(`${fake.siteUrl}${path}`, { auth: fake.credentials.admin.authorization, ...init });
}

/** Same through the gateway with the admin's scoped token. */
export function gw<T = any>(fake: FakeAtlassian, path: string, init: Parameters<typeof call>[1] = {}): Promise<CallResult<T>> {
  return call<T>(`${fake.gatewayUrl}${path}`, { auth: fake.credentials.scoped.authorization, ...init });
}

/** Org admin API with the org API key. */
export function admin<T = any>(fake: FakeAtlassian, path: string, init: Parameters<typeof call>[1] = {}): Promise<CallResult<T>> {
  return call<T>(`${fake.apiUrl}${path}`, { auth: fake.credentials.orgApiKey.authorization, ...init });
}

/** Follow Jira PageBean nextPage links from a first URL; returns all values and the page count. */
export async function followPageBean<T = any>(fake: FakeAtlassian, firstUrl: string, auth?: string): Promise<{ values: T[]; pages: number }> {
  const values: T[] = [];
  let url: string | undefined = firstUrl;
  let pages = 0;
  while (url) {
    const r: CallResult<{ values: T[]; isLast: boolean; nextPage?: string }> = await call(url, { auth: auth ?? fake.credentials.admin.authorization });
    if (r.status !== 200) throw new Error(`${url} -> ${r.status} ${r.text}`);
    values.push(...r.json.values);
    pages++;
    url = r.json.isLast ? undefined : r.json.nextPage;
    if (pages > 10_000) throw new Error('runaway paging');
  }
  return { values, pages };
}

export function expectNoValidationErrors(fake: FakeAtlassian): void {
  if (fake.validationErrors.length > 0) {
    throw new Error(`unexpected OpenAPI validation issues:\n${JSON.stringify(fake.validationErrors.slice(0, 5), null, 2)}`);
  }
}

/** Remove and return the validation issues recorded so far (for tests that break the document on purpose). */
export function takeValidationErrors(fake: FakeAtlassian): FakeAtlassian['validationErrors'] {
  return fake.validationErrors.splice(0, fake.validationErrors.length);
}
