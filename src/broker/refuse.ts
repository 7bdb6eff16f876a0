import { PacketType } from '../codec/constants.js';
import { encodePacket } from '../codec/encode.js';
import { MqttError } from '../codec/errors.js';
import { ConnackReturnCode, ReasonCode } from '../codec/reason-codes.js';
import { ConnState } from './conn-state.js';
import type { Connection } from './connection.js';

// The one place where errors become reason codes: what a refusal looks like on the wire for the
// connection's phase (before or after CONNACK) and protocol version, then the close.

/** Reason codes a server may put in a v5 CONNACK. */
const CONNACK_CODES = new Set([
  0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99,
  0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
]);

/** Reason codes a server may put in a v5 DISCONNECT. */
export const DISCONNECT_CODES: ReadonlySet<number> = new Set([
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

/** A client exceeded its message or byte rate: v5 DISCONNECT 0x96, 3.x close. */
export function rateExceeded(conn: Connection, what: string): void {
  const broker = conn.broker;
  broker.stats.rateLimited++;
  broker.log.info({ clientId: conn.clientId, limit: what }, 'rate limit exceeded, disconnecting');
  rejectWith(conn, ReasonCode.MessageRateTooHigh, `${what} limit exceeded`, true);
}
