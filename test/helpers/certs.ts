/** A throwaway CA with a server certificate (127.0.0.1) and a client certificate, as PEM. */
import forge from 'node-forge';

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCaCert: string;
  otherClientCert: string;
  otherClientKey: string;
}

function keys() {
  return forge.pki.rsa.generateKeyPair(2048);
}

function cert(subjectCn: string, pub: forge.pki.PublicKey, issuer: { cert?: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; cn: string }, ext: object[]) {
  const c = forge.pki.createCertificate();
  c.publicKey = pub;
  c.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(8)).replace(/^[89a-f]/, '1');
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  c.setSubject([{ name: 'commonName', value: subjectCn }]);
  c.setIssuer([{ name: 'commonName', value: issuer.cn }]);
  c.setExtensions(ext);
  c.sign(issuer.key, forge.md.sha256.create());
  return c;
}

function ca(cn: string) {
  const k = keys();
  const c = cert(cn, k.publicKey, { key: k.privateKey, cn }, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
  ]);
  return { cert: c, key: k.privateKey, cn };
}

function leaf(issuer: ReturnType<typeof ca>, cn: string, server: boolean) {
  const k = keys();
  const ext: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
  ];
  if (server)
    ext.push({
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    });
  const c = cert(cn, k.publicKey, issuer, ext);
  return { cert: forge.pki.certificateToPem(c), key: forge.pki.privateKeyToPem(k.privateKey) };
}

export function makePki(): TestPki {
  const root = ca('test-ca');
  const other = ca('other-ca');
  const server = leaf(root, 'jira-connector', true);
  const client = leaf(root, 'platform', false);
  const stranger = leaf(other, 'stranger', false);
  return {
    caCert: forge.pki.certificateToPem(root.cert),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: forge.pki.certificateToPem(other.cert),
    otherClientCert: stranger.cert,
    otherClientKey: stranger.key,
  };
}
