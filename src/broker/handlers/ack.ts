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
  // The common ack (success, no properties) is the same 4 bytes in every version.
  let bytes =
    reasonCode === 0 && properties === undefined
      ? shortAck(type, packetId)
      : encodePacket({ type, packetId, reasonCode, properties }, conn.protocolVersion);
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
  const persist = conn.broker.persist;
  if (persist.holdsAcks && (persist.dirty || conn.hasHeldAcks)) {
    conn.holdAck(persist.seq, bytes, conn.broker.options.receiveMaximum);
    persist.awaitCommit(conn);
    return;
  }
  conn.write(bytes);
}

function shortAck(type: AckType, packetId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  // PUBREL carries the reserved flag bits 0010.
  b[0] = (type << 4) | (type === PacketType.PUBREL ? 2 : 0);
  b[1] = 2;
  b[2] = packetId >> 8;
  b[3] = packetId & 0xff;
  return b;
}
