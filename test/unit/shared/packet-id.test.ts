import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketIdAllocator } from '../../../src/shared/packet-id.js';

describe('PacketIdAllocator', () => {
  test('[MQTT-2.2.1-3] never hands out an id in use, wraps, and reports exhaustion', () => {
    const a = new PacketIdAllocator();
    const seen = new Set<number>();
    for (let i = 0; i < 65535; i++) {
      const id = a.allocate();
      assert.ok(id >= 1 && id <= 65535 && !seen.has(id));
      seen.add(id);
    }
    assert.equal(a.allocate(), 0);
    a.release(300);
    assert.equal(a.allocate(), 300);
    a.release(7);
    assert.equal(a.has(7), false);
    assert.equal(a.take(7), true);
    assert.equal(a.take(7), false);
  });
});
