import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { QoS } from '../../../src/codec/constants.js';
import type { PublishPacket, Subscription } from '../../../src/codec/types.js';
import type { TestBroker } from '../../helpers/broker.js';
import { RawClient, startBroker } from '../../helpers/broker.js';

function sub(topicFilter: string, qos: QoS, extra: Partial<Subscription> = {}): Subscription {
  return {
    topicFilter,
    qos,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    ...extra,
  };
}

function pub(
  topic: string,
  payload: string,
  qos: QoS,
  packetId = 0,
  extra: Partial<PublishPacket> = {},
): PublishPacket {
  return {
    type: 3,
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    dup: false,
    packetId,
    properties: undefined,
    ...extra,
  };
}

async function subscribe(c: RawClient, subs: Subscription[], id = 1): Promise<number[]> {
  c.send({ type: 8, packetId: id, subscriptions: subs, properties: undefined });
  const p = await c.next();
  assert.equal(p.type, 9);
  return p.type === 9 ? p.reasonCodes : [];
}

async function nextPublish(c: RawClient): Promise<PublishPacket> {
  const p = await c.next();
  assert.equal(p.type, 3, `expected PUBLISH, got type ${p.type}`);
  return p as PublishPacket;
}

for (const version of [4, 5] as const) {
  describe(`QoS flows (v${version})`, () => {
    let tb: TestBroker;
    before(async () => {
      tb = await startBroker();
    });
    after(() => tb.close());

    test('[MQTT-4.3.1-1] QoS 0 is delivered at most once without acknowledgement', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('q0/t', 0)]);
      p.send(pub('q0/t', 'zero', 0));
      const m = await nextPublish(s);
      assert.equal(m.qos, 0);
      assert.equal(m.payload.toString(), 'zero');
      assert.equal(await p.silent(100), true);
      s.destroy();
      p.destroy();
    });

    test('[MQTT-4.3.2-2] QoS 1: PUBACK to the publisher; [MQTT-4.3.2-1] delivery with a packet id awaiting PUBACK', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('q1/t', 1)]);
      p.send(pub('q1/t', 'one', 1, 7));
      const ack = await p.next();
      assert.equal(ack.type, 4);
      assert.equal(ack.type === 4 && ack.packetId, 7);
      const m = await nextPublish(s);
      assert.equal(m.qos, 1);
      assert.ok(m.packetId > 0);
      s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
      s.destroy();
      p.destroy();
    });

    test('[MQTT-4.3.3-2] QoS 2 inbound: PUBREC, then PUBCOMP after PUBREL; a resend before PUBREL is not delivered twice [MQTT-4.3.3-9]', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('q2/t', 2)]);
      p.send(pub('q2/t', 'two', 2, 9));
      const rec = await p.next();
      assert.equal(rec.type, 5);
      p.send(pub('q2/t', 'two', 2, 9, { dup: true }));
      const rec2 = await p.next();
      assert.equal(rec2.type, 5);
      p.send({ type: 6, packetId: 9, reasonCode: 0, properties: undefined });
      const comp = await p.next();
      assert.equal(comp.type === 7 && comp.packetId, 9);
      const m = await nextPublish(s);
      assert.equal(m.qos, 2);
      assert.equal(m.payload.toString(), 'two');
      // the duplicate was not delivered again
      assert.equal(await s.silent(150), true);
      s.destroy();
      p.destroy();
    });

    test('[MQTT-4.3.3-1] QoS 2 outbound: PUBLISH, PUBREC from the client, PUBREL from the broker, PUBCOMP', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('q2o/t', 2)]);
      p.send(pub('q2o/t', 'x', 2, 1));
      await p.next();
      p.send({ type: 6, packetId: 1, reasonCode: 0, properties: undefined });
      await p.next();
      const m = await nextPublish(s);
      s.send({ type: 5, packetId: m.packetId, reasonCode: 0, properties: undefined });
      const rel = await s.next();
      assert.equal(rel.type === 6 && rel.packetId, m.packetId);
      s.send({ type: 7, packetId: m.packetId, reasonCode: 0, properties: undefined });
      assert.equal(await s.silent(100), true);
      s.destroy();
      p.destroy();
    });

    test('[MQTT-3.8.4-8] delivery QoS is the minimum of published and granted QoS', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('dg/t', 1)]);
      p.send(pub('dg/t', 'x', 2, 3));
      await p.next();
      const m = await nextPublish(s);
      assert.equal(m.qos, 1);
      s.destroy();
      p.destroy();
    });

    test('[MQTT-3.3.5-1] overlapping subscriptions deliver once at the highest QoS', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      const codes = await subscribe(s, [sub('ov/#', 0), sub('ov/+', 2), sub('ov/a', 1)]);
      assert.deepEqual(codes, [0, 2, 1]);
      p.send(pub('ov/a', 'x', 2, 4));
      await p.next();
      const m = await nextPublish(s);
      assert.equal(m.qos, 2);
      assert.equal(await s.silent(150), true);
      s.destroy();
      p.destroy();
    });

    test('[MQTT-2.2.1-3] outbound packet ids in flight are never reused', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('ids/t', 1)]);
      for (let i = 1; i <= 20; i++) p.send(pub('ids/t', String(i), 1, i));
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const m = await nextPublish(s);
        assert.equal(ids.has(m.packetId), false);
        ids.add(m.packetId);
      }
      s.destroy();
      p.destroy();
    });

    test('[MQTT-4.6.0-6] messages are delivered in order per topic', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('ord/t', 1)]);
      for (let i = 0; i < 50; i++) p.send(pub('ord/t', String(i), 1, i + 1));
      for (let i = 0; i < 50; i++) {
        const m = await nextPublish(s);
        assert.equal(m.payload.toString(), String(i));
        s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
      }
      s.destroy();
      p.destroy();
    });

    test('[MQTT-4.7.2-1] topics starting with $ are not matched by # or +', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('#', 0), sub('+/x', 0)]);
      p.send(pub('$ours/x', 'hidden', 0));
      p.send(pub('vis/x', 'seen', 0));
      const m = await nextPublish(s);
      assert.equal(m.topic, 'vis/x');
      s.destroy();
      p.destroy();
    });

    test('clients cannot publish to $SYS', async () => {
      const { client: s } = await RawClient.connect(tb.port, version);
      const { client: p } = await RawClient.connect(tb.port, version);
      await subscribe(s, [sub('$SYS/#', 0)]);
      p.send(pub('$SYS/broker/fake', 'x', 1, 2));
      const ack = await p.next();
      assert.equal(ack.type, 4);
      if (version === 5) assert.equal(ack.type === 4 && ack.reasonCode, 0x87);
      assert.equal(await s.silent(150), true);
      s.destroy();
      p.destroy();
    });
  });
}
