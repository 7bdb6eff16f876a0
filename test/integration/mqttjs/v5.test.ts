// MQTT.js in MQTT 5.0 mode against Petrel: topic aliases, properties, reason codes, v5 options.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions, IConnackPacket, MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, sleep, unique } from './util.js';

describe('MQTT.js MQTT 5.0 features against Petrel', { timeout: 9000 }, () => {
  let b: TestBroker;
  const clients: MqttClient[] = [];
  const client = async (opts: IClientOptions = {}): Promise<MqttClient> => {
    const c = await connectClient(b.url, { protocolVersion: 5, ...opts });
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

  test('inbound topic aliases: a publisher using aliases is understood [MQTT-3.3.2-12]', async () => {
    const topic = unique('v5/alias-in');
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await client({ autoAssignTopicAlias: true });
    for (let i = 0; i < 5; i++) await pub.publishAsync(topic, `a${i}`, { qos: 1 });
    const ms = await inbox.waitFor(5);
    assert.deepEqual(
      ms.map((m) => [m.topic, m.payload.toString()]),
      [0, 1, 2, 3, 4].map((i) => [topic, `a${i}`]),
    );
  });

  test('explicit Topic Alias property then an empty topic reaches subscribers by name [MQTT-3.3.2-12]', async () => {
    const topic = unique('v5/alias-explicit');
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 0 });
    const pub = await client();
    await pub.publishAsync(topic, 'one', { properties: { topicAlias: 3 } });
    await pub.publishAsync('', 'two', { properties: { topicAlias: 3 } });
    const ms = await inbox.waitFor(2);
    assert.deepEqual(
      ms.map((m) => [m.topic, m.payload.toString()]),
      [
        [topic, 'one'],
        [topic, 'two'],
      ],
    );
  });

  test('outbound topic aliases to a client that allows them resolve to the right topic [MQTT-3.3.2-10]', async () => {
    const topic = unique('v5/alias-out');
    const sub = await client({ properties: { topicAliasMaximum: 5 } });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await client();
    for (let i = 0; i < 4; i++) await pub.publishAsync(topic, `o${i}`, { qos: 1 });
    const ms = await inbox.waitFor(4);
    for (const m of ms) {
      assert.equal(m.topic, topic);
      const alias = m.packet.properties?.topicAlias;
      if (alias !== undefined) assert.ok(alias >= 1 && alias <= 5, `alias ${alias} within maximum`);
    }
  });

  test('no outbound topic alias to a client that allowed none [MQTT-3.2.2-17]', async () => {
    const topic = unique('v5/no-alias');
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 0 });
    const pub = await client();
    for (let i = 0; i < 3; i++) await pub.publishAsync(topic, `n${i}`);
    const ms = await inbox.waitFor(3);
    for (const m of ms) assert.equal(m.packet.properties?.topicAlias, undefined);
  });

  test('publication properties are forwarded unchanged, user properties in order [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20]', async () => {
    const topic = unique('v5/props');
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await client();
    await pub.publishAsync(topic, '{"t":21}', {
      qos: 1,
      properties: {
        payloadFormatIndicator: true,
        contentType: 'application/json',
        responseTopic: `${topic}/reply`,
        correlationData: Buffer.from([1, 2, 3]),
        messageExpiryInterval: 60,
        userProperties: { a: ['1', '2'], b: 'x' },
      },
    });
    const [m] = await inbox.waitFor(1);
    const p = m?.packet.properties;
    assert.equal(p?.payloadFormatIndicator, true);
    assert.equal(p?.contentType, 'application/json');
    assert.equal(p?.responseTopic, `${topic}/reply`);
    assert.deepEqual(p?.correlationData, Buffer.from([1, 2, 3]));
    assert.ok((p?.messageExpiryInterval ?? 0) > 0 && (p?.messageExpiryInterval ?? 0) <= 60);
    assert.deepEqual({ ...p?.userProperties }, { a: ['1', '2'], b: 'x' });
  });

  test('a Subscription Identifier comes back on matching publications [MQTT-3.3.4-3]', async () => {
    const topic = unique('v5/subid');
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 0, properties: { subscriptionIdentifier: 42 } });
    const pub = await client();
    await pub.publishAsync(topic, 'id');
    const [m] = await inbox.waitFor(1);
    const ids = m?.packet.properties?.subscriptionIdentifier;
    assert.deepEqual(Array.isArray(ids) ? ids : [ids], [42]);
  });

  test('No Local: a client does not get its own messages [MQTT-3.8.3-3]', async () => {
    const topic = unique('v5/nolocal');
    const c = await client();
    const inbox = new Inbox(c);
    await c.subscribeAsync(topic, { qos: 1, nl: true });
    await c.publishAsync(topic, 'self', { qos: 1 });
    await sleep(200);
    assert.equal(inbox.messages.length, 0);
  });

  test('Retain Handling 2 sends no retained message; Retain As Published keeps the flag [MQTT-3.3.1-11] [MQTT-3.3.1-13]', async () => {
    const topic = unique('v5/rh');
    const pub = await client();
    await pub.publishAsync(topic, 'r', { qos: 1, retain: true });
    const c = await client();
    const inbox = new Inbox(c);
    await c.subscribeAsync(topic, { qos: 1, rh: 2, rap: true });
    await sleep(150);
    assert.equal(inbox.messages.length, 0);
    await pub.publishAsync(topic, 'live', { qos: 1, retain: true });
    const [m] = await inbox.waitFor(1);
    assert.equal(m?.packet.retain, true);
    await pub.publishAsync(topic, '', { qos: 1, retain: true });
  });

  test('an empty client id gets an Assigned Client Identifier [MQTT-3.2.2-16]', async () => {
    const c = connect(b.url, { protocolVersion: 5, clientId: '', clean: true, reconnectPeriod: 0 });
    clients.push(c);
    const ack = await new Promise<IConnackPacket>((resolve, reject) => {
      c.once('connect', resolve);
      c.once('error', reject);
    });
    const assigned = ack.properties?.assignedClientIdentifier;
    assert.equal(typeof assigned, 'string');
    assert.ok((assigned ?? '').length > 0);
  });

  test('request/response: a responder answers on the Response Topic with the Correlation Data', async () => {
    const topic = unique('v5/rr');
    const responder = await client();
    await responder.subscribeAsync(topic, { qos: 1 });
    responder.on('message', (_t, payload, packet) => {
      const rt = packet.properties?.responseTopic;
      if (rt === undefined) return;
      void responder.publishAsync(rt, `re:${payload.toString()}`, {
        qos: 1,
        properties: { correlationData: packet.properties?.correlationData as Buffer },
      });
    });
    const requester = await client();
    const inbox = new Inbox(requester);
    await requester.subscribeAsync(`${topic}/reply`, { qos: 1 });
    await requester.publishAsync(topic, 'ping', {
      qos: 1,
      properties: { responseTopic: `${topic}/reply`, correlationData: Buffer.from('c-7') },
    });
    const [m] = await inbox.waitFor(1);
    assert.equal(m?.payload.toString(), 're:ping');
    assert.deepEqual(m?.packet.properties?.correlationData, Buffer.from('c-7'));
  });

  test('a will with Will Delay Interval is published after the delay [MQTT-3.1.3-9]', async () => {
    const topic = unique('v5/willdelay');
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync(topic, { qos: 1 });
    const dying = await client({
      properties: { sessionExpiryInterval: 10 },
      will: {
        topic,
        payload: Buffer.from('late'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    const t0 = Date.now();
    dying.stream.destroy();
    const [m] = await inbox.waitFor(1, 4000);
    assert.equal(m?.payload.toString(), 'late');
    assert.ok(Date.now() - t0 >= 800, 'not before the delay');
  });
});
