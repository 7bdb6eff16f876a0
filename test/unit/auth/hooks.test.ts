import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Acl } from '../../../src/auth/acl.js';
import { hashPassword } from '../../../src/auth/hash.js';
import { createAuthHooks } from '../../../src/auth/hooks.js';
import { PasswordAuthenticator } from '../../../src/auth/password-file.js';

const FAST = { ln: 4, r: 8, p: 1 };

test('authenticate checks the password file; anonymous follows allowAnonymous', async () => {
  const passwords = PasswordAuthenticator.fromText(
    `alice:${await hashPassword('pw', { params: FAST })}\n`,
  );
  const base = { clientId: 'c' };
  const closed = createAuthHooks({ passwords });
  assert.equal(
    await closed.authenticate({ ...base, username: 'alice', password: Buffer.from('pw') }),
    true,
  );
  assert.equal(
    await closed.authenticate({ ...base, username: 'alice', password: Buffer.from('x') }),
    false,
  );
  assert.equal(
    await closed.authenticate({ ...base, username: 'bob', password: Buffer.from('pw') }),
    false,
  );
  assert.equal(
    await closed.authenticate({ ...base, username: undefined, password: undefined }),
    false,
  );
  const open = createAuthHooks({ passwords, allowAnonymous: true });
  assert.equal(
    await open.authenticate({ ...base, username: undefined, password: undefined }),
    true,
  );
  assert.equal(await open.authenticate({ ...base, username: 'alice', password: undefined }), false);
  const perListener = createAuthHooks({
    passwords,
    allowAnonymous: (r) => r.clientId.startsWith('local-'),
  });
  const anon = { username: undefined, password: undefined };
  assert.equal(await perListener.authenticate({ ...anon, clientId: 'local-1' }), true);
  assert.equal(await perListener.authenticate({ ...anon, clientId: 'remote-1' }), false);
});

test('authorize hooks apply the ACL per client and reuse its checker', () => {
  const hooks = createAuthHooks({ acl: Acl.parse('user u\ntopic readwrite u/#\n') });
  const u = { clientId: 'c1', username: 'u' };
  const v = { clientId: 'c2', username: 'v' };
  assert.equal(hooks.authorizePublish(u, { topic: 'u/x' }), true);
  assert.equal(hooks.authorizePublish(v, { topic: 'u/x' }), false);
  assert.equal(hooks.authorizeSubscribe(u, { topicFilter: 'u/#' }), true);
  assert.equal(hooks.authorizeSubscribe(u, { topicFilter: '#' }), false);
  assert.equal(hooks.authorizeRead(u, 'u/y'), true);
  assert.equal(hooks.authorizeRead(v, 'u/y'), false);
  assert.equal(hooks.checkerFor(u), hooks.checkerFor(u));
});

test('without an ACL everything is allowed but publishing to $SYS', () => {
  const hooks = createAuthHooks();
  const c = { clientId: 'c', username: undefined };
  assert.equal(hooks.authorizePublish(c, { topic: 'a/b' }), true);
  assert.equal(hooks.authorizePublish(c, { topic: '$SYS/x' }), false);
  assert.equal(hooks.authorizeSubscribe(c, { topicFilter: '#' }), true);
});

test('setAcl re-evaluates existing clients, cached decisions included', () => {
  const hooks = createAuthHooks({ acl: Acl.parse('user u\ntopic readwrite a/#\n') });
  const u = { clientId: 'c1', username: 'u' };
  assert.equal(hooks.authorizeRead(u, 'a/b'), true);
  assert.equal(hooks.authorizePublish(u, { topic: 'a/b' }), true);
  hooks.setAcl(Acl.parse('user u\ntopic read a/#\ntopic deny a/b\n'));
  assert.equal(hooks.authorizeRead(u, 'a/b'), false);
  assert.equal(hooks.authorizePublish(u, { topic: 'a/c' }), false);
  assert.equal(hooks.authorizeRead(u, 'a/c'), true);
  // A client seen for the first time after the reload gets the new ACL too.
  assert.equal(hooks.authorizeRead({ clientId: 'c2', username: 'u' }, 'a/b'), false);
});
