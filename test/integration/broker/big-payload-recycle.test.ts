import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodePacket } from '../../../src/codec/encode.js';
import type { PublishPacket } from '../../../src/codec/types.js';
import type { TestBroker } from '../../helpers/broker.js';
import { delay, publishOf, RawClient, startBroker, subOf } from '../../helpers/broker.js';

// Big payloads reassembled from several reads live in recycled memory that goes back to a pool
// once every delivery and socket write is done with it. These tests check that no subscriber,
// retained message or event listener ever sees bytes of a later message.

const SIZE = 150_000;

/** Payload `i`: its index in the first 4 bytes, then a byte pattern that depends on `i`. */
function payload(i: number, size = SIZE): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (k * 7 + i * 13) & 0xff;
  b.writeUInt32BE(i, 0);
  return b;
}

/** Sends `count` PUBLISHes in one write (the broker reads them in many chunks). */
function publishAll(
  c: RawClient,
  topic: string,
  count: number,
  qos: 0 | 1,
  from = 0,
  version: 4 | 5 = 4,
): void {
  const bufs: Buffer[] = [];
  for (let i = from; i < from + count; i++) {
    bufs.push(encodePacket(publishOf(topic, payload(i), qos, qos > 0 ? i + 1 : 0), version));
  }
  c.send(Buffer.concat(bufs));
}

async function receive(c: RawClient, count: number, ack: boolean): Promise<PublishPacket[]> {
  const got: PublishPacket[] = [];
  while (got.length < count) {
    const p = await c.next(5000);
    if (p.type !== 3) continue;
    if (ack && p.qos === 1)
      c.send({ type: 4, packetId: p.packetId, reasonCode: 0, properties: undefined });
    got.push(p);
  }
  return got;
}

function checkAll(got: PublishPacket[], from: number): void {
  for (let k = 0; k < got.length; k++) {
    assert.ok(got[k]?.payload.equals(payload(from + k)), `message ${from + k} arrived intact`);
  }
}

describe('big payloads in recycled frame memory', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ maxInflight: 5, maxQueuedBytes: 64 * 1024 * 1024 });
  });
  after(() => tb.close());

  test('a stalled QoS 0 subscriber and a QoS 1 one that acks get every payload intact', async () => {
    const { client: s0 } = await RawClient.connect(tb.port, 4);
    const { client: s1 } = await RawClient.connect(tb.port, 4);
    s0.send({ type: 8, packetId: 1, subscriptions: [subOf('big/a', 0)], properties: undefined });
    s1.send({ type: 8, packetId: 1, subscriptions: [subOf('big/a', 1)], properties: undefined });
    assert.equal((await s0.next()).type, 9);
    assert.equal((await s1.next()).type, 9);
    const { client: pub } = await RawClient.connect(tb.port, 4);
    // The QoS 0 subscriber stops reading: its copies back up in the broker's socket buffer and
    // queue while the QoS 1 subscriber's acks complete the deliveries and free their memory.
    s0.socket.pause();
    publishAll(pub, 'big/a', 30, 1);
    checkAll(await receive(s1, 30, true), 0);
    publishAll(pub, 'big/a', 30, 0, 30);
    checkAll(await receive(s1, 30, true), 30);
    await delay(50);
    s0.socket.resume();
    checkAll(await receive(s0, 60, false), 0);
    s0.destroy();
    s1.destroy();
    pub.destroy();
  });

  test('a retained big payload stays intact while later big messages come and go', async () => {
    const { client: live } = await RawClient.connect(tb.port, 4);
    live.send({
      type: 8,
      packetId: 1,
      subscriptions: [subOf('big/r/#', 1)],
      properties: undefined,
    });
    assert.equal((await live.next()).type, 9);
    const { client: pub } = await RawClient.connect(tb.port, 4);
    pub.send(encodePacket(publishOf('big/r/kept', payload(1000), 0, 0, { retain: true }), 4));
    publishAll(pub, 'big/r/other', 20, 1);
    const got = await receive(live, 21, true);
    assert.ok(got[0]?.payload.equals(payload(1000)));
    checkAll(got.slice(1), 0);
    const { client: late } = await RawClient.connect(tb.port, 4);
    late.send({
      type: 8,
      packetId: 1,
      subscriptions: [subOf('big/r/kept', 0)],
      properties: undefined,
    });
    assert.equal((await late.next()).type, 9);
    const [retained] = await receive(late, 1, false);
    assert.ok(retained?.payload.equals(payload(1000)), 'retained payload intact');
    for (const c of [live, pub, late]) c.destroy();
  });

  test('after big frames, small frames read into the same memory keep their bytes', async () => {
    // A connection that carried a big frame reads into memory it reuses: the small payloads,
    // correlation data and retained message read after it must not be overwritten by later reads.
    const kept: Buffer[] = [];
    const onPublish = (e: { topic: string; payload: Buffer }): void => {
      if (e.topic === 'mix/small') kept.push(e.payload);
    };
    tb.broker.on('publish', onPublish);
    const { client: s } = await RawClient.connect(tb.port, 5);
    s.send({ type: 8, packetId: 1, subscriptions: [subOf('mix/#', 1)], properties: undefined });
    assert.equal((await s.next()).type, 9);
    s.socket.pause();
    const { client: pub } = await RawClient.connect(tb.port, 5);
    pub.send(encodePacket(publishOf('mix/big', payload(7), 1, 1), 5));
    const small = (i: number): Buffer => payload(i, 20 + (i % 50));
    const count = 300;
    for (let i = 0; i < count; i++) {
      const props = { correlationData: Buffer.from(`cd-${i}`) };
      const p = publishOf('mix/small', small(i), i % 2 === 0 ? 0 : 1, i + 2, { properties: props });
      pub.send(encodePacket(p, 5));
      // Separate writes, so that the broker reads them in many reads into the same memory.
      if (i % 10 === 9) await delay(2);
    }
    pub.send(encodePacket(publishOf('mix/kept', small(9999), 0, 0, { retain: true }), 5));
    await delay(100);
    s.socket.resume();
    const got = await receive(s, count + 2, true);
    assert.ok(got[0]?.payload.equals(payload(7)), 'big payload intact');
    for (let i = 0; i < count; i++) {
      const p = got[i + 1];
      assert.ok(p?.payload.equals(small(i)), `small payload ${i} intact`);
      assert.equal(p?.properties?.correlationData?.toString(), `cd-${i}`);
    }
    assert.ok(got[count + 1]?.payload.equals(small(9999)));
    tb.broker.off('publish', onPublish);
    assert.equal(kept.length, count);
    for (let i = 0; i < count; i++) {
      assert.ok(kept[i]?.equals(small(i)), `payload ${i} kept by a listener intact`);
    }
    // More reads into the publisher's memory, then the retained copy is read back.
    publishAll(pub, 'mix/big', 5, 1, 100, 5);
    checkAll(await receive(s, 5, true), 100);
    const { client: late } = await RawClient.connect(tb.port, 5);
    late.send({
      type: 8,
      packetId: 1,
      subscriptions: [subOf('mix/kept', 0)],
      properties: undefined,
    });
    assert.equal((await late.next()).type, 9);
    const [retained] = await receive(late, 1, false);
    assert.ok(retained?.payload.equals(small(9999)), 'retained payload intact');
    for (const c of [s, pub, late]) c.destroy();
  });

  test('a payload handed to a publish event listener is never reused', async () => {
    const kept: Buffer[] = [];
    const onPublish = (e: { topic: string; payload: Buffer }): void => {
      if (e.topic === 'big/ev') kept.push(e.payload);
    };
    tb.broker.on('publish', onPublish);
    try {
      const { client: s } = await RawClient.connect(tb.port, 4);
      s.send({ type: 8, packetId: 1, subscriptions: [subOf('big/ev', 0)], properties: undefined });
      assert.equal((await s.next()).type, 9);
      const { client: pub } = await RawClient.connect(tb.port, 4);
      publishAll(pub, 'big/ev', 20, 0);
      checkAll(await receive(s, 20, false), 0);
      tb.broker.off('publish', onPublish);
      // With no listener left, later messages may use recycled memory: the kept ones must not.
      publishAll(pub, 'big/ev', 20, 0, 20);
      checkAll(await receive(s, 20, false), 20);
      assert.equal(kept.length, 20);
      for (let i = 0; i < kept.length; i++) {
        assert.ok(kept[i]?.equals(payload(i)), `kept payload ${i} intact`);
      }
      s.destroy();
      pub.destroy();
    } finally {
      tb.broker.off('publish', onPublish);
    }
  });
});
