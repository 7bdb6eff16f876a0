import { Framer } from '../../../src/codec/framer.js';
import { decodePacket } from '../../../src/codec/decode.js';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
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
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}
