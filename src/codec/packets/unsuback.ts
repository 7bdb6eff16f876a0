import { PacketType, type ProtocolVersion } from '../constants.js';
import { protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { Properties, UnsubackPacket } from '../types.js';
import { varintLength } from '../varint.js';
import {
  allocPacket,
  checkPacketId,
  invalidReasonCode,
  readPacketId,
  reasonSet,
} from './common.js';

const V5_CODES = reasonSet(0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91);

/** Decodes UNSUBACK: packet id, and in v5 properties and one reason code per filter. */
export function decodeUnsuback(r: Reader, version: ProtocolVersion): UnsubackPacket {
  const packetId = readPacketId(r);
  const reasonCodes: number[] = [];
  let properties: Properties | undefined;
  if (version === 5) {
    properties = decodeProperties(r, PacketType.UNSUBACK);
    while (r.remaining > 0) {
      const c = r.u8();
      if (V5_CODES[c] !== 1) invalidReasonCode(c, 'UNSUBACK');
      reasonCodes.push(c);
    }
    if (reasonCodes.length === 0) {
      throw protocolError('NO_REASON_CODES', 'UNSUBACK without reason codes');
    }
  }
  r.done();
  return { type: PacketType.UNSUBACK, packetId, reasonCodes, properties };
}

/** Encodes UNSUBACK; reason codes and properties are v5 only. */
export function encodeUnsuback(p: UnsubackPacket, version: ProtocolVersion): Buffer {
  checkPacketId(p.packetId);
  let remaining = 2;
  let plen = 0;
  if (version === 5) {
    for (const c of p.reasonCodes) if (V5_CODES[c] !== 1) invalidReasonCode(c, 'UNSUBACK');
    plen = propertiesLength(p.properties, PacketType.UNSUBACK);
    remaining += varintLength(plen) + plen + p.reasonCodes.length;
  }
  const buf = allocPacket(0xb0, remaining);
  let pos = 1 + varintLength(remaining);
  buf[pos] = p.packetId >>> 8;
  buf[pos + 1] = p.packetId & 0xff;
  pos += 2;
  if (version === 5) {
    pos = writeProperties(buf, pos, p.properties, plen);
    for (const c of p.reasonCodes) buf[pos++] = c;
  }
  return buf;
}
