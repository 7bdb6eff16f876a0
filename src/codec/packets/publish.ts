import { PacketType, type ProtocolVersion, type QoS } from '../constants.js';
import { MqttError, malformed, protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import { Reader } from '../reader.js';
import { ReasonCode } from '../reason-codes.js';
import type { Properties, PublishPacket } from '../types.js';
import { asciiSlice, utf8Length, utf8Slice, validateUtf8, writeUtf8 } from '../utf8.js';
import { varintLength, writeVarint } from '../varint.js';
import { allocBuffer, writeBytes } from '../writer.js';
import { checkPacketId } from './common.js';

const reader = new Reader();

function truncated(): never {
  throw malformed('TRUNCATED', 'PUBLISH shorter than its contents');
}

function wildcard(): never {
  throw new MqttError(
    'TOPIC_NAME_INVALID',
    'wildcard character in a PUBLISH topic name',
    ReasonCode.TopicNameInvalid,
    'MQTT-3.3.2-2',
  );
}

// Recently decoded topic names, by a hash of their bytes: a publisher sends the same few topics
// over and over, and handing back the same string saves building it (and its garbage), checking
// its UTF-8 again, and hashing it again for the routing cache (V8 keeps a string's hash).
const TOPIC_CACHE_SLOTS = 256;
const TOPIC_CACHE_BYTES = 64;
const topicLen = new Uint8Array(TOPIC_CACHE_SLOTS);
const topicBytes = new Uint8Array(TOPIC_CACHE_SLOTS * TOPIC_CACHE_BYTES);
const topicStr: string[] = new Array<string>(TOPIC_CACHE_SLOTS).fill('');

/** The cached string for the `len` topic bytes at `body[2..]`, if that slot holds them. */
function cachedTopic(slot: number, body: Buffer, len: number): string | undefined {
  if (topicLen[slot] !== len) return undefined;
  const at = slot * TOPIC_CACHE_BYTES;
  for (let i = 0; i < len; i++) if (topicBytes[at + i] !== body[2 + i]) return undefined;
  return topicStr[slot];
}

function cacheTopic(slot: number, body: Buffer, len: number, topic: string): void {
  const at = slot * TOPIC_CACHE_BYTES;
  for (let i = 0; i < len; i++) topicBytes[at + i] = body[2 + i] as number;
  topicLen[slot] = len;
  topicStr[slot] = topic;
}

/**
 * Decodes a PUBLISH body. Hand-inlined rather than built on the Reader because it is the hot
 * path: the topic is scanned once for ASCII, wildcards and U+0000.
 */
export function decodePublish(
  header: number,
  body: Buffer,
  version: ProtocolVersion,
): PublishPacket {
  const qos = (header >> 1) & 3;
  if (qos === 3) throw malformed('INVALID_QOS', 'PUBLISH with QoS 3', 'MQTT-3.3.1-4');
  const dup = (header & 8) !== 0;
  if (dup && qos === 0) throw malformed('DUP_ON_QOS0', 'DUP flag set on QoS 0', 'MQTT-3.3.1-2');
  const end = body.length;
  if (end < 2) truncated();
  const tlen = ((body[0] as number) << 8) | (body[1] as number);
  let pos = 2 + tlen;
  if (pos > end) truncated();
  let ascii = true;
  let hash = tlen;
  for (let i = 2; i < pos; i++) {
    const c = body[i] as number;
    hash = (Math.imul(hash, 31) + c) | 0;
    if (c <= 0x2b) {
      if (c === 0x23 || c === 0x2b) wildcard();
      if (c === 0) {
        throw malformed('INVALID_UTF8', 'U+0000 in topic name', 'MQTT-1.5.4-2');
      }
    } else if (c >= 0x80) {
      ascii = false;
    }
  }
  let topic: string | undefined;
  const slot = hash & (TOPIC_CACHE_SLOTS - 1);
  const cacheable = tlen > 0 && tlen <= TOPIC_CACHE_BYTES;
  if (cacheable) topic = cachedTopic(slot, body, tlen);
  if (topic === undefined) {
    if (ascii) {
      topic = asciiSlice(body, 2, pos);
    } else {
      validateUtf8(body, 2, pos);
      topic = utf8Slice(body, 2, pos);
    }
    if (cacheable) cacheTopic(slot, body, tlen, topic);
  }
  let packetId = 0;
  if (qos > 0) {
    if (pos + 2 > end) truncated();
    packetId = ((body[pos] as number) << 8) | (body[pos + 1] as number);
    if (packetId === 0) {
      throw protocolError('PACKET_ID_ZERO', 'PUBLISH with packet identifier 0', 'MQTT-2.2.1-3');
    }
    pos += 2;
  }
  let properties: Properties | undefined;
  if (version === 5) {
    if (pos < end && body[pos] === 0) {
      pos++;
    } else {
      const r = reader.reset(body, pos, end);
      properties = decodeProperties(r, PacketType.PUBLISH);
      pos = r.pos;
    }
    if (tlen === 0 && properties?.topicAlias === undefined) {
      throw protocolError(
        'TOPIC_NAME_INVALID',
        'empty topic name without a topic alias',
        'MQTT-3.3.2-1',
      );
    }
  } else if (tlen === 0) {
    throw new MqttError(
      'TOPIC_NAME_INVALID',
      'empty topic name',
      ReasonCode.TopicNameInvalid,
      'MQTT-4.7.3-1',
    );
  }
  return {
    type: PacketType.PUBLISH,
    topic,
    payload: body.subarray(pos, end),
    qos: qos as QoS,
    retain: (header & 1) !== 0,
    dup,
    packetId,
    properties,
  };
}

/** Byte length of a topic name to encode, validating it [MQTT-3.3.2-2] [MQTT-4.7.3-1]. */
function topicLength(topic: string, version: ProtocolVersion, hasAlias: boolean): number {
  const n = topic.length;
  if (n === 0) {
    if (version === 5 && hasAlias) return 0;
    throw new MqttError(
      'TOPIC_NAME_INVALID',
      'empty topic name',
      ReasonCode.TopicNameInvalid,
      'MQTT-4.7.3-1',
    );
  }
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c <= 0x2b) {
      if (c === 0x23 || c === 0x2b) wildcard();
      if (c === 0) throw malformed('INVALID_UTF8', 'U+0000 in topic name', 'MQTT-1.5.4-2');
    } else if (c >= 0x80) {
      ascii = false;
    }
  }
  if (!ascii) return utf8Length(topic);
  if (n > 0xffff) throw malformed('STRING_TOO_LONG', 'topic name longer than 65535 bytes');
  return n;
}

function checkHeader(packet: PublishPacket): void {
  const qos = packet.qos;
  if (!(qos === 0 || qos === 1 || qos === 2)) {
    throw malformed('INVALID_QOS', `invalid QoS ${String(qos)}`, 'MQTT-3.3.1-4');
  }
  if (packet.dup && qos === 0) {
    throw malformed('DUP_ON_QOS0', 'DUP flag set on QoS 0', 'MQTT-3.3.1-2');
  }
  if (qos > 0) checkPacketId(packet.packetId);
}

/**
 * Encodes a PUBLISH into one exactly-sized Buffer. Optimistic single pass over the topic: it is
 * assumed ASCII (byte length = string length) and copied while being validated; a non-ASCII
 * character switches to {@link encodePublishGeneral}.
 */
export function encodePublish(packet: PublishPacket, version: ProtocolVersion): Buffer {
  checkHeader(packet);
  const qos = packet.qos;
  const props = version === 5 ? packet.properties : undefined;
  const topic = packet.topic;
  const tlen = topic.length;
  if (tlen === 0 || tlen > 0xffff) return encodePublishGeneral(packet, version);
  const payload = packet.payload;
  let remaining = 2 + tlen + payload.length + (qos > 0 ? 2 : 0);
  let plen = 0;
  if (version === 5) {
    plen = props === undefined ? 0 : propertiesLength(props, PacketType.PUBLISH);
    remaining += varintLength(plen) + plen;
  }
  const buf = allocBuffer(1 + varintLength(remaining) + remaining);
  buf[0] = 0x30 | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0);
  let pos = 2;
  if (remaining < 128) buf[1] = remaining;
  else pos = writeVarint(buf, 1, remaining);
  buf[pos] = tlen >>> 8;
  buf[pos + 1] = tlen & 0xff;
  pos += 2;
  for (let i = 0; i < tlen; i++) {
    const c = topic.charCodeAt(i);
    if (c <= 0x2b) {
      if (c === 0x23 || c === 0x2b) wildcard();
      if (c === 0) throw malformed('INVALID_UTF8', 'U+0000 in topic name', 'MQTT-1.5.4-2');
    } else if (c >= 0x80) {
      return encodePublishGeneral(packet, version);
    }
    buf[pos + i] = c;
  }
  pos += tlen;
  return finishPublish(buf, pos, packet, version, props, plen);
}

function finishPublish(
  buf: Buffer,
  pos: number,
  packet: PublishPacket,
  version: ProtocolVersion,
  props: PublishPacket['properties'],
  plen: number,
): Buffer {
  if (packet.qos > 0) {
    const id = packet.packetId;
    buf[pos] = id >>> 8;
    buf[pos + 1] = id & 0xff;
    pos += 2;
  }
  if (version === 5) {
    if (plen === 0) buf[pos++] = 0;
    else pos = writeProperties(buf, pos, props, plen);
  }
  writeBytes(buf, pos, packet.payload);
  return buf;
}

/** The general PUBLISH encoder: any topic (non-ASCII, empty with a v5 Topic Alias). */
function encodePublishGeneral(packet: PublishPacket, version: ProtocolVersion): Buffer {
  const qos = packet.qos;
  const props = version === 5 ? packet.properties : undefined;
  const topic = packet.topic;
  const tlen = topicLength(topic, version, props?.topicAlias !== undefined);
  let remaining = 2 + tlen + packet.payload.length + (qos > 0 ? 2 : 0);
  let plen = 0;
  if (version === 5) {
    plen = propertiesLength(props, PacketType.PUBLISH);
    remaining += varintLength(plen) + plen;
  }
  const buf = allocBuffer(1 + varintLength(remaining) + remaining);
  buf[0] = 0x30 | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0);
  let pos = writeVarint(buf, 1, remaining);
  pos = writeUtf8(buf, pos, topic, tlen);
  return finishPublish(buf, pos, packet, version, props, plen);
}

/**
 * Offset of the 2-byte packet identifier inside an encoded QoS > 0 PUBLISH, so a cached encoding
 * can be copied and re-stamped per subscriber with {@link writePacketId}.
 */
export function publishPacketIdOffset(encoded: Buffer): number {
  const h = encoded[0];
  if (h === undefined || h >> 4 !== PacketType.PUBLISH || (h & 6) === 0) {
    throw malformed('INVALID_PACKET', 'not an encoded PUBLISH with QoS > 0');
  }
  let pos = 1;
  while (((encoded[pos] as number) & 0x80) !== 0) pos++;
  pos++;
  const tlen = ((encoded[pos] as number) << 8) | (encoded[pos + 1] as number);
  return pos + 2 + tlen;
}

/** Writes `packetId` (1..65535) big-endian at `offset` (from {@link publishPacketIdOffset}). */
export function writePacketId(encoded: Buffer, offset: number, packetId: number): void {
  encoded[offset] = packetId >>> 8;
  encoded[offset + 1] = packetId & 0xff;
}
