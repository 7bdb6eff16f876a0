import { PacketType, type ProtocolVersion } from '../constants.js';
import { protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { SubackPacket } from '../types.js';
import { varintLength } from '../varint.js';
import {
  allocPacket,
  checkPacketId,
  invalidReasonCode,
  readPacketId,
  reasonSet,
} from './common.js';

const V5_CODES = reasonSet(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2);
/** [MQTT-3.9.3-2]: 0x00, 0x01, 0x02 and 0x80 only. */
const V3_CODES = reasonSet(0x00, 0x01, 0x02, 0x80);

/** Decodes SUBACK: packet id, v5 properties, one return/reason code per subscription. */
export function decodeSuback(r: Reader, version: ProtocolVersion): SubackPacket {
  const packetId = readPacketId(r);
  const properties = version === 5 ? decodeProperties(r, PacketType.SUBACK) : undefined;
  const valid = version === 5 ? V5_CODES : V3_CODES;
  const reasonCodes: number[] = [];
  while (r.remaining > 0) {
    const c = r.u8();
    if (valid[c] !== 1) invalidReasonCode(c, 'SUBACK');
    reasonCodes.push(c);
  }
  if (reasonCodes.length === 0)
    throw protocolError('NO_REASON_CODES', 'SUBACK without return codes');
  return { type: PacketType.SUBACK, packetId, reasonCodes, properties };
}

/** Encodes SUBACK; before v5 every failure reason is sent as 0x80. */
export function encodeSuback(p: SubackPacket, version: ProtocolVersion): Buffer {
  checkPacketId(p.packetId);
  const valid = version === 5 ? V5_CODES : V3_CODES;
  const v5 = version === 5;
  for (const c of p.reasonCodes) {
    // Before v5 every failure is 0x80: v5 failure reasons are mapped rather than refused.
    if (valid[v5 || c < 0x80 ? c : 0x80] !== 1) invalidReasonCode(c, 'SUBACK');
  }
  let remaining = 2 + p.reasonCodes.length;
  let plen = 0;
  if (version === 5) {
    plen = propertiesLength(p.properties, PacketType.SUBACK);
    remaining += varintLength(plen) + plen;
  }
  const buf = allocPacket(0x90, remaining);
  let pos = 1 + varintLength(remaining);
  buf[pos] = p.packetId >>> 8;
  buf[pos + 1] = p.packetId & 0xff;
  pos += 2;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, plen);
  for (const c of p.reasonCodes) buf[pos++] = v5 || c < 0x80 ? c : 0x80;
  return buf;
}
