import { MAX_VARINT } from './constants.js';
import { malformed } from './errors.js';

/** Bytes needed to encode `n` as a Variable Byte Integer (1..4). */
export function varintLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/** Writes `n` as a Variable Byte Integer at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n > MAX_VARINT || n < 0) {
    throw malformed('VARINT_OUT_OF_RANGE', `variable byte integer out of range: ${n}`);
  }
  while (n >= 128) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/**
 * Bytes consumed by the last successful {@link readVarint}. A module variable rather than a
 * returned tuple so that decoding allocates nothing.
 */
export let varintBytes = 0;

/**
 * Reads a Variable Byte Integer from `buf[pos..end)`. Returns -1 when more bytes are needed.
 * Throws on a fifth byte or a non-minimal encoding [MQTT-1.5.5-1].
 */
export function readVarint(buf: Buffer, pos: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (pos + i >= end) return -1;
    const byte = buf[pos + i] as number;
    value += (byte & 0x7f) * mul;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) {
        throw malformed(
          'NON_MINIMAL_VARINT',
          'variable byte integer not minimally encoded',
          'MQTT-1.5.5-1',
        );
      }
      varintBytes = i + 1;
      return value;
    }
    mul *= 128;
  }
  throw malformed('MALFORMED_VARINT', 'variable byte integer longer than 4 bytes', 'MQTT-1.5.5-1');
}
