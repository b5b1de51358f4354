/**
 * OAuth 2.0 access tokens from https://auth.atlassian.com/oauth/token (cfg.authUrl):
 *  - client credentials (service-account OAuth credential): no refresh token, ask again;
 *  - refresh token (3LO with offline_access): Atlassian rotates the refresh token on every use,
 *    so the newest one is kept in memory and, when jira-oauth-refresh-token-file is set, written
 *    back atomically (temp file + rename, mode 0600) before the new access token is used.
 *
 * The access token is cached and refreshed before it expires (skew: 10% of its lifetime, at most
 * 60 s); concurrent callers share one refresh in flight. A 401 from Jira drops the cached token so
 * the next attempt fetches a fresh one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConnectorError } from '../../errors';
import { log, registerSecret } from '../../log';
import type { AuthProvider, RequestContext, StatsCollector, Upstream } from '../http';
import { TokenResponseSchema } from '../schemas';
import { AbortedError, Clock, systemClock } from '../limiter';

export interface ClientCredentialsGrant {
  kind: 'client_credentials';
  clientId: string;
  clientSecret: string;
}

export interface RefreshTokenGrant {
  kind: 'refresh_token';
  clientId: string;
  clientSecret: string;
  /** from configuration; may be stale when the file holds a newer one */
  refreshToken?: string;
  refreshTokenFile?: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
  lifetimeMs: number;
}

export class OAuthTokenSource implements AuthProvider {
  private cached?: CachedToken;
  private inflight?: Promise<CachedToken>;
  /** current refresh token (3LO); undefined until loaded */
  private refreshToken?: string;
  private loaded = false;
  /** the configured token was already tried after the file's one was refused */
  private triedConfigured = false;

  constructor(
    private readonly tokenUpstream: Upstream,
    private readonly tokenPath: string,
    private readonly grant: ClientCredentialsGrant | RefreshTokenGrant,
    private readonly stats: StatsCollector,
    private readonly clock: Clock = systemClock,
  ) {
    registerSecret(grant.clientSecret);
    if (grant.kind === 'refresh_token') registerSecret(grant.refreshToken);
  }

  async header(ctx?: RequestContext): Promise<string> {
    const t = this.cached;
    if (t && this.clock.now() < t.expiresAt - skew(t.lifetimeMs)) return t.header;
    return (await this.refresh(ctx)).header;
  }

  invalidate(used: string): boolean {
    if (this.cached?.header === used) this.cached = undefined;
    return true;
  }

  /** The newest refresh token (for tests and diagnostics; never log it). */
  currentRefreshToken(): string | undefined {
    return this.refreshToken;
  }

  private refresh(ctx?: RequestContext): Promise<CachedToken> {
    if (!this.inflight) {
      // one refresh for everybody: it must not die with one caller's signal or deadline
      this.inflight = this.fetchToken({}).finally(() => {
        this.inflight = undefined;
      });
    }
    const p = this.inflight;
    const signal = ctx?.signal;
    const deadline = ctx?.deadline;
    if (!signal && !deadline) return p;
    // each caller stops waiting on its own cancel or deadline
    return new Promise<CachedToken>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError());
      const onAbort = () => reject(new AbortedError());
      signal?.addEventListener('abort', onAbort, { once: true });
      // a watchdog on real I/O (like the per-attempt HTTP timeout), so a real timer; the time left comes from the clock
      const timer = deadline
        ? setTimeout(
            () => reject(new ConnectorError('unavailable', "the caller's deadline passed while waiting for an OAuth access token", { endpoint: `POST ${this.tokenPath}` })),
            Math.max(0, deadline.getTime() - this.clock.now()),
          )
        : undefined;
      p.then(resolve, reject).finally(() => {
        signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      });
    });
  }

  private async fetchToken(ctx: RequestContext): Promise<CachedToken> {
    const g = this.grant;
    let body: Record<string, string>;
    if (g.kind === 'client_credentials') {
      body = { grant_type: 'client_credentials', client_id: g.clientId, client_secret: g.clientSecret };
    } else {
      await this.loadRefreshToken();
      body = { grant_type: 'refresh_token', client_id: g.clientId, client_secret: g.clientSecret, refresh_token: this.refreshToken! };
    }
    let res;
    try {
      res = await this.tokenUpstream.call({ method: 'POST', path: this.tokenPath, body, schema: TokenResponseSchema, idempotent: true, read: true, noAuth: true }, ctx);
    } catch (e) {
      // a stale token in the file: fall back once to a different configured token
      if (g.kind === 'refresh_token' && e instanceof ConnectorError && e.kind === 'auth' && g.refreshToken && g.refreshToken !== this.refreshToken && !this.triedConfigured) {
        this.triedConfigured = true;
        log().warn('the refresh token from the refresh-token file was refused; trying the configured jira-oauth-refresh-token');
        this.refreshToken = g.refreshToken;
        return this.fetchToken(ctx);
      }
      throw e;
    }
    this.stats.s.tokenRefreshes++;
    registerSecret(res.access_token);
    registerSecret(`Bearer ${res.access_token}`);
    if (g.kind === 'refresh_token' && res.refresh_token && res.refresh_token !== this.refreshToken) {
      registerSecret(res.refresh_token);
      this.refreshToken = res.refresh_token;
      if (g.refreshTokenFile) await writeAtomic(g.refreshTokenFile, res.refresh_token);
    }
    const lifetimeMs = (res.expires_in ?? 3600) * 1000;
    const t: CachedToken = { header: `Bearer ${res.access_token}`, expiresAt: this.clock.now() + lifetimeMs, lifetimeMs };
    this.cached = t;
    log().info({ grant: g.kind, expiresInSeconds: Math.round(lifetimeMs / 1000), rotated: g.kind === 'refresh_token' && !!res.refresh_token }, 'fetched an OAuth access token');
    return t;
  }

  private async loadRefreshToken(): Promise<void> {
    const g = this.grant as RefreshTokenGrant;
    if (this.loaded) return;
    let fromFile: string | undefined;
    if (g.refreshTokenFile) {
      try {
        fromFile = (await fs.readFile(g.refreshTokenFile, 'utf8')).trim() || undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new ConnectorError('auth', `cannot read the refresh-token file ${g.refreshTokenFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, {
            hint: 'Check jira-oauth-refresh-token-file: the connector needs to read and rewrite it.',
          });
      }
    }
    // the file holds the newest rotation; the configured value is the first one (or a fresh consent)
    this.refreshToken = fromFile ?? g.refreshToken;
    if (fromFile) registerSecret(fromFile);
    if (!this.refreshToken) {
      throw new ConnectorError('auth', 'no OAuth refresh token: jira-oauth-refresh-token is empty and the refresh-token file is missing or empty', {
        hint: `Authorize the 3LO app (scope offline_access) and put its refresh token in ${g.refreshTokenFile ?? 'jira-oauth-refresh-token'}.`,
      });
    }
    this.loaded = true;
    if (fromFile && g.refreshToken && fromFile !== g.refreshToken) log().info('using the refresh token from the refresh-token file (newer than the configured one)');
  }
}

function skew(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

/** Writes the file via a temp file in the same directory and a rename, so readers never see half a token. */
export async function writeAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(content + '\n', 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    // the new token is kept in memory; only a restart would lose it
    log().error({ file, code: (e as NodeJS.ErrnoException).code }, 'could not write the rotated OAuth refresh token to the refresh-token file; a restart will need a new authorization');
  }
}
