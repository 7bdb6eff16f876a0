import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { Properties, Subscription } from '../codec/types.js';

/** A value or a promise of it: hooks may answer synchronously (fast path) or asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** What the hooks learn about a client. */
export interface ClientInfo {
  /** The client id (assigned by the broker when the client sent none). */
  readonly clientId: string;
  /** The user name of CONNECT, or the certificate identity with `useIdentityAsUsername`. */
  readonly username: string | undefined;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  readonly protocolVersion: ProtocolVersion;
  /** Peer IP address; undefined for custom transports that have none. */
  readonly remoteAddress: string | undefined;
}

/** Input of {@link BrokerHooks.authenticate}. */
export interface AuthenticateRequest extends ClientInfo {
  /** The password of CONNECT (binary in MQTT); undefined when absent. */
  readonly password: Buffer | undefined;
  /** v5 CONNECT properties (undefined for 3.x). */
  readonly properties: Properties | undefined;
}

/**
 * Result of {@link BrokerHooks.authenticate}: `true` accepts, `false` refuses with "bad user name
 * or password", an object refuses with a v5 reason code (mapped to the nearest 3.x return code)
 * and may redirect with a server reference (0x9C / 0x9D).
 */
export type AuthenticateResult =
  | boolean
  | { reasonCode: number; reasonString?: string; serverReference?: string };

/** Input of {@link BrokerHooks.enhancedAuth}: one step of a v5 AUTH exchange. */
export interface EnhancedAuthRequest extends ClientInfo {
  /** The Authentication Method of CONNECT, e.g. `SCRAM-SHA-256`. */
  readonly method: string;
  /** The Authentication Data of this step, if the client sent any. */
  readonly data: Buffer | undefined;
  /** 0 on CONNECT, then 1, 2, … for each AUTH the client sends. */
  readonly step: number;
  /** True when the client started re-authentication on a live connection (AUTH 0x19). */
  readonly reauthenticate: boolean;
}

/**
 * Result of an enhanced-authentication step: `success` ends it (CONNACK 0x00 or AUTH 0x00),
 * `continue` sends AUTH 0x18 with `data`, `fail` refuses with `reasonCode` (default 0x87).
 */
export type EnhancedAuthResult =
  | { outcome: 'success'; data?: Buffer }
  | { outcome: 'continue'; data?: Buffer }
  | { outcome: 'fail'; reasonCode?: number; reasonString?: string };

/** A message as seen by {@link BrokerHooks.authorizePublish}. */
export interface PublishInfo {
  /** The topic name (topic aliases resolved). */
  readonly topic: string;
  /** The payload: a view valid during the call (copied by the broker while a promise pends). */
  readonly payload: Buffer;
  /** QoS of the PUBLISH. */
  readonly qos: QoS;
  /** The RETAIN flag. */
  readonly retain: boolean;
}

/**
 * Pluggable policy. Every hook may return a value or a promise; the connection stops reading
 * only while a promise is pending. A hook that throws or rejects counts as a refusal.
 */
export interface BrokerHooks {
  /** Called for every CONNECT. Default: accept everyone. */
  authenticate?(request: AuthenticateRequest): MaybePromise<AuthenticateResult>;
  /**
   * v5 enhanced authentication (CONNECT with Authentication Method, then AUTH packets).
   * Without this hook such CONNECTs are refused with 0x8C (Bad authentication method).
   */
  enhancedAuth?(request: EnhancedAuthRequest): MaybePromise<EnhancedAuthResult>;
  /**
   * Called for every PUBLISH from a client. `true` allows; `false` refuses (v5: ack with 0x87;
   * 3.x: the message is acknowledged and discarded, as MQTT 3.1.1 allows); a number is a v5
   * reason code to refuse with.
   */
  authorizePublish?(client: ClientInfo, message: PublishInfo): MaybePromise<boolean | number>;
  /**
   * Called for each subscription of a SUBSCRIBE. `true` grants the requested QoS, `false`
   * refuses (0x87 / 0x80), a number 0-2 grants that QoS, a number >= 0x80 refuses with it.
   */
  authorizeSubscribe?(
    client: ClientInfo,
    subscription: Subscription,
  ): MaybePromise<boolean | number>;
  /**
   * Synchronous check before each delivery (retained messages included); `false` silently skips
   * that subscriber. Keep it cheap: it runs once per message per subscriber.
   */
  authorizeRead?(subscriber: SubscriberInfo, topic: string): boolean;
}

/** The subscriber as seen by {@link BrokerHooks.authorizeRead} (the session: stable across reconnects). */
export interface SubscriberInfo {
  /** The subscriber's client id. */
  readonly clientId: string;
  /** The user name it last connected with. */
  readonly username: string | undefined;
}

/** Whether a hook answer is a promise (thenable). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
