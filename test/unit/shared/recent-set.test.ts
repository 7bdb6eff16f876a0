import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentSet } from '../../../src/shared/recent-set.js';

test('RecentSet remembers at least the last `capacity` keys and at most twice as many', () => {
  const s = new RecentSet<number>(4);
  for (let i = 0; i < 4; i++) s.add(i);
  assert.equal(s.size, 4);
  for (let i = 0; i < 4; i++) assert.equal(s.has(i), true);
  s.add(4); // the full generation becomes the previous one
  assert.equal(s.size, 5);
  for (let i = 0; i <= 4; i++) assert.equal(s.has(i), true);
  for (let i = 5; i < 8; i++) s.add(i);
  assert.equal(s.size, 8);
  s.add(8); // 0..3 dropped at once; the last 4 at least stay
  for (let i = 0; i < 4; i++) assert.equal(s.has(i), false, `${i} forgotten`);
  for (let i = 4; i <= 8; i++) assert.equal(s.has(i), true, `${i} remembered`);
  assert.equal(s.has(99), false);
  for (let i = 100; i < 10_000; i++) {
    s.add(i);
    assert.ok(s.size <= 8);
    for (let k = Math.max(100, i - 3); k <= i; k++) assert.equal(s.has(k), true);
  }
});

test('RecentSet refuses a capacity that is not a positive integer', () => {
  assert.throws(() => new RecentSet(0), /capacity must be a positive integer, got 0/);
  assert.throws(() => new RecentSet(1.5), /got 1.5/);
});
