// MQTT.js over WebSocket (path /mqtt, subprotocol mqtt) against Petrel, 3.1.1 and 5.0, mixed
// with TCP clients on the same broker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { connectClient, endAll, Inbox, unique } from './util.js';

for (const protocolVersion of [4, 5] as const) {
  const name = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  describe(`MQTT.js ${name} over WebSocket against Petrel`, { timeout: 9000 }, () => {
    let b: TestBroker;
    let wsUrl = '';
    const clients: MqttClient[] = [];
    const client = async (url: string, opts: IClientOptions = {}): Promise<MqttClient> => {
      const c = await connectClient(url, { protocolVersion, ...opts });
      clients.push(c);
      return c;
    };
    before(async () => {
      b = await startBroker({ wsPort: 0 });
      assert.ok(b.wsPort !== undefined && b.wsPort > 0, 'WebSocket listener bound');
      wsUrl = `ws://127.0.0.1:${b.wsPort}/mqtt`;
    });
    after(async () => {
      await endAll(clients);
      await b.close();
    });

    for (const qos of [0, 1, 2] as const) {
      test(`QoS ${qos} between two WebSocket clients [MQTT-4.3.${qos + 1}-1]`, async () => {
        const topic = unique(`ws/q${qos}`);
        const sub = await client(wsUrl);
        const inbox = new Inbox(sub);
        await sub.subscribeAsync(topic, { qos });
        const pub = await client(wsUrl);
        await pub.publishAsync(topic, `ws ${qos}`, { qos });
        const [m] = await inbox.waitFor(1);
        assert.equal(m?.payload.toString(), `ws ${qos}`);
        assert.equal(m?.packet.qos, qos);
      });
    }

    test('WebSocket publisher to TCP subscriber and back', async () => {
      const topic = unique('ws/mixed');
      const tcp = await client(b.url);
      const ws = await client(wsUrl);
      const tcpInbox = new Inbox(tcp);
      const wsInbox = new Inbox(ws);
      await tcp.subscribeAsync(`${topic}/to-tcp`, { qos: 1 });
      await ws.subscribeAsync(`${topic}/to-ws`, { qos: 1 });
      await ws.publishAsync(`${topic}/to-tcp`, 'from ws', { qos: 1 });
      await tcp.publishAsync(`${topic}/to-ws`, 'from tcp', { qos: 1 });
      assert.equal((await tcpInbox.waitFor(1))[0]?.payload.toString(), 'from ws');
      assert.equal((await wsInbox.waitFor(1))[0]?.payload.toString(), 'from tcp');
    });

    test('a large payload (200 KB) crosses WebSocket frames intact', async () => {
      const topic = unique('ws/large');
      const sub = await client(wsUrl);
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      const pub = await client(wsUrl);
      const payload = Buffer.alloc(200_000, 7);
      payload.writeUInt32BE(0xdeadbeef, 100_000);
      await pub.publishAsync(topic, payload, { qos: 1 });
      const [m] = await inbox.waitFor(1);
      assert.deepEqual(m?.payload, payload);
    });

    test('retained message over WebSocket [MQTT-3.3.1-6]', async () => {
      const topic = unique('ws/retained');
      const pub = await client(wsUrl);
      await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
      const sub = await client(wsUrl);
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(topic, { qos: 1 });
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.packet.retain, true);
      await pub.publishAsync(topic, '', { qos: 1, retain: true });
    });

    test('the will of a WebSocket client that drops is published [MQTT-3.1.2-8]', async () => {
      const topic = unique('ws/will');
      const watcher = await client(b.url);
      const inbox = new Inbox(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const dying = await client(wsUrl, {
        will: { topic, payload: Buffer.from('ws gone'), qos: 1, retain: false },
      });
      dying.stream.destroy();
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), 'ws gone');
    });

    test('a persistent session started over WebSocket resumes over TCP [MQTT-3.1.2-5]', async () => {
      const topic = unique('ws/session');
      const clientId = unique('ws-persist');
      const v5 = protocolVersion === 5 ? { properties: { sessionExpiryInterval: 60 } } : {};
      const first = await connectClient(wsUrl, {
        protocolVersion,
        clientId,
        clean: false,
        ...v5,
      });
      await first.subscribeAsync(topic, { qos: 1 });
      await first.endAsync();
      const pub = await client(b.url);
      await pub.publishAsync(topic, 'queued', { qos: 1 });
      // connect() rather than connectAsync(): queued messages may arrive with the CONNACK.
      const second = connect(b.url, {
        protocolVersion,
        clientId,
        clean: false,
        reconnectPeriod: 0,
        ...v5,
      });
      clients.push(second);
      const inbox = new Inbox(second);
      const [m] = await inbox.waitFor(1);
      assert.equal(m?.payload.toString(), 'queued');
    });
  });
}
