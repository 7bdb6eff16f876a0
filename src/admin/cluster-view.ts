// The cluster node behind `broker.cluster`, when it is Petrel's own (src/cluster/): the admin
// listener reads its NATS state and counters for /readyz and /metrics.
import type { Broker } from '../broker/broker.js';
import type { ClusterViewSource } from '../cluster/sys.js';

/** The broker's cluster node, or undefined when unclustered (or linked by something else). */
export function clusterView(broker: Broker): ClusterViewSource | undefined {
  const c = broker.cluster as Partial<ClusterViewSource> | undefined;
  if (c === undefined || typeof c.natsState !== 'string' || c.stats === undefined) return undefined;
  return c as ClusterViewSource;
}
