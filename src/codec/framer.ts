import { MAX_PACKET_SIZE } from './constants.js';
import { MqttError, malformed } from './errors.js';
import { ReasonCode } from './reason-codes.js';

/** Receives one complete frame: the fixed header's first byte and the Remaining Length bytes. */
export type FrameHandler = (header: number, body: Buffer) => void;

const EMPTY = Buffer.alloc(0);

/**
 * A split frame gets its whole body allocated at its first bytes, and reads are copied straight
 * into it, when it is small or when those first bytes are a fair share of it (a 256 KiB frame in
 * 64 KiB reads). Otherwise it collects views and joins them when complete: a header announcing a
 * huge length, then trickling, costs memory only as its bytes arrive (at most 8x of them).
 */
const PREALLOC_ANY = 16 * 1024;
const PREALLOC_RATIO = 8;

/**
 * Memory for the body of a frame that a Framer assembles from several reads, at least
 * {@link OWN_MEMORY_MIN} bytes: the receiver may keep such a body without copying it, and may
 * recycle its memory (the broker's body pool). Framers without one use Node's allocator.
 */
export interface BodyAllocator {
  /** `size` bytes of memory for one body, not shared with anything else. */
  alloc(size: number): Buffer;
}

/** Bodies from this size are assembled in memory from the {@link BodyAllocator}, if any. */
export const OWN_MEMORY_MIN = 4096;

function tooLarge(size: number, max: number): MqttError {
  return new MqttError(
    'PACKET_TOO_LARGE',
    `packet of ${size} bytes exceeds the maximum of ${max}`,
    ReasonCode.PacketTooLarge,
    'MQTT-3.2.2-15',
  );
}

function nonMinimal(): MqttError {
  return malformed('NON_MINIMAL_VARINT', 'remaining length not minimally encoded', 'MQTT-1.5.5-1');
}

function tooLong(): MqttError {
  return malformed('MALFORMED_VARINT', 'remaining length longer than 4 bytes', 'MQTT-1.5.5-1');
}

/**
 * Packet type 0 is reserved in every version: refusing it at the first byte closes a connection
 * that sends garbage at once, instead of waiting for a body its length bytes may never deliver.
 */
function reservedType(header: number): MqttError {
  return malformed('INVALID_PACKET_TYPE', `reserved packet type ${header >> 4}`, 'MQTT-2.1.2-1');
}

/**
 * Streaming splitter of an MQTT byte stream into frames. Accepts arbitrary chunks (one byte at a
 * time included); a frame lying inside one chunk is passed on as a zero-copy view, a frame split
 * across chunks is copied into one buffer allocated at its first bytes (or, for a large frame
 * whose first read is a small share of it, joined with a single concat once complete). The size
 * limit is checked as soon as the Remaining Length is known, before any of the body is buffered.
 *
 * Bodies handed to the handler may be views into the pushed chunks: copy what you keep beyond
 * the current tick, and do not modify a chunk after pushing it.
 *
 * The handler is called as a method of the Framer (`this` is the Framer), so a subclass can carry
 * its owner in a field instead of each owner allocating a closure.
 */
export class Framer {
  /** Largest accepted packet, fixed header included. Mutable: lower it until CONNECT is done. */
  maxPacketSize: number;
  /** Where bodies of big split frames are assembled (undefined: Node's allocator). */
  bodies: BodyAllocator | undefined = undefined;
  /**
   * The caller overwrites a chunk once {@link push} returns (a reused read buffer): pieces of a
   * split frame are then copied, never kept as views. Views handed to the handler stay views.
   */
  chunksReused = false;
  private readonly onFrame: FrameHandler;
  /**
   * Fixed-header bytes of an incomplete header (first byte + up to 4 length bytes). Created the
   * first time a header is split across chunks: most connections never need it.
   */
  private hdr: Buffer | undefined = undefined;
  private hdrLen = 0;
  /** Remaining Length of the frame being assembled, or -1 while the header is incomplete. */
  private need = -1;
  private header = 0;
  /** Views of a split frame too big to preallocate; created when first needed. */
  private parts: Buffer[] | undefined = undefined;
  /** Body of the split frame being assembled (when preallocated), `have` bytes filled. */
  private frame: Buffer | undefined = undefined;
  private have = 0;

  constructor(onFrame: FrameHandler, maxPacketSize: number = MAX_PACKET_SIZE) {
    this.onFrame = onFrame;
    this.maxPacketSize = maxPacketSize;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.need >= 0 ? 1 + this.lenBytes() + this.have : this.hdrLen;
  }

  /** Remaining Length of the incomplete frame being assembled, 0 when none is. */
  get assembling(): number {
    return Math.max(this.need, 0);
  }

  private lenBytes(): number {
    const n = this.need;
    return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
  }

  /** Feeds bytes; calls the handler for each complete frame. Throws MqttError on a bad header. */
  push(chunk: Buffer): void {
    const n = chunk.length;
    let pos = 0;
    if (this.hdrLen > 0 || this.need >= 0) {
      pos = this.resume(chunk);
      if (pos < 0) return;
    }
    while (pos < n) {
      const header = chunk[pos] as number;
      if (header < 0x10) throw reservedType(header);
      let i = pos + 1;
      let len = 0;
      let mul = 1;
      let complete = false;
      for (let k = 0; k < 4 && i < n; k++) {
        const b = chunk[i++] as number;
        len += (b & 0x7f) * mul;
        if (b < 0x80) {
          if (b === 0 && k > 0) throw nonMinimal();
          complete = true;
          break;
        }
        mul *= 128;
      }
      if (!complete) {
        if (i - pos >= 5) throw tooLong();
        let hdr = this.hdr;
        if (hdr === undefined) hdr = this.hdr = Buffer.alloc(5);
        chunk.copy(hdr, 0, pos, n);
        this.hdrLen = n - pos;
        return;
      }
      const total = i - pos + len;
      if (total > this.maxPacketSize) throw tooLarge(total, this.maxPacketSize);
      const end = i + len;
      if (end <= n) {
        this.onFrame(header, len === 0 ? EMPTY : chunk.subarray(i, end));
        pos = end;
      } else {
        this.header = header;
        this.need = len;
        this.have = 0;
        this.absorb(chunk, i, n);
        return;
      }
    }
  }

  /**
   * Continues an incomplete frame with `chunk`. Returns the position in `chunk` after the frame
   * once it was delivered, or -1 when the whole chunk was absorbed.
   */
  private resume(chunk: Buffer): number {
    const n = chunk.length;
    let pos = 0;
    if (this.need < 0) {
      let hdr = this.hdr;
      if (hdr === undefined) hdr = this.hdr = Buffer.alloc(5);
      while (pos < n) {
        const b = chunk[pos++] as number;
        hdr[this.hdrLen++] = b;
        if (this.hdrLen === 1) continue;
        if (b < 0x80) {
          if (b === 0 && this.hdrLen > 2) throw nonMinimal();
          let len = 0;
          let mul = 1;
          for (let k = 1; k < this.hdrLen; k++) {
            len += ((hdr[k] as number) & 0x7f) * mul;
            mul *= 128;
          }
          const total = this.hdrLen + len;
          if (total > this.maxPacketSize) throw tooLarge(total, this.maxPacketSize);
          this.header = hdr[0] as number;
          this.hdrLen = 0;
          this.need = len;
          this.have = 0;
          break;
        }
        if (this.hdrLen === 5) throw tooLong();
      }
      if (this.need < 0) return -1;
    }
    const missing = this.need - this.have;
    const avail = n - pos;
    if (avail < missing) {
      if (avail > 0) this.absorb(chunk, pos, n);
      return -1;
    }
    const end = pos + missing;
    let body: Buffer;
    const frame = this.frame;
    const parts = this.parts;
    if (frame !== undefined) {
      chunk.copy(frame, this.have, pos, end);
      body = frame;
      this.frame = undefined;
    } else if (parts === undefined || parts.length === 0) {
      body = this.need === 0 ? EMPTY : chunk.subarray(pos, end);
    } else {
      parts.push(chunk.subarray(pos, end));
      const bodies = this.bodies;
      if (bodies !== undefined && this.need >= OWN_MEMORY_MIN) {
        // Joined into the allocator's memory: a concat would allocate what a pool saves.
        body = bodies.alloc(this.need);
        let off = 0;
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i] as Buffer;
          body.set(p, off);
          off += p.length;
        }
      } else body = Buffer.concat(parts, this.need);
      this.parts = undefined;
    }
    const header = this.header;
    this.have = 0;
    this.need = -1;
    this.onFrame(header, body);
    return end;
  }

  /** Keeps `chunk[from..to)`, part of the body of the incomplete frame (`need` bytes long). */
  private absorb(chunk: Buffer, from: number, to: number): void {
    if (to === from) return;
    let frame = this.frame;
    const need = this.need;
    if (
      frame === undefined &&
      this.have === 0 &&
      (need <= PREALLOC_ANY || need <= (to - from) * PREALLOC_RATIO)
    ) {
      const bodies = this.bodies;
      frame = this.frame =
        bodies !== undefined && need >= OWN_MEMORY_MIN
          ? bodies.alloc(need)
          : Buffer.allocUnsafe(need);
    }
    if (frame !== undefined) chunk.copy(frame, this.have, from, to);
    else {
      let parts = this.parts;
      if (parts === undefined) parts = this.parts = [];
      const piece = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
      parts.push(this.chunksReused ? Buffer.from(piece) : piece);
    }
    this.have += to - from;
  }
}
