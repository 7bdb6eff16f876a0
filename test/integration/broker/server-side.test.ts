import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../../src/persistence/memory.js';
import {
  delay,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';

describe('server-side control', () => {
  test('[MQTT-3.14.2-1] broker.disconnect sends v5 DISCONNECT with the reason code and string, and fires the will', async () => {
    const tb = await startBroker();
    try {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf('kick/will', 0)]);
      const { client } = await RawClient.connect(tb.port, 5, {
        clientId: 'kick-me',
        will: {
          topic: 'kick/will',
          payload: Buffer.from('x'),
          qos: 0,
          retain: false,
          properties: undefined,
        },
      });
      assert.equal(tb.broker.disconnect('kick-me', 0x98, 'maintenance'), true);
      const d = await client.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x98);
      assert.equal(d.type === 14 && d.properties?.reasonString, 'maintenance');
      await client.waitClose();
      assert.equal((await w.next()).type, 3);
      assert.equal(tb.broker.disconnect('nobody'), false);
      w.destroy();
    } finally {
      await tb.close();
    }
  });

  test('events: clientConnected, subscribe, publish, clientDisconnected', async () => {
    const tb = await startBroker();
    try {
      const seen: string[] = [];
      tb.broker.on('clientConnected', (e) => seen.push(`connected:${e.clientId}`));
      tb.broker.on('subscribe', (e) => seen.push(`subscribe:${e.subscriptions[0]?.topicFilter}`));
      tb.broker.on('publish', (e) => seen.push(`publish:${e.topic}`));
      tb.broker.on('clientDisconnected', (e) => seen.push(`disconnected:${e.clientId}`));
      const { client } = await RawClient.connect(tb.port, 4, { clientId: 'ev' });
      await subscribeRaw(client, [subOf('ev/t', 0)]);
      client.send(publishOf('ev/t', 'x', 0));
      await client.next();
      client.send(Buffer.from([0xe0, 0x00]));
      await client.waitClose();
      await delay(20);
      assert.deepEqual(seen, ['connected:ev', 'subscribe:ev/t', 'publish:ev/t', 'disconnected:ev']);
    } finally {
      await tb.close();
    }
  });

  test('a failing store: QoS 1 is refused with 0x97 (v5) instead of acknowledged', async () => {
    let fail = false;
    const store = new MemoryStore({
      beforeCommit: () => {
        if (fail) throw new Error('disk full');
      },
    });
    const tb = await startBroker({ store });
    try {
      const a = await RawClient.connect(tb.port, 5, {
        clientId: 'fs',
        properties: { sessionExpiryInterval: 60 },
      });
      await subscribeRaw(a.client, [subOf('fs/t', 1)]);
      fail = true;
      a.client.destroy();
      await delay(100);
      assert.equal(store.healthy, false);
      const { client: p } = await RawClient.connect(tb.port, 5);
      p.send(publishOf('fs/t', 'x', 1, 1));
      const ack = await p.next();
      assert.equal(ack.type === 4 && ack.reasonCode, 0x97);
      p.destroy();
      fail = false;
    } finally {
      await tb.close();
    }
  });
});
