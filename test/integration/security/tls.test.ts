import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestCerts } from './helpers.js';
import {
  handshake,
  makeCerts,
  mqttConnect,
  portOf,
  reissueServerCert,
  roundTrip,
  start,
  trust,
} from './helpers.js';

describe('TLS and WSS listeners', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeCerts();
  });
  after(() => certs.remove());

  const tlsKeys = () => ({ certFile: certs.serverCert, keyFile: certs.serverKey });

  test('mqtts:// and wss:// carry MQTT with the configured certificate (tlsPort, wssPort)', async () => {
    const broker = await start({ ...tlsKeys(), tlsPort: 0, wssPort: 0 });
    try {
      const types = broker.addresses().map((a) => a.type);
      assert.deepEqual(types, ['tcp', 'tls', 'wss']);
      const a = await mqttConnect(`mqtts://localhost:${portOf(broker, 'tls')}`, trust(certs));
      const b = await mqttConnect(`wss://localhost:${portOf(broker, 'wss')}/mqtt`, trust(certs));
      try {
        await b.subscribeAsync('tls/x', { qos: 1 });
        await roundTrip(a, b, 'tls/x');
        await a.subscribeAsync('tls/y', { qos: 1 });
        await roundTrip(b, a, 'tls/y');
      } finally {
        a.end(true);
        b.end(true);
      }
    } finally {
      await broker.close();
    }
  });

  test('on close(), v5 clients on tls and wss listeners get DISCONNECT 0x8B (Server shutting down)', async () => {
    const broker = await start({ ...tlsKeys(), tlsPort: 0, wssPort: 0 });
    const reasons: number[] = [];
    const clients = await Promise.all(
      [
        `mqtts://localhost:${portOf(broker, 'tls')}`,
        `wss://localhost:${portOf(broker, 'wss')}/mqtt`,
      ].map((url) => mqttConnect(url, { ...trust(certs), protocolVersion: 5 })),
    );
    const got = clients.map(
      (c) =>
        new Promise<void>((resolve) =>
          c.on('disconnect', (p) => {
            reasons.push(p.reasonCode ?? -1);
            resolve();
          }),
        ),
    );
    await broker.close();
    await Promise.all(got);
    for (const c of clients) c.end(true);
    assert.deepEqual(reasons, [0x8b, 0x8b]);
  });

  test('TLS 1.3 by default, TLS 1.2 still accepted, older versions refused; ciphers configurable', async () => {
    const broker = await start({
      listeners: [{ type: 'tls', port: 0, ...tlsKeys(), ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }],
    });
    try {
      const port = portOf(broker, 'tls');
      const s13 = await handshake(port, certs);
      assert.equal(s13.getProtocol(), 'TLSv1.3');
      s13.destroy();
      const s12 = await handshake(port, certs, { maxVersion: 'TLSv1.2' });
      assert.equal(s12.getProtocol(), 'TLSv1.2');
      assert.equal(s12.getCipher().name, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      s12.destroy();
      await assert.rejects(handshake(port, certs, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
      await assert.rejects(
        handshake(port, certs, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
      );
    } finally {
      await broker.close();
    }
  });

  test('tlsMinVersion TLSv1.3 refuses TLS 1.2 clients', async () => {
    const broker = await start({ ...tlsKeys(), tlsPort: 0, tlsMinVersion: 'TLSv1.3' });
    try {
      await assert.rejects(handshake(portOf(broker, 'tls'), certs, { maxVersion: 'TLSv1.2' }));
    } finally {
      await broker.close();
    }
  });

  test('requireCertificate: clients without a certificate signed by caFile are refused', async () => {
    const broker = await start({
      ...tlsKeys(),
      tlsPort: 0,
      caFile: certs.ca,
      requireCertificate: true,
    });
    try {
      const url = `mqtts://localhost:${portOf(broker, 'tls')}`;
      await assert.rejects(mqttConnect(url, trust(certs)));
      const c = await mqttConnect(url, trust(certs, true));
      c.end(true);
    } finally {
      await broker.close();
    }
  });

  test('useIdentityAsUsername: the certificate CN is the user name and replaces the password check', async () => {
    const seen: Array<string | undefined> = [];
    const broker = await start({
      listeners: [
        {
          type: 'tls',
          port: 0,
          ...tlsKeys(),
          caFile: certs.ca,
          requireCertificate: true,
          useIdentityAsUsername: true,
          allowAnonymous: false,
        },
      ],
      hooks: {
        authenticate: () => false,
        authorizePublish: (client) => {
          seen.push(client.username);
          return true;
        },
      },
    });
    try {
      const users: Array<string | undefined> = [];
      broker.on('clientConnected', (e) => users.push(e.username));
      const c = await mqttConnect(`mqtts://localhost:${portOf(broker, 'tls')}`, {
        ...trust(certs, true),
        username: 'mallory',
        password: 'x',
      });
      await c.publishAsync('id/x', 'hi', { qos: 1 });
      c.end(true);
      assert.deepEqual(users, ['petrel-client']);
      assert.deepEqual(seen, ['petrel-client']);
    } finally {
      await broker.close();
    }
  });

  test('wss:// with requireCertificate and useIdentityAsUsername takes the name from the certificate', async () => {
    const broker = await start({
      ...tlsKeys(),
      wssPort: 0,
      caFile: certs.ca,
      requireCertificate: true,
      useIdentityAsUsername: true,
    });
    try {
      const users: Array<string | undefined> = [];
      broker.on('clientConnected', (e) => users.push(e.username));
      const url = `wss://localhost:${portOf(broker, 'wss')}/mqtt`;
      await assert.rejects(mqttConnect(url, trust(certs)));
      const c = await mqttConnect(url, trust(certs, true));
      c.end(true);
      assert.deepEqual(users, ['petrel-client']);
    } finally {
      await broker.close();
    }
  });

  test('useIdentityAsUsername without a verified certificate: CONNACK 0x87 / return code 5', async () => {
    const broker = await start({ ...tlsKeys(), tlsPort: 0, useIdentityAsUsername: true });
    try {
      const url = `mqtts://localhost:${portOf(broker, 'tls')}`;
      await assert.rejects(mqttConnect(url, trust(certs)), /Not authorized|not authorized/i);
      await assert.rejects(
        mqttConnect(url, { ...trust(certs), protocolVersion: 5 }),
        /Not authorized/i,
      );
    } finally {
      await broker.close();
    }
  });

  test('the TLS handshake counts against the connect timeout: a silent socket is dropped', async () => {
    const broker = await start({ ...tlsKeys(), tlsPort: 0, connectTimeoutMs: 600 });
    try {
      const t0 = Date.now();
      const s = netConnect(portOf(broker, 'tls'), '127.0.0.1');
      s.on('error', () => {});
      await new Promise((r) => s.on('close', r));
      const took = Date.now() - t0;
      assert.ok(took >= 500 && took < 2000, `closed after ${took} ms`);
      // A client that finishes the handshake late has only the rest of the timeout for CONNECT.
      const late = netConnect(portOf(broker, 'tls'), '127.0.0.1');
      late.on('error', () => {});
      await new Promise((r) => setTimeout(r, 400));
      const t1 = Date.now();
      const secure = await handshake(portOf(broker, 'tls'), certs, { socket: late });
      await new Promise((r) => secure.on('close', r));
      assert.ok(Date.now() - t1 < 450, `CONNECT window not shortened: ${Date.now() - t1} ms`);
    } finally {
      await broker.close();
    }
  });

  test('certificates reload (reloadCertificates and on file change) without dropping connections', async () => {
    const cert = join(certs.dir, 'live.pem');
    const key = join(certs.dir, 'live.key');
    copyFileSync(certs.serverCert, cert);
    copyFileSync(certs.serverKey, key);
    const broker = await start({ certFile: cert, keyFile: key, tlsPort: 0 });
    try {
      const port = portOf(broker, 'tls');
      const org = async () => {
        const s = await handshake(port, certs);
        const o = s.getPeerCertificate().subject.O;
        s.destroy();
        return o;
      };
      assert.equal(await org(), undefined);
      const url = `mqtts://localhost:${port}`;
      const live = await mqttConnect(url, trust(certs));
      await live.subscribeAsync('reload/x', { qos: 1 });

      // The watcher picks up the new files by itself.
      reissueServerCert(certs, cert, key, 'second');
      const deadline = Date.now() + 4000;
      while ((await org()) !== 'second') {
        assert.ok(Date.now() < deadline, 'file change not picked up');
        await new Promise((r) => setTimeout(r, 100));
      }
      // An explicit reload (SIGHUP in the CLI) as well.
      reissueServerCert(certs, cert, key, 'third');
      await broker.reloadCertificates();
      assert.equal(await org(), 'third');

      // A broken file keeps the previous certificate.
      copyFileSync(certs.clientKey, key);
      await assert.rejects(broker.reloadCertificates());
      assert.equal(await org(), 'third');

      const pub = await mqttConnect(url, trust(certs));
      await roundTrip(pub, live, 'reload/x');
      assert.equal(live.connected, true);
      pub.end(true);
      live.end(true);
    } finally {
      await broker.close();
    }
  });
});
