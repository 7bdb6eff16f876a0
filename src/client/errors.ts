import { MqttError } from '../codec/errors.js';

/**
 * Stable `code` strings of client errors. Protocol violations detected while decoding keep the
 * codec's own codes.
 */
export const ClientErrorCode = {
  /** The broker refused the connection (CONNACK with a non-zero code). */
  ConnectionRefused: 'CONNECTION_REFUSED',
  /** No CONNACK within `connectTimeout`. */
  ConnectTimeout: 'CONNECT_TIMEOUT',
  /** The transport failed or closed before CONNACK. */
  ConnectionFailed: 'CONNECTION_FAILED',
  /** The connection was lost (used when reconnecting is disabled). */
  ConnectionLost: 'CONNECTION_LOST',
  /** The broker sent DISCONNECT (v5, carries its reason code). */
  DisconnectedByBroker: 'DISCONNECTED_BY_BROKER',
  /** The client was closed with `disconnect()`/`end()` before the operation finished. */
  ClientClosed: 'CLIENT_CLOSED',
  /** The client stayed offline longer than `offlineTimeout` while the message waited. */
  OfflineTimeout: 'OFFLINE_TIMEOUT',
  /** The offline queue reached `offlineQueue.maxMessages` or `.maxBytes`. */
  QueueFull: 'QUEUE_FULL',
  /** PUBACK/PUBREC/PUBCOMP carried a failure reason code. */
  PublishFailed: 'PUBLISH_FAILED',
  /** The packet exceeds the broker's Maximum Packet Size. */
  PacketTooLarge: 'PACKET_TOO_LARGE',
  /** An argument was invalid (topic, QoS, option not available in this protocol version). */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** `request()` got no response in time. */
  RequestTimeout: 'REQUEST_TIMEOUT',
  /** The broker does not support what was asked (QoS above Maximum QoS, retain…). */
  NotSupported: 'NOT_SUPPORTED',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Every error the client rejects a promise with or emits. */
export class ClientError extends MqttError {
  constructor(code: ClientErrorCode, message: string, reasonCode = 0x80) {
    super(code, message, reasonCode);
    this.name = 'ClientError';
  }
}

const v3Refusals: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

const v5Reasons: Record<number, string> = {
  0x04: 'disconnect with will message',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8b: 'server shutting down',
  0x8c: 'bad authentication method',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x91: 'packet identifier in use',
  0x92: 'packet identifier not found',
  0x93: 'receive maximum exceeded',
  0x94: 'topic alias invalid',
  0x95: 'packet too large',
  0x96: 'message rate too high',
  0x97: 'quota exceeded',
  0x98: 'administrative action',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9e: 'shared subscriptions not supported',
  0x9f: 'connection rate exceeded',
  0xa0: 'maximum connect time',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
  0x10: 'no matching subscribers',
  0x11: 'no subscription existed',
};

/** Human-readable name of a v5 reason code (or a v3 CONNACK return code when `v3` is set). */
export function reasonText(code: number, v3 = false): string {
  const text = v3 ? v3Refusals[code] : v5Reasons[code];
  return text ?? `reason code 0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * The broker refused the connection. `reasonCode` is the code on the wire: a v3 return code
 * (1-5) or a v5 reason code (>= 0x80); `protocolVersion` tells them apart.
 */
export class ConnectionRefusedError extends ClientError {
  readonly protocolVersion: number;
  readonly reasonString: string | undefined;

  constructor(reasonCode: number, protocolVersion: number, reasonString?: string) {
    const text = reasonText(reasonCode, protocolVersion < 5);
    super(
      ClientErrorCode.ConnectionRefused,
      `connection refused: ${text}${reasonString ? ` (${reasonString})` : ''}`,
      reasonCode,
    );
    this.name = 'ConnectionRefusedError';
    this.protocolVersion = protocolVersion;
    this.reasonString = reasonString;
  }
}
