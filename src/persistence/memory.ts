import { BatchedStore } from './batched-store.js';
import { StateImage } from './image.js';
import {
  type ChangeRecord,
  type Snapshot,
  type Store,
  StoreError,
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
export class MemoryStore extends BatchedStore implements Store {
  /** The backing state ("the disk"). */
  readonly image: StateImage;
  private readonly beforeCommit: MemoryStoreOptions['beforeCommit'];

  /** A store on `options.image`, or on a fresh empty image. */
  constructor(options: MemoryStoreOptions = {}) {
    super(options.durability ?? 'none', options);
    this.image = options.image ?? new StateImage();
    this.beforeCommit = options.beforeCommit;
  }

  /** See {@link Store.open}; nothing to open in memory. */
  async open(): Promise<void> {
    if (this.state === 'closed') throw new StoreError('CLOSED', 'store is closed');
    this.state = 'open';
  }

  /** See {@link Store.load}: the image, minus messages nothing refers to any more. */
  async load(): Promise<Snapshot> {
    if (this.state !== 'open') throw new StoreError('CLOSED', 'store is not open');
    this.image.sweepMessages();
    return this.image.snapshot();
  }

  /** See {@link Store.close}: commits what was written, then refuses writes. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      await this.batcher.close();
    } finally {
      this.state = 'closed';
    }
  }

  protected async commit(records: ChangeRecord[]): Promise<void> {
    if (this.beforeCommit !== undefined) await this.beforeCommit(records);
    for (const r of records) this.image.apply(r);
    this.image.lastCommitAt = Date.now();
  }
}
