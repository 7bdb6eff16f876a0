import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { Properties } from '../codec/types.js';

/** A message delivered to the application. */
export interface Message {
  topic: string;
  /** A copy owned by the application. */
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** The PUBLISH packet's identifier (QoS 1 and 2); 0 at QoS 0. */
  packetId: number;
  /** v5 properties as received (topic alias already resolved and removed); undefined for v3. */
  properties: Properties | undefined;
}

/** What the broker said in CONNACK. */
export interface ConnackInfo {
  sessionPresent: boolean;
  /** v5 reason code or v3 return code (0 on success). */
  reasonCode: number;
  /** v5 CONNACK properties (empty object for v3). */
  properties: Properties;
  /** The protocol level actually used (after any fallback). */
  protocolVersion: ProtocolVersion;
  /** Client identifier in effect (assigned by the broker when the client sent an empty one). */
  clientId: string;
}

/** v5 properties a PUBLISH may carry. */
export interface PublishProperties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Array<[string, string]>;
  /** Normally assigned automatically; set explicitly only to manage aliases yourself. */
  topicAlias?: number;
}

/** Options of {@link MqttClient.publish}. */
export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** v5 only; ignored for 3.1/3.1.1. */
  properties?: PublishProperties;
}

/** Options of {@link MqttClient.subscribe}, applied to every filter of the call. */
export interface SubscribeOptions {
  qos?: QoS;
  /** v5: do not receive own publications. */
  noLocal?: boolean;
  /** v5: keep the retain flag as published. */
  retainAsPublished?: boolean;
  /** v5: 0 send retained on subscribe, 1 only for new subscriptions, 2 never. */
  retainHandling?: 0 | 1 | 2;
  /** v5 Subscription Identifier (1..268435455). */
  subscriptionIdentifier?: number;
  /** v5 user properties of the SUBSCRIBE packet. */
  userProperties?: Array<[string, string]>;
}

/** One filter's outcome in {@link SubscribeResult}. */
export interface GrantedSubscription {
  topicFilter: string;
  /** Granted QoS 0-2, or a failure code (0x80 for v3, the v5 reason code otherwise). */
  reasonCode: number;
  /** The granted QoS when `reasonCode < 0x80`, otherwise undefined. */
  qos: QoS | undefined;
}

/** Resolution value of {@link MqttClient.subscribe}. */
export interface SubscribeResult {
  granted: GrantedSubscription[];
  properties: Properties | undefined;
}

/** Resolution value of {@link MqttClient.unsubscribe}. */
export interface UnsubscribeResult {
  /** v5 reason codes per filter; for v3 (which has none) every entry is 0. */
  reasonCodes: number[];
  properties: Properties | undefined;
}

/** Resolution value of {@link MqttClient.publish}. */
export interface PublishResult {
  /** 0 for QoS 0; the packet identifier used otherwise. */
  packetId: number;
  /** Reason code of PUBACK/PUBCOMP (v5); 0 for v3 and QoS 0. */
  reasonCode: number;
  properties: Properties | undefined;
}

/** Options of {@link MqttClient.disconnect}. */
export interface DisconnectOptions {
  /** v5 reason code (default 0; 0x04 asks the broker to publish the will). */
  reasonCode?: number;
  /** v5 session expiry interval to set on disconnect. */
  sessionExpiryInterval?: number;
  reasonString?: string;
  userProperties?: Array<[string, string]>;
  /** How long to wait for in-flight messages before closing anyway (default: the client's). */
  timeout?: number;
}

/** Argument of the AUTH hook: what the broker sent. */
export interface AuthChallenge {
  /** 0x18 continue authentication (also reported for a CONNACK-less challenge). */
  reasonCode: number;
  authenticationMethod: string | undefined;
  authenticationData: Buffer | undefined;
  properties: Properties | undefined;
}

/** What the AUTH hook answers with. */
export interface AuthResponse {
  authenticationData?: Buffer;
  reasonString?: string;
  userProperties?: Array<[string, string]>;
}
