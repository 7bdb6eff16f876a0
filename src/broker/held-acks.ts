import { PacketType } from '../codec/constants.js';
import { FixedQueue } from '../shared/fixed-queue.js';

/** An ack that is not the common 4-byte form, or that has work to run once written. */
interface Other {
  bytes: Buffer;
  /** Runs right after the ack is written (a SUBACK's retained messages follow it). */
  then: (() => void) | undefined;
}

/** What {@link HeldAcks.release} writes through. */
export interface AckSink {
  write(bytes: Buffer): void;
}

const OTHER = -1;
const SHORT_ACK_BYTES = 4;

/**
 * Writes the 4-byte success ack (PUBACK, PUBREC, PUBREL or PUBCOMP without reason code or
 * properties, the same in every protocol version) of packet `type` at `out[at]`.
 */
export function writeShortAck(out: Buffer, at: number, type: number, packetId: number): void {
  // PUBREL carries the reserved flag bits 0010.
  out[at] = (type << 4) | (type === PacketType.PUBREL ? 2 : 0);
  out[at + 1] = 2;
  out[at + 2] = packetId >> 8;
  out[at + 3] = packetId & 0xff;
}

/**
 * Acks waiting for a store commit (sync durability), oldest first. Most are the 4-byte success
 * ack (PUBACK/PUBREC/PUBREL/PUBCOMP without reason or properties): those are kept as two numbers,
 * not as an object and a buffer each, and every run of them that a commit releases is written as
 * one buffer.
 */
export class HeldAcks {
  /** Commit each ack waits for. */
  private seqs = new Float64Array(8);
  /** `type << 16 | packetId` of a short ack, or {@link OTHER}: the next entry of `others`. */
  private codes = new Int32Array(8);
  private head = 0;
  private count = 0;
  private others: FixedQueue<Other> | undefined = undefined;

  get length(): number {
    return this.count;
  }

  /** Holds a short success ack of `type` (a packet type code) for `packetId`. */
  pushShort(seq: number, type: number, packetId: number): void {
    this.push(seq, (type << 16) | packetId);
  }

  /** Holds any other ack, with work to run once it has been written. */
  pushOther(seq: number, bytes: Buffer, then: (() => void) | undefined): void {
    if (this.others === undefined) this.others = new FixedQueue<Other>(4);
    this.others.push({ bytes, then });
    this.push(seq, OTHER);
  }

  /** Writes, in order, every ack whose commit (≤ `committed`) is durable. */
  release(committed: number, sink: AckSink): void {
    const mask = this.codes.length - 1;
    while (this.count > 0) {
      const i = this.head;
      if ((this.seqs[i] as number) > committed) break;
      const code = this.codes[i] as number;
      if (code === OTHER) {
        this.advance(1);
        const o = (this.others as FixedQueue<Other>).shift() as Other;
        sink.write(o.bytes);
        if (o.then !== undefined) o.then();
        continue;
      }
      let n = 1;
      while (n < this.count) {
        const j = (i + n) & mask;
        if ((this.seqs[j] as number) > committed || this.codes[j] === OTHER) break;
        n++;
      }
      const out = Buffer.allocUnsafe(n * SHORT_ACK_BYTES);
      for (let k = 0; k < n; k++) {
        const c = this.codes[(i + k) & mask] as number;
        writeShortAck(out, k * SHORT_ACK_BYTES, c >>> 16, c & 0xffff);
      }
      this.advance(n);
      sink.write(out);
    }
  }

  private push(seq: number, code: number): void {
    if (this.count === this.codes.length) this.grow();
    const at = (this.head + this.count) & (this.codes.length - 1);
    this.seqs[at] = seq;
    this.codes[at] = code;
    this.count++;
  }

  private advance(n: number): void {
    this.head = (this.head + n) & (this.codes.length - 1);
    this.count -= n;
  }

  private grow(): void {
    const cap = this.codes.length;
    const seqs = new Float64Array(cap * 2);
    const codes = new Int32Array(cap * 2);
    for (let k = 0; k < this.count; k++) {
      const from = (this.head + k) & (cap - 1);
      seqs[k] = this.seqs[from] as number;
      codes[k] = this.codes[from] as number;
    }
    this.seqs = seqs;
    this.codes = codes;
    this.head = 0;
  }
}
