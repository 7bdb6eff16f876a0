// A frame scanner for the generator's receiving side: hands out (buffer, start, end) instead of a
// Buffer view per frame, so a delivery costs no allocation when it sits inside one socket read.
// The Remaining Length is read with the codec's `readVarint` (minimal encoding checked); the
// Framer's size limit is not needed here: the generator only reads what a broker sends it.
//
// Big PUBLISH frames split across reads can be cut short: the generator only reads the topic,
// packet id, properties and the first bytes of the payload (its header), so copying a 256 KiB
// payload into one buffer only to ignore it would make the generator, not the broker, the limit.

import { readVarint, varintBytes } from '../codec/varint.js';

/** Called per complete frame: `buf[start..end)` is the body, `header` the first byte. */
export type RawFrameHandler = (header: number, buf: Buffer, start: number, end: number) => void;

/**
 * Body bytes kept of a cut-short PUBLISH beyond its topic: packet id (2), properties (a v5
 * length of up to 4 bytes and the properties) and the payload's first bytes.
 */
const KEPT_AFTER_TOPIC = 8192;

/** Splits a byte stream into MQTT frames. */
export class FrameScanner {
  /** Bytes of a fixed header split across reads. */
  private head: Buffer | undefined;
  /** A frame being assembled across reads, its body offset and how much is filled. */
  private asm: Buffer | undefined;
  private asmBody = 0;
  private asmFilled = 0;
  /** Body bytes of the frame being assembled still to skip once `asm` is full. */
  private skip = 0;

  /**
   * `cutAbove`: a PUBLISH whose body is longer and does not arrive in one read is handed out
   * with only its first bytes (topic, packet id, properties, then at least the first 8 KiB of
   * the payload); the rest is counted, never copied. Default: never (every body whole).
   */
  constructor(
    private readonly onFrame: RawFrameHandler,
    private readonly cutAbove = Number.POSITIVE_INFINITY,
  ) {}

  /** Feeds one read; calls the handler for each complete frame. */
  push(data: Buffer): void {
    let chunk = data;
    let pos = 0;
    const asm = this.asm;
    if (asm !== undefined) {
      const take = Math.min(asm.length - this.asmFilled, chunk.length);
      chunk.copy(asm, this.asmFilled, 0, take);
      this.asmFilled += take;
      pos = take;
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, chunk.length - pos);
        this.skip -= skipped;
        pos += skipped;
      }
      if (this.asmFilled < asm.length || this.skip > 0) return;
      this.asm = undefined;
      this.onFrame(asm[0] as number, asm, this.asmBody, asm.length);
    } else if (this.head !== undefined) {
      chunk = Buffer.concat([this.head, chunk]);
      this.head = undefined;
    }
    const n = chunk.length;
    while (pos < n) {
      // The codec's Variable Byte Integer reader: -1 while the length bytes are incomplete,
      // throws on a fifth byte or a non-minimal encoding [MQTT-1.5.5-1]; allocates nothing.
      const len = pos + 1 < n ? readVarint(chunk, pos + 1, n) : -1;
      if (len < 0) {
        this.head = Buffer.from(chunk.subarray(pos));
        return;
      }
      const i = pos + 1 + varintBytes;
      const end = i + len;
      if (end <= n) {
        this.onFrame(chunk[pos] as number, chunk, i, end);
        pos = end;
        continue;
      }
      let keep = len;
      // The topic length (first two body bytes) says how much of the body is worth keeping.
      if (len > this.cutAbove && (chunk[pos] as number) >> 4 === 3 && n - i >= 2) {
        const topicLen = ((chunk[i] as number) << 8) | (chunk[i + 1] as number);
        keep = Math.min(len, 2 + topicLen + KEPT_AFTER_TOPIC);
      }
      const have = Math.min(n - i, keep);
      const frame = Buffer.allocUnsafe(i - pos + keep);
      chunk.copy(frame, 0, pos, i + have);
      // Body bytes of this read beyond the kept part are skipped already.
      this.skip = len - keep - (n - i - have);
      this.asm = frame;
      this.asmBody = i - pos;
      this.asmFilled = i - pos + have;
      return;
    }
  }
}
