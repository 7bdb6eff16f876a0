import { PacketType } from '../codec/constants.js';
import { MqttError } from '../codec/errors.js';
import type { AckPacket, Properties, PublishPacket } from '../codec/types.js';
import type { ClientCore, InboundPart } from './core.js';
import { copyProperties } from './properties.js';
import type { Message } from './types.js';

/**
 * Messages from the broker: topic aliases resolved, QoS 1 acknowledged, QoS 2 delivered exactly
 * once (ids awaiting PUBREL are remembered), then handed to listeners and message streams.
 */
export class Inbound implements InboundPart {
  /** QoS 2 packet ids delivered and awaiting PUBREL. */
  private readonly qos2 = new Set<number>();
  /** The Receive Maximum we announced. */
  private readonly receiveMaximum: number;

  constructor(private readonly ctx: ClientCore) {
    this.receiveMaximum = ctx.opts.properties.receiveMaximum ?? 65_535;
  }

  /** The broker kept no session: the ids awaiting PUBREL are gone with it. */
  clear(): void {
    this.qos2.clear();
  }

  /** A PUBLISH from the broker: resolve its alias, deliver it, acknowledge it. */
  onPublish(packet: PublishPacket): void {
    let topic = packet.topic;
    let properties = packet.properties;
    const alias = properties?.topicAlias;
    if (alias !== undefined) {
      topic = this.ctx.aliases.inbound(topic, alias);
      const { topicAlias: _, ...rest } = properties!;
      properties = rest;
    }
    const qos = packet.qos;
    // QoS 1 is acknowledged at once, so only QoS 2 awaiting PUBREL counts against the Receive
    // Maximum we announced; a broker that exceeds it breaks [MQTT-3.3.4-9].
    if (
      qos > 0 &&
      this.ctx.version === 5 &&
      this.qos2.size >= this.receiveMaximum &&
      !this.qos2.has(packet.packetId)
    ) {
      throw new MqttError(
        'RECEIVE_MAXIMUM_EXCEEDED',
        'the broker exceeded our Receive Maximum',
        0x93,
      );
    }
    if (qos === 2) {
      const id = packet.packetId;
      const seen = this.qos2.has(id);
      // Exactly once: a PUBLISH whose id still awaits PUBREL is a duplicate, acknowledge only.
      if (!seen) {
        this.qos2.add(id);
        this.deliver(topic, packet, properties);
      }
      this.ctx.send({
        type: PacketType.PUBREC,
        packetId: id,
        reasonCode: 0,
        properties: undefined,
      });
      return;
    }
    this.deliver(topic, packet, properties);
    if (qos === 1) {
      this.ctx.send({
        type: PacketType.PUBACK,
        packetId: packet.packetId,
        reasonCode: 0,
        properties: undefined,
      });
    }
  }

  /** PUBREL: the QoS 2 exchange ends with PUBCOMP; the id may be used again. */
  onPubrel(packet: AckPacket): void {
    this.qos2.delete(packet.packetId);
    this.ctx.send({
      type: PacketType.PUBCOMP,
      packetId: packet.packetId,
      reasonCode: 0,
      properties: undefined,
    });
  }

  private deliver(topic: string, packet: PublishPacket, properties: Properties | undefined): void {
    const msg: Message = {
      topic,
      // The codec hands out views into the read buffer; the application keeps its own copy.
      payload: Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      packetId: packet.qos > 0 ? packet.packetId : 0,
      properties: properties === undefined ? undefined : copyProperties(properties),
    };
    try {
      this.ctx.events.emit('message', msg);
    } catch (err) {
      // An application listener's bug must not be mistaken for a protocol error (which would
      // drop the connection): surface it as an uncaught exception, as Node's emitters do.
      queueMicrotask(() => {
        throw err;
      });
    }
    this.ctx.streams.push(msg);
  }
}
