// `petrel bench` as a child process against an embedded Petrel broker: the JSON report must show
// every message delivered exactly once, and a bad flag must fail with a line naming it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../helpers/broker.js';
import type { ChildResult } from './child.js';
import { MAIN, runNode } from './child.js';

function bench(args: string[], timeoutMs = 9000): Promise<ChildResult> {
  return runNode(MAIN, ['bench', ...args], timeoutMs);
}

interface Report {
  scenario: string;
  qos: number;
  sent: number;
  received: number;
  expected: number;
  lost: number;
  duplicates: number;
  receiveRate: number;
  latencyMs: { count: number; p50: number; p99: number; p999: number } | null;
  connections: { requested: number; connected: number; failed: number; rate: number } | null;
  cpu: { user: number; system: number };
}

describe('petrel bench against an embedded broker', () => {
  let b: TestBroker;
  before(async () => {
    // Room for every publisher's full window in the one subscriber's queue (16 x 100).
    b = await startBroker({ maxQueuedMessages: 10_000 });
  });
  after(async () => {
    await b.close();
  });

  const cases: Array<[string, string[]]> = [
    ['fanin', []],
    ['fanout', ['-c', '20']],
    ['pairs', ['-c', '10']],
  ];
  for (const [scenario, extra] of cases) {
    for (const qos of [0, 1, 2]) {
      test(`${scenario} QoS ${qos} for 1 s: every message received once`, async () => {
        const r = await bench([
          scenario,
          '-h',
          '127.0.0.1',
          '-p',
          String(b.port),
          '-q',
          String(qos),
          '-d',
          '1',
          '--json',
          ...extra,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const rep = JSON.parse(r.stdout) as Report;
        assert.equal(rep.scenario, scenario);
        assert.equal(rep.qos, qos);
        assert.ok(rep.sent > 0, 'something was sent');
        assert.ok(rep.expected >= rep.sent, 'every message has at least one subscriber');
        assert.equal(rep.received, rep.expected);
        assert.equal(rep.lost, 0);
        assert.equal(rep.duplicates, 0);
        assert.ok(rep.receiveRate > 0);
        assert.ok(rep.latencyMs !== null && rep.latencyMs.p50 <= rep.latencyMs.p99);
        assert.ok(rep.cpu.user > 0, 'the generator reports its CPU time');
      });
    }
  }

  for (const [name, args] of [
    ['MQTT 5 pairs QoS 2', ['pairs', '-c', '10', '-q', '2', '-V', 'mqttv5']],
    ['two worker threads, fanin QoS 1', ['fanin', '-q', '1', '--workers', '2']],
    ['-n 500 per publisher, fanin QoS 1', ['fanin', '-q', '1', '-n', '500']],
    // Big payloads go out as a patched head plus a shared tail and are read cut short.
    ['256 KiB pairs QoS 0', ['pairs', '-c', '1', '-s', '262144', '-q', '0', '--window', '20']],
    [
      'MQTT 5 256 KiB pairs QoS 1',
      ['pairs', '-c', '1', '-s', '262144', '-q', '1', '-V', 'mqttv5', '--window', '20'],
    ],
  ] as const) {
    test(`${name}: every message received once`, async () => {
      const r = await bench([
        ...args,
        '-h',
        '127.0.0.1',
        '-p',
        String(b.port),
        '-d',
        '1',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as Report;
      assert.ok(rep.sent > 0);
      if ((args as readonly string[]).includes('-n')) assert.equal(rep.sent, 16 * 500);
      assert.equal(rep.received, rep.expected);
      assert.equal(rep.lost, 0);
      assert.equal(rep.duplicates, 0);
      assert.ok(rep.latencyMs !== null && rep.latencyMs.count === rep.received);
    });
  }

  test('conn opens, holds and reports the connections', async () => {
    const r = await bench([
      'conn',
      '-h',
      '127.0.0.1',
      '-p',
      String(b.port),
      '-c',
      '200',
      '-d',
      '0.2',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    assert.ok(rep.connections !== null);
    assert.equal(rep.connections.connected, 200);
    assert.equal(rep.connections.failed, 0);
    assert.ok(rep.connections.rate > 0);
    assert.match(r.stderr, /200 connections open/);
  });

  test('--csv prints a header and one line', async () => {
    const r = await bench([
      'latency',
      '-h',
      '127.0.0.1',
      '-p',
      String(b.port),
      '-d',
      '0.3',
      '-q',
      '1',
      '--csv',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [header, line, rest] = r.stdout.split('\n');
    assert.ok(header?.startsWith('scenario,broker,'));
    assert.ok(line?.startsWith('latency,127.0.0.1:'));
    assert.equal(header?.split(',').length, line?.split(',').length);
    assert.equal(rest, '');
  });

  test('a bad flag exits 2 with one line naming it', async () => {
    for (const [args, flag] of [
      [['fanin', '--bogus'], '--bogus'],
      [['fanin', '-q', '3'], '-q'],
      [['pairs', '-s', '4'], '-s'],
      [['fanin', '--window'], '--window'],
    ] as const) {
      const r = await bench([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]?.startsWith('petrel bench: '), r.stderr);
      assert.ok(lines[0]?.includes(flag), `'${lines[0]}' names ${flag}`);
      assert.equal(r.stdout, '');
    }
  });

  test('an unknown scenario exits 2', async () => {
    const r = await bench(['fanwhat']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown scenario 'fanwhat'/);
  });
});
