import { PacketType } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { encodePacket } from '../codec/encode.js';
import { MqttError, protocolError } from '../codec/errors.js';
import { ConnackReturnCode, ReasonCode } from '../codec/reason-codes.js';
import type { Packet } from '../codec/types.js';
import type { Connection } from './connection.js';
import { ConnState } from './connection.js';
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

const PUBACK_HEADER = PacketType.PUBACK << 4;

/**
 * Decodes one frame and runs its handler. Every error thrown by the codec or a handler ends up
 * in {@link fail}: this module is the one place where errors become reason codes.
 */
export function dispatchFrame(conn: Connection, header: number, body: Buffer): void {
  if (conn.state === ConnState.Closed) return;
  if (conn.blocked) {
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

/** Reason codes a server may put in a v5 CONNACK. */
const CONNACK_CODES = new Set([
  0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99,
  0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
]);

/** Reason codes a server may put in a v5 DISCONNECT. */
const DISCONNECT_CODES = new Set([
  0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
  0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/** MQTT 3.x CONNACK return code for a v5 reason, or -1 when 3.x just closes. */
function v3ReturnCode(reason: number): number {
  switch (reason) {
    case ReasonCode.UnsupportedProtocolVersion:
      return ConnackReturnCode.UnacceptableProtocolVersion;
    case ReasonCode.ClientIdentifierNotValid:
      return ConnackReturnCode.IdentifierRejected;
    case ReasonCode.BadUserNameOrPassword:
    case ReasonCode.BadAuthenticationMethod:
      return ConnackReturnCode.BadUserNameOrPassword;
    case ReasonCode.NotAuthorized:
    case ReasonCode.Banned:
      return ConnackReturnCode.NotAuthorized;
    case ReasonCode.ServerUnavailable:
    case ReasonCode.ServerBusy:
    case ReasonCode.QuotaExceeded:
    case ReasonCode.ConnectionRateExceeded:
    case ReasonCode.UseAnotherServer:
    case ReasonCode.ServerMoved:
      return ConnackReturnCode.ServerUnavailable;
    default:
      return -1;
  }
}

/**
 * Ends a connection because of `err`: a v5 client gets CONNACK (before it is connected) or
 * DISCONNECT with the reason code, a 3.x client a CONNACK return code where one exists, then the
 * connection closes (will published). Logged once.
 */
export function fail(conn: Connection, err: unknown, reasonString?: string): void {
  if (conn.state === ConnState.Closed) return;
  const broker = conn.broker;
  let reason: number = ReasonCode.UnspecifiedError;
  if (err instanceof MqttError) {
    reason = err.reasonCode;
    broker.log.info(
      { clientId: conn.clientId, code: err.code, reasonCode: reason, statement: err.statement },
      `closing connection: ${err.message}`,
    );
  } else {
    reason = ReasonCode.ImplementationSpecificError;
    broker.log.error({ clientId: conn.clientId, err }, 'internal error, closing connection');
  }
  if (err instanceof MqttError && err.code === 'BAD_PROTOCOL_NAME' && conn.protocolVersion !== 5) {
    // [MQTT-3.1.2-1] 3.x: an unknown protocol name just closes the connection.
    broker.closeConnection(conn, 'bad protocol name', false);
    return;
  }
  rejectWith(conn, reason, reasonString, true);
}

/**
 * Sends the refusal for `reason` in the right packet for the connection's phase and version,
 * then closes. `publishWill` is false only for administrative closes that must not fire it.
 */
export function rejectWith(
  conn: Connection,
  reason: number,
  reasonString: string | undefined,
  publishWill: boolean,
  serverReference?: string,
): void {
  if (conn.state === ConnState.Closed) return;
  const v5 = conn.protocolVersion === 5;
  try {
    if (conn.state === ConnState.Connected) {
      if (v5) {
        const code = DISCONNECT_CODES.has(reason) ? reason : ReasonCode.UnspecifiedError;
        let bytes = encodePacket(
          {
            type: PacketType.DISCONNECT,
            reasonCode: code,
            properties: props(reasonString, serverReference),
          },
          5,
        );
        if (conn.maxOutPacketSize !== 0 && bytes.length > conn.maxOutPacketSize) {
          // [MQTT-3.14.2-3] properties that would exceed the client's limit are left out.
          bytes = encodePacket(
            { type: PacketType.DISCONNECT, reasonCode: code, properties: undefined },
            5,
          );
        }
        conn.write(bytes);
      }
    } else if (conn.sawConnect) {
      if (v5) {
        const code = CONNACK_CODES.has(reason) ? reason : ReasonCode.UnspecifiedError;
        conn.write(
          encodePacket(
            {
              type: PacketType.CONNACK,
              sessionPresent: false,
              reasonCode: code,
              properties: props(reasonString, serverReference),
            },
            5,
          ),
        );
      } else {
        const rc = v3ReturnCode(reason);
        if (rc > 0) {
          conn.write(
            encodePacket(
              {
                type: PacketType.CONNACK,
                sessionPresent: false,
                reasonCode: rc,
                properties: undefined,
              },
              4,
            ),
          );
        }
      }
    }
    // Before any CONNECT (first packet not CONNECT, unreadable bytes): close without CONNACK.
  } catch (err) {
    conn.broker.log.error({ err }, 'failed to encode a refusal');
  }
  conn.broker.closeConnection(conn, `reason 0x${reason.toString(16)}`, publishWill);
}

function props(reasonString: string | undefined, serverReference: string | undefined) {
  if (reasonString === undefined && serverReference === undefined) return undefined;
  const p: { reasonString?: string; serverReference?: string } = {};
  if (reasonString !== undefined) p.reasonString = reasonString;
  if (serverReference !== undefined) p.serverReference = serverReference;
  return p;
}
