// The brokers under comparison, each started in its own process on a free loopback port with a
// raised file-descriptor limit (10 000 idle connections need more than the usual 1024).
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative, nativeBinary } from './native.js';

/** A broker under test, running in its own process on a loopback port. */
export interface RunningBroker {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Where subscribers connect when not `port`: another node of a cluster. */
  subPort?: number;
  /** Every broker process whose CPU counts (a cluster's nodes); `[pid]` when absent. */
  pids?(): number[];
  /** The NATS server of a cluster, whose CPU is reported beside the broker's. */
  natsPid?: number;
}

/** How to start one broker, and what is missing when it cannot be started. */
export interface BrokerKind {
  name: string;
  /** A line saying what is missing and how to install it, or undefined when ready. */
  missing(): string | undefined;
  start(): Promise<RunningBroker>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dist/ root: dist/bench/macro -> dist. */
const distRoot = join(here, '..', '..');
const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
/** Descriptors asked for every process of a run (brokers and generator). */
export const NOFILE = 65_536;

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `cmd args` through `sh -c 'ulimit -n N; exec …'`, so the child (same pid, thanks to
 * exec) gets the raised limit; falls back to the current limit when the hard limit is lower.
 */
export function spawnWithNofile(
  cmd: string,
  args: string[],
  stdio: 'ignore' | 'pipe',
): ChildProcess {
  const script = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
  return spawn('/bin/sh', ['-c', script, cmd, ...args], { stdio: ['ignore', stdio, stdio] });
}

/** The descriptor limit a child started by spawnWithNofile gets. */
export function childNofile(): number {
  const r = spawnSync(
    '/bin/sh',
    ['-c', `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n`],
    { encoding: 'utf8' },
  );
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : 1024;
}

function waitPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`broker exited (${child.exitCode ?? child.signalCode})`));
        return;
      }
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts `cmd args(port)` on a free port; resolves once the port accepts connections. */
export async function startProcess(
  name: string,
  cmd: string,
  args: (port: number) => string[],
  cleanup: () => void = () => undefined,
): Promise<RunningBroker> {
  const port = await freePort();
  const child = spawnWithNofile(cmd, args(port), 'ignore');
  try {
    await waitPort(port, child, 15_000);
  } catch (err) {
    await stopChild(child);
    cleanup();
    throw err;
  }
  return {
    name,
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      await stopChild(child);
      cleanup();
    },
  };
}

/**
 * Limits raised alike on every broker so that the load itself never makes one drop messages:
 * fan-in keeps 16 x 100 messages in flight towards one subscriber, above the default queue
 * bound of Petrel and Mosquitto (1000), and 100 messages of 256 KiB exceed Petrel's default
 * 16 MiB of queued bytes (Mosquitto's byte bound is off by default).
 */
const QUEUE_LIMIT = 10_000;
const QUEUE_BYTES = 1 << 30;

/** `petrel` (dist/src/cli/main.js): the command every Petrel broker kind runs. */
export const PETREL_MAIN = join(distRoot, 'src', 'cli', 'main.js');

/** Writes the config every Petrel broker kind (single node or cluster) runs with; its path. */
export function writePetrelConfig(dir: string): string {
  const conf = join(dir, 'petrel.json');
  writeFileSync(
    conf,
    JSON.stringify({
      logLevel: 'warn',
      sysInterval: 0,
      // `petrel broker` is durable by default (LMDB, sync): the in-memory store is asked for.
      durability: 'none',
      maxQueuedMessages: QUEUE_LIMIT,
      maxQueuedBytes: QUEUE_BYTES,
      maxInflight: 100,
      maxConnections: 50_000,
    }),
  );
  return conf;
}

/** Petrel as `node dist/src/cli/main.js broker -c CONFIG -p PORT` (in-memory store). */
export const petrel: BrokerKind = {
  name: 'petrel',
  missing: () => (existsSync(PETREL_MAIN) ? undefined : 'run `npm run build` first'),
  start: () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-'));
    const conf = writePetrelConfig(dir);
    return startProcess(
      'petrel',
      process.execPath,
      (port) => [...nodeFlags('petrel'), PETREL_MAIN, 'broker', '-c', conf, '-p', String(port)],
      () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

/** Petrel with the LMDB store in `sync` durability (bench/macro/petrel-lmdb-server.ts). */
export const petrelLmdb: BrokerKind = {
  name: 'petrel-lmdb',
  missing: petrel.missing,
  start: () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-lmdb-'));
    return startProcess(
      'petrel-lmdb',
      process.execPath,
      (port) => [
        ...nodeFlags('petrel-lmdb'),
        join(here, 'petrel-lmdb-server.js'),
        String(port),
        join(dir, 'data'),
        String(QUEUE_LIMIT),
        String(QUEUE_BYTES),
      ],
      () => rmSync(dir, { recursive: true, force: true }),
    );
  },
};

/** Aedes served by bench/macro/aedes-server.ts. */
export const aedes: BrokerKind = {
  name: 'aedes',
  missing: () => {
    try {
      readFileSync(join(distRoot, '..', 'node_modules', 'aedes', 'package.json'));
      return undefined;
    } catch {
      return 'the aedes package is missing: run `npm ci` (it is a devDependency)';
    }
  },
  start: () =>
    startProcess('aedes', process.execPath, (port) => [
      ...nodeFlags('aedes'),
      join(here, 'aedes-server.js'),
      String(port),
    ]),
};

/**
 * The trivial relay of bench/macro/relay-server.ts: frame and forward, nothing else. Not a broker
 * under comparison but the ceiling check: what the generator reaches when the other side costs
 * next to nothing.
 */
export const relay: BrokerKind = {
  name: 'relay',
  missing: () =>
    existsSync(join(here, 'relay-server.js')) ? undefined : 'run `npm run build` first',
  start: () =>
    startProcess('relay', process.execPath, (port) => [
      ...nodeFlags('relay'),
      join(here, 'relay-server.js'),
      String(port),
    ]),
};

/**
 * The ceiling check's relay in C (bench/native/relay.c): the same forwarding as the Node relay at
 * a small fraction of its CPU, so that the check shows what the generator can drive.
 */
export const relayC: BrokerKind = {
  name: 'relay-c',
  missing: () => buildNative(),
  start: () => startProcess('relay-c', nativeBinary('relay'), (port) => [String(port)]),
};

/** Debian's Mosquitto with a config file written for the run. */
export const mosquitto: BrokerKind = {
  name: 'mosquitto',
  missing: () =>
    existsSync(MOSQUITTO_BIN)
      ? undefined
      : `${MOSQUITTO_BIN} not found: install it (Debian/Ubuntu: sudo apt-get install mosquitto) or set MOSQUITTO_BIN`,
  start: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-mosq-'));
    const conf = join(dir, 'mosquitto.conf');
    const port = await freePort();
    writeFileSync(
      conf,
      [
        'per_listener_settings false',
        'allow_anonymous true',
        'persistence false',
        'log_dest none',
        'max_packet_size 1048576',
        `max_queued_messages ${QUEUE_LIMIT}`,
        // Unbounded: with a bound, 2.0.11 leaves messages queued behind a full in-flight window
        // until the next PUBLISH arrives (fixed in 2.0.13): losses at the end of a run, and
        // QoS 2 fan-in stalls outright in some runs. QoS 1 fan-in is faster unbounded; QoS 2
        // fan-in is about 1.5x faster with 100 when it does not stall (see docs/benchmarks.md).
        'max_inflight_messages 0',
        `listener ${port} 127.0.0.1`,
        // Nagle off, as Petrel and Aedes have it: otherwise small deliveries wait for ACKs.
        'set_tcp_nodelay true',
        '',
      ].join('\n'),
    );
    const child = spawnWithNofile(MOSQUITTO_BIN, ['-c', conf], 'ignore');
    const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
    try {
      await waitPort(port, child, 10_000);
    } catch (err) {
      await stopChild(child);
      cleanup();
      throw err;
    }
    return {
      name: 'mosquitto',
      port,
      pid: child.pid ?? 0,
      stop: async () => {
        await stopChild(child);
        cleanup();
      },
    };
  },
};

/**
 * Extra node flags for a broker process: BENCH_PROFILE=petrel (or a comma list) writes a
 * `--cpu-prof` profile of that broker into ./profiles/.
 */
export function nodeFlags(name: string): string[] {
  const wanted = (process.env.BENCH_PROFILE ?? '').split(',');
  const flags = wanted.includes(name) ? ['--cpu-prof', '--cpu-prof-dir', 'profiles'] : [];
  // BENCH_NODE_FLAGS='--max-semi-space-size=4': V8 flags for the Node servers (A/B runs).
  const extra = process.env.BENCH_NODE_FLAGS;
  if (extra !== undefined && extra !== '' && name.startsWith('petrel'))
    flags.push(...extra.split(' '));
  return flags;
}

/** Resident set size of a process, bytes (from /proc/<pid>/status). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds a run cost the broker (all its processes) and its NATS server, and its length. */
export interface RunCpu {
  /** NaN when a broker process was gone after the run. */
  brokerCpu: number;
  /** NaN without a NATS server. */
  natsCpu: number;
  /** Wall-clock seconds between start and done. */
  wall: number;
}

/** Starts counting the CPU `broker` spends; `done()` reads the difference. */
export function watchCpu(broker: RunningBroker): { done(): RunCpu } {
  // A `--workers` primary's children are read at the start: a worker restarted during the run
  // would be a new process whose CPU cannot be told apart, and is reported as a gone one.
  const pids = broker.pids?.() ?? [broker.pid];
  const before = pids.map(cpuOf);
  const natsBefore = broker.natsPid === undefined ? 0 : cpuOf(broker.natsPid);
  const t0 = performance.now();
  return {
    done: () => {
      const after = pids.map(cpuOf);
      const gone = after.some((c) => c === 0);
      const brokerCpu = gone ? Number.NaN : after.reduce((a, c, i) => a + c - (before[i] ?? 0), 0);
      const natsCpu =
        broker.natsPid === undefined ? Number.NaN : cpuOf(broker.natsPid) - natsBefore;
      return { brokerCpu, natsCpu, wall: (performance.now() - t0) / 1000 };
    },
  };
}

/** Every broker by name. */
export const BROKERS: Record<string, BrokerKind> = {
  petrel,
  mosquitto,
  aedes,
  'petrel-lmdb': petrelLmdb,
  relay,
  'relay-c': relayC,
};
