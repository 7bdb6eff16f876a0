import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { Framer } from '../../../src/codec/framer.js';
import type { Packet } from '../../../src/codec/types.js';

/** Decodes one complete encoded packet (fixed header included). */
export function decodeWhole(bytes: Buffer, version: ProtocolVersion): Packet {
  const out: Packet[] = [];
  const f = new Framer((h, b) => out.push(decodePacket(h, b, version)));
  f.push(bytes);
  if (out.length !== 1 || f.buffered !== 0) {
    throw new Error(`expected exactly one frame, got ${out.length} (+${f.buffered} buffered)`);
  }
  return out[0] as Packet;
}

/** Parses a hex fixture; spaces and newlines are ignored. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** Converts Buffers to plain arrays so deepEqual compares content, not views. */
export function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array)
    return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}

type Part = number | number[] | Buffer | string;

/** Concatenates parts: numbers are single bytes, strings are raw UTF-8 (no length prefix). */
export function bytes(...parts: Part[]): Buffer {
  return Buffer.concat(
    parts.map((p) =>
      typeof p === 'number'
        ? Buffer.from([p])
        : typeof p === 'string'
          ? Buffer.from(p, 'utf8')
          : Buffer.from(p),
    ),
  );
}

/** A UTF-8 Encoded String / Binary Data field: 2-byte length + bytes. */
export function str(s: string | Buffer | number[]): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** Variable Byte Integer encoding of `n`. */
export function vbi(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A whole packet: first byte, computed Remaining Length, then the body parts. */
export function pkt(header: number, ...body: Part[]): Buffer {
  const b = bytes(...body);
  return Buffer.concat([Buffer.from([header]), vbi(b.length), b]);
}

/** v5 properties block: Property Length followed by the given raw property bytes. */
export function props(...parts: Part[]): Buffer {
  const b = bytes(...parts);
  return Buffer.concat([vbi(b.length), b]);
}
