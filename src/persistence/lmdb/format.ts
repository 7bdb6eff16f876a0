import type { RootDatabase } from 'lmdb';

/** The on-disk format this build writes. Bump it with every incompatible change. */
export const FORMAT_VERSION = 1;

/** Key of the format version in the `meta` table. */
export const FORMAT_KEY = 'format';

/**
 * One migration step: rewrites a database of format `from` into format `from + 1`. Runs inside
 * the write transaction that also stores the new version, so a crash mid-migration leaves the
 * old format intact.
 */
export type Migration = (root: RootDatabase) => void;

/**
 * Migrations by source version. Format 1 is the first; add `1: (root) => { … }` together with
 * `FORMAT_VERSION = 2`, and a test that opens a format-1 database.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};
