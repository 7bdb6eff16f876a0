import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encodePacket, publishPacketIdOffset, writePacketId } from '../../../src/codec/encode.js';
import type { PublishPacket } from '../../../src/codec/types.js';
import { packet, publish } from './arbitraries.js';
import { decodeWhole, plain } from './helpers.js';

describe('property-based round trip', () => {
  for (const v of [3, 4, 5] as const) {
    test(`every generated packet survives encode → decode → encode at level ${v}`, () => {
      fc.assert(
        fc.property(packet(v), (p) => {
          const bytes = encodePacket(p, v);
          const back = decodeWhole(bytes, v);
          assert.deepEqual(plain(back), plain(p));
          assert.equal(encodePacket(back, v).toString('hex'), bytes.toString('hex'));
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('cached PUBLISH encoding', () => {
  test('publishPacketIdOffset + writePacketId re-stamp the packet id of a copied encoding', () => {
    fc.assert(
      fc.property(publish(5), fc.integer({ min: 1, max: 0xffff }), (p, id) => {
        fc.pre(p.qos > 0);
        const cached = encodePacket(p, 5);
        const copy = Buffer.from(cached);
        writePacketId(copy, publishPacketIdOffset(copy), id);
        const back = decodeWhole(copy, 5) as PublishPacket;
        assert.equal(back.packetId, id);
        assert.equal(back.topic, p.topic);
        assert.deepEqual([...back.payload], [...p.payload]);
      }),
      { numRuns: 200 },
    );
  });

  test('publishPacketIdOffset refuses a QoS 0 PUBLISH', () => {
    const b = encodePacket(
      {
        type: 3,
        topic: 't',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
        packetId: 0,
        properties: undefined,
      },
      4,
    );
    assert.throws(() => publishPacketIdOffset(b), /QoS > 0/);
  });

  test('a 200 KiB payload (4-byte Remaining Length) round-trips and its id offset is right', () => {
    const p: PublishPacket = {
      type: 3,
      topic: 'big',
      payload: Buffer.alloc(200 * 1024, 7),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 9,
      properties: undefined,
    };
    const b = encodePacket(p, 4);
    assert.equal(b.length, 1 + 3 + 2 + 3 + 2 + 200 * 1024);
    assert.equal(publishPacketIdOffset(b), 1 + 3 + 2 + 3);
    assert.equal((decodeWhole(b, 4) as PublishPacket).payload.length, 200 * 1024);
  });
});
