import { PacketType } from '../../codec/constants.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { AckPacket } from '../../codec/types.js';
import type { Connection } from '../connection.js';
import { sendAck } from './ack.js';

/** PUBREL from the client: forget the QoS 2 packet id and answer PUBCOMP (0x92 if unknown, v5). */
export function handlePubrel(conn: Connection, p: AckPacket): void {
  const session = conn.session;
  if (session === undefined) return;
  const known = session.inboundQos2.delete(p.packetId);
  if (known) conn.broker.persist.incomingDelete(session, p.packetId);
  sendAck(conn, PacketType.PUBCOMP, p.packetId, known ? 0 : ReasonCode.PacketIdentifierNotFound);
}
