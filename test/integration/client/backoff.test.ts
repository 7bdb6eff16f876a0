// Reconnect delays: exponential growth, a cap, jitter within bounds, reset after success.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../../src/shared/backoff.js';

test('backoff grows exponentially up to the cap without jitter', () => {
  const b = new Backoff({ initialDelay: 100, maxDelay: 1000, factor: 2, jitter: 0 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => b.next()),
    [100, 200, 400, 800, 1000, 1000, 1000],
  );
  assert.equal(b.attempts, 7);
  b.reset();
  assert.equal(b.next(), 100);
});

test('jitter draws each delay from [base * (1 - jitter), base]', () => {
  const lo = new Backoff({ initialDelay: 1000, jitter: 0.5, random: () => 0.999999 });
  const hi = new Backoff({ initialDelay: 1000, jitter: 0.5, random: () => 0 });
  assert.equal(hi.next(), 1000);
  assert.equal(lo.next(), 500);
  const r = new Backoff({ initialDelay: 1000, maxDelay: 60_000, jitter: 0.3 });
  for (let i = 0; i < 200; i++) {
    const base = Math.min(60_000, 1000 * 2 ** Math.min(i, 6));
    const d = r.next();
    assert.ok(d >= base * 0.7 - 1 && d <= base, `attempt ${i}: ${d} vs ${base}`);
  }
});

test('a huge number of attempts never overflows past the cap', () => {
  const b = new Backoff({ initialDelay: 1, maxDelay: 5000, jitter: 0 });
  let last = 0;
  for (let i = 0; i < 5000; i++) last = b.next();
  assert.equal(last, 5000);
});
