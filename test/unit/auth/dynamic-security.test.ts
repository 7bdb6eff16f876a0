// DynamicSecurity in memory: rule order, placeholders, the records a change writes, loading
// stored entries, and password checks (unknown names cost a verification too).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SecurityRecord } from '../../../src/auth/dynamic/index.js';
import { DynamicSecurity, SecurityError } from '../../../src/auth/dynamic/index.js';
import type { ScryptFunction } from '../../../src/auth/hash.js';
import { nodeScrypt } from '../../../src/auth/hash.js';

const FAST = { ln: 4, r: 8, p: 1 };

function make(scrypt: ScryptFunction = nodeScrypt) {
  const written: SecurityRecord[][] = [];
  const closed: string[] = [];
  let rechecks = 0;
  const s = new DynamicSecurity({ hashParams: FAST, scrypt });
  s.bind({
    persist: async (records) => {
      written.push(records);
    },
    disconnectUser: (u) => {
      closed.push(u);
      return 1;
    },
    reauthorize: async () => {
      rechecks++;
      return 0;
    },
  });
  return { s, written, closed, rechecks: () => rechecks };
}

describe('DynamicSecurity', () => {
  test('the first matching rule decides: the client id’s rules, then each role’s in order', async () => {
    const { s } = make();
    await s.createRole({
      name: 'a',
      rules: [
        { action: 'publish', topic: 'x/secret', permission: 'deny' },
        { action: 'publish', topic: 'x/#', permission: 'allow' },
      ],
    });
    await s.createRole({
      name: 'b',
      rules: [{ action: 'publish', topic: '#', permission: 'deny' }],
    });
    await s.createUser({ username: 'u', password: 'p', roles: ['a', 'b'] });
    const c = s.checker({ clientId: 'c1', username: 'u' });
    assert.equal(c.canPublish('x/secret'), false);
    assert.equal(c.canPublish('x/open'), true);
    assert.equal(c.canPublish('y'), false);
    assert.equal(c.canRead('y'), undefined, 'no read rule: the ACL file decides');
    await s.setClientRules('c1', [{ action: 'publish', topic: 'x/secret', permission: 'allow' }]);
    assert.equal(c.canPublish('x/secret'), true, 'a live checker sees the change at once');
    await s.updateUser('u', { roles: ['b', 'a'] });
    assert.equal(c.canPublish('x/open'), false);
  });

  test('subscribe rules match filters they cover; %u and %c are filled, unsafe values fail closed', async () => {
    const { s } = make();
    await s.createRole({
      name: 'r',
      rules: [
        { action: 'subscribe', topic: 'deny/%c/#', permission: 'deny' },
        { action: 'subscribe', topic: 'home/%u/#', permission: 'allow' },
      ],
    });
    await s.createUser({ username: 'ann', password: 'p', roles: ['r'] });
    await s.createUser({ username: 'a/b', password: 'p', roles: ['r'] });
    const ann = s.checker({ clientId: 'k', username: 'ann' });
    assert.equal(ann.canSubscribe('home/ann/+/t'), true);
    assert.equal(ann.canSubscribe('$share/g/home/ann/x'), true);
    assert.equal(ann.canSubscribe('home/#'), undefined, 'home/ann/# does not cover home/#');
    assert.equal(ann.canSubscribe('deny/k/x'), false);
    // A user name holding '/' cannot stand in for %u: the allow rule grants nothing.
    assert.equal(
      s.checker({ clientId: 'k2', username: 'a/b' }).canSubscribe('home/a/b/x'),
      undefined,
    );
    // A client id holding '#' makes the deny rule deny the level for every value.
    assert.equal(s.checker({ clientId: '#', username: 'ann' }).canSubscribe('deny/zz/1'), false);
  });

  test('each change writes its records in one call; a role’s deletion takes it from its users in the same batch', async () => {
    const { s, written, rechecks } = make();
    await s.createRole({ name: 'r' });
    await s.createUser({ username: 'u1', password: 'p', roles: ['r'] });
    await s.createUser({ username: 'u2', password: 'p' });
    written.length = 0;
    const before = rechecks();
    await s.deleteRole('r');
    assert.equal(written.length, 1);
    const batch = written[0] as SecurityRecord[];
    assert.deepEqual(
      batch.map((r) =>
        r.kind === 'security.put'
          ? `put ${r.entry.type} ${r.entry.name}`
          : `delete ${r.type} ${r.name}`,
      ),
      ['delete role r', 'put user u1'],
    );
    assert.equal(rechecks(), before + 1);
    assert.deepEqual(s.getUser('u1')?.roles, []);
    const put = batch[1] as Extract<SecurityRecord, { kind: 'security.put' }>;
    assert.match(JSON.parse(put.entry.data).passwordHash, /^\$scrypt\$ln=4,r=8,p=1\$/);
  });

  test('refused changes throw a SecurityError naming the field and leave the state as it was', async () => {
    const { s, written } = make();
    await s.createUser({ username: 'u', password: 'p' });
    written.length = 0;
    const cases: Array<[() => Promise<unknown>, number, string]> = [
      [() => s.createUser({ username: 'u', password: 'x' }), 409, 'body.username'],
      [
        () => s.createUser({ username: 'v', password: 'x', roles: ['ghost'] }),
        400,
        'body.roles[0]',
      ],
      [() => s.createUser({ username: 'a\u0000b', password: 'x' }), 400, 'body.username'],
      [() => s.updateUser('ghost', { disabled: true }), 404, 'params.username'],
      [
        () =>
          s.createRole({
            name: 'r',
            rules: [{ action: 'read', topic: '#/a', permission: 'allow' }],
          }),
        400,
        'body.rules[0].topic',
      ],
      [
        () =>
          s.setClientRules('c', [{ action: 'read', topic: 'a', permission: 'maybe' as 'allow' }]),
        400,
        'body.rules[0].permission',
      ],
    ];
    for (const [f, status, field] of cases) {
      await assert.rejects(f, (err: unknown) => {
        assert.ok(err instanceof SecurityError);
        assert.equal(err.status, status);
        assert.equal(err.field, field);
        return true;
      });
    }
    assert.equal(written.length, 0);
    assert.deepEqual(
      s.listUsers().map((u) => u.username),
      ['u'],
    );
    assert.deepEqual(s.listRoles(), []);
  });

  test('disabling closes the user’s connections once; deleting closes them too', async () => {
    const { s, closed } = make();
    await s.createUser({ username: 'u', password: 'p' });
    await s.updateUser('u', { disabled: true });
    await s.updateUser('u', { disabled: true });
    await s.deleteUser('u');
    assert.deepEqual(closed, ['u', 'u']);
  });

  test('authenticate: right password, wrong one, disabled (0x87), and an unknown name still pays one verification', async () => {
    let calls = 0;
    const counting: ScryptFunction = (...a) => {
      calls++;
      return nodeScrypt(...a);
    };
    const { s } = make(counting);
    await s.createUser({ username: 'u', password: 'p' });
    calls = 0;
    assert.equal(await s.authenticate('u', Buffer.from('p'), 'c'), true);
    assert.equal(await s.authenticate('u', Buffer.from('q'), 'c'), false);
    assert.equal(await s.authenticate('u', undefined, 'c'), false);
    assert.equal(await s.authenticate('nobody', Buffer.from('p'), 'c'), false);
    assert.equal(calls, 4);
    await s.updateUser('u', { disabled: true });
    assert.deepEqual(await s.authenticate('u', Buffer.from('p'), 'c'), {
      reasonCode: 0x87,
      reasonString: 'user disabled',
    });
  });

  test('a user bound to a client id logs in with it only; binding closes its connections with other ids', async () => {
    const { s, closed } = make();
    await s.createUser({ username: 'dev', password: 'p', clientId: 'dev-1' });
    assert.equal(await s.authenticate('dev', Buffer.from('p'), 'dev-1'), true);
    assert.deepEqual(await s.authenticate('dev', Buffer.from('p'), 'dev-2'), {
      reasonCode: 0x87,
      reasonString: 'user bound to another client id',
    });
    assert.equal(s.getUser('dev')?.clientId, 'dev-1');
    await s.updateUser('dev', { clientId: '' });
    assert.equal(await s.authenticate('dev', Buffer.from('p'), 'dev-2'), true);
    assert.equal(s.getUser('dev')?.clientId, undefined);
    assert.deepEqual(closed, []);
    await s.updateUser('dev', { clientId: 'dev-3' });
    assert.deepEqual(closed, ['dev']);
  });

  test('load: stored entries come back; a damaged one is skipped and named', async () => {
    const { s, written } = make();
    await s.createRole({
      name: 'r',
      rules: [{ action: 'read', topic: 'a/#', permission: 'deny' }],
    });
    await s.createUser({ username: 'u', password: 'p', roles: ['r'], clientId: 'k' });
    await s.setClientRules('c', []);
    const entries = written.flat().flatMap((r) => (r.kind === 'security.put' ? [r.entry] : []));
    const again = new DynamicSecurity({ hashParams: FAST });
    const problems = again.load([
      ...entries,
      { type: 'user', name: 'broken', data: '{"passwordHash":"nope"}' },
      { type: 'role', name: 'x', data: 'not json' },
    ]);
    assert.equal(problems.length, 2);
    assert.match(problems[0] as string, /^user "broken": /);
    assert.deepEqual(again.listUsers(), [
      { username: 'u', disabled: false, roles: ['r'], clientId: 'k' },
    ]);
    assert.deepEqual(again.getClient('c'), { clientId: 'c', rules: [] });
    assert.equal(again.checker({ clientId: 'z', username: 'u' }).canRead('a/b'), false);
    assert.equal(await again.authenticate('u', Buffer.from('p'), 'k'), true);
  });
});
