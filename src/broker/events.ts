import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { Properties } from '../codec/types.js';
import type { ListenerType } from './options.js';

/** Payload of the `clientConnected` event. */
export interface ClientConnectedEvent {
  /** The client id (the assigned one when the client sent none). */
  clientId: string;
  /** The user name it authenticated with (or its certificate identity); undefined if none. */
  username: string | undefined;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  protocolVersion: ProtocolVersion;
  /** Whether a stored session was resumed (the CONNACK Session Present flag). */
  sessionPresent: boolean;
}
/** Payload of the `clientDisconnected` event. */
export interface ClientDisconnectedEvent {
  /** The client id. */
  clientId: string;
  /** Why the connection ended, for logs (e.g. `connection lost`, `server shutting down`). */
  reason: string;
}
/** Payload of the `subscribe` event. */
export interface SubscribeEvent {
  /** The subscribing client. */
  clientId: string;
  /** Each filter of the SUBSCRIBE with its SUBACK code (granted QoS, or >= 0x80 refused). */
  subscriptions: Array<{ topicFilter: string; code: number }>;
}
/** Payload of the `unsubscribe` event. */
export interface UnsubscribeEvent {
  /** The unsubscribing client. */
  clientId: string;
  /** The filters of the UNSUBSCRIBE. */
  topicFilters: string[];
}
/** Payload of the `publish` event (emitted only while someone listens). */
export interface PublishEvent {
  /** The publishing client. */
  clientId: string;
  /** The topic name (topic aliases resolved). */
  topic: string;
  /** The payload: a view valid during the listener call; copy it to keep it. */
  payload: Buffer;
  /** QoS of the PUBLISH as received. */
  qos: QoS;
  /** The RETAIN flag as received. */
  retain: boolean;
}

/** The broker's typed events. */
export interface BrokerEvents {
  /** A client's CONNACK was sent with success. */
  clientConnected: [ClientConnectedEvent];
  /** A connected client's connection ended, for whatever reason. */
  clientDisconnected: [ClientDisconnectedEvent];
  /** A SUBSCRIBE was answered. */
  subscribe: [SubscribeEvent];
  /** An UNSUBSCRIBE was answered. */
  unsubscribe: [UnsubscribeEvent];
  /** A client's PUBLISH was accepted (emitted only while someone listens). */
  publish: [PublishEvent];
  /** `listen()` restored the store's state; no listener is bound yet. */
  restored: [];
  /** Every listener is bound; the addresses they got. */
  listening: [BrokerAddress[]];
  /** A broker-level failure (not one client's protocol error). */
  error: [Error];
}

/** A bound listener. */
export interface BrokerAddress {
  /** `tcp`, `tls`, `ws` or `wss`. */
  type: ListenerType;
  /** The interface it is bound to. */
  host: string;
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** The HTTP path of a WebSocket listener. */
  path?: string;
}

/** Options of {@link Broker.publish}. */
export interface ServerPublishOptions {
  /** Delivery QoS (default 0); each subscriber gets at most its granted QoS. */
  qos?: QoS;
  /** Store as the topic's retained message (default false). */
  retain?: boolean;
  /** v5 properties forwarded to v5 subscribers (ignored for 3.x ones). */
  properties?: Properties;
}
