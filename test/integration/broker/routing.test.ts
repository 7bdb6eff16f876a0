import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.js';
import {
  nextPublishOf,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';

// Repeated publishes to one topic are routed from a cache; these check that every change of the
// subscriptions between two of them is seen.
describe('routing of repeated topics', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker();
  });
  after(() => tb.close());

  async function puback(p: RawClient, topic: string, payload: string, id: number): Promise<number> {
    p.send(publishOf(topic, payload, 1, id));
    const a = await p.next();
    if (a.type !== 4) throw new Error(`expected PUBACK, got type ${a.type}`);
    return a.reasonCode;
  }

  test('[MQTT-3.3.2-3] subscribe, unsubscribe and session end between publishes to the same topic', async () => {
    const { client: p } = await RawClient.connect(tb.port, 5);
    // v5 PUBACK 0x10 No matching subscribers tells whether the publish reached anyone.
    assert.equal(await puback(p, 'rc/a', 'zero', 1), 0x10);
    const { client: s1 } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s1, [subOf('rc/a', 0)]);
    assert.equal(await puback(p, 'rc/a', 'one', 2), 0);
    assert.equal((await nextPublishOf(s1)).payload.toString(), 'one');

    const { client: s2 } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(s2, [subOf('rc/+', 1)]);
    assert.equal(await puback(p, 'rc/a', 'two', 3), 0);
    assert.equal((await nextPublishOf(s1)).payload.toString(), 'two');
    const m2 = await nextPublishOf(s2);
    assert.equal(m2.payload.toString(), 'two');
    assert.equal(m2.qos, 1);
    s2.send({ type: 4, packetId: m2.packetId, reasonCode: 0, properties: undefined });

    // Re-subscribing with another QoS changes what the next publish carries.
    await subscribeRaw(s2, [subOf('rc/+', 0)], 2);
    s1.send({ type: 10, packetId: 3, topicFilters: ['rc/a'], properties: undefined });
    assert.equal((await s1.next()).type, 11);
    assert.equal(await puback(p, 'rc/a', 'three', 4), 0);
    const m3 = await nextPublishOf(s2);
    assert.equal(m3.payload.toString(), 'three');
    assert.equal(m3.qos, 0);
    assert.equal(await s1.silent(100), true, 'unsubscribed');

    // The last subscriber's session ends with its connection (clean start, no expiry).
    s2.destroy();
    await s2.closedPromise;
    let code = 0;
    for (let i = 0; i < 50 && code !== 0x10; i++) code = await puback(p, 'rc/a', 'four', 5 + i);
    assert.equal(code, 0x10);
    p.destroy();
    s1.destroy();
  });

  test('[MQTT-3.8.3-3] No Local holds for each publisher of one topic', async () => {
    const { client: a } = await RawClient.connect(tb.port, 5);
    const { client: b } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(a, [subOf('nlr/t', 0, { noLocal: true })]);
    await subscribeRaw(b, [subOf('nlr/t', 0, { noLocal: true })]);
    for (let i = 0; i < 3; i++) {
      a.send(publishOf('nlr/t', `a${i}`, 0));
      assert.equal((await nextPublishOf(b)).payload.toString(), `a${i}`);
      b.send(publishOf('nlr/t', `b${i}`, 0));
      assert.equal((await nextPublishOf(a)).payload.toString(), `b${i}`);
    }
    assert.equal(await a.silent(100), true);
    assert.equal(await b.silent(50), true);
    a.destroy();
    b.destroy();
  });

  test('[MQTT-3.1.2-25] big payloads arrive intact to every kind of subscriber, and only where they fit', async () => {
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const { client: q0 } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(q0, [subOf('bigr/t', 0)]);
    const { client: q1 } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(q1, [subOf('bigr/+', 1)], 1, { subscriptionIdentifiers: [3] });
    const { client: small } = await RawClient.connect(tb.port, 5, {
      properties: { maximumPacketSize: 100_000 },
    });
    await subscribeRaw(small, [subOf('bigr/#', 1)]);
    const { client: p } = await RawClient.connect(tb.port, 4);
    for (let i = 1; i <= 2; i++) {
      p.send(publishOf('bigr/t', payload, 1, i));
      assert.equal((await p.next()).type, 4);
      const a = await nextPublishOf(q0);
      assert.ok(a.payload.equals(payload));
      const b = await nextPublishOf(q1);
      assert.ok(b.payload.equals(payload));
      assert.equal(b.qos, 1);
      assert.deepEqual(b.properties?.subscriptionIdentifiers, [3]);
      q1.send({ type: 4, packetId: b.packetId, reasonCode: 0, properties: undefined });
    }
    small.send(publishOf('bigr/s', 'fits', 0));
    // The small client gets its own little message, never the two big ones before it.
    const only = await nextPublishOf(small);
    assert.equal(only.payload.toString(), 'fits');
    for (const c of [q0, q1, small, p]) c.destroy();
  });
});
