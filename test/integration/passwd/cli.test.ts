import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PasswordAuthenticator } from '../../../src/auth/password-file.js';
import { CLI_MAIN, runCli } from '../../helpers/cli.js';

const MOSQ6 =
  '$6$/+fEbfNkaapT20z2$bskVq1jZmtRY1wnanQiKHNGiqnlPjfseAeF6+vKwVvw7I78+YJEkqYksURqaW/eSXszvgBiRQ9hpF0O9hlLi5Q==';
const MOSQ7 =
  '$7$101$E05tniMtJN/t3aWT$W9ZYZeSWlk3ZoPZihnp0RoB+nn5dH5RdrIcoSPJDNCtER7Dc+ZFyflitDpearhzzlyk6002OhG8p8jPnMU8FfA==';
const SCRYPT_LINE = /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

type Result = Awaited<ReturnType<typeof runCli>>;

/** Runs `petrel passwd ...`; `input` is written to stdin, which is then closed. */
function petrel(args: string[], input = ''): Promise<Result> {
  return runCli(['passwd', ...args], { cwd: dir, input, encoding: 'utf8' });
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-passwd-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function onlyFiles(...names: string[]): void {
  assert.deepEqual(readdirSync(dir).sort(), [...names].sort(), 'no temporary files left behind');
}

test('-c -b creates a 0600 file with one scrypt line that verifies', async () => {
  const f = join(dir, 'create');
  const r = await petrel(['-c', '-b', f, 'alice', 'pw-alice']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(mode(f), 0o600);
  const text = readFileSync(f, 'utf8');
  const [user, hash, ...rest] = text.trimEnd().split(':');
  assert.equal(user, 'alice');
  assert.match(hash ?? '', SCRYPT_LINE);
  assert.deepEqual(rest, []);
  const auth = PasswordAuthenticator.fromText(text);
  assert.equal(await auth.authenticate('alice', 'pw-alice'), true);
  assert.equal(await auth.authenticate('alice', 'pw-bob'), false);
  rmSync(f);
});

test('-b adds and updates users in place, keeping comments and other lines', async () => {
  const f = join(dir, 'update');
  writeFileSync(f, `# managed by hand\nbob:${MOSQ7}\n\ncarol:${MOSQ6}\n`, { mode: 0o644 });
  chmodSync(f, 0o644);
  assert.equal((await petrel(['-b', f, 'bob', 'new-bob'])).code, 0);
  assert.equal((await petrel(['-b', f, 'dave', 'pw-dave'])).code, 0);
  const lines = readFileSync(f, 'utf8').split('\n');
  assert.equal(lines[0], '# managed by hand');
  assert.match(lines[1] ?? '', /^bob:\$scrypt\$/);
  assert.equal(lines[2], '');
  assert.equal(lines[3], `carol:${MOSQ6}`);
  assert.match(lines[4] ?? '', /^dave:\$scrypt\$/);
  assert.equal(lines[5], '');
  assert.equal(lines.length, 6);
  assert.equal(mode(f), 0o600, 'rewritten files are 0600 whatever the old mode');
  const auth = PasswordAuthenticator.fromText(readFileSync(f, 'utf8'));
  assert.equal(await auth.authenticate('bob', 'new-bob'), true);
  assert.equal(await auth.authenticate('bob', 'secret'), false);
  assert.equal(await auth.authenticate('carol', 'hunter2'), true);
  assert.equal(await auth.authenticate('dave', 'pw-dave'), true);
  onlyFiles('update');
  rmSync(f);
});

test('without -b the password is one line of standard input when it is not a terminal', async () => {
  const f = join(dir, 'stdin');
  const r = await petrel(['-c', f, 'erin'], 'from stdin\r\nsecond line ignored\n');
  assert.equal(r.code, 0, r.stderr);
  const auth = PasswordAuthenticator.fromText(readFileSync(f, 'utf8'));
  assert.equal(await auth.authenticate('erin', 'from stdin'), true);
  const empty = await petrel([f, 'frank'], '');
  assert.equal(empty.code, 1);
  assert.equal(empty.stderr, 'petrel passwd: no password on standard input\n');
  const blank = await petrel([f, 'frank'], '\n');
  assert.equal(blank.code, 1);
  assert.equal(blank.stderr, 'petrel passwd: the password is empty\n');
  rmSync(f);
});

test('-D deletes a user; deleting an unknown user fails with one line', async () => {
  const f = join(dir, 'delete');
  writeFileSync(f, `# c\nbob:${MOSQ7}\ncarol:${MOSQ6}\n`);
  const r = await petrel(['-D', f, 'bob']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(f, 'utf8'), `# c\ncarol:${MOSQ6}\n`);
  assert.equal(mode(f), 0o600);
  const again = await petrel(['-D', f, 'bob']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `petrel passwd: user 'bob' not found in ${f}\n`);
  rmSync(f);
});

test('-U hashes plain-text passwords and keeps (and lists) Mosquitto hashes', async () => {
  const f = join(dir, 'upgrade');
  writeFileSync(f, `# plain\nalice:pw-alice\nbob:${MOSQ7}\ncarol:${MOSQ6}\ndave: spaced pw \n`);
  const r = await petrel(['-U', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /hashed 2 plain-text passwords/);
  assert.match(r.stdout, new RegExp(`${f}:3: user 'bob' keeps a Mosquitto \\$7\\$ hash`));
  assert.match(r.stdout, new RegExp(`${f}:4: user 'carol' keeps a Mosquitto \\$6\\$ hash`));
  const text = readFileSync(f, 'utf8');
  assert.ok(text.includes(`bob:${MOSQ7}\n`));
  assert.ok(text.includes(`carol:${MOSQ6}\n`));
  assert.doesNotMatch(text, /pw-alice/);
  assert.equal(mode(f), 0o600);
  const auth = PasswordAuthenticator.fromText(text);
  assert.equal(await auth.authenticate('alice', 'pw-alice'), true);
  assert.equal(await auth.authenticate('bob', 'secret'), true);
  assert.equal(await auth.authenticate('carol', 'hunter2'), true);
  assert.equal(await auth.authenticate('dave', 'spaced pw'), true);
  // Running it again changes nothing: every line is now a hash.
  const again = await petrel(['-U', f]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /hashed 0 plain-text passwords/);
  assert.equal(readFileSync(f, 'utf8'), text);
  onlyFiles('upgrade');
  rmSync(f);
});

test('a malformed file is refused with its line number and left untouched', async () => {
  const f = join(dir, 'broken');
  const original = `alice:${MOSQ7}\nthis line has no colon\n`;
  writeFileSync(f, original);
  for (const args of [
    ['-b', f, 'bob', 'pw'],
    ['-D', f, 'alice'],
    ['-U', f],
  ]) {
    const r = await petrel(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr, `petrel passwd: ${f}:2: expected 'user:hash'\n`);
  }
  assert.equal(readFileSync(f, 'utf8'), original);
  rmSync(f);
});

test('errors: missing file, bad user names, usage errors (exit 2)', async () => {
  const missing = await petrel(['-b', join(dir, 'nope'), 'u', 'p']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^petrel passwd: .*nope: no such file \(use -c to create it\)\n$/);
  const cases: [string[], RegExp][] = [
    [['-c', '-b', join(dir, 'x'), 'a:b', 'p'], /cannot contain ':'/],
    [['-c', '-b', join(dir, 'x'), '#a', 'p'], /cannot start with '#'/],
    [['-c', '-b', join(dir, 'x'), 'a\tb', 'p'], /cannot contain control characters/],
    [['-b', join(dir, 'x'), 'u'], /missing arguments/],
    [['-D', join(dir, 'x'), 'u', 'extra'], /too many arguments/],
    [['-c', '-D', join(dir, 'x'), 'u'], /-c cannot be used with -D or -U/],
    [['-b', '-U', join(dir, 'x')], /cannot be combined/],
    [['--frob'], /unknown option '--frob'/],
  ];
  for (const [args, reason] of cases) {
    const r = await petrel(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^petrel passwd: /);
    assert.match(r.stderr, reason);
  }
  onlyFiles();
  const help = await petrel(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: petrel passwd/);
});

test('a password may start with a dash in batch mode', async () => {
  const f = join(dir, 'dash');
  assert.equal((await petrel(['-c', '-b', f, 'u', '-D'])).code, 0);
  const auth = PasswordAuthenticator.fromText(readFileSync(f, 'utf8'));
  assert.equal(await auth.authenticate('u', '-D'), true);
  rmSync(f);
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `keys` into it. */
function onTerminal(args: string[], keys: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, CLI_MAIN, 'passwd', ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: dir, timeout: 8000 });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.on('error', reject);
    // Keep our end open until the child exits: EOF on script's input could end the session.
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }));
    child.stdin.write(keys);
  });
}

test('on a terminal the password is prompted twice and must match', async () => {
  const f = join(dir, 'tty');
  const ok = await onTerminal(['-c', f, 'tina'], 'tty-secret\rtty-secret\r');
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /Password: [\s\S]*Reenter password: /);
  const auth = PasswordAuthenticator.fromText(readFileSync(f, 'utf8'));
  assert.equal(await auth.authenticate('tina', 'tty-secret'), true);
  const before = readFileSync(f, 'utf8');
  const bad = await onTerminal([f, 'tina'], 'one\rtwo\r');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /petrel passwd: passwords do not match/);
  assert.equal(readFileSync(f, 'utf8'), before);
  rmSync(f);
});
