import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

function salvageTable(src: string, dst: string, table: string): Promise<TableSalvage> {
  const script = fileURLToPath(new URL('./salvage-child.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, src, dst, table], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 8192) err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const finish = (status: string): void => {
      clearTimeout(timer);
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
      resolve({ table, copied, malformed, status: why });
    };
    child.on('error', (e) => finish(`cannot run salvage: ${e.message}`));
    child.on('close', (code, signal) => {
      if (signal !== null) finish(`reading faulted (${signal})`);
      else if (code !== 0 && !out.includes('done') && !out.includes('error')) {
        const cause = err
          .split('\n')
          .find((l) => /MDB_|Error:/.test(l))
          ?.trim();
        finish(cause === undefined ? `reader exited with ${code}` : `unreadable: ${cause}`);
      } else finish('complete');
    });
  });
}
