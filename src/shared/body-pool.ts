// Recycled memory for big frame bodies. A body that outlives a few scavenges (a 256 KiB message
// queued or in flight) is promoted, and its fresh external memory then costs V8 a mark-compact
// every few tens of MB ("external memory pressure"): a broker relaying 1 GB/s spent a fifth of
// its CPU in GC and starved the other core with marking threads. Recycled memory adds no external
// bytes. The broker's connections hand this pool to their Framer (`framer.bodies`); a body goes
// back once every holder is done with it (`Message.unpin`).

/** From this size a body comes from recycled memory; smaller ones get memory of their own. */
const POOL_MIN = 64 * 1024;
/** Pooled capacities are multiples of this: bodies of nearly the same size share a class. */
const POOL_STEP = 4096;
/** Recycled memory kept for reuse, all classes together; beyond it a release is left to GC. */
const POOL_MAX_BYTES = 16 * 1024 * 1024;
/** Size classes kept; a new class beyond it empties the pool (sizes all over the place). */
const POOL_MAX_CLASSES = 32;

/** Memory handed out by {@link bodyPool}, whether recycled or not: private to its body. */
const assembled = new WeakSet<ArrayBufferLike>();
/** Free memory by capacity. */
const free = new Map<number, ArrayBuffer[]>();
let freeBytes = 0;
/** Memory lent out by the pool (and not released since): only that may be released. */
const lent = new WeakSet<ArrayBufferLike>();
/** Debug mode: released memory is overwritten, so that a reader after release sees garbage. */
const poison = process.env.PETREL_DEBUG_PINS === '1';

function capacity(size: number): number {
  return Math.ceil(size / POOL_STEP) * POOL_STEP;
}

/**
 * The broker's allocator of assembled frame bodies (a `BodyAllocator` for `Framer.bodies`):
 * big bodies from recycled memory, the others in memory of their own.
 */
export const bodyPool = {
  alloc(size: number): Buffer {
    if (size < POOL_MIN) {
      const own = Buffer.allocUnsafeSlow(size);
      assembled.add(own.buffer);
      return own;
    }
    const cap = capacity(size);
    let ab = free.get(cap)?.pop();
    if (ab === undefined) {
      ab = Buffer.allocUnsafeSlow(cap).buffer as ArrayBuffer;
      assembled.add(ab);
    } else freeBytes -= cap;
    lent.add(ab);
    return Buffer.from(ab, 0, size);
  },
};

/**
 * Whether `view` lies in a body assembled by {@link bodyPool} (memory not shared with a read
 * chunk or Node's pool): a receiver may keep it without copying it.
 */
export function isPrivateBody(view: Buffer): boolean {
  return assembled.has(view.buffer);
}

/** Whether `view` lies in recycled memory currently lent out (see {@link releaseBody}). */
export function isLentBody(view: Buffer): boolean {
  return lent.has(view.buffer);
}

/**
 * Gives the memory of a lent body back for reuse by later frames. The caller guarantees that
 * nothing reads `view` (or any view of the same body) afterwards: no queue, store, event listener
 * or pending socket write holds it. Memory not lent out (a read chunk, a copy, a body released
 * already) is ignored.
 */
export function releaseBody(view: Buffer): void {
  const ab = view.buffer;
  if (!lent.has(ab)) return;
  lent.delete(ab);
  if (poison) new Uint8Array(ab).fill(0xde);
  const cap = ab.byteLength;
  if (freeBytes + cap > POOL_MAX_BYTES) return;
  let list = free.get(cap);
  if (list === undefined) {
    if (free.size >= POOL_MAX_CLASSES) {
      free.clear();
      freeBytes = 0;
    }
    list = [];
    free.set(cap, list);
  }
  list.push(ab as ArrayBuffer);
  freeBytes += cap;
}
