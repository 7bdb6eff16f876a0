import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType, type ProtocolVersion, type QoS } from '../../../src/codec/constants.js';
import {
  encodePublish,
  encodePublishHeader,
  publishPacketIdOffset,
  writePacketId,
} from '../../../src/codec/encode.js';
import type { PublishPacket } from '../../../src/codec/types.js';

function publish(size: number, qos: QoS, v5props: boolean, topic = 'a/b/c'): PublishPacket {
  return {
    type: PacketType.PUBLISH,
    topic,
    payload: Buffer.alloc(size, 0x5a),
    qos,
    retain: true,
    dup: qos > 0,
    packetId: qos > 0 ? 513 : 0,
    properties: v5props ? { contentType: 'x/y', messageExpiryInterval: 60 } : undefined,
  };
}

describe('encodePublishHeader', () => {
  // Sizes around the 1-, 2-, 3- and 4-byte Remaining Length boundaries.
  const sizes = [0, 100, 127, 16_000, 16_383, 20_000, 262_144, 2_097_100, 2_200_000];
  for (const v of [3, 4, 5] as ProtocolVersion[]) {
    test(`header + payload equals encodePublish, MQTT level ${v}`, () => {
      for (const size of sizes) {
        for (const qos of [0, 1, 2] as QoS[]) {
          for (const topic of ['a/b/c', 'températures/ü']) {
            const p = publish(size, qos, v === 5, topic);
            const head = encodePublishHeader(p, v);
            const joined = Buffer.concat([head, p.payload]);
            assert.ok(joined.equals(encodePublish(p, v)), `size ${size} qos ${qos} ${topic}`);
          }
        }
      }
    });
  }

  test('the packet id of a header can be found and patched', () => {
    const p = publish(70_000, 1, true);
    const head = encodePublishHeader(p, 5);
    writePacketId(head, publishPacketIdOffset(head), 9);
    const expected = encodePublish({ ...p, packetId: 9 }, 5);
    assert.ok(Buffer.concat([head, p.payload]).equals(expected));
  });

  test('[MQTT-3.3.2-2] validates like encodePublish (wildcard topic refused)', () => {
    assert.throws(() => encodePublishHeader(publish(10, 0, false, 'a/+'), 4), /wildcard/);
  });
});
