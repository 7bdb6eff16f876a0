/** The embedded LMDB store. */

export { FORMAT_VERSION } from './format.js';
export { LmdbStore, type LmdbStoreOptions } from './store.js';
