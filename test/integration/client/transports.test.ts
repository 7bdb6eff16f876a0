// The same client over every transport: mqtt://, mqtts://, ws://, wss://, with TLS options.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import type { ClientError } from '../../../src/client/errors.js';
import { startBroker } from '../../helpers/broker.js';
import type { MosquittoHandle } from '../../helpers/mosquitto.js';
import { hasMosquitto, startMosquitto } from '../../helpers/mosquitto.js';
import type { TestCerts } from './certs.js';
import { makeCerts } from './certs.js';
import { Clients, nextMessages, uniqueTopic } from './util.js';

if (hasMosquitto()) {
  describe('client transports against mosquitto', () => {
    let certs: TestCerts;
    let broker: MosquittoHandle;
    let mtls: MosquittoHandle;
    const clients = new Clients();
    before(async () => {
      certs = makeCerts();
      const tls = { certfile: certs.serverCert, keyfile: certs.serverKey };
      broker = await startMosquitto({ websockets: true, tls });
      mtls = await startMosquitto({
        tls: { ...tls, cafile: certs.ca, requireCertificate: true },
      });
    });
    after(async () => {
      await broker.close();
      await mtls.close();
      certs.remove();
    });
    afterEach(() => clients.closeAll());

    // Mosquitto's WebSocket listener takes ~2 s for a 70 kB frame: keep those tests small.
    const roundTrip = async (url: string, options = {}, big = 70_000): Promise<void> => {
      const topic = uniqueTopic('transport');
      const c = await clients.connect(url, options);
      await c.subscribe(topic, { qos: 1 });
      const got = nextMessages(c, 2);
      await c.publish(topic, 'one', { qos: 1 });
      await c.publish(topic, Buffer.alloc(big, 1), { qos: 2 });
      const msgs = await got;
      assert.equal(msgs[0]?.payload.toString(), 'one');
      assert.equal(msgs[1]?.payload.length, big);
    };

    test('ws:// carries MQTT over WebSocket', async () => {
      await roundTrip(`ws://127.0.0.1:${broker.wsPort}/mqtt`, {}, 3000);
    });

    test('mqtts:// with a trusted CA', async () => {
      await roundTrip(`mqtts://localhost:${broker.tlsPort}`, {
        tls: { ca: readFileSync(certs.ca) },
      });
    });

    test('wss:// with a trusted CA and servername', async () => {
      await roundTrip(
        `wss://127.0.0.1:${broker.wssPort}/mqtt`,
        {
          tls: { ca: readFileSync(certs.ca), servername: 'localhost' },
        },
        3000,
      );
    });

    test('mqtts:// with an unknown CA is refused unless rejectUnauthorized is false', async () => {
      const err = (await clients
        .connect(`mqtts://localhost:${broker.tlsPort}`)
        .catch((e: unknown) => e)) as ClientError;
      assert.equal(err.code, 'CONNECTION_FAILED');
      assert.match(err.message, /certificate/);
      await roundTrip(`mqtts://localhost:${broker.tlsPort}`, {
        tls: { rejectUnauthorized: false },
      });
    });

    test('mqtts:// with a client certificate when the broker requires one', async () => {
      const ca = readFileSync(certs.ca);
      await roundTrip(`mqtts://localhost:${mtls.tlsPort}`, {
        tls: { ca, cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
      });
      const err = await clients
        .connect(`mqtts://localhost:${mtls.tlsPort}`, { tls: { ca }, connectTimeout: 2000 })
        .catch((e: unknown) => e);
      assert.ok(err instanceof Error);
    });
  });
}

describe('client over WebSocket against petrel', () => {
  const clients = new Clients();
  afterEach(() => clients.closeAll());

  test('ws:// round trip with a large message', async () => {
    const b = await startBroker({ wsPort: 0 });
    try {
      const topic = uniqueTopic('ws');
      const c = await clients.connect(`ws://127.0.0.1:${b.wsPort}/mqtt`);
      await c.subscribe(topic, { qos: 1 });
      const got = nextMessages(c, 1);
      await c.publish(topic, Buffer.alloc(200_000, 2), { qos: 1 });
      assert.equal((await got)[0]?.payload.length, 200_000);
    } finally {
      clients.closeAll();
      await b.close();
    }
  });
});
