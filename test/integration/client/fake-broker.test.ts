// Client behaviour that needs a broker to misbehave or to do something rare on cue: inbound
// topic aliases, duplicate QoS 2 deliveries, AUTH challenges, protocol fallback, silence.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import type { ClientError } from '../../../src/client/errors.js';
import { ConnectionRefusedError } from '../../../src/client/errors.js';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { PacketType } from '../../../src/codec/constants.js';
import type { Packet, Properties } from '../../../src/codec/types.js';
import type { FakeBroker, FakeConnection } from './fake-broker.js';
import { connack, startFakeBroker } from './fake-broker.js';
import { Clients, nextMessages, once, sleep } from './util.js';

function publish(
  topic: string,
  payload: string,
  qos: 0 | 1 | 2,
  packetId: number,
  properties: Properties | undefined,
  dup = false,
): Packet {
  return {
    type: PacketType.PUBLISH,
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    dup,
    packetId,
    properties,
  };
}

/** Resolves once the fake broker has received a packet matching `pred`. */
async function received(
  conn: () => FakeConnection | undefined,
  pred: (p: Packet) => boolean,
  ms = 2000,
): Promise<Packet> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = conn()?.received.find(pred);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('expected packet not received');
    await sleep(5);
  }
}

describe('client against a scripted broker', () => {
  const clients = new Clients();
  let fake: FakeBroker | undefined;
  afterEach(async () => {
    clients.closeAll();
    await fake?.close();
    fake = undefined;
  });

  test('inbound topic aliases are resolved within our Topic Alias Maximum [MQTT-3.3.2-10]', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) {
        conn.send(connack());
        conn.send(publish('a/b', 'first', 0, 0, { topicAlias: 3 }));
        conn.send(publish('', 'second', 0, 0, { topicAlias: 3 }));
      }
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: false, properties: { topicAliasMaximum: 5 } }),
    );
    const got = nextMessages(c, 2);
    await c.connect();
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => [m.topic, m.payload.toString(), m.properties?.topicAlias]),
      [
        ['a/b', 'first', undefined],
        ['a/b', 'second', undefined],
      ],
    );
  });

  test('an inbound topic alias above our maximum is a protocol error: DISCONNECT 0x94 [MQTT-3.3.2-10]', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) {
        conn.send(connack());
        conn.send(publish('a/b', 'x', 0, 0, { topicAlias: 9 }));
      }
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: false, properties: { topicAliasMaximum: 5 } }),
    );
    let delivered = 0;
    c.on('message', () => delivered++);
    const closed = once(c, 'close');
    await c.connect();
    const d = await received(
      () => fake?.connections[0],
      (p) => p.type === PacketType.DISCONNECT,
    );
    assert.equal(d.type === PacketType.DISCONNECT && d.reasonCode, 0x94);
    await closed;
    assert.equal(delivered, 0);
  });

  for (const version of [4, 5] as ProtocolVersion[]) {
    test(`v${version}: a QoS 2 PUBLISH repeated before PUBREL is acknowledged but delivered once [${version === 5 ? 'MQTT-4.3.3-10' : 'MQTT-4.3.3-2'}]`, async () => {
      fake = await startFakeBroker((conn, p) => {
        if (p.type === PacketType.CONNECT) {
          conn.send(connack(version === 5 ? {} : undefined));
          conn.send(publish('q2', 'exactly', 2, 7, version === 5 ? {} : undefined));
          conn.send(publish('q2', 'exactly', 2, 7, version === 5 ? {} : undefined, true));
        }
        if (
          p.type === PacketType.PUBREC &&
          conn.received.filter((r) => r.type === PacketType.PUBREC).length === 2
        ) {
          conn.send({ type: PacketType.PUBREL, packetId: 7, reasonCode: 0, properties: undefined });
          // After the release the same id starts a new message.
          conn.send(publish('q2', 'next', 2, 7, version === 5 ? {} : undefined));
        }
      });
      const c = clients.track(
        new MqttClient(fake.url, { reconnect: false, protocolVersion: version }),
      );
      const seen: string[] = [];
      const ids: number[] = [];
      c.on('message', (m) => {
        seen.push(m.payload.toString());
        ids.push(m.packetId);
      });
      await c.connect();
      await received(
        () => fake?.connections[0],
        (p) => p.type === PacketType.PUBCOMP && p.packetId === 7,
      );
      const conn = fake.connections[0]!;
      await received(
        () => conn,
        () => conn.received.filter((r) => r.type === PacketType.PUBREC).length === 3,
      );
      assert.deepEqual(seen, ['exactly', 'next']);
      assert.deepEqual(ids, [7, 7], 'a message carries the packet id of its PUBLISH');
    });
  }

  test('v5: a QoS 2 publish whose PUBREL is answered by PUBCOMP 0x92 (the broker had completed it before a restart) resolves', async () => {
    // The successful PUBREC already said the broker owns the message; 0x92 (Packet Identifier
    // not found) only says the exchange had ended on its side.
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack({}));
      if (p.type === PacketType.PUBLISH) {
        conn.send({
          type: PacketType.PUBREC,
          packetId: p.packetId,
          reasonCode: 0,
          properties: undefined,
        });
      }
      if (p.type === PacketType.PUBREL) {
        conn.send({
          type: PacketType.PUBCOMP,
          packetId: p.packetId,
          reasonCode: 0x92,
          properties: undefined,
        });
      }
    });
    const c = clients.track(new MqttClient(fake.url, { reconnect: false, protocolVersion: 5 }));
    await c.connect();
    const result = await c.publish('q2/done', 'once', { qos: 2 });
    assert.equal(result.reasonCode, 0x92);
  });

  test('a broker exceeding our Receive Maximum is disconnected with 0x93 [MQTT-3.3.4-9]', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type !== PacketType.CONNECT) return;
      conn.send(connack());
      for (const id of [1, 2, 3]) conn.send(publish('rm', `m${id}`, 2, id, {}));
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: false, properties: { receiveMaximum: 2 } }),
    );
    const seen: string[] = [];
    c.on('message', (m) => seen.push(m.payload.toString()));
    const closed = once(c, 'close');
    await c.connect();
    const d = await received(
      () => fake?.connections[0],
      (p) => p.type === PacketType.DISCONNECT,
    );
    assert.equal(d.type === PacketType.DISCONNECT && d.reasonCode, 0x93);
    await closed;
    assert.deepEqual(seen, ['m1', 'm2']);
  });

  test('enhanced authentication: the onAuth hook answers AUTH challenges before CONNACK', async () => {
    const challenges: string[] = [];
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) {
        assert.equal(p.properties?.authenticationMethod, 'TOKEN');
        conn.send({
          type: PacketType.AUTH,
          reasonCode: 0x18,
          properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from('nonce') },
        });
      } else if (p.type === PacketType.AUTH) {
        const data = p.properties?.authenticationData?.toString();
        if (data === 'signed:nonce') {
          conn.send(connack({ authenticationMethod: 'TOKEN' }));
        } else
          conn.send({
            type: PacketType.CONNACK,
            sessionPresent: false,
            reasonCode: 0x86,
            properties: {},
          });
      }
    });
    const c = clients.track(
      new MqttClient(fake.url, {
        reconnect: false,
        properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from('hello') },
        onAuth: (ch) => {
          challenges.push(ch.authenticationData?.toString() ?? '');
          return { authenticationData: Buffer.from(`signed:${ch.authenticationData?.toString()}`) };
        },
      }),
    );
    const info = await c.connect();
    assert.equal(info.reasonCode, 0);
    assert.deepEqual(challenges, ['nonce']);
    const auth = fake.connections[0]?.received.find((p) => p.type === PacketType.AUTH);
    assert.equal(auth?.type === PacketType.AUTH && auth.reasonCode, 0x18);
  });

  test('reauthenticate() sends AUTH 0x19 and answers the broker challenge through onAuth', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack({ authenticationMethod: 'TOKEN' }));
      if (p.type !== PacketType.AUTH) return;
      if (p.reasonCode === 0x19) {
        conn.send({
          type: PacketType.AUTH,
          reasonCode: 0x18,
          properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from('again') },
        });
      } else if (p.reasonCode === 0x18) {
        conn.send({
          type: PacketType.AUTH,
          reasonCode: 0,
          properties: { authenticationMethod: 'TOKEN' },
        });
      }
    });
    const seen: string[] = [];
    const c = clients.track(
      new MqttClient(fake.url, {
        reconnect: false,
        properties: { authenticationMethod: 'TOKEN' },
        onAuth: (ch) => {
          seen.push(ch.authenticationData?.toString() ?? '');
          return { authenticationData: Buffer.from('answer') };
        },
      }),
    );
    await c.connect();
    c.reauthenticate(Buffer.from('fresh'));
    const answer = await received(
      () => fake?.connections[0],
      (p) => p.type === PacketType.AUTH && p.reasonCode === 0x18,
    );
    const first = fake.connections[0]?.received.find((p) => p.type === PacketType.AUTH);
    assert.equal(first?.type === PacketType.AUTH && first.reasonCode, 0x19);
    assert.equal(
      first?.type === PacketType.AUTH && first.properties?.authenticationData?.toString(),
      'fresh',
    );
    assert.equal(
      answer.type === PacketType.AUTH && answer.properties?.authenticationData?.toString(),
      'answer',
    );
    assert.deepEqual(seen, ['again']);
    await sleep(20);
    assert.equal(c.connected, true);
  });

  test('protocolFallback: a v5 CONNECT refused as unsupported is retried with 3.1.1', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type !== PacketType.CONNECT) return;
      if (p.protocolVersion === 5) {
        conn.send({
          type: PacketType.CONNACK,
          sessionPresent: false,
          reasonCode: 0x84,
          properties: {},
        });
        conn.close();
      } else conn.send(connack(undefined));
    });
    const c = clients.track(new MqttClient(fake.url, { reconnect: false, protocolFallback: true }));
    const info = await c.connect();
    assert.equal(info.protocolVersion, 4);
    assert.equal(c.protocolVersion, 4);

    const strict = new MqttClient(fake.url, { reconnect: false });
    const err = await strict.connect().catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionRefusedError);
    assert.equal(err.reasonCode, 0x84);
  });

  test('no CONNACK within connectTimeout rejects with CONNECT_TIMEOUT', async () => {
    fake = await startFakeBroker(() => undefined);
    const c = new MqttClient(fake.url, { reconnect: false, connectTimeout: 150 });
    await assert.rejects(c.connect(), (e: ClientError) => e.code === 'CONNECT_TIMEOUT');
    assert.equal(c.state, 'closed');
  });

  test('disconnect() while waiting for CONNACK rejects connect() with CLIENT_CLOSED at once', async () => {
    fake = await startFakeBroker(() => undefined);
    const c = new MqttClient(fake.url, { reconnect: false, connectTimeout: 5000 });
    const pending = c.connect();
    await received(
      () => fake?.connections[0],
      (p) => p.type === PacketType.CONNECT,
    );
    const started = Date.now();
    await c.disconnect();
    await assert.rejects(pending, (e: ClientError) => e.code === 'CLIENT_CLOSED');
    assert.ok(Date.now() - started < 1000);
    assert.equal(c.state, 'closed');
  });

  test('disconnect() waiting for acknowledgements ends as soon as a non-reconnecting client loses the broker', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack());
      if (p.type === PacketType.PUBLISH) setTimeout(() => conn.close(), 100);
    });
    const c = new MqttClient(fake.url, { reconnect: false });
    await c.connect();
    const unacked = c.publish('t', 'x', { qos: 1 });
    const started = Date.now();
    await c.disconnect({ timeout: 5000 });
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    await assert.rejects(unacked, (e: ClientError) => e.code === 'CONNECTION_LOST');
  });

  test('Server Keep Alive from CONNACK sets the PINGREQ interval [MQTT-3.2.2-21]', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack({ serverKeepAlive: 1 }));
      if (p.type === PacketType.PINGREQ) conn.send({ type: PacketType.PINGRESP });
    });
    const c = clients.track(new MqttClient(fake.url, { reconnect: false, keepAlive: 60 }));
    await c.connect();
    await received(
      () => fake?.connections[0],
      (p) => p.type === PacketType.PINGREQ,
      1500,
    );
    assert.equal(c.connected, true);
  });

  test('a broker DISCONNECT is reported with its reason code and the client reconnects', async () => {
    let n = 0;
    fake = await startFakeBroker((conn, p) => {
      if (p.type !== PacketType.CONNECT) return;
      conn.send(connack());
      if (n++ === 0) {
        conn.send({
          type: PacketType.DISCONNECT,
          reasonCode: 0x8b,
          properties: { reasonString: 'going down' },
        });
        conn.close();
      }
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: { initialDelay: 10, maxDelay: 20 } }),
    );
    const reasons: number[] = [];
    const errors: string[] = [];
    c.on('disconnect', (code) => reasons.push(code));
    c.on('error', (e) => errors.push(e.message));
    await c.connect();
    await once(c, 'connect');
    assert.deepEqual(reasons, [0x8b]);
    assert.match(errors[0] ?? '', /server shutting down \(going down\)/);
  });

  test('DISCONNECT 0x8E (session taken over) closes the client instead of fighting back', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type !== PacketType.CONNECT) return;
      conn.send(connack());
      conn.send({ type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: undefined });
      conn.close();
    });
    const c = clients.track(
      new MqttClient(fake.url, { reconnect: { initialDelay: 10, maxDelay: 20 } }),
    );
    const closed = once(c, 'close');
    await c.connect();
    await closed;
    await sleep(100);
    assert.equal(c.state, 'closed');
    assert.equal(fake.connections.length, 1);
    await assert.rejects(c.publish('t', 'x'), (e: ClientError) => e.code === 'CLIENT_CLOSED');
  });

  test('a QoS 1 PUBACK with a failure reason rejects the publish with PUBLISH_FAILED', async () => {
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack());
      if (p.type === PacketType.PUBLISH) {
        conn.send({
          type: PacketType.PUBACK,
          packetId: p.packetId,
          reasonCode: 0x87,
          properties: undefined,
        });
      }
    });
    const c = clients.track(new MqttClient(fake.url, { reconnect: false }));
    await c.connect();
    await assert.rejects(
      c.publish('denied', 'x', { qos: 1 }),
      (e: ClientError) => e.code === 'PUBLISH_FAILED' && e.reasonCode === 0x87,
    );
    assert.equal(c.inflightMessages, 0);
  });

  test('[MQTT-2.2.1-3] a packet id held by an unacknowledged PUBLISH or SUBSCRIBE is skipped until its ack, then reused', async () => {
    let heldPublish = 0;
    let heldSubscribe = 0;
    fake = await startFakeBroker((conn, p) => {
      if (p.type === PacketType.CONNECT) conn.send(connack());
      if (p.type === PacketType.SUBSCRIBE) heldSubscribe = p.packetId;
      if (p.type === PacketType.PUBLISH) {
        if (heldPublish === 0) heldPublish = p.packetId;
        else
          conn.send({
            type: PacketType.PUBACK,
            packetId: p.packetId,
            reasonCode: 0,
            properties: {},
          });
      }
    });
    const c = clients.track(new MqttClient(fake.url, { reconnect: false }));
    await c.connect();
    const held = c.publish('held', 'x', { qos: 1 });
    const subscribed = c.subscribe('t', { qos: 1 });
    const conn = fake.connections[0]!;
    await received(
      () => conn,
      (p) => p.type === PacketType.SUBSCRIBE,
    );
    // More publishes than the id space's first window (255), so the ids wrap past the held ones.
    for (let i = 0; i < 600; i++) await c.publish('t', String(i), { qos: 1 });
    const ids = conn.received.flatMap((p) => (p.type === PacketType.PUBLISH ? [p.packetId] : []));
    assert.equal(ids.length, 601);
    assert.ok(ids.every((id) => id >= 1 && id <= 65535));
    assert.equal(ids.filter((id) => id === heldPublish || id === heldSubscribe).length, 1);
    conn.send({ type: PacketType.PUBACK, packetId: heldPublish, reasonCode: 0, properties: {} });
    conn.send({
      type: PacketType.SUBACK,
      packetId: heldSubscribe,
      reasonCodes: [1],
      properties: {},
    });
    await held;
    await subscribed;
    const before = ids.length;
    for (let i = 0; i < 300; i++) await c.publish('t', String(i), { qos: 1 });
    const again = conn.received
      .flatMap((p) => (p.type === PacketType.PUBLISH ? [p.packetId] : []))
      .slice(before);
    assert.ok(again.includes(heldPublish) && again.includes(heldSubscribe), 'freed ids come back');
    assert.equal(c.inflightMessages, 0);
  });
});
