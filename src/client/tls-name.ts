/**
 * grpc-js sends the address host as the TLS server name (SNI); an IP address there is not allowed by RFC 6066 and Node
 * prints DEP0123 for it. For an IP host the name is left out (as a browser does): Node then checks the certificate
 * against the IP itself (connection option `host`). This uses grpc-js's connector hook (`_createSecureConnector`,
 * grpc-js 1.x); test/server/tls.test.ts fails if it stops working.
 */
import { isIP } from 'node:net';
import type { ChannelCredentials } from '@grpc/grpc-js';

export function withoutIpServerName(creds: ChannelCredentials): ChannelCredentials {
  const hook = creds as unknown as { _createSecureConnector?: (...args: unknown[]) => { connectionOptions?: { servername?: string } } };
  const original = hook._createSecureConnector;
  if (typeof original === 'function') {
    hook._createSecureConnector = (...args: unknown[]) => {
      const connector = original.apply(creds, args);
      if (connector?.connectionOptions?.servername && isIP(connector.connectionOptions.servername)) delete connector.connectionOptions.servername;
      return connector;
    };
  }
  return creds;
}
