import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLoopback } from '../../../src/broker/listener.js';
import { TokenBucket } from '../../../src/broker/rate-limit.js';

describe('TokenBucket', () => {
  test('a full bucket allows `burst` takes, then refuses until time refills it', () => {
    const b = new TokenBucket(10, 3, 1000);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.take(1, 1000)),
      [true, true, true, false],
    );
    assert.equal(b.take(1, 1050), false); // half a token
    assert.equal(b.take(1, 1100), true);
    assert.equal(b.take(1, 1100), false);
  });

  test('refill never exceeds the burst', () => {
    const b = new TokenBucket(1000, 2, 0);
    assert.equal(b.take(1, 60_000), true);
    assert.equal(b.take(1, 60_000), true);
    assert.equal(b.take(1, 60_000), false);
  });

  test('a take bigger than the burst needs a full bucket and leaves debt', () => {
    const b = new TokenBucket(100, 200, 0);
    assert.equal(b.take(500, 0), true);
    assert.equal(b.take(1, 1000), false); // -300 + 100
    assert.equal(b.take(1, 4000), true);
    const c = new TokenBucket(100, 200, 0);
    assert.equal(c.take(50, 0), true);
    assert.equal(c.take(500, 0), false); // bucket not full
  });

  test('a refused take takes nothing', () => {
    const b = new TokenBucket(1, 100, 0);
    assert.equal(b.take(80, 0), true);
    assert.equal(b.take(30, 0), false);
    assert.equal(b.take(20, 0), true);
  });
});

describe('isLoopback (anonymous default)', () => {
  test('loopback addresses and localhost only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(isLoopback(h), true, h);
    }
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com']) {
      assert.equal(isLoopback(h), false, h);
    }
  });
});
