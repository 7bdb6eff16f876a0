// Starts Debian's Mosquitto on a free loopback port with a config written to a temp dir; the
// handle can kill, pause and restart it on the same port (reconnect tests).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/** True when the Mosquitto binary is installed. */
export function hasMosquitto(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

export interface MosquittoOptions {
  /** Extra config lines (e.g. `max_packet_size 1000`). */
  config?: string[];
  /** Also open a WebSocket listener; its port is in `wsPort`. */
  websockets?: boolean;
  /** Keep sessions across restarts (persistence file in the temp dir). */
  persistence?: boolean;
  /** Allow clients without user name (default true). */
  anonymous?: boolean;
  /** Also open TLS listeners (`tlsPort`, and `wssPort` with `websockets`). */
  tls?: { certfile: string; keyfile: string; cafile?: string; requireCertificate?: boolean };
}

export interface MosquittoHandle {
  readonly port: number;
  readonly wsPort: number | undefined;
  readonly tlsPort: number | undefined;
  readonly wssPort: number | undefined;
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGKILL: no goodbye to clients, no persistence written. */
  kill(): Promise<void>;
  /** SIGTERM: graceful stop (persistence written). */
  stop(): Promise<void>;
  /** Starts again on the same port(s) with the same config. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the broker stops answering but keeps its sockets. */
  pause(): void;
  resume(): void;
  /** Stops and removes the temp dir. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
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

/** Resolves once `port` accepts connections; throws when `child` (named `name`) exits first. */
export async function waitForPort(
  port: number,
  child: ChildProcess,
  deadline: number,
  name = 'mosquitto',
): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited early (code ${child.exitCode})`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until `child` (named `name`) listens on every port; otherwise kills it and throws with
 * its stderr.
 */
export async function waitListening(
  child: ChildProcess,
  ports: Array<number | undefined>,
  name: string,
  stderr: () => string,
): Promise<void> {
  try {
    for (const p of ports) {
      if (p !== undefined) await waitForPort(p, child, Date.now() + 5000, name);
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr()}`);
  }
}

/** Launches again until it works: the port may linger briefly after the previous exit. */
export async function relaunch(launch: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await launch();
      return;
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Resolves when `child` has exited. */
export function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts Mosquitto; resolves once it accepts connections. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoHandle> {
  // A free port can be taken by someone else between our probe and Mosquitto's bind: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(options: MosquittoOptions): Promise<MosquittoHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-mosq-'));
  const port = await freePort();
  const wsPort = options.websockets ? await freePort() : undefined;
  const lines = [
    'per_listener_settings false',
    `allow_anonymous ${options.anonymous === false ? 'false' : 'true'}`,
    `listener ${port} 127.0.0.1`,
  ];
  if (wsPort !== undefined) lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
  const tls = options.tls;
  const tlsPort = tls !== undefined ? await freePort() : undefined;
  const wssPort = tls !== undefined && options.websockets ? await freePort() : undefined;
  const tlsLines = (): string[] => {
    if (tls === undefined) return [];
    const l = [`certfile ${tls.certfile}`, `keyfile ${tls.keyfile}`];
    if (tls.cafile !== undefined) l.push(`cafile ${tls.cafile}`);
    if (tls.requireCertificate) l.push('require_certificate true');
    return l;
  };
  if (tlsPort !== undefined) lines.push(`listener ${tlsPort} 127.0.0.1`, ...tlsLines());
  if (wssPort !== undefined) {
    lines.push(`listener ${wssPort} 127.0.0.1`, 'protocol websockets', ...tlsLines());
  }
  if (options.persistence) {
    lines.push('persistence true', `persistence_location ${dir}/`, 'autosave_interval 0');
  }
  // Started as root, Mosquitto drops to user 'mosquitto', which cannot read our 0700 temp dirs.
  if (process.getuid?.() === 0) lines.push('user root');
  lines.push(...(options.config ?? []));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess;
  let stderr = '';

  const launch = async (): Promise<void> => {
    stderr = '';
    child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitListening(child, [port, wsPort, tlsPort, wssPort], 'mosquitto', () => stderr);
  };
  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    if (c.signalCode === null) c.kill('SIGCONT');
    c.kill(sig);
    await waitExit(c);
  };

  return {
    port,
    wsPort,
    tlsPort,
    wssPort,
    url: `mqtt://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    restart: async () => {
      await signal('SIGTERM');
      await relaunch(launch);
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    close: async () => {
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
