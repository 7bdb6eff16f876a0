import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StateImage } from '../../../src/persistence/image.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
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

const DISCONNECT = Buffer.from([0xe0, 0x00]);

describe('persistent sessions', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker();
  });
  after(() => tb.close());

  for (const v of [4, 5] as const) {
    const persist = v === 5 ? { properties: { sessionExpiryInterval: 300 } } : { clean: false };
    test(`[MQTT-3.1.2-4] [MQTT-3.1.2-5] subscriptions are kept and QoS 1/2 messages queued while offline (v${v})`, async () => {
      const id = `ps${v}`;
      const a = await RawClient.connect(tb.port, v, { clientId: id, ...persist });
      await subscribeRaw(a.client, [subOf(`ps${v}/+`, 2)]);
      a.client.send(DISCONNECT);
      await a.client.waitClose();
      const { client: p } = await RawClient.connect(tb.port, v);
      p.send(publishOf(`ps${v}/a`, 'one', 1, 1));
      p.send(publishOf(`ps${v}/b`, 'two', 2, 2));
      p.send(publishOf(`ps${v}/c`, 'zero', 0));
      await p.next();
      await p.next();
      const b = await RawClient.connect(tb.port, v, { clientId: id, clean: false, ...persist });
      assert.equal(b.connack.sessionPresent, true);
      const m1 = await nextPublishOf(b.client);
      const m2 = await nextPublishOf(b.client);
      assert.deepEqual(
        [m1.payload.toString(), m1.qos, m2.payload.toString(), m2.qos],
        ['one', 1, 'two', 2],
      );
      // QoS 0 messages are not queued for offline sessions.
      assert.equal(await b.client.silent(150), true);
      b.client.destroy();
      p.destroy();
    });

    test(`[MQTT-4.4.0-1] [MQTT-3.3.1-1] unacknowledged messages are resent with DUP and the same packet id on resume (v${v})`, async () => {
      const id = `dup${v}`;
      const a = await RawClient.connect(tb.port, v, { clientId: id, ...persist });
      await subscribeRaw(a.client, [subOf(`dup${v}/#`, 2)]);
      tb.broker.publish(`dup${v}/1`, 'q1', { qos: 1 });
      tb.broker.publish(`dup${v}/2`, 'q2', { qos: 2 });
      tb.broker.publish(`dup${v}/3`, 'q2b', { qos: 2 });
      const first1 = await nextPublishOf(a.client);
      const first2 = await nextPublishOf(a.client);
      const first3 = await nextPublishOf(a.client);
      assert.equal(first1.dup, false);
      // PUBREC the third: on resume the broker must resend PUBREL for it, not the PUBLISH.
      a.client.send({ type: 5, packetId: first3.packetId, reasonCode: 0, properties: undefined });
      assert.equal((await a.client.next()).type, 6);
      a.client.destroy();
      await delay(50);
      const b = await RawClient.connect(tb.port, v, { clientId: id, clean: false, ...persist });
      assert.equal(b.connack.sessionPresent, true);
      const r1 = await nextPublishOf(b.client);
      const r2 = await nextPublishOf(b.client);
      assert.equal(r1.dup, true);
      assert.equal(r2.dup, true);
      assert.equal(r1.packetId, first1.packetId);
      assert.equal(r2.packetId, first2.packetId);
      const rel = await b.client.next();
      assert.equal(rel.type === 6 && rel.packetId, first3.packetId);
      b.client.destroy();
    });

    test(`[MQTT-3.1.2-6] a clean session discards the stored session (v${v})`, async () => {
      const id = `clean${v}`;
      const a = await RawClient.connect(tb.port, v, { clientId: id, ...persist });
      await subscribeRaw(a.client, [subOf(`clean${v}/t`, 1)]);
      a.client.send(DISCONNECT);
      await a.client.waitClose();
      tb.broker.publish(`clean${v}/t`, 'queued', { qos: 1 });
      const b = await RawClient.connect(tb.port, v, { clientId: id, clean: true });
      assert.equal(b.connack.sessionPresent, false);
      assert.equal(await b.client.silent(150), true);
      tb.broker.publish(`clean${v}/t`, 'live', { qos: 1 });
      assert.equal(await b.client.silent(150), true, 'old subscription is gone');
      b.client.destroy();
    });
  }

  test('[MQTT-3.1.2-23] v5: a session with expiry 0 ends with the connection', async () => {
    const a = await RawClient.connect(tb.port, 5, { clientId: 'exp0' });
    await subscribeRaw(a.client, [subOf('exp0/t', 1)]);
    a.client.destroy();
    await delay(50);
    const b = await RawClient.connect(tb.port, 5, { clientId: 'exp0', clean: false });
    assert.equal(b.connack.sessionPresent, false);
    b.client.destroy();
  });

  test('v5: the session expires after its Session Expiry Interval', async () => {
    const a = await RawClient.connect(tb.port, 5, {
      clientId: 'exp1',
      properties: { sessionExpiryInterval: 2 },
    });
    await subscribeRaw(a.client, [subOf('exp1/t', 1)]);
    a.client.destroy();
    await delay(300);
    const b = await RawClient.connect(tb.port, 5, {
      clientId: 'exp1',
      clean: false,
      properties: { sessionExpiryInterval: 2 },
    });
    assert.equal(b.connack.sessionPresent, true, 'still there before expiry');
    b.client.destroy();
    await delay(2600);
    const c = await RawClient.connect(tb.port, 5, { clientId: 'exp1', clean: false });
    assert.equal(c.connack.sessionPresent, false, 'gone after expiry');
    c.client.destroy();
  });

  test('[MQTT-3.14.2-2] v5: DISCONNECT may not set a session expiry when CONNECT had 0', async () => {
    const a = await RawClient.connect(tb.port, 5, { clientId: 'dexp' });
    a.client.send({ type: 14, reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
    const p = await a.client.next();
    assert.equal(p.type === 14 && p.reasonCode, 0x82);
    await a.client.waitClose();
  });

  test('v5: DISCONNECT with a Session Expiry Interval of 0 ends a persistent session', async () => {
    const a = await RawClient.connect(tb.port, 5, {
      clientId: 'dexp2',
      properties: { sessionExpiryInterval: 60 },
    });
    a.client.send({ type: 14, reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await a.client.waitClose();
    const b = await RawClient.connect(tb.port, 5, { clientId: 'dexp2', clean: false });
    assert.equal(b.connack.sessionPresent, false);
    b.client.destroy();
  });

  test('v5 Message Expiry: an expired queued message is not delivered, a live one carries the remaining interval', async () => {
    const a = await RawClient.connect(tb.port, 5, {
      clientId: 'mexp',
      properties: { sessionExpiryInterval: 60 },
    });
    await subscribeRaw(a.client, [subOf('mexp/+', 1)]);
    a.client.destroy();
    await delay(50);
    tb.broker.publish('mexp/short', 'x', { qos: 1, properties: { messageExpiryInterval: 1 } });
    tb.broker.publish('mexp/long', 'y', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await delay(1300);
    const b = await RawClient.connect(tb.port, 5, {
      clientId: 'mexp',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    const m = await nextPublishOf(b.client);
    assert.equal(m.topic, 'mexp/long');
    const left = m.properties?.messageExpiryInterval ?? 0;
    assert.ok(left > 90 && left < 100, `remaining ${left}`);
    assert.equal(await b.client.silent(150), true);
    b.client.destroy();
  });
});

describe('store restore', () => {
  test('sessions, subscriptions, queued messages and retained messages survive a restart on the same store image', async () => {
    const image = new StateImage();
    const first = await startBroker({ store: new MemoryStore({ image }) });
    const a = await RawClient.connect(first.port, 4, { clientId: 'keep', clean: false });
    await subscribeRaw(a.client, [subOf('keep/#', 1)]);
    a.client.send(DISCONNECT);
    await a.client.waitClose();
    first.broker.publish('keep/q', 'queued', { qos: 1 });
    first.broker.publish('keep/r', 'retained', { qos: 0, retain: true });
    await first.close();

    const second = await startBroker({ store: new MemoryStore({ image }) });
    try {
      const b = await RawClient.connect(second.port, 4, { clientId: 'keep', clean: false });
      assert.equal(b.connack.sessionPresent, true);
      const m = await nextPublishOf(b.client);
      assert.equal(m.payload.toString(), 'queued');
      b.client.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
      second.broker.publish('keep/live', 'live', { qos: 1 });
      assert.equal((await nextPublishOf(b.client)).payload.toString(), 'live');
      const { client: s } = await RawClient.connect(second.port, 4);
      await subscribeRaw(s, [subOf('keep/r', 0)]);
      assert.equal((await nextPublishOf(s)).payload.toString(), 'retained');
      b.client.destroy();
      s.destroy();
    } finally {
      await second.close();
    }
  });

  test('[MQTT-4.4.0-1] an in-flight QoS 1 delivery and an inbound QoS 2 id survive a restart', async () => {
    const image = new StateImage();
    const first = await startBroker({ store: new MemoryStore({ image }) });
    const a = await RawClient.connect(first.port, 4, { clientId: 'inflight', clean: false });
    await subscribeRaw(a.client, [subOf('inf/t', 1)]);
    first.broker.publish('inf/t', 'unacked', { qos: 1 });
    const sent = await nextPublishOf(a.client);
    a.client.send(publishOf('inf/q2', 'once', 2, 77));
    assert.equal((await a.client.next()).type, 5);
    await delay(50);
    await first.close();

    const second = await startBroker({ store: new MemoryStore({ image }) });
    try {
      const { client: w } = await RawClient.connect(second.port, 4);
      await subscribeRaw(w, [subOf('inf/q2', 2)]);
      const b = await RawClient.connect(second.port, 4, { clientId: 'inflight', clean: false });
      assert.equal(b.connack.sessionPresent, true);
      const again = await nextPublishOf(b.client);
      assert.equal(again.dup, true);
      assert.equal(again.packetId, sent.packetId);
      assert.equal(again.payload.toString(), 'unacked');
      // the QoS 2 packet id is still known: a resend is not delivered again
      b.client.send(publishOf('inf/q2', 'once', 2, 77, { dup: true }));
      assert.equal((await b.client.next()).type, 5);
      assert.equal(await w.silent(150), true);
      b.client.destroy();
      w.destroy();
    } finally {
      await second.close();
    }
  });

  test('sync durability: PUBACK follows the store commit', async () => {
    const commits: number[] = [];
    const store = new MemoryStore({
      durability: 'sync',
      beforeCommit: async () => {
        await delay(30);
        commits.push(Date.now());
      },
    });
    const tb = await startBroker({ store });
    try {
      const a = await RawClient.connect(tb.port, 4, { clientId: 'syncsub', clean: false });
      await subscribeRaw(a.client, [subOf('sync/t', 1)]);
      a.client.destroy();
      await delay(100);
      const { client: p } = await RawClient.connect(tb.port, 4);
      const before = commits.length;
      p.send(publishOf('sync/t', 'x', 1, 5));
      const ack = await p.next();
      assert.equal(ack.type, 4);
      assert.ok(commits.length > before, 'a commit completed before the PUBACK');
      p.destroy();
    } finally {
      await tb.close();
    }
  });

  test('sync durability: SUBACK of a persistent session follows the store commit', async () => {
    let commits = 0;
    const store = new MemoryStore({
      durability: 'sync',
      beforeCommit: async () => {
        await delay(30);
        commits++;
      },
    });
    const tb = await startBroker({ store });
    try {
      const a = await RawClient.connect(tb.port, 4, { clientId: 'syncsub2', clean: false });
      await delay(100);
      const before = commits;
      await subscribeRaw(a.client, [subOf('sync2/t', 1)]);
      assert.ok(commits > before, 'the subscription was committed before the SUBACK');
      a.client.destroy();
    } finally {
      await tb.close();
    }
  });

  test('sync durability: a pipelining 3.1.1 publisher is paused at the Receive Maximum, not dropped', async () => {
    const store = new MemoryStore({
      durability: 'sync',
      beforeCommit: () => delay(5),
    });
    const tb = await startBroker({ store, receiveMaximum: 10 });
    try {
      const a = await RawClient.connect(tb.port, 4, { clientId: 'pipe-sub', clean: false });
      await subscribeRaw(a.client, [subOf('pipe/t', 1)]);
      a.client.destroy();
      await delay(50);
      const { client: p } = await RawClient.connect(tb.port, 4);
      for (let i = 1; i <= 200; i++) p.send(publishOf('pipe/t', String(i), 1, i));
      const acked = new Set<number>();
      while (acked.size < 200) {
        const ack = await p.next(3000);
        assert.equal(ack.type, 4);
        if (ack.type === 4) acked.add(ack.packetId);
      }
      assert.equal(p.closed, false);
      p.destroy();
    } finally {
      await tb.close();
    }
  });
});

describe('queueQos0Messages', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ queueQos0Messages: true });
  });
  after(() => tb.close());

  test('QoS 0 messages are queued for an offline persistent session, in order with QoS 1', async () => {
    const a = await RawClient.connect(tb.port, 4, { clientId: 'q0q', clean: false });
    await subscribeRaw(a.client, [subOf('q0q/+', 1)]);
    a.client.send(DISCONNECT);
    await a.client.waitClose();
    const { client: p } = await RawClient.connect(tb.port, 4);
    p.send(publishOf('q0q/a', 'zero', 0));
    p.send(publishOf('q0q/b', 'one', 1, 1));
    await p.next();
    const b = await RawClient.connect(tb.port, 4, { clientId: 'q0q', clean: false });
    assert.equal(b.connack.sessionPresent, true);
    const m1 = await nextPublishOf(b.client);
    const m2 = await nextPublishOf(b.client);
    assert.deepEqual(
      [m1.payload.toString(), m1.qos, m2.payload.toString(), m2.qos],
      ['zero', 0, 'one', 1],
    );
    b.client.destroy();
    p.destroy();
  });
});
