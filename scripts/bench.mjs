#!/usr/bin/env node
// `npm run bench -- <name>`: runs the compiled benchmark dist/bench/micro/<name>.js (or
// dist/bench/macro/<name>.js). Without a name, lists the available benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [name, ...rest] = process.argv.slice(2);
const dirs = ['dist/bench/micro', 'dist/bench/macro'];
const list = () =>
  dirs.flatMap((d) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith('.js') && f !== 'harness.js')
          .map((f) => f.slice(0, -3))
      : [],
  );
if (!name) {
  console.log(`usage: npm run bench -- <name>\navailable: ${list().join(', ')}`);
  process.exit(0);
}
const file = dirs.map((d) => join(d, `${name}.js`)).find((f) => existsSync(f));
if (!file) {
  console.error(`bench: no benchmark '${name}' (available: ${list().join(', ')})`);
  process.exit(1);
}
const res = spawnSync(process.execPath, [file, ...rest], { stdio: 'inherit' });
process.exit(res.status ?? 1);
