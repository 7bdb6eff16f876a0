import { malformed } from './errors.js';
import { decodeUtf8 } from './utf8.js';
import { readVarint, varintBytes } from './varint.js';

function truncated(): never {
  throw malformed('TRUNCATED', 'packet shorter than its contents');
}

/**
 * Bounds-checked cursor over one packet body. Every read past `end` throws a malformed-packet
 * MqttError instead of yielding undefined.
 */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer = Buffer.alloc(0), pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Points the cursor at `buf[pos..end)`; lets one Reader serve every decode. */
  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) truncated();
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) truncated();
    this.pos = p + 2;
    return ((this.buf[p] as number) << 8) | (this.buf[p + 1] as number);
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) truncated();
    this.pos = p + 4;
    return this.buf.readUInt32BE(p);
  }

  varint(): number {
    const v = readVarint(this.buf, this.pos, this.end);
    if (v < 0) truncated();
    this.pos += varintBytes;
    return v;
  }

  /** A UTF-8 Encoded String (2-byte length + strictly validated UTF-8). */
  utf8(): string {
    const len = this.u16();
    const p = this.pos;
    if (p + len > this.end) truncated();
    this.pos = p + len;
    return decodeUtf8(this.buf, p, p + len);
  }

  /** Binary Data (2-byte length + bytes) as a zero-copy view. */
  binary(): Buffer {
    const len = this.u16();
    const p = this.pos;
    if (p + len > this.end) truncated();
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  /** The rest of the body as a zero-copy view. */
  rest(): Buffer {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  /** Throws 'TRAILING_BYTES' unless the whole body was consumed. */
  done(): void {
    if (this.pos !== this.end) {
      throw malformed(
        'TRAILING_BYTES',
        `${this.end - this.pos} unexpected byte(s) at end of packet`,
      );
    }
  }
}
