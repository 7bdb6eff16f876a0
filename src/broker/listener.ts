import type { Server, Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Properties } from '../codec/types.js';
import type { TlsSettings } from '../transport/tls.js';
import type { WebSocketListener } from '../transport/websocket.js';
import type { ListenerOptions, ListenerType, ResolvedOptions } from './options.js';
import { TokenBucket } from './rate-limit.js';

/** A TCP connection of a listener that is not a broker connection yet. */
export interface Handshake {
  readonly raw: Socket;
  /** Clock ms of the TCP accept (the connect timeout counts from there). */
  readonly at: number;
  /** The client address of its PROXY protocol header; undefined: the socket's own. */
  address: string | undefined;
}

/**
 * Where Mosquitto's bridges publish their connection state (the default `notification_topic`):
 * the one part of `$SYS` a bridge connection (`try_private`) may publish to and set a will on.
 */
export const BRIDGE_STATE_TOPICS = '$SYS/broker/connection/';

/**
 * User property on every message that crossed a bridge (value: the bridge's name or client id).
 * A Petrel bridge never sends such a message out again, so brokers bridged to each other cannot
 * loop.
 */
export const BRIDGE_MARK = 'petrel-bridge';

/** `props` with the bridge mark added (a new object: the packet's own stays as it was). */
export function markBridged(props: Properties | undefined, name: string): Properties {
  return { ...props, userProperties: [...(props?.userProperties ?? []), [BRIDGE_MARK, name]] };
}

/** Client ids of the broker's own trusted sessions (bridges); clients may not use them. */
export const TRUSTED_ID_PREFIX = '$bridge/';

/** Whether a client id belongs to a trusted session (a bridge's), exempt from ACL checks. */
export function isTrustedId(clientId: string): boolean {
  return clientId.charCodeAt(0) === 36 && clientId.startsWith(TRUSTED_ID_PREFIX);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === 'localhost' ||
    h === '::1' ||
    h === '[::1]' ||
    h.startsWith('127.') ||
    h.startsWith('::ffff:127.')
  );
}

/**
 * One listener at run time: its resolved policy (each key falls back to the broker-wide option)
 * and its counters. Connections point at it, so per-listener limits cost a field read.
 */
export class ListenerState {
  readonly type: ListenerType | 'custom';
  readonly host: string;
  readonly path: string | undefined;
  /** Anonymous clients (and, without an authenticate hook, every client) are accepted. */
  readonly allowAnonymous: boolean;
  readonly useIdentityAsUsername: boolean;
  /** This listener's own connection limit; unset: the broker-wide one (live-reloadable). */
  readonly maxConnections: number | undefined;
  readonly maxPendingConnects: number;
  /** Connections open with a PROXY protocol header (read before anything else). */
  readonly proxyProtocol: boolean;
  /** CONNECT token bucket; undefined when the rate is unlimited. */
  readonly connectBucket: TokenBucket | undefined;
  /** TLS files and policy (`tls`, `wss`). */
  readonly tls: TlsSettings | undefined;
  /** Current TLS server options (replaced on a certificate reload). */
  tlsOptions: TlsOptions | undefined = undefined;
  /**
   * The broker's own in-process connections (bridges): no authentication, no ACL checks, and
   * client ids under `$bridge/`, which other clients may not take.
   */
  trusted = false;
  /** Open connections (MQTT sessions or not yet). */
  connections = 0;
  /** Authentications in progress (pending hook promises). */
  pending = 0;
  /** Connections closed for a missing, malformed or late PROXY protocol header. */
  proxyRefused = 0;
  /**
   * TCP sockets of this listener still in their TLS handshake, HTTP upgrade or PROXY protocol
   * header, by remote address and port: closed with the listener, which would otherwise wait
   * for them.
   */
  readonly handshakes = new Map<string, Handshake>();
  server: Server | undefined = undefined;
  ws: WebSocketListener | undefined = undefined;
  /** Stops the certificate file watchers. */
  unwatch: (() => void) | undefined = undefined;

  constructor(
    readonly spec: ListenerOptions | undefined,
    private readonly o: ResolvedOptions,
    now: number,
  ) {
    this.type = spec?.type ?? 'custom';
    this.host = spec?.host ?? o.host;
    this.path = spec === undefined ? undefined : (spec.path ?? o.wsPath);
    const anon = spec?.allowAnonymous ?? o.allowAnonymous;
    // Custom transports handed to accept() are the embedder's business: anonymous unless refused.
    this.allowAnonymous = anon ?? (spec === undefined || isLoopback(this.host));
    this.useIdentityAsUsername = spec?.useIdentityAsUsername ?? o.useIdentityAsUsername;
    this.maxConnections = spec?.maxConnections;
    this.maxPendingConnects = spec?.maxPendingConnects ?? o.maxPendingConnects;
    // Streams handed to accept() are not raw sockets: no header to read there.
    this.proxyProtocol = spec === undefined ? false : (spec.proxyProtocol ?? o.proxyProtocol);
    const rate = spec?.connectRate ?? o.connectRate;
    this.connectBucket =
      rate > 0
        ? new TokenBucket(rate, spec?.connectBurst ?? o.connectBurst ?? rate, now)
        : undefined;
    if (spec !== undefined && (spec.type === 'tls' || spec.type === 'wss')) {
      this.tls = {
        certFile: (spec.certFile ?? o.certFile) as string,
        keyFile: (spec.keyFile ?? o.keyFile) as string,
        caFile: spec.caFile ?? o.caFile,
        crlFile: spec.crlFile ?? o.crlFile,
        ciphers: spec.ciphers ?? o.ciphers,
        minVersion: spec.tlsMinVersion ?? o.tlsMinVersion,
        requireCertificate: spec.requireCertificate ?? o.requireCertificate,
        handshakeTimeoutMs: o.connectTimeoutMs,
      };
    } else this.tls = undefined;
  }

  /** Whether a new socket may be accepted. */
  get full(): boolean {
    return this.connections >= (this.maxConnections ?? this.o.maxConnections);
  }

  /** Applies new TLS options to the running server; live connections keep their session. */
  setSecureContext(options: TlsOptions): void {
    this.tlsOptions = options;
    const server = (this.server ?? this.ws?.http) as unknown as
      | { setSecureContext?: (o: TlsOptions) => void }
      | undefined;
    server?.setSecureContext?.(options);
  }
}

/** The TLS socket under a connection, if any (for the certificate identity). */
export type PeerSocket = TLSSocket | undefined;
