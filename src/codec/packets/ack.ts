import { PacketType, type ProtocolVersion } from '../constants.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { AckPacket, Properties } from '../types.js';
import { varintLength } from '../varint.js';
import { allocBuffer } from '../writer.js';
import {
  allocPacket,
  checkByte,
  checkPacketId,
  invalidReasonCode,
  readPacketId,
  reasonSet,
} from './common.js';

/** PUBACK / PUBREC reason codes (sections 3.4.2.1, 3.5.2.1). */
const PUB_CODES = reasonSet(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99);
/** PUBREL / PUBCOMP reason codes (sections 3.6.2.1, 3.7.2.1). */
const REL_CODES = reasonSet(0x00, 0x92);
const NAMES = ['', '', '', '', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP'];

type AckType = AckPacket['type'];

function validCodes(type: AckType): Uint8Array {
  return type === PacketType.PUBACK || type === PacketType.PUBREC ? PUB_CODES : REL_CODES;
}

/**
 * Decodes PUBACK, PUBREC, PUBREL or PUBCOMP. In v5 the reason code and properties may be
 * omitted (Remaining Length 2 means Success, 3 means no properties).
 */
export function decodeAck(type: AckType, r: Reader, version: ProtocolVersion): AckPacket {
  const packetId = readPacketId(r);
  let reasonCode = 0;
  let properties: Properties | undefined;
  if (version === 5 && r.remaining > 0) {
    reasonCode = r.u8();
    if (validCodes(type)[reasonCode] !== 1) invalidReasonCode(reasonCode, NAMES[type] as string);
    if (r.remaining > 0) properties = decodeProperties(r, type);
  }
  r.done();
  return { type, packetId, reasonCode, properties };
}

/** Encodes an ack; v5 uses the short form when the reason is 0 and there are no properties. */
export function encodeAck(p: AckPacket, version: ProtocolVersion): Buffer {
  checkPacketId(p.packetId);
  const header = (p.type << 4) | (p.type === PacketType.PUBREL ? 2 : 0);
  if (version === 5) {
    const code = p.reasonCode;
    checkByte(code, 'reason code');
    if (validCodes(p.type)[code] !== 1) invalidReasonCode(code, NAMES[p.type] as string);
    const plen = propertiesLength(p.properties, p.type);
    if (plen > 0 || code !== 0) {
      const remaining = 3 + (plen > 0 ? varintLength(plen) + plen : 0);
      const buf = allocPacket(header, remaining);
      const pos = 1 + varintLength(remaining);
      buf[pos] = p.packetId >>> 8;
      buf[pos + 1] = p.packetId & 0xff;
      buf[pos + 2] = code;
      if (plen > 0) writeProperties(buf, pos + 3, p.properties, plen);
      return buf;
    }
  }
  const buf = allocBuffer(4);
  buf[0] = header;
  buf[1] = 2;
  buf[2] = p.packetId >>> 8;
  buf[3] = p.packetId & 0xff;
  return buf;
}
