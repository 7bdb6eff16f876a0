/**
 * Primitive writers into a pre-sized Buffer. Each takes the position to write at and returns the
 * position after what it wrote; lengths are computed beforehand so no bounds checks are needed.
 */

export function writeU8(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v;
  return pos + 1;
}

export function writeU16(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v >>> 8;
  buf[pos + 1] = v & 0xff;
  return pos + 2;
}

export function writeU32(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v >>> 24;
  buf[pos + 1] = (v >>> 16) & 0xff;
  buf[pos + 2] = (v >>> 8) & 0xff;
  buf[pos + 3] = v & 0xff;
  return pos + 4;
}

/** Binary Data: 2-byte length then the bytes. */
export function writeBinary(buf: Buffer, pos: number, data: Uint8Array): number {
  const n = data.length;
  buf[pos] = n >>> 8;
  buf[pos + 1] = n & 0xff;
  buf.set(data, pos + 2);
  return pos + 2 + n;
}

/** Raw bytes with no length prefix. */
export function writeBytes(buf: Buffer, pos: number, data: Uint8Array): number {
  const n = data.length;
  if (n < 32) {
    for (let i = 0; i < n; i++) buf[pos + i] = data[i] as number;
  } else {
    buf.set(data, pos);
  }
  return pos + n;
}
