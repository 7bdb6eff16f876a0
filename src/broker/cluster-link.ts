import type { Will } from '../codec/types.js';
import type { Message } from './message.js';
import type { SubEntry } from './routing/subscription.js';
import type { SessionHandover } from './session/handover.js';

/**
 * The plug-in point of a cluster (src/cluster/): what the broker tells the nodes it is linked to.
 * The broker holds it as `cluster`, undefined unless a cluster is configured, so an unclustered
 * broker pays one null check per publish and per subscription change. The implementation is
 * loaded with a dynamic `import()` only when configured.
 */
export interface ClusterLink {
  /**
   * A message published on this node (by a client, a will or the server): sends it to every
   * other node with matching interest, and chooses which node serves each matching shared group
   * (the local choice is left in `msg.sharedPick`). Returns false when no other node is
   * interested, true when the message went out needing no confirmation (QoS 0), else a promise
   * of every interested node's confirmation that it queued the message: true, or false when one
   * did not answer in time.
   * `packetId` is the publisher's QoS 2 packet id (0 otherwise): an unconfirmed QoS 2 forward
   * is remembered under it for {@link reforward}.
   */
  forward(msg: Message, packetId: number): boolean | Promise<boolean>;
  /**
   * A QoS 2 PUBLISH resent (same packet id, before PUBREL) whose earlier forward was not
   * confirmed: forwards it again under the same message id (the receivers drop duplicates), or
   * returns undefined when no forward of it is outstanding.
   */
  reforward(clientId: string, packetId: number): Promise<boolean> | undefined;
  /**
   * A CONNECT for `clientId` was accepted here: claims the client id cluster-wide. Undefined when
   * this node owns it already (attach at once); else a promise of the claim, which takes the
   * client over from its previous node and gives that node's persistent session (undefined
   * when there is none, or the node did not answer in time). A rejection means the claim could
   * not be made (NATS unreachable).
   */
  claim(clientId: string): Promise<SessionHandover | undefined> | undefined;
  /**
   * After subscriptions were added: undefined when every live node already knows this node's
   * interest, else a promise (never rejected, bounded by the cluster's timeout) resolved once
   * they applied the change, so that a SUBACK sent then covers publishes on any node.
   */
  interestSettled(): Promise<void> | undefined;
  /**
   * The session of `clientId` ended on this node (a clean session's client left, a session
   * expired, or it moved away): the cluster forgets this node as its owner unless a new session
   * for the id took its place.
   */
  sessionEnded(clientId: string): void;
  /**
   * The will of `clientId`, connected here, was set at CONNECT (due `delayMs` after the loss of
   * its connection) or is gone (undefined: discarded, or published here): the cluster keeps a
   * record of it so that a survivor publishes it if this node dies.
   */
  willChanged(clientId: string, will: Will | undefined, delayMs: number): void;
  /**
   * A message of shared group `groupKey` ([MQTT-4.8.2]) whose member here went away unacknowledged
   * and which has no other member here: sends it to another node with members of the group
   * (one of them gets it). False when there is none (the message stays where it was).
   */
  reshare(msg: Message, groupKey: string): boolean;
  /** A subscription was added to the local trie (the filter may be a `$share/` one). */
  interestAdded(entry: SubEntry): void;
  /** A subscription left the local trie. */
  interestRemoved(entry: SubEntry): void;
}
