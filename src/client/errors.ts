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
  4: 'disconnect with will message',
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'unsupported protocol version',
  133: 'client identifier not valid',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  139: 'server shutting down',
  140: 'bad authentication method',
  141: 'keep alive timeout',
  142: 'session taken over',
  143: 'topic filter invalid',
  144: 'topic name invalid',
  145: 'packet identifier in use',
  146: 'packet identifier not found',
  147: 'receive maximum exceeded',
  148: 'topic alias invalid',
  149: 'packet too large',
  150: 'message rate too high',
  151: 'quota exceeded',
  152: 'administrative action',
  153: 'payload format invalid',
  154: 'retain not supported',
  155: 'QoS not supported',
  156: 'use another server',
  157: 'server moved',
  158: 'shared subscriptions not supported',
  159: 'connection rate exceeded',
  160: 'maximum connect time',
  161: 'subscription identifiers not supported',
  162: 'wildcard subscriptions not supported',
  16: 'no matching subscribers',
  17: 'no subscription existed',
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

/** INVALID_ARGUMENT. */
export function invalid(message: string): ClientError {
  return new ClientError(ClientErrorCode.InvalidArgument, message);
}

/** CLIENT_CLOSED. */
export function closedError(): ClientError {
  return new ClientError(ClientErrorCode.ClientClosed, 'the client is closed');
}

/** OFFLINE_TIMEOUT after `limit` ms offline. */
export function offlineError(limit: number): ClientError {
  return new ClientError(
    ClientErrorCode.OfflineTimeout,
    `not connected to the broker for ${limit} ms; message not sent`,
  );
}

/** PACKET_TOO_LARGE (0x95). */
export function tooLarge(size: number, max: number): ClientError {
  return new ClientError(
    ClientErrorCode.PacketTooLarge,
    `packet of ${size} bytes exceeds the broker's Maximum Packet Size of ${max} bytes`,
    0x95,
  );
}

/** A protocol error (0x82) detected by the client. */
export function protocolError(message: string): MqttError {
  return new MqttError('PROTOCOL_ERROR', message, 0x82);
}
