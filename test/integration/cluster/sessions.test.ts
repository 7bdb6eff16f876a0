// Guarantee 5 of docs/cluster.md: one client id, one session, cluster-wide. A CONNECT on another
// node takes the client over (DISCONNECT 0x8E on the old node) and the persistent session moves
// with it; two CONNECTs racing on two nodes leave exactly one connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Packet } from '../../../src/codec/types.js';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { interestKnown, peersKnown, startNode, until } from './util.js';

describe('cluster sessions: ownership and take-over', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  const clients: RawClient[] = [];
  const persistent = (clientId: string) => ({
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
  });
  const connect = async (n: TestNode, extra = {}) => {
    const r = await RawClient.connect(n.tb.port, 5, extra);
    clients.push(r.client);
    return r;
  };

  before(async () => {
    nats = await startNats();
    a = await startNode(nats.url, 'sa');
    b = await startNode(nats.url, 'sb');
    c = await startNode(nats.url, 'sc');
    await peersKnown([a, b, c]);
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    for (const n of [a, b, c]) await n?.close();
    await nats?.close();
  });

  test('guarantee 5: [MQTT-4.4.0-1] a moved session resends in-flight QoS 1 as DUP with its packet id, PUBREL for QoS 2 awaiting PUBCOMP, and keeps inbound QoS 2 awaiting PUBREL', async () => {
    const { client: x1 } = await connect(a, persistent('inflight-mover'));
    await subscribeRaw(x1, [subOf('ifm/1', 1), subOf('ifm/2', 2)]);
    const { client: p } = await connect(a);
    p.send(publishOf('ifm/1', 'one', 1, 1));
    assert.equal((await p.next()).type, 4);
    const q1 = await nextPublishOf(x1); // not acknowledged
    p.send(publishOf('ifm/2', 'two', 2, 2));
    assert.equal((await p.next()).type, 5);
    p.send({ type: 6, packetId: 2, reasonCode: 0, properties: undefined });
    assert.equal((await p.next()).type, 7);
    const q2 = await nextPublishOf(x1);
    x1.send({ type: 5, packetId: q2.packetId, reasonCode: 0, properties: undefined });
    assert.equal((await x1.next()).type, 6, 'PUBREL');
    // The client publishes QoS 2 itself and gets PUBREC, then moves before its PUBREL.
    const { client: w } = await connect(c);
    await subscribeRaw(w, [subOf('ifm/out', 0)]);
    x1.send(publishOf('ifm/out', 'mine', 2, 77));
    assert.equal((await x1.next()).type, 5);
    const got = await nextPublishOf(w);
    assert.equal(got.payload.toString(), 'mine');
    const { client: x2, connack } = await connect(b, persistent('inflight-mover'));
    assert.equal(connack.sessionPresent, true);
    const r1 = await x2.next();
    assert.equal(r1.type, 3);
    assert.ok(r1.type === 3 && r1.dup, 'the QoS 1 message is resent with DUP');
    assert.equal(r1.type === 3 && r1.packetId, q1.packetId, 'with its packet id');
    const r2 = await x2.next();
    assert.equal(r2.type, 6, 'PUBREL for the QoS 2 message awaiting PUBCOMP');
    assert.equal(r2.type === 6 && r2.packetId, q2.packetId);
    x2.send({ type: 4, packetId: q1.packetId, reasonCode: 0, properties: undefined });
    x2.send({ type: 7, packetId: q2.packetId, reasonCode: 0, properties: undefined });
    // Its own QoS 2 message resent before PUBREL is not delivered again [MQTT-4.3.3-9].
    x2.send(publishOf('ifm/out', 'mine', 2, 77, { dup: true }));
    assert.equal((await x2.next()).type, 5, 'PUBREC for the resend');
    x2.send({ type: 6, packetId: 77, reasonCode: 0, properties: undefined });
    const comp = await x2.next();
    assert.equal(comp.type, 7, 'PUBCOMP: the new node knew the id');
    assert.equal(comp.type === 7 && comp.reasonCode, 0);
    assert.equal(await w.silent(300), true, 'no second delivery');
    assert.equal(await x2.silent(200), true, 'nothing else resent');
  });

  test('guarantee 5: an owner entry is removed when its session ends (clean session gone, expiry), and kept when a clean start replaces the session', async () => {
    const { client: c1 } = await connect(a, { clientId: 'end-clean' });
    const { client: p1 } = await connect(a, {
      clientId: 'end-expiry',
      clean: false,
      properties: { sessionExpiryInterval: 1 },
    });
    const { client: r1 } = await connect(a, { clientId: 'end-restart' });
    for (const id of ['end-clean', 'end-expiry', 'end-restart']) {
      await until(() => b.node.ownership.ownerOf(id) === 'sa', `sb to see sa own ${id}`);
    }
    c1.send({ type: 14, reasonCode: 0, properties: undefined });
    await until(() => b.node.ownership.ownerOf('end-clean') === undefined, 'end-clean removed');
    p1.destroy();
    await delay(300);
    assert.equal(b.node.ownership.ownerOf('end-expiry'), 'sa', 'kept while the session lives');
    await until(
      () => b.node.ownership.ownerOf('end-expiry') === undefined,
      'end-expiry removed',
      4000,
    );
    // A clean start on the same node ends the old session and starts a new one at once.
    const { client: r2 } = await connect(a, { clientId: 'end-restart' });
    await r1.waitClose();
    await delay(300);
    assert.equal(b.node.ownership.ownerOf('end-restart'), 'sa');
    assert.equal(a.node.ownership.ownerOf('end-restart'), 'sa');
    assert.equal(r2.closed, false);
    // A removed entry is claimed afresh by the next CONNECT, on any node.
    await connect(c, { clientId: 'end-clean' });
    await until(() => a.node.ownership.ownerOf('end-clean') === 'sc', 'end-clean claimed by sc');
  });

  test('guarantee 5: [MQTT-3.1.4-3] a CONNECT on another node takes the client over (0x8E) and its subscriptions move', async () => {
    const { client: x1 } = await connect(a, persistent('mover'));
    await subscribeRaw(x1, [subOf('ho/t', 1)]);
    const { client: x2, connack } = await connect(b, persistent('mover'));
    assert.equal(connack.sessionPresent, true, 'the session came along');
    const d = await x1.next();
    assert.equal(d.type, 14);
    assert.equal(d.type === 14 && d.reasonCode, 0x8e);
    await x1.waitClose();
    assert.equal(a.tb.broker.sessions.has('mover'), false, 'sa dropped its copy');
    await interestKnown([a, b, c], b, 'ho/t');
    const { client: p } = await connect(c);
    p.send(publishOf('ho/t', 'to the new node', 1, 1));
    assert.equal((await p.next()).type, 4);
    const m = await nextPublishOf(x2);
    assert.equal(m.payload.toString(), 'to the new node');
    x2.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
  });

  test('guarantee 5: messages queued for an offline persistent session move with it', async () => {
    const { client: x1 } = await connect(b, persistent('queued'));
    await subscribeRaw(x1, [subOf('ho/q', 1)]);
    await interestKnown([a, b, c], b, 'ho/q');
    x1.send({ type: 14, reasonCode: 0, properties: undefined });
    await x1.waitClose();
    const { client: p } = await connect(a);
    for (let i = 1; i <= 3; i++) {
      p.send(publishOf('ho/q', `q${i}`, 1, i));
      assert.equal((await p.next()).type, 4);
    }
    const { client: x2, connack } = await connect(c, persistent('queued'));
    assert.equal(connack.sessionPresent, true);
    for (let i = 1; i <= 3; i++) {
      const m = await nextPublishOf(x2);
      assert.equal(m.payload.toString(), `q${i}`);
      x2.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
    }
    assert.equal(b.tb.broker.sessions.has('queued'), false);
  });

  test('guarantee 5: two CONNECTs racing with one client id on two nodes leave exactly one connection', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      const [ra, rb] = await Promise.allSettled([
        connect(a, { clientId: id }),
        connect(b, { clientId: id }),
      ]);
      const live = [ra, rb]
        .map((r, i) =>
          r.status === 'fulfilled' ? { client: r.value.client, node: i === 0 ? a : b } : undefined,
        )
        .filter((x) => x !== undefined);
      // Each loser gets DISCONNECT 0x8E (or its CONNECT is never answered) and is closed.
      await until(
        () => live.filter((l) => !l.client.closed).length === 1,
        `one connection left (${id})`,
      );
      const winner = live.find((l) => !l.client.closed);
      assert.ok(winner !== undefined);
      for (const l of live) {
        if (l === winner) continue;
        const packets: Packet[] = [];
        for (;;) {
          const pk = await l.client.next(200).catch(() => undefined);
          if (pk === undefined) break;
          packets.push(pk);
        }
        const disconnect = packets.find((pk) => pk.type === 14);
        if (disconnect !== undefined)
          assert.equal(disconnect.type === 14 && disconnect.reasonCode, 0x8e);
      }
      await until(
        () => [a, b].every((n) => n.node.ownership.ownerOf(id) === winner.node.id),
        `both nodes to agree that ${winner.node.id} owns ${id}`,
      );
      const loserNode = winner.node === a ? b : a;
      assert.equal(loserNode.tb.broker.sessions.get(id)?.connection, undefined);
    }
  });
});
