// A frame scanner for the generator's receiving side: hands out (buffer, start, end) instead of a
// Buffer view per frame, so a delivery costs no allocation when it sits inside one socket read.
// The broker-grade checks of the codec's Framer (size limits, minimal lengths) are not needed
// here: the generator only reads what a broker sends it.

/** Called per complete frame: `buf[start..end)` is the body, `header` the first byte. */
export type RawFrameHandler = (header: number, buf: Buffer, start: number, end: number) => void;

/** Splits a byte stream into MQTT frames. */
export class FrameScanner {
  /** Bytes of a fixed header split across reads. */
  private head: Buffer | undefined;
  /** A frame being assembled across reads, its body offset and how much is filled. */
  private asm: Buffer | undefined;
  private asmBody = 0;
  private asmFilled = 0;

  constructor(private readonly onFrame: RawFrameHandler) {}

  /** Feeds one read; calls the handler for each complete frame. */
  push(data: Buffer): void {
    let chunk = data;
    let pos = 0;
    const asm = this.asm;
    if (asm !== undefined) {
      const take = Math.min(asm.length - this.asmFilled, chunk.length);
      chunk.copy(asm, this.asmFilled, 0, take);
      this.asmFilled += take;
      if (this.asmFilled < asm.length) return;
      this.asm = undefined;
      this.onFrame(asm[0] as number, asm, this.asmBody, asm.length);
      pos = take;
    } else if (this.head !== undefined) {
      chunk = Buffer.concat([this.head, chunk]);
      this.head = undefined;
    }
    const n = chunk.length;
    while (pos < n) {
      let i = pos + 1;
      let len = 0;
      let mul = 1;
      let complete = false;
      for (let k = 0; k < 4 && i < n; k++) {
        const b = chunk[i++] as number;
        len += (b & 0x7f) * mul;
        if (b < 0x80) {
          complete = true;
          break;
        }
        mul *= 128;
      }
      if (!complete) {
        if (i - pos >= 5) throw new Error('malformed remaining length from the broker');
        this.head = Buffer.from(chunk.subarray(pos));
        return;
      }
      const end = i + len;
      if (end <= n) {
        this.onFrame(chunk[pos] as number, chunk, i, end);
        pos = end;
        continue;
      }
      const frame = Buffer.allocUnsafe(end - pos);
      chunk.copy(frame, 0, pos, n);
      this.asm = frame;
      this.asmBody = i - pos;
      this.asmFilled = n - pos;
      return;
    }
  }
}
