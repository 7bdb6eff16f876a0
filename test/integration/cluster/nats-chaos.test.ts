// Chaos in a three-server NATS cluster (docs/cluster.md, "Guarantees and their tests"): QoS 1
// traffic from a client on one Petrel node to a subscriber on another while the nats-server the
// subscriber's node is connected to is killed with SIGKILL. The node reconnects to another
// server; every message the publisher got a PUBACK for must reach the subscriber.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from '../../../src/client/client.js';
import { connect } from '../../../src/client/connect.js';
import { delay } from '../../helpers/broker.js';
import { killAll } from '../../helpers/cli.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNatsCluster } from '../../helpers/nats.js';
import type { NodeProcess } from './process.js';
import { startNodeProcess } from './process.js';
import { until } from './util.js';

describe('cluster chaos: kill -9 of a NATS server under QoS 1 traffic', {
  skip: !hasNats(),
  timeout: 55_000,
}, () => {
  let servers: NatsHandle[] = [];
  let dir: string;
  const clients: MqttClient[] = [];
  const mqtt = async (n: NodeProcess, id: string, extra = {}): Promise<MqttClient> => {
    const c = await connect(`mqtt://127.0.0.1:${n.port}`, {
      clientId: id,
      protocolVersion: 5,
      reconnect: { initialDelay: 100, maxDelay: 300 },
      ...extra,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    servers = await startNatsCluster(3);
    dir = mkdtempSync(join(tmpdir(), 'petrel-nats-chaos-'));
  });
  after(async () => {
    for (const c of clients) c.destroy();
    killAll();
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('acknowledged QoS 1 messages lost when a server of a three-server NATS cluster is killed (replicas 3): 0', async (t) => {
    const [s0, s1, s2] = servers as [NatsHandle, NatsHandle, NatsHandle];
    const cfg = join(dir, 'cluster.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        cluster: {
          servers: [s0.url],
          nodeId: 'x',
          heartbeatMs: 200,
          nodeTimeoutMs: 1000,
          forwardTimeoutMs: 2000,
          replicas: 3,
        },
      }),
    );
    // Each node lists every server, its own first: the sub's node, on s1, moves to another.
    const n1 = await startNodeProcess([s0.url, s1.url, s2.url].join(','), 'k1', ['-c', cfg]);
    const n2 = await startNodeProcess([s1.url, s2.url, s0.url].join(','), 'k2', ['-c', cfg]);
    const got = new Set<string>();
    const sub = await mqtt(n2, 'chaos-sub', { clean: false, sessionExpiryInterval: 120 });
    sub.on('message', (m) => got.add(Buffer.from(m.payload).toString()));
    await sub.subscribe('nchaos/t', { qos: 1 });
    const pub = await mqtt(n1, 'chaos-pub', { clean: false, sessionExpiryInterval: 120 });
    await pub.publish('nchaos/t', 'probe', { qos: 1 });
    await until(() => got.has('probe'), 'the probe across nodes', 5000);

    const acked = new Set<string>();
    const pending: Array<Promise<unknown>> = [];
    // About 2.5 s of traffic, the kill at 0.6 s: it spans the node's reconnection to another
    // server and the election of new JetStream leaders.
    const total = 600;
    let killedAt = 0;
    for (let i = 0; i < total; i++) {
      const payload = `m${i}`;
      pending.push(
        pub.publish('nchaos/t', payload, { qos: 1 }).then(
          () => acked.add(payload),
          () => undefined,
        ),
      );
      if (i === 150) {
        await s1.kill();
        killedAt = Date.now();
      }
      if (i % 5 === 0) await delay(20);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 30_000);
      }),
    ]);
    clearTimeout(timer);
    assert.ok(killedAt > 0);
    assert.equal(acked.size, total, 'every message acknowledged in the end');
    await until(() => [...acked].every((p) => got.has(p)), 'every acknowledged message', 15_000);
    const lost = [...acked].filter((p) => !got.has(p));
    assert.equal(lost.length, 0, `acknowledged but lost: ${lost.slice(0, 5).join(', ')}`);
    t.diagnostic(
      `acked ${acked.size}/${total}, received ${got.size}, done ${Date.now() - killedAt} ms after the kill`,
    );
    await n1.run.stop('SIGTERM');
    await n2.run.stop('SIGTERM');
  });
});
