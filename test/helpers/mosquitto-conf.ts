import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of Debian's Mosquitto; overridable for other layouts. */
export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/** A Mosquitto process started on a loopback port with a config file we wrote. */
export interface MosquittoInstance {
  port: number;
  host: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** Extra config lines appended after the listener block. */
  extraConfig?: string[];
  /** Inherit stdio (benchmarks want it silent, debugging wants logs). */
  verbose?: boolean;
}

/** Asks the kernel for a free loopback port (a small race remains, handled by retrying). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The config mirrors Petrel's documented defaults where Mosquitto has an equivalent, so that the
 * conformance cases mean the same thing on both brokers.
 */
function configText(port: number, extra: string[]): string {
  return [
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'max_packet_size 1048576',
    `listener ${port} 127.0.0.1`,
    ...extra,
    '',
  ].join('\n');
}

async function startOnce(opts: MosquittoOptions): Promise<MosquittoInstance | undefined> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'petrel-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, configText(port, opts.extraConfig ?? []));
  const child = spawn(MOSQUITTO_BIN, ['-c', conf], {
    stdio: opts.verbose === true ? 'inherit' : 'ignore',
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const host = '127.0.0.1';
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !exited) {
    if (await canConnect(host, port)) {
      return {
        port,
        host,
        process: child,
        stop: () =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              rmSync(dir, { recursive: true, force: true });
              resolve();
            };
            if (exited) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (!exited) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

/** Starts Mosquitto on a free loopback port; rejects if it does not accept connections in 5 s. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoInstance> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const m = await startOnce(opts);
    if (m !== undefined) return m;
  }
  throw new Error(`could not start ${MOSQUITTO_BIN}`);
}
