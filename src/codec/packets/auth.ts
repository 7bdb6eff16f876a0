import { PacketType } from '../constants.js';
import { protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import type { AuthPacket, Properties } from '../types.js';
import { varintLength } from '../varint.js';
import { allocPacket, checkByte, invalidReasonCode, reasonSet } from './common.js';

const CODES = reasonSet(0x00, 0x18, 0x19);

/** Decodes AUTH (v5 only); Remaining Length 0 means Success with no properties. */
export function decodeAuth(r: Reader): AuthPacket {
  let reasonCode = 0;
  let properties: Properties | undefined;
  if (r.remaining > 0) {
    reasonCode = r.u8();
    if (CODES[reasonCode] !== 1) invalidReasonCode(reasonCode, 'AUTH');
    if (r.remaining > 0) properties = decodeProperties(r, PacketType.AUTH);
  }
  r.done();
  if (
    properties !== undefined &&
    properties.authenticationData !== undefined &&
    properties.authenticationMethod === undefined
  ) {
    throw protocolError('INVALID_PROPERTY_VALUE', 'authentication data without a method');
  }
  return { type: PacketType.AUTH, reasonCode, properties };
}

/** Encodes AUTH; reason 0 without properties uses the short form (Remaining Length 0). */
export function encodeAuth(p: AuthPacket): Buffer {
  checkByte(p.reasonCode, 'reason code');
  if (CODES[p.reasonCode] !== 1) invalidReasonCode(p.reasonCode, 'AUTH');
  const plen = propertiesLength(p.properties, PacketType.AUTH);
  if (plen === 0 && p.reasonCode === 0) return Buffer.from([0xf0, 0x00]);
  const remaining = 1 + varintLength(plen) + plen;
  const buf = allocPacket(0xf0, remaining);
  const pos = 1 + varintLength(remaining);
  buf[pos] = p.reasonCode;
  writeProperties(buf, pos + 1, p.properties, plen);
  return buf;
}
