// Publisher-side acknowledgement latency of `petrel bench` (PUBLISH written -> PUBACK/PUBCOMP
// read), run in-process against an embedded broker with a bounded message count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseBenchArgs } from '../../../src/bench/args.js';
import type { BenchReport } from '../../../src/bench/report.js';
import { formatCsv, formatText } from '../../../src/bench/report.js';
import { runBench } from '../../../src/bench/runner.js';
import type { Broker } from '../../../src/broker.js';
import { createBroker } from '../../../src/broker.js';

describe('petrel bench acknowledgement latency', () => {
  let broker: Broker;
  let port = 0;
  before(async () => {
    broker = createBroker({ port: 0, host: '127.0.0.1', sysInterval: 0, closeTimeoutMs: 500 });
    await broker.listen();
    port = broker.addresses().find((a) => a.type === 'tcp')?.port ?? 0;
    assert.ok(port > 0);
  });
  after(async () => {
    await broker.close();
  });

  const run = (args: string[]): Promise<BenchReport> => {
    // Defaults first: a later flag in `args` overrides them.
    const { plan } = parseBenchArgs(['-h', '127.0.0.1', '-p', String(port), '-d', '5', ...args]);
    return runBench(plan);
  };

  for (const [qos, version] of [
    [1, 'mqttv311'],
    [2, 'mqttv311'],
    [1, 'mqttv5'],
  ] as const) {
    test(`QoS ${qos} ${version}: every acknowledged message has an ack latency sample`, async () => {
      const r = await run(['pairs', '-c', '2', '-n', '300', '-q', String(qos), '-V', version]);
      assert.equal(r.sent, 600);
      assert.equal(r.lost, 0);
      assert.equal(r.duplicates, 0);
      const a = r.ackMs;
      assert.ok(a !== null, 'ack figures are reported at QoS > 0');
      assert.equal(a.count, r.sent, 'one sample per acknowledged PUBLISH');
      assert.ok(a.p50 > 0, `p50 ${a.p50} ms > 0`);
      assert.ok(a.p50 <= a.p99 && a.p99 <= a.p999 && a.p999 <= a.max, JSON.stringify(a));
      assert.ok(a.max < 5000, `max ${a.max} ms is below the run's own length`);
      const text = formatText(r);
      assert.match(text, /\n {2}ack {7}p50 [\d.]+ ms {2}p99 [\d.]+ ms {2}p99\.9 [\d.]+ ms/);
      assert.match(text, qos === 2 ? /PUBLISH to PUBCOMP/ : /PUBLISH to PUBACK/);
      const [header, line] = formatCsv(r).split('\n');
      const cols = header?.split(',') ?? [];
      const vals = line?.split(',') ?? [];
      assert.equal(vals[cols.indexOf('ackP50Ms')], String(a.p50));
      assert.equal(vals[cols.indexOf('ackP99Ms')], String(a.p99));
      assert.equal(vals[cols.indexOf('ackP999Ms')], String(a.p999));
    });
  }

  test('QoS 0: no ack figures in the report, the text or the CSV', async () => {
    const r = await run(['pairs', '-c', '1', '-n', '200', '-q', '0']);
    assert.equal(r.sent, 200);
    assert.equal(r.ackMs, null);
    assert.doesNotMatch(formatText(r), /\n {2}ack /);
    const [header, line] = formatCsv(r).split('\n');
    const cols = header?.split(',') ?? [];
    const vals = line?.split(',') ?? [];
    assert.ok(cols.includes('ackP99Ms'));
    assert.equal(vals[cols.indexOf('ackP99Ms')], '');
  });

  test('ack samples come from the measured interval only (--warmup)', async () => {
    const r = await run(['latency', '-q', '1', '--rate', '1000', '-d', '0.6', '--warmup', '0.3']);
    const a = r.ackMs;
    assert.ok(a !== null);
    assert.ok(a.count > 0 && a.count < r.sent, `${a.count} samples of ${r.sent} sent`);
  });
});
