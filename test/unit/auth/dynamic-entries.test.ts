// Dynamic security's store codec: every object survives encode then decode, and a damaged entry
// is refused naming its field instead of being served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clientRecord,
  decodeEntry,
  deleteRecord,
  roleRecord,
  userRecord,
} from '../../../src/auth/dynamic/entries.js';
import type { StoredSecurityEntry } from '../../../src/persistence/types.js';

function entryOf(r: ReturnType<typeof userRecord>): StoredSecurityEntry {
  assert.equal(r.kind, 'security.put');
  return (r as Extract<typeof r, { kind: 'security.put' }>).entry;
}

test('users, roles and client rules round-trip through their records', () => {
  const user = {
    username: 'ü/1',
    passwordHash: '$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    disabled: true,
    roles: ['a', 'b'],
    clientId: 'dev-1',
  };
  assert.deepEqual(decodeEntry(entryOf(userRecord(user))), { type: 'user', user });
  const unbound = { ...user, clientId: undefined };
  assert.deepEqual(decodeEntry(entryOf(userRecord(unbound))), { type: 'user', user: unbound });
  const role = {
    name: 'r',
    rules: [{ action: 'read' as const, topic: 'a/%u/#', permission: 'deny' as const }],
  };
  assert.deepEqual(decodeEntry(entryOf(roleRecord(role))), { type: 'role', role });
  const client = { clientId: 'c', rules: [] };
  assert.deepEqual(decodeEntry(entryOf(clientRecord(client))), { type: 'client', client });
  assert.deepEqual(deleteRecord('role', 'r'), { kind: 'security.delete', type: 'role', name: 'r' });
});

test('a damaged entry is refused naming the field', () => {
  const cases: Array<[StoredSecurityEntry, RegExp]> = [
    [{ type: 'user', name: 'u', data: '{}' }, /stored user "u"\.passwordHash: missing/],
    [
      { type: 'user', name: 'u', data: '{"passwordHash":"x","roles":"r"}' },
      /\.roles: must be an array/,
    ],
    [
      { type: 'user', name: '', data: '{"passwordHash":"x"}' },
      /stored user "": must be a non-empty string/,
    ],
    [{ type: 'role', name: 'bad name', data: '{}' }, /stored role "bad name": must be 1 to 64/],
    [
      {
        type: 'role',
        name: 'r',
        data: '{"rules":[{"action":"read","topic":"a/#/b","permission":"allow"}]}',
      },
      /stored role "r"\.rules\[0\]\.topic: must be a valid topic filter/,
    ],
    [{ type: 'client', name: 'c', data: 'not json' }, /JSON/],
  ];
  for (const [entry, message] of cases) assert.throws(() => decodeEntry(entry), message);
});
