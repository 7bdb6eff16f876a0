// `petrel bench` command line → BenchPlan. Flags follow mosquitto_pub/sub where they overlap
// (-h -p -q -t -u -P -k -V -I), and emqtt-bench's -c (clients) / -n (count) otherwise.
import { randomBytes } from 'node:crypto';
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { BenchPlan, Matrix, ScenarioName } from './options.js';
import { PAYLOAD_HEADER, SCENARIOS } from './options.js';

/** A bad command line; the message names the flag. */
export class BenchUsageError extends Error {}

/** What the command line asked for besides the plan. */
export interface BenchCommand {
  plan: BenchPlan;
  output: 'text' | 'json' | 'csv';
  quiet: boolean;
  help: boolean;
}

/** The help text. */
export const BENCH_HELP = `Usage: petrel bench SCENARIO [options]

Scenarios:
  pub       N publishers (-c, default 1) on -t (default bench/%i)
  sub       N subscribers (-c, default 1) on the filter -t (default bench/#)
  conn      open N connections (-c, default 1000) at --connect-rate and hold them for -d
  fanin     N publishers (-c, default 16) on bench/%i/x -> 1 subscriber on bench/+/x
  fanout    1 publisher on bench/fanout -> N subscribers (-c, default 100)
  pairs     N publisher/subscriber pairs (-c, default 50) on bench/pair/%i
  latency   1 publisher -> 1 subscriber at --rate (default 1000) msg/s

Connection:
  -h, --host HOST          broker host (default localhost)
  -p, --port PORT          broker port (default 1883)
      --sub-host HOST      subscribers connect here instead (another cluster node)
      --sub-port PORT      subscribers connect to this port instead (another cluster node)
  -V, --protocol-version V mqttv5, mqttv311 or mqttv31 (default mqttv311)
  -u, --username USER      user name
  -P, --pw PASSWORD        password
  -k, --keepalive SECONDS  keep alive (default 0: off, the generator sends no PINGREQ)
  -I, --id-prefix PREFIX   client id prefix (ids are PREFIX-p0, PREFIX-s0, PREFIX-c0, ...)
      --persistent         keep sessions (clean session off; v5 session expiry 1 h)

Load:
  -c, --clients N          clients of the scenario (see above)
      --publishers N       publishers (fanin, fanout, pub)
      --subscribers N      subscribers (fanin, fanout, sub)
  -q, --qos QOS            0, 1 or 2 (default 0)
  -t, --topic TOPIC        topic pattern, %i = publisher index (sub: the filter)
      --filter FILTER      subscription filter, %i = subscriber index
  -s, --size BYTES         payload size (default 64, at least ${PAYLOAD_HEADER})
  -n, --count N            messages per publisher (default: until -d ends)
  -d, --duration SECONDS   length of the run (default 10; conn: how long to hold)
      --warmup SECONDS     first seconds left out of rates and latencies (default 0)
      --rate N             messages/s per publisher (default: closed loop)
      --window N           messages in flight per publisher (default 100)
      --connect-rate N     conn: connections started per second (default: no limit)
      --concurrency N      conn: CONNECTs awaiting CONNACK at most (default 100)
      --workers N          generator threads (default 1)
      --drain SECONDS      longest wait for late deliveries after the run (default 5)

Output:
      --json               one JSON object
      --csv                a CSV header and line
      --quiet              no progress line
      --help               this help
`;

const VERSIONS: Record<string, ProtocolVersion> = {
  mqttv5: 5,
  '5': 5,
  mqttv311: 4,
  '311': 4,
  '4': 4,
  mqttv31: 3,
  '31': 3,
  '3': 3,
};

function intArg(v: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new BenchUsageError(`${flag}: expected a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new BenchUsageError(`${flag}: must be ${min}..${max}, got ${v}`);
  return n;
}

function numArg(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (v === '' || !Number.isFinite(n) || n < min) {
    throw new BenchUsageError(`${flag}: expected a number >= ${min}, got '${v}'`);
  }
  return n;
}

interface Raw {
  scenario?: ScenarioName;
  host: string;
  port: number;
  subHost?: string;
  subPort?: number;
  version: ProtocolVersion;
  username?: string;
  password?: string;
  keepAlive: number;
  idPrefix?: string;
  persistent: boolean;
  clients?: number;
  publishers?: number;
  subscribers?: number;
  qos: QoS;
  topic?: string;
  filter?: string;
  size: number;
  count: number;
  duration?: number;
  warmup: number;
  rate?: number;
  window: number;
  connectRate: number;
  concurrency: number;
  workers: number;
  drain: number;
}

type Setter = (raw: Raw, v: string, flag: string) => void;

const VALUED: Record<string, Setter> = {
  '--host': (r, v) => {
    r.host = v;
  },
  '--port': (r, v, f) => {
    r.port = intArg(v, f, 1, 65535);
  },
  '--sub-host': (r, v) => {
    r.subHost = v;
  },
  '--sub-port': (r, v, f) => {
    r.subPort = intArg(v, f, 1, 65535);
  },
  '--protocol-version': (r, v, f) => {
    const ver = VERSIONS[v];
    if (ver === undefined)
      throw new BenchUsageError(`${f}: expected mqttv5, mqttv311 or mqttv31, got '${v}'`);
    r.version = ver;
  },
  '--username': (r, v) => {
    r.username = v;
  },
  '--pw': (r, v) => {
    r.password = v;
  },
  '--keepalive': (r, v, f) => {
    r.keepAlive = intArg(v, f, 0, 65535);
  },
  '--id-prefix': (r, v) => {
    r.idPrefix = v;
  },
  '--clients': (r, v, f) => {
    r.clients = intArg(v, f, 1, 1_000_000);
  },
  '--publishers': (r, v, f) => {
    r.publishers = intArg(v, f, 1, 1_000_000);
  },
  '--subscribers': (r, v, f) => {
    r.subscribers = intArg(v, f, 1, 1_000_000);
  },
  '--qos': (r, v, f) => {
    r.qos = intArg(v, f, 0, 2) as QoS;
  },
  '--topic': (r, v, f) => {
    if (v === '') throw new BenchUsageError(`${f}: empty topic`);
    r.topic = v;
  },
  '--filter': (r, v, f) => {
    if (v === '') throw new BenchUsageError(`${f}: empty filter`);
    r.filter = v;
  },
  '--size': (r, v, f) => {
    r.size = intArg(v, f, PAYLOAD_HEADER, 256 * 1024 * 1024);
  },
  '--count': (r, v, f) => {
    r.count = intArg(v, f, 1, 2_000_000_000);
  },
  '--duration': (r, v, f) => {
    r.duration = numArg(v, f, 0.05);
  },
  '--warmup': (r, v, f) => {
    r.warmup = numArg(v, f, 0);
  },
  '--rate': (r, v, f) => {
    r.rate = numArg(v, f, 0);
  },
  '--window': (r, v, f) => {
    r.window = intArg(v, f, 1, 65535);
  },
  '--connect-rate': (r, v, f) => {
    r.connectRate = numArg(v, f, 0);
  },
  '--concurrency': (r, v, f) => {
    r.concurrency = intArg(v, f, 1, 1_000_000);
  },
  '--workers': (r, v, f) => {
    r.workers = intArg(v, f, 0, 64);
  },
  '--drain': (r, v, f) => {
    r.drain = numArg(v, f, 0);
  },
};

const SHORT: Record<string, string> = {
  '-h': '--host',
  '-p': '--port',
  '-V': '--protocol-version',
  '-u': '--username',
  '-P': '--pw',
  '-k': '--keepalive',
  '-I': '--id-prefix',
  '-c': '--clients',
  '-q': '--qos',
  '-t': '--topic',
  '-s': '--size',
  '-n': '--count',
  '-d': '--duration',
};

/** Parses `petrel bench` arguments; throws BenchUsageError naming the bad flag. */
export function parseBenchArgs(argv: string[]): BenchCommand {
  const raw: Raw = {
    host: 'localhost',
    port: 1883,
    version: 4,
    keepAlive: 0,
    persistent: false,
    qos: 0,
    size: 64,
    count: 0,
    warmup: 0,
    window: 100,
    connectRate: 0,
    concurrency: 100,
    workers: 0,
    drain: 5,
  };
  let output: BenchCommand['output'] = 'text';
  let quiet = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-') || arg === '-') {
      if (raw.scenario !== undefined) {
        throw new BenchUsageError(
          `unexpected argument '${arg}' (scenario already ${raw.scenario})`,
        );
      }
      if (!(SCENARIOS as readonly string[]).includes(arg)) {
        throw new BenchUsageError(`unknown scenario '${arg}' (one of ${SCENARIOS.join(', ')})`);
      }
      raw.scenario = arg as ScenarioName;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const given = eq > 0 ? arg.slice(0, eq) : arg;
    const name = SHORT[given] ?? given;
    const setter = VALUED[name];
    if (setter !== undefined) {
      let v: string | undefined;
      if (eq > 0) v = arg.slice(eq + 1);
      else v = argv[++i];
      if (v === undefined) throw new BenchUsageError(`${given}: missing value`);
      setter(raw, v, given);
      continue;
    }
    if (eq > 0) throw new BenchUsageError(`${given}: takes no value`);
    switch (name) {
      case '--json':
        output = 'json';
        break;
      case '--csv':
        output = 'csv';
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--persistent':
        raw.persistent = true;
        break;
      case '--help':
        help = true;
        break;
      default:
        throw new BenchUsageError(`unknown option '${given}'`);
    }
  }
  if (help) return { plan: resolvePlan({ ...raw, scenario: 'pub' }), output, quiet, help };
  if (raw.scenario === undefined) {
    throw new BenchUsageError(`missing scenario (one of ${SCENARIOS.join(', ')})`);
  }
  return { plan: resolvePlan(raw), output, quiet, help };
}

function resolvePlan(raw: Raw): BenchPlan {
  const scenario = raw.scenario ?? 'pub';
  let publishers = 0;
  let subscribers = 0;
  let topic = raw.topic ?? 'bench/%i';
  let filter = raw.filter ?? topic;
  let matrix: Matrix = 'all';
  let rate = raw.rate ?? 0;
  const c = raw.clients;
  switch (scenario) {
    case 'pub':
      publishers = raw.publishers ?? c ?? 1;
      matrix = 'none';
      break;
    case 'sub':
      subscribers = raw.subscribers ?? c ?? 1;
      filter = raw.filter ?? raw.topic ?? 'bench/#';
      matrix = 'foreign';
      break;
    case 'conn':
      matrix = 'none';
      break;
    case 'fanin':
      publishers = raw.publishers ?? c ?? 16;
      subscribers = raw.subscribers ?? 1;
      topic = raw.topic ?? 'bench/%i/x';
      filter = raw.filter ?? 'bench/+/x';
      break;
    case 'fanout':
      publishers = raw.publishers ?? 1;
      subscribers = raw.subscribers ?? c ?? 100;
      topic = raw.topic ?? 'bench/fanout';
      filter = raw.filter ?? topic;
      break;
    case 'pairs':
      publishers = c ?? 50;
      subscribers = publishers;
      topic = raw.topic ?? 'bench/pair/%i';
      filter = raw.filter ?? topic;
      matrix = 'pairs';
      if (!topic.includes('%i')) throw new BenchUsageError(`-t: pairs needs %i in the topic`);
      break;
    case 'latency':
      publishers = 1;
      subscribers = 1;
      topic = raw.topic ?? 'bench/latency';
      filter = raw.filter ?? topic;
      rate = raw.rate ?? 1000;
      break;
  }
  const durationS = raw.duration ?? (raw.count > 0 && scenario !== 'conn' ? 86_400 : 10);
  return {
    scenario,
    host: raw.host,
    port: raw.port,
    ...(raw.subHost !== undefined ? { subHost: raw.subHost } : {}),
    ...(raw.subPort !== undefined ? { subPort: raw.subPort } : {}),
    version: raw.version,
    username: raw.username,
    password: raw.password,
    keepAlive: raw.keepAlive,
    clean: !raw.persistent,
    idPrefix: raw.idPrefix ?? `pb${process.pid.toString(36)}${randomBytes(2).toString('hex')}`,
    qos: raw.qos,
    payloadSize: raw.size,
    publishers,
    subscribers,
    topic,
    filter,
    matrix,
    rate,
    window: raw.window,
    count: raw.count,
    durationMs: Math.round(durationS * 1000),
    warmupMs: Math.round(Math.min(raw.warmup, durationS) * 1000),
    connections: scenario === 'conn' ? (c ?? 1000) : 0,
    connectRate: raw.connectRate,
    connectConcurrency: raw.concurrency,
    workers: raw.workers,
    tag: randomBytes(4).readUInt32BE(0),
    drainMs: Math.round(raw.drain * 1000),
  };
}
