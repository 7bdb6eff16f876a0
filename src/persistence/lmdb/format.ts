import type { RootDatabase } from 'lmdb';

/** The on-disk format this build writes. Bump it with every incompatible change. */
export const FORMAT_VERSION = 3;

/** Key of the format version in the `meta` table. */
export const FORMAT_KEY = 'format';

/**
 * One migration step: rewrites a database of format `from` into format `from + 1`. Runs inside
 * the write transaction that also stores the new version, so a crash mid-migration leaves the
 * old format intact.
 */
export type Migration = (root: RootDatabase) => void;

/**
 * Migrations by source version (add one together with each `FORMAT_VERSION` bump, and a test
 * that opens a database of the old format).
 *
 * 1 → 2: format 2 adds the `journal` table, which opening creates empty; the tables are
 * unchanged. The version still moves so that a format-1 build refuses a database whose journal
 * it would ignore.
 *
 * 2 → 3: format 3 adds the `security` table (dynamic security's users, roles and client rules)
 * and its two journal record kinds, which a format-2 build could not read back; opening creates
 * the table empty, so the step only moves the version.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: () => undefined,
  2: () => undefined,
};
