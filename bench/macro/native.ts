// The C latency generator (bench/native/latency.c): built at bench time, run against a broker.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../src/bench/report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Its source in the repository, its binary built beside dist/bench. */
const NATIVE_SRC = join(here, '..', '..', '..', 'bench', 'native', 'latency.c');
const NATIVE_BIN = join(here, '..', 'native', 'latency');

/** Builds the generator unless its binary is newer than its source; returns why it cannot. */
export function buildNative(): string | undefined {
  if (!existsSync(NATIVE_SRC)) return `${NATIVE_SRC} not found`;
  if (existsSync(NATIVE_BIN) && statSync(NATIVE_BIN).mtimeMs >= statSync(NATIVE_SRC).mtimeMs) {
    return undefined;
  }
  mkdirSync(dirname(NATIVE_BIN), { recursive: true });
  const r = spawnSync(process.env.CC ?? 'gcc', ['-O2', '-o', NATIVE_BIN, NATIVE_SRC], {
    encoding: 'utf8',
  });
  if (r.error !== undefined)
    return `gcc not found (Debian: apt-get install gcc): ${r.error.message}`;
  if (r.status !== 0) return `gcc failed: ${r.stderr.trim()}`;
  return undefined;
}

/** What one run of the generator was asked for. */
export interface NativeRun {
  port: number;
  qos: string;
  rate: string;
  payload: string;
  seconds: number;
  warmup: number;
  /** Where to write every measured delivery as "SEND_NS LATENCY_NS" (LATENCY_SAMPLES). */
  samples?: string;
}

/** Runs the generator once; resolves with its report. */
export function runNative(run: NativeRun): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const args = ['127.0.0.1', String(run.port), run.qos, run.rate, String(run.seconds)];
    args.push(String(run.warmup), run.payload);
    const env =
      run.samples === undefined ? process.env : { ...process.env, LATENCY_SAMPLES: run.samples };
    const child = spawn(NATIVE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (run.seconds + 30) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as BenchReport);
      } catch {
        reject(new Error(`latency (C) exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      }
    });
  });
}
