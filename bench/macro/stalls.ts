// Where the latency tail comes from: runs the C latency generator (bench/native/latency.c)
// against a Petrel broker in this process, records what the broker's thread was doing (garbage
// collections from the `gc` performance entries; the timing wheel's tick, `$SYS`, the store's
// commit and checkpoint and the release of held acks, timed by wrapping their methods) and
// matches every slow delivery (at or above the run's p99) with the activity that overlapped it
// most. A slow delivery that overlapped none is "unattributed": the kernel, the scheduler (the
// machine's other work) or Node's own work between callbacks.
//
//   node dist/bench/macro/stalls.js [--store lmdb|memory] [--sys-interval S] [--seconds S]
//                                   [--rate N] [--qos 0|1] [--runs N]
// Default: the `petrel broker` configuration (LMDB, sync; $SYS every 10 s), 20 s at 1000 msg/s.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Connection } from '../../src/broker/connection.js';
import { SysPublisher } from '../../src/broker/sys.js';
import { createBroker } from '../../src/broker.js';
import { LmdbStore } from '../../src/persistence/lmdb/index.js';
import { TimingWheel } from '../../src/shared/timing-wheel.js';
import { buildNative, runNative } from './native.js';

const { values: flags } = parseArgs({
  options: {
    store: { type: 'string', default: 'lmdb' },
    'sys-interval': { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '1000' },
    qos: { type: 'string', default: '1' },
    runs: { type: 'string', default: '1' },
    longest: { type: 'string', default: '0' },
  },
});

/** An interval of broker activity, CLOCK_MONOTONIC ns (the generator's clock). */
interface Span {
  kind: string;
  start: number;
  end: number;
}
const spans: Span[] = [];

// performance.now() and process.hrtime share libuv's monotonic clock: one offset maps them.
const perfZeroNs = Number(process.hrtime.bigint()) - performance.now() * 1e6;
const nowNs = (): number => Number(process.hrtime.bigint());

const GC_KINDS: Record<number, string> = {
  1: 'gc: scavenge',
  2: 'gc: mark-compact',
  4: 'gc: incremental marking',
  8: 'gc: weak callbacks',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
    const start = perfZeroNs + e.startTime * 1e6;
    spans.push({ kind: GC_KINDS[kind] ?? 'gc', start, end: start + e.duration * 1e6 });
  }
}).observe({ entryTypes: ['gc'] });

/** Times every call of `proto[name]` (its synchronous part) as `kind`. */
function timeMethod(proto: object, name: string, kind: string): void {
  const target = proto as Record<string, unknown>;
  const orig = target[name];
  if (typeof orig !== 'function') throw new Error(`no method ${name} to time (${kind})`);
  target[name] = function timed(this: unknown, ...args: unknown[]): unknown {
    const start = nowNs();
    try {
      return (orig as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      const end = nowNs();
      // Only what can matter to a tail: sub-20 µs calls are the ordinary cost of the work.
      if (end - start >= 20_000) spans.push({ kind, start, end });
    }
  };
}
timeMethod(TimingWheel.prototype, 'tick', 'timers (wheel tick)');
timeMethod(SysPublisher.prototype, 'publishAll', '$SYS publish');
timeMethod(LmdbStore.prototype, 'commit', 'store commit');
timeMethod(LmdbStore.prototype, 'checkpoint', 'store checkpoint');
timeMethod(Connection.prototype, 'releaseAcks', 'held acks released');
// Every read of every socket: what remains unattributed then ran outside the broker's own work
// (the kernel, the scheduler, Node's internals between callbacks).
timeMethod(Connection.prototype, 'onData', 'socket read handling (any packet)');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function oneRun(run: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-stalls-'));
  const store =
    flags.store === 'lmdb'
      ? new LmdbStore({ dir: join(dir, 'data'), durability: 'sync', verify: 'never' })
      : undefined;
  const broker = createBroker({
    port: 0,
    host: '127.0.0.1',
    sysInterval: Number(flags['sys-interval']),
    ...(store === undefined ? { durability: 'none' as const } : { store }),
  });
  await broker.listen();
  spans.length = 0;
  const samplesFile = join(dir, 'samples.txt');
  const seconds = Number(flags.seconds);
  const report = await runNative({
    port: broker.port,
    qos: flags.qos,
    rate: flags.rate,
    payload: '64',
    seconds,
    warmup: 1,
    samples: samplesFile,
  });
  await broker.close();
  const samples = readFileSync(samplesFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number) as [number, number]);
  rmSync(dir, { recursive: true, force: true });
  const lat = samples.map((s) => s[1]).sort((a, b) => a - b);
  const p99 = percentile(lat, 99);
  const slow = samples.filter((s) => s[1] >= p99);
  spans.sort((a, b) => a.start - b.start);
  const blame = new Map<string, { count: number; worst: number }>();
  for (const [sent, l] of slow) {
    const end = sent + l;
    let best = 'unattributed';
    let bestOverlap = 0;
    for (const s of spans) {
      if (s.start > end) break;
      const overlap = Math.min(end, s.end) - Math.max(sent, s.start);
      if (overlap > bestOverlap) {
        bestOverlap = overlap;
        best = s.kind;
      }
    }
    const b = blame.get(best) ?? { count: 0, worst: 0 };
    b.count++;
    b.worst = Math.max(b.worst, l);
    blame.set(best, b);
  }
  const activity = new Map<string, { n: number; total: number; max: number; over1ms: number }>();
  for (const s of spans) {
    const a = activity.get(s.kind) ?? { n: 0, total: 0, max: 0, over1ms: 0 };
    const d = s.end - s.start;
    a.n++;
    a.total += d;
    a.max = Math.max(a.max, d);
    if (d >= 1e6) a.over1ms++;
    activity.set(s.kind, a);
  }
  const ms = (ns: number): string => (ns / 1e6).toFixed(3);
  const out = process.stdout;
  out.write(
    `\nrun ${run}: store ${flags.store}, $SYS every ${flags['sys-interval']} s, QoS ${flags.qos}, ` +
      `${flags.rate} msg/s for ${seconds} s; ${lat.length} deliveries measured\n`,
  );
  out.write(
    `latency p50 ${ms(percentile(lat, 50))} ms, p99 ${ms(p99)} ms, p99.9 ${ms(percentile(lat, 99.9))} ms, max ${ms(lat[lat.length - 1] ?? 0)} ms` +
      ` (generator report: p99 ${report.latencyMs?.p99 ?? '-'} ms)\n\n`,
  );
  out.write(
    '| slow deliveries (>= p99) overlapped most by | deliveries | worst (ms) |\n|---|---:|---:|\n',
  );
  for (const [k, b] of [...blame].sort((x, y) => y[1].count - x[1].count)) {
    out.write(`| ${k} | ${b.count} | ${ms(b.worst)} |\n`);
  }
  out.write(
    '\n| broker activity (GC: all; others: calls >= 20 µs) | times | total (ms) | longest (ms) | >= 1 ms |\n|---|---:|---:|---:|---:|\n',
  );
  for (const [k, a] of [...activity].sort((x, y) => y[1].total - x[1].total)) {
    out.write(`| ${k} | ${a.n} | ${ms(a.total)} | ${ms(a.max)} | ${a.over1ms} |\n`);
  }
  // --longest N: when the N longest activities happened (s after the first measured send).
  const t0 = samples[0]?.[0] ?? 0;
  const longest = [...spans].sort((a, b) => b.end - b.start - (a.end - a.start));
  for (const s of longest.slice(0, Number(flags.longest))) {
    out.write(`  ${((s.start - t0) / 1e9).toFixed(3)} s  ${ms(s.end - s.start)} ms  ${s.kind}\n`);
  }
}

const missing = buildNative();
if (missing !== undefined) {
  process.stderr.write(`stalls: the C generator cannot be built: ${missing}\n`);
  process.exit(1);
}
for (let r = 1; r <= Number(flags.runs); r++) await oneRun(r);
process.exit(0);
