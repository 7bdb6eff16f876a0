import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuthFileError } from '../../../src/auth/errors.js';
import type { ScryptFunction, ScryptParams } from '../../../src/auth/hash.js';
import { hashPassword, nodeScrypt } from '../../../src/auth/hash.js';
import {
  PasswordAuthenticator,
  parsePasswordFile,
  splitPasswordFile,
} from '../../../src/auth/password-file.js';

const FAST = { ln: 4, r: 8, p: 1 };
const MOSQ7 =
  '$7$101$E05tniMtJN/t3aWT$W9ZYZeSWlk3ZoPZihnp0RoB+nn5dH5RdrIcoSPJDNCtER7Dc+ZFyflitDpearhzzlyk6002OhG8p8jPnMU8FfA==';

async function fileText(): Promise<string> {
  const alice = await hashPassword('alice-pw', { params: FAST });
  const carol = await hashPassword('carol-pw', { params: FAST });
  return `# users\n\nalice:${alice}\r\n  # indented comment\nbob:${MOSQ7}\ncarol : ${carol}  \n`;
}

function lineOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AuthFileError, String(err));
    return err.line;
  }
  assert.fail('expected an AuthFileError');
}

test('parsePasswordFile accepts comments, blank lines, CRLF and spaces around fields', async () => {
  const users = parsePasswordFile(await fileText());
  assert.deepEqual([...users.keys()], ['alice', 'bob', 'carol']);
  assert.equal(users.get('alice')?.line, 3);
  assert.equal(users.get('bob')?.hash.scheme, 'pbkdf2-sha512');
  assert.equal(users.get('carol')?.line, 6);
});

test('a malformed line is an error naming its line number', () => {
  const good = `a:${MOSQ7}`;
  const cases: [string, number, RegExp][] = [
    [`${good}\n\nno colon here\n`, 3, /expected 'user:hash'/],
    [`# c\n:${MOSQ7}\n`, 2, /empty user name/],
    [`${good}\nb:\n`, 2, /user 'b' has no hash/],
    [`${good}\nb:plaintext\n`, 2, /user 'b': not a recognised password hash/],
    [`${good}\nb:$2y$10$abc\n`, 2, /unknown password hash scheme/],
    [`${good}\n#\n${good}\n`, 3, /duplicate user 'a' \(first on line 1\)/],
  ];
  for (const [text, line, reason] of cases) {
    assert.equal(
      lineOf(() => parsePasswordFile(text, 'pw.txt')),
      line,
      text,
    );
    assert.throws(
      () => parsePasswordFile(text, 'pw.txt'),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^pw\\.txt:${line}: `));
        assert.match(err.message, reason);
        return true;
      },
    );
  }
});

test('splitPasswordFile keeps comments and blank lines for faithful rewriting', () => {
  const lines = splitPasswordFile('# head\n\nu:p\n');
  assert.deepEqual(lines, [
    { kind: 'other', line: 1, text: '# head' },
    { kind: 'other', line: 2, text: '' },
    { kind: 'entry', line: 3, username: 'u', value: 'p' },
  ]);
});

test('the authenticator accepts the right password and refuses everything else', async () => {
  const auth = PasswordAuthenticator.fromText(await fileText());
  assert.equal(auth.size, 3);
  assert.equal(await auth.authenticate('alice', 'alice-pw'), true);
  assert.equal(await auth.authenticate('alice', Buffer.from('alice-pw')), true);
  assert.equal(await auth.authenticate('alice', 'carol-pw'), false);
  assert.equal(await auth.authenticate('carol', 'carol-pw'), true);
  assert.equal(await auth.authenticate('bob', 'secret'), true);
  assert.equal(await auth.authenticate('bob', 'wrong'), false);
  assert.equal(await auth.authenticate('mallory', 'alice-pw'), false);
  assert.equal(await auth.authenticate('alice', undefined), false);
  assert.equal(await auth.authenticate(undefined, 'alice-pw'), false);
  assert.equal(await auth.authenticate('', ''), false);
});

test('the authenticate hook works detached from its object', async () => {
  const { authenticate } = PasswordAuthenticator.fromText(await fileText());
  assert.equal(await authenticate('alice', 'alice-pw'), true);
});

/** A scrypt that records its calls and delegates to the real one. */
function recordingScrypt(): {
  fn: ScryptFunction;
  calls: { keylen: number; params: ScryptParams }[];
} {
  const calls: { keylen: number; params: ScryptParams }[] = [];
  const fn: ScryptFunction = (password, salt, keylen, params) => {
    calls.push({ keylen, params: { ...params } });
    return nodeScrypt(password, salt, keylen, params);
  };
  return { fn, calls };
}

test('an unknown user costs the same scrypt work as a wrong password (dummy verification)', async () => {
  const text = await fileText();
  const rec = recordingScrypt();
  const auth = PasswordAuthenticator.fromText(text, { scrypt: rec.fn });

  assert.equal(await auth.authenticate('alice', 'wrong'), false);
  assert.equal(rec.calls.length, 1);
  const wrongPassword = rec.calls[0];

  assert.equal(await auth.authenticate('nobody', 'wrong'), false);
  assert.equal(rec.calls.length, 2, 'unknown user must still run scrypt');
  assert.deepEqual(rec.calls[1], wrongPassword, 'same key length and cost parameters');

  assert.equal(await auth.authenticate('alice', undefined), false);
  assert.equal(rec.calls.length, 3, 'a missing password must still run scrypt');
  assert.deepEqual(rec.calls[2], wrongPassword);
});

test('the dummy verification takes the cost parameters most users have', async () => {
  const a = await hashPassword('a', { params: { ln: 5, r: 8, p: 1 } });
  const b = await hashPassword('b', { params: { ln: 5, r: 8, p: 1 } });
  const c = await hashPassword('c', { params: FAST });
  const rec = recordingScrypt();
  const auth = PasswordAuthenticator.fromText(`a:${a}\nb:${b}\nc:${c}\n`, { scrypt: rec.fn });
  await auth.authenticate('ghost', 'x');
  assert.deepEqual(rec.calls[0]?.params, { ln: 5, r: 8, p: 1 });
});

test('reload picks up changes; a malformed file is refused and the old users stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-pw-'));
  try {
    const path = join(dir, 'passwd');
    writeFileSync(path, `alice:${await hashPassword('one', { params: FAST })}\n`);
    const auth = await PasswordAuthenticator.load(path);
    assert.equal(await auth.authenticate('alice', 'one'), true);

    writeFileSync(path, `alice:${await hashPassword('two', { params: FAST })}\n`);
    await auth.reload();
    assert.equal(await auth.authenticate('alice', 'one'), false);
    assert.equal(await auth.authenticate('alice', 'two'), true);

    writeFileSync(path, `alice:${await hashPassword('three', { params: FAST })}\nbroken\n`);
    await assert.rejects(auth.reload(), (err: Error) => {
      assert.ok(err instanceof AuthFileError);
      assert.equal(err.message, `${path}:2: expected 'user:hash'`);
      return true;
    });
    assert.equal(await auth.authenticate('alice', 'two'), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load reports a malformed line with the file name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-pw-'));
  try {
    const path = join(dir, 'passwd');
    writeFileSync(path, '# only a comment\nuser-without-hash\n');
    await assert.rejects(
      PasswordAuthenticator.load(path),
      new RegExp(`^AuthFileError: ${path}:2:`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
