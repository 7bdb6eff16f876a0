import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { Properties } from '../codec/types.js';
import type { BackoffOptions } from '../shared/backoff.js';
import { parseProxy } from './socks.js';
import type { AuthChallenge, AuthResponse, PublishProperties } from './types.js';

/** TLS settings for `mqtts://` and `wss://`. */
export interface TlsOptions {
  /** Trusted CA certificate(s), PEM. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate, PEM. */
  cert?: string | Buffer;
  /** Client private key, PEM. */
  key?: string | Buffer;
  /** Server name for SNI and certificate checks (default: the URL host). */
  servername?: string;
  /** Verify the broker's certificate (default true). */
  rejectUnauthorized?: boolean;
  /**
   * TLS-PSK (Node only, `mqtts://`): a pre-shared key instead of certificates, as mosquitto's
   * `psk_file` listeners expect. Negotiated over TLS 1.2 with the `PSK` cipher suites (or
   * `ciphers`); the broker's identity is the key itself, so no certificate is checked.
   */
  psk?: { identity: string; key: Uint8Array };
  /** OpenSSL cipher list (default Node's; `PSK` with {@link TlsOptions.psk}). */
  ciphers?: string;
}

/** Last Will and Testament. */
export interface WillOptions {
  topic: string;
  payload?: string | Buffer;
  qos?: QoS;
  retain?: boolean;
  /** v5 will properties (will delay interval, message expiry, content type, …). */
  properties?: PublishProperties & { willDelayInterval?: number };
}

/** v5 CONNECT properties the application may set. */
export interface ConnectProperties {
  sessionExpiryInterval?: number;
  /** How many QoS 1/2 messages the broker may send before we ack (default 65535). */
  receiveMaximum?: number;
  /** Largest packet we accept; larger ones make the client disconnect with 0x95. */
  maximumPacketSize?: number;
  /** How many topic aliases the broker may use towards us (default 0: none). */
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: Array<[string, string]>;
  authenticationMethod?: string;
  authenticationData?: Buffer;
}

/** Options of {@link connect} and the {@link MqttClient} constructor. */
export interface ClientOptions {
  /** Broker URL: `mqtt://`, `mqtts://`, `ws://`, `wss://` (default `mqtt://localhost:1883`). */
  url?: string;
  /** 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0 (default 5). */
  protocolVersion?: ProtocolVersion;
  /** When a v5 CONNECT is refused as unsupported, retry with 3.1.1 (default false). */
  protocolFallback?: boolean;
  /** Client identifier (default: random `petrel-xxxxxxxx`; '' lets a v5 broker assign one). */
  clientId?: string;
  /** Clean Session (3.x) / Clean Start (5.0), default true. */
  clean?: boolean;
  /** Keep-alive in seconds (default 60, 0 disables). */
  keepAlive?: number;
  username?: string;
  password?: string | Buffer;
  will?: WillOptions;
  /** v5 CONNECT properties. */
  properties?: ConnectProperties;
  /** Milliseconds to wait for CONNACK (default 10000). */
  connectTimeout?: number;
  /** Reconnect after a lost connection (default true); an object tunes the backoff. */
  reconnect?: boolean | BackoffOptions;
  /** Resubscribe after reconnecting when the broker has no session for us (default true). */
  resubscribe?: boolean;
  /**
   * Bounds of the queue while offline (defaults 1000 messages, 16 MiB): a publish that would
   * pass them rejects with QUEUE_FULL. Online, messages beyond the broker's Receive Maximum wait
   * in the same queue without these bounds (await the promises to pace a producer).
   */
  offlineQueue?: { maxMessages?: number; maxBytes?: number };
  /**
   * A publish waiting while the client is offline is rejected after this many milliseconds
   * offline (default 30000; 0 rejects at once when offline).
   */
  offlineTimeout?: number;
  /** Milliseconds `disconnect()` waits for in-flight messages (default 5000). */
  disconnectTimeout?: number;
  /** Assign v5 topic aliases to outgoing PUBLISH packets automatically (default true). */
  autoTopicAlias?: boolean;
  /** Messages buffered per `messages()` iterator before reading pauses (default 1000). */
  highWaterMark?: number;
  /** Topic prefix for `request()` responses (default `petrel/rr/<client id>/`). */
  responseTopicPrefix?: string;
  /** v5 enhanced authentication: answers each AUTH challenge from the broker. */
  onAuth?: (challenge: AuthChallenge) => AuthResponse | Promise<AuthResponse>;
  tls?: TlsOptions;
  /** WebSocket sub-protocol (default `mqtt`). */
  wsProtocol?: string;
  /** Extra HTTP headers of the WebSocket upgrade (Node only). */
  wsHeaders?: Record<string, string>;
  /** Local address to bind the socket to before connecting (Node only; mosquitto's `-A`). */
  localAddress?: string;
  /**
   * Path of a Unix domain socket to connect to instead of the URL's host and port (Node only;
   * `mqtt://` and `mqtts://`; mosquitto's `--unix`). The URL still chooses TLS or not.
   */
  socketPath?: string;
  /**
   * SOCKS5 proxy to reach the broker through (Node only; `mqtt://` and `mqtts://`; mosquitto's
   * `--proxy`): `socks5h://[user[:password]@]host[:port]` (port 1080 by default). The proxy
   * resolves the broker's host name; `socks5://` is accepted as a synonym.
   */
  proxy?: string;
  /**
   * QoS 1/2 messages this client keeps in flight at most (default 65535); the broker's Receive
   * Maximum lowers it further (mosquitto's `-M`).
   */
  maxInflight?: number;
}

/** Options after defaults are applied. */
export interface ResolvedOptions {
  url: URL;
  protocolVersion: ProtocolVersion;
  protocolFallback: boolean;
  clientId: string;
  clean: boolean;
  keepAlive: number;
  username: string | undefined;
  password: Buffer | undefined;
  will: WillOptions | undefined;
  properties: ConnectProperties;
  connectTimeout: number;
  reconnect: BackoffOptions | false;
  resubscribe: boolean;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  offlineTimeout: number;
  disconnectTimeout: number;
  autoTopicAlias: boolean;
  highWaterMark: number;
  responseTopicPrefix: string | undefined;
  onAuth: ClientOptions['onAuth'];
  tls: TlsOptions;
  wsProtocol: string;
  wsHeaders: Record<string, string> | undefined;
  localAddress: string | undefined;
  socketPath: string | undefined;
  proxy: URL | undefined;
  maxInflight: number;
}

const defaultPorts: Record<string, number> = {
  'mqtt:': 1883,
  'tcp:': 1883,
  'mqtts:': 8883,
  'ssl:': 8883,
  'tls:': 8883,
  'ws:': 80,
  'wss:': 443,
};

/** Scheme and port of a broker URL, with the defaults filled in. */
export function parseBrokerUrl(url: string): URL {
  const u = new URL(url);
  if (!(u.protocol in defaultPorts)) {
    throw new TypeError(`unsupported URL scheme '${u.protocol}' (mqtt, mqtts, ws, wss)`);
  }
  return u;
}

/** Default port of a URL scheme. */
export function defaultPort(protocol: string): number {
  return defaultPorts[protocol] ?? 1883;
}

function randomClientId(): string {
  return `petrel-${Math.random().toString(16).slice(2, 10)}`;
}

function toBuffer(v: string | Buffer | undefined): Buffer | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
}

/** Applies defaults; `url` argument wins over `options.url`; throws TypeError on bad values. */
export function resolveOptions(url: string | undefined, options: ClientOptions): ResolvedOptions {
  const u = parseBrokerUrl(url ?? options.url ?? 'mqtt://localhost:1883');
  const protocolVersion = options.protocolVersion ?? 5;
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw new TypeError(`unsupported protocol version ${String(protocolVersion)} (3, 4 or 5)`);
  }
  const keepAlive = options.keepAlive ?? 60;
  checkInt('keepAlive', keepAlive, 0, 65_535);
  const p = options.properties ?? {};
  if (p.receiveMaximum !== undefined) checkInt('receiveMaximum', p.receiveMaximum, 1, 65_535);
  if (p.topicAliasMaximum !== undefined) {
    checkInt('topicAliasMaximum', p.topicAliasMaximum, 0, 65_535);
  }
  if (p.maximumPacketSize !== undefined) {
    checkInt('maximumPacketSize', p.maximumPacketSize, 1, 268_435_460);
  }
  if (p.sessionExpiryInterval !== undefined) {
    checkInt('sessionExpiryInterval', p.sessionExpiryInterval, 0, 0xffffffff);
  }
  const maxInflight = options.maxInflight ?? 65_535;
  checkInt('maxInflight', maxInflight, 1, 65_535);
  if (options.socketPath !== undefined && (u.protocol === 'ws:' || u.protocol === 'wss:')) {
    throw new TypeError('socketPath needs an mqtt:// or mqtts:// URL');
  }
  const proxy = options.proxy === undefined ? undefined : parseProxy(options.proxy);
  if (proxy !== undefined && (u.protocol === 'ws:' || u.protocol === 'wss:')) {
    throw new TypeError('proxy needs an mqtt:// or mqtts:// URL');
  }
  if (proxy !== undefined && options.socketPath !== undefined) {
    throw new TypeError('proxy and socketPath cannot be used together');
  }
  const clean = options.clean ?? true;
  // An explicit '' is sent as is (v5 and 3.1.1 with clean start let the broker assign one).
  const clientId = options.clientId ?? randomClientId();
  const reconnect =
    options.reconnect === false
      ? false
      : options.reconnect === true
        ? {}
        : (options.reconnect ?? {});
  const username = options.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
  const password =
    toBuffer(options.password) ??
    (u.password ? Buffer.from(decodeURIComponent(u.password), 'utf8') : undefined);
  return {
    url: u,
    protocolVersion,
    protocolFallback: options.protocolFallback ?? false,
    clientId,
    clean,
    keepAlive,
    username,
    password,
    will: options.will,
    properties: { ...options.properties },
    connectTimeout: options.connectTimeout ?? 10_000,
    reconnect,
    resubscribe: options.resubscribe ?? true,
    maxQueuedMessages: options.offlineQueue?.maxMessages ?? 1000,
    maxQueuedBytes: options.offlineQueue?.maxBytes ?? 16 * 1024 * 1024,
    offlineTimeout: options.offlineTimeout ?? 30_000,
    disconnectTimeout: options.disconnectTimeout ?? 5000,
    autoTopicAlias: options.autoTopicAlias ?? true,
    highWaterMark: Math.max(1, options.highWaterMark ?? 1000),
    responseTopicPrefix: options.responseTopicPrefix,
    onAuth: options.onAuth,
    tls: { ...options.tls },
    wsProtocol: options.wsProtocol ?? 'mqtt',
    wsHeaders: options.wsHeaders,
    localAddress: options.localAddress,
    socketPath: options.socketPath,
    proxy,
    maxInflight,
  };
}

/** v5 CONNECT properties on the wire from the application's options. */
export function connectProperties(p: ConnectProperties): Properties {
  const out: Properties = {};
  if (p.sessionExpiryInterval !== undefined) out.sessionExpiryInterval = p.sessionExpiryInterval;
  if (p.receiveMaximum !== undefined) out.receiveMaximum = p.receiveMaximum;
  if (p.maximumPacketSize !== undefined) out.maximumPacketSize = p.maximumPacketSize;
  if (p.topicAliasMaximum !== undefined) out.topicAliasMaximum = p.topicAliasMaximum;
  if (p.requestResponseInformation !== undefined) {
    out.requestResponseInformation = p.requestResponseInformation ? 1 : 0;
  }
  if (p.requestProblemInformation !== undefined) {
    out.requestProblemInformation = p.requestProblemInformation ? 1 : 0;
  }
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  if (p.authenticationMethod !== undefined) out.authenticationMethod = p.authenticationMethod;
  if (p.authenticationData !== undefined) out.authenticationData = p.authenticationData;
  return out;
}
