// A tiny stand-in for Node's Buffer, injected by the browser bundle in place of the global
// `Buffer`: exactly the surface the codec and the client use, on top of Uint8Array, TextEncoder
// and TextDecoder. Not a general Buffer polyfill.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

const hexDigits = '0123456789abcdef';

/** A Uint8Array with the few Buffer methods Petrel's codec and client call. */
class ShimBuffer extends Uint8Array {
  /** Node's fast UTF-8 writer: returns the bytes written. */
  utf8Write(str: string, offset = 0, length = this.length - offset): number {
    return encoder.encodeInto(str, this.subarray(offset, offset + length)).written ?? 0;
  }

  utf8Slice(start = 0, end = this.length): string {
    return decoder.decode(this.subarray(start, end));
  }

  latin1Write(str: string, offset = 0, length = this.length - offset): number {
    const n = Math.min(str.length, length);
    for (let i = 0; i < n; i++) this[offset + i] = str.charCodeAt(i) & 0xff;
    return n;
  }

  latin1Slice(start = 0, end = this.length): string {
    let s = '';
    for (let i = start; i < end; i += 4096) {
      s += String.fromCharCode(...this.subarray(i, Math.min(end, i + 4096)));
    }
    return s;
  }

  override toString(encoding = 'utf8', start = 0, end = this.length): string {
    switch (encoding) {
      case 'hex': {
        let s = '';
        for (let i = start; i < end; i++) {
          const b = this[i]!;
          s += hexDigits[b >> 4]! + hexDigits[b & 15]!;
        }
        return s;
      }
      case 'base64':
        return btoa(this.latin1Slice(start, end));
      case 'latin1':
      case 'binary':
      case 'ascii':
        return this.latin1Slice(start, end);
      default:
        return this.utf8Slice(start, end);
    }
  }

  copy(target: Uint8Array, targetStart = 0, sourceStart = 0, sourceEnd = this.length): number {
    const part = this.subarray(
      sourceStart,
      Math.min(sourceEnd, sourceStart + target.length - targetStart),
    );
    target.set(part, targetStart);
    return part.length;
  }

  equals(other: Uint8Array): boolean {
    if (other.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  readUInt16BE(offset = 0): number {
    return (this[offset]! << 8) | this[offset + 1]!;
  }

  readUInt32BE(offset = 0): number {
    return (
      this[offset]! * 0x1000000 +
      ((this[offset + 1]! << 16) | (this[offset + 2]! << 8) | this[offset + 3]!)
    );
  }

  writeUInt16BE(value: number, offset = 0): number {
    this[offset] = value >>> 8;
    this[offset + 1] = value & 0xff;
    return offset + 2;
  }

  writeUInt32BE(value: number, offset = 0): number {
    this[offset] = value >>> 24;
    this[offset + 1] = (value >>> 16) & 0xff;
    this[offset + 2] = (value >>> 8) & 0xff;
    this[offset + 3] = value & 0xff;
    return offset + 4;
  }
}

function wrap(bytes: Uint8Array): ShimBuffer {
  return new ShimBuffer(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

function fromHex(s: string): ShimBuffer {
  const out = new ShimBuffer(s.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function from(
  value: string | ArrayBuffer | ArrayLike<number> | ArrayBufferView,
  encodingOrOffset?: string | number,
  length?: number,
): ShimBuffer {
  if (typeof value === 'string') {
    if (encodingOrOffset === 'hex') return fromHex(value);
    if (encodingOrOffset === 'base64') {
      const bin = atob(value);
      const out = new ShimBuffer(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
    return wrap(encoder.encode(value));
  }
  if (value instanceof ArrayBuffer) {
    const offset = typeof encodingOrOffset === 'number' ? encodingOrOffset : 0;
    return new ShimBuffer(value, offset, length ?? value.byteLength - offset);
  }
  if (ArrayBuffer.isView(value)) {
    // Node's Buffer.from(view) copies.
    const out = new ShimBuffer(value.byteLength);
    out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return out;
  }
  const out = new ShimBuffer(value.length);
  out.set(Array.from(value));
  return out;
}

function byteLength(str: string | Uint8Array): number {
  if (typeof str !== 'string') return str.byteLength;
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function concat(list: readonly Uint8Array[], total?: number): ShimBuffer {
  const size = total ?? list.reduce((n, b) => n + b.length, 0);
  const out = new ShimBuffer(size);
  let pos = 0;
  for (const b of list) {
    if (pos >= size) break;
    const part = b.subarray(0, size - pos);
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** The static side of the shim (Uint8Array's own `from` is replaced). */
export interface ShimBufferConstructor {
  new (size: number): ShimBuffer;
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): ShimBuffer;
  readonly prototype: ShimBuffer;
  from: typeof from;
  alloc(size: number, fill?: number): ShimBuffer;
  allocUnsafe(size: number): ShimBuffer;
  allocUnsafeSlow(size: number): ShimBuffer;
  isBuffer(v: unknown): v is ShimBuffer;
  byteLength: typeof byteLength;
  concat: typeof concat;
}

export type { ShimBuffer };

/** The injected `Buffer`. */
export const Buffer: ShimBufferConstructor = Object.assign(ShimBuffer, {
  from,
  alloc: (size: number, fill = 0): ShimBuffer => new ShimBuffer(size).fill(fill),
  allocUnsafe: (size: number): ShimBuffer => new ShimBuffer(size),
  allocUnsafeSlow: (size: number): ShimBuffer => new ShimBuffer(size),
  isBuffer: (v: unknown): v is ShimBuffer => v instanceof ShimBuffer,
  byteLength,
  concat,
});
