/** TLS and mutual TLS on the gRPC server, with health checks over TLS. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(clientCa?: string, plain = false): Promise<RunningServer> {
  const { connector } = await buildConnector(parseConnectorConfig(fakeConfig(fake)));
  return startServer(connector, { host: '127.0.0.1', port: 0, provisioning: false, tls: plain ? undefined : { certFile: files.serverCert, keyFile: files.serverKey, clientCaFile: clientCa } });
}

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** The built `health` command as the container HEALTHCHECK runs it (async: the server runs in this process). */
function health(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BATON_') && k !== 'NODE_OPTIONS'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'health', ...args], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

test('TLS: a client trusting the CA syncs; a plaintext client is refused', async () => {
  const s = await serve();
  try {
    const c = dialConnector(s.address, { caPem: Buffer.from(pki.caCert) });
    expect((await c.connector.validate({})).sdkVersion).toBeTruthy();
    c.close();
    expect(await checkHealth(s.address, { tls: { caFile: files.caCert } })).toBe('SERVING');
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

describe('the health command (as the container HEALTHCHECK runs it)', () => {
  const serving = { status: 0, stdout: 'SERVING\n', stderr: '' };

  test('plain: SERVING, nothing on stderr', async () => {
    const s = await serve(undefined, true);
    try {
      expect(await health(['--address', s.address])).toEqual(serving);
    } finally {
      await s.stop();
    }
  });

  test('TLS with an IP address: SERVING and no DEP0123 (no IP as TLS server name); a wrong CA or wrong name fails', async () => {
    const s = await serve();
    try {
      expect(await health(['--address', s.address, '--tls-ca', files.caCert])).toEqual(serving);
      // the certificate is still checked against the IP, and against --tls-server-name when given
      expect(await health(['--address', s.address, '--tls-ca', files.caCert, '--tls-server-name', 'localhost'])).toEqual(serving);
      const wrongName = await health(['--address', s.address, '--tls-ca', files.caCert, '--tls-server-name', 'other.example', '--timeout', '2000']);
      expect(wrongName.status).toBe(1);
      expect(wrongName.stdout).toBe('');
      const wrongCa = await health(['--address', s.address, '--tls-ca', files.otherCaCert, '--timeout', '2000']);
      expect(wrongCa.status).toBe(1);
      expect(wrongCa.stderr).toMatch(/^error: health check of 127\.0\.0\.1:\d+ failed/);
      expect(wrongCa.stderr).not.toMatch(/DEP0123|\n\s+at /);
    } finally {
      await s.stop();
    }
  });

  test('mTLS: a client certificate from flags or from the env vars the server uses; without one the check fails', async () => {
    const s = await serve(files.caCert);
    try {
      expect(await health(['--address', s.address, '--tls-ca', files.caCert, '--tls-cert', files.clientCert, '--tls-key', files.clientKey])).toEqual(serving);
      // the container's env: BATON_TLS_CLIENT_CA verifies the server, BATON_TLS_CERT/KEY is presented (here a client certificate)
      expect(await health(['--address', s.address], { BATON_TLS_CLIENT_CA: files.caCert, BATON_TLS_CERT: files.clientCert, BATON_TLS_KEY: files.clientKey })).toEqual(serving);
      expect(await health(['--address', s.address], { BATON_HEALTH_TLS_CA: files.caCert, BATON_HEALTH_TLS_CERT: files.clientCert, BATON_HEALTH_TLS_KEY: files.clientKey })).toEqual(serving);
      const without = await health(['--address', s.address, '--tls-ca', files.caCert, '--timeout', '2000']);
      expect(without.status).toBe(1);
      expect(without.stdout).toBe('');
      const half = await health(['--address', s.address, '--tls-cert', files.clientCert]);
      expect(half).toEqual({ status: 2, stdout: '', stderr: 'configuration error: health: --tls-cert and --tls-key go together (the client certificate and its key)\n' });
    } finally {
      await s.stop();
    }
  });
});
