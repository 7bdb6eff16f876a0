import { PacketType, type ProtocolVersion } from '../constants.js';
import { malformed } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { ConnackPacket } from '../types.js';
import { varintLength } from '../varint.js';
import { allocPacket, checkByte, invalidReasonCode, reasonSet } from './common.js';

const V5_CODES = reasonSet(
  0x00,
  0x80,
  0x81,
  0x82,
  0x83,
  0x84,
  0x85,
  0x86,
  0x87,
  0x88,
  0x89,
  0x8a,
  0x8c,
  0x90,
  0x95,
  0x97,
  0x99,
  0x9a,
  0x9b,
  0x9c,
  0x9d,
  0x9f,
);

function checkCode(code: number, version: ProtocolVersion): void {
  if (version === 5 ? V5_CODES[code] !== 1 : code > 5) invalidReasonCode(code, 'CONNACK');
}

/** Decodes CONNACK: flags, return/reason code, v5 properties. */
export function decodeConnack(r: Reader, version: ProtocolVersion): ConnackPacket {
  const flags = r.u8();
  // MQTT 3.1 had no Connect Acknowledge Flags: the byte was reserved and unchecked.
  if (version !== 3 && (flags & 0xfe) !== 0) {
    throw malformed('RESERVED_FLAGS', 'CONNACK reserved flags set', 'MQTT-3.2.2-1');
  }
  const reasonCode = r.u8();
  checkCode(reasonCode, version);
  const properties = version === 5 ? decodeProperties(r, PacketType.CONNACK) : undefined;
  r.done();
  return {
    type: PacketType.CONNACK,
    sessionPresent: version !== 3 && (flags & 1) !== 0,
    reasonCode,
    properties,
  };
}

/** Encodes CONNACK; Session Present is always 0 for MQTT 3.1, which has no such flag. */
export function encodeConnack(p: ConnackPacket, version: ProtocolVersion): Buffer {
  checkByte(p.reasonCode, 'CONNACK reason code');
  checkCode(p.reasonCode, version);
  let plen = 0;
  let remaining = 2;
  if (version === 5) {
    plen = propertiesLength(p.properties, PacketType.CONNACK);
    remaining += varintLength(plen) + plen;
  }
  const buf = allocPacket(0x20, remaining);
  const pos = 1 + varintLength(remaining);
  buf[pos] = p.sessionPresent && version !== 3 ? 1 : 0;
  buf[pos + 1] = p.reasonCode;
  if (version === 5) writeProperties(buf, pos + 2, p.properties, plen);
  return buf;
}
