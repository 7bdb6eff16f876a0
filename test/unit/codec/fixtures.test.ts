import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { encodePacket } from '../../../src/codec/encode.js';
import type { Packet } from '../../../src/codec/types.js';
import { readVarint, varintBytes, varintLength, writeVarint } from '../../../src/codec/varint.js';
import { decodeWhole, hex, plain } from './helpers.js';

/**
 * Byte layouts written by hand from the specifications' figures. Each fixture is decoded and
 * compared with the expected packet, then re-encoded and compared with the bytes.
 */
interface Fixture {
  name: string;
  version: ProtocolVersion;
  hex: string;
  packet: Packet;
  /** Encoding differs from the fixture (e.g. a long form that we re-encode short). */
  reencoded?: string;
}

const b = (s: string): Buffer => Buffer.from(s);

const fixtures: Fixture[] = [
  {
    name: '[MQTT-3.1.2-1] 3.1.1 CONNECT: "MQTT", level 4, clean session, keep alive 60, empty client id',
    version: 4,
    hex: '10 0c 0004 4d515454 04 02 003c 0000',
    packet: {
      type: 1,
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepAlive: 60,
      clientId: '',
      username: undefined,
      password: undefined,
      will: undefined,
      properties: undefined,
    },
  },
  {
    name: 'MQTT 3.1 CONNECT: "MQIsdp", level 3, client id "a"',
    version: 3,
    hex: '10 0f 0006 4d5149736470 03 02 003c 0001 61',
    packet: {
      type: 1,
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      clean: true,
      keepAlive: 60,
      clientId: 'a',
      username: undefined,
      password: undefined,
      will: undefined,
      properties: undefined,
    },
  },
  {
    name: '[MQTT-3.1.2-2] 3.1.1 CONNECT with will (QoS 1, retain), user name and password',
    version: 4,
    // flags: user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04 | clean 0x02
    hex: '10 1f 0004 4d515454 04 ee 000a 0002 6964 0003 772f74 0002 6869 0001 75 0003 707764',
    packet: {
      type: 1,
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepAlive: 10,
      clientId: 'id',
      username: 'u',
      password: b('pwd'),
      will: { topic: 'w/t', payload: b('hi'), qos: 1, retain: true, properties: undefined },
      properties: undefined,
    },
  },
  {
    name: 'v5 CONNECT with Session Expiry Interval and a will with Will Delay Interval',
    version: 5,
    hex: '10 20 0004 4d515454 05 06 001e 05 11 00000e10 0001 63 05 18 0000000a 0001 77 0002 6279',
    packet: {
      type: 1,
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepAlive: 30,
      clientId: 'c',
      username: undefined,
      password: undefined,
      will: {
        topic: 'w',
        payload: b('by'),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 10 },
      },
      properties: { sessionExpiryInterval: 3600 },
    },
  },
  {
    name: '3.1.1 CONNACK: session present, accepted',
    version: 4,
    hex: '20 02 01 00',
    packet: { type: 2, sessionPresent: true, reasonCode: 0, properties: undefined },
  },
  {
    name: '3.1.1 CONNACK: return code 1, unacceptable protocol version',
    version: 4,
    hex: '20 02 00 01',
    packet: { type: 2, sessionPresent: false, reasonCode: 1, properties: undefined },
  },
  {
    name: 'v5 CONNACK 0x84 with Reason String "no"',
    version: 5,
    hex: '20 08 00 84 05 1f 0002 6e6f',
    packet: {
      type: 2,
      sessionPresent: false,
      reasonCode: 0x84,
      properties: { reasonString: 'no' },
    },
  },
  {
    name: '3.1.1 PUBLISH QoS 0 retain: topic "a/b", payload "hi"',
    version: 4,
    hex: '31 07 0003 612f62 6869',
    packet: {
      type: 3,
      topic: 'a/b',
      payload: b('hi'),
      qos: 0,
      retain: true,
      dup: false,
      packetId: 0,
      properties: undefined,
    },
  },
  {
    name: '3.1.1 PUBLISH QoS 2 DUP: packet id 10',
    version: 4,
    hex: '3c 06 0001 61 000a 78',
    packet: {
      type: 3,
      topic: 'a',
      payload: b('x'),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 10,
      properties: undefined,
    },
  },
  {
    name: 'v5 PUBLISH QoS 1 with Topic Alias 5 and an empty payload',
    version: 5,
    hex: '32 0b 0003 612f62 000a 03 23 0005',
    packet: {
      type: 3,
      topic: 'a/b',
      payload: b(''),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 10,
      properties: { topicAlias: 5 },
    },
  },
  {
    name: '3.1.1 PUBACK packet id 10',
    version: 4,
    hex: '40 02 000a',
    packet: { type: 4, packetId: 10, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 PUBACK short form: Remaining Length 2 means Success',
    version: 5,
    hex: '40 02 000a',
    packet: { type: 4, packetId: 10, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 PUBACK Remaining Length 3: reason 0x10 and no Property Length',
    version: 5,
    hex: '40 03 000a 10',
    packet: { type: 4, packetId: 10, reasonCode: 0x10, properties: undefined },
  },
  {
    name: 'v5 PUBACK with reason 0 and an empty Property Length is re-encoded in the short form',
    version: 5,
    hex: '40 04 000a 00 00',
    packet: { type: 4, packetId: 10, reasonCode: 0, properties: undefined },
    reencoded: '40 02 000a',
  },
  {
    name: '[MQTT-3.6.1-1] PUBREL has fixed header flags 0010',
    version: 4,
    hex: '62 02 0001',
    packet: { type: 6, packetId: 1, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 PUBCOMP 0x92 Packet Identifier not found',
    version: 5,
    hex: '70 03 0001 92',
    packet: { type: 7, packetId: 1, reasonCode: 0x92, properties: undefined },
  },
  {
    name: '[MQTT-3.8.1-1] 3.1.1 SUBSCRIBE "a/#" QoS 1',
    version: 4,
    hex: '82 08 000a 0003 612f23 01',
    packet: {
      type: 8,
      packetId: 10,
      subscriptions: [
        { topicFilter: 'a/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      ],
      properties: undefined,
    },
  },
  {
    name: 'v5 SUBSCRIBE options: QoS 1, No Local, Retain As Published, Retain Handling 2',
    version: 5,
    hex: '82 09 000a 00 0003 612f23 2d',
    packet: {
      type: 8,
      packetId: 10,
      subscriptions: [
        { topicFilter: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 },
      ],
      properties: undefined,
    },
  },
  {
    name: '3.1.1 SUBACK granted QoS 1 and failure 0x80',
    version: 4,
    hex: '90 04 000a 01 80',
    packet: { type: 9, packetId: 10, reasonCodes: [1, 0x80], properties: undefined },
  },
  {
    name: '[MQTT-3.10.1-1] 3.1.1 UNSUBSCRIBE "a"',
    version: 4,
    hex: 'a2 05 000a 0001 61',
    packet: { type: 10, packetId: 10, topicFilters: ['a'], properties: undefined },
  },
  {
    name: '3.1.1 UNSUBACK has no payload',
    version: 4,
    hex: 'b0 02 000a',
    packet: { type: 11, packetId: 10, reasonCodes: [], properties: undefined },
  },
  {
    name: 'v5 UNSUBACK reason 0x11 No subscription existed',
    version: 5,
    hex: 'b0 04 000a 00 11',
    packet: { type: 11, packetId: 10, reasonCodes: [0x11], properties: undefined },
  },
  { name: 'PINGREQ', version: 4, hex: 'c0 00', packet: { type: 12 } },
  { name: 'PINGRESP', version: 5, hex: 'd0 00', packet: { type: 13 } },
  {
    name: '3.1.1 DISCONNECT',
    version: 4,
    hex: 'e0 00',
    packet: { type: 14, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 DISCONNECT 0x04 Disconnect with Will Message, Remaining Length 1',
    version: 5,
    hex: 'e0 01 04',
    packet: { type: 14, reasonCode: 4, properties: undefined },
  },
  {
    name: 'v5 DISCONNECT short form: reason 0 and no properties encode with Remaining Length 0',
    version: 5,
    hex: 'e0 00',
    packet: { type: 14, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 DISCONNECT with reason 0 and an empty Property Length is re-encoded in the short form',
    version: 5,
    hex: 'e0 02 00 00',
    packet: { type: 14, reasonCode: 0, properties: undefined },
    reencoded: 'e0 00',
  },
  {
    name: 'v5 AUTH Remaining Length 0 means Success',
    version: 5,
    hex: 'f0 00',
    packet: { type: 15, reasonCode: 0, properties: undefined },
  },
  {
    name: 'v5 AUTH 0x18 Continue authentication with method and data',
    version: 5,
    hex: 'f0 0e 18 0c 15 0004 53434d31 16 0002 abcd',
    packet: {
      type: 15,
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCM1', authenticationData: Buffer.from([0xab, 0xcd]) },
    },
  },
];

describe('hand-written fixtures', () => {
  for (const f of fixtures) {
    test(f.name, () => {
      const bytes = hex(f.hex);
      assert.deepEqual(plain(decodeWhole(bytes, f.version)), plain(f.packet));
      assert.equal(
        encodePacket(f.packet, f.version).toString('hex'),
        hex(f.reencoded ?? f.hex).toString('hex'),
      );
    });
  }
});

describe('zero-copy decoding', () => {
  test('payload, correlation data and password are views into the frame body', () => {
    const body = hex('0003 612f62 0a 09 0003 636f72 03 0001 78 7061796c6f6164');
    const p = decodePacket(0x30, body, 5);
    assert.ok(p.type === 3);
    assert.equal(p.payload.buffer, body.buffer);
    assert.equal(p.payload.toString(), 'payload');
    assert.equal(p.properties?.correlationData?.buffer, body.buffer);
    const c = decodePacket(0x10, hex('0004 4d515454 04 c2 0000 0001 63 0001 75 0002 7077'), 4);
    assert.ok(c.type === 1);
    assert.equal(c.password?.toString(), 'pw');
  });
});

describe('Variable Byte Integer (section 1.5.5)', () => {
  const table: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16_383, 'ff7f'],
    [16_384, '808001'],
    [2_097_151, 'ffff7f'],
    [2_097_152, '80808001'],
    [268_435_455, 'ffffff7f'],
  ];
  for (const [n, h] of table) {
    test(`[MQTT-1.5.5-1] ${n} encodes minimally as ${h}`, () => {
      const buf = Buffer.alloc(4);
      const end = writeVarint(buf, 0, n);
      assert.equal(buf.subarray(0, end).toString('hex'), h);
      assert.equal(varintLength(n), end);
      assert.equal(readVarint(hex(h), 0, end), n);
      assert.equal(varintBytes, end);
    });
  }

  test('readVarint reports an incomplete integer with -1', () => {
    assert.equal(readVarint(hex('8080'), 0, 2), -1);
  });
});
