// Public face of the client: `import { connect, MqttClient } from 'petrel'`.

export { MqttClient } from './client/client.js';
export { connect } from './client/connect.js';
export {
  ClientError,
  ClientErrorCode,
  ConnectionRefusedError,
  reasonText,
} from './client/errors.js';
export type { MessageStream } from './client/message-stream.js';
export type {
  ClientOptions,
  ConnectProperties,
  TlsOptions,
  WillOptions,
} from './client/options.js';
export type { RequestOptions } from './client/request.js';
export type { ClientEvents, ClientState } from './client/state.js';
export type {
  AuthChallenge,
  AuthResponse,
  ConnackInfo,
  DisconnectOptions,
  GrantedSubscription,
  Message,
  PublishOptions,
  PublishProperties,
  PublishResult,
  SubscribeOptions,
  SubscribeResult,
  UnsubscribeResult,
} from './client/types.js';
export type { QoS } from './codec/constants.js';
export { PacketType, ProtocolVersion } from './codec/constants.js';
export { MqttError } from './codec/errors.js';
export { ConnackReturnCode, ReasonCode } from './codec/reason-codes.js';
export type * from './codec/types.js';
export type { BackoffOptions } from './shared/backoff.js';
