/**
 * `petrel/broker`: the embeddable MQTT broker.
 *
 * @packageDocumentation
 */

/** The admin HTTP listener (docs/admin.md); fastify and prom-client load only when it starts. */
export type { AdminOptions, AdminServer } from './admin/index.js';
export { startAdmin } from './admin/index.js';
export type {
  AuthHooks,
  AuthHooksOptions,
  ScramAuthOptions,
  ScramClient,
  ScramCredentials,
} from './auth/index.js';
/** Authentication and authorization building blocks (password file, ACL, SCRAM): docs/security.md. */
export {
  Acl,
  AclChecker,
  AuthFileError,
  createAuthHooks,
  createScramAuth,
  hashPassword,
  PasswordAuthenticator,
  SCRAM_SHA_256,
  scramClient,
  scramCredentials,
} from './auth/index.js';
export { Broker } from './broker/broker.js';
export { createBroker } from './broker/create.js';
export type {
  BrokerAddress,
  BrokerEvents,
  ClientConnectedEvent,
  ClientDisconnectedEvent,
  PublishEvent,
  ServerPublishOptions,
  SubscribeEvent,
  UnsubscribeEvent,
} from './broker/events.js';
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
export type { ServerSubscribeOptions } from './broker/server-ops.js';
export { LmdbStore, type LmdbStoreOptions } from './persistence/lmdb/index.js';
export { MemoryStore, type MemoryStoreOptions } from './persistence/memory.js';
export type { DurabilityMode, Store, StoreOptions } from './persistence/types.js';
export { StoreError } from './persistence/types.js';
