// The C programs of bench/native/: the generators latency.c (the latency scenario),
// throughput.c (fan-in and pairs) and connect.c (connection rate), run against a broker, and
// relay.c, the ceiling check's server; built at bench time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../src/bench/report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Their sources in the repository, their binaries built beside dist/bench. */
const SRC_DIR = join(here, '..', '..', '..', 'bench', 'native');
const BIN_DIR = join(here, '..', 'native');

/** The generators, by source name (bench/native/NAME.c). */
export type NativeTool = 'latency' | 'throughput' | 'connect' | 'relay';
const TOOLS: readonly NativeTool[] = ['latency', 'throughput', 'connect', 'relay'];

/** Where a generator's binary is built. */
export function nativeBinary(tool: NativeTool): string {
  return join(BIN_DIR, tool);
}

/** Builds one generator unless its binary is newer than its source; returns why it cannot. */
function buildOne(tool: NativeTool): string | undefined {
  const src = join(SRC_DIR, `${tool}.c`);
  const bin = nativeBinary(tool);
  if (!existsSync(src)) return `${src} not found`;
  // The shared header counts as source too.
  const header = join(SRC_DIR, 'mqtt.h');
  const newest = Math.max(statSync(src).mtimeMs, existsSync(header) ? statSync(header).mtimeMs : 0);
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return undefined;
  mkdirSync(BIN_DIR, { recursive: true });
  const r = spawnSync(process.env.CC ?? 'gcc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (r.error !== undefined)
    return `gcc not found (Debian: apt-get install gcc): ${r.error.message}`;
  if (r.status !== 0) return `gcc failed on ${tool}.c: ${r.stderr.trim()}`;
  return undefined;
}

/** Builds the generators (each unless up to date); returns why one cannot be built. */
export function buildNative(): string | undefined {
  for (const tool of TOOLS) {
    const missing = buildOne(tool);
    if (missing !== undefined) return missing;
  }
  return undefined;
}

/** What one run of the latency generator was asked for. */
export interface NativeRun {
  port: number;
  qos: string;
  rate: string;
  payload: string;
  seconds: number;
  warmup: number;
  /** Where to write every measured delivery as "SEND_NS LATENCY_NS" (LATENCY_SAMPLES). */
  samples?: string;
  /** The subscriber's port when not `port` (another node of a cluster). */
  subPort?: number;
}

/** What one run of the throughput generator was asked for. */
export interface ThroughputRun {
  port: number;
  host?: string;
  scenario: 'fanin' | 'pairs';
  /** Publishers (fan-in) or pairs. */
  clients: number;
  qos: number;
  payload: number;
  /** Messages in flight per publisher. */
  window: number;
  seconds: number;
  warmup: number;
  /** The subscribers' port when not `port` (another node of a cluster). */
  subPort?: number;
}

/** Runs the latency generator once; resolves with its report. */
export function runNative(run: NativeRun): Promise<BenchReport> {
  const args = ['127.0.0.1', String(run.port), run.qos, run.rate, String(run.seconds)];
  args.push(String(run.warmup), run.payload);
  const env = withSubPort(run.subPort);
  if (run.samples !== undefined) env.LATENCY_SAMPLES = run.samples;
  return runTool('latency', args, env, run.seconds);
}

/** What one run of the connection generator was asked for. */
export interface ConnectRun {
  port: number;
  count: number;
  concurrency: number;
  /** Seconds the connections stay open once all are connected. */
  holdSeconds: number;
  /** Called with the number of open connections when all are connected (before the hold). */
  onOpen(open: number): void;
}

/** Runs the connection generator once; resolves with its report. */
export function runConnect(run: ConnectRun): Promise<BenchReport> {
  const args = ['127.0.0.1', String(run.port), String(run.count), String(run.concurrency)];
  args.push(String(run.holdSeconds));
  return runTool('connect', args, process.env, 60 + run.holdSeconds, (line) => {
    const m = /(\d+) connections open/.exec(line);
    if (m !== null) run.onOpen(Number(m[1]));
  });
}

/** Runs the throughput generator once; resolves with its report. */
export function runThroughput(run: ThroughputRun): Promise<BenchReport> {
  const args = [run.host ?? '127.0.0.1', String(run.port), run.scenario, String(run.clients)];
  args.push(String(run.qos), String(run.payload), String(run.window));
  args.push(String(run.seconds), String(run.warmup));
  return runTool('throughput', args, withSubPort(run.subPort), run.seconds);
}

/** The environment of a generator: SUB_PORT sends its subscribers to another cluster node. */
function withSubPort(subPort: number | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SUB_PORT;
  if (subPort !== undefined) env.SUB_PORT = String(subPort);
  return env;
}

function runTool(
  tool: NativeTool,
  args: string[],
  env: NodeJS.ProcessEnv,
  seconds: number,
  onStderr?: (text: string) => void,
): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(nativeBinary(tool), args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(d.toString());
    });
    // Setup, the run and its drain (at most 10 s) fit well inside this.
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${tool} (C): ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as BenchReport);
      } catch {
        reject(new Error(`${tool} (C) exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      }
    });
  });
}
