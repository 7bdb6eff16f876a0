import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryStore } from '../../../src/broker.js';
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

describe('retained messages', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker();
  });
  after(() => tb.close());

  for (const v of [4, 5] as const) {
    test(`[MQTT-3.3.1-5] [MQTT-3.3.1-8] a retained message is stored and sent to new subscribers with RETAIN 1 (v${v})`, async () => {
      const { client: p } = await RawClient.connect(tb.port, v);
      p.send(publishOf(`ret${v}/a`, 'kept', 1, 1, { retain: true }));
      await p.next();
      const { client: s } = await RawClient.connect(tb.port, v);
      await subscribeRaw(s, [subOf(`ret${v}/+`, 1)]);
      const m = await nextPublishOf(s);
      assert.equal(m.retain, true);
      assert.equal(m.payload.toString(), 'kept');
      p.destroy();
      s.destroy();
    });

    test(`[MQTT-3.3.1-9] a live message goes to existing subscribers with RETAIN 0 (v${v})`, async () => {
      const { client: s } = await RawClient.connect(tb.port, v);
      await subscribeRaw(s, [subOf(`live${v}/a`, 0)]);
      const { client: p } = await RawClient.connect(tb.port, v);
      p.send(publishOf(`live${v}/a`, 'x', 0, 0, { retain: true }));
      const m = await nextPublishOf(s);
      assert.equal(m.retain, false);
      p.destroy();
      s.destroy();
    });

    test(`[MQTT-3.3.1-10] [MQTT-3.3.1-7] an empty retained payload deletes the retained message (v${v})`, async () => {
      const { client: p } = await RawClient.connect(tb.port, v);
      p.send(publishOf(`del${v}/a`, 'kept', 0, 0, { retain: true }));
      p.send(publishOf(`del${v}/a`, '', 0, 0, { retain: true }));
      await p.silent(50);
      const { client: s } = await RawClient.connect(tb.port, v);
      await subscribeRaw(s, [subOf(`del${v}/#`, 0)]);
      assert.equal(await s.silent(150), true);
      p.destroy();
      s.destroy();
    });

    test(`a newer retained message replaces the older one (v${v})`, async () => {
      const { client: p } = await RawClient.connect(tb.port, v);
      p.send(publishOf(`rep${v}/a`, 'old', 0, 0, { retain: true }));
      p.send(publishOf(`rep${v}/a`, 'new', 0, 0, { retain: true }));
      await p.silent(50);
      const { client: s } = await RawClient.connect(tb.port, v);
      await subscribeRaw(s, [subOf(`rep${v}/a`, 0)]);
      assert.equal((await nextPublishOf(s)).payload.toString(), 'new');
      assert.equal(await s.silent(100), true);
      p.destroy();
      s.destroy();
    });
  }

  test('[MQTT-4.7.2-1] retained $ topics are not matched by a leading wildcard; wildcard filters find nested topics', async () => {
    tb.broker.publish('$app/x', 'hidden', { retain: true });
    tb.broker.publish('wild/a/b/c', 'deep', { retain: true });
    tb.broker.publish('wild/a', 'top', { retain: true });
    const { client: s } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(s, [subOf('+/x', 0)]);
    assert.equal(await s.silent(100), true);
    await subscribeRaw(s, [subOf('wild/#', 0)], 2);
    const topics = [(await nextPublishOf(s)).topic, (await nextPublishOf(s)).topic].sort();
    assert.deepEqual(topics, ['wild/a', 'wild/a/b/c']);
    await subscribeRaw(s, [subOf('wild/+/+/c', 0)], 3);
    assert.equal((await nextPublishOf(s)).topic, 'wild/a/b/c');
    s.destroy();
  });

  test('[MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] v5 Retain Handling 0, 1 and 2', async () => {
    tb.broker.publish('rh/t', 'r', { retain: true });
    const { client: s } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s, [subOf('rh/t', 0, { retainHandling: 2 })]);
    assert.equal(await s.silent(100), true, 'RH 2 sends nothing');
    const { client: s1 } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s1, [subOf('rh/t', 0, { retainHandling: 1 })]);
    assert.equal(
      (await nextPublishOf(s1)).payload.toString(),
      'r',
      'RH 1 sends on a new subscription',
    );
    await subscribeRaw(s1, [subOf('rh/t', 0, { retainHandling: 1 })], 2);
    assert.equal(await s1.silent(100), true, 'RH 1 sends nothing for an existing subscription');
    await subscribeRaw(s1, [subOf('rh/t', 0, { retainHandling: 0 })], 3);
    assert.equal((await nextPublishOf(s1)).payload.toString(), 'r', 'RH 0 sends every time');
    s.destroy();
    s1.destroy();
  });

  test('[MQTT-3.3.1-12] [MQTT-3.3.1-13] v5 Retain As Published keeps the RETAIN flag on live messages', async () => {
    const { client: s } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s, [subOf('rap/1', 0, { retainAsPublished: true }), subOf('rap/0', 0)]);
    tb.broker.publish('rap/1', 'a', { retain: true });
    tb.broker.publish('rap/0', 'b', { retain: true });
    const a = await nextPublishOf(s);
    const b = await nextPublishOf(s);
    assert.equal(a.retain, true);
    assert.equal(b.retain, false);
    s.destroy();
  });

  test('every retained message reaches a new wildcard subscriber, even beyond the queue limits', async () => {
    const small = await startBroker({ maxQueuedMessages: 10 });
    try {
      const payload = Buffer.alloc(2000, 7);
      for (let i = 0; i < 500; i++)
        small.broker.publish(`many/${i}`, payload, { retain: true, qos: 1 });
      const { client: s } = await RawClient.connect(small.port, 4);
      await subscribeRaw(s, [subOf('many/#', 0)]);
      const seen = new Set<string>();
      for (let i = 0; i < 500; i++) seen.add((await nextPublishOf(s)).topic);
      assert.equal(seen.size, 500);
      s.destroy();
    } finally {
      await small.close();
    }
  });
});

describe('retained messages with sync durability', () => {
  test('[MQTT-3.3.1-6] when the SUBACK waits for a store commit, the retained messages wait behind it', async () => {
    // Every commit takes 50 ms, so the persistent session's SUBACK is held for its commit.
    const store = new MemoryStore({ durability: 'sync', beforeCommit: () => delay(50) });
    const tb = await startBroker({ store });
    try {
      const { client: p } = await RawClient.connect(tb.port, 4);
      p.send(publishOf('held/a', 'kept', 1, 1, { retain: true }));
      assert.equal((await p.next()).type, 4);
      p.destroy();
      const { client: s } = await RawClient.connect(tb.port, 4, { clean: false });
      assert.deepEqual(await subscribeRaw(s, [subOf('held/#', 1)]), [1]);
      const m = await nextPublishOf(s);
      assert.equal(m.retain, true);
      assert.equal(m.payload.toString(), 'kept');
      s.destroy();
    } finally {
      await tb.close();
    }
  });
});
