/** Whether a listen address is reachable from other machines, for the plaintext warning of `serve` and `validate`. */
import { isIP } from 'node:net';

/** localhost, 127.0.0.0/8, ::1 and their IPv4-mapped form; anything else (0.0.0.0, ::, a LAN address, a name) is not. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') && isIP(h.slice(7)) === 4 ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  if (isIP(h) === 6) return /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(h);
  return false;
}

/** The warning when gRPC would be served without TLS on an address other machines can reach; undefined otherwise. */
export function plaintextExposure(host: string, tls: boolean): string | undefined {
  if (tls || isLoopbackHost(host)) return undefined;
  return `plaintext gRPC on the non-loopback address ${host}: anyone who can reach it can read the sync and, with provisioning on, change access. Set tls-cert and tls-key (and tls-client-ca for mTLS), or listen on 127.0.0.1 behind a TLS-terminating proxy or inside a pod's network namespace`;
}

/** One line for `validate`: where `serve` would listen, how, and the warning when that is plaintext on the network. */
export function describeListener(server: { host: string; port: number; tls?: { clientCaFile?: string } }): string {
  const how = server.tls ? (server.tls.clientCaFile ? 'mTLS' : 'TLS') : 'plaintext';
  const warning = plaintextExposure(server.host, !!server.tls);
  return `${server.host}:${server.port}, ${how}${warning ? ` — WARNING: ${warning}` : ''}`;
}
