// Child-process entry of the salvage (see salvage.ts): copies the readable, well-formed records of
// ONE table from a damaged database (a copy, opened read-only) into a fresh one, committing every
// few hundred records and printing the running count, so that whatever was copied before a
// fault survives it. Last line: `done <n> <bad>` or `error <n> <bad> <message>`.
import { open } from 'lmdb';
import { VALIDATORS } from './validate.js';

const CHUNK = 200;

function main(srcDir: string, dstDir: string, table: string): void {
  // The destination first: it must exist even if opening the damaged source faults.
  const dst = open({ path: dstDir, maxDbs: 32 });
  const to = dst.openDB(table, {});
  const src = open({ path: srcDir, maxDbs: 32, readOnly: true });
  // Read-only, a table the file does not have yet (an older format) opens as undefined.
  const from = src.openDB(table, {}) as ReturnType<typeof src.openDB> | undefined;
  if (from === undefined) {
    process.stdout.write('done 0 0\n');
    return;
  }
  const valid = VALIDATORS[table];
  let copied = 0;
  let bad = 0;
  let chunk: Array<[unknown, unknown]> = [];
  const flush = (): void => {
    if (chunk.length === 0) return;
    const rows = chunk;
    chunk = [];
    dst.transactionSync(() => {
      for (const [k, v] of rows) void to.put(k as string, v);
    });
    copied += rows.length;
    process.stdout.write(`${copied}\n`);
  };
  try {
    for (const { key, value } of from.getRange({})) {
      if (value === undefined || (valid !== undefined && valid(value) === undefined)) {
        bad++;
        continue;
      }
      chunk.push([key, value]);
      if (chunk.length >= CHUNK) flush();
    }
    flush();
    process.stdout.write(`done ${copied} ${bad}\n`);
  } catch (err) {
    flush();
    const msg = err instanceof Error ? err.message : String(err);
    process.stdout.write(`error ${copied} ${bad} ${msg.replace(/\s+/g, ' ')}\n`);
  }
}

const [srcDir, dstDir, table] = process.argv.slice(2);
if (srcDir === undefined || dstDir === undefined || table === undefined) {
  process.stderr.write('usage: salvage-child.js <src> <dst> <table>\n');
  process.exitCode = 2;
} else {
  main(srcDir, dstDir, table);
}
