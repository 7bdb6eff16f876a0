import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';

describe('limits', () => {
  test('[MQTT-3.3.4-9] inbound QoS 2 beyond the Receive Maximum: v5 DISCONNECT 0x93, 3.1.1 close, never acknowledged', async () => {
    const tb = await startBroker({ receiveMaximum: 2 });
    try {
      for (const v of [5, 4] as const) {
        const { client: p, connack } = await RawClient.connect(tb.port, v);
        if (v === 5) assert.equal(connack.properties?.receiveMaximum, 2);
        p.send(publishOf('rx/t', 'a', 2, 1));
        p.send(publishOf('rx/t', 'b', 2, 2));
        p.send(publishOf('rx/t', 'c', 2, 3));
        assert.equal((await p.next()).type, 5);
        assert.equal((await p.next()).type, 5);
        if (v === 5) {
          const d = await p.next();
          assert.equal(d.type === 14 && d.reasonCode, 0x93);
        }
        await p.waitClose();
      }
    } finally {
      await tb.close();
    }
  });

  test('[MQTT-3.2.2-15] maximum packet size before CONNECT is authenticated', async () => {
    const tb = await startBroker({ maxConnectPacketSize: 128 });
    try {
      const c = await RawClient.open(tb.port, 4);
      c.send({
        type: 1,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: 'x'.repeat(200),
        username: undefined,
        password: undefined,
        will: undefined,
        properties: undefined,
      });
      await c.waitClose();
    } finally {
      await tb.close();
    }
  });

  test('topic level and length limits: PUBLISH refused with 0x90, SUBSCRIBE filter with 0x8F', async () => {
    const tb = await startBroker({ maxTopicLevels: 3, maxTopicLength: 20 });
    try {
      const { client: s } = await RawClient.connect(tb.port, 5);
      assert.deepEqual(
        await subscribeRaw(s, [subOf('a/b/c/d', 0), subOf('a/b/c', 0), subOf('x'.repeat(21), 0)]),
        [0x8f, 0, 0x8f],
      );
      const { client: p } = await RawClient.connect(tb.port, 5);
      p.send(publishOf('a/b/c/d', 'x', 0));
      const d = await p.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x90);
      await p.waitClose();
      s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('maximum connections: further sockets are closed on accept', async () => {
    const tb = await startBroker({ maxConnections: 2 });
    try {
      const a = await RawClient.connect(tb.port, 4);
      const b = await RawClient.connect(tb.port, 4);
      const c = await RawClient.open(tb.port, 4);
      await c.waitClose();
      a.client.destroy();
      await a.client.closedPromise;
      await delay(50);
      const d = await RawClient.connect(tb.port, 4);
      assert.equal(d.connack.reasonCode, 0);
      b.client.destroy();
      d.client.destroy();
    } finally {
      await tb.close();
    }
  });

  test('queue limits: an offline session keeps at most maxQueuedMessages, dropping the excess', async () => {
    const tb = await startBroker({ maxQueuedMessages: 3 });
    try {
      const a = await RawClient.connect(tb.port, 4, { clientId: 'ql', clean: false });
      await subscribeRaw(a.client, [subOf('ql/t', 1)]);
      a.client.destroy();
      await delay(50);
      for (let i = 0; i < 10; i++) tb.broker.publish('ql/t', String(i), { qos: 1 });
      assert.equal(tb.broker.stats.dropped, 7);
      const b = await RawClient.connect(tb.port, 4, { clientId: 'ql', clean: false });
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push((await nextPublishOf(b.client)).payload.toString());
      assert.deepEqual(got, ['0', '1', '2']);
      assert.equal(await b.client.silent(100), true);
      b.client.destroy();
    } finally {
      await tb.close();
    }
  });

  test("queue limits (overflow: 'drop'): a QoS 1 message evicts a queued QoS 0 message first", async () => {
    const tb = await startBroker({ maxQueuedMessages: 2, maxInflight: 1, overflow: 'drop' });
    try {
      const { client: s } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(s, [subOf('ev/t', 1)]);
      tb.broker.publish('ev/t', 'inflight', { qos: 1 }); // fills the window of 1
      tb.broker.publish('ev/t', 'one', { qos: 1 }); // queued
      tb.broker.publish('ev/t', 'zero', { qos: 0 }); // queued behind it
      tb.broker.publish('ev/t', 'two', { qos: 1 }); // queue full: evicts 'zero'
      const first = await nextPublishOf(s);
      assert.equal(first.payload.toString(), 'inflight');
      s.send({ type: 4, packetId: first.packetId, reasonCode: 0, properties: undefined });
      const second = await nextPublishOf(s);
      assert.equal(second.payload.toString(), 'one');
      s.send({ type: 4, packetId: second.packetId, reasonCode: 0, properties: undefined });
      assert.equal((await nextPublishOf(s)).payload.toString(), 'two');
      s.destroy();
    } finally {
      await tb.close();
    }
  });

  test('slow consumer: a subscriber that stops reading is bounded and disconnected; the publisher is not slowed', async () => {
    const tb = await startBroker({
      maxQueuedMessages: 100,
      maxQueuedBytes: 1 << 20,
      slowConsumerTimeoutMs: 300,
    });
    try {
      const { client: slow } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(slow, [subOf('flood/t', 0)]);
      slow.socket.pause();
      const { client: fast } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(fast, [subOf('flood/t', 0)]);
      let received = 0;
      fast.socket.on('data', () => {
        received++;
      });
      const { client: p } = await RawClient.connect(tb.port, 4);
      const payload = Buffer.alloc(16 * 1024, 1);
      const start = Date.now();
      for (let i = 0; i < 400; i++) p.send(publishOf('flood/t', payload, 0));
      p.send(Buffer.from([0xc0, 0x00]));
      assert.equal((await p.next(5000)).type, 13, 'publisher keeps being served');
      assert.ok(Date.now() - start < 5000);
      for (const session of tb.broker.sessions.values()) assert.ok(session.queue.length <= 100);
      // the stalled subscriber is disconnected after the timeout
      await delay(1200);
      assert.equal(tb.broker.stats.connected, 2);
      assert.ok(received > 0);
      assert.ok(tb.broker.stats.dropped > 0);
      fast.destroy();
      p.destroy();
      slow.destroy();
    } finally {
      await tb.close();
    }
  });
});

describe('$SYS', () => {
  test('$SYS/broker topics are published on subscribe and on every interval', async () => {
    const tb = await startBroker({ sysInterval: 1 });
    try {
      const { client: s } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(s, [subOf('$SYS/broker/#', 0)]);
      const first = new Map<string, string>();
      for (let i = 0; i < 19; i++) {
        const m = await nextPublishOf(s);
        first.set(m.topic, m.payload.toString());
      }
      for (const t of [
        'version',
        'uptime',
        'clients/connected',
        'clients/disconnected',
        'clients/maximum',
        'clients/total',
        'messages/received',
        'messages/sent',
        'bytes/received',
        'bytes/sent',
        'subscriptions/count',
        'retained messages/count',
        'load/publish/received/1min',
        'load/publish/received/5min',
        'load/publish/received/15min',
      ]) {
        assert.ok(first.has(`$SYS/broker/${t}`), `missing ${t}`);
      }
      assert.match(first.get('$SYS/broker/version') ?? '', /^petrel /);
      // an update arrives within the interval
      const m = await nextPublishOf(s, 2500);
      assert.ok(m.topic.startsWith('$SYS/broker/'));
      s.destroy();
    } finally {
      await tb.close();
    }
  });
});
