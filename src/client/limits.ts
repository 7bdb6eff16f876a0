import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { encodePacket } from '../codec/encode.js';
import type { Properties, PublishPacket } from '../codec/types.js';
import { ClientError, ClientErrorCode, tooLarge } from './errors.js';
import { propertiesUpperBound } from './properties.js';

/** The limits a broker announces in CONNACK (the defaults apply without them). */
export class BrokerLimits {
  /** Receive Maximum: QoS 1/2 messages we may have in flight. */
  sendQuota = 65_535;
  maxPacketSize = Number.POSITIVE_INFINITY;
  maxQoS: QoS = 2;
  retain = true;

  /** Takes the limits of a CONNACK's properties; our own `maxInflight` caps the send quota. */
  update(props: Properties, maxInflight = 65_535): void {
    this.sendQuota = Math.min(props.receiveMaximum ?? 65_535, maxInflight);
    this.maxPacketSize = props.maximumPacketSize ?? Number.POSITIVE_INFINITY;
    this.maxQoS = (props.maximumQoS ?? 2) as QoS;
    this.retain = props.retainAvailable !== 0;
  }

  /** Why this broker would refuse `packet`, or undefined when it may be sent. */
  check(packet: PublishPacket, version: ProtocolVersion): Error | undefined {
    if (packet.qos > this.maxQoS) {
      return new ClientError(
        ClientErrorCode.NotSupported,
        `QoS ${packet.qos} exceeds the broker's Maximum QoS ${this.maxQoS}`,
        0x9b,
      );
    }
    if (packet.retain && !this.retain) {
      return new ClientError(
        ClientErrorCode.NotSupported,
        'the broker does not support retained messages',
        0x9a,
      );
    }
    // [MQTT-3.2.2-15] never send a packet larger than the broker's Maximum Packet Size.
    // Encoding to measure is only paid for packets that could come near the limit.
    const upperBound =
      16 +
      packet.payload.length +
      packet.topic.length * 3 +
      propertiesUpperBound(packet.properties);
    if (upperBound > this.maxPacketSize) {
      const size = encodePacket({ ...packet, packetId: packet.qos > 0 ? 1 : 0 }, version).length;
      if (size > this.maxPacketSize) return tooLarge(size, this.maxPacketSize);
    }
    return undefined;
  }
}
