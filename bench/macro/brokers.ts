import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startMosquitto } from '../../test/helpers/mosquitto-conf.js';

/** A broker under test, running in its own process on a loopback port. */
export interface RunningBroker {
  name: string;
  port: number;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dist/ root: bench/macro -> dist. */
const distRoot = join(here, '..', '..');

function waitPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`broker exited (${child.exitCode})`));
        return;
      }
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
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
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startNodeScript(name: string, args: string[]): Promise<RunningBroker> {
  const port = await freePort();
  const child = spawn(process.execPath, [...args.map((a) => a.replace('PORT', String(port)))], {
    stdio: 'ignore',
  });
  await waitPort(port, child, 10_000);
  return { name, port, stop: () => stopChild(child) };
}

/** Petrel as `node dist/src/cli/main.js broker -p PORT` (logs discarded). */
export function startPetrel(): Promise<RunningBroker> {
  return startNodeScript('petrel', [
    join(distRoot, 'src', 'cli', 'main.js'),
    'broker',
    '-p',
    'PORT',
  ]);
}

/** Aedes served by bench/macro/aedes-server.ts. */
export function startAedes(): Promise<RunningBroker> {
  return startNodeScript('aedes', [join(here, 'aedes-server.js'), 'PORT']);
}

/** Debian's Mosquitto with a config written for the run (persistence off, loopback). */
export async function startMosquittoBroker(): Promise<RunningBroker> {
  // Nagle off, as Petrel and Aedes have it: otherwise small deliveries wait for delayed ACKs.
  const m = await startMosquitto({ extraConfig: ['set_tcp_nodelay true'] });
  return { name: 'mosquitto', port: m.port, stop: () => m.stop() };
}
