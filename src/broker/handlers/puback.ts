import type { Connection } from '../connection.js';
import { completeInflight } from '../delivery.js';
import { DeliveryState } from '../message.js';

/** PUBACK from the client: the QoS 1 delivery is complete. Unknown ids are ignored. */
export function handlePuback(conn: Connection, packetId: number): void {
  const session = conn.session;
  const d = session?.inflight.get(packetId);
  if (session === undefined || d === undefined || d.state !== DeliveryState.AwaitingPuback) return;
  completeInflight(conn.broker, session, d);
}
