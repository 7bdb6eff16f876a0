/**
 * `petrel/broker`: the embeddable MQTT broker.
 *
 * @packageDocumentation
 */

export type {
  BrokerAddress,
  BrokerEvents,
  ClientConnectedEvent,
  ClientDisconnectedEvent,
  PublishEvent,
  ServerPublishOptions,
  SubscribeEvent,
  UnsubscribeEvent,
} from './broker/broker.js';
export { Broker, createBroker } from './broker/broker.js';
export type {
  AuthenticateRequest,
  AuthenticateResult,
  BrokerHooks,
  ClientInfo,
  EnhancedAuthRequest,
  EnhancedAuthResult,
  MaybePromise,
  PublishInfo,
  SubscriberInfo,
} from './broker/hooks.js';
export type { BrokerOptions, Durability, ListenerOptions } from './broker/options.js';
export { OPTION_SPECS, optionsJsonSchema, validateOptions } from './broker/options.js';
export { LmdbStore, type LmdbStoreOptions } from './persistence/lmdb/index.js';
export { MemoryStore, type MemoryStoreOptions } from './persistence/memory.js';
export type { DurabilityMode, Store, StoreOptions } from './persistence/types.js';
export { StoreError } from './persistence/types.js';
