import { Batcher } from './batcher.js';
import { StateImage } from './image.js';
import {
  type ChangeRecord,
  type DurabilityMode,
  type DurableListener,
  type Snapshot,
  type Store,
  StoreError,
  type StoreErrorListener,
  type StoreOptions,
} from './types.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions extends StoreOptions {
  /**
   * The state to open; pass the same image to a new store to simulate a restart (tests).
   * Default: a fresh empty image.
   */
  image?: StateImage;
  /**
   * Called with each batch before it is applied; throwing (or rejecting) fails that commit.
   * Lets tests simulate a full disk without one.
   */
  beforeCommit?: (records: readonly ChangeRecord[]) => void | Promise<void>;
}

/**
 * The in-memory store: the `none` durability mode and the default for tests and embedding.
 * It follows the full Store contract (batches, sequence numbers, load after "reopen" on the same
 * {@link StateImage}), so a broker behaves identically on it and on a durable store.
 */
export class MemoryStore implements Store {
  readonly durability: DurabilityMode;
  /** The backing state ("the disk"). */
  readonly image: StateImage;
  private readonly batcher: Batcher;
  private readonly beforeCommit: MemoryStoreOptions['beforeCommit'];
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(options: MemoryStoreOptions = {}) {
    this.durability = options.durability ?? 'none';
    this.image = options.image ?? new StateImage();
    this.beforeCommit = options.beforeCommit;
    this.batcher = new Batcher(this.commit, {
      durability: this.durability,
      intervalMs: options.intervalMs ?? 10,
      log: options.log,
    });
  }

  get durableSeq(): number {
    return this.batcher.durableSeq;
  }

  get healthy(): boolean {
    return this.batcher.healthy;
  }

  async open(): Promise<void> {
    if (this.state === 'closed') throw new StoreError('CLOSED', 'store is closed');
    this.state = 'open';
  }

  async load(): Promise<Snapshot> {
    if (this.state !== 'open') throw new StoreError('CLOSED', 'store is not open');
    this.image.sweepMessages();
    return this.image.snapshot();
  }

  write(record: ChangeRecord): number {
    if (this.state === 'closed') throw new StoreError('CLOSED', 'store is closed');
    return this.batcher.write(record);
  }

  onDurable(listener: DurableListener): void {
    this.batcher.onDurable(listener);
  }

  onError(listener: StoreErrorListener): void {
    this.batcher.onError(listener);
  }

  whenDurable(seq: number): Promise<void> {
    return this.batcher.whenDurable(seq);
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      await this.batcher.close();
    } finally {
      this.state = 'closed';
    }
  }

  private readonly commit = async (records: ChangeRecord[]): Promise<void> => {
    if (this.beforeCommit !== undefined) await this.beforeCommit(records);
    for (const r of records) this.image.apply(r);
    this.image.lastCommitAt = Date.now();
  };
}
