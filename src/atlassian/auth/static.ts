/**
 * Fixed credentials: email + API token as Basic (classic token on the site URL, scoped token on
 * the gateway), a service-account scoped token as Bearer, and the organization API key (Bearer,
 * admin API only). The token and the derived header are registered for redaction.
 */
import { registerSecret } from '../../log';
import type { AuthProvider } from '../http';

export class StaticAuth implements AuthProvider {
  private readonly value: string;
  private constructor(value: string) {
    this.value = value;
  }

  static basic(email: string, token: string): StaticAuth {
    registerSecret(token);
    const b64 = Buffer.from(`${email}:${token}`, 'utf8').toString('base64');
    registerSecret(b64);
    registerSecret(`Basic ${b64}`);
    return new StaticAuth(`Basic ${b64}`);
  }

  static bearer(token: string): StaticAuth {
    registerSecret(token);
    registerSecret(`Bearer ${token}`);
    return new StaticAuth(`Bearer ${token}`);
  }

  async header(): Promise<string> {
    return this.value;
  }

  /** A fixed credential does not get better by retrying. */
  invalidate(): boolean {
    return false;
  }
}
