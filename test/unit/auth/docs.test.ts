// The examples in docs/security.md must be valid files, and mean what the page says they mean.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Acl } from '../../../src/auth/acl.js';
import { parsePasswordFile } from '../../../src/auth/password-file.js';

const page = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');

function block(info: string, containing: string): string {
  const re = new RegExp(`\`\`\`${info}\\n([\\s\\S]*?)\`\`\``, 'g');
  for (const m of page.matchAll(re)) if (m[1]?.includes(containing)) return m[1];
  assert.fail(`no \`\`\`${info} block containing ${containing}`);
}

test('the password file example parses', () => {
  const users = parsePasswordFile(block('', 'alice:$scrypt$'));
  assert.equal(users.get('alice')?.hash.scheme, 'scrypt');
  assert.equal(users.get('bob')?.hash.scheme, 'pbkdf2-sha512');
});

test('the ACL example parses and behaves as described', () => {
  const acl = Acl.parse(block('acl', 'user alice'));
  const alice = acl.checker({ clientId: 'dev1', username: 'alice' });
  assert.equal(alice.canPublish('alice/x'), true, 'no access word means readwrite');
  assert.equal(alice.canRead('alice/secret/x'), false);
  assert.equal(alice.canSubscribe('alice/#'), true);
  assert.equal(alice.canSubscribe('alice/secret/#'), false);
  assert.equal(alice.canSubscribe('sensors/kitchen/temp'), true);
  assert.equal(alice.canSubscribe('sensors/#'), false);
  assert.equal(alice.canPublish('devices/dev1/status'), true);
  assert.equal(alice.canPublish('devices/dev1/firmware'), false);
  const bob = acl.checker({ clientId: 'b', username: 'bob' });
  assert.equal(bob.canRead('$SYS/broker/uptime'), false);
  assert.equal(acl.checker({ clientId: 'a' }).canRead('public/news'), true);
});
