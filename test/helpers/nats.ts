// Starts Debian's nats-server with JetStream on a free loopback port and a temporary store
// directory, for cluster tests; the handle kills it and can restart it on the same port.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, relaunch, waitExit, waitListening } from './mosquitto.js';

export const NATS_BIN = '/usr/sbin/nats-server';

/** True when the nats-server binary is installed. */
export function hasNats(): boolean {
  return existsSync(NATS_BIN);
}

export interface NatsHandle {
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** SIGKILL (a crash). */
  kill(): Promise<void>;
  /** Starts again on the same port with the same store directory. */
  restart(): Promise<void>;
  /** Kills it and removes the store directory. */
  close(): Promise<void>;
}

/** Starts `nats-server -js`; resolves once it accepts connections. */
export async function startNats(): Promise<NatsHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-nats-'));
  const port = await freePort();
  let child: ChildProcess;
  let stderr = '';
  const launch = async (): Promise<void> => {
    stderr = '';
    child = spawn(NATS_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitListening(child, [port], 'nats-server', () => stderr);
  };
  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const kill = async (): Promise<void> => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGKILL');
    await waitExit(c);
  };
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await relaunch(launch);
    },
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
