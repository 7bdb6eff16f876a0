import type { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import type { Properties } from '../../codec/types.js';
import type { Connection } from '../connection.js';
import { writeShortAck } from '../held-acks.js';

type AckType =
  | typeof PacketType.PUBACK
  | typeof PacketType.PUBREC
  | typeof PacketType.PUBREL
  | typeof PacketType.PUBCOMP;

/**
 * Sends PUBACK/PUBREC/PUBREL/PUBCOMP. In `sync` durability an ack that follows store changes is
 * held until the batch holding them is committed (no closure per message: the connection keeps
 * the commit number and, for the common 4-byte ack, just its type and packet id).
 */
export function sendAck(
  conn: Connection,
  type: AckType,
  packetId: number,
  reasonCode: number,
  properties?: Properties,
): void {
  const persist = conn.broker.persist;
  const hold = persist.holdsAcks && (persist.dirty || conn.hasHeldAcks);
  // The common ack (success, no properties) is the same 4 bytes in every version.
  if (reasonCode === 0 && properties === undefined) {
    if (hold) {
      conn.holdShortAck(persist.seq, type, packetId, conn.broker.options.receiveMaximum);
      persist.awaitCommit(conn);
    } else conn.write(shortAck(type, packetId));
    return;
  }
  let bytes = encodePacket({ type, packetId, reasonCode, properties }, conn.protocolVersion);
  if (
    properties !== undefined &&
    conn.maxOutPacketSize !== 0 &&
    bytes.length > conn.maxOutPacketSize
  ) {
    // [MQTT-3.4.2-2] a reason string that would exceed the client's limit is left out.
    bytes = encodePacket(
      { type, packetId, reasonCode, properties: undefined },
      conn.protocolVersion,
    );
  }
  if (hold) {
    conn.holdAck(persist.seq, bytes, conn.broker.options.receiveMaximum);
    persist.awaitCommit(conn);
    return;
  }
  conn.write(bytes);
}

function shortAck(type: AckType, packetId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  writeShortAck(b, 0, type, packetId);
  return b;
}
