// Guarantee 1 (routing) and 2 (delivery across nodes) of docs/cluster.md: three in-process
// Petrel nodes joined through a real nats-server, clients on different nodes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Message } from '../../../src/broker/message.js';
import {
  decodeBatch,
  encodeBatch,
  encodeForward,
  encodePublishPart,
} from '../../../src/cluster/wire.js';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { interestKnown, peersKnown, startNode } from './util.js';

describe('cluster routing and delivery', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  const clients: RawClient[] = [];
  const client = async (n: TestNode, extra = {}): Promise<RawClient> => {
    const { client: cl } = await RawClient.connect(n.tb.port, 5, extra);
    clients.push(cl);
    return cl;
  };

  before(async () => {
    nats = await startNats();
    a = await startNode(nats.url, 'a');
    b = await startNode(nats.url, 'b');
    c = await startNode(nats.url, 'c');
    await peersKnown([a, b, c]);
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    for (const n of [a, b, c]) await n?.close();
    await nats?.close();
  });

  test('guarantee 1: a publish on one node reaches matching subscribers on the others (+, #) and crosses once per interested node', async () => {
    const s1 = await client(b);
    const s2 = await client(b);
    const s3 = await client(c);
    await subscribeRaw(s1, [subOf('g1/+/x', 0)]);
    await subscribeRaw(s2, [subOf('g1/#', 0)]);
    await subscribeRaw(s3, [subOf('g1/a/#', 0)]);
    await interestKnown([a, b, c], b, 'g1/+/x');
    await interestKnown([a, b, c], b, 'g1/#');
    await interestKnown([a, b, c], c, 'g1/a/#');
    const fwdBefore = a.node.stats.forwarded;
    const bBefore = b.node.stats.received;
    const cBefore = c.node.stats.received;
    const p = await client(a);
    p.send(publishOf('g1/a/x', 'one', 0));
    assert.equal((await nextPublishOf(s1)).payload.toString(), 'one');
    assert.equal((await nextPublishOf(s2)).payload.toString(), 'one');
    assert.equal((await nextPublishOf(s3)).payload.toString(), 'one');
    // Two subscribers on b, one on c: one copy to each node, not one per subscriber.
    assert.equal(a.node.stats.forwarded - fwdBefore, 2);
    assert.equal(b.node.stats.received - bBefore, 1);
    assert.equal(c.node.stats.received - cBefore, 1);
    // g1/b/y matches only b's g1/#: c gets nothing.
    p.send(publishOf('g1/b/y', 'two', 0));
    assert.equal((await nextPublishOf(s2)).payload.toString(), 'two');
    assert.equal(await s3.silent(200), true);
    assert.equal(c.node.stats.received - cBefore, 1, 'no copy to a node without interest');
  });

  test('guarantee 1: topics NATS subjects cannot carry as-is cross unchanged', async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('#', 0)]);
    await interestKnown([a, b, c], b, '#');
    const p = await client(a);
    for (const topic of ['/lead', 'a//b', 'dots.in.it', 'star*', 'gt>', 'with space', 'ü/ß']) {
      p.send(publishOf(topic, topic, 0));
      let m = await nextPublishOf(s);
      while (m.topic !== topic) m = await nextPublishOf(s); // other tests' traffic on '#'
      assert.equal(m.payload.toString(), topic);
    }
  });

  test('guarantee 1: [MQTT-4.7.2-1] a leading wildcard on another node does not match a $ topic', async () => {
    const wild = await client(c);
    const dollar = await client(c);
    await subscribeRaw(wild, [subOf('+/d1', 0)]);
    await subscribeRaw(dollar, [subOf('$app/d1', 0)]);
    await interestKnown([a, b, c], c, '$app/d1');
    await interestKnown([a, b, c], c, '+/d1');
    const p = await client(a);
    p.send(publishOf('$app/d1', 'dollar', 0));
    assert.equal((await nextPublishOf(dollar)).payload.toString(), 'dollar');
    assert.equal(await wild.silent(200), true);
  });

  test("guarantee 1: [MQTT-3.8.3-3] the publisher's client id travels with a forwarded message (No Local on the receiving node uses it)", async () => {
    const other = await client(b);
    await subscribeRaw(other, [subOf('nl/t', 0)]);
    await interestKnown([a, b, c], b, 'nl/t');
    const nc = await natsConnect({ servers: [nats.url] });
    try {
      const copies = nc.subscribe('petrel.msg.b', { max: 1 });
      const bound = setTimeout(() => copies.unsubscribe(), 3000); // never wait forever
      await nc.flush();
      const pub = await client(a, { clientId: 'nl-origin' });
      pub.send(publishOf('nl/t', 'mine', 0));
      for await (const m of copies) {
        const [f, ...rest] = decodeBatch(m.data);
        assert.equal(rest.length, 0, 'one message in the batch');
        assert.ok(f !== undefined);
        assert.equal(f.origin, 'nl-origin');
        assert.equal(f.packet.topic, 'nl/t');
      }
      clearTimeout(bound);
      assert.equal(copies.getProcessed(), 1, 'one copy seen');
    } finally {
      await nc.close();
    }
    assert.equal((await nextPublishOf(other)).payload.toString(), 'mine');
  });

  test('guarantee 1: [MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published and [MQTT-3.3.4-3] subscription identifiers across nodes', async () => {
    const rap = await client(c);
    const plain = await client(c);
    await subscribeRaw(rap, [subOf('rap/t', 0, { retainAsPublished: true })], 1, {
      subscriptionIdentifiers: [7],
    });
    await subscribeRaw(plain, [subOf('rap/t', 0)]);
    await interestKnown([a, b, c], c, 'rap/t');
    const p = await client(a);
    p.send(publishOf('rap/t', 'r', 0, 0, { retain: true }));
    const m1 = await nextPublishOf(rap);
    assert.equal(m1.retain, true);
    assert.deepEqual(m1.properties?.subscriptionIdentifiers, [7]);
    const m2 = await nextPublishOf(plain);
    assert.equal(m2.retain, false);
    assert.equal(m2.properties?.subscriptionIdentifiers, undefined);
    // Clear the retained message, and wait for it: later tests count the copies nodes receive.
    p.send(publishOf('rap/t', '', 1, 1, { retain: true }));
    assert.equal((await p.next()).type, 4);
    await nextPublishOf(rap);
    await nextPublishOf(plain);
  });

  test('guarantee 2: [MQTT-4.3.2-1] PUBACK only after every interested node queued the message', async () => {
    const s = await client(b);
    const s2 = await client(c);
    await subscribeRaw(s, [subOf('ack/t', 1)]);
    await subscribeRaw(s2, [subOf('ack/#', 1)]);
    await interestKnown([a, b, c], b, 'ack/t');
    await interestKnown([a, b, c], c, 'ack/#');
    const p = await client(a);
    for (let i = 1; i <= 5; i++) {
      const bBefore = b.node.stats.received;
      const cBefore = c.node.stats.received;
      p.send(publishOf('ack/t', `m${i}`, 1, i));
      const ack = await p.next();
      assert.equal(ack.type, 4);
      assert.equal(ack.type === 4 && ack.packetId, i);
      // Both nodes had routed it when the publisher got its PUBACK.
      assert.equal(b.node.stats.received - bBefore, 1);
      assert.equal(c.node.stats.received - cBefore, 1);
    }
    for (let i = 1; i <= 5; i++) {
      const m = await nextPublishOf(s);
      assert.equal(m.payload.toString(), `m${i}`);
      s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
    }
  });

  test('guarantee 2: [MQTT-4.3.3-2] QoS 2 across nodes is delivered exactly once, a resend before PUBREL included', async () => {
    const s = await client(c);
    await subscribeRaw(s, [subOf('q2/t', 2)]);
    await interestKnown([a, b, c], c, 'q2/t');
    const p = await client(a);
    p.send(publishOf('q2/t', 'once', 2, 9));
    const rec = await p.next();
    assert.equal(rec.type, 5);
    p.send(publishOf('q2/t', 'once', 2, 9, { dup: true })); // resend before PUBREL
    assert.equal((await p.next()).type, 5);
    p.send({ type: 6, packetId: 9, reasonCode: 0, properties: undefined });
    assert.equal((await p.next()).type, 7);
    const m = await nextPublishOf(s);
    assert.equal(m.payload.toString(), 'once');
    s.send({ type: 5, packetId: m.packetId, reasonCode: 0, properties: undefined });
    assert.equal((await s.next()).type, 6);
    s.send({ type: 7, packetId: m.packetId, reasonCode: 0, properties: undefined });
    assert.equal(await s.silent(300), true, 'exactly one copy');
  });

  test('guarantee 2: a forwarded QoS 2 message id seen twice is queued once', async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('dup/t', 1)]);
    const nc = await natsConnect({ servers: [nats.url] });
    try {
      const m = new Message('dup/t', Buffer.from('x'), 2, false, undefined, 'pub', Date.now());
      const data = encodeBatch([
        encodeForward('pub', 'test.run.1', [], encodePublishPart(m, Date.now())),
      ]);
      for (let i = 0; i < 2; i++) {
        const reply = await nc.request('petrel.msg.b', data, { timeout: 2000 });
        assert.deepEqual([...reply.data], [1], 'confirmed both times');
      }
    } finally {
      await nc.close();
    }
    const got = await nextPublishOf(s);
    assert.equal(got.payload.toString(), 'x');
    s.send({ type: 4, packetId: got.packetId, reasonCode: 0, properties: undefined });
    assert.equal(await s.silent(300), true, 'one copy');
  });

  test('guarantee 3: a shared group with members on three nodes gets each message once, spread over the nodes', async () => {
    const members = [await client(a), await client(b), await client(c)];
    for (const m of members) await subscribeRaw(m, [subOf('$share/grp/sh/t', 0)]);
    for (const n of [a, b, c]) await interestKnown([a, b, c], n, '$share/grp/sh/t');
    const p = await client(b);
    const total = 30;
    for (let i = 0; i < total; i++) p.send(publishOf('sh/t', `s${i}`, 0));
    const got: string[][] = [[], [], []];
    const deadline = Date.now() + 5000;
    while (got.flat().length < total && Date.now() < deadline) {
      for (let k = 0; k < 3; k++) {
        const pk = await (members[k] as RawClient).next(20).catch(() => undefined);
        if (pk?.type === 3) (got[k] as string[]).push(pk.payload.toString());
      }
    }
    const all = got.flat().sort();
    assert.equal(all.length, total, 'every message once');
    assert.equal(new Set(all).size, total, 'no message twice');
    for (const g of got)
      assert.ok(g.length > 0, `every node served some: ${got.map((x) => x.length)}`);
    for (const m of members) assert.equal(await m.silent(200), true);
  });

  test('guarantee 7: a QoS 1 publish a node cannot confirm gets no PUBACK: the publisher is disconnected with 0x89', async () => {
    const s = await client(c);
    await subscribeRaw(s, [subOf('lost/t', 1)]);
    await interestKnown([a, b, c], c, 'lost/t');
    // c leaves NATS; a still counts on it until its heartbeats are missed.
    await c.node.close();
    const p = await client(a);
    p.send(publishOf('lost/t', 'late', 1, 3));
    const d = await p.next(3000);
    assert.equal(d.type, 14, 'DISCONNECT, not PUBACK');
    assert.equal(d.type === 14 && d.reasonCode, 0x89);
    await p.waitClose();
  });
});
