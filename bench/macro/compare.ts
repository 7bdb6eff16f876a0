// `npm run bench:compare`: the same `petrel bench` loads against Petrel, Mosquitto and Aedes,
// one broker process at a time, each run repeated; prints a Markdown
// table of medians with the ratios Petrel/Mosquitto and Petrel/Aedes, then the issue's targets.
//
// Which generator drives what: `petrel bench` (Node) every scenario without `-c` in its id; the
// C generators of bench/native/ (built with gcc at bench time, skipped with a line without it)
// the `-c` ones: latency.c `latency-c-q1` (no GC, JIT or event loop of its own to add jitter to
// the tail), throughput.c `fanin-c-q0`, `fanin-c-q1` and `pairs-c-q1` (~0.1 core at 1.5M msg/s
// where `petrel bench` needs 40-77% of one: on 2 cores the generator no longer takes the CPU the
// relay needs to show 2x the brokers' rates). docs/benchmarks.md, "Node or C", has the figures.
// The relays (bench/macro/relay-server.ts in Node, bench/native/relay.c in C) run every
// scenario, the C ones included, and a rate is marked `≥` when the generator saturated or the
// faster relay did not reach 2x it.
//
//   --brokers petrel,mosquitto,aedes,relay,relay-c   which brokers (petrel-lmdb runs with the
//                                      lmdb and latency-lmdb scenarios; the relays are the
//                                      ceiling check)
//   --scenarios fanin-q0,conn,...      which scenarios (see --help for the list)
//   --scenarios cluster                issue 14's scenarios (cluster-…, run only when named):
//                                      one node, two nodes through nats-server (publishers on
//                                      one, subscribers on the other), `--workers 2` on one port
//   --duration S   seconds per run (default 5)    --warmup S  seconds not counted (default 1)
//   --runs N       runs per scenario and broker (default 3)
//   --connections N  idle connections of `conn` (default 10000)
//   --workers N    generator threads for every scenario (default 1; conn at least 2)
//   --out FILE     also write every run's report as JSON
// BENCH_SECONDS, BENCH_RUNS and BENCH_BROKERS set the same as environment variables.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../src/bench/report.js';
import type { BrokerKind, RunCpu, RunningBroker } from './brokers.js';
import { BROKERS, childNofile, rssOf, spawnWithNofile, watchCpu } from './brokers.js';
import { CLUSTER_BROKERS } from './cluster-brokers.js';
import { buildNative, runConnect, runNative, runThroughput } from './native.js';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', '..', 'src', 'cli', 'main.js');

/** Every broker kind, the cluster ones (issue 14) included. */
const KINDS: Record<string, BrokerKind> = { ...BROKERS, ...CLUSTER_BROKERS };
/** The cluster scenarios' brokers: one node, two nodes, two workers on one port. */
const CLUSTER_KINDS = ['petrel', 'petrel-cluster', 'petrel-workers'];

/**
 * One measured run, with the CPU seconds the broker (all its processes; NaN when one was gone
 * after the run) and its NATS server spent meanwhile.
 */
interface Run extends RunCpu {
  report: BenchReport;
  /** Broker RSS growth per held connection, bytes (`conn`). */
  rssPerConn?: number;
}

interface Metric {
  label: string;
  unit: string;
  /** 'higher' = more is better (ratios above 1 favour Petrel). */
  better: 'higher' | 'lower';
  get(run: Run): number;
  /** Not set by how fast the generator drives the broker (RSS): no ceiling check. */
  noCeiling?: boolean;
}

interface Scenario {
  id: string;
  label: string;
  args: string[];
  metrics: Metric[];
  /** Brokers it runs on, when not all of the selected ones. */
  only?: string[];
  /** A fresh broker process per run (the default: one per scenario, warmed up once). */
  fresh?: boolean;
  /** With `fresh`: an unmeasured run on each fresh broker first, leaving no state behind. */
  warmArgs?: string[];
  /**
   * Run by a C generator instead of `petrel bench`: `args` are then bench/native/latency.c's
   * QOS RATE PAYLOAD, bench/native/throughput.c's SCENARIO (fanin, pairs) CLIENTS QOS PAYLOAD
   * (window 100 as everywhere), or `conn COUNT CONCURRENCY` for bench/native/connect.c.
   */
  native?: boolean;
  /** Payload bytes, for the MB/s figures. */
  payload?: number;
  /**
   * An issue 14 scenario: runs on one node and on the cluster kinds (publishers on one node,
   * subscribers on the other), selected only by name or by `--scenarios cluster`.
   */
  cluster?: boolean;
}

const recv: Metric = {
  label: 'received msg/s',
  unit: 'msg/s',
  better: 'higher',
  get: (r) => r.report.receiveRate,
};
const mbps: Metric = {
  label: 'received MB/s',
  unit: 'MB/s',
  better: 'higher',
  get: (r) => (r.report.receiveRate * r.report.payloadSize) / 1e6,
};
const p999: Metric = {
  label: 'latency p99.9',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.latencyMs?.p999 ?? Number.NaN,
};
const pmax: Metric = {
  label: 'latency max',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.latencyMs?.max ?? Number.NaN,
};
const p50: Metric = {
  label: 'latency p50',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.latencyMs?.p50 ?? Number.NaN,
};
const p99: Metric = {
  label: 'latency p99',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.latencyMs?.p99 ?? Number.NaN,
};
const ackP50: Metric = {
  label: 'ack p50',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.ackMs?.p50 ?? Number.NaN,
};
const ackP99: Metric = {
  label: 'ack p99',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.ackMs?.p99 ?? Number.NaN,
};
const connRate: Metric = {
  label: 'connect rate',
  unit: 'conn/s',
  better: 'higher',
  get: (r) => r.report.connections?.rate ?? Number.NaN,
};
const connackP99: Metric = {
  label: 'CONNACK p99',
  unit: 'ms',
  better: 'lower',
  get: (r) => r.report.connections?.connackMs?.p99 ?? Number.NaN,
};
const rssPerConn: Metric = {
  label: 'RSS per connection',
  unit: 'KB',
  better: 'lower',
  get: (r) => (r.rssPerConn ?? Number.NaN) / 1000,
  noCeiling: true,
};

function scenarios(connections: number): Scenario[] {
  const fanin = (q: number): Scenario => ({
    id: `fanin-q${q}`,
    label: `fan-in 16->1 QoS ${q} (bench/+/x)`,
    args: ['fanin', '-c', '16', '-q', String(q)],
    metrics: [recv],
  });
  // The same loads from the C throughput generator (bench/native/throughput.c): on 2 cores a
  // Node generator and the Node relay could not show 2x Petrel's rate; this one needs ~0.1 core.
  const faninC = (q: number): Scenario => ({
    id: `fanin-c-q${q}`,
    label: `fan-in 16->1 QoS ${q} (bench/+/x), C generator`,
    args: ['fanin', '16', String(q), '64'],
    metrics: [recv],
    native: true,
  });
  return [
    fanin(0),
    fanin(1),
    fanin(2),
    faninC(0),
    faninC(1),
    {
      id: 'fanout-q0',
      label: 'fan-out 1->100 QoS 0',
      args: ['fanout', '-c', '100', '-q', '0'],
      metrics: [recv],
    },
    {
      id: 'fanout-q1',
      label: 'fan-out 1->100 QoS 1',
      args: ['fanout', '-c', '100', '-q', '1'],
      metrics: [recv],
    },
    {
      id: 'pairs-q1',
      label: '50 pairs QoS 1',
      args: ['pairs', '-c', '50', '-q', '1'],
      metrics: [recv],
    },
    {
      id: 'pairs-c-q1',
      label: '50 pairs QoS 1, C generator',
      args: ['pairs', '50', '1', '64'],
      metrics: [recv],
      native: true,
    },
    {
      id: 'latency-q1',
      label: 'latency 1->1 QoS 1 at 1000 msg/s',
      args: ['latency', '-q', '1', '--rate', '1000'],
      metrics: [p50, p99, p999, pmax, ackP50, ackP99],
    },
    {
      // The same load from the C generator (bench/native/latency.c): no GC, JIT or event loop
      // of its own, so the tail it reports is the broker's (and the kernel's).
      id: 'latency-c-q1',
      label: 'latency 1->1 QoS 1 at 1000 msg/s, C generator',
      args: ['1', '1000', '64'],
      metrics: [p50, p99, p999, pmax, ackP50, ackP99],
      native: true,
    },
    {
      id: 'conn',
      label: `${connections.toLocaleString('en-US')} idle connections`,
      // Two generator threads: one saturates before Mosquitto does (it needs ~0.3 core here).
      args: ['conn', '-c', String(connections), '--concurrency', '100', '--workers', '2'],
      metrics: [connRate, connackP99, rssPerConn],
      fresh: true,
    },
    {
      // The same from the C generator (bench/native/connect.c): the Node one needed more than a
      // core and was the bottleneck for every broker.
      id: 'conn-c',
      label: `${connections.toLocaleString('en-US')} idle connections, C generator`,
      args: ['conn', String(connections), '100'],
      metrics: [connRate, connackP99, rssPerConn],
      fresh: true,
      native: true,
    },
    {
      id: 'big-q0',
      label: '256 KiB payloads 1->1 QoS 0, 8 in flight',
      args: ['pairs', '-c', '1', '-s', '262144', '-q', '0', '--window', '8'],
      metrics: [mbps, recv],
    },
    {
      id: 'big-q1',
      label: '256 KiB payloads 1->1 QoS 1, 8 in flight',
      args: ['pairs', '-c', '1', '-s', '262144', '-q', '1', '--window', '8'],
      metrics: [mbps, recv],
    },
    {
      id: 'lmdb',
      label: 'fan-in 16->1 QoS 1, persistent session, LMDB sync',
      args: ['fanin', '-c', '16', '-q', '1', '--persistent'],
      metrics: [recv],
      // Petrel in-memory with the same flags is issue 5's reference (>= 0.5x of it).
      only: ['petrel', 'petrel-lmdb'],
      fresh: true,
    },
    {
      // Issue 5: acknowledgement latency with and without the durable store, same flags on
      // both. Persistent sessions outlive a run (and would collect the next run's messages), so
      // every run gets a fresh broker, warmed up by a clean-session run that leaves nothing.
      id: 'latency-lmdb',
      label: 'latency 1->1 QoS 1 at 1000 msg/s, persistent session',
      args: ['latency', '-q', '1', '--rate', '1000', '--persistent'],
      metrics: [p50, p99, ackP50, ackP99],
      only: ['petrel', 'petrel-lmdb', 'mosquitto'],
      fresh: true,
      warmArgs: ['latency', '-q', '1', '--rate', '1000', '-d', '2'],
    },
    ...clusterScenarios(),
  ];
}

/**
 * Issue 14: the same loads on one node, across two nodes (publishers on the first, subscribers
 * on the second) and on `--workers 2` (one port, clients spread over both workers). The C
 * generators drive fan-in, pairs and latency; `petrel bench` drives fan-out, which they lack.
 */
function clusterScenarios(): Scenario[] {
  const cl = { only: CLUSTER_KINDS, cluster: true };
  const out: Scenario[] = [];
  for (const q of [0, 1]) {
    out.push(
      {
        id: `cluster-fanin-c-q${q}`,
        label: `fan-in 16->1 QoS ${q}, C generator`,
        args: ['fanin', '16', String(q), '64'],
        metrics: [recv],
        native: true,
        ...cl,
      },
      {
        id: `cluster-fanout-q${q}`,
        label: `fan-out 1->100 QoS ${q}`,
        args: ['fanout', '-c', '100', '-q', String(q)],
        metrics: [recv],
        ...cl,
      },
      {
        id: `cluster-pairs-c-q${q}`,
        label: `50 pairs QoS ${q}, C generator`,
        args: ['pairs', '50', String(q), '64'],
        metrics: [recv],
        native: true,
        ...cl,
      },
    );
  }
  out.push({
    id: 'cluster-latency-c-q1',
    label: 'latency 1->1 QoS 1 at 1000 msg/s, C generator',
    args: ['1', '1000', '64'],
    metrics: [p50, p99, p999, ackP50, ackP99],
    native: true,
    ...cl,
  });
  return out;
}

interface Options {
  brokers: string[];
  scenarios: string[] | undefined;
  seconds: number;
  warmup: number;
  runs: number;
  connections: number;
  workers: number;
  out: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    brokers: (process.env.BENCH_BROKERS ?? 'petrel,mosquitto,aedes,relay,relay-c').split(','),
    scenarios: undefined,
    seconds: Number(process.env.BENCH_SECONDS ?? '5'),
    warmup: 1,
    runs: Number(process.env.BENCH_RUNS ?? '3'),
    connections: 10_000,
    workers: 1,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${flag}: missing value`);
      return x;
    };
    const num = (min: number): number => {
      const x = v();
      const n = Number(x);
      if (!Number.isFinite(n) || n < min) throw new Error(`${flag}: expected a number >= ${min}`);
      return n;
    };
    switch (flag) {
      case '--brokers':
        o.brokers = v().split(',');
        break;
      case '--scenarios':
        o.scenarios = v().split(',');
        break;
      case '--duration':
        o.seconds = num(1);
        break;
      case '--warmup':
        o.warmup = num(0);
        break;
      case '--runs':
        o.runs = num(1);
        break;
      case '--connections':
        o.connections = num(1);
        break;
      case '--workers':
        o.workers = num(1);
        break;
      case '--out':
        o.out = v();
        break;
      case '--help':
        process.stdout.write(
          `Usage: npm run bench:compare -- [--brokers ${Object.keys(KINDS).join(',')}] [--scenarios cluster,${scenarios(
            10_000,
          )
            .map((s) => s.id)
            .join(
              ',',
            )}] [--duration S] [--warmup S] [--runs N] [--connections N] [--workers N] [--out FILE]\n`,
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option '${flag}'`);
    }
  }
  for (const b of o.brokers) if (KINDS[b] === undefined) throw new Error(`unknown broker '${b}'`);
  return o;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A broker's RSS growth per connection: its RSS when created, and again 1 s after the generator
 * says all connections are open (the broker settles first: lazy allocations, GC).
 */
class RssPerConnection {
  private readonly before: number;
  private sampling: Promise<void> = Promise.resolve();
  private value: number | undefined = undefined;

  constructor(private readonly pid: number) {
    this.before = rssOf(pid);
  }

  /** All `n` connections are open. */
  opened(n: number): void {
    this.sampling = sleep(1000).then(() => {
      if (n > 0) this.value = (rssOf(this.pid) - this.before) / n;
    });
  }

  /** The figure, once read (undefined when no connection was reported open). */
  async result(): Promise<number | undefined> {
    await this.sampling;
    return this.value;
  }
}

/** Runs `petrel bench` once against `broker`; samples the broker's RSS while connections idle. */
function runBench(broker: RunningBroker, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const rss = new RssPerConnection(broker.pid);
    const cpu = watchCpu(broker);
    const where = ['-h', '127.0.0.1', '-p', String(broker.port)];
    if (broker.subPort !== undefined) where.push('--sub-port', String(broker.subPort));
    const child = spawnWithNofile(
      process.execPath,
      [MAIN, 'bench', ...args, ...where, '--json', '--quiet'],
      'pipe',
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /(\d+) connections open/.exec(d.toString());
      if (m !== null) rss.opened(Number(m[1]));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      void rss.result().then((rssPerConn) => {
        const spent = cpu.done();
        try {
          const report = JSON.parse(stdout) as BenchReport;
          const run: Run = { report, ...spent };
          if (rssPerConn !== undefined) run.rssPerConn = rssPerConn;
          resolve(run);
        } catch {
          reject(
            new Error(`petrel bench exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`),
          );
        }
      });
    });
  });
}

/**
 * Runs a C generator once against `broker`: args = [QOS, RATE, PAYLOAD] (latency.c) or
 * [fanin|pairs, CLIENTS, QOS, PAYLOAD] (throughput.c, window 100).
 */
async function runNativeOn(
  broker: RunningBroker,
  args: string[],
  seconds: number,
  warmup: number,
): Promise<Run> {
  let cpu = watchCpu(broker);
  const port = broker.port;
  const sub = broker.subPort === undefined ? {} : { subPort: broker.subPort };
  let report: BenchReport;
  let rssPerConn: number | undefined;
  if (args[0] === 'conn') {
    const [, count = '10000', concurrency = '100'] = args;
    // Warmed up first, as a broker that has run a while is: 2,000 connections opened and closed
    // (a fresh JIT-compiled broker runs its connection set-up interpreted at first).
    const none = (): void => {};
    await runConnect({
      port,
      count: 2000,
      concurrency: Number(concurrency),
      holdSeconds: 0,
      onOpen: none,
    });
    await sleep(500);
    cpu = watchCpu(broker);
    const rss = new RssPerConnection(broker.pid);
    report = await runConnect({
      port,
      count: Number(count),
      concurrency: Number(concurrency),
      holdSeconds: 2,
      onOpen: (n) => rss.opened(n),
    });
    rssPerConn = await rss.result();
  } else if (args[0] === 'fanin' || args[0] === 'pairs') {
    const [scenario, clients = '16', qos = '0', payload = '64'] = args;
    report = await runThroughput({
      port,
      scenario,
      clients: Number(clients),
      qos: Number(qos),
      payload: Number(payload),
      window: 100,
      seconds,
      warmup,
      ...sub,
    });
  } else {
    const [qos = '1', rate = '1000', payload = '64'] = args;
    report = await runNative({ port, qos, rate, payload, seconds, warmup, ...sub });
  }
  const run: Run = { report, ...cpu.done() };
  if (rssPerConn !== undefined) run.rssPerConn = rssPerConn;
  return run;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function fmt(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '-';
  // Sub-millisecond latencies keep their third decimal (µs): 0.04 and 0.05 ms are 25% apart.
  if (unit === 'ms' && n < 1) return n.toFixed(3);
  if (unit === 'ms' || unit === 'KB') return n < 10 ? n.toFixed(2) : n.toFixed(1);
  if (unit === 'MB/s') return n.toFixed(0);
  return Math.round(n).toLocaleString('en-US');
}

function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const all = scenarios(o.connections);
  // The cluster scenarios start NATS and several nodes: only when named (`cluster`: all of them).
  const selected = all.filter((s) =>
    o.scenarios === undefined
      ? s.cluster !== true
      : o.scenarios.includes(s.id) || (s.cluster === true && o.scenarios.includes('cluster')),
  );
  for (const id of o.scenarios ?? []) {
    if (id !== 'cluster' && !all.some((s) => s.id === id)) {
      throw new Error(`unknown scenario '${id}'`);
    }
  }
  const brokers: BrokerKind[] = [];
  const wanted = new Set(o.brokers);
  // The cluster scenarios compare one Petrel node with the cluster kinds in the same run.
  if (selected.some((s) => s.cluster === true) && wanted.has('petrel')) {
    wanted.add('petrel-cluster');
    wanted.add('petrel-workers');
  }
  // The LMDB comparisons need Petrel-with-LMDB beside Petrel in-memory / Mosquitto.
  if (selected.some((s) => s.id === 'lmdb' || s.id === 'latency-lmdb') && wanted.has('petrel')) {
    wanted.add('petrel-lmdb');
  }
  for (const name of wanted) {
    const b = KINDS[name] as BrokerKind;
    const missing = b.missing();
    if (missing !== undefined) {
      process.stderr.write(`skipping ${name}: ${missing}\n`);
      continue;
    }
    brokers.push(b);
  }
  const nofile = childNofile();
  const conns = selected.find((s) => s.id === 'conn' || s.id === 'conn-c');
  if (conns !== undefined && nofile < o.connections + 100) {
    process.stderr.write(
      `warning: processes get only ${nofile} file descriptors (hard limit); ${o.connections} connections will fail. Raise it (ulimit -Hn, /etc/security/limits.conf) or pass --connections ${nofile - 200}\n`,
    );
  }
  const common = ['-d', String(o.seconds), '--warmup', String(o.warmup), '--window', '100'];
  if (o.workers > 1) common.push('--workers', String(o.workers));
  const nativeMissing = selected.some((s) => s.native === true) ? buildNative() : undefined;
  if (nativeMissing !== undefined) {
    process.stderr.write(`skipping the C generator's scenarios: ${nativeMissing}\n`);
  }
  const results = new Map<string, Map<string, Run[]>>();
  const started = Date.now();
  for (const b of brokers) {
    for (const sc of selected) {
      const runsOn = sc.only ?? ['petrel', 'mosquitto', 'aedes', 'relay', 'relay-c'];
      if (!runsOn.includes(b.name)) continue;
      if (sc.native === true && nativeMissing !== undefined) continue;
      // One generator run: `petrel bench` (or the C generator for `native` scenarios).
      const measure = (on: RunningBroker, a: string[], secs: number, warm: number): Promise<Run> =>
        sc.native === true
          ? runNativeOn(on, sc.args, secs, warm)
          : runBench(on, a, (secs + 90) * 1000);
      const runs: Run[] = [];
      // `conn` needs an untouched process for its RSS figure and the persistent-session
      // scenarios an empty broker (offline sessions of an earlier run would collect the next
      // run's messages): a fresh broker per run. The others share one process per scenario,
      // warmed up by an unmeasured run first, since a JIT-compiled broker (Petrel, Aedes) is
      // slow for its first seconds.
      const fresh = sc.fresh === true;
      // The scenario's own flags last, so that they win (the 256 KiB cases' window of 8).
      const args =
        sc.id === 'conn'
          ? [...sc.args, '-d', '2', ...(o.workers > 2 ? ['--workers', String(o.workers)] : [])]
          : [...common, ...sc.args];
      let shared: RunningBroker | undefined;
      try {
        if (!fresh) {
          try {
            shared = await b.start();
            // A cluster's cross-node path (two nodes' NATS clients and forwarding code) is still
            // being compiled after 2 s: its first measured run showed a p99 three times the next
            // ones'. Every broker of a cluster scenario, the single node included, gets 5 s.
            const warm = sc.cluster === true ? 5 : 2;
            await measure(shared, [...sc.args, '-d', String(warm)], warm, 0);
          } catch (err) {
            process.stderr.write(
              `${b.name.padEnd(11)} ${sc.id.padEnd(10)} warm-up: ${(err as Error).message}\n`,
            );
          }
        }
        for (let r = 0; r < o.runs; r++) {
          let broker: RunningBroker | undefined = shared;
          try {
            if (broker === undefined) {
              broker = await b.start();
              if (sc.warmArgs !== undefined) await runBench(broker, sc.warmArgs, 90_000);
            }
            const run = await measure(broker, args, o.seconds, o.warmup);
            runs.push(run);
            const rep = run.report;
            const shown = sc.metrics.map((m) => `${m.label} ${fmt(m.get(run), m.unit)} ${m.unit}`);
            const issues =
              rep.lost > 0 || rep.duplicates > 0 ? ` lost ${rep.lost} dup ${rep.duplicates}` : '';
            const errs = rep.errors.length > 0 ? ` errors: ${rep.errors[0]}` : '';
            process.stderr.write(
              `${b.name.padEnd(11)} ${sc.id.padEnd(10)} run ${r + 1}: ${shown.join(', ')}${issues} (generator ${Math.round(rep.cpu.coreShare * 100)}% of a core${rep.cpu.saturated === true ? ' SATURATED' : ''}, ${Number.isNaN(run.brokerCpu) ? 'broker process GONE after the run' : `broker ${run.brokerCpu.toFixed(1)} s CPU`}${Number.isNaN(run.natsCpu) ? '' : `, NATS ${run.natsCpu.toFixed(1)} s CPU`})${errs}\n`,
            );
          } catch (err) {
            process.stderr.write(
              `${b.name.padEnd(11)} ${sc.id.padEnd(10)} run ${r + 1}: failed: ${(err as Error).message}\n`,
            );
            // A broker that died is restarted for the next run.
            if (shared !== undefined) {
              await shared.stop();
              shared = await b.start().catch(() => undefined);
            }
          } finally {
            if (shared === undefined) await broker?.stop();
          }
          await sleep(300);
        }
      } finally {
        await shared?.stop();
      }
      let per = results.get(sc.id);
      if (per === undefined) {
        per = new Map();
        results.set(sc.id, per);
      }
      per.set(b.name, runs);
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  if (o.out !== undefined) {
    const raw: Record<string, Record<string, Run[]>> = {};
    for (const [id, per] of results) raw[id] = Object.fromEntries(per);
    writeFileSync(o.out, `${JSON.stringify(raw, null, 1)}\n`);
  }
  process.stdout.write(render(o, selected, results, elapsed));
  return 0;
}

function med(
  results: Map<string, Map<string, Run[]>>,
  id: string,
  broker: string,
  m: Metric,
): number {
  return median((results.get(id)?.get(broker) ?? []).map((r) => m.get(r)));
}

function problems(results: Map<string, Map<string, Run[]>>, id: string, broker: string): string {
  const runs = results.get(id)?.get(broker);
  if (runs === undefined || runs.length === 0) return '-';
  const lost = runs.reduce((a, r) => a + r.report.lost, 0);
  const dup = runs.reduce((a, r) => a + r.report.duplicates, 0);
  return `${lost}/${dup}`;
}

function machine(): string {
  const c = cpus();
  const mosq = spawnSync(process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto', ['-h'], {
    encoding: 'utf8',
  }).stdout?.split('\n')[0];
  return `${c.length} x ${c[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, Linux; ${mosq ?? 'mosquitto ?'}`;
}

function render(
  o: Options,
  selected: Scenario[],
  results: Map<string, Map<string, Run[]>>,
  elapsed: number,
): string {
  const lines: string[] = [];
  lines.push(
    `Date: ${new Date().toISOString()}  Machine: ${machine()}`,
    `Runs: median of ${o.runs} runs of ${o.seconds} s (${o.warmup} s warm-up not counted), window 100 messages per publisher (256 KiB: 8), 64 B payloads unless stated, generator threads ${o.workers} (conn ${Math.max(2, o.workers)}); brokers warmed up by an unmeasured 2 s run (cluster scenarios: 5 s; conn, lmdb and latency-lmdb: a fresh broker per run, latency-lmdb's warmed up by a clean-session run); took ${Math.round(elapsed)} s.`,
  );
  const main = selected.filter((sc) => sc.id !== 'latency-lmdb' && sc.cluster !== true);
  const relayRan = main.some(
    (sc) =>
      (results.get(sc.id)?.get('relay')?.length ?? 0) > 0 ||
      (results.get(sc.id)?.get('relay-c')?.length ?? 0) > 0,
  );
  if (main.length > 0) {
    lines.push(
      '',
      "Generator CPU = `petrel bench`'s (or the C generator's) user + system time over all its threads, in % of one core, median of the runs (Petrel, Mosquitto, Aedes, the Node relay, the C relay). `≥` marks a rate that is a lower bound: the generator was saturated (busiest thread >= 90% of a core, or the process >= 90% of the cores it can use), or the faster relay (the ceiling check: the same scenario against a server that only frames and forwards; in Node, bench/macro/relay-server.ts, and in C, bench/native/relay.c) did not reach 2x the figure. Petrel/relay is against the Node relay (issue 12's reference for large messages). `†` marks a latency measured by a saturated generator. The relay's latency is shown for reference only: a Node server is no floor (Mosquitto answers faster); the C generator's rows against the Node generator's show what the generator adds.",
      '',
      '| Scenario | Metric | Petrel | Mosquitto | Aedes | Relay | C relay | Petrel/Mosquitto | Petrel/Aedes | Petrel/relay | generator CPU (P, M, A, R, CR) | lost/dup (P, M, A) |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    );
  }
  for (const sc of main) {
    for (const m of sc.metrics) {
      const isLmdb = sc.id === 'lmdb';
      const pId = isLmdb ? 'petrel-lmdb' : 'petrel';
      const mqId = isLmdb ? 'fanin-q1' : sc.id;
      // lmdb is fan-in QoS 1 with persistent sessions: fan-in QoS 1's relay is its ceiling.
      const relayId = isLmdb ? 'fanin-q1' : sc.id;
      const p = med(results, sc.id, pId, m);
      const mq = med(results, mqId, 'mosquitto', m);
      const a = isLmdb ? Number.NaN : med(results, sc.id, 'aedes', m);
      const r = med(results, relayId, 'relay', m);
      const rc = med(results, relayId, 'relay-c', m);
      const ceiling = ceilingOf(r, rc);
      const lossCol = isLmdb
        ? `${problems(results, 'lmdb', 'petrel-lmdb')}, ${problems(results, 'fanin-q1', 'mosquitto')} (in-memory), -`
        : `${problems(results, sc.id, 'petrel')}, ${problems(results, sc.id, 'mosquitto')}, ${problems(results, sc.id, 'aedes')}`;
      const cpuCol = [
        cpuCell(results, sc.id, pId),
        cpuCell(results, mqId, 'mosquitto'),
        isLmdb ? '-' : cpuCell(results, sc.id, 'aedes'),
        cpuCell(results, relayId, 'relay'),
        cpuCell(results, relayId, 'relay-c'),
      ].join(', ');
      const c = (id: string, broker: string, v: number): string =>
        cell(results, id, broker, m, v, broker.startsWith('relay') ? Number.NaN : ceiling);
      lines.push(
        `| ${sc.label}${isLmdb ? ' vs Mosquitto in-memory QoS 1 fan-in' : ''} | ${m.label} (${m.unit}) | ${c(sc.id, pId, p)} | ${c(mqId, 'mosquitto', mq)} | ${c(sc.id, 'aedes', a)} | ${c(relayId, 'relay', r)} | ${c(relayId, 'relay-c', rc)} | ${fmtRatio(ratio(p, mq))} | ${fmtRatio(ratio(p, a))} | ${fmtRatio(ratio(p, r))} | ${cpuCol} | ${lossCol} |`,
      );
    }
  }
  if (relayRan) {
    lines.push(
      '',
      'Ceiling check (the relay against the fastest broker, same scenario and generator):',
      '',
    );
    for (const t of ceilingCheck(main, results)) lines.push(`- ${t}`);
  }
  const durable = selected.find((sc) => sc.id === 'latency-lmdb');
  if (durable !== undefined) lines.push('', ...durableTable(durable, results));
  const cluster = selected.filter((sc) => sc.cluster === true);
  if (cluster.length > 0) lines.push('', ...clusterTable(cluster, results));
  if (main.length === 0 && durable === undefined) return `${lines.join('\n')}\n`;
  lines.push('', 'Targets of issue 6:', '');
  for (const t of targets(results)) lines.push(`- ${t}`);
  const issue12 = issue12Targets(results);
  if (issue12.length > 0) {
    lines.push('', 'Targets of issue 12 measured here:', '');
    for (const t of issue12) lines.push(`- ${t}`);
  }
  const lmdbRun = selected.some((sc) => sc.id === 'lmdb');
  if (durable !== undefined || lmdbRun) {
    lines.push('', 'Issue 5, the durable store against the in-memory one:', '');
    if (lmdbRun) for (const t of durableThroughput(results)) lines.push(`- ${t}`);
    if (durable !== undefined) for (const t of durableFigures(results)) lines.push(`- ${t}`);
  }
  return `${lines.join('\n')}\n`;
}

const BROKER_NAMES = ['petrel', 'mosquitto', 'aedes'];

/** Median generator CPU of a broker's runs of a scenario, "87%" ("-" when not run). */
function cpuCell(results: Map<string, Map<string, Run[]>>, id: string, broker: string): string {
  const runs = results.get(id)?.get(broker) ?? [];
  if (runs.length === 0) return '-';
  const share = median(runs.map((r) => r.report.cpu.coreShare));
  const sat = runs.some((r) => r.report.cpu.saturated === true);
  return `${Math.round(share * 100)}%${sat ? ' (sat.)' : ''}`;
}

/**
 * A median figure, marked `≥` (a rate that is a lower bound: the generator saturated in a run,
 * or the relay's ceiling below 2x it) or `†` (a latency measured by a saturated generator).
 */
function cell(
  results: Map<string, Map<string, Run[]>>,
  id: string,
  broker: string,
  m: Metric,
  v: number,
  ceiling: number,
): string {
  const text = fmt(v, m.unit);
  if (!Number.isFinite(v) || m.noCeiling === true) return text;
  const runs = results.get(id)?.get(broker) ?? [];
  const saturated = runs.some((r) => r.report.cpu.saturated === true);
  if (m.better === 'higher') {
    const capped = Number.isFinite(ceiling) && ceiling < 2 * v;
    return saturated || capped ? `≥${text}` : text;
  }
  // A latency is not capped by the relay (a Node server is no latency floor: Mosquitto answers
  // faster), only by a saturated generator.
  return saturated ? `${text}†` : text;
}

/** The ceiling of a rate: the faster relay's (either may be missing: NaN). */
function ceilingOf(node: number, c: number): number {
  if (!Number.isFinite(c)) return node;
  if (!Number.isFinite(node)) return c;
  return Math.max(node, c);
}

/** Per scenario: the relay's figure against the fastest broker's, with the verdict. */
function ceilingCheck(selected: Scenario[], results: Map<string, Map<string, Run[]>>): string[] {
  const out: string[] = [];
  for (const sc of selected) {
    if (sc.id === 'lmdb') continue;
    const m = sc.metrics.find((x) => x.noCeiling !== true);
    if (m === undefined) continue;
    const nodeRelay = med(results, sc.id, 'relay', m);
    const cRelay = med(results, sc.id, 'relay-c', m);
    const which = m.better === 'higher' && !(cRelay <= nodeRelay) ? 'relay-c' : 'relay';
    const relay = which === 'relay-c' ? cRelay : nodeRelay;
    if (!Number.isFinite(relay)) continue;
    let best = Number.NaN;
    let bestName = '';
    for (const b of BROKER_NAMES) {
      const v = med(results, sc.id, b, m);
      if (!Number.isFinite(v)) continue;
      const better = m.better === 'higher' ? v > best : v < best;
      if (Number.isNaN(best) || better) {
        best = v;
        bestName = b;
      }
    }
    const relaySat = (results.get(sc.id)?.get(which) ?? []).some(
      (r) => r.report.cpu.saturated === true,
    );
    const satNote = relaySat ? ', generator saturated against the relay' : '';
    if (!Number.isFinite(best)) {
      out.push(`${sc.label}: relay ${fmt(relay, m.unit)} ${m.unit}${satNote}; no broker measured`);
      continue;
    }
    if (m.better === 'higher') {
      const x = relay / best;
      out.push(
        `${sc.label}: ${which === 'relay-c' ? 'C relay' : 'relay'} ${fmt(relay, m.unit)} ${m.unit} = ${fmtRatio(x)} the fastest broker (${bestName}, ${fmt(best, m.unit)})${satNote} — ${x >= 2 ? 'generator not the limit' : "NOT shown: figures above half the relay's are lower bounds (≥)"}`,
      );
    } else {
      out.push(
        `${sc.label}: ${m.label} relay ${fmt(relay, m.unit)} ${m.unit}, lowest broker ${bestName} ${fmt(best, m.unit)} ${m.unit}${satNote} (reference only: no ceiling for latency)`,
      );
    }
  }
  return out;
}

/** Issue 12: large messages against the relay, the latency tail against Mosquitto's. */
function issue12Targets(results: Map<string, Map<string, Run[]>>): string[] {
  const out: string[] = [];
  for (const id of ['big-q0', 'big-q1']) {
    const p = med(results, id, 'petrel', mbps);
    const r = med(results, id, 'relay', mbps);
    const mqBest = Math.max(...(results.get(id)?.get('mosquitto') ?? []).map((x) => mbps.get(x)));
    if (!Number.isFinite(p)) continue;
    const x = ratio(p, r);
    out.push(
      `${id} (256 KiB, 8 in flight) >= 0.8x the relay: ${fmt(p, 'MB/s')} against ${fmt(r, 'MB/s')} MB/s, ${fmtRatio(x)} — ${verdict(Number.isFinite(x) ? x >= 0.8 : undefined)}; >= Mosquitto's best run (${fmt(mqBest, 'MB/s')} MB/s): ${verdict(Number.isFinite(mqBest) ? p >= mqBest : undefined)}`,
    );
  }
  for (const id of ['latency-c-q1', 'latency-q1']) {
    const l99 = ratio(med(results, id, 'petrel', p99), med(results, id, 'mosquitto', p99));
    const l999 = ratio(med(results, id, 'petrel', p999), med(results, id, 'mosquitto', p999));
    if (!Number.isFinite(l99) && !Number.isFinite(l999)) continue;
    out.push(
      `${id}: p99 <= 1.5x Mosquitto's: ${fmtRatio(l99)} — ${verdict(Number.isFinite(l99) ? l99 <= 1.5 : undefined)}; p99.9 <= 2x: ${fmtRatio(l999)} — ${verdict(Number.isFinite(l999) ? l999 <= 2 : undefined)}`,
    );
  }
  for (const id of ['conn-c', 'conn']) {
    const p = med(results, id, 'petrel', connRate);
    const x = ratio(p, med(results, id, 'mosquitto', connRate));
    const floor = ratio(
      med(results, id, 'relay', connRate),
      med(results, id, 'mosquitto', connRate),
    );
    if (!Number.isFinite(x)) continue;
    out.push(
      `${id}: connect rate >= 1x Mosquitto's: ${fmtRatio(x)} — ${verdict(x >= 1)} (the Node relay: ${fmtRatio(floor)})`,
    );
  }
  return out;
}

/** Median share of one core a run's `cpu` seconds took over its wall-clock time, "87%". */
function coreShareCell(
  results: Map<string, Map<string, Run[]>>,
  id: string,
  broker: string,
  cpu: (r: Run) => number,
): string {
  const runs = results.get(id)?.get(broker) ?? [];
  const share = median(runs.map((r) => cpu(r) / r.wall));
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : '-';
}

/**
 * Issue 14: one node against two nodes (publishers on one, subscribers on the other) and two
 * workers on one port, with every process's CPU beside the figures, then the issue's targets.
 */
function clusterTable(selected: Scenario[], results: Map<string, Map<string, Run[]>>): string[] {
  const lines = [
    'Cluster (issue 14): one node, two nodes through one `nats-server -js` (publishers on the first, subscribers on the second), and `--workers 2` on one port (clients spread over both workers). CPU columns: share of one core over the generator run (setup and drain included); Petrel = every node process (with workers: the primary and both workers).',
    '',
    '| Scenario | Metric | one node | two nodes | two workers | nodes/one | workers/one | generator CPU (1, N, W) | Petrel CPU (1, N, W) | NATS CPU (N, W) | lost/dup (1, N, W) |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---|---|',
  ];
  for (const sc of selected) {
    const all = (f: (b: string) => string): string => CLUSTER_KINDS.map(f).join(', ');
    for (const m of sc.metrics) {
      const one = med(results, sc.id, 'petrel', m);
      const nodes = med(results, sc.id, 'petrel-cluster', m);
      const workers = med(results, sc.id, 'petrel-workers', m);
      const c = (b: string, v: number): string => cell(results, sc.id, b, m, v, Number.NaN);
      lines.push(
        `| ${sc.label} (\`${sc.id}\`) | ${m.label} (${m.unit}) | ${c('petrel', one)} | ${c('petrel-cluster', nodes)} | ${c('petrel-workers', workers)} | ${fmtRatio(ratio(nodes, one))} | ${fmtRatio(ratio(workers, one))} | ${all((b) => cpuCell(results, sc.id, b))} | ${all((b) => coreShareCell(results, sc.id, b, (r) => r.brokerCpu))} | ${['petrel-cluster', 'petrel-workers'].map((b) => coreShareCell(results, sc.id, b, (r) => r.natsCpu)).join(', ')} | ${all((b) => problems(results, sc.id, b))} |`,
      );
    }
  }
  const fan = ratio(
    med(results, 'cluster-fanout-q0', 'petrel-cluster', recv),
    med(results, 'cluster-fanout-q0', 'petrel', recv),
  );
  const lat = med(results, 'cluster-latency-c-q1', 'petrel-cluster', p99);
  const pairs = ratio(
    med(results, 'cluster-pairs-c-q1', 'petrel-workers', recv),
    med(results, 'cluster-pairs-c-q1', 'petrel', recv),
  );
  lines.push(
    '',
    'Targets of issue 14:',
    '',
    `- cross-node QoS 0 fan-out >= 0.5x one node (cluster-fanout-q0, two nodes): ${fmtRatio(fan)} — ${verdict(Number.isFinite(fan) ? fan >= 0.5 : undefined)}`,
    `- cross-node QoS 1 latency p99 <= 2 ms (cluster-latency-c-q1, two nodes): ${fmt(lat, 'ms')} ms — ${verdict(Number.isFinite(lat) ? lat <= 2 : undefined)}`,
    `- pairs QoS 1 with two workers >= 1.3x one node (cluster-pairs-c-q1): ${fmtRatio(pairs)} — ${verdict(Number.isFinite(pairs) ? pairs >= 1.3 : undefined)}`,
  );
  return lines;
}

/** latency-lmdb: Petrel in-memory against Petrel with LMDB `sync`, same flags (issue 5). */
function durableTable(sc: Scenario, results: Map<string, Map<string, Run[]>>): string[] {
  const lines = [
    `${sc.label} (\`petrel bench ${sc.args.join(' ')}\`), a fresh broker per run:`,
    '',
    '| Metric | Petrel in-memory | Petrel LMDB sync | LMDB/in-memory | Mosquitto (persistence off) | lost/dup (in-memory, LMDB, M) |',
    '|---|---:|---:|---:|---:|---|',
  ];
  const losses = ['petrel', 'petrel-lmdb', 'mosquitto']
    .map((b) => problems(results, sc.id, b))
    .join(', ');
  for (const m of sc.metrics) {
    const mem = med(results, sc.id, 'petrel', m);
    const lmdb = med(results, sc.id, 'petrel-lmdb', m);
    const mq = med(results, sc.id, 'mosquitto', m);
    lines.push(
      `| ${m.label} (${m.unit}) | ${fmt(mem, m.unit)} | ${fmt(lmdb, m.unit)} | ${fmtRatio(ratio(lmdb, mem))} | ${fmt(mq, m.unit)} | ${losses} |`,
    );
  }
  return lines;
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? 'met' : 'MISSED';
}

/** Issue 5's throughput targets for the `lmdb` scenario. */
function durableThroughput(results: Map<string, Map<string, Run[]>>): string[] {
  const lmdb = med(results, 'lmdb', 'petrel-lmdb', recv);
  const mem = med(results, 'lmdb', 'petrel', recv);
  const mq = med(results, 'fanin-q1', 'mosquitto', recv);
  const vsMem = ratio(lmdb, mem);
  const vsMq = ratio(lmdb, mq);
  return [
    `persistent QoS 1 fan-in, LMDB sync >= 0.5x the in-memory store (same flags): ${fmt(lmdb, 'msg/s')} against ${fmt(mem, 'msg/s')} msg/s, ${fmtRatio(vsMem)} — ${verdict(Number.isFinite(vsMem) ? vsMem >= 0.5 : undefined)}`,
    `persistent QoS 1 fan-in, LMDB sync >= Mosquitto's QoS 1 fan-in: ${fmtRatio(vsMq)} — ${verdict(Number.isFinite(vsMq) ? vsMq >= 1 : undefined)}`,
  ];
}

/** Issue 5 sets no number for latency: the figures and the ratio LMDB / in-memory. */
function durableFigures(results: Map<string, Map<string, Run[]>>): string[] {
  const id = 'latency-lmdb';
  const line = (what: string, a: Metric, b: Metric): string => {
    const part = (m: Metric): string => {
      const mem = med(results, id, 'petrel', m);
      const lmdb = med(results, id, 'petrel-lmdb', m);
      return `${m.label.replace(/^latency /, '')} ${fmt(lmdb, m.unit)} ms with LMDB sync against ${fmt(mem, m.unit)} ms in memory (${fmtRatio(ratio(lmdb, mem))})`;
    };
    return `${what}: ${part(a)}; ${part(b)}`;
  };
  return [
    line('acknowledgement latency (PUBLISH to PUBACK), no target', ackP50, ackP99),
    line('end-to-end latency (publish to delivery), no target', p50, p99),
  ];
}

/** The issue's targets, each marked met / MISSED / not measured. */
function targets(results: Map<string, Map<string, Run[]>>): string[] {
  const out: string[] = [];
  const m = (id: string, broker: string, metric: Metric): number =>
    med(results, id, broker, metric);
  const vsMosq = (id: string, label: string, min: number): void => {
    const r = ratio(m(id, 'petrel', recv), m(id, 'mosquitto', recv));
    out.push(
      `${label} >= ${min}x Mosquitto: ${fmtRatio(r)} — ${verdict(Number.isFinite(r) ? r >= min : undefined)}`,
    );
  };
  vsMosq('fanin-q0', 'fan-in QoS 0', 5);
  vsMosq('fanin-q1', 'fan-in QoS 1', 4);
  vsMosq('fanin-q2', 'fan-in QoS 2', 3);
  vsMosq('fanin-c-q0', 'fan-in QoS 0, C generator,', 5);
  vsMosq('fanin-c-q1', 'fan-in QoS 1, C generator,', 4);
  vsMosq('fanout-q0', 'fan-out QoS 0', 5);
  vsMosq('fanout-q1', 'fan-out QoS 1', 3);
  vsMosq('pairs-q1', 'pairs QoS 1', 3);
  const l50 = ratio(m('latency-q1', 'petrel', p50), m('latency-q1', 'mosquitto', p50));
  const l99 = ratio(m('latency-q1', 'petrel', p99), m('latency-q1', 'mosquitto', p99));
  out.push(
    `latency QoS 1 at 1000 msg/s p50 <= 2x Mosquitto's: ${fmtRatio(l50)} — ${verdict(Number.isFinite(l50) ? l50 <= 2 : undefined)}`,
    `latency QoS 1 at 1000 msg/s p99 <= 3x Mosquitto's: ${fmtRatio(l99)} — ${verdict(Number.isFinite(l99) ? l99 <= 3 : undefined)}`,
  );
  const cm = ratio(m('conn', 'petrel', connRate), m('conn', 'mosquitto', connRate));
  const ca = ratio(m('conn', 'petrel', connRate), m('conn', 'aedes', connRate));
  out.push(
    `connect rate >= 0.5x Mosquitto: ${fmtRatio(cm)} — ${verdict(Number.isFinite(cm) ? cm >= 0.5 : undefined)}`,
    `connect rate >= 3x Aedes: ${fmtRatio(ca)} — ${verdict(Number.isFinite(ca) ? ca >= 3 : undefined)}`,
  );
  const rss = m('conn', 'petrel', rssPerConn);
  out.push(
    `RSS per idle connection <= 6 KB: ${fmt(rss, 'KB')} KB — ${verdict(Number.isFinite(rss) ? rss <= 6 : undefined)}`,
  );
  vsMosq('big-q0', '256 KiB payloads QoS 0', 1.5);
  const throughput = [
    'fanin-q0',
    'fanin-q1',
    'fanin-q2',
    'fanout-q0',
    'fanout-q1',
    'pairs-q1',
    'big-q0',
    'big-q1',
    'fanin-c-q0',
    'fanin-c-q1',
    'pairs-c-q1',
  ];
  const below: string[] = [];
  let measured = 0;
  for (const id of throughput) {
    const r = ratio(m(id, 'petrel', recv), m(id, 'aedes', recv));
    if (!Number.isFinite(r)) continue;
    measured++;
    if (r < 3) below.push(`${id} ${fmtRatio(r)}`);
  }
  out.push(
    `every throughput scenario >= 3x Aedes: ${measured === 0 ? 'not measured' : below.length === 0 ? 'met' : `MISSED (${below.join(', ')})`}`,
  );
  let lost = 0;
  let dup = 0;
  let runs = 0;
  for (const per of results.values()) {
    for (const run of [...(per.get('petrel') ?? []), ...(per.get('petrel-lmdb') ?? [])]) {
      runs++;
      lost += run.report.lost;
      dup += run.report.duplicates;
    }
  }
  out.push(
    `no losses, no duplicates (Petrel, every run): ${runs === 0 ? 'not measured' : `${lost} lost, ${dup} duplicates — ${verdict(lost === 0 && dup === 0)}`}`,
  );
  const lm = ratio(m('lmdb', 'petrel-lmdb', recv), m('fanin-q1', 'mosquitto', recv));
  out.push(
    `LMDB sync, persistent QoS 1 fan-in >= 2x Mosquitto in-memory QoS 1 fan-in: ${fmtRatio(lm)} — ${verdict(Number.isFinite(lm) ? lm >= 2 : undefined)}`,
  );
  return out;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench:compare: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
