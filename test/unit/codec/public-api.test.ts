import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as codec from '../../../src/codec.js';

test('petrel/codec exposes the codec contract', () => {
  for (const name of [
    'Framer',
    'decodePacket',
    'encodePacket',
    'encodePublish',
    'publishPacketIdOffset',
    'writePacketId',
    'validateTopicName',
    'validateTopicFilter',
    'isValidTopicName',
    'isValidTopicFilter',
    'parseSharedSubscription',
    'topicMatches',
    'MqttError',
    'malformed',
    'protocolError',
    'PacketType',
    'ProtocolVersion',
    'ReasonCode',
    'ConnackReturnCode',
    'PROPERTIES',
    'isPropertyAllowed',
  ]) {
    assert.equal(typeof (codec as Record<string, unknown>)[name] !== 'undefined', true, name);
  }
});

test('a packet goes through the public face end to end', () => {
  const frames: codec.Packet[] = [];
  const framer = new codec.Framer((h, b) => frames.push(codec.decodePacket(h, b, 4)), 1024);
  framer.push(
    codec.encodePacket(
      {
        type: codec.PacketType.PUBLISH,
        topic: 'a/b',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 3,
        properties: undefined,
      },
      4,
    ),
  );
  assert.equal(frames.length, 1);
  assert.equal(frames[0]?.type, codec.PacketType.PUBLISH);
  assert.equal(framer.maxPacketSize, 1024);
});
