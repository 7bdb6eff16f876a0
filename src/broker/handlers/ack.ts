import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import type { Properties } from '../../codec/types.js';
import type { Connection } from '../connection.js';

type AckType =
  | typeof PacketType.PUBACK
  | typeof PacketType.PUBREC
  | typeof PacketType.PUBREL
  | typeof PacketType.PUBCOMP;

/**
 * Sends PUBACK/PUBREC/PUBREL/PUBCOMP. In `sync` durability an ack that follows store changes is
 * held until the batch holding them is committed (no closure per message: the connection keeps
 * a queue of (commit number, bytes)).
 */
export function sendAck(
  conn: Connection,
  type: AckType,
  packetId: number,
  reasonCode: number,
  properties?: Properties,
): void {
  const bytes = encodePacket(
    { type, packetId, reasonCode, properties },
    conn.protocolVersion,
  );
  const persist = conn.broker.persist;
  if (persist.holdsAcks && (persist.dirty || conn.hasHeldAcks)) {
    conn.holdAck(persist.seq, bytes);
    persist.awaitCommit(conn);
    return;
  }
  conn.write(bytes);
}
