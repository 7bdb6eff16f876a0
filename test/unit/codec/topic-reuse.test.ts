import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublishPacket } from '../../../src/codec/types.js';
import { decodeWhole, pkt, str } from './helpers.js';

const publish = (topic: string | Buffer, payload = 'p'): PublishPacket =>
  decodeWhole(pkt(0x30, str(topic), Buffer.from(payload)), 4) as PublishPacket;

// The decoder hands back strings it decoded before for the same bytes; these check that the
// reuse never changes what a PUBLISH decodes to, whatever topics share a cache slot.
describe('PUBLISH topic names decoded again', () => {
  test('thousands of topics, interleaved and repeated, decode to exactly their own names', () => {
    let seed = 99;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', 'b', '/', '-', '0', '9', 'é', '€', 'ü', '😀', 'Z', '_'];
    const topics: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let t = '';
      const n = 1 + rand(70);
      while (t.length < n) t += alphabet[rand(alphabet.length)];
      topics.push(t);
    }
    // Near misses: same length, one byte different at the end, the start or the middle.
    topics.push('sensors/room-1/x', 'sensors/room-1/y', 'tensors/room-1/x', 'sensors/roam-1/x');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < topics.length; i++) {
        const t = topics[(i * 7919 + round * 31) % topics.length] as string;
        assert.equal(publish(t).topic, t);
      }
    }
  });

  test('[MQTT-3.3.2-2] [MQTT-1.5.4-2] a wildcard or U+0000 is refused even right after the same name without it', () => {
    assert.equal(publish('a/b/c').topic, 'a/b/c');
    assert.throws(() => publish('a/+/c'), /wildcard/);
    assert.throws(() => publish('a/#'), /wildcard/);
    assert.throws(() => publish(Buffer.from([0x61, 0x2f, 0x00])), /U\+0000/);
    assert.equal(publish('a/b/c').topic, 'a/b/c');
  });

  test('[MQTT-1.5.4-1] invalid UTF-8 is refused every time, valid UTF-8 of the same length is not', () => {
    const bad = Buffer.from([0x74, 0x2f, 0xc3, 0x28]);
    const good = Buffer.from('t/é');
    assert.equal(good.length, bad.length);
    for (let i = 0; i < 3; i++) {
      assert.equal(publish(good).topic, 't/é');
      assert.throws(() => publish(bad), /UTF-8/);
    }
  });
});
