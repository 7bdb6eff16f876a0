import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { AckPacket } from '../../codec/types.js';
import type { Connection } from '../connection.js';
import { completeInflight } from '../delivery.js';
import { DeliveryState } from '../message.js';
import { sendAck } from './ack.js';

/**
 * PUBREC from the client: answer PUBREL and wait for PUBCOMP. A PUBREC with an error reason ends
 * the flow; an unknown id gets PUBREL 0x92 (v5).
 */
export function handlePubrec(conn: Connection, p: AckPacket): void {
  const session = conn.session;
  if (session === undefined) return;
  const d = session.inflight.get(p.packetId);
  if (d === undefined || d.state === DeliveryState.AwaitingPuback) {
    conn.write(
      encodePacket(
        {
          type: PacketType.PUBREL,
          packetId: p.packetId,
          reasonCode: ReasonCode.PacketIdentifierNotFound,
          properties: undefined,
        },
        conn.protocolVersion,
      ),
    );
    return;
  }
  if (p.reasonCode >= 0x80) {
    completeInflight(conn.broker, session, d);
    return;
  }
  if (d.state === DeliveryState.AwaitingPubrec) {
    d.state = DeliveryState.AwaitingPubcomp;
    conn.broker.persist.inflightPut(session, d);
  }
  // Held in `sync` mode until the AwaitingPubcomp state is durable: after a crash before that,
  // the restarted broker would resend the PUBLISH, which a receiver that was already released
  // takes as a new message (a QoS 2 duplicate).
  sendAck(conn, PacketType.PUBREL, p.packetId, 0);
}
