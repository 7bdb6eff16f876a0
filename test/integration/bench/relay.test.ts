// The trivial relay of bench/macro/relay-server.ts (the ceiling check of bench:compare) must
// carry every scenario shape `petrel bench` drives, losing and duplicating nothing; and the
// generator's CPU must be printed beside every figure: in petrel bench's text, JSON and CSV
// output, and in every row of bench:compare's table.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CpuReport } from '../../../src/bench/cpu.js';
import { DIST, MAIN, runNode as run } from './child.js';

const RELAY = join(DIST, 'bench', 'macro', 'relay-server.js');
const COMPARE = join(DIST, 'bench', 'macro', 'compare.js');

interface Report {
  sent: number;
  received: number;
  expected: number;
  lost: number;
  duplicates: number;
  cpu: CpuReport;
}

describe('the trivial relay', () => {
  let relay: ChildProcess;
  let port = 0;
  before(async () => {
    relay = spawn(process.execPath, [RELAY, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

  for (const [name, args] of [
    ['fan-in QoS 1 (wildcard filter)', ['fanin', '-q', '1', '-n', '300']],
    ['fan-in QoS 2 (PUBREC/PUBREL/PUBCOMP both ways)', ['fanin', '-q', '2', '-n', '200']],
    ['fan-out QoS 0 to 20 subscribers (exact topic)', ['fanout', '-c', '20', '-n', '300']],
    ['MQTT 5 pairs QoS 1 on two worker threads', ['pairs', '-c', '4', '-q', '1', '-V', 'mqttv5']],
    [
      '256 KiB 1 -> 1 QoS 1, 8 in flight, publisher and subscriber on separate threads',
      ['pairs', '-c', '1', '-s', '262144', '-q', '1', '--window', '8', '-n', '60'],
    ],
  ] as const) {
    test(`${name}: every message relayed once`, async () => {
      const workers = name.includes('thread') ? ['--workers', '2'] : [];
      const r = await run(
        MAIN,
        ['bench', ...args, ...workers, '-h', '127.0.0.1', '-p', String(port), '-d', '1', '--json'],
        12_000,
      );
      assert.equal(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as Report;
      assert.ok(rep.sent > 0);
      assert.equal(rep.received, rep.expected);
      assert.equal(rep.lost, 0);
      assert.equal(rep.duplicates, 0);
      assert.equal(rep.cpu.threads, workers.length > 0 ? 2 : 1);
      assert.ok(rep.cpu.coreShare > 0 && rep.cpu.busiestThread >= 0);
      assert.equal(typeof rep.cpu.saturated, 'boolean');
    });
  }

  test('petrel bench prints the generator CPU beside every figure (text and CSV)', async () => {
    const base = ['bench', 'latency', '-q', '1', '-h', '127.0.0.1', '-p', String(port)];
    const text = await run(MAIN, [...base, '-d', '0.5'], 9000);
    assert.equal(text.code, 0, text.stderr);
    for (const what of ['sent', 'received', 'latency', 'ack']) {
      const line = text.stdout.split('\n').find((l) => l.startsWith(`  ${what} `));
      assert.ok(line !== undefined, `a ${what} line`);
      assert.match(line, /\[generator \d+% of a core/, line);
    }
    assert.match(text.stdout, /generator CPU .* of one core over 1 thread \(busiest thread \d+%\)/);
    const csv = await run(MAIN, [...base, '-d', '0.3', '--csv'], 9000);
    const [header, line] = csv.stdout.split('\n');
    const cols = header?.split(',') ?? [];
    const vals = line?.split(',') ?? [];
    for (const c of ['cpuCoreShare', 'cpuBusiestThread', 'cpuSaturated']) {
      const i = cols.indexOf(c);
      assert.ok(i >= 0, `CSV column ${c}`);
      assert.match(vals[i] ?? '', /^[\d.]+$/);
    }
  });
});

test('bench:compare prints the generator CPU and both relays’ ceilings in every row', async () => {
  const r = await run(
    COMPARE,
    ['--brokers', 'relay,relay-c', '--scenarios', 'fanin-q1', '--runs', '1', '--duration', '1'],
    40_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const header = r.stdout.split('\n').find((l) => l.startsWith('| Scenario |'));
  assert.ok(header?.includes('generator CPU (P, M, A, R, CR)'), header);
  assert.ok(header?.includes('| Relay | C relay |'), header);
  const row = r.stdout.split('\n').find((l) => l.startsWith('| fan-in 16->1 QoS 1'));
  assert.ok(row !== undefined, r.stdout);
  const cells = row.split('|').map((c) => c.trim());
  // | scenario | metric | P | M | A | relay | C relay | P/M | P/A | P/relay | generator CPU | lost |
  assert.match(cells[6] ?? '', /^≥?[\d,]+$/, 'the relay figure');
  assert.match(cells[7] ?? '', /^≥?[\d,]+$/, 'the C relay figure');
  const cpu = /^-, -, -, \d+%( \(sat\.\))?, \d+%( \(sat\.\))?$/;
  assert.match(cells[11] ?? '', cpu, 'the relay runs’ generator CPU');
  assert.match(r.stdout, /Ceiling check/);
  assert.match(r.stderr, /relay\s+fanin-q1\s+run 1: .*generator \d+% of a core/);
  assert.match(r.stderr, /relay-c\s+fanin-q1\s+run 1: .*generator \d+% of a core/);
});
