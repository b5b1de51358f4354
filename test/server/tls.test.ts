/** TLS and mutual TLS on the gRPC server, with health checks over TLS. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as Code, ServiceError } from '@grpc/grpc-js';
import { makePki, TestPki } from '../helpers/certs';
import { startFakeAtlassian, FakeAtlassian } from '../../src/fake-atlassian';
import { fakeConfig } from '../helpers/harness';
import { parseConnectorConfig } from '../../src/config/schema';
import { buildConnector } from '../../src/connector/wire';
import { startServer, RunningServer } from '../../src/server/server';
import { dialConnector } from '../../src/client/connector-client';
import { checkHealth } from '../../src/cli/health';

let pki: TestPki;
let dir: string;
let fake: FakeAtlassian;
const files: Record<string, string> = {};

beforeAll(async () => {
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'tls-'));
  for (const [k, v] of Object.entries(pki)) {
    files[k] = join(dir, `${k}.pem`);
    writeFileSync(files[k], v);
  }
  fake = await startFakeAtlassian({ tier: 'S', seed: 2 });
});
afterAll(async () => fake?.stop());

async function serve(clientCa?: string): Promise<RunningServer> {
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  return startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false, tls: { certFile: files.serverCert, keyFile: files.serverKey, clientCaFile: clientCa } });
}

test('TLS: a client trusting the CA syncs; a plaintext client is refused', async () => {
  const s = await serve();
  try {
    const c = dialConnector(s.address, { caPem: Buffer.from(pki.caCert) });
    expect((await c.connector.validate({})).sdkVersion).toBeTruthy();
    c.close();
    expect(await checkHealth(s.address, 3000, files.caCert)).toBe('SERVING');
    const plain = dialConnector(s.address);
    await expect(plain.connector.validate({}, { deadlineMs: 3000 })).rejects.toMatchObject({ code: expect.any(Number) });
    plain.close();
  } finally {
    await s.stop();
  }
});

test('mTLS: only clients with a certificate from the configured CA get in', async () => {
  const s = await serve(files.caCert);
  try {
    const good = dialConnector(s.address, { caPem: Buffer.from(pki.caCert), clientCertPem: Buffer.from(pki.clientCert), clientKeyPem: Buffer.from(pki.clientKey) });
    const md = await good.connector.getMetadata({});
    expect(md.metadata!.displayName).toBe('Jira Cloud');
    good.close();
    for (const bad of [
      dialConnector(s.address, { caPem: Buffer.from(pki.caCert) }),
      dialConnector(s.address, { caPem: Buffer.from(pki.caCert), clientCertPem: Buffer.from(pki.otherClientCert), clientKeyPem: Buffer.from(pki.otherClientKey) }),
    ]) {
      const err = (await bad.connector.getMetadata({}, { deadlineMs: 3000 }).catch((e: ServiceError) => e)) as ServiceError;
      expect(err.code).toBe(Code.UNAVAILABLE);
      bad.close();
    }
  } finally {
    await s.stop();
  }
});

test('unreadable or broken PEM files are configuration errors naming the setting', async () => {
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  await expect(startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false, tls: { certFile: join(dir, 'missing.pem'), keyFile: files.serverKey } })).rejects.toThrow(
    /--tls-cert \(BATON_TLS_CERT\): cannot read/,
  );
  await expect(startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false, tls: { certFile: files.serverKey, keyFile: files.serverCert } })).rejects.toThrow(
    /--tls-cert \(BATON_TLS_CERT\): the file is not a PEM certificate/,
  );
  await expect(startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false, tls: { certFile: files.serverCert, keyFile: files.clientKey } })).rejects.toThrow(
    /BATON_TLS_KEY.*does not belong/,
  );
});
