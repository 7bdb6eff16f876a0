/**
 * Primitive writers into a pre-sized Buffer. Each takes the position to write at and returns the
 * position after what it wrote; lengths are computed beforehand so no bounds checks are needed.
 */

/** One byte. */
export function writeU8(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v;
  return pos + 1;
}

/** Two Byte Integer, big-endian. */
export function writeU16(buf: Buffer, pos: number, v: number): number {
  buf[pos] = v >>> 8;
  buf[pos + 1] = v & 0xff;
  return pos + 2;
}

/** Four Byte Integer, big-endian. */
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

/** Packets up to this size are carved from a shared slab instead of their own ArrayBuffer. */
const SLAB_MAX = 2048;
const SLAB_SIZE = 65_536;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabOffset = 0;

/**
 * An uninitialised Buffer of exactly `size` bytes. Small packets are sliced from a 64 KiB slab
 * (like Node's own 8 KiB pool, but creating an ArrayBuffer eight times less often, which is most
 * of the cost of encoding a 1 KiB PUBLISH). A long-lived small encoding keeps its slab alive: copy
 * it if you hold thousands of them for a long time.
 */
export function allocBuffer(size: number): Buffer {
  if (size > SLAB_MAX) return Buffer.allocUnsafeSlow(size);
  if (slabOffset + size > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabOffset = 0;
  }
  const start = slabOffset;
  // Keep slices 8-byte aligned, as Node's pool does.
  slabOffset = (start + size + 7) & ~7;
  return slab.subarray(start, start + size);
}
