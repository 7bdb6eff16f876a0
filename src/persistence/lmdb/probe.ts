// Child-process entry point of the integrity probe (see integrity.ts): opens the database
// read-only, reads every entry of the named tables and prints their counts as JSON. Any
// exception or fault ends the child with a non-zero status, which the parent reports.
import { open } from 'lmdb';

async function main(dir: string, tables: string[]): Promise<void> {
  const root = open({ path: dir, maxDbs: 32, readOnly: true });
  const counts: Record<string, number> = {};
  for (const name of tables) {
    // Read-only, a table the file does not have yet (an older format) opens as undefined.
    const db = root.openDB(name, {}) as ReturnType<typeof root.openDB> | undefined;
    let n = 0;
    if (db === undefined) {
      counts[name] = 0;
      continue;
    }
    for (const entry of db.getRange({})) {
      if (entry.value === undefined) throw new Error(`MDB_CORRUPTED: empty value in ${name}`);
      n++;
    }
    counts[name] = n;
  }
  process.stdout.write(JSON.stringify(counts));
  await root.close();
}

const [dir, ...tables] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: probe.js <dir> <table>...\n');
  process.exitCode = 2;
} else {
  await main(dir, tables);
}
