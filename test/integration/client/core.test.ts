// The client's everyday behaviour against each real broker, for every protocol version.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import { connect } from '../../../src/client/connect.js';
import type { ClientError } from '../../../src/client/errors.js';
import { ConnectionRefusedError } from '../../../src/client/errors.js';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import type { TestBroker } from './brokers.js';
import { brokerKinds } from './brokers.js';
import { Clients, nextMessages, uniqueTopic } from './util.js';

const kinds = await brokerKinds();
const versions: Array<[string, ProtocolVersion]> = [
  ['3.1', 3],
  ['3.1.1', 4],
  ['5.0', 5],
];

for (const kind of kinds) {
  describe(`client core against ${kind.name}`, () => {
    let broker: TestBroker;
    const clients = new Clients();
    before(async () => {
      broker = await kind.start();
    });
    after(async () => {
      await broker.close();
    });
    afterEach(() => clients.closeAll());

    for (const [label, version] of versions) {
      test(`MQTT ${label}: connect resolves on CONNACK with session present false [${version === 5 ? 'MQTT-3.2.2-2' : 'MQTT-3.2.2-1'}]`, async () => {
        const c = await clients.connect(broker.url, { protocolVersion: version });
        assert.equal(c.connected, true);
        assert.equal(c.connackInfo?.sessionPresent, false);
        assert.equal(c.connackInfo?.reasonCode, 0);
        assert.equal(c.protocolVersion, version);
      });

      test(`MQTT ${label}: subscribe resolves with the granted QoS per filter`, async () => {
        const c = await clients.connect(broker.url, { protocolVersion: version });
        const r = await c.subscribe({
          [uniqueTopic('g0')]: { qos: 0 },
          [`${uniqueTopic('g1')}/+`]: { qos: 1 },
          [`${uniqueTopic('g2')}/#`]: { qos: 2 },
        });
        assert.deepEqual(
          r.granted.map((g) => g.qos),
          [0, 1, 2],
        );
      });

      test(`MQTT ${label}: publish QoS 0, 1 and 2 round trip; promises settle on PUBACK/PUBCOMP`, async () => {
        const topic = uniqueTopic('rt');
        const sub = await clients.connect(broker.url, { protocolVersion: version });
        const pub = await clients.connect(broker.url, { protocolVersion: version });
        await sub.subscribe(topic, { qos: 2 });
        const got = nextMessages(sub, 3);
        const r0 = await pub.publish(topic, 'q0', { qos: 0 });
        const r1 = await pub.publish(topic, 'q1', { qos: 1 });
        const r2 = await pub.publish(topic, Buffer.from('q2'), { qos: 2 });
        assert.equal(r0.packetId, 0);
        assert.ok(r1.packetId > 0 && r2.packetId > 0);
        assert.equal(pub.inflightMessages, 0);
        const msgs = await got;
        assert.deepEqual(
          msgs.map((m) => [m.topic, m.payload.toString(), m.qos, m.retain]),
          [
            [topic, 'q0', 0, false],
            [topic, 'q1', 1, false],
            [topic, 'q2', 2, false],
          ],
        );
      });

      test(`MQTT ${label}: unsubscribe resolves on UNSUBACK and stops delivery`, async () => {
        const topic = uniqueTopic('unsub');
        const c = await clients.connect(broker.url, { protocolVersion: version });
        await c.subscribe(topic, { qos: 1 });
        const r = await c.unsubscribe(topic);
        assert.equal(r.reasonCodes.length, 1);
        assert.equal(r.reasonCodes[0], 0);
        let received = 0;
        c.on('message', () => received++);
        await c.publish(topic, 'after', { qos: 1 });
        // QoS 1 from ourselves: had we still been subscribed, the copy would precede PUBACK's
        // processing by the time a second round trip completes.
        await c.publish(uniqueTopic('flush'), 'x', { qos: 1 });
        assert.equal(received, 0);
      });

      test(`MQTT ${label}: retained message is delivered with retain set to a new subscriber`, async () => {
        const topic = uniqueTopic('ret');
        const pub = await clients.connect(broker.url, { protocolVersion: version });
        await pub.publish(topic, 'kept', { qos: 1, retain: true });
        const sub = await clients.connect(broker.url, { protocolVersion: version });
        const got = nextMessages(sub, 1);
        await sub.subscribe(topic, { qos: 1 });
        const [m] = await got;
        assert.equal(m?.payload.toString(), 'kept');
        assert.equal(m?.retain, true);
        await pub.publish(topic, '', { qos: 1, retain: true });
      });

      test(`MQTT ${label}: disconnect waits for in-flight QoS 1/2 messages, then closes`, async () => {
        const topic = uniqueTopic('disc');
        const sub = await clients.connect(broker.url, { protocolVersion: version });
        await sub.subscribe(topic, { qos: 2 });
        const got = nextMessages(sub, 20);
        const pub = await clients.connect(broker.url, { protocolVersion: version });
        const results: Array<Promise<unknown>> = [];
        for (let i = 0; i < 20; i++)
          results.push(pub.publish(topic, `m${i}`, { qos: ((i % 2) + 1) as 1 | 2 }));
        await pub.disconnect();
        assert.equal(pub.state, 'closed');
        const settled = await Promise.allSettled(results);
        assert.ok(settled.every((s) => s.status === 'fulfilled'));
        assert.equal((await got).length, 20);
        await assert.rejects(
          pub.publish(topic, 'late'),
          (e: ClientError) => e.code === 'CLIENT_CLOSED',
        );
      });

      test(`MQTT ${label}: messages() iterates matching messages in order`, async () => {
        const topic = uniqueTopic('iter');
        const c = await clients.connect(broker.url, { protocolVersion: version });
        await c.subscribe(`${topic}/#`, { qos: 1 });
        const it = c.messages(`${topic}/a`);
        for (let i = 0; i < 5; i++) {
          await c.publish(`${topic}/${i % 2 === 0 ? 'a' : 'b'}`, String(i), { qos: 1 });
        }
        const seen: string[] = [];
        for await (const m of it) {
          seen.push(m.payload.toString());
          if (seen.length === 3) break;
        }
        assert.deepEqual(seen, ['0', '2', '4']);
      });

      test(`MQTT ${label}: messages('$share/g/...') iterates what the shared subscription receives`, async () => {
        const topic = uniqueTopic('iter-share');
        const c = await clients.connect(broker.url, { protocolVersion: version });
        await c.subscribe(`$share/g/${topic}/#`, { qos: 1 });
        const it = c.messages(`$share/g/${topic}/#`);
        await c.publish(`${topic}/x`, 'shared', { qos: 1 });
        const first = await it.next();
        assert.equal(first.done, false);
        assert.equal(first.value?.payload.toString(), 'shared');
        await it.return?.();
      });
    }

    test('a wildcard in a topic name or a misplaced # is rejected before anything is sent [MQTT-3.3.2-2] [MQTT-4.7.1-2]', async () => {
      const c = await clients.connect(broker.url);
      await assert.rejects(c.publish('a/+/b', 'x'), (e: Error & { reasonCode?: number }) => {
        return e.reasonCode === 0x90;
      });
      await assert.rejects(c.subscribe('a/#/b'), (e: Error & { reasonCode?: number }) => {
        return e.reasonCode === 0x8f;
      });
      assert.equal(c.connected, true);
    });

    test('MQTT 3.1.1: an empty client id with clean session 0 is refused locally [MQTT-3.1.3-7]', async () => {
      const c = new MqttClient(broker.url, {
        protocolVersion: 4,
        clientId: '',
        clean: false,
        reconnect: false,
      });
      const sent: number[] = [];
      c.on('packetsend', (p) => sent.push(p.type));
      await assert.rejects(c.connect(), (e: ClientError) => e.code === 'INVALID_ARGUMENT');
      assert.deepEqual(sent, []);
      assert.equal(c.state, 'closed');
    });

    test('MQTT 5.0: an empty client id gets an Assigned Client Identifier [MQTT-3.1.3-7]', async () => {
      const c = await clients.connect(broker.url, { protocolVersion: 5, clientId: '' });
      const assigned = c.connackInfo?.properties.assignedClientIdentifier;
      assert.ok(assigned !== undefined && assigned.length > 0);
      assert.equal(c.clientId, assigned);
    });

    test('options out of range are refused when the client is made', () => {
      assert.throws(() => new MqttClient(broker.url, { keepAlive: 70_000 }), /keepAlive/);
      assert.throws(
        () => new MqttClient(broker.url, { properties: { receiveMaximum: 0 } }),
        /receiveMaximum must be an integer in 1\.\.65535/,
      );
      assert.throws(() => new MqttClient('http://x'), /unsupported URL scheme/);
    });

    test('connect to a closed port rejects with CONNECTION_FAILED', async () => {
      const c = new MqttClient('mqtt://127.0.0.1:1', { reconnect: false });
      await assert.rejects(c.connect(), (e: ClientError) => e.code === 'CONNECTION_FAILED');
      assert.equal(c.state, 'closed');
    });
  });

  describe(`connection refusal by ${kind.name}`, () => {
    let broker: TestBroker;
    before(async () => {
      broker = await kind.start({ anonymous: false });
    });
    after(async () => {
      await broker.close();
    });
    for (const [label, version, code] of [
      ['3.1.1', 4, 5],
      ['5.0', 5, 0x87],
    ] as const) {
      test(`MQTT ${label}: connect rejects with ConnectionRefusedError carrying code ${code}`, async () => {
        const err = await connect(broker.url, { protocolVersion: version, reconnect: false }).catch(
          (e: unknown) => e,
        );
        assert.ok(err instanceof ConnectionRefusedError, String(err));
        assert.equal(err.reasonCode, code);
        assert.match(err.message, /not authori[sz]ed/);
      });
    }
  });
}
