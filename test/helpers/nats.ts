// Starts Debian's nats-server with JetStream on a free loopback port and a temporary store
// directory, for cluster tests; the handle kills it and can restart it on the same port.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
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
export function startNats(): Promise<NatsHandle> {
  return startServer([]);
}

/**
 * Starts `size` nats-servers with JetStream clustered through routes (cluster `petrel-test`,
 * servers `s0`, `s1`…), which do not tell clients about each other (`--no_advertise`), so that a
 * client connected to one server is cut off when that server stops. Resolves once JetStream
 * answers on every server (its leaders elected).
 */
export async function startNatsCluster(size = 3): Promise<NatsHandle[]> {
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`);
  const started: NatsHandle[] = [];
  try {
    for (let i = 0; i < size; i++) {
      started.push(
        await startServer([
          '-n',
          `s${i}`,
          '--cluster_name',
          'petrel-test',
          '--cluster',
          routes[i] as string,
          '--routes',
          routes.filter((_, j) => j !== i).join(','),
          '--no_advertise',
        ]),
      );
    }
    for (const h of started) await jetStreamReady(h.url, 20_000);
    await replicasPlaceable((started[0] as NatsHandle).url, size, 20_000);
  } catch (err) {
    for (const h of started) await h.close();
    throw err;
  }
  return started;
}

/** Waits until JetStream answers on `url` (a clustered JetStream elects its leader first). */
export async function jetStreamReady(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const nc = await connect({ servers: url, timeout: 2000 });
  try {
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1000 });
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`JetStream not ready at ${url}: ${err}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await nc.close();
  }
}

/**
 * Waits until a stream with `replicas` copies can be placed (every server known to the
 * JetStream meta group): creates and deletes a probe stream until that succeeds.
 */
async function replicasPlaceable(url: string, replicas: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const nc = await connect({ servers: url, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    for (;;) {
      try {
        await jsm.streams.add({
          name: 'ready-probe',
          subjects: ['ready.probe'],
          num_replicas: replicas,
        });
        await jsm.streams.delete('ready-probe');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`no ${replicas} replicas placeable: ${err}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}

/** The name of the server leading JetStream stream `stream` (undefined while none is). */
export async function streamLeader(url: string, stream: string): Promise<string | undefined> {
  const nc = await connect({ servers: url, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 1000 });
    return (await jsm.streams.info(stream)).cluster?.leader;
  } finally {
    await nc.close();
  }
}

async function startServer(extra: string[]): Promise<NatsHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-nats-'));
  const port = await freePort();
  let child: ChildProcess;
  let stderr = '';
  const launch = async (): Promise<void> => {
    stderr = '';
    const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...extra];
    child = spawn(NATS_BIN, args, {
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
