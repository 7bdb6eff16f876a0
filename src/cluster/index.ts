// The cluster, loaded by `import()` only when configured: `startCluster` joins a broker to it.

export { ClusterNode, ClusterStats } from './node.js';
export type { ClusterOptions } from './options.js';

import type { Broker } from '../broker/broker.js';
import { ClusterNode } from './node.js';
import type { ClusterOptions } from './options.js';

/** Joins `broker` (listening or not) to the cluster described by `options`. */
export function startCluster(broker: Broker, options: ClusterOptions): Promise<ClusterNode> {
  return ClusterNode.start(broker, options);
}
