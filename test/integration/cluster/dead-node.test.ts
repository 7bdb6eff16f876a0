// Guarantee 6 of docs/cluster.md with a node process killed for real (SIGKILL): QoS 1/2
// messages for its persistent sessions are kept in JetStream while it is dead and delivered when
// it returns.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect as natsConnect } from '@nats-io/transport-node';
import { kvKey } from '../../../src/cluster/wire.js';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import { startCli } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats } from '../../helpers/nats.js';
import { processSuite, startNodeProcess } from './process.js';
import { startNode } from './util.js';

describe('cluster: a dead node', { skip: !hasNats(), timeout: 50_000 }, () => {
  let nats: NatsHandle;
  let dir: string;
  const clients: RawClient[] = [];
  const raw = async (port: number, extra = {}) => {
    const r = await RawClient.connect(port, 5, extra, 5000);
    clients.push(r.client);
    return r;
  };
  processSuite('petrel-cluster-dead-', clients, (n, d) => {
    nats = n;
    dir = d;
  });

  test('guarantee 6: QoS 1/2 messages for persistent sessions of a killed node are kept in JetStream and delivered when it returns', async () => {
    const cfg = join(dir, 'c.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        sysInterval: 1,
        cluster: {
          servers: [nats.url],
          nodeId: 'x',
          heartbeatMs: 200,
          nodeTimeoutMs: 1000,
          forwardTimeoutMs: 1000,
        },
      }),
    );
    const n1 = await startNodeProcess(nats.url, 'p1', ['-c', cfg, '--node-id', 'p1']);
    const args = ['broker', '-p', '0', '-d', join(dir, 'p2-data'), '--durability', 'sync'];
    const start2 = async () => {
      const run = startCli([...args, '-c', cfg, '--node-id', 'p2']);
      const port = Number((await run.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await run.waitFor('cluster: joined');
      return { run, port };
    };
    let n2 = await start2();
    const session = {
      clientId: 'parked-sub',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const { client: s1 } = await raw(n2.port, session);
    // The SUBACK says p1 knows the subscription.
    await subscribeRaw(s1, [subOf('park/#', 2)]);
    s1.send({ type: 14, reasonCode: 0, properties: undefined });
    await s1.waitClose();

    const { client: watch } = await raw(n1.port);
    await subscribeRaw(watch, [subOf('$SYS/broker/cluster/nodes/p2/state', 0)]);
    n2.run.child.kill('SIGKILL');
    for (let i = 0; ; i++) {
      const m = await nextPublishOf(watch, 3000);
      if (m.payload.toString() === 'dead') break;
      assert.ok(i < 20, 'p1 takes p2 for dead');
    }

    const { client: pub } = await raw(n1.port);
    const n = 20;
    for (let i = 1; i <= n; i++) {
      const qos = i % 2 === 0 ? 2 : 1;
      pub.send(publishOf(`park/${i}`, `m${i}`, qos, i));
      const ack = await pub.next(5000);
      assert.equal(ack.type, qos === 1 ? 4 : 5, `ack of m${i}`);
      assert.equal((ack.type === 4 || ack.type === 5) && ack.reasonCode, 0);
      if (qos === 2) {
        pub.send({ type: 6, packetId: i, reasonCode: 0, properties: undefined });
        assert.equal((await pub.next()).type, 7);
      }
    }
    // QoS 0 is at most once: not kept.
    pub.send(publishOf('park/zero', 'q0', 0));

    n2 = await start2();
    const { client: s2, connack } = await raw(n2.port, session);
    assert.equal(connack.sessionPresent, true);
    const got: string[] = [];
    // Deliveries and PUBRELs interleave: answer each as it comes.
    for (let i = 0; got.length < n && i < 4 * n; i++) {
      const p = await s2.next(5000);
      if (p.type === 6)
        s2.send({ type: 7, packetId: p.packetId, reasonCode: 0, properties: undefined });
      if (p.type !== 3) continue;
      got.push(p.payload.toString());
      if (p.qos === 1)
        s2.send({ type: 4, packetId: p.packetId, reasonCode: 0, properties: undefined });
      if (p.qos === 2)
        s2.send({ type: 5, packetId: p.packetId, reasonCode: 0, properties: undefined });
    }
    assert.deepEqual(
      got,
      Array.from({ length: n }, (_, i) => `m${i + 1}`),
      'every message, in order',
    );
    for (;;) {
      const p = await s2.next(500).catch(() => undefined);
      if (p === undefined) break;
      assert.equal(p.type, 6, 'nothing else but PUBRELs (no QoS 0, no duplicate)');
      s2.send({ type: 7, packetId: p.packetId, reasonCode: 0, properties: undefined });
    }
    await n2.run.stop('SIGTERM');
    await n1.run.stop('SIGTERM');
  });

  test("guarantee 6: the wills of a killed node's clients are published once, by one survivor, after their delay [MQTT-3.1.2-8] [MQTT-3.1.3-9]", async () => {
    const cfg = join(dir, 'w.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        cluster: {
          servers: [nats.url],
          nodeId: 'x',
          heartbeatMs: 200,
          nodeTimeoutMs: 1000,
          forwardTimeoutMs: 1000,
        },
      }),
    );
    const [w1, w2, w3] = await Promise.all(
      ['w1', 'w2', 'w3'].map((id) => startNodeProcess(nats.url, id, ['-c', cfg, '--node-id', id])),
    );
    if (w1 === undefined || w2 === undefined || w3 === undefined) throw new Error('nodes');
    const { client: s1 } = await raw(w1.port);
    const { client: s3 } = await raw(w3.port);
    await subscribeRaw(s1, [subOf('wills/#', 0)]);
    await subscribeRaw(s3, [subOf('wills/#', 0)]);
    const will = (topic: string, delay: number) => ({
      topic,
      payload: Buffer.from(topic),
      qos: 0 as const,
      retain: false,
      properties: delay > 0 ? { willDelayInterval: delay } : undefined,
    });
    await raw(w2.port, { clientId: 'will-now', will: will('wills/now', 0) });
    await raw(w2.port, {
      clientId: 'will-later',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will('wills/later', 2),
    });
    // A client that leaves normally has no will to publish.
    const { client: gone } = await raw(w2.port, {
      clientId: 'will-gone',
      will: will('wills/gone', 0),
    });
    gone.send({ type: 14, reasonCode: 0, properties: undefined });
    await gone.waitClose();
    await delay(300); // the records are written

    w2.run.child.kill('SIGKILL');
    const killedAt = Date.now();
    const seen = async (c: RawClient) => {
      const got: Array<[string, number]> = [];
      for (;;) {
        const p = await c.next(3500).catch(() => undefined);
        if (p === undefined) return got;
        if (p.type === 3) got.push([p.topic, Date.now() - killedAt]);
      }
    };
    const [on1, on3] = await Promise.all([seen(s1), seen(s3)]);
    for (const got of [on1, on3]) {
      assert.deepEqual(
        got.map(([t]) => t),
        ['wills/now', 'wills/later'],
        'each will once, the delayed one last, none for the normal DISCONNECT',
      );
      const later = got[1]?.[1] ?? 0;
      const now = got[0]?.[1] ?? 0;
      assert.ok(later - now >= 1800, `the Will Delay is kept (${later - now} ms after the other)`);
    }
    await w1.run.stop('SIGTERM');
    await w3.run.stop('SIGTERM');
  });

  test('guarantee 6: a node starting again drops its will records of an earlier run (its store sent those wills)', async () => {
    const nc = await natsConnect({ servers: nats.url });
    try {
      const kv = await new Kvm(jetstream(nc)).create('petrel-wills', { history: 1 });
      const stale = `wr.${kvKey('stale-client')}`;
      await kv.put(stale, JSON.stringify({ node: 'wr', will: {}, delayMs: 0 }));
      const n = await startNode(nats.url, 'wr');
      try {
        for (let i = 0; i < 50; i++) {
          const e = await kv.get(stale);
          if (e === null || e.operation !== 'PUT') break;
          assert.ok(i < 49, 'the stale record is removed');
          await delay(100);
        }
        // A client connected now has its will recorded.
        await raw(n.tb.port, {
          clientId: 'fresh-client',
          will: { topic: 'wills/fresh', payload: Buffer.from('x'), qos: 0, retain: false },
        });
        const fresh = `wr.${kvKey('fresh-client')}`;
        for (let i = 0; ; i++) {
          const e = await kv.get(fresh);
          if (e !== null && e.operation === 'PUT') break;
          assert.ok(i < 50, 'the new will is recorded');
          await delay(100);
        }
      } finally {
        await n.close();
      }
    } finally {
      await nc.close();
    }
  });
});
