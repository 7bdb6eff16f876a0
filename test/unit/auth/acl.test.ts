import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AclChecker } from '../../../src/auth/acl.js';
import { Acl } from '../../../src/auth/acl.js';

const FILE = `
# anonymous clients
topic read public/#
topic write public/inbox

user alice
topic readwrite alice/#
topic deny alice/secret/#
topic read sensors/+/temp
topic read $SYS/#
topic readwrite $SYS/broker/x

user bob
topic write bob/out
topic read #

pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern deny devices/%c/firmware
`;

const acl = Acl.parse(FILE);
const alice = acl.checker({ clientId: 'a1', username: 'alice' });
const bob = acl.checker({ clientId: 'b1', username: 'bob' });
const anon = acl.checker({ clientId: 'anon1' });
const stranger = acl.checker({ clientId: 's1', username: 'stranger' });

function matrix(
  c: AclChecker,
  op: 'canPublish' | 'canRead' | 'canSubscribe',
  cases: Record<string, boolean>,
): void {
  for (const [topic, want] of Object.entries(cases)) {
    assert.equal(c[op](topic), want, `${c.identity.username ?? '(anonymous)'} ${op} ${topic}`);
    // Second call is served from the cache and must agree.
    assert.equal(c[op](topic), want, `${op} ${topic} (cached)`);
  }
}

test('anonymous clients get the rules before the first user line, and only those', () => {
  matrix(anon, 'canRead', { 'public/a': true, 'public/inbox': true, 'alice/x': false });
  matrix(anon, 'canPublish', { 'public/inbox': true, 'public/a': false, 'alice/x': false });
  // A named user without a block gets no topic rules (Mosquitto semantics).
  matrix(stranger, 'canRead', { 'public/a': false });
});

test('a user gets its own block: read, write and readwrite', () => {
  matrix(alice, 'canPublish', {
    'alice/a': true,
    'alice/a/b': true,
    alice: true,
    'sensors/1/temp': false,
    'public/inbox': false,
  });
  matrix(alice, 'canRead', { 'alice/a': true, 'sensors/1/temp': true, 'sensors/1/2/temp': false });
  matrix(bob, 'canPublish', { 'bob/out': true, 'bob/in': false });
  matrix(bob, 'canRead', { 'bob/out': true, 'anything/at/all': true });
});

test('deny is evaluated first, whatever the rule order', () => {
  matrix(alice, 'canPublish', {
    'alice/secret': false,
    'alice/secret/x': false,
    'alice/secrets': true,
  });
  matrix(alice, 'canRead', { 'alice/secret/x': false });
  // Deny patterns are evaluated before allow patterns and before the user's own allow rules.
  const acl2 = Acl.parse('user u\ntopic readwrite #\npattern deny private/%u/#\n');
  const u = acl2.checker({ clientId: 'c', username: 'u' });
  assert.equal(u.canPublish('private/u/x'), false);
  assert.equal(u.canPublish('private/v/x'), true);
});

test('[MQTT-4.7.2-1] wildcard rules do not reach $ topics; $SYS needs its own rule', () => {
  assert.equal(bob.canRead('$SYS/broker/uptime'), false, "bob's '#' does not match $SYS");
  assert.equal(alice.canRead('$SYS/broker/uptime'), true);
  assert.equal(bob.canSubscribe('$SYS/#'), false);
  assert.equal(alice.canSubscribe('$SYS/#'), true);
  assert.equal(bob.canSubscribe('#'), true);
});

test('$SYS is read-only for clients, even with a readwrite rule or no ACL at all', () => {
  assert.equal(alice.canPublish('$SYS/broker/x'), false);
  const open = Acl.allowAll().checker({ clientId: 'x' });
  assert.equal(open.canPublish('$SYS/broker/x'), false);
  assert.equal(open.canPublish('$SYS'), false);
  assert.equal(open.canPublish('a/$SYS'), true);
  assert.equal(open.canRead('$SYS/broker/x'), true);
  assert.equal(open.canSubscribe('$SYS/#'), true);
  assert.equal(open.canPublish('any/topic'), true);
});

test('patterns substitute %c and %u for the whole level', () => {
  const dev = acl.checker({ clientId: 'dev42', username: 'carol' });
  matrix(dev, 'canPublish', {
    'devices/dev42/temp': true,
    'devices/dev43/temp': false,
    'devices/dev42': true,
  });
  matrix(dev, 'canRead', { 'users/carol/inbox': true, 'users/alice/inbox': false });
  // Pattern deny beats pattern allow.
  matrix(dev, 'canPublish', { 'devices/dev42/firmware': false });
  // %u patterns do not apply to anonymous clients.
  const anonDev = acl.checker({ clientId: 'dev42' });
  assert.equal(anonDev.canPublish('devices/dev42/temp'), true);
  assert.equal(anonDev.canRead('users/undefined/inbox'), false);
  assert.equal(anonDev.canRead('users/%u/inbox'), false);
});

test('a client id or user name containing +, # or / never matches an allow pattern', () => {
  for (const clientId of ['#', '+', 'a/b', 'dev/+', '']) {
    const c = acl.checker({ clientId, username: 'x' });
    assert.equal(c.canPublish(`devices/${clientId}/temp`), false, clientId);
    assert.equal(c.canSubscribe('devices/+/temp'), false, clientId);
    assert.equal(c.canSubscribe('devices/#'), false, clientId);
    assert.equal(c.canRead('devices/a/b/temp'), false, clientId);
  }
  for (const username of ['#', '+', 'u/v', '']) {
    const c = acl.checker({ clientId: 'ok', username });
    assert.equal(c.canRead(`users/${username}/inbox`), false, username);
    assert.equal(c.canSubscribe('users/+/inbox'), false, username);
  }
});

test('a deny pattern fails closed for an identity that cannot fill it', () => {
  const acl2 = Acl.parse('topic readwrite #\npattern deny private/%c/#\n');
  const weird = acl2.checker({ clientId: 'a/b' });
  // The unfillable level acts as '+': the deny covers every private/<x>/... topic.
  assert.equal(weird.canPublish('private/a/b/x'), false);
  assert.equal(weird.canPublish('private/other/x'), false);
  assert.equal(weird.canPublish('public/x'), true);
  const normal = acl2.checker({ clientId: 'c1' });
  assert.equal(normal.canPublish('private/other/x'), true);
  assert.equal(normal.canPublish('private/c1/x'), false);
});

test('a subscription is allowed only if a read rule covers the whole filter', () => {
  matrix(alice, 'canSubscribe', {
    'alice/#': true,
    'alice/+/b': true,
    alice: true,
    'sensors/+/temp': true,
    'sensors/kitchen/temp': true,
    'sensors/#': false,
    'sensors/+/+': false,
    '+/+/temp': false,
    '#': false,
  });
  // Write-only rules never allow a subscription.
  matrix(bob, 'canSubscribe', { 'bob/out': true });
  const w = Acl.parse('user w\ntopic write w/#\n').checker({ clientId: 'c', username: 'w' });
  assert.equal(w.canSubscribe('w/#'), false);
  assert.equal(w.canSubscribe('w/x'), false);
});

test('a deny rule refuses a subscription it covers; partly denied filters are filtered on delivery', () => {
  assert.equal(alice.canSubscribe('alice/secret/#'), false);
  assert.equal(alice.canSubscribe('alice/secret/x'), false);
  // alice/# overlaps the deny but is not covered by it: allowed, and delivery drops the secrets.
  assert.equal(alice.canSubscribe('alice/#'), true);
  assert.equal(alice.canRead('alice/secret/x'), false);
  assert.equal(alice.canRead('alice/public'), true);
});

test('[MQTT-4.8.2-1] a shared subscription is judged by its topic filter', () => {
  assert.equal(alice.canSubscribe('$share/g/alice/#'), true);
  assert.equal(alice.canSubscribe('$share/g/sensors/#'), false);
  assert.equal(alice.canSubscribe('$share/g'), false);
  assert.equal(alice.canSubscribe('$share//alice/x'), false);
});

test('no rule, no access: a user with an empty ACL can do nothing', () => {
  const none = Acl.parse('# nothing\n').checker({ clientId: 'c', username: 'u' });
  assert.equal(none.canPublish('a'), false);
  assert.equal(none.canRead('a'), false);
  assert.equal(none.canSubscribe('a'), false);
});

test('update() applies a reloaded ACL and forgets cached decisions', () => {
  const c = Acl.parse('user u\ntopic readwrite a/#\n').checker({ clientId: 'c', username: 'u' });
  assert.equal(c.canPublish('a/b'), true);
  assert.equal(c.canSubscribe('a/#'), true);
  assert.equal(c.canRead('a/b'), true);
  c.update(Acl.parse('user u\ntopic readwrite a/#\ntopic deny a/b\n'));
  assert.equal(c.canPublish('a/b'), false);
  assert.equal(c.canRead('a/b'), false);
  assert.equal(c.canSubscribe('a/#'), true);
  assert.equal(c.canSubscribe('a/b'), false);
});

test('the decision cache stays bounded and correct past its size', () => {
  const c = Acl.parse('user u\ntopic readwrite even/#\n').checker({ clientId: 'c', username: 'u' });
  for (let i = 0; i < 2000; i++) {
    const prefix = i % 2 === 0 ? 'even' : 'odd';
    assert.equal(c.canPublish(`${prefix}/${i}`), i % 2 === 0);
  }
  assert.equal(c.canPublish('even/0'), true);
  assert.equal(c.canPublish('odd/1'), false);
});

test('Acl.load reads a file and names it in errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-acl-'));
  try {
    const path = join(dir, 'acl');
    writeFileSync(path, 'user u\ntopic read a\n');
    const loaded = await Acl.load(path);
    assert.equal(loaded.checker({ clientId: 'c', username: 'u' }).canRead('a'), true);
    writeFileSync(path, 'user u\ntopic sometimes a\n');
    await assert.rejects(Acl.load(path), new RegExp(`${path}:2: invalid access type`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
