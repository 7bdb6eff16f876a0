// MQTT.js (a third-party client) against Petrel, for protocol 3.1.1 and 5.0 over TCP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, sleep, unique } from './util.js';

for (const protocolVersion of [4, 5] as const) {
  const name = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  describe(`MQTT.js ${name} against Petrel (TCP)`, { timeout: 9000 }, () => {
    let b: TestBroker;
    const clients: MqttClient[] = [];
    const client = async (opts: Parameters<typeof connectClient>[1] = {}): Promise<MqttClient> => {
      const c = await connectClient(b.url, { protocolVersion, ...opts });
      clients.push(c);
      return c;
    };
    before(async () => {
      b = await startBroker();
    });
    after(async () => {
      await endAll(clients);
      await b.close();
    });

    for (const qos of [0, 1, 2] as const) {
      test(`QoS ${qos} publish from one MQTT.js client reaches another at QoS ${qos} [MQTT-3.3.5-1] [MQTT-4.3.${qos + 1}-1]`, async () => {
        const topic = unique(`mqttjs/q${qos}`);
        const sub = await client();
        const inbox = new Inbox(sub);
        const granted = await sub.subscribeAsync(topic, { qos });
        assert.equal(granted[0]?.qos, qos);
        const pub = await client();
        await pub.publishAsync(topic, `hello ${qos}`, { qos });
        const [m] = await inbox.waitFor(1);
        assert.equal(m?.topic, topic);
        assert.equal(m?.payload.toString(), `hello ${qos}`);
        assert.equal(m?.packet.qos, qos);
        assert.equal(m?.packet.retain, false);
      });
    }

    test('the delivered QoS is the minimum of publish and subscription QoS [MQTT-3.8.4-6]', async () => {
      const topic = unique('mqttjs/min');
      const sub = await client();
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      const pub = await client();
      await pub.publishAsync(topic, 'two', { qos: 2 });
      await pub.publishAsync(topic, 'zero', { qos: 0 });
      const ms = await inbox.waitFor(2);
      const byPayload = new Map(ms.map((m) => [m.payload.toString(), m.packet.qos]));
      assert.equal(byPayload.get('two'), 1);
      assert.equal(byPayload.get('zero'), 0);
    });

    test('a retained message is delivered to a later subscriber with retain set [MQTT-3.3.1-6]', async () => {
      const topic = unique('mqttjs/retained');
      const pub = await client();
      await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
      const sub = await client();
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), 'kept');
      assert.equal(m?.packet.retain, true);
      await pub.publishAsync(topic, '', { qos: 1, retain: true });
      const late = await client();
      const lateInbox = new Inbox(late);
      await late.subscribeAsync(topic, { qos: 1 });
      await sleep(200);
      assert.equal(
        lateInbox.messages.length,
        0,
        'an empty retained payload deletes it [MQTT-3.3.1-10]',
      );
    });

    test('the will is published when the client connection drops [MQTT-3.1.2-8]', async () => {
      const topic = unique('mqttjs/will');
      const watcher = await client();
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const dying = await client({
        will: { topic, payload: Buffer.from('gone'), qos: 1, retain: false },
      });
      dying.stream.destroy();
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), 'gone');
    });

    test('the will is not published after a normal disconnect [MQTT-3.1.2-10]', async () => {
      const topic = unique('mqttjs/nowill');
      const watcher = await client();
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const leaving = await connectClient(b.url, {
        protocolVersion,
        will: { topic, payload: Buffer.from('x'), qos: 1, retain: false },
      });
      await leaving.endAsync();
      await sleep(300);
      assert.equal(inbox.messages.length, 0);
    });

    test('a persistent session resumes with session present and queued QoS 1 messages [MQTT-3.1.2-5] [MQTT-3.2.2-2]', async () => {
      const topic = unique('mqttjs/session');
      const clientId = unique('persist');
      const v5 = protocolVersion === 5 ? { properties: { sessionExpiryInterval: 60 } } : {};
      const first = await connectClient(b.url, { protocolVersion, clientId, clean: false, ...v5 });
      await first.subscribeAsync(topic, { qos: 1 });
      await first.endAsync();
      const pub = await client();
      await pub.publishAsync(topic, 'while away', { qos: 1 });
      // connect() rather than connectAsync(): the CONNACK must be observed as it arrives.
      const second = connect(b.url, {
        protocolVersion,
        clientId,
        clean: false,
        reconnectPeriod: 0,
        ...v5,
      });
      clients.push(second);
      const inbox = new Inbox(second);
      const present = new Promise<boolean>((resolve, reject) => {
        second.once('connect', (ack) => resolve(ack.sessionPresent));
        second.once('error', reject);
      });
      assert.equal(await present, true);
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), 'while away');
      assert.equal(m?.packet.qos, 1);
    });

    test('a clean session starts without the old subscriptions [MQTT-3.1.2-6]', async () => {
      const topic = unique('mqttjs/clean');
      const clientId = unique('cleaner');
      const v5 = protocolVersion === 5 ? { properties: { sessionExpiryInterval: 60 } } : {};
      const first = await connectClient(b.url, { protocolVersion, clientId, clean: false, ...v5 });
      await first.subscribeAsync(topic, { qos: 1 });
      await first.endAsync();
      const second = await client({ clientId, clean: true });
      const inbox = new Inbox(second);
      const pub = await client();
      await pub.publishAsync(topic, 'nobody', { qos: 1 });
      await sleep(300);
      assert.equal(inbox.messages.length, 0);
    });

    test('wildcard subscriptions match per MQTT rules [MQTT-4.7.1-2] [MQTT-4.7.1-3]', async () => {
      const base = unique('mqttjs/wild');
      const sub = await client();
      const inbox = new Inbox(sub);
      await sub.subscribeAsync([`${base}/+/x`, `${base}/deep/#`], { qos: 0 });
      const pub = await client();
      await pub.publishAsync(`${base}/a/x`, '1');
      await pub.publishAsync(`${base}/a/b/x`, 'no');
      await pub.publishAsync(`${base}/deep`, '2');
      await pub.publishAsync(`${base}/deep/er/est`, '3');
      await inbox.waitFor(3);
      await sleep(150);
      assert.deepEqual(
        inbox.messages.map((m) => m.payload.toString()),
        ['1', '2', '3'],
      );
    });

    test('unsubscribe stops delivery [MQTT-3.10.4-1]', async () => {
      const topic = unique('mqttjs/unsub');
      const sub = await client();
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      await sub.unsubscribeAsync(topic);
      const pub = await client();
      await pub.publishAsync(topic, 'late', { qos: 1 });
      await sleep(200);
      assert.equal(inbox.messages.length, 0);
    });

    test('shared subscription $share/group/filter delivers each message to one member [MQTT-4.8.2-1]', async () => {
      const topic = unique('mqttjs/shared');
      const a = await client();
      const b2 = await client();
      const ia = new Inbox(a);
      const ib = new Inbox(b2);
      await a.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      await b2.subscribeAsync(`$share/g/${topic}`, { qos: 1 });
      const pub = await client();
      for (let i = 0; i < 10; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
      const deadline = Date.now() + 3000;
      while (ia.messages.length + ib.messages.length < 10 && Date.now() < deadline) await sleep(20);
      await sleep(100);
      const all = [...ia.messages, ...ib.messages].map((m) => m.payload.toString()).sort();
      assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
      assert.ok(ia.messages.length > 0 && ib.messages.length > 0, 'both members served');
    });
  });
}
