import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { runChild } from './child.js';
import { invalidateNewestMeta } from './integrity.js';

/** What the salvage recovered from one table. */
export interface TableSalvage {
  table: string;
  /** Records copied. */
  copied: number;
  /** Records skipped because their value was malformed. */
  malformed: number;
  /** `complete`, or why reading stopped early (the rest of the table is lost). */
  status: string;
}

/**
 * Copies what can still be read from a damaged `data.mdb` into a fresh database file at
 * `outFile` (not created if nothing at all could be opened). Works on a copy (extended to its expected length when truncated, so that reading
 * past the end meets zeros instead of a fault) and reads each table in its own child process:
 * a fault costs the rest of that table, not the other tables or the broker.
 */
export async function salvage(
  dataFile: string,
  workDir: string,
  outFile: string,
  tables: readonly string[],
  needBytes: number | undefined,
): Promise<TableSalvage[]> {
  const src = join(workDir, 'src');
  const dst = join(workDir, 'dst');
  mkdirSync(src, { recursive: true, mode: 0o700 });
  mkdirSync(dst, { recursive: true, mode: 0o700 });
  const copy = join(src, 'data.mdb');
  copyFileSync(dataFile, copy);
  if (needBytes !== undefined) truncateSync(copy, needBytes);
  let results: TableSalvage[] = [];
  try {
    for (const table of tables) results.push(await salvageTable(src, dst, table));
    // Nothing readable from the newest commit (its root pages were lost): try the previous one.
    if (results.every((r) => r.copied === 0 && r.status !== 'complete')) {
      if (invalidateNewestMeta(copy)) {
        rmSync(dst, { recursive: true, force: true });
        mkdirSync(dst, { mode: 0o700 });
        const previous: TableSalvage[] = [];
        for (const table of tables) previous.push(await salvageTable(src, dst, table));
        if (previous.some((r) => r.copied > 0 || r.status === 'complete')) {
          results = previous.map((r) => ({
            ...r,
            status: `${r.status} (from the previous commit)`,
          }));
        }
      }
    }
    if (existsSync(join(dst, 'data.mdb'))) renameSync(join(dst, 'data.mdb'), outFile);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return results;
}

async function salvageTable(src: string, dst: string, table: string): Promise<TableSalvage> {
  const r = await runChild('./salvage-child.js', [src, dst, table], 30_000, 8192);
  const out = r.out;
  let status: string;
  if (r.spawnError !== undefined) status = `cannot run salvage: ${r.spawnError.message}`;
  else if (r.signal !== null) status = `reading faulted (${r.signal})`;
  else if (r.code !== 0 && !out.includes('done') && !out.includes('error')) {
    const cause = r.err
      .split('\n')
      .find((l) => /MDB_|Error:/.test(l))
      ?.trim();
    status = cause === undefined ? `reader exited with ${r.code}` : `unreadable: ${cause}`;
  } else status = 'complete';
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => l !== '');
  let copied = 0;
  let malformed = 0;
  let why = status;
  for (const line of lines) {
    const [word, a, b, ...rest] = line.split(' ');
    if (word === 'done' || word === 'error') {
      copied = Number(a);
      malformed = Number(b);
      why = word === 'done' ? 'complete' : `read stopped: ${rest.join(' ')}`;
    } else if (/^\d+$/.test(word ?? '')) {
      copied = Number(word);
    }
  }
  return { table, copied, malformed, status: why };
}
