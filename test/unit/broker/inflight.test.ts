import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InflightTable } from '../../../src/broker/session/inflight.js';

describe('in-flight table', () => {
  it('behaves like a Map under a seeded mix of adds, lookups and deletes, in insertion order', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (const spread of [300, 65535]) {
      const t = new InflightTable<string>();
      const m = new Map<number, string>();
      for (let step = 0; step < 20_000; step++) {
        const id = 1 + rand(spread);
        const r = rand(10);
        if (r < 5) {
          t.set(id, `v${step}`);
          m.set(id, `v${step}`);
        } else if (r < 8) {
          assert.equal(t.delete(id), m.delete(id));
        } else {
          assert.equal(t.get(id), m.get(id));
          assert.equal(t.has(id), m.has(id));
        }
        assert.equal(t.size, m.size);
        if (step % 997 === 0) assert.deepEqual(t.values(), [...m.values()]);
      }
      assert.deepEqual(t.values(), [...m.values()]);
      for (const id of [...m.keys()]) assert.equal(t.delete(id), true);
      assert.equal(t.size, 0);
      assert.deepEqual(t.values(), []);
    }
  });

  it('a sliding window of rotating ids, as the allocator hands them out, stays exact', () => {
    const t = new InflightTable<number>();
    let next = 1;
    const live: number[] = [];
    for (let n = 0; n < 200_000; n++) {
      t.set(next, n);
      live.push(next);
      next = next === 255 ? 1 : next + 1;
      if (live.length > 100) assert.equal(t.delete(live.shift() as number), true);
    }
    assert.equal(t.size, 100);
    assert.deepEqual(
      t.values(),
      live.map((id) => t.get(id)),
    );
    assert.equal(t.get(live[0] as number), 199_900);
  });

  it('takes a burst of every packet id, drains it, and keeps working', () => {
    const t = new InflightTable<number>();
    for (let id = 1; id <= 65535; id++) t.set(id, id);
    assert.equal(t.size, 65535);
    for (let id = 1; id <= 65535; id += 2) assert.equal(t.get(id), id);
    for (let id = 1; id <= 65530; id++) assert.equal(t.delete(id), true);
    assert.deepEqual(t.values(), [65531, 65532, 65533, 65534, 65535]);
    for (let id = 1; id <= 100; id++) t.set(id, -id);
    assert.equal(t.size, 105);
    assert.equal(t.get(50), -50);
    assert.equal(t.get(65533), 65533);
  });

  it('refuses ids outside 1..65535 and keeps the first place of a replaced entry', () => {
    const t = new InflightTable<string>();
    for (const bad of [0, -1, 65536, 1.5, Number.NaN])
      assert.throws(() => t.set(bad, 'x'), RangeError);
    t.set(7, 'a').set(9, 'b').set(7, 'c');
    assert.deepEqual(t.values(), ['c', 'b']);
    t.clear();
    assert.equal(t.size, 0);
    assert.equal(t.get(7), undefined);
  });
});
