// MQTT 5 features against real brokers: limits announced in CONNACK, topic aliases, user
// properties, request/response, wills, subscription options, back-pressure.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import type { ClientError } from '../../../src/client/errors.js';
import { PacketType } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { Framer } from '../../../src/codec/framer.js';
import type { Packet, PublishPacket } from '../../../src/codec/types.js';
import type { BrokerKind, BrokerSettings, TestBroker } from './brokers.js';
import { brokerKinds } from './brokers.js';
import { startProxy } from './proxy.js';
import { Clients, nextMessages, sleep, uniqueTopic } from './util.js';

const kinds = await brokerKinds();

/** A broker started with `settings` for the duration of a test. */
async function withBroker(
  kind: BrokerKind,
  settings: BrokerSettings,
  fn: (b: TestBroker) => Promise<void>,
): Promise<void> {
  const b = await kind.start(settings);
  try {
    await fn(b);
  } finally {
    await b.close();
  }
}

for (const kind of kinds) {
  describe(`MQTT 5 client features against ${kind.name}`, () => {
    let broker: TestBroker;
    const clients = new Clients();
    before(async () => {
      broker = await kind.start({ topicAliasMaximum: 10 });
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => clients.closeAll());

    test('outbound topic aliases: topic sent once, then alias only, never above the maximum [MQTT-3.3.2-9]', async () => {
      const proxy = await startProxy(broker.port);
      try {
        const base = uniqueTopic('alias');
        const sub = await clients.connect(broker.url);
        await sub.subscribe(`${base}/#`, { qos: 1 });
        const c = await clients.connect(proxy.url);
        const max = c.connackInfo?.properties.topicAliasMaximum ?? 0;
        assert.ok(max > 0, 'the broker announces a Topic Alias Maximum');
        const topics = Array.from({ length: max + 2 }, (_, i) => `${base}/${i}`);
        const got = nextMessages(sub, topics.length + 2);
        for (const t of topics) await c.publish(t, 'x', { qos: 1 });
        await c.publish(topics[0]!, 'again', { qos: 1 });
        await c.publish(topics[0]!, 'again', { qos: 1 });
        const msgs = await got;
        assert.deepEqual(
          msgs.map((m) => m.topic),
          [...topics, topics[0], topics[0]],
        );
        const sent: Packet[] = [];
        const framer = new Framer((h, b) => sent.push(decodePacket(h, b, 5)));
        for (const chunk of proxy.upstream[0] ?? []) framer.push(chunk);
        const pubs = sent.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);
        const aliases = pubs.map((p) => p.properties?.topicAlias);
        assert.ok(aliases.every((a) => a === undefined || (a >= 1 && a <= max)));
        const last = pubs[pubs.length - 1]!;
        assert.equal(last.topic, '');
        assert.equal(last.properties?.topicAlias, aliases[0]);
        assert.equal(pubs[max]?.properties?.topicAlias, undefined);
      } finally {
        await proxy.close();
      }
    });

    test('topic aliases start afresh on a new connection [MQTT-3.3.2-7]', async () => {
      const proxy = await startProxy(broker.port);
      try {
        const topic = uniqueTopic('alias-reset');
        const c = clients.track(
          new MqttClient(proxy.url, { reconnect: { initialDelay: 10, maxDelay: 50 } }),
        );
        await c.connect();
        await c.publish(topic, 'a', { qos: 1 });
        await c.publish(topic, 'b', { qos: 1 });
        const back = new Promise<void>((resolve) => c.once('connect', () => resolve()));
        proxy.cut();
        await back;
        const sub = await clients.connect(broker.url);
        await sub.subscribe(topic, { qos: 1 });
        const got = nextMessages(sub, 1);
        await c.publish(topic, 'c', { qos: 1 });
        const [m] = await got;
        assert.equal(m?.topic, topic);
        const pubs = (i: number): PublishPacket[] => {
          const out: Packet[] = [];
          const framer = new Framer((h, b) => out.push(decodePacket(h, b, 5)));
          for (const chunk of proxy.upstream[i] ?? []) framer.push(chunk);
          return out.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);
        };
        assert.deepEqual(
          pubs(0).map((p) => p.topic),
          [topic, ''],
        );
        assert.equal(
          pubs(1)[0]?.topic,
          topic,
          'the first PUBLISH after reconnecting names the topic',
        );
        assert.equal(pubs(1)[0]?.properties?.topicAlias, 1);
      } finally {
        await proxy.close();
      }
    });

    test('user properties, content type and correlation data round trip', async () => {
      const topic = uniqueTopic('props');
      const sub = await clients.connect(broker.url);
      await sub.subscribe(topic, { qos: 1 });
      const pub = await clients.connect(broker.url);
      const got = nextMessages(sub, 1);
      await pub.publish(topic, '{}', {
        qos: 1,
        properties: {
          userProperties: [
            ['a', '1'],
            ['a', '2'],
            ['b', 'x'],
          ],
          contentType: 'application/json',
          correlationData: Buffer.from([1, 2, 3]),
          payloadFormatIndicator: 1,
        },
      });
      const [m] = await got;
      assert.deepEqual(m?.properties?.userProperties, [
        ['a', '1'],
        ['a', '2'],
        ['b', 'x'],
      ]);
      assert.equal(m?.properties?.contentType, 'application/json');
      assert.deepEqual([...(m?.properties?.correlationData ?? [])], [1, 2, 3]);
      assert.equal(m?.properties?.payloadFormatIndicator, 1);
    });

    test('request() publishes with Response Topic and Correlation Data and resolves with the reply', async () => {
      const service = uniqueTopic('svc');
      const responder = await clients.connect(broker.url);
      await responder.subscribe(service, { qos: 1 });
      responder.on('message', (m) => {
        const p = m.properties;
        if (p?.responseTopic === undefined) return;
        const properties = p.correlationData ? { correlationData: p.correlationData } : {};
        void responder.publish(p.responseTopic, `re:${m.payload.toString()}`, {
          qos: 1,
          properties,
        });
      });
      const c = await clients.connect(broker.url);
      const [a, b] = await Promise.all([c.request(service, 'one'), c.request(service, 'two')]);
      assert.equal(a.payload.toString(), 're:one');
      assert.equal(b.payload.toString(), 're:two');
      await assert.rejects(
        c.request(uniqueTopic('nobody'), 'x', { timeout: 100 }),
        (e: ClientError) => e.code === 'REQUEST_TIMEOUT',
      );
    });

    test('subscription identifiers come back on matching messages; v5 UNSUBACK reason codes are surfaced', async () => {
      const topic = uniqueTopic('subid');
      const c = await clients.connect(broker.url);
      await c.subscribe(topic, { qos: 1, subscriptionIdentifier: 42 });
      const got = nextMessages(c, 1);
      await c.publish(topic, 'x', { qos: 1 });
      assert.deepEqual((await got)[0]?.properties?.subscriptionIdentifiers, [42]);
      const r = await c.unsubscribe([topic, uniqueTopic('never')]);
      assert.deepEqual(r.reasonCodes, [0x00, 0x11]);
    });

    test('messages() iterators end when the client disconnects', async () => {
      const c = await clients.connect(broker.url);
      const it = c.messages();
      const drained = (async () => {
        let n = 0;
        for await (const _ of it) n++;
        return n;
      })();
      await c.disconnect();
      assert.equal(await drained, 0);
    });

    test('no local: own publications are not received on a noLocal subscription [MQTT-3.8.3-3]', async () => {
      const topic = uniqueTopic('nolocal');
      const c = await clients.connect(broker.url);
      const other = await clients.connect(broker.url);
      await c.subscribe(topic, { qos: 1, noLocal: true });
      const got = nextMessages(c, 1);
      await c.publish(topic, 'mine', { qos: 1 });
      await other.publish(topic, 'theirs', { qos: 1 });
      assert.equal((await got)[0]?.payload.toString(), 'theirs');
    });

    for (const version of [4, 5] as const) {
      test(`v${version}: the will is published when the connection drops without DISCONNECT`, async () => {
        const topic = uniqueTopic('will');
        const sub = await clients.connect(broker.url);
        await sub.subscribe(topic, { qos: 1 });
        const c = await clients.connect(broker.url, {
          protocolVersion: version,
          will: { topic, payload: 'gone', qos: 1 },
        });
        const got = nextMessages(sub, 1);
        c.destroy();
        assert.equal((await got)[0]?.payload.toString(), 'gone');
      });
    }

    test('DISCONNECT with reason 0x04 asks the broker to publish the will [MQTT-3.14.4-3]', async () => {
      const topic = uniqueTopic('will4');
      const sub = await clients.connect(broker.url);
      await sub.subscribe(topic, { qos: 1 });
      const c = await clients.connect(broker.url, { will: { topic, payload: 'bye', qos: 1 } });
      const got = nextMessages(sub, 1);
      await c.disconnect({ reasonCode: 0x04 });
      assert.equal((await got)[0]?.payload.toString(), 'bye');
    });

    test('a normal DISCONNECT discards the will [MQTT-3.1.2-10]', async () => {
      const topic = uniqueTopic('nowill');
      const sub = await clients.connect(broker.url);
      await sub.subscribe(topic, { qos: 1 });
      let received = 0;
      sub.on('message', () => received++);
      const c = await clients.connect(broker.url, { will: { topic, payload: 'bye', qos: 1 } });
      await c.disconnect();
      await sleep(100);
      assert.equal(received, 0);
    });

    test('messages(): reading pauses while the consumer lags, nothing is lost', async () => {
      const topic = uniqueTopic('bp');
      const c = await clients.connect(broker.url, { highWaterMark: 4 });
      await c.subscribe(topic, { qos: 0 });
      const stream = c.messages(topic);
      const pub = await clients.connect(broker.url);
      const payload = Buffer.alloc(32 * 1024, 7);
      const n = 100;
      for (let i = 0; i < n; i++) {
        payload.writeUInt32BE(i, 0);
        void pub.publish(topic, Buffer.from(payload), { qos: 0 });
      }
      await pub.publish(topic, 'end', { qos: 1 });
      await sleep(300);
      assert.ok(stream.size < n, `buffered ${stream.size} of ${n} while paused`);
      let i = 0;
      for await (const m of stream) {
        if (m.payload.toString() === 'end') break;
        assert.equal(m.payload.readUInt32BE(0), i++);
      }
      assert.equal(i, n);
    });

    test('Receive Maximum: never more unacknowledged QoS 1/2 PUBLISH than the broker allows [MQTT-3.3.4-7]', async () => {
      await withBroker(kind, { receiveMaximum: 2 }, async (b) => {
        const c = await clients.connect(b.url, { offlineQueue: { maxMessages: 5 } });
        assert.equal(c.connackInfo?.properties.receiveMaximum, 2);
        let outstanding = 0;
        let peak = 0;
        c.on('packetsend', (p) => {
          if (p.type === PacketType.PUBLISH && p.qos > 0 && !p.dup) {
            outstanding++;
            peak = Math.max(peak, outstanding);
          }
        });
        c.on('packetreceive', (p) => {
          if (p.type === PacketType.PUBACK || p.type === PacketType.PUBCOMP) outstanding--;
        });
        const topic = uniqueTopic('rm');
        // More than the offline queue's bound: online, waiting for a slot is not limited by it.
        const all = Array.from({ length: 12 }, (_, i) =>
          c.publish(topic, String(i), { qos: (1 + (i % 2)) as 1 | 2 }),
        );
        assert.ok(c.queuedMessages >= 10);
        await Promise.all(all);
        assert.equal(peak, 2);
      });
    });

    test('Maximum Packet Size: a larger PUBLISH is refused locally, the connection stays [MQTT-3.2.2-15]', async () => {
      await withBroker(kind, { maxPacketSize: 200 }, async (b) => {
        const c = await clients.connect(b.url);
        assert.equal(c.connackInfo?.properties.maximumPacketSize, 200);
        const err = (await c
          .publish('big', Buffer.alloc(300), { qos: 1 })
          .catch((e: unknown) => e)) as ClientError;
        assert.equal(err.code, 'PACKET_TOO_LARGE');
        assert.equal(err.reasonCode, 0x95);
        assert.equal(c.connected, true);
        await assert.rejects(
          c.publish('small', 'x', {
            qos: 1,
            properties: { userProperties: [['k', 'v'.repeat(300)]] },
          }),
          (e: ClientError) => e.code === 'PACKET_TOO_LARGE',
        );
        await c.publish('small', Buffer.alloc(50), { qos: 1 });
      });
    });

    test('Maximum QoS: a PUBLISH above it is refused locally [MQTT-3.2.2-11]', async () => {
      await withBroker(kind, { maxQoS: 1 }, async (b) => {
        const c = await clients.connect(b.url);
        assert.equal(c.connackInfo?.properties.maximumQoS, 1);
        await assert.rejects(
          c.publish('q', 'x', { qos: 2 }),
          (e: ClientError) => e.code === 'NOT_SUPPORTED' && e.reasonCode === 0x9b,
        );
        await c.publish('q', 'x', { qos: 1 });
      });
    });

    test('Retain Available 0: a retained PUBLISH is refused locally [MQTT-3.2.2-14]', async () => {
      await withBroker(kind, { retainAvailable: false }, async (b) => {
        const c = await clients.connect(b.url);
        assert.equal(c.connackInfo?.properties.retainAvailable, 0);
        await assert.rejects(
          c.publish('r', 'x', { retain: true }),
          (e: ClientError) => e.code === 'NOT_SUPPORTED' && e.reasonCode === 0x9a,
        );
      });
    });
  });
}
