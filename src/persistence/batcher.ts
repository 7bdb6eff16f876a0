import {
  type ChangeRecord,
  type DurabilityMode,
  type DurableListener,
  StoreError,
  type StoreErrorListener,
  type StoreLogger,
} from './types.js';

/**
 * Commits one sealed batch. Resolves when the batch is durable in the sense of the store's mode
 * (for `sync`: committed and flushed); rejects to report a failed commit. A windowed batcher
 * reuses the `records` array for the next batch: read it before the first `await`.
 */
export type CommitFn = (records: ChangeRecord[], seq: number) => Promise<void>;

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  durability: DurabilityMode;
  /** Interval for `batched` mode, ms. */
  intervalMs: number;
  log?: StoreLogger | undefined;
  /** First retry delay after a failed commit, ms (doubles up to 1 s). Default 50. */
  retryMs?: number;
  /**
   * Keep committed records until the store takes them with {@link Batcher.drainWindow} (a store
   * that logs batches and applies them to its tables later). Cancelling pairs then also works
   * across batches. Default false: records are forgotten once handed to a commit.
   */
  windowed?: boolean;
  /**
   * How many sealed batches may be committing at once (`sync`/`none`). Default 1. With more, a
   * batch is sealed every event-loop turn while earlier ones are still being flushed, so a slow
   * fsync no longer stretches every batch; batches are still reported durable strictly in order.
   */
  pipeline?: number;
}

/** A sealed batch handed to the commit function. */
interface InFlight {
  seq: number;
  /** Slot range `[start, end)` (windowed stores). */
  start: number;
  end: number;
  /** The batch's records (non-windowed batchers: what a failed batch puts back). */
  records: ChangeRecord[];
  /** 0 while committing, 1 committed, 2 failed. */
  outcome: number;
  error: unknown;
  /** `performance.now()` when handed to the commit function; 0 for an empty batch. */
  startedAt: number;
}

/** Commit timings of a store (whole commits: the transaction and, for `sync`, its flush). */
export interface CommitStats {
  /** Batches committed (empty ones, which never reach the commit function, excluded). */
  count: number;
  /** Their total duration, seconds. */
  seconds: number;
  /** Duration of the last one, seconds. */
  lastSeconds: number;
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const MAX_RETRY_MS = 1000;
/** Slot flag: the record goes into the log but not into the tables (its pair was cancelled). */
const LOG_ONLY = 1;
const INITIAL_SLOTS = 1024;

/**
 * Group commit: collects change records into numbered batches and commits one batch at a time.
 *
 * `sync` and `none` seal the batch at the end of the event-loop turn that opened it
 * (`setImmediate`), so every change made while handling one round of I/O lands in one
 * transaction; while a commit is in flight, new records pile up and go into the next batch.
 * `batched` seals every `intervalMs`. A failed batch is merged back in front of the next one and
 * retried with backoff, so the store converges once writes succeed again.
 *
 * Every record gets a token (the running count of writes). A `queue.update`, `queue.delete` or
 * `msg.delete` written with the token of its put (`ref`) cancels against that put while the put
 * has not reached the tables: in the open batch both vanish; in a windowed store's log the undo
 * record is still logged (for replay) but neither is applied to the tables.
 */
export class Batcher {
  /** Newest durable batch. */
  durableSeq = 0;
  /** Commit timings, kept per batch (never per record). */
  readonly commitStats: CommitStats = { count: 0, seconds: 0, lastSeconds: 0 };
  /** `false` between a failed commit and the next successful one. */
  healthy = true;

  private readonly commitFn: CommitFn;
  private readonly durability: DurabilityMode;
  private readonly intervalMs: number;
  private readonly log: StoreLogger | undefined;
  private readonly retryBaseMs: number;
  /**
   * Records not yet forgotten: the window (committed, windowed stores only), then the batch being
   * committed, then the open batch. A cancelled record leaves `undefined` in its slot.
   */
  private slots: Array<ChangeRecord | undefined> = new Array(INITIAL_SLOTS);
  /** {@link LOG_ONLY} or 0, per slot. */
  private flags = new Uint8Array(INITIAL_SLOTS);
  /**
   * Per put slot: 1 + the slot of the log-only `queue.update` last written for it, or 0. A
   * delete (or a newer update) in the same open batch makes that update redundant: the batch is
   * applied whole or not at all, so only the last word about an entry needs logging.
   */
  private updateAt = new Int32Array(INITIAL_SLOTS);
  /**
   * Slots in use. The arrays only grow: a window of a second holds a million slots, and
   * reallocating that much every checkpoint made the old generation churn.
   */
  private len = 0;
  /** Token of `slots[0]` minus one. */
  private base = 0;
  /** Tokens up to this one address no slot (forgotten, or moved by a failed batch). */
  private floor = 0;
  /** Index of the first slot of the oldest batch being committed (= `openStart` when none). */
  private commitStart = 0;
  /** Sealed batches not yet settled in order, oldest first. */
  private inflight: InFlight[] = [];
  private readonly pipeline: number;
  /** Index of the first slot of the open batch. */
  private openStart = 0;
  /** The records of the batch being handed to the commit function (windowed batchers). */
  private readonly scratch: ChangeRecord[] = [];
  /** Records written so far: the token of the latest write. */
  written = 0;
  /** Slots holding a record that a drain would return (neither cancelled nor log-only). */
  private live = 0;
  private readonly windowed: boolean;
  private openSeq = 1;
  private due = false;
  private closed = false;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = 0;
  private readonly waiters = new Map<number, Waiter>();
  private readonly durableListeners: DurableListener[] = [];
  private readonly errorListeners: StoreErrorListener[] = [];

  constructor(commitFn: CommitFn, options: BatcherOptions) {
    this.commitFn = commitFn;
    this.durability = options.durability;
    this.intervalMs = options.intervalMs;
    this.log = options.log;
    this.retryBaseMs = options.retryMs ?? 50;
    this.windowed = options.windowed ?? false;
    this.pipeline = Math.max(1, options.pipeline ?? 1);
  }

  /**
   * Appends to the open batch; returns its sequence number. `ref` is the token of the put that
   * this `queue.update`, `queue.delete` or `msg.delete` changes or undoes (0 = none).
   */
  write(record: ChangeRecord, ref = 0): number {
    if (this.closed) throw new StoreError('CLOSED', 'store is closed');
    if (ref > this.floor) {
      const i = ref - 1 - this.base;
      const put = this.slots[i];
      if (put !== undefined && this.flags[i] === 0) {
        if (record.kind === 'queue.update') {
          // The put belongs to the store now (its batch, if sealed, is already encoded).
          if (put.kind === 'queue.put') {
            put.entry.state = record.state;
            put.entry.packetId = record.packetId;
          }
        } else {
          this.slots[i] = undefined;
          this.live--;
        }
        // A put still in the open batch now says it all; otherwise the log needs the record,
        // except a message's delete: replay would put back a message nothing refers to, and
        // loading sweeps those.
        if (i >= this.openStart || record.kind === 'msg.delete') return this.openSeq;
        if (record.kind === 'queue.update' || record.kind === 'queue.delete') {
          this.dropOpenUpdate(i, record.clientId, record.seq);
          if (record.kind === 'queue.update') this.updateAt[i] = this.len + 1;
        }
        return this.push(record, LOG_ONLY);
      }
    }
    return this.push(record, 0);
  }

  private push(record: ChangeRecord, flag: number): number {
    this.append(record, flag);
    this.written++;
    if (flag === 0) this.live++;
    if (this.len - this.openStart === 1) this.schedule();
    return this.openSeq;
  }

  /**
   * Removes the log-only `queue.update` of the put in slot `i` if it is still in the open batch.
   * The slot may have been emptied since (its batch committed); the key is checked as well, so
   * that only that entry's update can ever be dropped.
   */
  private dropOpenUpdate(i: number, clientId: string, seq: number): void {
    const j = (this.updateAt[i] as number) - 1;
    if (j < this.openStart || j >= this.len) return;
    const u = this.slots[j];
    if (u?.kind === 'queue.update' && u.seq === seq && u.clientId === clientId) {
      this.slots[j] = undefined;
    }
  }

  private append(record: ChangeRecord | undefined, flag: number): void {
    if (this.len === this.flags.length) this.grow();
    this.slots[this.len] = record;
    this.flags[this.len] = flag;
    this.updateAt[this.len] = 0;
    this.len++;
  }

  private grow(): void {
    const slots = new Array<ChangeRecord | undefined>(this.len * 2);
    for (let i = 0; i < this.len; i++) slots[i] = this.slots[i];
    const flags = new Uint8Array(this.len * 2);
    flags.set(this.flags);
    const updateAt = new Int32Array(this.len * 2);
    updateAt.set(this.updateAt);
    this.slots = slots;
    this.flags = flags;
    this.updateAt = updateAt;
  }

  /** Forgets the first `n` slots, moving the rest to the front. */
  private shift(n: number): void {
    const len = this.len;
    if (n < len) {
      this.slots.copyWithin(0, n, len);
      this.flags.copyWithin(0, n, len);
      const at = this.updateAt;
      at.copyWithin(0, n, len);
      for (let k = 0; k < len - n; k++) at[k] = Math.max(0, (at[k] as number) - n);
    }
    this.slots.fill(undefined, len - n, len);
    this.len = len - n;
  }

  /** Slots (records, cancelled or not) committed but not yet taken by a drain. */
  get windowSize(): number {
    return this.commitStart;
  }

  /** Records a drain would return now or later: neither cancelled nor log-only. */
  get liveRecords(): number {
    return this.live;
  }

  /** Sequence number of the newest batch in the window (what a drain now would cover). */
  get windowSeq(): number {
    return this.durableSeq;
  }

  /**
   * Takes the net records of every durable batch (for a windowed store's tables), in order,
   * without the pairs that cancelled out, and forgets them. They cover batches up to
   * {@link Batcher.windowSeq} as it was before the call.
   */
  drainWindow(): ChangeRecord[] {
    const n = this.commitStart;
    const out: ChangeRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.slots[i];
      if (r !== undefined && this.flags[i] === 0) out.push(r);
    }
    this.live -= out.length;
    this.shift(n);
    this.base += n;
    this.floor = this.base;
    this.commitStart = 0;
    this.openStart -= n;
    for (const b of this.inflight) {
      b.start -= n;
      b.end -= n;
    }
    return out;
  }

  onDurable(listener: DurableListener): void {
    this.durableListeners.push(listener);
  }

  onError(listener: StoreErrorListener): void {
    this.errorListeners.push(listener);
  }

  whenDurable(seq: number): Promise<void> {
    if (seq <= this.durableSeq) return RESOLVED;
    let w = this.waiters.get(seq);
    if (w === undefined) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      w = { promise, resolve, reject };
      this.waiters.set(seq, w);
    }
    return w.promise;
  }

  /** Seals the open batch now and resolves when everything written so far is durable. */
  flush(): Promise<void> {
    const last = this.len > this.openStart ? this.openSeq : this.openSeq - 1;
    if (last <= this.durableSeq) return RESOLVED;
    this.due = true;
    this.startCommit();
    return this.whenDurable(last);
  }

  /** Flushes, then refuses further writes. A failing flush still closes; the error propagates. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      // A failed commit is retried on its own timer; give the final flush a few tries too.
      for (let attempt = 0; ; attempt++) {
        try {
          await this.flush();
          break;
        } catch (err) {
          if (attempt >= 2) throw err;
        }
      }
    } finally {
      this.closed = true;
      this.clearTimers();
    }
  }

  private schedule(): void {
    if (this.inflight.length >= this.pipeline || this.failing) {
      if (this.durability === 'batched' && this.timer === undefined && !this.due) {
        this.timer = setTimeout(this.onTimer, this.intervalMs);
      }
      return;
    }
    if (this.immediate !== undefined || this.timer !== undefined) return;
    if (this.durability === 'batched') this.timer = setTimeout(this.onTimer, this.intervalMs);
    else this.immediate = setImmediate(this.onTimer);
  }

  private readonly onTimer = (): void => {
    this.immediate = undefined;
    this.timer = undefined;
    this.due = true;
    this.startCommit();
  };

  private clearTimers(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.immediate = undefined;
    this.timer = undefined;
  }

  private startCommit(): void {
    if (this.inflight.length >= this.pipeline || this.failing) return;
    if (this.len === this.openStart) return;
    this.clearTimers();
    this.due = false;
    // A windowed batcher keeps its slots, not this list (a failed batch is taken back by slot
    // range), so one array serves every batch: no 10-20 KB of garbage per commit.
    const records = this.windowed ? this.scratch : [];
    // Filled by index and then cut: `length = 0` would drop the array's storage every time.
    let n = 0;
    for (let i = this.openStart; i < this.len; i++) {
      const r = this.slots[i];
      if (r !== undefined) records[n++] = r;
    }
    records.length = n;
    const seq = this.openSeq;
    this.openSeq++;
    const batch: InFlight = {
      seq,
      start: this.openStart,
      end: this.len,
      records,
      outcome: 0,
      error: undefined,
      // Read here: a windowed batcher's `records` array is reused by the next batch.
      startedAt: records.length === 0 ? 0 : performance.now(),
    };
    if (this.inflight.length === 0) this.commitStart = this.openStart;
    this.openStart = this.len;
    if (!this.windowed) {
      this.live = 0;
      this.shift(this.len);
      this.base = this.floor = this.written;
      this.commitStart = this.openStart = 0;
    }
    this.inflight.push(batch);
    let p: Promise<void>;
    if (records.length === 0) {
      // Everything in it cancelled out: durable as soon as every earlier batch is.
      p = RESOLVED;
    } else {
      try {
        p = this.commitFn(records, seq);
      } catch (err) {
        p = Promise.reject(err);
      }
    }
    p.then(
      () => this.settle(batch, 1, undefined),
      (err: unknown) => this.settle(batch, 2, err),
    );
    // Pipelined: the next turn's records may go out before this batch is durable.
    if (this.len > this.openStart) this.schedule();
  }

  /** Set between a failed batch and the moment every batch in flight with it has settled. */
  private failing = false;

  private settle(batch: InFlight, outcome: number, err: unknown): void {
    batch.outcome = outcome;
    batch.error = err;
    if (outcome === 2) this.failing = true;
    if (this.failing) {
      // Nothing after a failed batch may be reported durable before it: wait for all, then
      // requeue the failed batch and everything after it, in order.
      if (this.inflight.some((b) => b.outcome === 0)) return;
      this.requeue();
      return;
    }
    while (this.inflight.length > 0 && (this.inflight[0] as InFlight).outcome === 1) {
      this.committed(this.inflight.shift() as InFlight);
    }
    this.afterSettle();
  }

  private committed(b: InFlight): void {
    if (b.startedAt > 0) {
      const took = (performance.now() - b.startedAt) / 1000;
      this.commitStats.count++;
      this.commitStats.seconds += took;
      this.commitStats.lastSeconds = took;
    }
    if (this.windowed) {
      // Log-only records are in the log now; the window keeps only what the tables need, so
      // that a second of undo records does not live on (and age into the old generation).
      for (let i = b.start; i < b.end; i++) {
        if (this.flags[i] !== 0) this.slots[i] = undefined;
      }
    }
    const seq = b.seq;
    this.commitStart =
      this.inflight.length > 0 ? (this.inflight[0] as InFlight).start : this.openStart;
    if (!this.windowed) this.commitStart = 0;
    this.durableSeq = seq;
    if (!this.healthy) this.log?.info({ seq }, 'store writes succeed again');
    this.healthy = true;
    this.retryMs = 0;
    for (const [s, w] of this.waiters) {
      if (s <= seq) {
        this.waiters.delete(s);
        w.resolve();
      }
    }
    for (const l of this.durableListeners) l(seq);
  }

  private afterSettle(): void {
    if (this.len > this.openStart) {
      // Records that arrived during the commit have waited a full commit already.
      if (this.durability !== 'batched' || this.due) this.startCommit();
      else this.schedule();
    } else if (this.inflight.length === 0 && this.waiters.size > 0) {
      // Waiters for an empty open batch: everything written is durable.
      for (const [s, w] of this.waiters) {
        if (s < this.openSeq) {
          this.waiters.delete(s);
          w.resolve();
        }
      }
    }
  }

  private requeue(): void {
    const batches = this.inflight;
    this.inflight = [];
    this.failing = false;
    // Batches that committed before the first failure are durable, in order.
    let k = 0;
    while (k < batches.length && (batches[k] as InFlight).outcome === 1) {
      const b = batches[k] as InFlight;
      this.inflight = batches.slice(k + 1);
      this.committed(b);
      k++;
    }
    this.inflight = [];
    const rest = batches.slice(k);
    const first = rest[0] as InFlight;
    const failedBatch = rest.find((b) => b.outcome === 2) ?? first;
    this.healthy = false;
    const cause = failedBatch.error;
    const err =
      cause instanceof StoreError
        ? cause
        : new StoreError('WRITE', `store commit failed: ${errorMessage(cause)}`, { cause });
    // Keep order: the requeued records go before anything written since. A batch that did
    // commit after the failed one is written again; replaying a suffix of the log in order is
    // harmless, and nothing of it was reported durable.
    if (this.windowed) {
      this.openStart = this.commitStart = first.start;
    } else {
      const records: ChangeRecord[] = [];
      for (const b of rest) for (const r of b.records) records.push(r);
      const open = this.slots.slice(0, this.len);
      const openFlags = this.flags.slice(0, this.len);
      this.shift(this.len);
      for (const r of records) this.append(r, 0);
      for (let i = 0; i < open.length; i++) this.append(open[i], openFlags[i] as number);
      // The slots moved: tokens written so far can no longer be found.
      this.floor = this.written;
      this.base = this.written - this.len;
    }
    for (const b of rest) {
      const w = this.waiters.get(b.seq);
      if (w !== undefined) {
        this.waiters.delete(b.seq);
        w.reject(err);
      }
    }
    if (this.errorListeners.length === 0) {
      this.log?.error({ err, seq: failedBatch.seq }, 'store commit failed; retrying');
    }
    for (const l of this.errorListeners) l(err, failedBatch.seq);
    this.retryMs = this.retryMs === 0 ? this.retryBaseMs : Math.min(this.retryMs * 2, MAX_RETRY_MS);
    if (!this.closed) {
      this.clearTimers();
      this.timer = setTimeout(this.onTimer, this.retryMs);
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
