import type { AckPacket } from '../../codec/types.js';
import type { Connection } from '../connection.js';
import { completeInflight } from '../delivery.js';
import { DeliveryState } from '../message.js';

/** PUBCOMP from the client: the QoS 2 delivery is complete. Unknown ids are ignored. */
export function handlePubcomp(conn: Connection, p: AckPacket): void {
  const session = conn.session;
  const d = session?.inflight.get(p.packetId);
  if (session === undefined || d === undefined || d.state !== DeliveryState.AwaitingPubcomp) return;
  completeInflight(conn.broker, session, d);
}
