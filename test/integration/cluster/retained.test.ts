// Guarantee 4 of docs/cluster.md: retained messages are cluster-wide (a JetStream KV bucket),
// delivered to new subscribers on any node, and outlive the restart of every node.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from '../../../src/broker/message.js';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { startNode, until } from './util.js';

describe('cluster retained messages', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  const nodes: TestNode[] = [];
  const clients: RawClient[] = [];
  const client = async (n: TestNode): Promise<RawClient> => {
    const { client: cl } = await RawClient.connect(n.tb.port, 5);
    clients.push(cl);
    return cl;
  };
  const node = async (id: string): Promise<TestNode> => {
    const n = await startNode(nats.url, id);
    nodes.push(n);
    return n;
  };
  /** The retained payload of `topic` on node `n` ('' when none). */
  const retainedOn = (n: TestNode, topic: string): string => {
    const found: Message[] = [];
    n.tb.broker.router.retained.match(topic, found);
    return found[0]?.payload.toString() ?? '';
  };

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    for (const n of nodes) await n.close();
    await nats?.close();
  });

  test('guarantee 4: a retained message published on one node reaches new subscribers on the others [MQTT-3.3.1-5]', async () => {
    const a = await node('ra');
    const b = await node('rb');
    const p = await client(a);
    p.send(publishOf('ret/one', 'kept', 1, 1, { retain: true }));
    assert.equal((await p.next()).type, 4);
    await until(() => retainedOn(b, 'ret/one') === 'kept', 'the retained message on rb');
    const s = await client(b);
    await subscribeRaw(s, [subOf('ret/#', 1)]);
    const m = await nextPublishOf(s);
    assert.equal(m.topic, 'ret/one');
    assert.equal(m.payload.toString(), 'kept');
    assert.equal(m.retain, true);
  });

  test('guarantee 4: [MQTT-3.3.1-10] an empty retained message on one node clears the topic on every node', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    const p = await client(b);
    p.send(publishOf('ret/gone', 'soon gone', 1, 1, { retain: true }));
    assert.equal((await p.next()).type, 4);
    await until(() => retainedOn(a, 'ret/gone') === 'soon gone', 'the retained message on ra');
    p.send(publishOf('ret/gone', '', 1, 2, { retain: true }));
    assert.equal((await p.next()).type, 4);
    await until(() => retainedOn(a, 'ret/gone') === '', 'the deletion on ra');
    const s = await client(a);
    await subscribeRaw(s, [subOf('ret/gone', 0)]);
    assert.equal(await s.silent(300), true);
  });

  test('guarantee 4: concurrent retained publishes to one topic on two nodes end with the same message everywhere', async () => {
    const [a, b] = nodes as [TestNode, TestNode];
    const pa = await client(a);
    const pb = await client(b);
    for (let i = 0; i < 20; i++) {
      pa.send(publishOf('ret/race', `a${i}`, 0, 0, { retain: true }));
      pb.send(publishOf('ret/race', `b${i}`, 0, 0, { retain: true }));
    }
    await until(() => {
      const va = retainedOn(a, 'ret/race');
      return (va === 'a19' || va === 'b19') && va === retainedOn(b, 'ret/race');
    }, 'both nodes to agree on the last write');
  });

  test('guarantee 4: retained messages survive the restart of every node (and of NATS)', async () => {
    for (const n of nodes.splice(0)) await n.close();
    await nats.restart();
    const c = await node('rc');
    assert.equal(retainedOn(c, 'ret/one'), 'kept', 'loaded before the node takes clients');
    assert.equal(retainedOn(c, 'ret/gone'), '');
    const s = await client(c);
    await subscribeRaw(s, [subOf('ret/one', 0)]);
    const m = await nextPublishOf(s);
    assert.equal(m.payload.toString(), 'kept');
    assert.equal(m.retain, true);
  });
});
