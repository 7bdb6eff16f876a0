// Guarantees 5 and 7 of docs/cluster.md when one node alone loses NATS: three nats-servers
// clustered with JetStream (replicas 3), each Petrel node on its own server; stopping node fa's
// server cuts fa off while fb keeps NATS. On reconnecting, fa claims the client ids it accepted
// meanwhile and fences those another node claimed (closes their clients, drops their sessions).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNatsCluster, streamLeader } from '../../helpers/nats.js';
import type { TestNode } from './util.js';
import { peersKnown, startNode, until } from './util.js';

/**
 * Waits until the owners bucket's stream has a leader other than `lost` (the elections after a
 * server's loss take seconds; a claim made before fails and is made later, which would race).
 */
async function kvLeaderElected(url: string, lost: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const leader = await streamLeader(url, 'KV_petrel-sessions').catch(() => undefined);
    if (leader !== undefined && leader !== lost) return;
    if (Date.now() > deadline) throw new Error('no new leader for the owners bucket');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('cluster: a node cut off from NATS alone', { skip: !hasNats(), timeout: 50_000 }, () => {
  let servers: NatsHandle[] = [];
  let a: TestNode;
  let b: TestNode;
  const clients: RawClient[] = [];
  const connect = async (n: TestNode, clientId: string) => {
    // A claim waits for the KV, which elects new leaders after a server's loss.
    const r = await RawClient.connect(
      n.tb.port,
      5,
      { clientId, clean: false, properties: { sessionExpiryInterval: 300 } },
      15_000,
    );
    clients.push(r.client);
    return r;
  };

  before(async () => {
    servers = await startNatsCluster(3);
    const [s0, s1] = servers as [NatsHandle, NatsHandle];
    // Claims and their KV operations ride out the election of new JetStream leaders that
    // follows the loss of a server (a few seconds).
    const opts = { replicas: 3, forwardTimeoutMs: 8000 };
    a = await startNode(s0.url, 'fa', opts);
    b = await startNode(s1.url, 'fb', opts);
    await peersKnown([a, b]);
  });
  after(async () => {
    for (const cl of clients) cl.destroy();
    for (const n of [a, b]) await n?.close();
    for (const s of servers) await s.close();
  });

  test('guarantee 5: a node back on NATS fences the client ids claimed elsewhere meanwhile (0x8E) and claims those it accepted alone', async () => {
    const { client: x1 } = await connect(a, 'fence-x');
    await subscribeRaw(x1, [subOf('fence/x', 1)]);
    await until(() => b.node.ownership.ownerOf('fence-x') === 'fa', 'fb to see fa own fence-x');

    await (servers[0] as NatsHandle).kill();
    await until(() => a.node.natsState === 'reconnecting', 'fa to notice the loss of NATS');
    await kvLeaderElected((servers[1] as NatsHandle).url, 's0');

    // Cut off, fa keeps serving: it accepts two CONNECTs unclaimed.
    const { client: y } = await connect(a, 'fence-y');
    const { client: z1 } = await connect(a, 'fence-z');
    assert.equal(a.node.ownership.unclaimedCount, 2);
    // Meanwhile fb takes fence-x and fence-z: fa does not answer, so no session comes along.
    const { client: x2, connack: cx } = await connect(b, 'fence-x');
    assert.equal(cx.sessionPresent, false, 'fa could not hand the session over');
    const { client: z2 } = await connect(b, 'fence-z');
    assert.equal(x1.closed, false, 'fa cannot know yet');

    await (servers[0] as NatsHandle).restart();
    await until(() => a.node.natsState === 'connected', 'fa to reconnect', 15_000);

    for (const [cl, id] of [
      [x1, 'fence-x'],
      [z1, 'fence-z'],
    ] as const) {
      const d = await cl.next(5000);
      assert.equal(d.type, 14, `${id}: DISCONNECT on fa`);
      assert.equal(d.type === 14 && d.reasonCode, 0x8e, `${id}: Session taken over`);
      await cl.waitClose();
      assert.equal(a.tb.broker.sessions.has(id), false, `fa dropped its copy of ${id}`);
    }
    // fence-y, accepted only by fa, is claimed for it: both nodes see fa as its owner.
    await until(
      () =>
        a.node.ownership.ownerOf('fence-y') === 'fa' &&
        b.node.ownership.ownerOf('fence-y') === 'fa',
      'fence-y claimed by fa',
      5000,
    );
    assert.equal(a.node.ownership.unclaimedCount, 0);
    assert.equal(await y.silent(300), true, 'fence-y stays connected');
    assert.equal(y.closed, false);
    // The newer owners keep their clients.
    assert.equal(x2.closed, false);
    assert.equal(z2.closed, false);
    assert.equal(b.node.ownership.ownerOf('fence-x'), 'fb');
    assert.equal(b.node.ownership.ownerOf('fence-z'), 'fb');
  });
});
