import { PacketType, type ProtocolVersion } from '../constants.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { DisconnectPacket, Properties } from '../types.js';
import { varintLength } from '../varint.js';
import { allocPacket, checkByte, invalidReasonCode, reasonSet } from './common.js';

const V5_CODES = reasonSet(
  0x00,
  0x04,
  0x80,
  0x81,
  0x82,
  0x83,
  0x87,
  0x89,
  0x8b,
  0x8d,
  0x8e,
  0x8f,
  0x90,
  0x93,
  0x94,
  0x95,
  0x96,
  0x97,
  0x98,
  0x99,
  0x9a,
  0x9b,
  0x9c,
  0x9d,
  0x9e,
  0x9f,
  0xa0,
  0xa1,
  0xa2,
);

/** Decodes DISCONNECT; v5 Remaining Length 0 means Normal disconnection (0x00). */
export function decodeDisconnect(r: Reader, version: ProtocolVersion): DisconnectPacket {
  let reasonCode = 0;
  let properties: Properties | undefined;
  if (version === 5 && r.remaining > 0) {
    reasonCode = r.u8();
    if (V5_CODES[reasonCode] !== 1) invalidReasonCode(reasonCode, 'DISCONNECT');
    if (r.remaining > 0) properties = decodeProperties(r, PacketType.DISCONNECT);
  }
  r.done();
  return { type: PacketType.DISCONNECT, reasonCode, properties };
}

/** Encodes DISCONNECT; v5 reason 0 without properties uses the short form. */
export function encodeDisconnect(p: DisconnectPacket, version: ProtocolVersion): Buffer {
  if (version === 5) {
    checkByte(p.reasonCode, 'reason code');
    if (V5_CODES[p.reasonCode] !== 1) invalidReasonCode(p.reasonCode, 'DISCONNECT');
    const plen = propertiesLength(p.properties, PacketType.DISCONNECT);
    if (plen > 0 || p.reasonCode !== 0) {
      const remaining = 1 + (plen > 0 ? varintLength(plen) + plen : 0);
      const buf = allocPacket(0xe0, remaining);
      const pos = 1 + varintLength(remaining);
      buf[pos] = p.reasonCode;
      if (plen > 0) writeProperties(buf, pos + 1, p.properties, plen);
      return buf;
    }
  }
  return Buffer.from([0xe0, 0x00]);
}
