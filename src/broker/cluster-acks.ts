import { PacketType } from '../codec/constants.js';
import { MqttError } from '../codec/errors.js';
import { ReasonCode } from '../codec/reason-codes.js';
import type { Properties } from '../codec/types.js';
import type { ClusterLink } from './cluster-link.js';
import { ConnState } from './conn-state.js';
import type { Connection } from './connection.js';
import { sendAck } from './handlers/ack.js';
import { fail } from './refuse.js';

type PublishAck = typeof PacketType.PUBACK | typeof PacketType.PUBREC;

/** One PUBACK/PUBREC waiting for the cluster (or for an earlier one that does). */
class DeferredAck {
  settled = false;
  ok = true;
  constructor(
    readonly type: PublishAck,
    readonly packetId: number,
    readonly code: number,
    readonly why: Properties | undefined,
  ) {}
}

/**
 * Acks of a publisher whose messages are being forwarded to other nodes, in the order its
 * PUBLISH packets came ([MQTT-4.6.0-2]: an ack that needs no forward still waits behind one that
 * does). Only connections with a forward outstanding have an entry.
 */
const waiting = new WeakMap<Connection, DeferredAck[]>();

/**
 * Sends the PUBACK/PUBREC of a message once `confirmed` (the other nodes queued it) resolves
 * true, after every earlier deferred ack of `conn`. A false (a node did not confirm in time, or
 * NATS is unreachable) sends no ack: the publisher is disconnected (v5: DISCONNECT 0x89 Server
 * busy) so that it resends the message when it reconnects, as MQTT makes it do.
 * Returns false (the caller acks at once) when neither this nor an earlier ack waits.
 */
export function deferAck(
  conn: Connection,
  confirmed: Promise<boolean> | undefined,
  type: PublishAck,
  packetId: number,
  code: number,
  why: Properties | undefined,
): boolean {
  let queue = waiting.get(conn);
  if (confirmed === undefined && queue === undefined) return false;
  if (queue === undefined) {
    queue = [];
    waiting.set(conn, queue);
  }
  const d = new DeferredAck(type, packetId, code, why);
  queue.push(d);
  if (confirmed === undefined) {
    d.settled = true;
    return true;
  }
  const q = queue;
  confirmed.then(
    (ok) => settle(conn, q, d, ok),
    () => settle(conn, q, d, false),
  );
  return true;
}

function settle(conn: Connection, queue: DeferredAck[], d: DeferredAck, ok: boolean): void {
  d.settled = true;
  d.ok = ok;
  if (conn.state === ConnState.Closed) {
    waiting.delete(conn);
    return;
  }
  let i = 0;
  for (; i < queue.length; i++) {
    const head = queue[i] as DeferredAck;
    if (!head.settled) break;
    if (!head.ok) {
      waiting.delete(conn);
      fail(
        conn,
        new MqttError(
          'CLUSTER_FORWARD_FAILED',
          `message (packet id ${head.packetId}) not confirmed by every node in time`,
          ReasonCode.ServerBusy,
        ),
      );
      return;
    }
    sendAck(conn, head.type, head.packetId, head.code, head.why);
  }
  queue.splice(0, i);
  if (queue.length === 0) waiting.delete(conn);
}

/** Whether a PUBREC for `packetId` of `conn` is still waiting (a resend must not ack early). */
export function ackPending(conn: Connection, packetId: number): boolean {
  const queue = waiting.get(conn);
  if (queue === undefined) return false;
  for (const d of queue) if (d.packetId === packetId && d.type === PacketType.PUBREC) return true;
  return false;
}

/**
 * A QoS 2 PUBLISH resent before PUBREL: no new delivery ([MQTT-4.3.3-9]). Its PUBREC goes out
 * when the forward of the first copy is confirmed; if that forward failed, the message is
 * forwarded again under the same message id (the other nodes drop copies they already have).
 */
export function resendQos2(conn: Connection, cluster: ClusterLink, packetId: number): void {
  if (ackPending(conn, packetId)) return;
  const again = cluster.reforward(conn.clientId, packetId);
  if (!deferAck(conn, again, PacketType.PUBREC, packetId, 0, undefined)) {
    sendAck(conn, PacketType.PUBREC, packetId, 0);
  }
}
