// The browser Buffer shim agrees with Node's Buffer on everything the codec and client use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Buffer as Shim } from '../../../src/client/browser/buffer.js';

test('utf8 byteLength, write and slice match Node for any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const n = Buffer.byteLength(s, 'utf8');
      assert.equal(Shim.byteLength(s), n);
      const b = Shim.alloc(n + 4);
      assert.equal(b.utf8Write(s, 2, n), n);
      assert.deepEqual([...b.subarray(2, 2 + n)], [...Buffer.from(s, 'utf8')]);
      assert.equal(b.utf8Slice(2, 2 + n), Buffer.from(s, 'utf8').toString('utf8'));
    }),
  );
});

test('from, concat, hex, base64, latin1 and copy behave like Node', () => {
  const a = Shim.from('héllo');
  assert.ok(Shim.isBuffer(a));
  assert.equal(a.toString('hex'), Buffer.from('héllo').toString('hex'));
  assert.equal(Shim.from(a.toString('hex'), 'hex').toString(), 'héllo');
  assert.equal(Shim.from('aGk=', 'base64').toString(), 'hi');
  assert.equal(Shim.from([104, 105]).toString('base64'), 'aGk=');
  const c = Shim.concat([Shim.from([1, 2]), Shim.from([3]), new Uint8Array([4, 5])], 4);
  assert.deepEqual([...c], [1, 2, 3, 4]);
  const view = Shim.from(new Uint8Array([9, 8, 7]).subarray(1));
  assert.deepEqual([...view], [8, 7]);
  const target = Shim.alloc(4);
  assert.equal(Shim.from([1, 2, 3]).copy(target, 2), 2);
  assert.deepEqual([...target], [0, 0, 1, 2]);
  const latin = Shim.alloc(3);
  assert.equal(latin.latin1Write('abc', 0, 3), 3);
  assert.equal(latin.latin1Slice(0, 3), 'abc');
  assert.ok(Shim.isBuffer(latin.subarray(1)), 'subarray keeps the Buffer methods');
  assert.equal(Shim.from([0, 0, 1, 2]).readUInt32BE(0), 258);
  assert.equal(Shim.from([0xff, 0xff, 0xff, 0xff]).readUInt32BE(0), 0xffffffff);
});
