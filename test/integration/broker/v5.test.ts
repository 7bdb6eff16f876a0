import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.js';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import { connectPacket } from '../../helpers/packets.js';

describe('MQTT 5 features', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ topicAliasMaximum: 4, maxPacketSize: 4096 });
  });
  after(() => tb.close());

  test('[MQTT-3.3.2-12] inbound topic alias: set with a topic, then used with an empty topic', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s, [subOf('alias/in', 0)]);
    const { client: p, connack } = await RawClient.connect(tb.port, 5);
    assert.equal(connack.properties?.topicAliasMaximum, 4);
    p.send(publishOf('alias/in', 'a', 0, 0, { properties: { topicAlias: 2 } }));
    p.send(publishOf('', 'b', 0, 0, { properties: { topicAlias: 2 } }));
    const m1 = await nextPublishOf(s);
    const m2 = await nextPublishOf(s);
    assert.deepEqual([m1.topic, m2.topic, m2.payload.toString()], ['alias/in', 'alias/in', 'b']);
    assert.equal(m2.properties?.topicAlias, undefined, 'the alias is not forwarded');
    s.destroy();
    p.destroy();
  });

  test('[MQTT-3.3.2-9] a topic alias above the maximum is refused with DISCONNECT 0x94', async () => {
    const { client: p } = await RawClient.connect(tb.port, 5);
    p.send(publishOf('alias/x', 'a', 0, 0, { properties: { topicAlias: 5 } }));
    const d = await p.next();
    assert.equal(d.type === 14 && d.reasonCode, 0x94);
    await p.waitClose();
  });

  test('[MQTT-3.3.2-11] outbound topic aliases within the client Topic Alias Maximum', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5, {
      properties: { topicAliasMaximum: 1 },
    });
    await subscribeRaw(s, [subOf('out/+', 0)]);
    tb.broker.publish('out/a', '1');
    tb.broker.publish('out/a', '2');
    tb.broker.publish('out/b', '3');
    const m1 = await nextPublishOf(s);
    const m2 = await nextPublishOf(s);
    const m3 = await nextPublishOf(s);
    assert.equal(m1.topic, 'out/a');
    assert.equal(m1.properties?.topicAlias, 1);
    assert.equal(m2.topic, '');
    assert.equal(m2.properties?.topicAlias, 1);
    assert.equal(m3.topic, 'out/b');
    assert.equal(m3.properties?.topicAlias, undefined, 'no alias left for a second topic');
    s.destroy();
  });

  test('[MQTT-3.3.4-9] the broker never exceeds the client Receive Maximum', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5, {
      properties: { receiveMaximum: 2 },
    });
    await subscribeRaw(s, [subOf('rm/t', 1)]);
    for (let i = 0; i < 5; i++) tb.broker.publish('rm/t', String(i), { qos: 1 });
    const a = await nextPublishOf(s);
    const b = await nextPublishOf(s);
    assert.equal(await s.silent(150), true, 'third waits for an ack');
    s.send({ type: 4, packetId: a.packetId, reasonCode: 0, properties: undefined });
    const c = await nextPublishOf(s);
    assert.equal(c.payload.toString(), '2');
    assert.equal(await s.silent(100), true);
    s.send({ type: 4, packetId: b.packetId, reasonCode: 0, properties: undefined });
    s.send({ type: 4, packetId: c.packetId, reasonCode: 0, properties: undefined });
    assert.equal((await nextPublishOf(s)).payload.toString(), '3');
    assert.equal((await nextPublishOf(s)).payload.toString(), '4');
    s.destroy();
  });

  test('[MQTT-3.1.2-25] a message larger than the client Maximum Packet Size is dropped for that client only', async () => {
    const { client: small } = await RawClient.connect(tb.port, 5, {
      properties: { maximumPacketSize: 64 },
    });
    const { client: big } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(small, [subOf('mps/t', 1)]);
    await subscribeRaw(big, [subOf('mps/t', 1)]);
    tb.broker.publish('mps/t', 'x'.repeat(200), { qos: 1 });
    tb.broker.publish('mps/t', 'small', { qos: 1 });
    assert.equal((await nextPublishOf(big)).payload.length, 200);
    assert.equal((await nextPublishOf(small)).payload.toString(), 'small');
    small.destroy();
    big.destroy();
  });

  test('[MQTT-3.2.2-15] CONNACK carries the Maximum Packet Size; a bigger packet gets DISCONNECT 0x95', async () => {
    const { client: p, connack } = await RawClient.connect(tb.port, 5);
    assert.equal(connack.properties?.maximumPacketSize, 4096);
    p.send(publishOf('big/t', Buffer.alloc(5000), 0));
    const d = await p.next();
    assert.equal(d.type === 14 && d.reasonCode, 0x95);
    await p.waitClose();
  });

  test('[MQTT-3.8.3-3] No Local: own messages are not delivered back', async () => {
    const { client: c } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(c, [subOf('nl/t', 0, { noLocal: true })]);
    c.send(publishOf('nl/t', 'mine', 0));
    assert.equal(await c.silent(150), true);
    tb.broker.publish('nl/t', 'other');
    assert.equal((await nextPublishOf(c)).payload.toString(), 'other');
    c.destroy();
  });

  test('[MQTT-3.3.4-3] [MQTT-3.3.4-4] every matching Subscription Identifier is sent with the message', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s, [subOf('sid/+', 0)], 1, { subscriptionIdentifiers: [7] });
    await subscribeRaw(s, [subOf('sid/#', 0)], 2, { subscriptionIdentifiers: [9] });
    tb.broker.publish('sid/a', 'x');
    const m = await nextPublishOf(s);
    assert.deepEqual([...(m.properties?.subscriptionIdentifiers ?? [])].sort(), [7, 9]);
    assert.equal(await s.silent(100), true, 'delivered once');
    s.destroy();
  });

  test('[MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] properties forwarded unchanged: response topic, correlation data, user properties in order, payload format, content type', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s, [subOf('props/t', 1)]);
    const { client: p } = await RawClient.connect(tb.port, 5);
    const userProperties: Array<[string, string]> = [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ];
    p.send(
      publishOf('props/t', 'hello', 1, 1, {
        properties: {
          responseTopic: 'reply/here',
          correlationData: Buffer.from([1, 2, 3]),
          userProperties,
          payloadFormatIndicator: 1,
          contentType: 'text/plain',
        },
      }),
    );
    const m = await nextPublishOf(s);
    assert.equal(m.properties?.responseTopic, 'reply/here');
    assert.deepEqual(m.properties?.correlationData, Buffer.from([1, 2, 3]));
    assert.deepEqual(m.properties?.userProperties, userProperties);
    assert.equal(m.properties?.payloadFormatIndicator, 1);
    assert.equal(m.properties?.contentType, 'text/plain');
    s.destroy();
    p.destroy();
  });

  test('[MQTT-3.3.2-4] a payload marked UTF-8 that is not is refused (0x99)', async () => {
    const { client: p } = await RawClient.connect(tb.port, 5);
    p.send(
      publishOf('pf/t', Buffer.from([0xff, 0xfe]), 1, 1, {
        properties: { payloadFormatIndicator: 1 },
      }),
    );
    const d = await p.next();
    assert.equal(d.type === 14 && d.reasonCode, 0x99);
    await p.waitClose();
  });

  test('PUBACK says 0x10 when no subscriber matched', async () => {
    const { client: p } = await RawClient.connect(tb.port, 5);
    p.send(publishOf('nobody/home', 'x', 1, 1));
    const a = await p.next();
    assert.equal(a.type === 4 && a.reasonCode, 0x10);
    p.destroy();
  });

  test('[MQTT-4.8.2-2] shared subscriptions: round robin among the group, each message to one member', async () => {
    const members = await Promise.all([0, 1, 2].map(() => RawClient.connect(tb.port, 5)));
    for (const m of members) await subscribeRaw(m.client, [subOf('$share/g/sh/t', 1)]);
    const { client: other } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(other, [subOf('$share/h/sh/t', 0)]);
    for (let i = 0; i < 6; i++) tb.broker.publish('sh/t', String(i), { qos: 1 });
    const counts = [0, 0, 0];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) {
        const m = await nextPublishOf((members[i] as { client: RawClient }).client);
        members[i]?.client.send({
          type: 4,
          packetId: m.packetId,
          reasonCode: 0,
          properties: undefined,
        });
        counts[i] = (counts[i] ?? 0) + 1;
      }
    }
    assert.deepEqual(counts, [2, 2, 2]);
    for (const m of members) assert.equal(await m.client.silent(50), true);
    // the other group gets every message
    for (let i = 0; i < 6; i++)
      assert.equal((await nextPublishOf(other)).payload.toString(), String(i));
    for (const m of members) m.client.destroy();
    other.destroy();
  });

  test('shared subscriptions: unacknowledged messages of a member that disconnects go to another member', async () => {
    const { client: a } = await RawClient.connect(tb.port, 5, {
      properties: { receiveMaximum: 10 },
    });
    await subscribeRaw(a, [subOf('$share/r/rr/t', 1)]);
    tb.broker.publish('rr/t', 'm0', { qos: 1 });
    const got = await nextPublishOf(a);
    assert.equal(got.payload.toString(), 'm0');
    const { client: b } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(b, [subOf('$share/r/rr/t', 1)]);
    a.destroy();
    const re = await nextPublishOf(b);
    assert.equal(re.payload.toString(), 'm0');
    b.destroy();
  });

  test('[MQTT-3.8.3-4] No Local on a shared subscription is a protocol error', async () => {
    const { client: c } = await RawClient.connect(tb.port, 5);
    c.send({
      type: 8,
      packetId: 1,
      subscriptions: [subOf('$share/g/x', 0, { noLocal: true })],
      properties: undefined,
    });
    const d = await c.next();
    assert.equal(d.type === 14 && d.reasonCode, 0x82);
    await c.waitClose();
  });

  test('UNSUBACK reports 0x11 for a filter that was not subscribed', async () => {
    const { client: c } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(c, [subOf('un/a', 0)]);
    c.send({ type: 10, packetId: 2, topicFilters: ['un/a', 'un/b'], properties: undefined });
    const u = await c.next();
    assert.deepEqual(u.type === 11 && u.reasonCodes, [0, 0x11]);
    tb.broker.publish('un/a', 'x');
    assert.equal(await c.silent(100), true);
    c.destroy();
  });
});

describe('MQTT 5 hooks, AUTH and redirection', () => {
  test('authorizePublish refusal: v5 PUBACK 0x87, message not delivered', async () => {
    const tb = await startBroker({
      hooks: { authorizePublish: async (_c, m) => !m.topic.startsWith('secret/') },
    });
    try {
      const { client: s } = await RawClient.connect(tb.port, 5);
      await subscribeRaw(s, [subOf('#', 0)]);
      const { client: p } = await RawClient.connect(tb.port, 5);
      p.send(publishOf('secret/x', 'no', 1, 1));
      p.send(publishOf('open/x', 'yes', 1, 2));
      const a1 = await p.next();
      const a2 = await p.next();
      assert.equal(a1.type === 4 && a1.reasonCode, 0x87);
      assert.equal(a2.type === 4 && a2.packetId, 2);
      assert.equal((await nextPublishOf(s)).topic, 'open/x');
      s.destroy();
      p.destroy();
    } finally {
      await tb.close();
    }
  });

  test('authorizeRead filters each delivery, retained messages included', async () => {
    const tb = await startBroker({
      hooks: {
        authorizeRead: (sub, topic) => !(sub.clientId === 'reader' && topic.endsWith('/hidden')),
      },
    });
    try {
      tb.broker.publish('ar/hidden', 'r1', { retain: true });
      tb.broker.publish('ar/open', 'r2', { retain: true });
      const { client: s } = await RawClient.connect(tb.port, 5, { clientId: 'reader' });
      await subscribeRaw(s, [subOf('ar/+', 0)]);
      assert.equal((await nextPublishOf(s)).topic, 'ar/open');
      assert.equal(await s.silent(100), true);
      tb.broker.publish('ar/hidden', 'live');
      tb.broker.publish('ar/open', 'live');
      assert.equal((await nextPublishOf(s)).topic, 'ar/open');
      assert.equal(await s.silent(100), true);
      s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('authorizeSubscribe refusal: SUBACK 0x87 (v5) / 0x80 (3.1.1)', async () => {
    const tb = await startBroker({
      hooks: { authorizeSubscribe: (_c, s) => s.topicFilter !== 'deny/#' },
    });
    try {
      for (const [v, code] of [
        [5, 0x87],
        [4, 0x80],
      ] as const) {
        const { client: c } = await RawClient.connect(tb.port, v);
        assert.deepEqual(await subscribeRaw(c, [subOf('deny/#', 1), subOf('ok/#', 1)]), [code, 1]);
        c.destroy();
      }
    } finally {
      await tb.close();
    }
  });

  test('[MQTT-4.12.0-1] enhanced authentication: AUTH 0x18 challenge, then CONNACK with the method', async () => {
    const tb = await startBroker({
      hooks: {
        enhancedAuth: (r) => {
          if (r.step === 0) return { outcome: 'continue', data: Buffer.from('challenge') };
          return r.data?.toString() === 'answer'
            ? { outcome: 'success' }
            : { outcome: 'fail', reasonCode: 0x87 };
        },
      },
    });
    try {
      const c = await RawClient.open(tb.port, 5);
      c.send(
        connectPacket({
          protocolVersion: 5,
          clientId: 'ea',
          properties: { authenticationMethod: 'TEST' },
        }),
      );
      const a = await c.next();
      assert.equal(a.type === 15 && a.reasonCode, 0x18);
      assert.equal(a.type === 15 && a.properties?.authenticationData?.toString(), 'challenge');
      c.send({
        type: 15,
        reasonCode: 0x18,
        properties: { authenticationMethod: 'TEST', authenticationData: Buffer.from('answer') },
      });
      const ack = await c.next();
      assert.equal(ack.type === 2 && ack.reasonCode, 0);
      assert.equal(ack.type === 2 && ack.properties?.authenticationMethod, 'TEST');
      c.destroy();
    } finally {
      await tb.close();
    }
  });

  test('[MQTT-4.12.1-1] re-authentication: AUTH 0x19 on a connected session, answered with AUTH 0x00', async () => {
    const steps: Array<[number, boolean]> = [];
    const tb = await startBroker({
      hooks: {
        enhancedAuth: async (r) => {
          steps.push([r.step, r.reauthenticate]);
          return { outcome: 'success', data: Buffer.from(`ok${r.step}`) };
        },
      },
    });
    try {
      const { client, connack } = await RawClient.connect(tb.port, 5, {
        properties: { authenticationMethod: 'M' },
      });
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties?.authenticationData?.toString(), 'ok0');
      client.send({ type: 15, reasonCode: 0x19, properties: { authenticationMethod: 'M' } });
      const a = await client.next();
      assert.equal(a.type === 15 && a.reasonCode, 0);
      assert.deepEqual(steps, [
        [0, false],
        [1, true],
      ]);
      // a different method is a protocol error
      client.send({ type: 15, reasonCode: 0x19, properties: { authenticationMethod: 'OTHER' } });
      const d = await client.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x82);
      await client.waitClose();
    } finally {
      await tb.close();
    }
  });

  test('enhanced authentication failure: CONNACK with the hook reason code', async () => {
    const tb = await startBroker({
      hooks: {
        enhancedAuth: () => ({ outcome: 'fail', reasonCode: 0x8a, reasonString: 'banned' }),
      },
    });
    try {
      const c = await RawClient.open(tb.port, 5);
      c.send(
        connectPacket({
          protocolVersion: 5,
          clientId: 'nope',
          properties: { authenticationMethod: 'M' },
        }),
      );
      const a = await c.next();
      assert.equal(a.type === 2 && a.reasonCode, 0x8a);
      assert.equal(a.type === 2 && a.properties?.reasonString, 'banned');
      await c.waitClose();
    } finally {
      await tb.close();
    }
  });

  test('[MQTT-4.12.0-6] a CONNECT with an unsupported authentication method gets 0x8C', async () => {
    const tb = await startBroker();
    try {
      const c = await RawClient.open(tb.port, 5);
      c.send(
        connectPacket({
          protocolVersion: 5,
          clientId: 'ea2',
          properties: { authenticationMethod: 'NOPE' },
        }),
      );
      const a = await c.next();
      assert.equal(a.type === 2 && a.reasonCode, 0x8c);
      await c.waitClose();
    } finally {
      await tb.close();
    }
  });

  test('server reference: v5 clients are redirected with 0x9C and the reference', async () => {
    const tb = await startBroker({ serverReference: 'other.example:1883' });
    try {
      const c = await RawClient.open(tb.port, 5);
      c.send(connectPacket({ protocolVersion: 5, clientId: 'redir' }));
      const a = await c.next();
      assert.equal(a.type === 2 && a.reasonCode, 0x9c);
      assert.equal(a.type === 2 && a.properties?.serverReference, 'other.example:1883');
      await c.waitClose();
      await delay(10);
    } finally {
      await tb.close();
    }
  });
});

describe('MQTT 5 Response Information', () => {
  test('[MQTT-3.1.2-28] Request Response Information 1 gets the configured prefix plus the client id; 0 or absent gets none', async () => {
    const tb = await startBroker({ responseInformation: 'response/' });
    try {
      const asked = await RawClient.connect(tb.port, 5, {
        clientId: 'rr-1',
        properties: { requestResponseInformation: 1 },
      });
      assert.equal(asked.connack.properties?.responseInformation, 'response/rr-1');
      asked.client.destroy();
      for (const properties of [{ requestResponseInformation: 0 }, undefined]) {
        const { client, connack } = await RawClient.connect(tb.port, 5, { properties });
        assert.equal(connack.reasonCode, 0);
        assert.equal(connack.properties?.responseInformation, undefined);
        client.destroy();
      }
    } finally {
      await tb.close();
    }
  });

  test('[MQTT-3.1.2-28] an assigned client identifier is the one the Response Information names', async () => {
    const tb = await startBroker({ responseInformation: 'rsp/' });
    try {
      const { client, connack } = await RawClient.connect(tb.port, 5, {
        clientId: '',
        properties: { requestResponseInformation: 1 },
      });
      const id = connack.properties?.assignedClientIdentifier;
      assert.equal(typeof id, 'string');
      assert.equal(connack.properties?.responseInformation, `rsp/${id}`);
      client.destroy();
    } finally {
      await tb.close();
    }
  });

  test('without the responseInformation option no Response Information is sent, even when asked', async () => {
    const tb = await startBroker({});
    try {
      const { client, connack } = await RawClient.connect(tb.port, 5, {
        properties: { requestResponseInformation: 1 },
      });
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties?.responseInformation, undefined);
      client.destroy();
    } finally {
      await tb.close();
    }
  });
});
