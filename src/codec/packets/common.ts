import { malformed, protocolError } from '../errors.js';
import type { Reader } from '../reader.js';
import { varintLength, writeVarint } from '../varint.js';
import { allocBuffer } from '../writer.js';

/** Allocates an exactly-sized packet buffer and writes its fixed header; returns the buffer. */
export function allocPacket(header: number, remaining: number): Buffer {
  const buf = allocBuffer(1 + varintLength(remaining) + remaining);
  buf[0] = header;
  writeVarint(buf, 1, remaining);
  return buf;
}

/** Position of the variable header in a buffer made by {@link allocPacket}. */
export function bodyStart(remaining: number): number {
  return 1 + varintLength(remaining);
}

/** Reads a Packet Identifier that must be non-zero [MQTT-2.2.1-3] ([MQTT-2.3.1-1] in 3.1.1). */
export function readPacketId(r: Reader): number {
  const id = r.u16();
  if (id === 0) throw protocolError('PACKET_ID_ZERO', 'packet identifier 0', 'MQTT-2.2.1-3');
  return id;
}

/** Throws unless `id` can be sent as a Packet Identifier. */
export function checkPacketId(id: number): void {
  if (!(id >= 1 && id <= 0xffff && (id | 0) === id)) {
    throw protocolError('PACKET_ID_ZERO', `invalid packet identifier ${id}`, 'MQTT-2.2.1-3');
  }
}

/** Throws unless `v` is an integer in 0..255 (reason codes, return codes). */
export function checkByte(v: number, what: string): void {
  if (!(v >= 0 && v <= 255 && (v | 0) === v)) {
    throw malformed('INVALID_PACKET', `${what} out of range: ${v}`);
  }
}

/** Throws INVALID_REASON_CODE for a code not defined for `packet`. */
export function invalidReasonCode(code: number, packet: string): never {
  throw malformed(
    'INVALID_REASON_CODE',
    `reason code 0x${code.toString(16)} not valid in ${packet}`,
  );
}

/** Bit set of valid reason codes as a 256-entry lookup. */
export function reasonSet(...codes: number[]): Uint8Array {
  const s = new Uint8Array(256);
  for (const c of codes) s[c] = 1;
  return s;
}
