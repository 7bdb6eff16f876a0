// The cluster view under `$SYS/broker/cluster/`: this node, its link to NATS, the other nodes
// as it sees them, and its forwarding counters. Published as retained `$SYS` messages (each
// node's own, never forwarded) every `sysInterval` seconds, like the broker's other `$SYS` topics.

import type { ClusterInterest } from './interest.js';
import type { ClusterStats } from './node.js';

/** What the view is built from. */
export interface ClusterViewSource {
  readonly id: string;
  readonly natsState: string;
  readonly interest: ClusterInterest;
  readonly stats: ClusterStats;
}

/** Topic (below `$SYS/broker/cluster/`) → value. */
export function clusterSysValues(n: ClusterViewSource): Array<[string, string]> {
  const s = n.stats;
  const out: Array<[string, string]> = [
    ['node', n.id],
    ['nats', n.natsState],
    ['messages/forwarded', String(s.forwarded)],
    ['messages/received', String(s.received)],
    ['messages/forward failures', String(s.forwardFailures)],
    ['messages/duplicates', String(s.duplicates)],
    ['forward lag ms', String(s.lastLagMs)],
  ];
  let alive = 0;
  for (const peer of n.interest.nodes.values()) {
    if (peer.alive) alive++;
    out.push([`nodes/${peer.id}/state`, peer.alive ? 'alive' : 'dead']);
    out.push([`nodes/${peer.id}/filters`, String(peer.filters.size)]);
  }
  out.push(['nodes/alive', String(alive + 1)]);
  return out;
}
