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
 * (for `sync`: committed and flushed); rejects to report a failed commit.
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
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const MAX_RETRY_MS = 1000;

/**
 * Group commit: collects change records into numbered batches and commits one batch at a time.
 *
 * `sync` and `none` seal the batch at the end of the event-loop turn that opened it
 * (`setImmediate`), so every change made while handling one round of I/O lands in one
 * transaction; while a commit is in flight, new records pile up and go into the next batch.
 * `batched` seals every `intervalMs`. A failed batch is merged back in front of the next one and
 * retried with backoff, so the store converges once writes succeed again.
 */
export class Batcher {
  /** Newest durable batch. */
  durableSeq = 0;
  /** `false` between a failed commit and the next successful one. */
  healthy = true;

  private readonly commitFn: CommitFn;
  private readonly durability: DurabilityMode;
  private readonly intervalMs: number;
  private readonly log: StoreLogger | undefined;
  private readonly retryBaseMs: number;
  private current: ChangeRecord[] = [];
  private openSeq = 1;
  private committing = false;
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
  }

  /** Appends to the open batch; returns its sequence number. */
  write(record: ChangeRecord): number {
    if (this.closed) throw new StoreError('CLOSED', 'store is closed');
    this.current.push(record);
    if (this.current.length === 1) this.schedule();
    return this.openSeq;
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
    const last = this.current.length > 0 ? this.openSeq : this.openSeq - 1;
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
    if (this.committing) {
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
    if (this.committing || this.current.length === 0) return;
    this.clearTimers();
    this.due = false;
    const records = this.current;
    const seq = this.openSeq;
    this.current = [];
    this.openSeq++;
    this.committing = true;
    let p: Promise<void>;
    try {
      p = this.commitFn(records, seq);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => this.committed(seq),
      (err: unknown) => this.failed(seq, records, err),
    );
  }

  private committed(seq: number): void {
    this.committing = false;
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
    if (this.current.length > 0) {
      // Records that arrived during the commit have waited a full commit already.
      if (this.durability !== 'batched' || this.due) this.startCommit();
      else this.schedule();
    } else if (this.waiters.size > 0) {
      // Waiters for an empty open batch: everything written is durable.
      for (const [s, w] of this.waiters) {
        if (s < this.openSeq) {
          this.waiters.delete(s);
          w.resolve();
        }
      }
    }
  }

  private failed(seq: number, records: ChangeRecord[], cause: unknown): void {
    this.committing = false;
    this.healthy = false;
    const err =
      cause instanceof StoreError
        ? cause
        : new StoreError('WRITE', `store commit failed: ${errorMessage(cause)}`, { cause });
    // Keep order: the failed records go before anything written since.
    this.current = records.concat(this.current);
    const w = this.waiters.get(seq);
    if (w !== undefined) {
      this.waiters.delete(seq);
      w.reject(err);
    }
    if (this.errorListeners.length === 0) {
      this.log?.error({ err, seq }, 'store commit failed; retrying');
    }
    for (const l of this.errorListeners) l(err, seq);
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
