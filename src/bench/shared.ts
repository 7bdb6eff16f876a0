// Counters shared by the generator's threads, in one SharedArrayBuffer: each slot is written by
// one thread only (plain stores) and read by any (Atomics.load), so nothing on the per-message
// path takes a lock. The window of a publisher in one thread depends on deliveries counted by
// subscribers in others; a thread whose publishers wait sleeps on its `wake` cell.

/** Views over the shared buffer. */
export class SharedCounters {
  readonly buffer: SharedArrayBuffer;
  /** Messages sent by publisher p. */
  readonly sent: Int32Array;
  /** Messages of publisher p acknowledged (PUBACK / PUBCOMP). */
  readonly acked: Int32Array;
  /** delivered[t * P + p]: deliveries of publisher p's messages counted by thread t. */
  readonly delivered: Int32Array;
  /** PUBLISH packets received by thread t (own and foreign). */
  readonly received: Int32Array;
  /** Connections established / failed by thread t (`conn`). */
  readonly connected: Int32Array;
  readonly failed: Int32Array;
  /** Wake-up cell of thread t and whether it sleeps on it. */
  readonly wake: Int32Array;
  readonly waiting: Int32Array;
  readonly publishers: number;
  readonly threads: number;

  constructor(publishers: number, threads: number, buffer?: SharedArrayBuffer) {
    const P = Math.max(publishers, 1);
    const T = Math.max(threads, 1);
    const sizes = [P, P, T * P, T, T, T, T, T];
    const total = sizes.reduce((a, b) => a + b, 0);
    this.buffer = buffer ?? new SharedArrayBuffer(total * 4);
    let off = 0;
    const view = (n: number): Int32Array => {
      const v = new Int32Array(this.buffer, off * 4, n);
      off += n;
      return v;
    };
    this.sent = view(P);
    this.acked = view(P);
    this.delivered = view(T * P);
    this.received = view(T);
    this.connected = view(T);
    this.failed = view(T);
    this.wake = view(T);
    this.waiting = view(T);
    this.publishers = P;
    this.threads = T;
  }

  /** Deliveries of publisher p summed over threads. */
  deliveredOf(p: number): number {
    let n = 0;
    for (let t = 0; t < this.threads; t++)
      n += Atomics.load(this.delivered, t * this.publishers + p);
    return n;
  }

  /** Sum of a per-slot array. */
  static sum(a: Int32Array): number {
    let n = 0;
    for (let i = 0; i < a.length; i++) n += Atomics.load(a, i);
    return n;
  }

  /** Wakes every other thread sleeping on its cell (after deliveries were counted). */
  wakeOthers(self: number): void {
    for (let t = 0; t < this.threads; t++) {
      if (t === self || Atomics.load(this.waiting, t) === 0) continue;
      Atomics.store(this.waiting, t, 0);
      Atomics.add(this.wake, t, 1);
      Atomics.notify(this.wake, t);
    }
  }
}
