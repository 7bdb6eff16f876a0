import type { CommitStats } from './batcher.js';
import { Batcher } from './batcher.js';
import {
  type ChangeRecord,
  type DurabilityMode,
  type DurableListener,
  StoreError,
  type StoreErrorListener,
  type StoreOptions,
} from './types.js';

/**
 * What every store built on the group-commit {@link Batcher} shares: sequence numbers,
 * durability notifications and flushing are the batcher's; a store supplies how a batch is
 * committed, and how it opens, loads and closes.
 */
export abstract class BatchedStore {
  readonly durability: DurabilityMode;
  protected readonly batcher: Batcher;
  protected state: 'new' | 'opening' | 'open' | 'closed' = 'new';

  protected constructor(
    durability: DurabilityMode,
    options: StoreOptions,
    batching: { windowed?: boolean; pipeline?: number } = {},
  ) {
    this.durability = durability;
    this.batcher = new Batcher((records, seq) => this.commit(records, seq), {
      durability,
      intervalMs: options.intervalMs ?? 10,
      log: options.log,
      ...batching,
    });
  }

  /** Makes one batch durable (in this store's sense); a rejection fails the batch. */
  protected abstract commit(records: ChangeRecord[], seq: number): Promise<void>;

  /** See {@link Store.durableSeq}. */
  get durableSeq(): number {
    return this.batcher.durableSeq;
  }

  /** See {@link Store.healthy}. */
  /** Commit timings (see {@link Store.commitStats}). */
  get commitStats(): CommitStats {
    return this.batcher.commitStats;
  }

  get healthy(): boolean {
    return this.batcher.healthy;
  }

  /** See {@link Store.write}. */
  write(record: ChangeRecord, ref = 0): number {
    if (this.state === 'closed') throw new StoreError('CLOSED', 'store is closed');
    return this.batcher.write(record, ref);
  }

  /** See {@link Store.written}. */
  get written(): number {
    return this.batcher.written;
  }

  /** See {@link Store.onDurable}. */
  onDurable(listener: DurableListener): void {
    this.batcher.onDurable(listener);
  }

  /** See {@link Store.onError}. */
  onError(listener: StoreErrorListener): void {
    this.batcher.onError(listener);
  }

  /** See {@link Store.whenDurable}. */
  whenDurable(seq: number): Promise<void> {
    return this.batcher.whenDurable(seq);
  }

  /** See {@link Store.flush}. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }
}
