import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldAcks } from '../../../src/broker/held-acks.js';
import { PacketType } from '../../../src/codec/constants.js';

/** Collects what a release writes, and marks where each `then` ran. */
function sink(): { writes: Buffer[]; log: string[]; write(b: Buffer): void } {
  const s = {
    writes: [] as Buffer[],
    log: [] as string[],
    write(b: Buffer) {
      s.writes.push(b);
      s.log.push(b.toString('hex'));
    },
  };
  return s;
}

describe('acks held for a store commit', () => {
  it('releases in order only what the commit covers, runs of short acks as one buffer', () => {
    const h = new HeldAcks();
    const out = sink();
    h.pushShort(1, PacketType.PUBACK, 1);
    h.pushShort(1, PacketType.PUBREC, 0x1234);
    h.pushOther(1, Buffer.from([0x90, 3, 0, 7, 1]), () => out.log.push('then'));
    h.pushShort(2, PacketType.PUBREL, 0xffff);
    h.pushShort(3, PacketType.PUBCOMP, 9);
    assert.equal(h.length, 5);
    h.release(0, out);
    assert.equal(out.writes.length, 0);
    h.release(1, out);
    assert.deepEqual(out.log, ['4002000150021234', '9003000701', 'then']);
    assert.equal(h.length, 2);
    h.release(3, out);
    // PUBREL keeps its reserved flag bits 0010; the two acks of commits 2 and 3 go out together.
    assert.equal(out.log.at(-1), '6202ffff70020009');
    assert.equal(h.length, 0);
  });

  it('keeps order across growth and wrap-around of its ring', () => {
    const h = new HeldAcks();
    const out = sink();
    let next = 1;
    const expected: number[] = [];
    for (let round = 0; round < 50; round++) {
      const n = 1 + ((round * 7) % 23);
      for (let k = 0; k < n; k++) {
        h.pushShort(round, PacketType.PUBACK, next);
        expected.push(next);
        next = (next % 65535) + 1;
      }
      if (round % 3 === 0) h.pushOther(round, Buffer.from([0xe0, 0]), undefined);
      h.release(round - 1, out);
    }
    h.release(50, out);
    const ids: number[] = [];
    for (const b of out.writes) {
      if (b[0] === 0xe0) continue;
      for (let at = 0; at < b.length; at += 4) ids.push(b.readUInt16BE(at + 2));
    }
    assert.deepEqual(ids, expected);
    assert.equal(h.length, 0);
  });
});
