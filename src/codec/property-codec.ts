import { MqttError, malformed, protocolError } from './errors.js';
import { PROPERTY_BY_ID, PROPERTY_BY_NAME, PropertyType } from './properties.js';
import type { Reader } from './reader.js';
import { ReasonCode } from './reason-codes.js';
import { hasWildcard } from './topic.js';
import type { Properties } from './types.js';
import { utf8Length, writeUtf8Checked } from './utf8.js';
import { varintLength, writeVarint } from './varint.js';
import { writeBinary, writeU16, writeU32 } from './writer.js';

const PACKET_NAMES = [
  'Will Properties',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
];

function badValue(name: string, value: number | string): MqttError {
  return protocolError('INVALID_PROPERTY_VALUE', `invalid ${name}: ${value}`);
}

function flag(r: Reader, name: string): number {
  const v = r.u8();
  if (v > 1) throw badValue(name, v);
  return v;
}

/**
 * Reads a Property Length and the properties after it, checking each identifier against the
 * packet (`type`, or 0 for Will Properties) [MQTT-2.2.2-1]. Returns undefined when empty.
 */
export function decodeProperties(r: Reader, type: number): Properties | undefined {
  const len = r.varint();
  if (len === 0) return undefined;
  const end = r.pos + len;
  if (end > r.end) throw malformed('TRUNCATED', 'property length exceeds the packet');
  const outerEnd = r.end;
  r.end = end;
  const p: Properties = {};
  let seenLo = 0;
  let seenHi = 0;
  const mask = 1 << type;
  while (r.pos < end) {
    const id = r.varint();
    const info = PROPERTY_BY_ID[id];
    if (info === undefined) {
      throw malformed('UNKNOWN_PROPERTY', `unknown property identifier 0x${id.toString(16)}`);
    }
    if ((info.allowed & mask) === 0) {
      throw malformed(
        'PROPERTY_NOT_ALLOWED',
        `property ${info.name} not allowed in ${PACKET_NAMES[type]}`,
      );
    }
    if (!info.repeatable || (id === 0x0b && type !== 3)) {
      const bit = 1 << (id & 31);
      const seen = id < 32 ? seenLo : seenHi;
      if ((seen & bit) !== 0) {
        throw protocolError('DUPLICATE_PROPERTY', `property ${info.name} included more than once`);
      }
      if (id < 32) seenLo |= bit;
      else seenHi |= bit;
    }
    switch (id) {
      case 0x01:
        p.payloadFormatIndicator = flag(r, info.name);
        break;
      case 0x02:
        p.messageExpiryInterval = r.u32();
        break;
      case 0x03:
        p.contentType = r.utf8();
        break;
      case 0x08: {
        const t = r.utf8();
        if (t.length === 0 || hasWildcard(t)) {
          throw protocolError('INVALID_PROPERTY_VALUE', 'invalid response topic', 'MQTT-3.3.2-14');
        }
        p.responseTopic = t;
        break;
      }
      case 0x09:
        p.correlationData = r.binary();
        break;
      case 0x0b: {
        const v = r.varint();
        if (v === 0) throw badValue(info.name, v);
        if (p.subscriptionIdentifiers === undefined) p.subscriptionIdentifiers = [v];
        else p.subscriptionIdentifiers.push(v);
        break;
      }
      case 0x11:
        p.sessionExpiryInterval = r.u32();
        break;
      case 0x12:
        p.assignedClientIdentifier = r.utf8();
        break;
      case 0x13:
        p.serverKeepAlive = r.u16();
        break;
      case 0x15:
        p.authenticationMethod = r.utf8();
        break;
      case 0x16:
        p.authenticationData = r.binary();
        break;
      case 0x17:
        p.requestProblemInformation = flag(r, info.name);
        break;
      case 0x18:
        p.willDelayInterval = r.u32();
        break;
      case 0x19:
        p.requestResponseInformation = flag(r, info.name);
        break;
      case 0x1a:
        p.responseInformation = r.utf8();
        break;
      case 0x1c:
        p.serverReference = r.utf8();
        break;
      case 0x1f:
        p.reasonString = r.utf8();
        break;
      case 0x21: {
        const v = r.u16();
        if (v === 0) throw badValue(info.name, v);
        p.receiveMaximum = v;
        break;
      }
      case 0x22:
        p.topicAliasMaximum = r.u16();
        break;
      case 0x23: {
        const v = r.u16();
        if (v === 0) {
          throw new MqttError(
            'TOPIC_ALIAS_INVALID',
            'topic alias 0',
            ReasonCode.TopicAliasInvalid,
            'MQTT-3.3.2-8',
          );
        }
        p.topicAlias = v;
        break;
      }
      case 0x24:
        p.maximumQoS = flag(r, info.name);
        break;
      case 0x25:
        p.retainAvailable = flag(r, info.name);
        break;
      case 0x26: {
        const k = r.utf8();
        const v = r.utf8();
        if (p.userProperties === undefined) p.userProperties = [[k, v]];
        else p.userProperties.push([k, v]);
        break;
      }
      case 0x27: {
        const v = r.u32();
        if (v === 0) throw badValue(info.name, v);
        p.maximumPacketSize = v;
        break;
      }
      case 0x28:
        p.wildcardSubscriptionAvailable = flag(r, info.name);
        break;
      case 0x29:
        p.subscriptionIdentifiersAvailable = flag(r, info.name);
        break;
      case 0x2a:
        p.sharedSubscriptionAvailable = flag(r, info.name);
        break;
    }
  }
  if (r.pos !== end) throw malformed('TRUNCATED', 'property overruns the property length');
  r.end = outerEnd;
  return p;
}

function encodeError(message: string): MqttError {
  return malformed('INVALID_PACKET', message);
}

function checkInt(name: string, v: unknown, max: number, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw encodeError(`property ${name} out of range: ${String(v)}`);
  }
  return v;
}

/**
 * Byte length of the encoded properties (without the Property Length prefix). Throws for a
 * property not allowed in packet `type` (0 = Will Properties) or an out-of-range value.
 */
export function propertiesLength(p: Properties | undefined, type: number): number {
  if (p === undefined) return 0;
  let n = 0;
  const mask = 1 << type;
  const rec = p as Record<string, unknown>;
  for (const key in rec) {
    const v = rec[key];
    if (v === undefined) continue;
    const info = PROPERTY_BY_NAME.get(key);
    if (info === undefined) throw encodeError(`unknown property ${key}`);
    if ((info.allowed & mask) === 0) {
      throw malformed(
        'PROPERTY_NOT_ALLOWED',
        `property ${key} not allowed in ${PACKET_NAMES[type]}`,
      );
    }
    switch (info.type) {
      case PropertyType.Byte:
        checkInt(key, v, 255);
        n += 2;
        break;
      case PropertyType.TwoByteInteger:
        checkInt(key, v, 0xffff);
        n += 3;
        break;
      case PropertyType.FourByteInteger:
        checkInt(key, v, 0xffffffff);
        n += 5;
        break;
      case PropertyType.VarInt: {
        const ids = v as number[];
        if (type !== 3 && ids.length > 1) {
          throw encodeError('only one subscription identifier allowed in SUBSCRIBE');
        }
        for (const id of ids) n += 1 + varintLength(checkInt(key, id, 268_435_455, 1));
        break;
      }
      case PropertyType.Utf8String:
        n += 3 + utf8Length(v as string);
        break;
      case PropertyType.BinaryData: {
        const len = (v as Buffer).length;
        if (len > 0xffff) throw encodeError(`property ${key} longer than 65535 bytes`);
        n += 3 + len;
        break;
      }
      case PropertyType.Utf8StringPair:
        for (const [k, val] of v as Array<[string, string]>) {
          n += 5 + utf8Length(k) + utf8Length(val);
        }
        break;
    }
  }
  return n;
}

/** Writes the Property Length (`len` from {@link propertiesLength}) and the properties. */
export function writeProperties(
  buf: Buffer,
  pos: number,
  p: Properties | undefined,
  len: number,
): number {
  pos = writeVarint(buf, pos, len);
  if (p === undefined || len === 0) return pos;
  const rec = p as Record<string, unknown>;
  for (const key in rec) {
    const v = rec[key];
    if (v === undefined) continue;
    const info = PROPERTY_BY_NAME.get(key) as { id: number; type: PropertyType };
    switch (info.type) {
      case PropertyType.Byte:
        buf[pos] = info.id;
        buf[pos + 1] = v as number;
        pos += 2;
        break;
      case PropertyType.TwoByteInteger:
        buf[pos] = info.id;
        pos = writeU16(buf, pos + 1, v as number);
        break;
      case PropertyType.FourByteInteger:
        buf[pos] = info.id;
        pos = writeU32(buf, pos + 1, v as number);
        break;
      case PropertyType.VarInt:
        for (const id of v as number[]) {
          buf[pos] = info.id;
          pos = writeVarint(buf, pos + 1, id);
        }
        break;
      case PropertyType.Utf8String:
        buf[pos] = info.id;
        pos = writeUtf8Checked(buf, pos + 1, v as string);
        break;
      case PropertyType.BinaryData:
        buf[pos] = info.id;
        pos = writeBinary(buf, pos + 1, v as Buffer);
        break;
      case PropertyType.Utf8StringPair:
        for (const [k, val] of v as Array<[string, string]>) {
          buf[pos] = info.id;
          pos = writeUtf8Checked(buf, pos + 1, k);
          pos = writeUtf8Checked(buf, pos, val);
        }
        break;
    }
  }
  return pos;
}
