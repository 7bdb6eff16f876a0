import { PacketType } from './constants.js';

/** MQTT 5.0 property identifiers (section 2.2.2.2). */
export const PropertyId = {
  PayloadFormatIndicator: 0x01,
  MessageExpiryInterval: 0x02,
  ContentType: 0x03,
  ResponseTopic: 0x08,
  CorrelationData: 0x09,
  SubscriptionIdentifier: 0x0b,
  SessionExpiryInterval: 0x11,
  AssignedClientIdentifier: 0x12,
  ServerKeepAlive: 0x13,
  AuthenticationMethod: 0x15,
  AuthenticationData: 0x16,
  RequestProblemInformation: 0x17,
  WillDelayInterval: 0x18,
  RequestResponseInformation: 0x19,
  ResponseInformation: 0x1a,
  ServerReference: 0x1c,
  ReasonString: 0x1f,
  ReceiveMaximum: 0x21,
  TopicAliasMaximum: 0x22,
  TopicAlias: 0x23,
  MaximumQoS: 0x24,
  RetainAvailable: 0x25,
  UserProperty: 0x26,
  MaximumPacketSize: 0x27,
  WildcardSubscriptionAvailable: 0x28,
  SubscriptionIdentifierAvailable: 0x29,
  SharedSubscriptionAvailable: 0x2a,
} as const;
/** A property identifier value. */
export type PropertyId = (typeof PropertyId)[keyof typeof PropertyId];

/** Wire data types of property values (section 1.5). */
export const PropertyType = {
  Byte: 1,
  TwoByteInteger: 2,
  FourByteInteger: 3,
  VarInt: 4,
  Utf8String: 5,
  BinaryData: 6,
  Utf8StringPair: 7,
} as const;
/** A property data type value. */
export type PropertyType = (typeof PropertyType)[keyof typeof PropertyType];

/**
 * Pseudo packet type for Will Properties inside CONNECT. Packet type 0 is reserved on the wire,
 * so its bit in the "allowed in" mask is free to mean "Will Properties".
 */
export const WILL_PROPERTIES = 0;

/** Static description of one property. */
export interface PropertyInfo {
  readonly id: number;
  /** Key in the {@link Properties} object. */
  readonly name: string;
  readonly type: PropertyType;
  /** Bit set of packet types (1 << type; bit 0 = Will Properties) that may carry it. */
  readonly allowed: number;
  /** May appear more than once in one packet (User Property; Subscription Identifier in PUBLISH). */
  readonly repeatable: boolean;
}

const T = PacketType;
const b = (...types: number[]): number => types.reduce((m, t) => m | (1 << t), 0);
const ACKS = [T.PUBACK, T.PUBREC, T.PUBREL, T.PUBCOMP];

function info(
  id: number,
  name: string,
  type: PropertyType,
  allowed: number,
  repeatable = false,
): PropertyInfo {
  return { id, name, type, allowed, repeatable };
}

const P = PropertyType;
const W = WILL_PROPERTIES;

/** Every MQTT 5.0 property, in identifier order, with the packets it may appear in. */
export const PROPERTIES: readonly PropertyInfo[] = [
  info(0x01, 'payloadFormatIndicator', P.Byte, b(T.PUBLISH, W)),
  info(0x02, 'messageExpiryInterval', P.FourByteInteger, b(T.PUBLISH, W)),
  info(0x03, 'contentType', P.Utf8String, b(T.PUBLISH, W)),
  info(0x08, 'responseTopic', P.Utf8String, b(T.PUBLISH, W)),
  info(0x09, 'correlationData', P.BinaryData, b(T.PUBLISH, W)),
  info(0x0b, 'subscriptionIdentifiers', P.VarInt, b(T.PUBLISH, T.SUBSCRIBE), true),
  info(0x11, 'sessionExpiryInterval', P.FourByteInteger, b(T.CONNECT, T.CONNACK, T.DISCONNECT)),
  info(0x12, 'assignedClientIdentifier', P.Utf8String, b(T.CONNACK)),
  info(0x13, 'serverKeepAlive', P.TwoByteInteger, b(T.CONNACK)),
  info(0x15, 'authenticationMethod', P.Utf8String, b(T.CONNECT, T.CONNACK, T.AUTH)),
  info(0x16, 'authenticationData', P.BinaryData, b(T.CONNECT, T.CONNACK, T.AUTH)),
  info(0x17, 'requestProblemInformation', P.Byte, b(T.CONNECT)),
  info(0x18, 'willDelayInterval', P.FourByteInteger, b(W)),
  info(0x19, 'requestResponseInformation', P.Byte, b(T.CONNECT)),
  info(0x1a, 'responseInformation', P.Utf8String, b(T.CONNACK)),
  info(0x1c, 'serverReference', P.Utf8String, b(T.CONNACK, T.DISCONNECT)),
  info(
    0x1f,
    'reasonString',
    P.Utf8String,
    b(T.CONNACK, ...ACKS, T.SUBACK, T.UNSUBACK, T.DISCONNECT, T.AUTH),
  ),
  info(0x21, 'receiveMaximum', P.TwoByteInteger, b(T.CONNECT, T.CONNACK)),
  info(0x22, 'topicAliasMaximum', P.TwoByteInteger, b(T.CONNECT, T.CONNACK)),
  info(0x23, 'topicAlias', P.TwoByteInteger, b(T.PUBLISH)),
  info(0x24, 'maximumQoS', P.Byte, b(T.CONNACK)),
  info(0x25, 'retainAvailable', P.Byte, b(T.CONNACK)),
  info(
    0x26,
    'userProperties',
    P.Utf8StringPair,
    b(W, T.CONNECT, T.CONNACK, T.PUBLISH, ...ACKS, T.SUBSCRIBE, T.SUBACK, T.UNSUBSCRIBE) |
      b(T.UNSUBACK, T.DISCONNECT, T.AUTH),
    true,
  ),
  info(0x27, 'maximumPacketSize', P.FourByteInteger, b(T.CONNECT, T.CONNACK)),
  info(0x28, 'wildcardSubscriptionAvailable', P.Byte, b(T.CONNACK)),
  info(0x29, 'subscriptionIdentifiersAvailable', P.Byte, b(T.CONNACK)),
  info(0x2a, 'sharedSubscriptionAvailable', P.Byte, b(T.CONNACK)),
];

/** Property descriptions indexed by identifier (sparse; undefined = unknown identifier). */
export const PROPERTY_BY_ID: ReadonlyArray<PropertyInfo | undefined> = (() => {
  const a: Array<PropertyInfo | undefined> = new Array<PropertyInfo | undefined>(0x2b).fill(
    undefined,
  );
  for (const p of PROPERTIES) a[p.id] = p;
  return a;
})();

/** Property descriptions indexed by their key in the Properties object. */
export const PROPERTY_BY_NAME: ReadonlyMap<string, PropertyInfo> = new Map(
  PROPERTIES.map((p) => [p.name, p]),
);

/** Whether property `id` may appear in packet `type` (use {@link WILL_PROPERTIES} for wills). */
export function isPropertyAllowed(id: number, type: number): boolean {
  const p = PROPERTY_BY_ID[id];
  return p !== undefined && (p.allowed & (1 << type)) !== 0;
}
