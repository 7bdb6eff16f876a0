import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProtocolVersion } from '../../../src/codec/constants.js';
import { encodePacket } from '../../../src/codec/encode.js';
import { MqttError } from '../../../src/codec/errors.js';
import type { Packet, PublishPacket } from '../../../src/codec/types.js';
import { bytes, decodeWhole, pkt, props, str } from './helpers.js';

/** Asserts that decoding `packet` at `version` throws an MqttError with `code` (and reason). */
function rejects(
  packet: Buffer,
  version: ProtocolVersion,
  code: string,
  reasonCode?: number,
): void {
  assert.throws(
    () => decodeWhole(packet, version),
    (e: unknown) => {
      assert.ok(e instanceof MqttError, `expected MqttError, got ${String(e)}`);
      assert.equal(e.code, code, e.message);
      if (reasonCode !== undefined) assert.equal(e.reasonCode, reasonCode, e.message);
      return true;
    },
  );
}

function encodeRejects(packet: Packet, version: ProtocolVersion, code: string): void {
  assert.throws(
    () => encodePacket(packet, version),
    (e: unknown) => e instanceof MqttError && e.code === code,
  );
}

const V311 = 4 as const;
const V5 = 5 as const;
const BOTH = [V311, V5] as const;
const MALFORMED = 0x81;
const PROTOCOL = 0x82;

const connectV = (v: ProtocolVersion, flags: number, ...payload: Buffer[]): Buffer =>
  pkt(
    0x10,
    str(v === 3 ? 'MQIsdp' : 'MQTT'),
    v,
    flags,
    0,
    60,
    v === 5 ? props() : Buffer.alloc(0),
    ...payload,
  );

describe('fixed header', () => {
  const cases: Array<[string, number, Buffer]> = [
    ['CONNECT', 0x11, bytes(str('MQTT'), 4, 2, 0, 60, str('c'))],
    ['CONNACK', 0x28, bytes(0, 0)],
    ['PUBACK', 0x42, bytes(0, 1)],
    ['PUBREC', 0x51, bytes(0, 1)],
    ['PUBREL', 0x60, bytes(0, 1)],
    ['PUBREL', 0x63, bytes(0, 1)],
    ['PUBCOMP', 0x7f, bytes(0, 1)],
    ['SUBSCRIBE', 0x80, bytes(0, 1, str('a'), 0)],
    ['SUBSCRIBE', 0x8a, bytes(0, 1, str('a'), 0)],
    ['SUBACK', 0x92, bytes(0, 1, 0)],
    ['UNSUBSCRIBE', 0xa0, bytes(0, 1, str('a'))],
    ['UNSUBACK', 0xb1, bytes(0, 1)],
    ['PINGREQ', 0xc1, bytes()],
    ['PINGRESP', 0xd8, bytes()],
    ['DISCONNECT', 0xe2, bytes()],
  ];
  for (const [name, header, body] of cases) {
    test(`[MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-2.1.3-1] ${name} with flags 0x${(header & 15).toString(16)} is malformed`, () => {
      for (const v of BOTH) rejects(pkt(header, body), v, 'RESERVED_FLAGS', MALFORMED);
    });
  }

  test('[MQTT-3.6.1-1] [MQTT-3.8.1-1] [MQTT-3.10.1-1] PUBREL/SUBSCRIBE/UNSUBSCRIBE need flags 0010', () => {
    for (const v of BOTH) {
      assert.equal(decodeWhole(pkt(0x62, 0, 1), v).type, 6);
      const p = v === 5 ? [0] : [];
      assert.equal(decodeWhole(pkt(0x82, 0, 1, p, str('a'), 0), v).type, 8);
      assert.equal(decodeWhole(pkt(0xa2, 0, 1, p, str('a')), v).type, 10);
    }
  });

  test('MQTT 3.1 (level 3) tolerates the DUP bit on PUBREL and SUBSCRIBE', () => {
    assert.equal(decodeWhole(pkt(0x6a, 0, 1), 3).type, 6);
    assert.equal(decodeWhole(pkt(0x8a, 0, 1, str('a'), 0), 3).type, 8);
  });

  test('[MQTT-2.1.2-1] reserved packet type 0 is malformed; AUTH is malformed before v5', () => {
    for (const v of BOTH) rejects(pkt(0x00), v, 'INVALID_PACKET_TYPE', MALFORMED);
    rejects(pkt(0xf0), V311, 'INVALID_PACKET_TYPE');
    assert.equal(decodeWhole(pkt(0xf0), V5).type, 15);
  });

  test('[MQTT-1.5.5-1] a Remaining Length of more than 4 bytes is malformed', () => {
    rejects(bytes(0x30, 0xff, 0xff, 0xff, 0xff, 0x01), V5, 'MALFORMED_VARINT', MALFORMED);
  });

  test('[MQTT-1.5.5-1] a non-minimal Remaining Length is malformed', () => {
    rejects(bytes(0xc0, 0x80, 0x00), V311, 'NON_MINIMAL_VARINT', MALFORMED);
    rejects(bytes(0x30, 0x85, 0x80, 0x00), V5, 'NON_MINIMAL_VARINT', MALFORMED);
  });

  test('[MQTT-1.5.5-1] a non-minimal Variable Byte Integer inside properties is malformed', () => {
    // Property Length 0 encoded in two bytes.
    rejects(pkt(0x30, str('a'), 0x80, 0x00), V5, 'NON_MINIMAL_VARINT', MALFORMED);
  });
});

describe('PUBLISH', () => {
  test('[MQTT-3.3.1-4] QoS 3 is malformed', () => {
    for (const v of BOTH)
      rejects(pkt(0x36, str('a'), 0, 1, v === 5 ? [0] : []), v, 'INVALID_QOS', MALFORMED);
  });

  test('[MQTT-3.3.1-2] DUP on QoS 0 is rejected', () => {
    for (const v of BOTH) rejects(pkt(0x38, str('a'), v === 5 ? [0] : []), v, 'DUP_ON_QOS0');
  });

  test('[MQTT-2.3.1-1] [MQTT-2.2.1-3] QoS 1 and 2 need a non-zero packet identifier', () => {
    for (const v of BOTH) {
      rejects(pkt(0x32, str('a'), 0, 0, v === 5 ? [0] : []), v, 'PACKET_ID_ZERO', PROTOCOL);
      rejects(pkt(0x34, str('a'), 0, 0, v === 5 ? [0] : []), v, 'PACKET_ID_ZERO', PROTOCOL);
    }
  });

  test('[MQTT-2.3.1-5] [MQTT-2.2.1-2] QoS 0 has no packet identifier: the bytes belong to the payload', () => {
    const p = decodeWhole(pkt(0x30, str('a'), 0, 7), V311) as PublishPacket;
    assert.equal(p.packetId, 0);
    assert.deepEqual([...p.payload], [0, 7]);
  });

  test('[MQTT-3.3.2-2] [MQTT-4.7.0-1] [MQTT-4.7.1-1] wildcards in a topic name are rejected with 0x90', () => {
    for (const v of BOTH) {
      for (const t of ['a/+', 'a/#', '#', '+', 'a+b']) {
        rejects(pkt(0x30, str(t), v === 5 ? [0] : []), v, 'TOPIC_NAME_INVALID', 0x90);
      }
    }
  });

  test('[MQTT-4.7.3-1] an empty topic name is rejected in 3.1.1', () => {
    rejects(pkt(0x30, str(''), 1), V311, 'TOPIC_NAME_INVALID', 0x90);
    rejects(pkt(0x30, str(''), 1), 3, 'TOPIC_NAME_INVALID', 0x90);
  });

  test('[MQTT-3.3.2-1] v5: an empty topic name without a Topic Alias is a Protocol Error', () => {
    rejects(pkt(0x30, str(''), props()), V5, 'TOPIC_NAME_INVALID', PROTOCOL);
    const p = decodeWhole(pkt(0x30, str(''), props(0x23, 0, 3), 'x'), V5) as PublishPacket;
    assert.equal(p.topic, '');
    assert.equal(p.properties?.topicAlias, 3);
  });

  test('[MQTT-3.3.2-8] v5: Topic Alias 0 is rejected with 0x94', () => {
    rejects(pkt(0x30, str('a'), props(0x23, 0, 0)), V5, 'TOPIC_ALIAS_INVALID', 0x94);
  });

  test('[MQTT-3.3.2-14] v5: a Response Topic with wildcards is rejected', () => {
    rejects(pkt(0x30, str('a'), props(0x08, str('r/#'))), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
  });

  test('a topic length beyond the packet is malformed', () => {
    rejects(pkt(0x30, 0, 9, 'abc'), V311, 'TRUNCATED', MALFORMED);
    rejects(pkt(0x30, 0), V311, 'TRUNCATED', MALFORMED);
    rejects(pkt(0x32, str('a'), 0), V311, 'TRUNCATED', MALFORMED);
    rejects(pkt(0x30, str('a')), V5, 'TRUNCATED', MALFORMED);
  });
});

describe('UTF-8 strings', () => {
  const bad: Array<[string, number[]]> = [
    ['a UTF-16 surrogate (U+D800)', [0xed, 0xa0, 0x80]],
    ['a UTF-16 surrogate (U+DFFF)', [0xed, 0xbf, 0xbf]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an overlong 3-byte encoding', [0xe0, 0x80, 0xaf]],
    ['an overlong 4-byte encoding', [0xf0, 0x80, 0x80, 0xaf]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a lone continuation byte', [0x61, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an invalid lead byte 0xFF', [0xff]],
  ];
  for (const [what, raw] of bad) {
    test(`[MQTT-1.5.4-1] [MQTT-1.5.3-1] ${what} is malformed`, () => {
      for (const v of BOTH) {
        rejects(pkt(0x30, str(raw), v === 5 ? [0] : []), v, 'INVALID_UTF8', MALFORMED);
        rejects(pkt(0x82, 0, 1, v === 5 ? [0] : [], str(raw), 0), v, 'INVALID_UTF8', MALFORMED);
        rejects(connectV(v, 2, str(raw)), v, 'INVALID_UTF8', MALFORMED);
      }
    });
  }

  test('[MQTT-1.5.4-2] [MQTT-1.5.3-2] U+0000 is malformed in topic names, filters, client ids and properties', () => {
    for (const v of BOTH) {
      rejects(pkt(0x30, str('a\u0000b'), v === 5 ? [0] : []), v, 'INVALID_UTF8', MALFORMED);
      rejects(pkt(0x82, 0, 1, v === 5 ? [0] : [], str('a\u0000'), 0), v, 'INVALID_UTF8');
      rejects(connectV(v, 2, str('id\u0000')), v, 'INVALID_UTF8', MALFORMED);
    }
    rejects(pkt(0x30, str('a'), props(0x03, str('x\u0000'))), V5, 'INVALID_UTF8', MALFORMED);
    rejects(pkt(0x30, str('a'), props(0x26, str('k'), str('\u0000'))), V5, 'INVALID_UTF8');
  });

  test('[MQTT-1.5.4-3] [MQTT-1.5.3-3] a BOM (EF BB BF) is kept, not stripped', () => {
    const p = decodeWhole(pkt(0x30, str([0xef, 0xbb, 0xbf, 0x61]), 1), V311) as PublishPacket;
    assert.equal(p.topic, '\ufeffa');
  });

  test('well-formed multi-byte UTF-8 (2, 3 and 4 bytes) decodes', () => {
    const t = 'é/€/😀/ü';
    const p = decodeWhole(pkt(0x30, str(t), props()), V5) as PublishPacket;
    assert.equal(p.topic, t);
  });

  test('[MQTT-1.5.4-1] the encoder refuses a lone surrogate and U+0000', () => {
    const base: PublishPacket = {
      type: 3,
      topic: 'a',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      packetId: 0,
      properties: undefined,
    };
    encodeRejects({ ...base, topic: 'a\ud800' }, V311, 'INVALID_UTF8');
    encodeRejects({ ...base, topic: 'a\u0000' }, V311, 'INVALID_UTF8');
    encodeRejects({ ...base, properties: { contentType: '\udc00' } }, V5, 'INVALID_UTF8');
  });
});

describe('CONNECT', () => {
  test('[MQTT-3.1.2-1] a protocol name other than MQTT/MQIsdp is rejected with 0x84', () => {
    rejects(pkt(0x10, str('MQTX'), 4, 2, 0, 60, str('c')), V311, 'BAD_PROTOCOL_NAME', 0x84);
    rejects(pkt(0x10, str('mqtt'), 5, 2, 0, 60, 0, str('c')), V5, 'BAD_PROTOCOL_NAME', 0x84);
  });

  test('[MQTT-3.1.2-2] an unsupported protocol level is rejected with 0x84', () => {
    for (const level of [0, 2, 3, 6, 255]) {
      rejects(
        pkt(0x10, str('MQTT'), level, 2, 0, 60, str('c')),
        V311,
        'UNSUPPORTED_PROTOCOL_VERSION',
        0x84,
      );
    }
    rejects(
      pkt(0x10, str('MQIsdp'), 4, 2, 0, 60, str('c')),
      V311,
      'UNSUPPORTED_PROTOCOL_VERSION',
      0x84,
    );
  });

  test('CONNECT carries its own level whatever the connection version says', () => {
    for (const v of [3, 4, 5] as const) {
      for (const assumed of [3, 4, 5] as const) {
        const c = decodeWhole(connectV(v, 2, str('c')), assumed);
        assert.equal(c.type === 1 && c.protocolVersion, v);
      }
    }
  });

  test('MQTT 3.1: a 23-character client id and the MQIsdp name decode', () => {
    const id = 'abcdefghijklmnopqrstuvw';
    const c = decodeWhole(connectV(3, 2, str(id)), 3);
    assert.ok(c.type === 1 && c.clientId === id && c.protocolName === 'MQIsdp');
  });

  test('[MQTT-3.1.2-3] the reserved connect flag must be 0', () => {
    for (const v of [3, 4, 5] as const)
      rejects(connectV(v, 3, str('c')), v, 'RESERVED_FLAGS', MALFORMED);
  });

  test('[MQTT-3.1.2-13] [MQTT-3.1.2-11] Will QoS must be 0 when the Will Flag is 0', () => {
    for (const v of BOTH)
      rejects(connectV(v, 0x02 | 0x08, str('c')), v, 'WILL_FLAGS_INCONSISTENT', MALFORMED);
  });

  test('[MQTT-3.1.2-15] [MQTT-3.1.2-13] Will Retain must be 0 when the Will Flag is 0', () => {
    for (const v of BOTH)
      rejects(connectV(v, 0x02 | 0x20, str('c')), v, 'WILL_FLAGS_INCONSISTENT', MALFORMED);
  });

  test('[MQTT-3.1.2-14] [MQTT-3.1.2-12] Will QoS 3 is malformed', () => {
    for (const v of BOTH) {
      const wp = v === 5 ? [props()] : [];
      rejects(
        connectV(v, 0x04 | 0x18, str('c'), ...wp, str('w'), str('x')),
        v,
        'INVALID_QOS',
        MALFORMED,
      );
    }
  });

  test('[MQTT-3.1.2-22] 3.1.1: a password without a user name is malformed; v5 allows it', () => {
    rejects(
      connectV(V311, 0x42, str('c'), str('pw')),
      V311,
      'PASSWORD_WITHOUT_USERNAME',
      MALFORMED,
    );
    rejects(connectV(3, 0x42, str('c'), str('pw')), 3, 'PASSWORD_WITHOUT_USERNAME', MALFORMED);
    const c = decodeWhole(connectV(V5, 0x42, str('c'), str('pw')), V5);
    assert.ok(c.type === 1 && c.username === undefined && c.password?.toString() === 'pw');
  });

  test('[MQTT-3.1.3-11] a will topic must be a valid topic name', () => {
    rejects(connectV(V311, 0x06, str('c'), str('w/#'), str('x')), V311, 'TOPIC_NAME_INVALID', 0x90);
    rejects(connectV(V5, 0x06, str('c'), props(), str(''), str('x')), V5, 'TOPIC_NAME_INVALID');
  });

  test('a missing payload field (user name announced but absent) is malformed', () => {
    rejects(connectV(V311, 0x82, str('c')), V311, 'TRUNCATED', MALFORMED);
  });

  test('bytes after the last CONNECT field are malformed', () => {
    for (const v of BOTH)
      rejects(connectV(v, 2, str('c'), Buffer.from([0])), v, 'TRAILING_BYTES', MALFORMED);
  });

  test('v5: Authentication Data without an Authentication Method is a Protocol Error', () => {
    const c = pkt(0x10, str('MQTT'), 5, 2, 0, 60, props(0x16, str('x')), str('c'));
    rejects(c, V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
  });

  test('v5: a property allowed only in Will Properties is malformed in CONNECT properties and vice versa', () => {
    rejects(
      pkt(0x10, str('MQTT'), 5, 2, 0, 60, props(0x18, 0, 0, 0, 1), str('c')),
      V5,
      'PROPERTY_NOT_ALLOWED',
      MALFORMED,
    );
    const willWithSession = connectV(
      V5,
      0x06,
      str('c'),
      props(0x11, 0, 0, 0, 1),
      str('w'),
      str('x'),
    );
    rejects(willWithSession, V5, 'PROPERTY_NOT_ALLOWED', MALFORMED);
  });
});

describe('CONNACK', () => {
  test('[MQTT-3.2.2-1] reserved acknowledge flags must be 0 (3.1.1, 5.0)', () => {
    rejects(pkt(0x20, 0x02, 0), V311, 'RESERVED_FLAGS', MALFORMED);
    rejects(pkt(0x20, 0x80, 0, 0), V5, 'RESERVED_FLAGS', MALFORMED);
  });

  test('return codes above 5 are invalid in 3.1.1; v5 reason codes come from the CONNACK table', () => {
    rejects(pkt(0x20, 0, 6), V311, 'INVALID_REASON_CODE');
    rejects(pkt(0x20, 0, 0x8e, 0), V5, 'INVALID_REASON_CODE');
    assert.equal(decodeWhole(pkt(0x20, 0, 0x9f, 0), V5).type, 2);
  });

  test('v5: Maximum QoS other than 0/1 and Receive Maximum 0 are Protocol Errors', () => {
    rejects(pkt(0x20, 0, 0, props(0x24, 2)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
    rejects(pkt(0x20, 0, 0, props(0x21, 0, 0)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
    rejects(pkt(0x20, 0, 0, props(0x27, 0, 0, 0, 0)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
    rejects(pkt(0x20, 0, 0, props(0x25, 7)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
  });
});

describe('acknowledgements', () => {
  test('[MQTT-2.3.1-1] [MQTT-2.2.1-3] a packet identifier of 0 is rejected in acks, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK', () => {
    for (const v of BOTH) {
      for (const h of [0x40, 0x50, 0x62, 0x70])
        rejects(pkt(h, 0, 0), v, 'PACKET_ID_ZERO', PROTOCOL);
      rejects(pkt(0x90, 0, 0, v === 5 ? [0] : [], 0), v, 'PACKET_ID_ZERO');
      rejects(pkt(0xb0, 0, 0, v === 5 ? [0, 0] : []), v, 'PACKET_ID_ZERO');
      rejects(pkt(0x82, 0, 0, v === 5 ? [0] : [], str('a'), 0), v, 'PACKET_ID_ZERO', PROTOCOL);
      rejects(pkt(0xa2, 0, 0, v === 5 ? [0] : [], str('a')), v, 'PACKET_ID_ZERO', PROTOCOL);
    }
  });

  test('3.1.1: bytes after the packet identifier of an ack are malformed', () => {
    for (const h of [0x40, 0x50, 0x62, 0x70, 0xb0])
      rejects(pkt(h, 0, 1, 0), V311, 'TRAILING_BYTES', MALFORMED);
  });

  test('v5: PUBACK/PUBREC/PUBREL/PUBCOMP accept only their own reason codes', () => {
    rejects(pkt(0x40, 0, 1, 0x92), V5, 'INVALID_REASON_CODE', MALFORMED);
    rejects(pkt(0x62, 0, 1, 0x10), V5, 'INVALID_REASON_CODE', MALFORMED);
    assert.equal(decodeWhole(pkt(0x70, 0, 1, 0x92), V5).type, 7);
  });

  test('[MQTT-3.9.3-2] 3.1.1 SUBACK return codes other than 0, 1, 2 and 0x80 are malformed', () => {
    rejects(pkt(0x90, 0, 1, 3), V311, 'INVALID_REASON_CODE', MALFORMED);
    rejects(pkt(0x90, 0, 1, 0x81), V311, 'INVALID_REASON_CODE', MALFORMED);
  });

  test('v5: a property not allowed in PUBACK (Topic Alias) is malformed', () => {
    rejects(pkt(0x40, 0, 1, 0, props(0x23, 0, 1)), V5, 'PROPERTY_NOT_ALLOWED', MALFORMED);
  });

  test('PINGREQ, PINGRESP and 3.1.1 DISCONNECT have no body', () => {
    rejects(pkt(0xc0, 0), V311, 'TRAILING_BYTES', MALFORMED);
    rejects(pkt(0xd0, 0), V5, 'TRAILING_BYTES', MALFORMED);
    rejects(pkt(0xe0, 0), V311, 'TRAILING_BYTES', MALFORMED);
  });

  test('v5: DISCONNECT and AUTH reason codes come from their tables', () => {
    rejects(pkt(0xe0, 0x18), V5, 'INVALID_REASON_CODE', MALFORMED);
    rejects(pkt(0xf0, 0x04), V5, 'INVALID_REASON_CODE', MALFORMED);
  });
});

describe('SUBSCRIBE and UNSUBSCRIBE', () => {
  const sub = (v: ProtocolVersion, filter: string | number[], opts = 0): Buffer =>
    pkt(0x82, 0, 1, v === 5 ? [0] : [], str(filter), opts);

  for (const f of ['a/#/b', 'a+', 'a/+b', '#/a', 'a/#b', '+a/b', 'a#', '']) {
    test(`[MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.1-3] [MQTT-4.7.3-1] filter '${f}' is rejected with 0x8F`, () => {
      for (const v of BOTH) rejects(sub(v, f), v, 'TOPIC_FILTER_INVALID', 0x8f);
      rejects(pkt(0xa2, 0, 1, str(f)), V311, 'TOPIC_FILTER_INVALID', 0x8f);
    });
  }

  test('[MQTT-4.8.2-1] [MQTT-4.8.2-2] malformed shared subscriptions are rejected with 0x8F', () => {
    for (const f of [
      '$share/',
      '$share//a',
      '$share/g',
      '$share/g/',
      '$share/g+/a',
      '$share/#/a',
    ]) {
      rejects(sub(V5, f), V5, 'TOPIC_FILTER_INVALID', 0x8f);
    }
  });

  test('[MQTT-3-8.3-4] 3.1.1: reserved bits in the requested QoS byte are malformed', () => {
    rejects(sub(V311, 'a', 0x04), V311, 'RESERVED_FLAGS', MALFORMED);
    rejects(sub(V311, 'a', 0x80), V311, 'RESERVED_FLAGS', MALFORMED);
  });

  test('[MQTT-3-8.3-4] a requested QoS of 3 is malformed', () => {
    for (const v of BOTH) rejects(sub(v, 'a', 3), v, 'INVALID_QOS', MALFORMED);
  });

  test('[MQTT-3.8.3-5] v5: reserved bits 6-7 of the subscription options are malformed', () => {
    rejects(sub(V5, 'a', 0x40), V5, 'RESERVED_FLAGS', MALFORMED);
  });

  test('v5: Retain Handling 3 is a Protocol Error', () => {
    rejects(sub(V5, 'a', 0x30), V5, 'INVALID_RETAIN_HANDLING', PROTOCOL);
  });

  test('[MQTT-3.8.3-4] v5: No Local on a shared subscription is a Protocol Error', () => {
    rejects(sub(V5, '$share/g/a', 0x04), V5, 'NO_LOCAL_ON_SHARED', PROTOCOL);
  });

  test('[MQTT-3.8.3-3] [MQTT-3.8.3-2] SUBSCRIBE needs at least one topic filter', () => {
    rejects(pkt(0x82, 0, 1), V311, 'NO_SUBSCRIPTIONS', PROTOCOL);
    rejects(pkt(0x82, 0, 1, 0), V5, 'NO_SUBSCRIPTIONS', PROTOCOL);
  });

  test('[MQTT-3.10.3-2] UNSUBSCRIBE needs at least one topic filter', () => {
    rejects(pkt(0xa2, 0, 1), V311, 'NO_TOPIC_FILTERS', PROTOCOL);
    rejects(pkt(0xa2, 0, 1, 0), V5, 'NO_TOPIC_FILTERS', PROTOCOL);
  });

  test('a subscription missing its options byte is malformed', () => {
    rejects(pkt(0x82, 0, 1, str('a')), V311, 'TRUNCATED', MALFORMED);
  });

  test('v5: only one Subscription Identifier is allowed in SUBSCRIBE, and 0 is invalid', () => {
    rejects(
      pkt(0x82, 0, 1, props(0x0b, 1, 0x0b, 2), str('a'), 0),
      V5,
      'DUPLICATE_PROPERTY',
      PROTOCOL,
    );
    rejects(pkt(0x82, 0, 1, props(0x0b, 0), str('a'), 0), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
  });
});

describe('properties (v5)', () => {
  test('a duplicated property is a Protocol Error', () => {
    const dup = props(0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2);
    rejects(pkt(0x30, str('a'), dup), V5, 'DUPLICATE_PROPERTY', PROTOCOL);
    rejects(
      pkt(0x20, 0, 0, props(0x1f, str('a'), 0x1f, str('b'))),
      V5,
      'DUPLICATE_PROPERTY',
      PROTOCOL,
    );
  });

  test('User Property may repeat (order kept), Subscription Identifier may repeat in PUBLISH', () => {
    const p = decodeWhole(
      pkt(
        0x30,
        str('a'),
        props(0x26, str('k'), str('1'), 0x26, str('k'), str('2'), 0x0b, 1, 0x0b, 0x80, 1),
      ),
      V5,
    ) as PublishPacket;
    assert.deepEqual(p.properties?.userProperties, [
      ['k', '1'],
      ['k', '2'],
    ]);
    assert.deepEqual(p.properties?.subscriptionIdentifiers, [1, 128]);
  });

  test('[MQTT-2.2.2-1] an identifier not valid for the packet is malformed', () => {
    rejects(pkt(0x30, str('a'), props(0x11, 0, 0, 0, 1)), V5, 'PROPERTY_NOT_ALLOWED', MALFORMED);
    rejects(pkt(0x82, 0, 1, props(0x23, 0, 1), str('a'), 0), V5, 'PROPERTY_NOT_ALLOWED', MALFORMED);
    rejects(pkt(0xe0, 0, props(0x15, str('m'))), V5, 'PROPERTY_NOT_ALLOWED', MALFORMED);
  });

  test('an unknown property identifier is malformed', () => {
    rejects(pkt(0x30, str('a'), props(0x04, 0)), V5, 'UNKNOWN_PROPERTY', MALFORMED);
    rejects(pkt(0x30, str('a'), props(0x7f, 0)), V5, 'UNKNOWN_PROPERTY', MALFORMED);
  });

  test('a Property Length beyond the packet, or a property overrunning it, is malformed', () => {
    rejects(pkt(0x30, str('a'), 5, 0x01), V5, 'TRUNCATED', MALFORMED);
    // Property Length 2, but Message Expiry Interval needs 5 bytes.
    rejects(pkt(0x30, str('a'), 2, 0x02, 0, 0, 0, 0), V5, 'TRUNCATED', MALFORMED);
  });

  test('Payload Format Indicator other than 0/1 and Subscription Identifier 0 are Protocol Errors', () => {
    rejects(pkt(0x30, str('a'), props(0x01, 2)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
    rejects(pkt(0x30, str('a'), props(0x0b, 0)), V5, 'INVALID_PROPERTY_VALUE', PROTOCOL);
  });
});

describe('encoder refuses packets that must not be sent', () => {
  const pub: PublishPacket = {
    type: 3,
    topic: 'a/b',
    payload: Buffer.from('x'),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 1,
    properties: undefined,
  };

  test('[MQTT-3.3.2-2] wildcard or empty topic names', () => {
    encodeRejects({ ...pub, topic: 'a/+' }, V311, 'TOPIC_NAME_INVALID');
    encodeRejects({ ...pub, topic: 'é/#' }, V311, 'TOPIC_NAME_INVALID');
    encodeRejects({ ...pub, topic: '' }, V311, 'TOPIC_NAME_INVALID');
    encodeRejects({ ...pub, topic: '' }, V5, 'TOPIC_NAME_INVALID');
    assert.ok(encodePacket({ ...pub, topic: '', properties: { topicAlias: 1 } }, V5).length > 0);
  });

  test('[MQTT-3.3.1-4] [MQTT-3.3.1-2] [MQTT-2.2.1-3] QoS 3, DUP on QoS 0, packet id 0', () => {
    encodeRejects({ ...pub, qos: 3 as 0 }, V311, 'INVALID_QOS');
    encodeRejects({ ...pub, qos: 0, dup: true }, V311, 'DUP_ON_QOS0');
    encodeRejects({ ...pub, packetId: 0 }, V311, 'PACKET_ID_ZERO');
    encodeRejects({ ...pub, packetId: 65536 }, V311, 'PACKET_ID_ZERO');
  });

  test('[MQTT-4.7.3-3] [MQTT-1.5.4-1] strings longer than 65,535 bytes cannot be encoded', () => {
    encodeRejects({ ...pub, topic: 'a'.repeat(65_536) }, V311, 'STRING_TOO_LONG');
    encodeRejects({ ...pub, topic: 'é'.repeat(40_000) }, V311, 'STRING_TOO_LONG');
    encodeRejects(
      { ...pub, properties: { contentType: 'x'.repeat(70_000) } },
      V5,
      'STRING_TOO_LONG',
    );
    assert.ok(encodePacket({ ...pub, topic: 'a'.repeat(65_535) }, V311).length > 65_535);
  });

  test('a property not allowed in the packet', () => {
    encodeRejects({ ...pub, properties: { sessionExpiryInterval: 1 } }, V5, 'PROPERTY_NOT_ALLOWED');
    encodeRejects(
      { type: 4, packetId: 1, reasonCode: 0, properties: { topicAlias: 1 } },
      V5,
      'PROPERTY_NOT_ALLOWED',
    );
  });

  test('3.1.1 CONNECT with a password but no user name', () => {
    encodeRejects(
      {
        type: 1,
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepAlive: 0,
        clientId: 'c',
        username: undefined,
        password: Buffer.from('p'),
        will: undefined,
        properties: undefined,
      },
      V311,
      'PASSWORD_WITHOUT_USERNAME',
    );
  });

  test('SUBACK reason codes: undefined ones are refused; v5 failures become 0x80 before v5', () => {
    const suback = (reasonCodes: number[]): Packet => ({
      type: 9,
      packetId: 1,
      reasonCodes,
      properties: undefined,
    });
    encodeRejects(suback([3]), V311, 'INVALID_REASON_CODE');
    encodeRejects(suback([0x81]), V5, 'INVALID_REASON_CODE');
    assert.equal(
      encodePacket(suback([0, 0x97, 0x87]), V311).toString('hex'),
      '9005000100' + '8080',
    );
  });

  test('invalid topic filters and empty SUBSCRIBE', () => {
    const s = {
      topicFilter: 'a/#/b',
      qos: 0,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
    } as const;
    encodeRejects(
      { type: 8, packetId: 1, subscriptions: [s], properties: undefined },
      V311,
      'TOPIC_FILTER_INVALID',
    );
    encodeRejects(
      { type: 8, packetId: 1, subscriptions: [], properties: undefined },
      V311,
      'NO_SUBSCRIPTIONS',
    );
    encodeRejects(
      { type: 10, packetId: 1, topicFilters: [], properties: undefined },
      V311,
      'NO_TOPIC_FILTERS',
    );
  });
});
