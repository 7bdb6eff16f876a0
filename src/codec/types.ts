import type { PacketType, ProtocolVersion, QoS } from './constants.js';

/**
 * MQTT 5.0 properties (section 2.2.2.2). Byte-valued flags are kept as numbers so that an
 * out-of-range value on the wire can be reported rather than silently coerced.
 * `subscriptionIdentifiers` holds every Subscription Identifier of a PUBLISH; in SUBSCRIBE it
 * holds at most one.
 */
export interface Properties {
  payloadFormatIndicator?: number; // 0x01
  messageExpiryInterval?: number; // 0x02
  contentType?: string; // 0x03
  responseTopic?: string; // 0x08
  correlationData?: Buffer; // 0x09
  subscriptionIdentifiers?: number[]; // 0x0B
  sessionExpiryInterval?: number; // 0x11
  assignedClientIdentifier?: string; // 0x12
  serverKeepAlive?: number; // 0x13
  authenticationMethod?: string; // 0x15
  authenticationData?: Buffer; // 0x16
  requestProblemInformation?: number; // 0x17
  willDelayInterval?: number; // 0x18
  requestResponseInformation?: number; // 0x19
  responseInformation?: string; // 0x1A
  serverReference?: string; // 0x1C
  reasonString?: string; // 0x1F
  receiveMaximum?: number; // 0x21
  topicAliasMaximum?: number; // 0x22
  topicAlias?: number; // 0x23
  maximumQoS?: number; // 0x24
  retainAvailable?: number; // 0x25
  userProperties?: Array<[string, string]>; // 0x26, order kept, duplicates allowed
  maximumPacketSize?: number; // 0x27
  wildcardSubscriptionAvailable?: number; // 0x28
  subscriptionIdentifiersAvailable?: number; // 0x29
  sharedSubscriptionAvailable?: number; // 0x2A
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** v5 will properties (will delay, expiry, content type, …); undefined for v3. */
  properties: Properties | undefined;
}

export interface ConnectPacket {
  type: typeof PacketType.CONNECT;
  /** 'MQTT' for 3.1.1 and 5.0, 'MQIsdp' for 3.1. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.x) / Clean Start (5.0). */
  clean: boolean;
  keepAlive: number;
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  will: Will | undefined;
  properties: Properties | undefined;
  /**
   * Mosquitto's bridge marker (`try_private`): bit 0x80 of a 3.1/3.1.1 protocol level. Present
   * (true) only when set; the broker then sends the connection none of its own messages back.
   */
  bridge?: boolean;
}

export interface ConnackPacket {
  type: typeof PacketType.CONNACK;
  sessionPresent: boolean;
  /** v3 return code or v5 reason code. */
  reasonCode: number;
  properties: Properties | undefined;
}

export interface PublishPacket {
  type: typeof PacketType.PUBLISH;
  /** May be '' in v5 when a Topic Alias property carries the topic. */
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0. */
  packetId: number;
  properties: Properties | undefined;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface AckPacket {
  type:
    | typeof PacketType.PUBACK
    | typeof PacketType.PUBREC
    | typeof PacketType.PUBREL
    | typeof PacketType.PUBCOMP;
  packetId: number;
  /** Always 0 for v3. */
  reasonCode: number;
  properties: Properties | undefined;
}

export interface Subscription {
  topicFilter: string;
  qos: QoS;
  /** v5 subscription options; false/0 for v3. */
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: typeof PacketType.SUBSCRIBE;
  packetId: number;
  subscriptions: Subscription[];
  properties: Properties | undefined;
}

export interface SubackPacket {
  type: typeof PacketType.SUBACK;
  packetId: number;
  /** Granted QoS (0-2) or failure (0x80 in v3, v5 reason codes). */
  reasonCodes: number[];
  properties: Properties | undefined;
}

export interface UnsubscribePacket {
  type: typeof PacketType.UNSUBSCRIBE;
  packetId: number;
  topicFilters: string[];
  properties: Properties | undefined;
}

export interface UnsubackPacket {
  type: typeof PacketType.UNSUBACK;
  packetId: number;
  /** v5 reason codes, one per filter; empty for v3. */
  reasonCodes: number[];
  properties: Properties | undefined;
}

export interface PingreqPacket {
  type: typeof PacketType.PINGREQ;
}

export interface PingrespPacket {
  type: typeof PacketType.PINGRESP;
}

export interface DisconnectPacket {
  type: typeof PacketType.DISCONNECT;
  /** Always 0 for v3. */
  reasonCode: number;
  properties: Properties | undefined;
}

export interface AuthPacket {
  type: typeof PacketType.AUTH;
  reasonCode: number;
  properties: Properties | undefined;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;
