// Forwarding in batches (src/cluster/forwarder.ts): messages one node sends another in an
// event-loop turn travel as one NATS message, a QoS 1/2 batch confirmed by one reply, and every
// publisher's ack still waits until the receiving node queued its message (guarantee 2).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Message } from '../../../src/broker/message.js';
import {
  decodeBatch,
  encodeBatch,
  encodeForward,
  encodePublishPart,
} from '../../../src/cluster/wire.js';
import { encodePacket } from '../../../src/codec/encode.js';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { interestKnown, peersKnown, startNode, until } from './util.js';

describe('cluster forwarding in batches', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let a: TestNode;
  let b: TestNode;
  let watcher: NatsConnection;
  const clients: RawClient[] = [];
  const client = async (n: TestNode): Promise<RawClient> => {
    const { client: cl } = await RawClient.connect(n.tb.port, 5);
    clients.push(cl);
    return cl;
  };
  /** Every NATS message on b's forward subject, while `watch` runs. */
  const watch = async (): Promise<{ seen: Msg[]; sub: Subscription }> => {
    const seen: Msg[] = [];
    const sub = watcher.subscribe('petrel.msg.b', {
      callback: (_e, m) => {
        seen.push(m);
      },
    });
    await watcher.flush();
    return { seen, sub };
  };
  /** `n` PUBLISH packets written with one socket write, so that one read takes them all. */
  const burst = (topic: string, qos: 0 | 1, n: number, size = 8): Buffer =>
    Buffer.concat(
      Array.from({ length: n }, (_, i) =>
        encodePacket(publishOf(topic, Buffer.alloc(size, i % 256), qos, qos === 0 ? 0 : i + 1), 5),
      ),
    );

  before(async () => {
    nats = await startNats();
    a = await startNode(nats.url, 'a');
    b = await startNode(nats.url, 'b');
    await peersKnown([a, b]);
    watcher = await natsConnect({ servers: [nats.url] });
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    await watcher?.close();
    for (const n of [a, b]) await n?.close();
    await nats?.close();
  });

  test('guarantee 2: [MQTT-4.3.2-1] QoS 1 messages of one turn cross as one request; each PUBACK, in order, after the other node queued its message', async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('bat/q1', 1)]);
    await interestKnown([a, b], b, 'bat/q1');
    const { seen, sub } = await watch();
    const p = await client(a);
    const before = b.node.stats.received;
    const n = 50;
    p.send(burst('bat/q1', 1, n));
    for (let i = 1; i <= n; i++) {
      const ack = await p.next();
      assert.equal(ack.type, 4);
      assert.equal(ack.type === 4 && ack.packetId, i, 'PUBACKs in the order of the PUBLISHes');
      assert.ok(b.node.stats.received - before >= i, `message ${i} queued on b before its PUBACK`);
    }
    for (let i = 0; i < n; i++) {
      const m = await nextPublishOf(s);
      assert.equal(m.payload[0], i);
      s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
    }
    sub.unsubscribe();
    const carried = seen.reduce((k, m) => k + decodeBatch(m.data).length, 0);
    assert.equal(carried, n, 'every message crossed once');
    assert.ok(seen.length < n / 5, `${n} messages in ${seen.length} NATS messages`);
    assert.ok(
      seen.every((m) => m.reply !== undefined && m.reply !== ''),
      'QoS 1 batches are requests',
    );
  });

  test('guarantee 1: QoS 0 messages of one turn cross as one plain publish (no reply asked), in order', async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('bat/q0', 0)]);
    await interestKnown([a, b], b, 'bat/q0');
    const { seen, sub } = await watch();
    const p = await client(a);
    const n = 40;
    p.send(burst('bat/q0', 0, n));
    for (let i = 0; i < n; i++) assert.equal((await nextPublishOf(s)).payload[0], i);
    await until(() => seen.reduce((k, m) => k + decodeBatch(m.data).length, 0) === n, 'batches');
    sub.unsubscribe();
    assert.ok(seen.length < n / 5, `${n} messages in ${seen.length} NATS messages`);
    assert.ok(
      seen.every((m) => m.reply === undefined || m.reply === ''),
      'no reply asked',
    );
  });

  test("a turn's messages above NATS's max_payload leave in several batches, all confirmed", async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('bat/big', 1)]);
    await interestKnown([a, b], b, 'bat/big');
    const { seen, sub } = await watch();
    const p = await client(a);
    // 24 x 100 KB in one read: about 2.4 MB against the server's 1 MiB max_payload.
    const n = 24;
    p.send(burst('bat/big', 1, n, 100_000));
    for (let i = 1; i <= n; i++) {
      const ack = await p.next(5000);
      assert.equal(ack.type === 4 && ack.packetId, i);
    }
    for (let i = 0; i < n; i++) {
      const m = await nextPublishOf(s, 5000);
      assert.equal(m.payload.length, 100_000);
      s.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
    }
    sub.unsubscribe();
    const max = watcher.info?.max_payload ?? 0;
    assert.ok(max > 0);
    assert.ok(seen.length >= 3, `${seen.length} batches`);
    for (const m of seen) assert.ok(m.data.length <= max, `batch of ${m.data.length} bytes`);
  });

  test('a batch that does not parse is dropped whole and not confirmed; the node goes on', async () => {
    const s = await client(b);
    await subscribeRaw(s, [subOf('bat/bad', 1)]);
    await interestKnown([a, b], b, 'bat/bad');
    const now = Date.now();
    const m = new Message('bat/bad', Buffer.from('g'), 1, false, undefined, 'pub', now);
    const good = encodeForward('pub', 'test.bad.1', [], encodePublishPart(m, now));
    const broken = Buffer.from(good);
    broken[0] = 7; // an unknown record version
    const received = b.node.stats.received;
    for (const data of [Buffer.from('not a batch'), encodeBatch([good, broken])]) {
      await assert.rejects(
        watcher.request('petrel.msg.b', data, { timeout: 300 }),
        'no confirmation for a batch that does not parse',
      );
    }
    assert.equal(b.node.stats.received, received, 'nothing of it routed');
    assert.equal(await s.silent(200), true, 'the good record of the bad batch was not delivered');
    // The node still forwards and delivers.
    const p = await client(a);
    p.send(publishOf('bat/bad', 'after', 1, 1));
    assert.equal((await p.next()).type, 4);
    assert.equal((await nextPublishOf(s)).payload.toString(), 'after');
  });
});
