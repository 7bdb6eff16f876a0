import { PacketType } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { protocolError } from '../codec/errors.js';
import type { Packet } from '../codec/types.js';
import { ConnState } from './conn-state.js';
import type { Connection } from './connection.js';
import { handleAuth } from './handlers/auth.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handlePingreq } from './handlers/pingreq.js';
import { handlePuback } from './handlers/puback.js';
import { handlePubcomp } from './handlers/pubcomp.js';
import { handlePublish } from './handlers/publish.js';
import { handlePubrec } from './handlers/pubrec.js';
import { handlePubrel } from './handlers/pubrel.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { fail } from './refuse.js';

const PUBACK_HEADER = PacketType.PUBACK << 4;

/**
 * Decodes one frame and runs its handler: the packet-type switch. Every error thrown by the codec
 * or a handler ends up in `fail` (refuse.ts), where errors become reason codes.
 */
export function dispatchFrame(conn: Connection, header: number, body: Buffer): void {
  if (conn.state === ConnState.Closed) return;
  if (conn.blocked && !conn.passesThrottle(header)) {
    conn.hold(header, body);
    return;
  }
  try {
    if (conn.state === ConnState.AwaitConnect) {
      if (header >> 4 !== PacketType.CONNECT) {
        throw protocolError(
          'FIRST_PACKET_NOT_CONNECT',
          'first packet is not CONNECT',
          'MQTT-3.1.0-1',
        );
      }
      // Reply in the client's dialect even when the rest of its CONNECT is unreadable.
      conn.protocolVersion = peekProtocolLevel(body);
      conn.sawConnect = true;
    }
    // The commonest frame of QoS 1 traffic, a PUBACK without reason code or properties, needs no
    // packet object (a zero packet id takes the full decode, which refuses it).
    if (header === PUBACK_HEADER && body.length === 2 && conn.state === ConnState.Connected) {
      const id = ((body[0] as number) << 8) | (body[1] as number);
      if (id !== 0) {
        handlePuback(conn, id);
        return;
      }
    }
    const packet = decodePacket(header, body, conn.protocolVersion);
    route(conn, packet);
  } catch (err) {
    fail(conn, err);
  }
}

function route(conn: Connection, packet: Packet): void {
  if (conn.state === ConnState.Authenticating && packet.type !== PacketType.AUTH) {
    throw protocolError(
      'PACKET_DURING_AUTH',
      'packet before authentication completed',
      'MQTT-4.12.0-4',
    );
  }
  switch (packet.type) {
    case PacketType.PUBLISH:
      handlePublish(conn, packet);
      return;
    case PacketType.PUBACK:
      handlePuback(conn, packet.packetId);
      return;
    case PacketType.PUBREC:
      handlePubrec(conn, packet);
      return;
    case PacketType.PUBREL:
      handlePubrel(conn, packet);
      return;
    case PacketType.PUBCOMP:
      handlePubcomp(conn, packet);
      return;
    case PacketType.PINGREQ:
      handlePingreq(conn);
      return;
    case PacketType.SUBSCRIBE:
      handleSubscribe(conn, packet);
      return;
    case PacketType.UNSUBSCRIBE:
      handleUnsubscribe(conn, packet);
      return;
    case PacketType.DISCONNECT:
      handleDisconnect(conn, packet);
      return;
    case PacketType.CONNECT:
      if (conn.state !== ConnState.AwaitConnect) {
        throw protocolError('SECOND_CONNECT', 'second CONNECT on one connection', 'MQTT-3.1.0-2');
      }
      handleConnect(conn, packet);
      return;
    case PacketType.AUTH:
      if (conn.protocolVersion !== 5) {
        throw protocolError('AUTH_NOT_V5', 'AUTH is an MQTT 5 packet', 'MQTT-2.1.3-1');
      }
      handleAuth(conn, packet);
      return;
    case PacketType.CONNACK:
    case PacketType.SUBACK:
    case PacketType.UNSUBACK:
    case PacketType.PINGRESP:
      throw protocolError(
        'SERVER_ONLY_PACKET',
        `packet type ${packet.type} is sent by servers only`,
      );
  }
}

/** Protocol level byte of a CONNECT body (after the protocol name), defaulting to 4. */
function peekProtocolLevel(body: Buffer): 3 | 4 | 5 {
  if (body.length < 2) return 4;
  const nameLen = body.readUInt16BE(0);
  const level = body[2 + nameLen];
  return level === 3 || level === 5 ? level : 4;
}
