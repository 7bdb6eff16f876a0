import { PacketType, type ProtocolVersion, type QoS } from '../constants.js';
import { MqttError, malformed, protocolError } from '../errors.js';
import { WILL_PROPERTIES } from '../properties.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { ReasonCode } from '../reason-codes.js';
import { isValidTopicName } from '../topic.js';
import type { ConnectPacket, Properties, Will } from '../types.js';
import { utf8Length, writeUtf8 } from '../utf8.js';
import { varintLength } from '../varint.js';
import { writeBinary, writeU16 } from '../writer.js';
import { allocPacket, bodyStart } from './common.js';

function unsupported(message: string, code = 'UNSUPPORTED_PROTOCOL_VERSION'): MqttError {
  return new MqttError(code, message, ReasonCode.UnsupportedProtocolVersion, 'MQTT-3.1.2-2');
}

function checkAuth(p: Properties | undefined): void {
  if (
    p !== undefined &&
    p.authenticationData !== undefined &&
    p.authenticationMethod === undefined
  ) {
    throw protocolError('INVALID_PROPERTY_VALUE', 'authentication data without a method');
  }
}

/** Decodes a CONNECT body; the protocol level comes from the packet itself. */
export function decodeConnect(r: Reader): ConnectPacket {
  const protocolName = r.utf8();
  const byte = r.u8();
  // Mosquitto's bridges set bit 0x80 of a 3.1/3.1.1 level (`try_private`) to say what they are.
  const bridge = (byte & 0x80) !== 0 && (byte & 0x7f) !== 5;
  const level = bridge ? byte & 0x7f : byte;
  let version: ProtocolVersion;
  if (protocolName === 'MQTT') {
    if (level !== 4 && level !== 5) throw unsupported(`unsupported protocol level ${level}`);
    version = level;
  } else if (protocolName === 'MQIsdp') {
    if (level !== 3) throw unsupported(`unsupported protocol level ${level} for MQIsdp`);
    version = 3;
  } else {
    const e = unsupported(`bad protocol name '${protocolName}'`, 'BAD_PROTOCOL_NAME');
    throw new MqttError(e.code, e.message, e.reasonCode, 'MQTT-3.1.2-1');
  }
  const flags = r.u8();
  if ((flags & 1) !== 0) {
    throw malformed('RESERVED_FLAGS', 'CONNECT reserved flag is set', 'MQTT-3.1.2-3');
  }
  const willFlag = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 3;
  const willRetain = (flags & 0x20) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  const hasUsername = (flags & 0x80) !== 0;
  if (willFlag) {
    if (willQos === 3) throw malformed('INVALID_QOS', 'will QoS 3', 'MQTT-3.1.2-12');
  } else if (willQos !== 0) {
    throw malformed('WILL_FLAGS_INCONSISTENT', 'will QoS without will flag', 'MQTT-3.1.2-11');
  } else if (willRetain) {
    throw malformed('WILL_FLAGS_INCONSISTENT', 'will retain without will flag', 'MQTT-3.1.2-13');
  }
  if (version !== 5 && hasPassword && !hasUsername) {
    throw malformed(
      'PASSWORD_WITHOUT_USERNAME',
      'password flag without user name flag',
      'MQTT-3.1.2-22',
    );
  }
  const keepAlive = r.u16();
  let properties: Properties | undefined;
  if (version === 5) {
    properties = decodeProperties(r, PacketType.CONNECT);
    checkAuth(properties);
  }
  const clientId = r.utf8();
  let will: Will | undefined;
  if (willFlag) {
    const wp = version === 5 ? decodeProperties(r, WILL_PROPERTIES) : undefined;
    const topic = r.utf8();
    if (!isValidTopicName(topic)) {
      throw new MqttError(
        'TOPIC_NAME_INVALID',
        `invalid will topic '${topic}'`,
        ReasonCode.TopicNameInvalid,
        'MQTT-3.1.3-11',
      );
    }
    const payload = r.binary();
    will = { topic, payload, qos: willQos as QoS, retain: willRetain, properties: wp };
  }
  const username = hasUsername ? r.utf8() : undefined;
  const password = hasPassword ? r.binary() : undefined;
  r.done();
  return {
    type: PacketType.CONNECT,
    protocolName,
    protocolVersion: version,
    clean: (flags & 0x02) !== 0,
    keepAlive,
    clientId,
    username,
    password,
    will,
    properties,
    ...(bridge ? { bridge } : {}),
  };
}

/** Encodes a CONNECT at its own `protocolVersion` (the protocol name follows from it). */
export function encodeConnect(p: ConnectPacket): Buffer {
  const version = p.protocolVersion;
  if (version !== 3 && version !== 4 && version !== 5) {
    throw unsupported(`unsupported protocol version ${String(version)}`);
  }
  const name = version === 3 ? 'MQIsdp' : 'MQTT';
  const v5 = version === 5;
  if (!(p.keepAlive >= 0 && p.keepAlive <= 0xffff)) {
    throw malformed('INVALID_PACKET', `keep alive out of range: ${p.keepAlive}`);
  }
  if (!v5 && p.password !== undefined && p.username === undefined) {
    throw malformed('PASSWORD_WITHOUT_USERNAME', 'password without user name', 'MQTT-3.1.2-22');
  }
  if (version === 4 && p.clientId === '' && !p.clean) {
    throw malformed('CLIENT_ID_REQUIRED', 'an empty client id needs clean session', 'MQTT-3.1.3-7');
  }
  const will = p.will;
  let remaining = 2 + name.length + 1 + 1 + 2;
  let plen = 0;
  if (v5) {
    plen = propertiesLength(p.properties, PacketType.CONNECT);
    remaining += varintLength(plen) + plen;
  }
  const cidLen = utf8Length(p.clientId);
  remaining += 2 + cidLen;
  let wplen = 0;
  let wtLen = 0;
  if (will !== undefined) {
    if (!(will.qos === 0 || will.qos === 1 || will.qos === 2)) {
      throw malformed('INVALID_QOS', `invalid will QoS ${String(will.qos)}`, 'MQTT-3.1.2-12');
    }
    if (!isValidTopicName(will.topic)) {
      throw new MqttError(
        'TOPIC_NAME_INVALID',
        `invalid will topic '${will.topic}'`,
        ReasonCode.TopicNameInvalid,
      );
    }
    if (v5) {
      wplen = propertiesLength(will.properties, WILL_PROPERTIES);
      remaining += varintLength(wplen) + wplen;
    }
    wtLen = utf8Length(will.topic);
    if (will.payload.length > 0xffff) {
      throw malformed('INVALID_PACKET', 'will payload longer than 65535 bytes');
    }
    remaining += 2 + wtLen + 2 + will.payload.length;
  }
  let userLen = 0;
  if (p.username !== undefined) {
    userLen = utf8Length(p.username);
    remaining += 2 + userLen;
  }
  if (p.password !== undefined) {
    if (p.password.length > 0xffff) {
      throw malformed('INVALID_PACKET', 'password longer than 65535 bytes');
    }
    remaining += 2 + p.password.length;
  }
  let flags = p.clean ? 0x02 : 0;
  if (will !== undefined) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  const buf = allocPacket(0x10, remaining);
  let pos = writeUtf8(buf, bodyStart(remaining), name, name.length);
  buf[pos++] = p.bridge === true && !v5 ? version | 0x80 : version;
  buf[pos++] = flags;
  pos = writeU16(buf, pos, p.keepAlive);
  if (v5) pos = writeProperties(buf, pos, p.properties, plen);
  pos = writeUtf8(buf, pos, p.clientId, cidLen);
  if (will !== undefined) {
    if (v5) pos = writeProperties(buf, pos, will.properties, wplen);
    pos = writeUtf8(buf, pos, will.topic, wtLen);
    pos = writeBinary(buf, pos, will.payload);
  }
  if (p.username !== undefined) pos = writeUtf8(buf, pos, p.username, userLen);
  if (p.password !== undefined) writeBinary(buf, pos, p.password);
  return buf;
}
