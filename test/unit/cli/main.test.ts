import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const pkg = JSON.parse(
  readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

test('petrel --version prints the package version', () => {
  const r = spawnSync(process.execPath, [main, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('petrel --help lists the commands and exits 0', () => {
  const r = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['broker', 'pub', 'sub', 'bench', 'passwd'])
    assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('petrel with an unknown command names it and exits non-zero', () => {
  const r = spawnSync(process.execPath, [main, 'frobnicate'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});
