// Options about this end of the connection: maxInflight below the broker's Receive Maximum, and
// the checks on maxInflight and socketPath.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import { PacketType } from '../../../src/codec/constants.js';
import type { FakeBroker, FakeConnection } from './fake-broker.js';
import { connack, startFakeBroker } from './fake-broker.js';
import { Clients, sleep } from './util.js';

describe('client local options', () => {
  const clients = new Clients();
  let fake: FakeBroker | undefined;
  afterEach(async () => {
    clients.closeAll();
    await fake?.close();
    fake = undefined;
  });

  test('maxInflight caps unacknowledged QoS 1 messages below the broker Receive Maximum', async () => {
    const held: Array<[FakeConnection, number]> = [];
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack({ receiveMaximum: 10 }));
      else if (p.type === PacketType.PUBLISH) held.push([conn, p.packetId]);
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: false, protocolVersion: 5, maxInflight: 3 }),
    );
    await c.connect();
    const results = [1, 2, 3, 4, 5, 6].map((i) => c.publish('mi/t', `m${i}`, { qos: 1 }));
    await sleep(100);
    assert.equal(held.length, 3, 'only maxInflight messages are sent');
    for (const [conn, packetId] of held.splice(0)) {
      conn.send({ type: PacketType.PUBACK, packetId, reasonCode: 0, properties: {} });
    }
    for (let i = 0; i < 100 && held.length < 3; i++) await sleep(5);
    assert.equal(held.length, 3, 'each PUBACK lets one more go');
    for (const [conn, packetId] of held.splice(0)) {
      conn.send({ type: PacketType.PUBACK, packetId, reasonCode: 0, properties: {} });
    }
    assert.equal((await Promise.all(results)).length, 6);
  });

  test('maxInflight outside 1..65535 and socketPath with a WebSocket URL are TypeErrors', () => {
    assert.throws(() => new MqttClient('mqtt://127.0.0.1', { maxInflight: 0 }), TypeError);
    assert.throws(() => new MqttClient('mqtt://127.0.0.1', { maxInflight: 70_000 }), TypeError);
    assert.throws(
      () => new MqttClient('ws://127.0.0.1:8080/mqtt', { socketPath: '/tmp/x.sock' }),
      /socketPath needs an mqtt:\/\/ or mqtts:\/\/ URL/,
    );
  });
});
