// Password files written by Debian's mosquitto_passwd must load and verify in Petrel unchanged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseHash } from '../../../src/auth/hash.js';
import { PasswordAuthenticator, parsePasswordFile } from '../../../src/auth/password-file.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-mosq-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('a mosquitto_passwd file with $7$ (default) and $6$ (-H sha512) hashes verifies', async () => {
  const f = join(dir, 'mixed');
  await run(MOSQUITTO_PASSWD, ['-c', '-b', f, 'pbkdf', 'pw one']);
  await run(MOSQUITTO_PASSWD, ['-H', 'sha512', '-b', f, 'sha', 'pw:two']);
  await run(MOSQUITTO_PASSWD, ['-b', f, 'utf8', 'pässwörd ✓']);
  const users = parsePasswordFile(readFileSync(f, 'utf8'), f);
  assert.equal(users.get('pbkdf')?.hash.scheme, 'pbkdf2-sha512');
  assert.equal(users.get('sha')?.hash.scheme, 'sha512');
  const auth = await PasswordAuthenticator.load(f);
  assert.equal(await auth.authenticate('pbkdf', 'pw one'), true);
  assert.equal(await auth.authenticate('pbkdf', 'pw on'), false);
  assert.equal(await auth.authenticate('sha', 'pw:two'), true);
  assert.equal(await auth.authenticate('sha', 'pw one'), false);
  assert.equal(await auth.authenticate('utf8', 'pässwörd ✓'), true);
  assert.equal(await auth.authenticate('utf8', 'passwort'), false);
});

test('a plain-text file upgraded by mosquitto_passwd -U verifies with the original passwords', async () => {
  const f = join(dir, 'plain');
  writeFileSync(f, 'ann:first\nben:second\n');
  await run(MOSQUITTO_PASSWD, ['-U', f]);
  const auth = await PasswordAuthenticator.load(f);
  assert.equal(await auth.authenticate('ann', 'first'), true);
  assert.equal(await auth.authenticate('ben', 'second'), true);
  assert.equal(await auth.authenticate('ben', 'first'), false);
});

test('petrel passwd edits a mosquitto_passwd file without disturbing its hashes', async () => {
  const f = join(dir, 'shared');
  await run(MOSQUITTO_PASSWD, ['-c', '-b', f, 'old', 'old-pw']);
  const mosquittoLine = readFileSync(f, 'utf8').trim();
  await run(process.execPath, [MAIN, 'passwd', '-b', f, 'new', 'new-pw']);
  const { stdout } = await run(process.execPath, [MAIN, 'passwd', '-U', f]);
  assert.match(stdout, /user 'old' keeps a Mosquitto \$7\$ hash/);
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  assert.equal(lines[0], mosquittoLine);
  assert.equal(parseHash((lines[1] ?? '').slice('new:'.length)).scheme, 'scrypt');
  const auth = await PasswordAuthenticator.load(f);
  assert.equal(await auth.authenticate('old', 'old-pw'), true);
  assert.equal(await auth.authenticate('new', 'new-pw'), true);
});
