import type { Logger } from 'pino';
import type { BridgeOptions } from '../bridge/options.js';

export type { BridgeOptions };

import type { Store } from '../persistence/types.js';
import type { BrokerHooks } from './hooks.js';

/** Kinds of listener: plain MQTT, MQTT over TLS, over WebSocket, over WebSocket over TLS. */
export type ListenerType = 'tcp' | 'tls' | 'ws' | 'wss';

/**
 * Per-listener security settings. Each falls back to the broker-level option of the same name
 * (see docs/config.md).
 */
export interface ListenerSecurityOptions {
  /** PEM certificate chain file (`tls`, `wss`). */
  certFile?: string;
  /** PEM private key file (`tls`, `wss`). */
  keyFile?: string;
  /** PEM CA bundle that client certificates must chain to. */
  caFile?: string;
  /**
   * PEM certificate revocation list(s) of the CAs in `caFile`: a client certificate they list is
   * refused (needs `caFile`). Reloaded with the certificate when the file changes.
   */
  crlFile?: string;
  /** Refuse TLS clients without a valid certificate (needs `caFile`). */
  requireCertificate?: boolean;
  /** Use the client certificate's CN (else first subjectAltName) as the user name. */
  useIdentityAsUsername?: boolean;
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always Node's defaults). */
  ciphers?: string;
  /** Lowest TLS version accepted (default `TLSv1.2`; TLS 1.3 is negotiated when both can). */
  tlsMinVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Anonymous clients: unset = allowed only when the listener binds a loopback address. */
  allowAnonymous?: boolean;
  /** Concurrent connections on this listener (default: the broker-wide `maxConnections`). */
  maxConnections?: number;
  /** CONNECTs per second accepted on this listener (token bucket; 0 = unlimited). */
  connectRate?: number;
  /** Token bucket size of `connectRate` (default: equal to the rate). */
  connectBurst?: number;
  /** CONNECTs being authenticated at once on this listener; more get 0x89 Server busy. */
  maxPendingConnects?: number;
  /**
   * Every connection must open with a PROXY protocol header (v1 or v2, as HAProxy, AWS NLB or
   * nginx send it); the client address it names replaces the socket's. The header is believed as
   * sent: only for listeners that nothing but a trusted load balancer can reach. `tcp`, `tls`,
   * `ws` and `wss` (the header comes before the TLS handshake or HTTP upgrade).
   */
  proxyProtocol?: boolean;
}

/** A listener the broker opens on {@link Broker.listen}. */
export interface ListenerOptions extends ListenerSecurityOptions {
  /** `tcp` (plain MQTT), `tls`, `ws` (MQTT over WebSocket) or `wss`. */
  type: ListenerType;
  /** Port; 0 picks a free one (see {@link Broker.addresses}). */
  port: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** WebSocket path; default `/mqtt`. */
  path?: string;
}

/** Store durability: see docs/config.md. */
export type Durability = 'sync' | 'batched' | 'none';

/** What a full subscriber queue does to a new QoS 1/2 message: see docs/config.md. */
export type Overflow = 'backpressure' | 'drop';

/**
 * Every broker option. All are optional; {@link resolveOptions} fills in the defaults listed in
 * docs/config.md. The plain-data ones can come from a JSON config file (`petrel broker -c`).
 */
export interface BrokerOptions extends ListenerSecurityOptions {
  /** TCP port of the default listener (default 1883). Ignored when `listeners` is given. */
  port?: number;
  /** Interface of the default listeners (default `127.0.0.1`). */
  host?: string;
  /** WebSocket port of an extra default listener; unset = no WebSocket listener. */
  wsPort?: number;
  /** WebSocket path (default `/mqtt`). */
  wsPath?: string;
  /** TLS port of an extra default listener (needs `certFile` and `keyFile`); unset = none. */
  tlsPort?: number;
  /** Port of an extra default WebSocket-over-TLS listener; unset = none. */
  wssPort?: number;
  /** Explicit listeners; replaces `port`/`wsPort`/`tlsPort`/`wssPort`. */
  listeners?: ListenerOptions[];
  /** Reload a TLS listener's certificate when its files change (default true). */
  watchCertificates?: boolean;
  /** PUBLISH packets per second a client may send (token bucket; 0 = unlimited, default). */
  maxPublishRate?: number;
  /** Token bucket size of `maxPublishRate` (default: equal to the rate). */
  maxPublishBurst?: number;
  /** Bytes per second a client may send (token bucket; 0 = unlimited, default). */
  maxByteRate?: number;
  /** Token bucket size of `maxByteRate` (default: equal to the rate). */
  maxByteBurst?: number;
  /** Store for sessions, queues and retained messages (default: in-memory). */
  store?: Store;
  /**
   * Durability of the default (in-memory) store: `sync` holds acks until the store commit,
   * `batched` commits every `batchIntervalMs`, `none` (default) keeps memory only. An injected
   * store brings its own mode.
   */
  durability?: Durability;
  /** Flush interval of `batched` durability in ms (default 10). */
  batchIntervalMs?: number;
  /** A pino logger; default silent. */
  logger?: Logger;
  /** Authentication and authorisation hooks. */
  hooks?: BrokerHooks;

  /** Largest packet accepted from a client, bytes (default 1 MiB). */
  maxPacketSize?: number;
  /** Largest CONNECT accepted before authentication, bytes (default 64 KiB). */
  maxConnectPacketSize?: number;
  /** Concurrent network connections (default 10000); more are closed on accept. */
  maxConnections?: number;
  /** Outbound QoS 1/2 messages unacknowledged per client (default 100). */
  maxInflight?: number;
  /** Inbound QoS 2 messages awaiting PUBREL per client; also the v5 Receive Maximum (default 100). */
  receiveMaximum?: number;
  /** Messages queued per session (default 1000). */
  maxQueuedMessages?: number;
  /** Bytes of payload queued per session (default 16 MiB). */
  maxQueuedBytes?: number;
  /**
   * Queue QoS 0 messages for offline persistent sessions too, in memory (default false, as
   * Mosquitto's `queue_qos0_messages`). They are never written to the store.
   */
  queueQos0Messages?: boolean;
  /**
   * A QoS 1/2 message for a connected subscriber whose queue is full: `backpressure` (default)
   * queues it anyway and stops reading from its publisher until the queue drains, so that an
   * acknowledged message is never dropped; `drop` drops it (counted), as before.
   */
  overflow?: Overflow;
  /** Topic levels in a topic name or filter (default 128). */
  maxTopicLevels?: number;
  /** Topic name / filter length in bytes (default 65535). */
  maxTopicLength?: number;
  /** Client identifier length (default 256). */
  maxClientIdLength?: number;
  /** Largest keep-alive granted, seconds (default 65535; v5 clients asking more get Server Keep Alive). */
  maxKeepAlive?: number;
  /** Largest session expiry granted, seconds (default 0xFFFFFFFF = never expires). */
  maxSessionExpiryInterval?: number;
  /** Time allowed between accept and CONNECT, ms (default 10000). */
  connectTimeoutMs?: number;
  /** Topic aliases a v5 client may use towards the broker (default 32; 0 disables). */
  topicAliasMaximum?: number;
  /** Whether the broker assigns v5 topic aliases to its own PUBLISHes (default true). */
  outboundTopicAliases?: boolean;
  /** A subscriber whose queue stays full this long is disconnected, ms (default 30000). */
  slowConsumerTimeoutMs?: number;
  /** Whether an empty client id is accepted (with clean start) and assigned one (default true). */
  allowEmptyClientId?: boolean;
  /** Retained messages supported (default true). */
  retainAvailable?: boolean;
  /** Highest QoS supported (default 2). */
  maximumQoS?: 0 | 1 | 2;
  /** Wildcard subscriptions supported (default true). */
  wildcardSubscriptionAvailable?: boolean;
  /** Subscription identifiers supported (default true). */
  subscriptionIdentifiersAvailable?: boolean;
  /** Shared subscriptions supported (default true). */
  sharedSubscriptionAvailable?: boolean;
  /** Interval of `$SYS/broker/...` updates in seconds (default 10; 0 disables). */
  sysInterval?: number;
  /** Redirects every v5 client to this server reference (CONNACK 0x9C or 0x9D). */
  serverReference?: string;
  /** With `serverReference`: the move is permanent (0x9D Server moved) rather than 0x9C. */
  serverMoved?: boolean;
  /**
   * v5 Response Information: a v5 client whose CONNECT sets Request Response Information to 1
   * gets this prefix followed by its client id in CONNACK (e.g. `response/` gives
   * `response/<clientId>`), the base for the Response Topics it uses. Unset (default): never sent.
   */
  responseInformation?: string;
  /** Shutdown grace for `close()`, ms (default 2000). */
  closeTimeoutMs?: number;
  /**
   * Bridges to other brokers (docs/bridges.md). Checked in full, and their code loaded, only
   * when the list is not empty; changed on a reload through {@link Broker.updateBridges}.
   */
  bridges?: BridgeOptions[];
}

/** Options whose default is "unset". */
type Unsettable =
  | 'wsPort'
  | 'tlsPort'
  | 'wssPort'
  | 'serverReference'
  | 'responseInformation'
  | 'certFile'
  | 'keyFile'
  | 'caFile'
  | 'crlFile'
  | 'ciphers'
  | 'allowAnonymous'
  | 'connectBurst'
  | 'maxPublishBurst'
  | 'maxByteBurst';

/** Options after defaults are applied. */
export type ResolvedOptions = Required<
  Omit<BrokerOptions, 'store' | 'logger' | 'hooks' | 'listeners' | Unsettable>
> & {
  store: Store | undefined;
  logger: Logger | undefined;
  hooks: BrokerHooks;
  listeners: ListenerOptions[];
} & { [K in Unsettable]: BrokerOptions[K] | undefined };

interface NumberSpec {
  kind: 'int';
  min: number;
  max: number;
  def: number | undefined;
  doc: string;
}
interface BoolSpec {
  kind: 'bool';
  def: boolean | undefined;
  doc: string;
}
interface StringSpec {
  kind: 'string';
  def: string | undefined;
  values?: readonly string[];
  doc: string;
}
interface ListenersSpec {
  kind: 'listeners';
  def: undefined;
  doc: string;
}
interface BridgesSpec {
  kind: 'bridges';
  def: BridgeOptions[];
  doc: string;
}
type OptionSpec = NumberSpec | BoolSpec | StringSpec | ListenersSpec | BridgesSpec;

const U32 = 0xffffffff;
const int = (min: number, max: number, def: number | undefined, doc: string): NumberSpec => ({
  kind: 'int',
  min,
  max,
  def,
  doc,
});
const bool = (def: boolean, doc: string): BoolSpec => ({ kind: 'bool', def, doc });
const str = (def: string | undefined, doc: string, values?: readonly string[]): StringSpec =>
  values === undefined ? { kind: 'string', def, doc } : { kind: 'string', def, doc, values };

/**
 * The data options: type, range and default of each. Drives defaults, config-file validation and
 * the table in docs/config.md.
 */
export const OPTION_SPECS: Readonly<Record<string, OptionSpec>> = {
  port: int(0, 65535, 1883, 'TCP listener port'),
  host: str('127.0.0.1', 'interface of the default listeners'),
  wsPort: int(0, 65535, undefined, 'WebSocket listener port (unset: none)'),
  wsPath: str('/mqtt', 'WebSocket path'),
  tlsPort: int(0, 65535, undefined, 'TLS listener port (unset: none)'),
  wssPort: int(0, 65535, undefined, 'WebSocket-over-TLS listener port (unset: none)'),
  listeners: { kind: 'listeners', def: undefined, doc: 'explicit listeners' },
  certFile: str(undefined, 'PEM certificate chain of TLS listeners'),
  keyFile: str(undefined, 'PEM private key of TLS listeners'),
  caFile: str(undefined, 'PEM CA bundle for client certificates'),
  crlFile: str(undefined, 'PEM revocation list(s) for client certificates (needs caFile)'),
  requireCertificate: bool(false, 'refuse TLS clients without a valid certificate'),
  useIdentityAsUsername: bool(false, 'client certificate CN/SAN is the user name'),
  ciphers: str(undefined, 'OpenSSL cipher list (TLS 1.2)'),
  tlsMinVersion: str('TLSv1.2', 'lowest TLS version accepted', ['TLSv1.2', 'TLSv1.3']),
  watchCertificates: bool(true, 'reload certificates when their files change'),
  allowAnonymous: {
    kind: 'bool',
    def: undefined,
    doc: 'accept clients without a user name (unset: on loopback listeners only)',
  },
  connectRate: int(0, 1_000_000, 0, 'CONNECTs per second per listener (0: unlimited)'),
  connectBurst: int(1, 1_000_000, undefined, 'connect-rate bucket size (unset: the rate)'),
  maxPendingConnects: int(1, 1_000_000, 1000, 'CONNECTs being authenticated per listener'),
  proxyProtocol: bool(false, 'connections open with a PROXY protocol header (trusted balancer)'),
  maxPublishRate: int(0, 100_000_000, 0, 'PUBLISHes per second per client (0: unlimited)'),
  maxPublishBurst: int(1, 100_000_000, undefined, 'publish-rate bucket size (unset: the rate)'),
  maxByteRate: int(0, Number.MAX_SAFE_INTEGER, 0, 'bytes per second per client (0: unlimited)'),
  maxByteBurst: int(1, Number.MAX_SAFE_INTEGER, undefined, 'byte-rate bucket (unset: the rate)'),
  durability: str('none', 'durability of the default in-memory store', ['sync', 'batched', 'none']),
  batchIntervalMs: int(0, 60_000, 10, 'batched flush interval, ms'),
  maxPacketSize: int(64, 268_435_460, 1_048_576, 'largest inbound packet, bytes'),
  maxConnectPacketSize: int(64, 268_435_460, 65_536, 'largest CONNECT before authentication'),
  maxConnections: int(1, 10_000_000, 10_000, 'concurrent connections'),
  maxInflight: int(1, 65535, 100, 'outbound unacknowledged QoS>0 messages per client'),
  receiveMaximum: int(1, 65535, 100, 'inbound QoS 2 awaiting PUBREL per client'),
  maxQueuedMessages: int(0, 100_000_000, 1000, 'queued messages per session'),
  maxQueuedBytes: int(0, Number.MAX_SAFE_INTEGER, 16_777_216, 'queued payload bytes per session'),
  queueQos0Messages: bool(false, 'queue QoS 0 messages for offline persistent sessions (memory)'),
  overflow: str('backpressure', 'full subscriber queue: slow the publisher, or drop', [
    'backpressure',
    'drop',
  ]),
  maxTopicLevels: int(1, 65535, 128, 'topic levels'),
  maxTopicLength: int(1, 65535, 65535, 'topic length, bytes'),
  maxClientIdLength: int(23, 65535, 256, 'client identifier length'),
  maxKeepAlive: int(0, 65535, 65535, 'largest keep-alive granted, s'),
  maxSessionExpiryInterval: int(0, U32, U32, 'largest session expiry granted, s'),
  connectTimeoutMs: int(100, 3_600_000, 10_000, 'time to send CONNECT, ms'),
  topicAliasMaximum: int(0, 65535, 32, 'inbound topic aliases per v5 client'),
  outboundTopicAliases: bool(true, 'assign topic aliases on outbound PUBLISH'),
  slowConsumerTimeoutMs: int(100, 3_600_000, 30_000, 'full-queue time before disconnect, ms'),
  allowEmptyClientId: bool(true, 'assign ids to clients that send an empty one'),
  retainAvailable: bool(true, 'retained messages supported'),
  maximumQoS: int(0, 2, 2, 'highest QoS supported'),
  wildcardSubscriptionAvailable: bool(true, 'wildcard subscriptions supported'),
  subscriptionIdentifiersAvailable: bool(true, 'subscription identifiers supported'),
  sharedSubscriptionAvailable: bool(true, 'shared subscriptions supported'),
  sysInterval: int(0, 86_400, 10, '$SYS update interval, s (0: off)'),
  serverReference: str(undefined, 'redirect v5 clients to this server'),
  serverMoved: bool(false, 'redirect is permanent (0x9D)'),
  responseInformation: str(undefined, 'v5 Response Information prefix (+ client id); unset: none'),
  closeTimeoutMs: int(0, 600_000, 2000, 'shutdown grace, ms'),
  bridges: { kind: 'bridges', def: [], doc: 'bridges to other brokers (docs/bridges.md)' },
};

/**
 * Options a running broker can take over from a reloaded configuration ({@link
 * Broker.updateOptions}): each is read when it is used, so new values apply from the next
 * connection, packet or queue decision. The others (listeners, TLS, announced protocol
 * maxima…) need a restart.
 */
export const LIVE_OPTIONS: ReadonlySet<string> = new Set([
  'maxConnectPacketSize',
  'maxConnections',
  'maxInflight',
  'maxQueuedMessages',
  'maxQueuedBytes',
  'queueQos0Messages',
  'overflow',
  'maxTopicLevels',
  'maxTopicLength',
  'maxClientIdLength',
  'maxKeepAlive',
  'maxSessionExpiryInterval',
  'connectTimeoutMs',
  'slowConsumerTimeoutMs',
  'allowEmptyClientId',
  'maxPublishRate',
  'maxPublishBurst',
  'maxByteRate',
  'maxByteBurst',
  'serverReference',
  'serverMoved',
  'responseInformation',
  'closeTimeoutMs',
  'bridges',
]);

/** Keys accepted from code but not from a config file. */
const CODE_ONLY = new Set(['store', 'logger', 'hooks']);

/**
 * Checks plain-data options (as read from a config file). Returns one message per problem,
 * each naming the key, e.g. `maxInflight: must be an integer between 1 and 65535`.
 */
export function validateOptions(input: unknown, fromFile = false): string[] {
  const errors: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return ['config: must be a JSON object'];
  }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (key === '$schema') continue;
    if (CODE_ONLY.has(key)) {
      if (fromFile) errors.push(`${key}: can only be set from code, not from a config file`);
      continue;
    }
    const spec = OPTION_SPECS[key];
    if (spec === undefined) {
      errors.push(`${key}: unknown option`);
      continue;
    }
    if (value === undefined) continue;
    const problem = checkValue(spec, value);
    if (problem !== undefined) errors.push(`${key}: ${problem}`);
  }
  return errors;
}

function checkValue(spec: OptionSpec, value: unknown): string | undefined {
  switch (spec.kind) {
    case 'int':
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < spec.min ||
        value > spec.max
      ) {
        return `must be an integer between ${spec.min} and ${spec.max}`;
      }
      return undefined;
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (spec.values !== undefined && !spec.values.includes(value)) {
        return `must be one of ${spec.values.join(', ')}`;
      }
      return undefined;
    case 'listeners':
      return checkListeners(value);
    case 'bridges':
      // Each bridge is checked by the bridge code, loaded only when there are bridges.
      return Array.isArray(value) && value.every((b) => typeof b === 'object' && b !== null)
        ? undefined
        : 'must be an array of bridge objects';
  }
}

/** Keys a listener object may carry besides type, port, host and path. */
export const LISTENER_KEYS: readonly (keyof ListenerSecurityOptions)[] = [
  'certFile',
  'keyFile',
  'caFile',
  'crlFile',
  'requireCertificate',
  'useIdentityAsUsername',
  'ciphers',
  'tlsMinVersion',
  'allowAnonymous',
  'maxConnections',
  'connectRate',
  'connectBurst',
  'maxPendingConnects',
  'proxyProtocol',
];
const LISTENER_TYPES = ['tcp', 'tls', 'ws', 'wss'];

function checkListeners(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be an array of {type, port, host?, path?, ...}';
  for (let i = 0; i < value.length; i++) {
    const l = value[i] as Record<string, unknown> | null;
    if (typeof l !== 'object' || l === null) return `[${i}] must be an object`;
    if (typeof l.type !== 'string' || !LISTENER_TYPES.includes(l.type)) {
      return `[${i}].type must be one of ${LISTENER_TYPES.join(', ')}`;
    }
    const p = l.port;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) {
      return `[${i}].port must be an integer between 0 and 65535`;
    }
    if (l.host !== undefined && typeof l.host !== 'string') return `[${i}].host must be a string`;
    if (l.path !== undefined && typeof l.path !== 'string') return `[${i}].path must be a string`;
    for (const [key, v] of Object.entries(l)) {
      if (key === 'type' || key === 'port' || key === 'host' || key === 'path') continue;
      const spec = (LISTENER_KEYS as readonly string[]).includes(key)
        ? OPTION_SPECS[key]
        : undefined;
      if (spec === undefined) return `[${i}].${key}: unknown listener option`;
      if (v === undefined) continue;
      const problem = checkValue(spec, v);
      if (problem !== undefined) return `[${i}].${key} ${problem}`;
    }
  }
  return undefined;
}

/** Applies defaults; throws a TypeError naming the first invalid key. */
export function resolveOptions(options: BrokerOptions = {}): ResolvedOptions {
  const errors = validateOptions(options);
  if (errors.length > 0) throw new TypeError(`invalid broker option ${errors[0]}`);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(OPTION_SPECS)) {
    const v = (options as Record<string, unknown>)[key];
    out[key] = v === undefined ? spec.def : v;
  }
  const host = out.host as string;
  if (options.listeners === undefined) {
    const listeners: ListenerOptions[] = [{ type: 'tcp', port: out.port as number, host }];
    if (options.wsPort !== undefined) {
      listeners.push({ type: 'ws', port: options.wsPort, host, path: out.wsPath as string });
    }
    if (options.tlsPort !== undefined) {
      listeners.push({ type: 'tls', port: options.tlsPort, host });
    }
    if (options.wssPort !== undefined) {
      listeners.push({ type: 'wss', port: options.wssPort, host, path: out.wsPath as string });
    }
    out.listeners = listeners;
  }
  const listeners = out.listeners as ListenerOptions[];
  for (let i = 0; i < listeners.length; i++) {
    const l = listeners[i] as ListenerOptions;
    if (l.type !== 'tls' && l.type !== 'wss') continue;
    if (
      (l.certFile ?? options.certFile) === undefined ||
      (l.keyFile ?? options.keyFile) === undefined
    ) {
      throw new TypeError(
        `invalid broker option listeners[${i}]: ${l.type} needs certFile and keyFile`,
      );
    }
    // A revocation list without the CA bundle would never be consulted: say so at start.
    if (
      (l.crlFile ?? options.crlFile) !== undefined &&
      (l.caFile ?? options.caFile) === undefined
    ) {
      throw new TypeError(`invalid broker option listeners[${i}]: crlFile needs caFile`);
    }
  }
  out.store = options.store;
  out.logger = options.logger;
  out.hooks = options.hooks ?? {};
  return out as unknown as ResolvedOptions;
}

/**
 * A JSON Schema (draft 2020-12) of the config file, derived from {@link OPTION_SPECS}, plus the
 * command-line-only keys (`passwordFile`, `aclFile`, `logLevel`).
 */
export function optionsJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = { $schema: { type: 'string' } };
  for (const [key, spec] of Object.entries(OPTION_SPECS)) {
    switch (spec.kind) {
      case 'int':
        properties[key] = {
          type: 'integer',
          minimum: spec.min,
          maximum: spec.max,
          description: spec.doc,
          ...(spec.def === undefined ? {} : { default: spec.def }),
        };
        break;
      case 'bool':
        properties[key] = {
          type: 'boolean',
          description: spec.doc,
          ...(spec.def === undefined ? {} : { default: spec.def }),
        };
        break;
      case 'string':
        properties[key] = {
          type: 'string',
          description: spec.doc,
          ...(spec.values === undefined ? {} : { enum: spec.values }),
          ...(spec.def === undefined ? {} : { default: spec.def }),
        };
        break;
      case 'bridges':
        properties[key] = {
          type: 'array',
          description: spec.doc,
          items: { type: 'object', required: ['name', 'addresses', 'topics'] },
        };
        break;
      case 'listeners':
        properties[key] = {
          type: 'array',
          description: spec.doc,
          items: {
            type: 'object',
            required: ['type', 'port'],
            additionalProperties: false,
            properties: {
              type: { enum: LISTENER_TYPES },
              port: { type: 'integer', minimum: 0, maximum: 65535 },
              host: { type: 'string' },
              path: { type: 'string' },
            },
          },
        };
        break;
    }
  }
  // Listener objects accept the per-listener keys with the same types as the broker-wide ones.
  const items = (properties.listeners as { items: { properties: Record<string, unknown> } }).items;
  for (const key of LISTENER_KEYS) items.properties[key] = properties[key];
  properties.passwordFile = { type: 'string', description: 'password file (Mosquitto format)' };
  properties.aclFile = { type: 'string', description: 'ACL file (Mosquitto format)' };
  properties.dynamicSecurity = {
    type: 'boolean',
    default: false,
    description: 'runtime users, roles and ACL rules in the store (docs/admin.md)',
  };
  properties.logLevel = {
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'petrel broker configuration',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}
