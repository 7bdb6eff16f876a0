/** The embedded LMDB store. */
export { LmdbStore, type LmdbStoreOptions } from './store.js';
export { FORMAT_VERSION } from './format.js';
