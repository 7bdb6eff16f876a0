// Losing the broker: reconnect with backoff, resubscribe, resend with DUP, the offline queue and
// its limits, dead-broker detection by keep-alive.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import type { ClientError } from '../../../src/client/errors.js';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { PacketType } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { Framer } from '../../../src/codec/framer.js';
import type { Packet, PublishPacket } from '../../../src/codec/types.js';
import type { TestBroker } from './brokers.js';
import { brokerKinds } from './brokers.js';
import type { Proxy as TcpProxy } from './proxy.js';
import { startProxy } from './proxy.js';
import { Clients, nextMessages, once, sleep, uniqueTopic } from './util.js';

const kinds = await brokerKinds();
const fast = { initialDelay: 20, maxDelay: 100, jitter: 0.2 };

/** Every packet in the bytes a client sent over one connection. */
function decodeAll(chunks: Buffer[], version: ProtocolVersion): Packet[] {
  const out: Packet[] = [];
  const framer = new Framer((h, b) => out.push(decodePacket(h, b, version)));
  for (const c of chunks) framer.push(c);
  return out;
}

for (const kind of kinds) {
  describe(`client reconnect against ${kind.name}`, () => {
    let broker: TestBroker;
    const clients = new Clients();
    before(async () => {
      broker = await kind.start();
    });
    after(async () => {
      await broker.close();
    });
    afterEach(async () => {
      clients.closeAll();
      await broker.start();
    });

    for (const version of [4, 5] as const) {
      test(`v${version}: after a broker restart the client reconnects and resubscribes (session not present)`, async () => {
        const topic = uniqueTopic('resub');
        const c = clients.track(
          new MqttClient(broker.url, { protocolVersion: version, reconnect: fast }),
        );
        await c.connect();
        await c.subscribe(topic, { qos: 1 });
        const offline = once(c, 'offline');
        await broker.kill();
        await offline;
        assert.equal(c.state, 'reconnecting');
        const reconnected = once<[{ sessionPresent: boolean }]>(c, 'connect');
        await broker.start();
        const [info] = await reconnected;
        assert.equal(info.sessionPresent, false);
        const pub = await clients.connect(broker.url, { protocolVersion: version });
        // The resubscription is sent right after CONNACK; a QoS 1 round trip from the
        // subscriber orders it before our publish.
        await c.publish(uniqueTopic('sync'), '', { qos: 1 });
        const got = nextMessages(c, 1);
        await pub.publish(topic, 'back', { qos: 1 });
        assert.equal((await got)[0]?.payload.toString(), 'back');
      });

      test(`v${version}: publishes made while offline are queued and sent after reconnecting`, async () => {
        const topic = uniqueTopic('queued');
        const sub = clients.track(
          new MqttClient(broker.url, { protocolVersion: version, reconnect: fast }),
        );
        const c = clients.track(
          new MqttClient(broker.url, { protocolVersion: version, reconnect: fast }),
        );
        await sub.connect();
        await c.connect();
        await sub.subscribe(topic, { qos: 1 });
        const offline = once(c, 'offline');
        await broker.kill();
        await offline;
        const results = [0, 1, 2].map((q) =>
          c.publish(topic, `offline-${q}`, { qos: q as 0 | 1 | 2 }),
        );
        assert.equal(c.queuedMessages, 3);
        const subBack = once(sub, 'connect');
        await broker.start();
        await subBack;
        // The subscriber resubscribes on reconnect; give that a round trip before the queue
        // drains (both clients reconnect on the same schedule).
        await sub.publish(uniqueTopic('sync'), '', { qos: 1 });
        const done = await Promise.all(results);
        assert.equal(done.length, 3);
        assert.equal(c.queuedMessages, 0);
      });
    }

    test('the offline queue is bounded by messages and by bytes, with a clear error', async () => {
      const c = clients.track(
        new MqttClient(broker.url, {
          reconnect: fast,
          offlineQueue: { maxMessages: 3, maxBytes: 1000 },
        }),
      );
      await c.connect();
      const offline = once(c, 'offline');
      await broker.kill();
      await offline;
      const topic = uniqueTopic('full');
      const ok = [1, 2, 3].map((i) => c.publish(topic, `m${i}`, { qos: 1 }));
      const err = (await c
        .publish(topic, 'm4', { qos: 1 })
        .catch((e: unknown) => e)) as ClientError;
      assert.equal(err.code, 'QUEUE_FULL');
      assert.match(err.message, /offline queue full.*3 messages/);
      await c.disconnect({ timeout: 0 });
      await Promise.allSettled(ok);

      const d = clients.track(
        new MqttClient(broker.url, {
          reconnect: fast,
          offlineQueue: { maxMessages: 100, maxBytes: 100 },
        }),
      );
      await broker.start();
      await d.connect();
      const offline2 = once(d, 'offline');
      await broker.kill();
      await offline2;
      const first = d.publish(topic, Buffer.alloc(60), { qos: 1 });
      const err2 = (await d
        .publish(topic, Buffer.alloc(60), { qos: 1 })
        .catch((e: unknown) => e)) as ClientError;
      assert.equal(err2.code, 'QUEUE_FULL');
      assert.match(err2.message, /100 bytes/);
      d.destroy();
      await assert.rejects(first, (e: ClientError) => e.code === 'CLIENT_CLOSED');
    });

    test('a publish waiting offline longer than offlineTimeout rejects with OFFLINE_TIMEOUT', async () => {
      const c = clients.track(
        new MqttClient(broker.url, { reconnect: { initialDelay: 5000 }, offlineTimeout: 150 }),
      );
      await c.connect();
      const offline = once(c, 'offline');
      await broker.kill();
      await offline;
      const started = Date.now();
      const err = (await c
        .publish(uniqueTopic('late'), 'x', { qos: 1 })
        .catch((e: unknown) => e)) as ClientError;
      assert.equal(err.code, 'OFFLINE_TIMEOUT');
      const waited = Date.now() - started;
      assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
    });

    test('without reconnect, a lost connection closes the client and fails pending work', async () => {
      const c = await clients.connect(broker.url, { reconnect: false });
      const closed = once(c, 'close');
      await broker.kill();
      await closed;
      assert.equal(c.state, 'closed');
      await assert.rejects(c.publish('a', 'b'), (e: ClientError) => e.code === 'CLIENT_CLOSED');
    });

    test('disconnect() while offline resolves within its timeout', async () => {
      const c = clients.track(new MqttClient(broker.url, { reconnect: { initialDelay: 5000 } }));
      await c.connect();
      const offline = once(c, 'offline');
      await broker.kill();
      await offline;
      const pending = c.publish(uniqueTopic('x'), 'x', { qos: 1 });
      const started = Date.now();
      await c.disconnect({ timeout: 100 });
      assert.ok(Date.now() - started < 1000);
      assert.equal(c.state, 'closed');
      await assert.rejects(pending, (e: ClientError) => e.code === 'CLIENT_CLOSED');
    });

    if (kind.name === 'mosquitto') {
      test('keep-alive: a broker that stops answering PINGREQ is detected and left [MQTT-3.1.2-20]', async () => {
        const c = clients.track(new MqttClient(broker.url, { keepAlive: 1, reconnect: fast }));
        const sent: number[] = [];
        c.on('packetsend', (p) => sent.push(p.type));
        await c.connect();
        const offline = once(c, 'offline', 4000);
        broker.pause?.();
        try {
          await offline;
        } finally {
          broker.resume?.();
        }
        assert.ok(sent.includes(PacketType.PINGREQ));
        const [info] = await once<[{ sessionPresent: boolean }]>(c, 'connect', 4000);
        assert.equal(info.sessionPresent, false);
      });
    }
  });

  describe(`persistent session across a broker restart on ${kind.name}`, () => {
    let broker: TestBroker;
    const clients = new Clients();
    before(async () => {
      broker = await kind.start({ persistence: true });
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => clients.closeAll());

    for (const version of [4, 5] as const) {
      test(`v${version}: session present after the restart: no resubscription, the subscription still delivers`, async () => {
        const topic = uniqueTopic('persist');
        const c = clients.track(
          new MqttClient(broker.url, {
            protocolVersion: version,
            clientId: `petrel-persist-${version}-${process.pid}`,
            clean: false,
            reconnect: fast,
            ...(version === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
          }),
        );
        await c.connect();
        await c.subscribe(topic, { qos: 1 });
        const offline = once(c, 'offline');
        const sent: number[] = [];
        c.on('packetsend', (p) => sent.push(p.type));
        const reconnected = once<[{ sessionPresent: boolean }]>(c, 'connect');
        await broker.restart();
        await offline;
        const [info] = await reconnected;
        assert.equal(info.sessionPresent, true);
        const pub = await clients.connect(broker.url, { protocolVersion: version });
        const got = nextMessages(c, 1);
        await pub.publish(topic, 'still subscribed', { qos: 1 });
        assert.equal((await got)[0]?.payload.toString(), 'still subscribed');
        assert.ok(!sent.includes(PacketType.SUBSCRIBE), 'no resubscription with a session');
      });
    }
  });

  describe(`client resend with DUP against ${kind.name}`, () => {
    let broker: TestBroker;
    let proxy: TcpProxy;
    const clients = new Clients();
    before(async () => {
      broker = await kind.start();
    });
    after(async () => {
      await broker.close();
    });
    afterEach(async () => {
      clients.closeAll();
      await proxy.close();
    });

    for (const version of [4, 5] as const) {
      const session =
        version === 5
          ? { properties: { sessionExpiryInterval: 300 } }
          : ({} as Record<string, never>);

      test(`v${version}: an unacknowledged QoS 1 PUBLISH is resent with DUP and the same id on reconnect [MQTT-3.3.1-1] [MQTT-4.4.0-1]`, async () => {
        proxy = await startProxy(broker.port);
        const topic = uniqueTopic('dup1');
        const sub = await clients.connect(broker.url, { protocolVersion: version });
        await sub.subscribe(topic, { qos: 1 });
        const c = clients.track(
          new MqttClient(proxy.url, {
            protocolVersion: version,
            clean: false,
            reconnect: fast,
            ...session,
          }),
        );
        await c.connect();
        proxy.blackhole('up');
        const result = c.publish(topic, 'again', { qos: 1 });
        await sleep(50);
        const reconnected = once<[{ sessionPresent: boolean }]>(c, 'connect');
        proxy.release();
        proxy.cut();
        const [info] = await reconnected;
        assert.equal(info.sessionPresent, true);
        const got = nextMessages(sub, 1);
        const ack = await result;
        assert.equal((await got)[0]?.payload.toString(), 'again');
        const first = decodeAll(proxy.upstream[0] ?? [], version).filter(
          (p): p is PublishPacket => p.type === PacketType.PUBLISH,
        );
        const second = decodeAll(proxy.upstream[1] ?? [], version).filter(
          (p): p is PublishPacket => p.type === PacketType.PUBLISH,
        );
        assert.equal(first[0]?.dup, false);
        assert.equal(second[0]?.dup, true);
        assert.equal(second[0]?.packetId, first[0]?.packetId);
        assert.equal(second[0]?.packetId, ack.packetId);
      });

      test(`v${version}: QoS 2 resent after a lost PUBREC is delivered exactly once [MQTT-4.4.0-1]`, async () => {
        proxy = await startProxy(broker.port);
        const topic = uniqueTopic('dup2');
        const sub = await clients.connect(broker.url, { protocolVersion: version });
        await sub.subscribe(topic, { qos: 2 });
        const received: string[] = [];
        sub.on('message', (m) => received.push(m.payload.toString()));
        const c = clients.track(
          new MqttClient(proxy.url, {
            protocolVersion: version,
            clean: false,
            reconnect: fast,
            ...session,
          }),
        );
        await c.connect();
        proxy.blackhole('down');
        const result = c.publish(topic, 'once', { qos: 2 });
        await sleep(50);
        const reconnected = once(c, 'connect');
        proxy.release();
        proxy.cut();
        await reconnected;
        await result;
        await sub.publish(uniqueTopic('sync'), '', { qos: 2 });
        await sleep(50);
        assert.deepEqual(received, ['once']);
        const resent = decodeAll(proxy.upstream[1] ?? [], version);
        assert.ok(resent.some((p) => p.type === PacketType.PUBLISH && p.dup));
        assert.ok(resent.some((p) => p.type === PacketType.PUBREL));
      });
    }
  });
}
