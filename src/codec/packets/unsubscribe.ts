import { PacketType, type ProtocolVersion } from '../constants.js';
import { protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { validateTopicFilter } from '../topic.js';
import type { UnsubscribePacket } from '../types.js';
import { utf8Length, writeUtf8 } from '../utf8.js';
import { varintLength } from '../varint.js';
import { allocPacket, checkPacketId, readPacketId } from './common.js';

/** Decodes UNSUBSCRIBE: packet id, v5 properties, at least one valid filter. */
export function decodeUnsubscribe(r: Reader, version: ProtocolVersion): UnsubscribePacket {
  const packetId = readPacketId(r);
  const properties = version === 5 ? decodeProperties(r, PacketType.UNSUBSCRIBE) : undefined;
  const topicFilters: string[] = [];
  while (r.remaining > 0) {
    const f = r.utf8();
    validateTopicFilter(f);
    topicFilters.push(f);
  }
  if (topicFilters.length === 0) {
    throw protocolError('NO_TOPIC_FILTERS', 'UNSUBSCRIBE without a topic filter', 'MQTT-3.10.3-2');
  }
  return { type: PacketType.UNSUBSCRIBE, packetId, topicFilters, properties };
}

/** Encodes UNSUBSCRIBE. */
export function encodeUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion): Buffer {
  checkPacketId(p.packetId);
  if (p.topicFilters.length === 0) {
    throw protocolError('NO_TOPIC_FILTERS', 'UNSUBSCRIBE without a topic filter', 'MQTT-3.10.3-2');
  }
  let remaining = 2;
  let plen = 0;
  if (version === 5) {
    plen = propertiesLength(p.properties, PacketType.UNSUBSCRIBE);
    remaining += varintLength(plen) + plen;
  }
  const lens: number[] = [];
  for (const f of p.topicFilters) {
    validateTopicFilter(f);
    const l = utf8Length(f);
    lens.push(l);
    remaining += 2 + l;
  }
  const buf = allocPacket(0xa2, remaining);
  let pos = 1 + varintLength(remaining);
  buf[pos] = p.packetId >>> 8;
  buf[pos + 1] = p.packetId & 0xff;
  pos += 2;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, plen);
  for (let i = 0; i < p.topicFilters.length; i++) {
    pos = writeUtf8(buf, pos, p.topicFilters[i] as string, lens[i] as number);
  }
  return buf;
}
