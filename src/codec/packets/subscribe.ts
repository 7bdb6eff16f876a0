import { PacketType, type ProtocolVersion, type QoS } from '../constants.js';
import { malformed, protocolError } from '../errors.js';
import { decodeProperties, propertiesLength, writeProperties } from '../property-codec.js';
import type { Reader } from '../reader.js';
import { isSharedSubscription, validateTopicFilter } from '../topic.js';
import type { SubscribePacket, Subscription } from '../types.js';
import { utf8Length, writeUtf8 } from '../utf8.js';
import { varintLength } from '../varint.js';
import { allocPacket, checkPacketId, readPacketId } from './common.js';

/**
 * Decodes SUBSCRIBE: every filter is validated and every options byte checked (reserved bits,
 * QoS, Retain Handling, No Local on a shared subscription).
 */
export function decodeSubscribe(r: Reader, version: ProtocolVersion): SubscribePacket {
  const packetId = readPacketId(r);
  const properties = version === 5 ? decodeProperties(r, PacketType.SUBSCRIBE) : undefined;
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) {
    const topicFilter = r.utf8();
    validateTopicFilter(topicFilter);
    const o = r.u8();
    const qos = o & 3;
    if (qos === 3) throw malformed('INVALID_QOS', 'subscription with QoS 3', 'MQTT-3.8.3-4');
    if (version === 5) {
      if ((o & 0xc0) !== 0) {
        throw malformed('RESERVED_FLAGS', 'subscription options reserved bits set', 'MQTT-3.8.3-5');
      }
      const retainHandling = (o >> 4) & 3;
      if (retainHandling === 3) {
        throw protocolError('INVALID_RETAIN_HANDLING', 'retain handling 3');
      }
      const noLocal = (o & 4) !== 0;
      if (noLocal && isSharedSubscription(topicFilter)) {
        throw protocolError(
          'NO_LOCAL_ON_SHARED',
          'No Local on a shared subscription',
          'MQTT-3.8.3-4',
        );
      }
      subscriptions.push({
        topicFilter,
        qos: qos as QoS,
        noLocal,
        retainAsPublished: (o & 8) !== 0,
        retainHandling: retainHandling as 0 | 1 | 2,
      });
    } else {
      if ((o & 0xfc) !== 0) {
        throw malformed('RESERVED_FLAGS', 'requested QoS reserved bits set', 'MQTT-3-8.3-4');
      }
      subscriptions.push({
        topicFilter,
        qos: qos as QoS,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      });
    }
  }
  if (subscriptions.length === 0) {
    throw protocolError('NO_SUBSCRIPTIONS', 'SUBSCRIBE without a topic filter', 'MQTT-3.8.3-2');
  }
  return { type: PacketType.SUBSCRIBE, packetId, subscriptions, properties };
}

/** Encodes SUBSCRIBE; subscription options other than QoS are v5 only. */
export function encodeSubscribe(p: SubscribePacket, version: ProtocolVersion): Buffer {
  checkPacketId(p.packetId);
  const subs = p.subscriptions;
  if (subs.length === 0) {
    throw protocolError('NO_SUBSCRIPTIONS', 'SUBSCRIBE without a topic filter', 'MQTT-3.8.3-2');
  }
  let remaining = 2;
  let plen = 0;
  if (version === 5) {
    plen = propertiesLength(p.properties, PacketType.SUBSCRIBE);
    remaining += varintLength(plen) + plen;
  }
  const lens: number[] = [];
  for (const s of subs) {
    validateTopicFilter(s.topicFilter);
    if (!(s.qos === 0 || s.qos === 1 || s.qos === 2)) {
      throw malformed('INVALID_QOS', `invalid QoS ${String(s.qos)}`);
    }
    if (!(s.retainHandling === 0 || s.retainHandling === 1 || s.retainHandling === 2)) {
      throw protocolError('INVALID_RETAIN_HANDLING', `retain handling ${String(s.retainHandling)}`);
    }
    const l = utf8Length(s.topicFilter);
    lens.push(l);
    remaining += 3 + l;
  }
  const buf = allocPacket(0x82, remaining);
  let pos = 1 + varintLength(remaining);
  buf[pos] = p.packetId >>> 8;
  buf[pos + 1] = p.packetId & 0xff;
  pos += 2;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, plen);
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i] as Subscription;
    pos = writeUtf8(buf, pos, s.topicFilter, lens[i] as number);
    let o: number = s.qos;
    if (version === 5) {
      o |= (s.noLocal ? 4 : 0) | (s.retainAsPublished ? 8 : 0) | (s.retainHandling << 4);
    }
    buf[pos++] = o;
  }
  return buf;
}
