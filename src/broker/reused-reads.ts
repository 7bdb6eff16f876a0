import type { Socket } from 'node:net';

// A connection that carries big frames reads into memory of its own that it reuses, instead of
// the fresh 64 KiB buffer Node allocates for every socket read. Each of those buffers is external
// memory to V8: relaying 256 KiB messages at 1 GB/s allocated 1 GB/s of it, which made V8 start
// an incremental mark-compact every 40-50 ms ("external memory pressure"), about a third of the
// broker's CPU in that scenario (docs/benchmarks.md). The framer copies a big frame's pieces into
// the body pool, so the read memory can be reused as soon as a read is handled, unless a frame
// was handed on as a view of it: then that memory is left to its views and reads go to new one.
//
// Node has this mode as the `onread` option of `new net.Socket()` / `net.connect()`, not for the
// sockets a server accepts; it is switched on here through the same fields that option sets
// (Node 20's `kBuffer`, `kBufferGen`, `kBufferCb` and the handle's `useUserBuffer`). Where they
// are missing (another Node version) nothing changes: the connection keeps Node's buffers.

/** Frames from this size switch their connection to reused read memory. */
export const REUSED_READS_MIN = 64 * 1024;
/** Largest read memory, Node's own read size. */
const MAX_SIZE = 64 * 1024;
/** Smallest read memory, after reads of small frames handed on as views. */
const MIN_SIZE = 4 * 1024;

interface OnreadFields {
  buffer: symbol;
  gen: symbol;
  cb: symbol;
}

let fields: OnreadFields | null | undefined;

function onreadFields(socket: Socket): OnreadFields | null {
  if (fields !== undefined) return fields;
  const byName = new Map<string, symbol>();
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description !== undefined) byName.set(s.description, s);
  }
  const buffer = byName.get('kBuffer');
  const gen = byName.get('kBufferGen');
  const cb = byName.get('kBufferCb');
  fields = buffer && gen && cb ? { buffer, gen, cb } : null;
  return fields;
}

/** Receives the bytes of each read (a view of the reused memory, valid until it returns). */
export interface ReadSink {
  onData(chunk: Buffer): void;
}

/** The read memory of one connection. */
export class ReusedReads {
  /** Memory the next read goes to. */
  memory: Buffer;
  /** A frame of the current read was handed on as a view of {@link memory}. */
  escaped = false;
  /** Bytes of the last read. */
  private last = 0;

  constructor(private readonly sink: ReadSink) {
    this.memory = Buffer.allocUnsafeSlow(MAX_SIZE);
  }

  /** Handles `n` bytes read into `memory` (Node's `onread.callback`). */
  read(n: number, memory: Buffer): void {
    this.last = n;
    this.sink.onData(memory.subarray(0, n));
  }

  /**
   * Memory for the next read (Node's `onread.buffer` generator, called after each read): the
   * same unless a view of it escaped, or a full read asks for more room.
   */
  next(): Buffer {
    const n = this.last;
    const size = this.memory.length;
    if (this.escaped) {
      this.escaped = false;
      let want = MIN_SIZE;
      while (want < n * 2 && want < MAX_SIZE) want *= 2;
      this.memory = Buffer.allocUnsafeSlow(want);
    } else if (n === size && size < MAX_SIZE) {
      this.memory = Buffer.allocUnsafeSlow(size * 2);
    }
    return this.memory;
  }
}

/**
 * Switches `socket` (an accepted `net.Socket`, before or between reads) to reading into reused
 * memory, every read going to `sink.onData`. Returns undefined, changing nothing, where Node's
 * fields are not found.
 */
export function reuseReadMemory(socket: Socket, sink: ReadSink): ReusedReads | undefined {
  const f = onreadFields(socket);
  const handle = (socket as unknown as { _handle?: { useUserBuffer?(b: Buffer): void } })._handle;
  if (f === null || handle === undefined || typeof handle.useUserBuffer !== 'function') {
    return undefined;
  }
  const reads = new ReusedReads(sink);
  const s = socket as unknown as Record<symbol, unknown>;
  s[f.buffer] = reads.memory;
  s[f.cb] = (n: number, memory: Buffer): void => reads.read(n, memory);
  s[f.gen] = (): Buffer => reads.next();
  handle.useUserBuffer(reads.memory);
  return reads;
}
