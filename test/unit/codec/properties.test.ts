import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType } from '../../../src/codec/constants.js';
import { decodePacket } from '../../../src/codec/decode.js';
import { MqttError } from '../../../src/codec/errors.js';
import {
  isPropertyAllowed,
  PROPERTIES,
  PropertyType,
  WILL_PROPERTIES,
} from '../../../src/codec/properties.js';
import { bytes, props, str, vbi } from './helpers.js';

/** A valid encoding of a value of each property type. */
function sample(type: number): Buffer {
  switch (type) {
    case PropertyType.Byte:
      return bytes(1);
    case PropertyType.TwoByteInteger:
      return bytes(0, 1);
    case PropertyType.FourByteInteger:
      return bytes(0, 0, 0, 1);
    case PropertyType.VarInt:
      return vbi(1);
    case PropertyType.Utf8String:
      return str('x');
    case PropertyType.BinaryData:
      return str('y');
    default:
      return bytes(str('k'), str('v'));
  }
}

/** Body of a v5 packet of `type` that carries `properties` (raw Property Length + bytes). */
function bodyWith(type: number, pr: Buffer): { header: number; body: Buffer } {
  switch (type) {
    case WILL_PROPERTIES:
      return {
        header: 0x10,
        body: bytes(str('MQTT'), 5, 0x06, 0, 0, props(), str('c'), pr, str('w'), str('p')),
      };
    case PacketType.CONNECT:
      return { header: 0x10, body: bytes(str('MQTT'), 5, 0x02, 0, 0, pr, str('c')) };
    case PacketType.CONNACK:
      return { header: 0x20, body: bytes(0, 0, pr) };
    case PacketType.PUBLISH:
      return { header: 0x30, body: bytes(str('t'), pr) };
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return { header: (type << 4) | (type === 6 ? 2 : 0), body: bytes(0, 1, 0, pr) };
    case PacketType.SUBSCRIBE:
      return { header: 0x82, body: bytes(0, 1, pr, str('a'), 0) };
    case PacketType.SUBACK:
      return { header: 0x90, body: bytes(0, 1, pr, 0) };
    case PacketType.UNSUBSCRIBE:
      return { header: 0xa2, body: bytes(0, 1, pr, str('a')) };
    case PacketType.UNSUBACK:
      return { header: 0xb0, body: bytes(0, 1, pr, 0) };
    case PacketType.DISCONNECT:
      return { header: 0xe0, body: bytes(0, pr) };
    default:
      return { header: 0xf0, body: bytes(0, pr) };
  }
}

const NAMES: Record<number, string> = { 0: 'Will Properties' };
for (const [k, v] of Object.entries(PacketType)) NAMES[v] = k;
const CARRIERS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15];

describe('property table (MQTT 5.0 section 2.2.2.2)', () => {
  for (const info of PROPERTIES) {
    test(`0x${info.id.toString(16).padStart(2, '0')} ${info.name}: accepted only where the table allows it`, () => {
      for (const type of CARRIERS) {
        let pr = bytes(info.id, sample(info.type));
        // Authentication Data needs an Authentication Method beside it.
        if (info.id === 0x16 && isPropertyAllowed(0x15, type)) pr = bytes(pr, 0x15, str('m'));
        const { header, body } = bodyWith(type, props(pr));
        if (isPropertyAllowed(info.id, type)) {
          assert.doesNotThrow(
            () => decodePacket(header, body, 5),
            `${info.name} in ${NAMES[type]}`,
          );
        } else {
          assert.throws(
            () => decodePacket(header, body, 5),
            (e: unknown) =>
              e instanceof MqttError && e.code === 'PROPERTY_NOT_ALLOWED' && e.reasonCode === 0x81,
            `${info.name} in ${NAMES[type]}`,
          );
        }
      }
    });
  }

  test('User Property is allowed everywhere properties exist; Will Delay Interval only in wills', () => {
    for (const type of CARRIERS) assert.equal(isPropertyAllowed(0x26, type), true);
    assert.deepEqual(
      CARRIERS.filter((t) => isPropertyAllowed(0x18, t)),
      [WILL_PROPERTIES],
    );
    assert.deepEqual(
      CARRIERS.filter((t) => isPropertyAllowed(0x23, t)),
      [PacketType.PUBLISH],
    );
  });
});
