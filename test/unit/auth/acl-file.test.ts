import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Acl } from '../../../src/auth/acl.js';
import { parseAclFile } from '../../../src/auth/acl-file.js';
import { AuthFileError } from '../../../src/auth/errors.js';

test('rules before any user line are anonymous rules; user lines open blocks', () => {
  const r = parseAclFile(
    [
      '# comment',
      'topic read public/#',
      '',
      'user alice',
      'topic alice/#',
      '  topic deny alice/secret  ',
      'pattern write devices/%c/status',
      'user bob smith',
      'topic write  spaced topic/x',
      'user alice',
      'topic read more/alice',
    ].join('\n'),
  );
  assert.deepEqual(r.anonymous, [{ kind: 'topic', access: 'read', filter: 'public/#', line: 2 }]);
  assert.deepEqual(r.users.get('alice'), [
    { kind: 'topic', access: 'readwrite', filter: 'alice/#', line: 5 },
    { kind: 'topic', access: 'deny', filter: 'alice/secret', line: 6 },
    { kind: 'topic', access: 'read', filter: 'more/alice', line: 11 },
  ]);
  assert.deepEqual(r.users.get('bob smith'), [
    { kind: 'topic', access: 'write', filter: 'spaced topic/x', line: 9 },
  ]);
  // Patterns apply to everyone, wherever they appear.
  assert.deepEqual(r.patterns, [
    { kind: 'pattern', access: 'write', filter: 'devices/%c/status', line: 7 },
  ]);
});

test('a bad line is an error naming the source and line', () => {
  const cases: [string, number, RegExp][] = [
    ['topic read a\nfrobnicate x', 2, /unknown keyword 'frobnicate'/],
    ['user', 1, /missing user name/],
    ['topic', 1, /missing topic after 'topic'/],
    ['\n\npattern', 3, /missing topic after 'pattern'/],
    ['topic readonly a/b', 1, /invalid access type 'readonly'/],
    ['topic read a/#/b', 1, /invalid topic filter 'a\/#\/b'/],
    ['topic read a+', 1, /invalid topic filter/],
    ['pattern read devices/%c-x/y', 1, /must fill a whole topic level, not '%c-x'/],
    ['pattern read devices/u%u', 1, /must fill a whole topic level/],
  ];
  for (const [text, line, reason] of cases) {
    assert.throws(
      () => Acl.parse(text, 'acl.conf'),
      (err: unknown) => {
        assert.ok(err instanceof AuthFileError);
        assert.equal(err.line, line, text);
        assert.match(err.message, new RegExp(`^acl\\.conf:${line}: `));
        assert.match(err.message, reason);
        return true;
      },
      text,
    );
  }
});
