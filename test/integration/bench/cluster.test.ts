// The cluster scenarios of bench:compare (issue 14): the C generators' subscribers on another
// node (SUB_PORT), so that every message crosses through NATS, and the `petrel-cluster` broker
// kind (nats-server and two `petrel broker` processes) that the scenarios run on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { cpuOf, watchCpu } from '../../../bench/macro/brokers.js';
import { petrelCluster } from '../../../bench/macro/cluster-brokers.js';
import { buildNative, runNative, runThroughput } from '../../../bench/macro/native.js';
import type { BenchReport } from '../../../src/bench/report.js';
import type { NatsHandle } from '../../helpers/nats.js';
import { hasNats, startNats } from '../../helpers/nats.js';
import type { TestNode } from '../cluster/util.js';
import { peersKnown, startNode } from '../cluster/util.js';

const gcc = spawnSync(process.env.CC ?? 'gcc', ['--version']);
const skip =
  gcc.error !== undefined
    ? 'gcc not found (Debian: apt-get install gcc), the C generators cannot be built'
    : !hasNats()
      ? 'nats-server not installed (Debian: apt-get install nats-server)'
      : false;

/** Every message sent arrived exactly once. */
function assertComplete(r: BenchReport): void {
  assert.deepEqual(r.errors, []);
  assert.ok(r.sent > 0, 'messages sent');
  assert.equal(r.received, r.sent);
  assert.equal(r.lost, 0);
  assert.equal(r.duplicates, 0);
}

describe('the C generators with their subscribers on another cluster node', { skip }, () => {
  let nats: NatsHandle;
  let n1: TestNode;
  let n2: TestNode;
  const portOf = (n: TestNode): number => n.tb.port;
  before(async () => {
    assert.equal(buildNative(), undefined);
    nats = await startNats();
    const big = { maxQueuedMessages: 10_000 };
    n1 = await startNode(nats.url, 'n1', {}, big);
    n2 = await startNode(nats.url, 'n2', {}, big);
    await peersKnown([n1, n2]);
  });
  after(async () => {
    await n1?.close();
    await n2?.close();
    await nats?.close();
  });

  test('pairs QoS 1 (SUB_PORT): every message crosses from n1 to n2 once', async () => {
    const forwarded = n1.node.stats.forwarded;
    const r = await runThroughput({
      port: portOf(n1),
      subPort: portOf(n2),
      scenario: 'pairs',
      clients: 4,
      qos: 1,
      payload: 64,
      window: 100,
      seconds: 1,
      warmup: 0.25,
    });
    assertComplete(r);
    // Each message crossed: n1 routed none to a subscriber of its own.
    assert.ok(n1.node.stats.forwarded - forwarded >= r.sent, 'forwarded to n2');
  });

  test('latency QoS 1 (SUB_PORT): the subscriber on n2 gets every message once', async () => {
    const received = n2.node.stats.received;
    const r = await runNative({
      port: portOf(n1),
      subPort: portOf(n2),
      qos: '1',
      rate: '500',
      payload: '64',
      seconds: 1,
      warmup: 0.25,
    });
    assertComplete(r);
    assert.ok(r.latencyMs !== null && r.latencyMs.count > 0);
    assert.ok(n2.node.stats.received - received >= r.sent, 'received from n1');
  });
});

describe('the petrel-cluster broker kind of bench:compare', { skip }, () => {
  test('starts NATS and two linked node processes, counts their CPU, and stops them all', async () => {
    assert.equal(buildNative(), undefined);
    const b = await petrelCluster.start();
    const pids = b.pids?.() ?? [];
    try {
      assert.equal(pids.length, 2);
      assert.ok(b.subPort !== undefined && b.subPort !== b.port);
      assert.ok(b.natsPid !== undefined && b.natsPid > 0);
      const cpu = watchCpu(b);
      const r = await runThroughput({
        port: b.port,
        subPort: b.subPort,
        scenario: 'fanin',
        clients: 4,
        qos: 0,
        payload: 64,
        window: 100,
        seconds: 1,
        warmup: 0.25,
      });
      const spent = cpu.done();
      assert.ok(r.received > 0, 'messages crossed between the node processes');
      assert.ok(spent.brokerCpu > 0, `node CPU ${spent.brokerCpu}`);
      assert.ok(spent.natsCpu > 0, `NATS CPU ${spent.natsCpu}`);
      assert.ok(spent.wall >= 1);
    } finally {
      await b.stop();
    }
    for (const pid of [...pids, b.natsPid ?? 0]) assert.equal(cpuOf(pid), 0, `pid ${pid} ended`);
  });
});
