// What the client sends after a reconnection, watched packet by packet on a scripted broker:
// resubscriptions when the session is gone, and SUBSCRIBEs that were never answered.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import { PacketType } from '../../../src/codec/constants.js';
import type { Packet, SubscribePacket } from '../../../src/codec/types.js';
import type { FakeBroker, FakeConnection } from './fake-broker.js';
import { connack, startFakeBroker } from './fake-broker.js';
import { Clients, once, sleep } from './util.js';

const fast = { initialDelay: 10, maxDelay: 20, jitter: 0 };

function suback(conn: FakeConnection, p: SubscribePacket): void {
  conn.send({
    type: PacketType.SUBACK,
    packetId: p.packetId,
    reasonCodes: p.subscriptions.map((s) => s.qos),
    properties: conn.version === 5 ? {} : undefined,
  });
}

function subscribes(conn: FakeConnection | undefined): SubscribePacket[] {
  return (conn?.received ?? []).filter(
    (p: Packet): p is SubscribePacket => p.type === PacketType.SUBSCRIBE,
  );
}

describe('client resubscription on a scripted broker', () => {
  const clients = new Clients();
  let fake: FakeBroker | undefined;
  afterEach(async () => {
    clients.closeAll();
    await fake?.close();
    fake = undefined;
  });

  for (const version of [4, 5] as const) {
    const ids = version === 5 ? '[MQTT-2.2.1-3]' : '[MQTT-2.3.1-2]';

    test(`v${version}: without a session each subscription is sent again exactly once, each SUBSCRIBE with its own unused packet id ${ids}`, async () => {
      fake = await startFakeBroker((conn, p) => {
        if (p.type === PacketType.CONNECT) conn.send(connack({}, false));
        else if (p.type === PacketType.SUBSCRIBE) suback(conn, p);
      });
      const c = clients.track(
        new MqttClient(fake.url, { protocolVersion: version, reconnect: fast }),
      );
      await c.connect();
      await c.subscribe('a/+', { qos: 1 });
      await c.subscribe('b/#', { qos: 2 });
      const reconnected = once<[{ sessionPresent: boolean }]>(c, 'connect');
      fake.connections[0]?.close();
      const [info] = await reconnected;
      assert.equal(info.sessionPresent, false);
      // Give a duplicate time to show up behind the first resubscriptions.
      await sleep(100);
      const again = subscribes(fake.connections[1]);
      assert.deepEqual(
        again.map((p) => p.subscriptions.map((s) => [s.topicFilter, s.qos])).sort(),
        [[['a/+', 1]], [['b/#', 2]]],
      );
      const packetIds = again.map((p) => p.packetId);
      assert.equal(new Set(packetIds).size, packetIds.length, 'packet ids are distinct');
      assert.ok(packetIds.every((id) => id > 0));
    });

    test(`v${version}: a SUBSCRIBE unanswered when the connection dropped is sent once more after reconnecting and its promise resolves`, async () => {
      let answer = false;
      fake = await startFakeBroker((conn, p) => {
        if (p.type === PacketType.CONNECT) conn.send(connack({}, false));
        else if (p.type === PacketType.SUBSCRIBE && answer) suback(conn, p);
      });
      const c = clients.track(
        new MqttClient(fake.url, { protocolVersion: version, reconnect: fast }),
      );
      await c.connect();
      const result = c.subscribe('late/topic', { qos: 1 });
      for (let i = 0; i < 100 && subscribes(fake.connections[0]).length === 0; i++) await sleep(5);
      assert.equal(subscribes(fake.connections[0]).length, 1);
      answer = true;
      const reconnected = once(c, 'connect');
      fake.connections[0]?.close();
      await reconnected;
      const granted = await result;
      assert.deepEqual(
        granted.granted.map((g) => [g.topicFilter, g.qos]),
        [['late/topic', 1]],
      );
      await sleep(100);
      const again = subscribes(fake.connections[1]);
      assert.deepEqual(
        again.map((p) => p.subscriptions.map((s) => s.topicFilter)),
        [['late/topic']],
      );
    });
  }
});
