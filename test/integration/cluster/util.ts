// In-process cluster nodes for the cluster tests: Petrel brokers on free ports joined through a
// real nats-server (test/helpers/nats.ts).
import type { BrokerOptions } from '../../../src/broker.js';
import type { ClusterNode } from '../../../src/cluster/index.js';
import { startCluster } from '../../../src/cluster/index.js';
import type { ClusterOptions } from '../../../src/cluster/options.js';
import type { TestBroker } from '../../helpers/broker.js';
import { delay, startBroker } from '../../helpers/broker.js';

export interface TestNode {
  id: string;
  tb: TestBroker;
  node: ClusterNode;
  close(): Promise<void>;
}

/** Starts a broker and joins it to the cluster on `natsUrl` as `id`. */
export async function startNode(
  natsUrl: string,
  id: string,
  cluster: Partial<ClusterOptions> = {},
  options: BrokerOptions = {},
): Promise<TestNode> {
  const tb = await startBroker(options);
  let node: ClusterNode;
  try {
    node = await startCluster(tb.broker, {
      servers: [natsUrl],
      nodeId: id,
      heartbeatMs: 200,
      nodeTimeoutMs: 1000,
      forwardTimeoutMs: 1000,
      ...cluster,
    });
  } catch (err) {
    await tb.close(); // or the test process would not end
    throw err;
  }
  return {
    id,
    tb,
    node,
    close: async () => {
      await node.close();
      await tb.close();
    },
  };
}

/** Waits (at most `ms`) until `cond` holds; throws with `what` otherwise. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Waits until every node in `nodes` other than `owner` knows `owner`'s filter `filter`. */
export function interestKnown(nodes: TestNode[], owner: TestNode, filter: string): Promise<void> {
  return until(
    () =>
      nodes.every(
        (n) => n === owner || n.node.interest.nodes.get(owner.id)?.filters.has(filter) === true,
      ),
    `${owner.id}'s interest in ${filter}`,
  );
}

/** Waits until `node` sees every other of `nodes` alive. */
export function peersKnown(nodes: TestNode[]): Promise<void> {
  return until(
    () =>
      nodes.every((n) =>
        nodes.every((m) => m === n || n.node.interest.nodes.get(m.id)?.alive === true),
      ),
    'every node to see the others',
  );
}
