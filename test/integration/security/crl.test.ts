import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBroker } from '../../../src/broker.js';
import type { TestCerts } from './helpers.js';
import { makeCerts, mqttConnect, portOf, start, trust } from './helpers.js';

// A second client certificate from the test CA, and revocation lists made with `openssl ca`:
// one listing nothing, one listing that certificate.
describe('certificate revocation lists (crlFile)', () => {
  let certs: TestCerts;
  let emptyCrl: string;
  let revokingCrl: string;
  const openssl = (args: string[]) =>
    execFileSync('openssl', args, { cwd: certs.dir, stdio: 'ignore' });
  const ca = (args: string[]) =>
    openssl(['ca', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.pem', ...args]);

  before(() => {
    certs = makeCerts();
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', ...ec, '-keyout', 'revoked.key', '-out', 'revoked.csr', '-subj', '/CN=gone']);
    openssl([
      'x509',
      '-req',
      '-in',
      'revoked.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'revoked.pem',
      '-days',
      '2',
    ]);
    writeFileSync(
      join(certs.dir, 'ca.cnf'),
      '[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n' +
        'default_md = sha256\ndefault_crl_days = 2\n',
    );
    writeFileSync(join(certs.dir, 'index.txt'), '');
    writeFileSync(join(certs.dir, 'crlnumber'), '01\n');
    emptyCrl = join(certs.dir, 'empty-crl.pem');
    revokingCrl = join(certs.dir, 'revoking-crl.pem');
    ca(['-gencrl', '-out', emptyCrl]);
    ca(['-revoke', 'revoked.pem']);
    ca(['-gencrl', '-out', revokingCrl]);
  });
  after(() => certs.remove());

  const revokedClient = () => ({
    ...trust(certs),
    cert: readFileSync(join(certs.dir, 'revoked.pem')),
    key: readFileSync(join(certs.dir, 'revoked.key')),
  });

  test('requireCertificate: a revoked client certificate is dropped, others still connect', async () => {
    const broker = await start({
      certFile: certs.serverCert,
      keyFile: certs.serverKey,
      tlsPort: 0,
      caFile: certs.ca,
      crlFile: revokingCrl,
      requireCertificate: true,
    });
    try {
      const url = `mqtts://localhost:${portOf(broker, 'tls')}`;
      await assert.rejects(mqttConnect(url, { ...revokedClient(), reconnectPeriod: 0 }));
      const ok = await mqttConnect(url, trust(certs, true));
      ok.end(true);
    } finally {
      await broker.close();
    }
  });

  test('useIdentityAsUsername: a revoked certificate gives no identity (CONNACK 0x87), and a reload applies a new list', async () => {
    const crl = join(certs.dir, 'live-crl.pem');
    writeFileSync(crl, readFileSync(emptyCrl));
    const broker = await start({
      listeners: [
        {
          type: 'tls',
          port: 0,
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          caFile: certs.ca,
          crlFile: crl,
          useIdentityAsUsername: true,
          allowAnonymous: false,
        },
      ],
      watchCertificates: false,
      hooks: { authenticate: () => false },
    });
    try {
      const url = `mqtts://localhost:${portOf(broker, 'tls')}`;
      const users: Array<string | undefined> = [];
      broker.on('clientConnected', (e) => users.push(e.username));
      // Not revoked yet: the certificate's CN is the user name.
      const before = await mqttConnect(url, { ...revokedClient(), protocolVersion: 5 });
      before.end(true);
      assert.deepEqual(users, ['gone']);
      writeFileSync(crl, readFileSync(revokingCrl));
      await broker.reloadCertificates();
      const refused = mqttConnect(url, {
        ...revokedClient(),
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      await assert.rejects(refused, (err: Error & { code?: number }) => {
        assert.equal(err.code, 0x87);
        return true;
      });
      const other = await mqttConnect(url, { ...trust(certs, true), protocolVersion: 5 });
      other.end(true);
      assert.deepEqual(users, ['gone', 'petrel-client']);
    } finally {
      await broker.close();
    }
  });

  test('crlFile without caFile is a configuration error naming both', () => {
    assert.throws(
      () =>
        createBroker({
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          tlsPort: 0,
          crlFile: revokingCrl,
        }),
      /crlFile needs caFile/,
    );
  });
});
