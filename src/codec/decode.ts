import { PacketType, type ProtocolVersion } from './constants.js';
import { malformed } from './errors.js';
import { decodeAck } from './packets/ack.js';
import { decodeAuth } from './packets/auth.js';
import { decodeConnack } from './packets/connack.js';
import { decodeConnect } from './packets/connect.js';
import { decodeDisconnect } from './packets/disconnect.js';
import { PINGREQ, PINGRESP } from './packets/ping.js';
import { decodePublish } from './packets/publish.js';
import { decodeSuback } from './packets/suback.js';
import { decodeSubscribe } from './packets/subscribe.js';
import { decodeUnsuback } from './packets/unsuback.js';
import { decodeUnsubscribe } from './packets/unsubscribe.js';
import { Reader } from './reader.js';
import type { Packet } from './types.js';

/** Decoding is synchronous and never re-entrant, so one cursor serves every packet. */
const reader = new Reader();

function reservedFlags(type: number, flags: number): never {
  throw malformed(
    'RESERVED_FLAGS',
    `invalid fixed header flags 0x${flags.toString(16)} for packet type ${type}`,
    'MQTT-2.1.3-1',
  );
}

/**
 * Checks the fixed-header flags of everything but PUBLISH [MQTT-2.1.3-1] ([MQTT-2.2.2-1] in
 * 3.1.1). MQTT 3.1 set QoS 1 and possibly DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE, so for level 3
 * the DUP bit is tolerated there.
 */
function checkFlags(type: number, flags: number, version: ProtocolVersion): void {
  if (
    type === PacketType.PUBREL ||
    type === PacketType.SUBSCRIBE ||
    type === PacketType.UNSUBSCRIBE
  ) {
    if (flags !== 2 && !(version === 3 && flags === 0x0a)) reservedFlags(type, flags);
  } else if (flags !== 0) {
    reservedFlags(type, flags);
  }
}

function noBody(body: Buffer): void {
  if (body.length !== 0) {
    throw malformed('TRAILING_BYTES', `${body.length} unexpected byte(s) at end of packet`);
  }
}

/**
 * Decodes one framed packet. `header` is the first byte, `body` the Remaining Length bytes.
 * `version` is the connection's protocol level; CONNECT is decoded whatever it says.
 * Throws MqttError for every violation; binary fields of the result are views into `body`.
 */
export function decodePacket(header: number, body: Buffer, version: ProtocolVersion): Packet {
  const type = header >> 4;
  if (type === PacketType.PUBLISH) return decodePublish(header, body, version);
  const flags = header & 0x0f;
  checkFlags(type, flags, version);
  const r = reader.reset(body, 0, body.length);
  switch (type) {
    case PacketType.CONNECT:
      return decodeConnect(r);
    case PacketType.CONNACK:
      return decodeConnack(r, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return decodeAck(type, r, version);
    case PacketType.SUBSCRIBE:
      return decodeSubscribe(r, version);
    case PacketType.SUBACK:
      return decodeSuback(r, version);
    case PacketType.UNSUBSCRIBE:
      return decodeUnsubscribe(r, version);
    case PacketType.UNSUBACK:
      return decodeUnsuback(r, version);
    case PacketType.PINGREQ:
      noBody(body);
      return PINGREQ;
    case PacketType.PINGRESP:
      noBody(body);
      return PINGRESP;
    case PacketType.DISCONNECT:
      return decodeDisconnect(r, version);
    case PacketType.AUTH:
      if (version !== 5) throw malformed('INVALID_PACKET_TYPE', 'AUTH exists only in MQTT 5.0');
      return decodeAuth(r);
    default:
      throw malformed('INVALID_PACKET_TYPE', `reserved packet type ${type}`, 'MQTT-2.1.2-1');
  }
}
