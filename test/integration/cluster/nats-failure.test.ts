// Guarantee 7 of docs/cluster.md: a node that loses NATS keeps serving its own clients, does not
// acknowledge what it cannot forward, reconnects and re-announces its interest.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { nextPublishOf, publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { interestKnown, peersKnown, startNode, until } from './util.js';

describe('cluster: NATS failure', { skip: !hasNats(), timeout: 40_000 }, () => {
  let nats: NatsHandle;
  let a: TestNode;
  let b: TestNode;
  const clients: RawClient[] = [];
  const client = async (n: TestNode): Promise<RawClient> => {
    const { client: cl } = await RawClient.connect(n.tb.port, 5);
    clients.push(cl);
    return cl;
  };

  before(async () => {
    nats = await startNats();
    a = await startNode(nats.url, 'fa');
    b = await startNode(nats.url, 'fb');
    await peersKnown([a, b]);
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    for (const n of [a, b]) await n?.close();
    await nats?.close();
  });

  test('guarantee 7: without NATS a node serves its own clients, refuses to ack what it cannot forward, and re-announces its interest when NATS is back', async () => {
    const remote = await client(b);
    await subscribeRaw(remote, [subOf('nf/t', 1)]);
    await interestKnown([a, b], b, 'nf/t');

    await nats.kill();
    await until(() => a.node.natsState === 'reconnecting', 'fa to notice the loss of NATS');

    // Local traffic goes on.
    const localSub = await client(a);
    await subscribeRaw(localSub, [subOf('local/t', 1)]);
    const localPub = await client(a);
    localPub.send(publishOf('local/t', 'still here', 1, 1));
    assert.equal((await localPub.next()).type, 4);
    assert.equal((await nextPublishOf(localSub)).payload.toString(), 'still here');

    // fb is still counted on (its heartbeats are not yet missed): no PUBACK, a disconnect.
    const cut = await client(a);
    cut.send(publishOf('nf/t', 'cannot cross', 1, 2));
    const d = await cut.next(3000);
    assert.equal(d.type, 14);
    assert.equal(d.type === 14 && d.reasonCode, 0x89);

    // A subscription made on fb while NATS is down reaches fa once NATS is back.
    await subscribeRaw(remote, [subOf('nf/new', 1)], 2);
    await nats.restart();
    await until(() => a.node.natsState === 'connected', 'fa to reconnect', 10_000);
    await interestKnown([a, b], b, 'nf/new');
    await until(() => a.node.interest.nodes.get('fb')?.alive === true, 'fb alive again on fa');
    const p = await client(a);
    p.send(publishOf('nf/new', 'across again', 1, 3));
    assert.equal((await p.next()).type, 4);
    const m = await nextPublishOf(remote);
    assert.equal(m.payload.toString(), 'across again');
  });

  test('a node stops promptly while NATS is down', async () => {
    const c = await startNode(nats.url, 'fc');
    await nats.kill();
    await until(() => c.node.natsState === 'reconnecting', 'fc to notice the loss of NATS');
    const started = Date.now();
    await c.close();
    assert.ok(Date.now() - started < 2000, `stopped in ${Date.now() - started} ms`);
    await nats.restart();
  });
});
