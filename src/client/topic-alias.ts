import { MqttError } from '../codec/errors.js';

/**
 * v5 topic aliases of one connection, both directions. Outbound: the first PUBLISH to a topic
 * carries topic + new alias, later ones only the alias, up to the broker's Topic Alias Maximum.
 * Inbound: the broker's aliases are resolved within our announced maximum.
 */
export class TopicAliases {
  private inboundMax = 0;
  private outboundMax = 0;
  private readonly inMap = new Map<number, string>();
  private readonly outMap = new Map<string, number>();

  /** Starts a new connection: aliases never outlive one [MQTT-3.3.2-7]. */
  reset(inboundMax: number, outboundMax: number): void {
    this.inboundMax = inboundMax;
    this.outboundMax = outboundMax;
    this.inMap.clear();
    this.outMap.clear();
  }

  /**
   * The alias to send for `topic`, if any; `known` means the broker already has the mapping
   * and the topic can be sent empty.
   */
  outbound(topic: string): { alias: number; known: boolean } | undefined {
    const alias = this.outMap.get(topic);
    if (alias !== undefined) return { alias, known: true };
    if (this.outMap.size >= this.outboundMax) return undefined;
    const next = this.outMap.size + 1;
    this.outMap.set(topic, next);
    return { alias: next, known: false };
  }

  /** Resolves an inbound PUBLISH's topic; throws 0x94 on an alias outside our maximum. */
  inbound(topic: string, alias: number): string {
    // [MQTT-3.3.2-9] [MQTT-3.3.2-10] 0 and values above our Topic Alias Maximum are errors.
    if (alias === 0 || alias > this.inboundMax) {
      throw new MqttError('TOPIC_ALIAS_INVALID', `topic alias ${alias} out of range`, 0x94);
    }
    if (topic !== '') {
      this.inMap.set(alias, topic);
      return topic;
    }
    const known = this.inMap.get(alias);
    if (known === undefined) {
      throw new MqttError('TOPIC_ALIAS_INVALID', `unknown topic alias ${alias}`, 0x82);
    }
    return known;
  }
}
