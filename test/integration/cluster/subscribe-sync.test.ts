// Subscribe, then publish across nodes (docs/cluster.md): a SUBACK goes out once the other live
// nodes applied the new interest, so a publish on another node right after it is delivered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect as natsConnect } from '@nats-io/transport-node';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { peersKnown, startNode, until } from './util.js';

describe('cluster: subscribe then publish', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  const clients: RawClient[] = [];
  const client = async (n: TestNode): Promise<RawClient> => {
    const { client: cl } = await RawClient.connect(n.tb.port, 5);
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

  test('a publish on another node right after the SUBACK reaches the new subscription (QoS 0 and 1, 30 fresh filters)', async () => {
    const sub = await client(b);
    const pubA = await client(a);
    const pubC = await client(c);
    for (let i = 0; i < 30; i++) {
      const filter = `sp/${i}/+`;
      await subscribeRaw(sub, [subOf(filter, 1)], i + 1);
      // No wait for the announcement: the SUBACK itself says the other nodes know.
      const pub = i % 2 === 0 ? pubA : pubC;
      const qos = (i % 3 === 0 ? 0 : 1) as 0 | 1;
      pub.send(publishOf(`sp/${i}/x`, `m${i}`, qos, qos === 0 ? 0 : i + 1));
      const m = await nextPublishOf(sub);
      assert.equal(m.payload.toString(), `m${i}`, `filter ${filter}`);
      if (m.qos === 1)
        sub.send({ type: 4, packetId: m.packetId, reasonCode: 0, properties: undefined });
      if (qos === 1) assert.equal((await pub.next()).type, 4, 'PUBACK');
    }
  });

  test('a second subscriber to a filter already announced answers at once, and still receives', async () => {
    const s1 = await client(b);
    const s2 = await client(b);
    await subscribeRaw(s1, [subOf('twice/#', 0)]);
    const started = Date.now();
    await subscribeRaw(s2, [subOf('twice/#', 0)]);
    assert.ok(Date.now() - started < 500, 'no wait for a filter the others know');
    const p = await client(a);
    p.send(publishOf('twice/x', 'hi', 0));
    assert.equal((await nextPublishOf(s1)).payload.toString(), 'hi');
    assert.equal((await nextPublishOf(s2)).payload.toString(), 'hi');
  });

  test("a node joining learns the others' interest before it reports joined: a publish on it at once reaches a subscriber on another node", async () => {
    const sub = await client(b);
    await subscribeRaw(sub, [subOf('late/+', 0)]);
    const d = await startNode(nats.url, 'd');
    try {
      assert.equal(d.node.interest.nodes.get('b')?.filters.has('late/+'), true);
      const { client: p } = await RawClient.connect(d.tb.port, 5);
      clients.push(p);
      p.send(publishOf('late/x', 'from the new node', 0));
      assert.equal((await nextPublishOf(sub)).payload.toString(), 'from the new node');
    } finally {
      await d.close();
    }
  });

  test('a node that never confirms delays a SUBACK by forwardTimeoutMs at most, then the SUBACK goes out', async () => {
    // A fake node: it sends heartbeats (so the others count it alive) but confirms nothing.
    const nc: NatsConnection = await natsConnect({ servers: nats.url });
    const beat = () => nc.publish('petrel.hb', JSON.stringify({ node: 'ghost', run: 'r', seq: 0 }));
    beat();
    const timer = setInterval(beat, 100);
    try {
      nc.subscribe('petrel.snap.ghost', {
        callback: (_e, m) => {
          m.respond(JSON.stringify({ node: 'ghost', run: 'r', seq: 0 }));
        },
      });
      await until(() => a.node.interest.nodes.get('ghost')?.alive === true, 'a to see ghost');
      const before = a.node.interestAcks.timeouts;
      const s = await client(a);
      const started = Date.now();
      const codes = await subscribeRaw(s, [subOf('ghostly/+', 1)], 1);
      const waited = Date.now() - started;
      assert.deepEqual(codes, [1]);
      assert.ok(waited >= 900, `SUBACK waited ${waited} ms for the silent node`);
      assert.ok(waited < 1900, `SUBACK not later than the timeout (${waited} ms)`);
      assert.equal(a.node.interestAcks.timeouts, before + 1);
      // b and c confirmed within the wait: a publish on b reaches the subscriber.
      const p = await client(b);
      p.send(publishOf('ghostly/x', 'boo', 0));
      assert.equal((await nextPublishOf(s)).payload.toString(), 'boo');
    } finally {
      clearInterval(timer);
      await nc.close();
    }
    // Once the ghost is taken for dead nothing waits for it.
    await until(() => a.node.interest.nodes.get('ghost')?.alive === false, 'ghost dead', 3000);
    const s = await client(a);
    const started = Date.now();
    await subscribeRaw(s, [subOf('after/ghost', 0)]);
    assert.ok(Date.now() - started < 500, 'a dead node is not waited for');
  });
});
