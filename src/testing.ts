/**
 * `petrel/testing`: conformance suites for plug-ins. A custom Store passes the same contract
 * tests as the built-in memory and LMDB stores:
 *
 * ```ts
 * import { storeConformance } from 'petrel/testing';
 * storeConformance(() => ({ create: (o) => new MyStore(o), destroy: async () => {} }));
 * ```
 */
export {
  type StoreConformanceOptions,
  type StoreFixture,
  storeConformance,
} from './persistence/conformance.js';
