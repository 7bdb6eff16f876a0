import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientInfo } from '../../../src/broker/hooks.js';
import type { TestBroker } from '../../helpers/broker.js';
import {
  nextPublishOf,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import { connectPacket } from '../../helpers/packets.js';

// The connection setup path: the remote address read on demand, the CONNACK written on its own
// ahead of anything else, and every connection of a turn made ready in one go.
describe('broker connection setup', () => {
  let tb: TestBroker;
  const seen: Array<{ hook: string; remoteAddress: string | undefined }> = [];
  before(async () => {
    tb = await startBroker({
      hooks: {
        authenticate: (r) => {
          seen.push({ hook: 'authenticate', remoteAddress: r.remoteAddress });
          return true;
        },
        authorizePublish: (c: ClientInfo) => {
          seen.push({ hook: 'authorizePublish', remoteAddress: c.remoteAddress });
          return true;
        },
      },
    });
  });
  after(() => tb.close());

  test('hooks get the peer address of a TCP client (read when first needed)', async () => {
    seen.length = 0;
    const { client } = await RawClient.connect(tb.port, 4, { clientId: 'addr' });
    client.send(publishOf('addr/t', 'x', 1, 7));
    const ack = await client.next();
    assert.equal(ack.type, 4);
    assert.deepEqual(seen, [
      { hook: 'authenticate', remoteAddress: '127.0.0.1' },
      { hook: 'authorizePublish', remoteAddress: '127.0.0.1' },
    ]);
    client.destroy();
  });

  test('[MQTT-3.2.0-1] sessions resumed in one burst each get CONNACK first, then their queued message', async () => {
    const n = 20;
    // Persistent sessions with a QoS 1 subscription, then offline.
    for (let i = 0; i < n; i++) {
      const { client } = await RawClient.connect(tb.port, 4, {
        clientId: `burst-${i}`,
        clean: false,
      });
      assert.deepEqual(await subscribeRaw(client, [subOf(`burst/${i}`, 1)]), [1]);
      client.destroy();
      await client.closedPromise;
    }
    for (let i = 0; i < n; i++) tb.broker.publish(`burst/${i}`, `m${i}`, { qos: 1 });
    // All CONNECTs go out before any CONNACK is read, so the broker handles several in one turn.
    const clients = await Promise.all(Array.from({ length: n }, () => RawClient.open(tb.port, 4)));
    for (const [i, c] of clients.entries()) {
      c.send(connectPacket({ clean: false, keepAlive: 30, clientId: `burst-${i}` }));
    }
    for (let i = 0; i < n; i++) {
      const c = clients[i] as RawClient;
      const connack = await c.next();
      assert.equal(connack.type, 2);
      assert.equal(connack.type === 2 && connack.sessionPresent, true);
      const m = await nextPublishOf(c);
      assert.equal(m.topic, `burst/${i}`);
      assert.equal(m.payload.toString(), `m${i}`);
      c.destroy();
    }
  });

  test('a clientConnected listener that disconnects the client: CONNACK, then DISCONNECT 0x98', async () => {
    const onConnected = (e: { clientId: string }) => {
      if (e.clientId === 'kick') tb.broker.disconnect('kick');
    };
    tb.broker.on('clientConnected', onConnected);
    try {
      const c = await RawClient.open(tb.port, 5);
      c.send(connectPacket({ protocolVersion: 5, keepAlive: 30, clientId: 'kick' }));
      const connack = await c.next();
      assert.equal(connack.type === 2 && connack.reasonCode, 0);
      const d = await c.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x98);
      await c.waitClose();
    } finally {
      tb.broker.off('clientConnected', onConnected);
    }
  });
});
