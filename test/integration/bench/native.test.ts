// The C throughput generator (bench/native/throughput.c, the `fanin-c-*` and `pairs-c-q1` rows
// of bench:compare): built with gcc, run for a short while against a Petrel broker in this
// process and against the trivial relay; it must deliver every message once and report in
// `petrel bench --json`'s shape, its own CPU included.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildNative, nativeBinary, runThroughput } from '../../../bench/macro/native.js';
import type { BenchReport } from '../../../src/bench/report.js';
import type { Broker } from '../../../src/broker.js';
import { createBroker } from '../../../src/broker.js';
import { DIST } from './child.js';

const gcc = spawnSync(process.env.CC ?? 'gcc', ['--version']);
const noGcc =
  gcc.error !== undefined
    ? `gcc not found (Debian: apt-get install gcc), the C generator cannot be built`
    : false;

/** The report fields bench:compare reads, with the right types. */
function assertShape(r: BenchReport, scenario: string, qos: number, pubs: number): void {
  assert.equal(r.scenario, scenario);
  assert.equal(r.qos, qos);
  assert.equal(r.publishers, pubs);
  assert.equal(r.payloadSize, 64);
  assert.equal(r.window, 100);
  for (const k of ['seconds', 'sent', 'received', 'expected', 'lost', 'duplicates'] as const) {
    assert.equal(typeof r[k], 'number', k);
  }
  assert.ok(r.sendRate > 0 && r.receiveRate > 0, `rates ${r.sendRate} ${r.receiveRate}`);
  assert.ok(r.latencyMs !== null && r.latencyMs.count > 0 && r.latencyMs.p50 <= r.latencyMs.max);
  if (qos === 1) assert.ok(r.ackMs !== null && r.ackMs.count > 0);
  else assert.equal(r.ackMs, null);
  assert.equal(r.connections, null);
  assert.ok(r.cpu.user + r.cpu.system > 0);
  assert.ok(r.cpu.coreShare > 0 && r.cpu.busiestThread > 0);
  assert.equal(r.cpu.threads, 1);
  assert.equal(typeof r.cpu.saturated, 'boolean');
  assert.deepEqual(r.errors, []);
}

/** Every message sent arrived exactly once. */
function assertComplete(r: BenchReport): void {
  assert.ok(r.received > 0, 'messages received');
  assert.equal(r.expected, r.sent);
  assert.equal(r.received, r.sent);
  assert.equal(r.lost, 0);
  assert.equal(r.duplicates, 0);
}

describe('the C throughput generator', { skip: noGcc }, () => {
  let broker: Broker;
  let port = 0;
  before(async () => {
    assert.equal(buildNative(), undefined);
    // As bench:compare's Petrel: 16 publishers x 100 in flight exceed the default queue of 1000.
    broker = createBroker({
      port: 0,
      host: '127.0.0.1',
      sysInterval: 0,
      closeTimeoutMs: 500,
      maxQueuedMessages: 10_000,
    });
    await broker.listen();
    port = broker.addresses().find((a) => a.type === 'tcp')?.port ?? 0;
    assert.ok(port > 0);
  });
  after(async () => {
    await broker.close();
  });

  for (const qos of [0, 1]) {
    test(`fan-in 16 -> 1 QoS ${qos} against Petrel: every message once, the report complete`, async () => {
      const r = await runThroughput({
        port,
        scenario: 'fanin',
        clients: 16,
        qos,
        payload: 64,
        window: 100,
        seconds: 1.5,
        warmup: 0.5,
      });
      assertShape(r, 'fanin', qos, 16);
      assert.equal(r.subscribers, 1);
      assertComplete(r);
    });
  }

  test('pairs QoS 1 against Petrel: every subscriber gets only its publisher, once', async () => {
    const r = await runThroughput({
      port,
      scenario: 'pairs',
      clients: 8,
      qos: 1,
      payload: 64,
      window: 100,
      seconds: 1,
      warmup: 0.25,
    });
    assertShape(r, 'pairs', 1, 8);
    assert.equal(r.subscribers, 8);
    assertComplete(r);
  });

  test('a bad argument exits 2 naming what is wrong', () => {
    const bin = nativeBinary('throughput');
    const bad = spawnSync(bin, [
      '127.0.0.1',
      String(port),
      'fanout',
      '4',
      '0',
      '64',
      '100',
      '1',
      '0',
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.toString(), /scenario 'fanout': expected fanin or pairs/);
    const small = spawnSync(bin, [
      '127.0.0.1',
      String(port),
      'fanin',
      '4',
      '0',
      '8',
      '100',
      '1',
      '0',
    ]);
    assert.equal(small.status, 2);
    assert.match(small.stderr.toString(), /PAYLOAD 22\.\.1048576/);
  });
});

describe('the C throughput generator against the trivial relay', { skip: noGcc }, () => {
  let relay: ChildProcess;
  let port = 0;
  before(async () => {
    assert.equal(buildNative(), undefined);
    const script = join(DIST, 'bench', 'macro', 'relay-server.js');
    relay = spawn(process.execPath, [script, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      relay.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on [^:]+:(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      relay.once('exit', (code) => reject(new Error(`relay exited ${code}`)));
    });
  });
  after(() => {
    relay.kill('SIGTERM');
  });

  for (const [scenario, qos, clients] of [
    ['fanin', 0, 16],
    ['fanin', 1, 16],
    ['pairs', 1, 8],
  ] as const) {
    test(`${scenario} QoS ${qos}: the relay answers it, every message once`, async () => {
      const r = await runThroughput({
        port,
        scenario,
        clients,
        qos,
        payload: 64,
        window: 100,
        seconds: 1,
        warmup: 0.25,
      });
      assertShape(r, scenario, qos, clients);
      assertComplete(r);
    });
  }
});
