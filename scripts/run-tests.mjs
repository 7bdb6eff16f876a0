#!/usr/bin/env node
// Node 20's test runner does not expand globs: collect compiled *.test.js files under the given
// source folders (mirrored in dist/) and run them with the spec reporter.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const r of roots) {
  const d = join('dist', r);
  if (existsSync(d)) walk(d);
}
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const res = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
  // Debug mode of the broker's payload pins: a use of a recycled payload after its release is
  // reported as a PetrelPinWarning (src/broker/message.ts).
  { stdio: 'inherit', env: { PETREL_DEBUG_PINS: '1', ...process.env } },
);
process.exit(res.status ?? 1);
