import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { validateTopicFilter } from '../codec/topic.js';
import type {
  Properties,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/types.js';
import { invalid } from './errors.js';
import type {
  GrantedSubscription,
  SubscribeOptions,
  SubscribeResult,
  UnsubscribeResult,
} from './types.js';

/**
 * Builds a SUBSCRIBE (packet id 0: assigned when sent); throws on an empty list, an invalid
 * filter (0x8F) or an invalid QoS. `options` apply to every filter; a record gives per-filter
 * options on top of them.
 */
export function buildSubscribe(
  filters: string | string[] | Record<string, SubscribeOptions>,
  options: SubscribeOptions,
  version: ProtocolVersion,
): SubscribePacket {
  let entries: Array<[string, SubscribeOptions]>;
  if (typeof filters === 'string') entries = [[filters, options]];
  else if (Array.isArray(filters)) entries = filters.map((f) => [f, options]);
  else entries = Object.entries(filters).map(([f, o]) => [f, { ...options, ...o }]);
  if (entries.length === 0) throw invalid('subscribe() needs at least one topic filter');
  const subscriptions: Subscription[] = [];
  for (const [filter, o] of entries) {
    validateTopicFilter(filter);
    const qos = o.qos ?? 0;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw invalid(`invalid QoS ${String(qos)}`);
    subscriptions.push({
      topicFilter: filter,
      qos,
      noLocal: o.noLocal ?? false,
      retainAsPublished: o.retainAsPublished ?? false,
      retainHandling: o.retainHandling ?? 0,
    });
  }
  let properties: Properties | undefined;
  if (version === 5) {
    properties = {};
    if (options.subscriptionIdentifier !== undefined) {
      properties.subscriptionIdentifiers = [options.subscriptionIdentifier];
    }
    if (options.userProperties !== undefined) properties.userProperties = options.userProperties;
  }
  return { type: PacketType.SUBSCRIBE, packetId: 0, subscriptions, properties };
}

/**
 * Builds an UNSUBSCRIBE (packet id 0: assigned when sent); throws on an empty list or an
 * invalid filter (0x8F).
 */
export function buildUnsubscribe(
  filters: string[],
  options: { userProperties?: Array<[string, string]> },
  version: ProtocolVersion,
): UnsubscribePacket {
  if (filters.length === 0) throw invalid('unsubscribe() needs at least one topic filter');
  for (const f of filters) validateTopicFilter(f);
  return {
    type: PacketType.UNSUBSCRIBE,
    packetId: 0,
    topicFilters: filters,
    properties:
      version === 5 && options.userProperties !== undefined
        ? { userProperties: options.userProperties }
        : version === 5
          ? {}
          : undefined,
  };
}

interface Stored {
  subscription: Subscription;
  properties: Properties | undefined;
}

/**
 * The subscriptions the broker granted, kept so they can be sent again when a reconnection
 * finds no session (session present 0).
 */
export class SubscriptionRegistry {
  private readonly map = new Map<string, Stored>();

  get size(): number {
    return this.map.size;
  }

  /** Records what SUBACK granted and returns the per-filter outcome. */
  subscribed(packet: SubscribePacket, suback: SubackPacket): SubscribeResult {
    const granted = packet.subscriptions.map((s, i): GrantedSubscription => {
      const code = suback.reasonCodes[i] ?? 0x80;
      if (code < 0x80)
        this.map.set(s.topicFilter, { subscription: s, properties: packet.properties });
      return {
        topicFilter: s.topicFilter,
        reasonCode: code,
        qos: code < 0x80 ? (code as QoS) : undefined,
      };
    });
    return { granted, properties: suback.properties };
  }

  /** Forgets `filters` after UNSUBACK and returns its reason codes (0 for v3, which has none). */
  unsubscribed(filters: readonly string[], unsuback: UnsubackPacket): UnsubscribeResult {
    for (const f of filters) this.map.delete(f);
    return {
      reasonCodes: filters.map((_, i) => unsuback.reasonCodes[i] ?? 0),
      properties: unsuback.properties,
    };
  }

  /** One SUBSCRIBE per stored filter, with the properties it was first made with. */
  resubscribePackets(): SubscribePacket[] {
    const out: SubscribePacket[] = [];
    for (const [, s] of this.map) {
      out.push({
        type: PacketType.SUBSCRIBE,
        packetId: 0,
        subscriptions: [s.subscription],
        properties: s.properties,
      });
    }
    return out;
  }
}
