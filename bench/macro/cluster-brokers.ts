// The cluster broker kinds of `npm run bench:compare` (issue 14): a `nats-server -js` and Petrel
// nodes linked through it, started for a scenario and stopped after it.
//
//   petrel-cluster  two `petrel broker --cluster` processes on two ports: publishers connect to
//                   the first, subscribers to the second (`subPort`), so every message crosses
//   petrel-workers  one `petrel broker --workers 2 --cluster` on one port: the primary hands
//                   connections to the two workers round robin, so clients spread over both
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/index.js';
import type { BrokerKind, RunningBroker } from './brokers.js';
import { nodeFlags, PETREL_MAIN, petrel, startProcess, writePetrelConfig } from './brokers.js';

const NATS_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
/** How long a new cluster may take until a message published on one node reaches another. */
const LINK_TIMEOUT_MS = 20_000;

function missing(): string | undefined {
  const p = petrel.missing();
  if (p !== undefined) return p;
  return existsSync(NATS_BIN)
    ? undefined
    : `${NATS_BIN} not found: install it (Debian/Ubuntu: sudo apt-get install nats-server) or set NATS_SERVER_BIN`;
}

/** The pids of `pid`'s child processes (the workers of a `--workers` primary), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while /proc was read.
    }
  }
  return out;
}

/**
 * Waits until a message published on `pubPort` reaches a subscriber on `subPort` (the nodes
 * found each other and the subscriber's interest arrived), publishing every 100 ms from a fresh
 * connection each time (on one port with workers, a fresh connection may land on either).
 */
async function waitLinked(pubPort: number, subPort: number): Promise<void> {
  const sub = await connect(`mqtt://127.0.0.1:${subPort}`, { protocolVersion: 4 });
  try {
    let arrived = false;
    sub.on('message', () => {
      arrived = true;
    });
    await sub.subscribe('bench/cluster-probe', { qos: 0 });
    const deadline = Date.now() + LINK_TIMEOUT_MS;
    while (!arrived) {
      if (Date.now() > deadline) {
        throw new Error(`the cluster's nodes did not link within ${LINK_TIMEOUT_MS / 1000} s`);
      }
      const pub = await connect(`mqtt://127.0.0.1:${pubPort}`, { protocolVersion: 4 });
      await pub.publish('bench/cluster-probe', 'x', { qos: 0 });
      await new Promise((r) => setTimeout(r, 100));
      await pub.disconnect();
    }
  } finally {
    await sub.disconnect();
  }
}

/** Starts nats-server with JetStream, then `nodes(natsUrl, conf)`; stops all on failure. */
async function startCluster(
  name: string,
  nodes: (natsUrl: string, conf: string) => Promise<RunningBroker[]>,
  shape: (running: RunningBroker[]) => Omit<RunningBroker, 'name' | 'stop' | 'natsPid'>,
): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-cluster-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const started: RunningBroker[] = [];
  const stopAll = async (): Promise<void> => {
    // Nodes first, so that they do not spend the stop reconnecting to a vanished NATS.
    for (const b of started.reverse()) await b.stop();
    cleanup();
  };
  try {
    const nats = await startProcess('nats', NATS_BIN, (port) => {
      return ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'nats')];
    });
    started.push(nats);
    const conf = writePetrelConfig(dir);
    const running = await nodes(`nats://127.0.0.1:${nats.port}`, conf);
    started.push(...running);
    const s = shape(running);
    await waitLinked(s.port, s.subPort ?? s.port);
    return { ...s, name, natsPid: nats.pid, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** One `petrel broker` process joined to the cluster at `natsUrl`. */
function startNode(
  name: string,
  natsUrl: string,
  conf: string,
  nodeId: string,
  extra: string[] = [],
): Promise<RunningBroker> {
  return startProcess(name, process.execPath, (port) => [
    ...nodeFlags(name),
    PETREL_MAIN,
    'broker',
    '-c',
    conf,
    '-p',
    String(port),
    '--cluster',
    natsUrl,
    '--node-id',
    nodeId,
    ...extra,
  ]);
}

/** Two nodes: publishers on the first, subscribers on the second. */
export const petrelCluster: BrokerKind = {
  name: 'petrel-cluster',
  missing,
  start: () =>
    startCluster(
      'petrel-cluster',
      async (url, conf) => [
        await startNode('petrel-cluster', url, conf, 'n1'),
        await startNode('petrel-cluster', url, conf, 'n2'),
      ],
      ([n1, n2]) => {
        const a = n1 as RunningBroker;
        const b = n2 as RunningBroker;
        return { port: a.port, subPort: b.port, pid: a.pid, pids: () => [a.pid, b.pid] };
      },
    ),
};

/** `--workers 2` on one port: the primary and its two workers count as the broker. */
export const petrelWorkers: BrokerKind = {
  name: 'petrel-workers',
  missing,
  start: () =>
    startCluster(
      'petrel-workers',
      async (url, conf) => [await startNode('petrel-workers', url, conf, 'w', ['--workers', '2'])],
      ([primary]) => {
        const p = primary as RunningBroker;
        return { port: p.port, pid: p.pid, pids: () => [p.pid, ...childrenOf(p.pid)] };
      },
    ),
};

/** The cluster kinds by name. */
export const CLUSTER_BROKERS: Record<string, BrokerKind> = {
  'petrel-cluster': petrelCluster,
  'petrel-workers': petrelWorkers,
};
