/**
 * Persistence: the Store contract, the in-memory store and the group-commit batcher.
 * The LMDB store lives in `./lmdb/` and is imported separately so embedding without it never
 * loads the native module.
 */

export { Batcher, type BatcherOptions, type CommitFn } from './batcher.js';
export { StateImage } from './image.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export type * from './types.js';
export { StoreError } from './types.js';
