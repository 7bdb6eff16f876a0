import { PacketType, type ProtocolVersion } from './constants.js';
import { malformed } from './errors.js';
import { encodeAck } from './packets/ack.js';
import { encodeAuth } from './packets/auth.js';
import { encodeConnack } from './packets/connack.js';
import { encodeConnect } from './packets/connect.js';
import { encodeDisconnect } from './packets/disconnect.js';
import { encodePingreq, encodePingresp } from './packets/ping.js';
import { encodePublish } from './packets/publish.js';
import { encodeSuback } from './packets/suback.js';
import { encodeSubscribe } from './packets/subscribe.js';
import { encodeUnsuback } from './packets/unsuback.js';
import { encodeUnsubscribe } from './packets/unsubscribe.js';
import type { Packet } from './types.js';

export { encodePublish, publishPacketIdOffset, writePacketId } from './packets/publish.js';
export { encodePublishHeader } from './publish-header.js';

/**
 * Encodes any packet into one exactly-sized Buffer. For version 3/4, properties and v5-only
 * fields are ignored; CONNECT uses its own `protocolVersion`. Throws MqttError for a packet that
 * must not be sent (bad packet id, QoS, topic, property not allowed in that packet, …).
 */
export function encodePacket(packet: Packet, version: ProtocolVersion): Buffer {
  switch (packet.type) {
    case PacketType.PUBLISH:
      return encodePublish(packet, version);
    case PacketType.CONNECT:
      return encodeConnect(packet);
    case PacketType.CONNACK:
      return encodeConnack(packet, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return encodeAck(packet, version);
    case PacketType.SUBSCRIBE:
      return encodeSubscribe(packet, version);
    case PacketType.SUBACK:
      return encodeSuback(packet, version);
    case PacketType.UNSUBSCRIBE:
      return encodeUnsubscribe(packet, version);
    case PacketType.UNSUBACK:
      return encodeUnsuback(packet, version);
    case PacketType.PINGREQ:
      return encodePingreq();
    case PacketType.PINGRESP:
      return encodePingresp();
    case PacketType.DISCONNECT:
      return encodeDisconnect(packet, version);
    case PacketType.AUTH:
      if (version !== 5) throw malformed('INVALID_PACKET_TYPE', 'AUTH exists only in MQTT 5.0');
      return encodeAuth(packet);
    default:
      throw malformed(
        'INVALID_PACKET_TYPE',
        `unknown packet type ${String((packet as { type: unknown }).type)}`,
      );
  }
}
