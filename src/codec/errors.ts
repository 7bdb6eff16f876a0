import { ReasonCode } from './reason-codes.js';

/**
 * Every protocol violation the codec (or the broker/client on top of it) detects.
 * `code` is a stable machine-readable string; `reasonCode` is the MQTT 5 reason code to send
 * (CONNACK or DISCONNECT) when one applies; `statement` names the spec conformance statement.
 */
export class MqttError extends Error {
  readonly code: string;
  readonly reasonCode: number;
  readonly statement: string | undefined;

  constructor(
    code: string,
    message: string,
    reasonCode: number = ReasonCode.MalformedPacket,
    statement?: string,
  ) {
    super(message);
    this.name = 'MqttError';
    this.code = code;
    this.reasonCode = reasonCode;
    this.statement = statement;
  }
}

/** Shorthand for a malformed-packet error (v5 reason 0x81). */
export function malformed(code: string, message: string, statement?: string): MqttError {
  return new MqttError(code, message, ReasonCode.MalformedPacket, statement);
}

/** Shorthand for a protocol-error (v5 reason 0x82). */
export function protocolError(code: string, message: string, statement?: string): MqttError {
  return new MqttError(code, message, ReasonCode.ProtocolError, statement);
}
