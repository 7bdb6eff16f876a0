// Client behaviour that needs a broker to refuse or challenge on cue: Petrel's hooks provide
// enhanced authentication, refused publications and refused subscriptions.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { MqttClient } from '../../../src/client/client.js';
import type { ClientError } from '../../../src/client/errors.js';
import { ConnectionRefusedError } from '../../../src/client/errors.js';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import { Clients, uniqueTopic } from './util.js';

describe('client against Petrel hooks', () => {
  let broker: TestBroker;
  const clients = new Clients();
  const steps: string[] = [];
  before(async () => {
    broker = await startBroker({
      hooks: {
        enhancedAuth: (req) => {
          steps.push(`${req.reauthenticate ? 're' : ''}${req.step}:${req.data?.toString() ?? ''}`);
          if (req.method !== 'NONCE') return { outcome: 'fail', reasonCode: 0x8c };
          // Every exchange (CONNECT or AUTH 0x19) opens with a challenge; Petrel keeps counting
          // steps across them.
          const opening = req.step === 0 || req.data?.toString() === 'again';
          if (opening) return { outcome: 'continue', data: Buffer.from('n-1') };
          return req.data?.toString() === 'signed:n-1'
            ? { outcome: 'success' }
            : { outcome: 'fail', reasonCode: 0x87 };
        },
        authorizePublish: (_client, message) => !message.topic.startsWith('forbidden/'),
        authorizeSubscribe: (_client, sub) => !sub.topicFilter.startsWith('forbidden/'),
      },
    });
  });
  after(async () => {
    await broker.close();
  });
  afterEach(() => {
    clients.closeAll();
    steps.length = 0;
  });

  const sign = (ch: { authenticationData: Buffer | undefined }) => ({
    authenticationData: Buffer.from(`signed:${ch.authenticationData?.toString() ?? ''}`),
  });

  test('enhanced authentication: challenge answered by onAuth, then re-authentication', async () => {
    const c = clients.track(
      new MqttClient(broker.url, {
        reconnect: false,
        properties: { authenticationMethod: 'NONCE', authenticationData: Buffer.from('hi') },
        onAuth: sign,
      }),
    );
    await c.connect();
    assert.deepEqual(steps, ['0:hi', '1:signed:n-1']);
    c.reauthenticate(Buffer.from('again'));
    for (let i = 0; i < 200 && steps.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    // A QoS 1 round trip after the exchange shows the connection survived it.
    await c.publish(uniqueTopic('after-reauth'), 'x', { qos: 1 });
    assert.deepEqual(steps.slice(2), ['re2:again', 're3:signed:n-1']);
    assert.equal(c.connected, true);
  });

  test('enhanced authentication: a wrong answer is refused with the broker reason code', async () => {
    const c = new MqttClient(broker.url, {
      reconnect: false,
      properties: { authenticationMethod: 'NONCE' },
      onAuth: () => ({ authenticationData: Buffer.from('wrong') }),
    });
    const err = await c.connect().catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionRefusedError, String(err));
    assert.equal(err.reasonCode, 0x87);
  });

  test('v5: a refused publication rejects with PUBLISH_FAILED and the reason code', async () => {
    const c = await clients.connect(broker.url);
    await assert.rejects(
      c.publish('forbidden/x', 'x', { qos: 1 }),
      (e: ClientError) => e.code === 'PUBLISH_FAILED' && e.reasonCode === 0x87,
    );
    await assert.rejects(
      c.publish('forbidden/y', 'x', { qos: 2 }),
      (e: ClientError) => e.code === 'PUBLISH_FAILED' && e.reasonCode === 0x87,
    );
    await c.publish(uniqueTopic('allowed'), 'x', { qos: 2 });
    assert.equal(c.inflightMessages, 0);
  });

  for (const [version, code] of [
    [4, 0x80],
    [5, 0x87],
  ] as const) {
    test(`v${version}: a refused subscription is reported per filter (0x${code.toString(16)}) [MQTT-3.9.3-1]`, async () => {
      const c = await clients.connect(broker.url, { protocolVersion: version });
      const r = await c.subscribe({ 'forbidden/a': { qos: 1 }, [uniqueTopic('ok')]: { qos: 1 } });
      assert.deepEqual(
        r.granted.map((g) => [g.reasonCode, g.qos]),
        [
          [code, undefined],
          [1, 1],
        ],
      );
    });
  }
});
