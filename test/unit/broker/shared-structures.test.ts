import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { longerThan } from '../../../src/broker/limits.js';
import { resolveOptions, validateOptions } from '../../../src/broker/options.js';
import { Clock } from '../../../src/shared/clock.js';
import { FixedQueue } from '../../../src/shared/fixed-queue.js';
import { Timer, TimingWheel } from '../../../src/shared/timing-wheel.js';

describe('FixedQueue', () => {
  test('FIFO across growth, unshift, removeAt', () => {
    const q = new FixedQueue<number>(4);
    for (let i = 0; i < 100; i++) q.push(i);
    for (let i = 0; i < 50; i++) assert.equal(q.shift(), i);
    for (let i = 100; i < 130; i++) q.push(i);
    q.unshift(49);
    assert.equal(q.length, 81);
    assert.equal(q.removeAt(1), 50);
    assert.equal(q.at(1), 51);
    const all = [...q];
    assert.equal(all[0], 49);
    assert.equal(all.at(-1), 129);
    q.clear();
    assert.equal(q.shift(), undefined);
  });
});

describe('TimingWheel', () => {
  test('fires due timers once, in the right tick; cancel and re-arm work', () => {
    const clock = new Clock();
    const base = clock.now;
    let now = base;
    clock.update = () => {
      clock.now = now;
      return now;
    };
    clock.now = base;
    const wheel = new TimingWheel(100, 8, clock);
    const fired: number[] = [];
    const target = { onTimer: (k: number) => fired.push(k) };
    const t1 = new Timer(target, 1);
    const t2 = new Timer(target, 2);
    const t3 = new Timer(target, 3);
    wheel.schedule(t1, 250);
    wheel.schedule(t2, 5000); // beyond one rotation (800 ms)
    wheel.schedule(t3, 100);
    wheel.cancel(t3);
    now = base + 200;
    wheel.tick();
    assert.deepEqual(fired, []);
    now = base + 400;
    wheel.tick();
    assert.deepEqual(fired, [1]);
    now = base + 4900;
    wheel.tick();
    assert.deepEqual(fired, [1]);
    wheel.schedule(t1, 50);
    now = base + 5200;
    wheel.tick();
    assert.deepEqual(fired.sort(), [1, 1, 2]);
    assert.equal(wheel.armedCount, 0);
  });
});

describe('broker options', () => {
  test('defaults are applied and documented limits hold', () => {
    const o = resolveOptions({});
    assert.equal(o.maxPacketSize, 1_048_576);
    assert.equal(o.connectTimeoutMs, 10_000);
    assert.equal(o.host, '127.0.0.1');
    assert.deepEqual(o.listeners, [{ type: 'tcp', port: 1883, host: '127.0.0.1' }]);
  });

  test('validation names the key and the problem', () => {
    assert.deepEqual(validateOptions({ maxInflight: 0 }), [
      'maxInflight: must be an integer between 1 and 65535',
    ]);
    assert.deepEqual(validateOptions({ bogus: 1 }), ['bogus: unknown option']);
    assert.deepEqual(validateOptions({ durability: 'fast' }), [
      'durability: must be one of sync, batched, none',
    ]);
    assert.deepEqual(validateOptions({ hooks: {} }, true), [
      'hooks: can only be set from code, not from a config file',
    ]);
    assert.throws(() => resolveOptions({ port: -1 }), /port: must be an integer/);
  });
});

describe('limits', () => {
  test('longerThan counts UTF-8 bytes', () => {
    assert.equal(longerThan('abc', 3), false);
    assert.equal(longerThan('abcd', 3), true);
    assert.equal(longerThan('ééé', 5), true); // 6 bytes
    assert.equal(longerThan('ééé', 6), false);
    assert.equal(longerThan('€', 2), true); // 3 bytes
  });
});
