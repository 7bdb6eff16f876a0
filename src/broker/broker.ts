import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { ReasonCode } from '../codec/reason-codes.js';
import type { Properties } from '../codec/types.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { MemoryStore } from '../persistence/memory.js';
import type { StoredSubscription } from '../persistence/types.js';
import { Clock } from '../shared/clock.js';
import { TimingWheel } from '../shared/timing-wheel.js';
import type { ProxyHeader } from '../transport/proxy-protocol.js';
import type { PreAccept } from '../transport/tcp.js';
import { listenTcp, readProxyHeader } from '../transport/tcp.js';
import { listenTls, loadTlsOptions, watchFiles } from '../transport/tls.js';
import { listenWebSocket } from '../transport/websocket.js';
import { Connection, ConnState, ConnTimer, UNREAD } from './connection.js';
import { pump } from './delivery.js';
import { dispatchFrame, fail, rejectWith } from './dispatch.js';
import type { BrokerHooks } from './hooks.js';
import type { Handshake } from './listener.js';
import { isLoopback, ListenerState } from './listener.js';
import { Message } from './message.js';
import type { BrokerOptions, ListenerType, ResolvedOptions } from './options.js';
import { LIVE_OPTIONS, OPTION_SPECS, resolveOptions } from './options.js';
import { Persister } from './persist.js';
import { reauthorizeSubscriptions } from './reauthorize.js';
import { Router } from './routing/router.js';
import { SubEntry } from './routing/subscription.js';
import { detachSession, onSessionTimer } from './session/registry.js';
import type { Session, SessionOwner } from './session/session.js';
import { BrokerStats, SysPublisher } from './sys.js';

/** Payload of the `clientConnected` event. */
export interface ClientConnectedEvent {
  /** The client id (the assigned one when the client sent none). */
  clientId: string;
  /** The user name it authenticated with (or its certificate identity); undefined if none. */
  username: string | undefined;
  /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
  protocolVersion: ProtocolVersion;
  /** Whether a stored session was resumed (the CONNACK Session Present flag). */
  sessionPresent: boolean;
}
/** Payload of the `clientDisconnected` event. */
export interface ClientDisconnectedEvent {
  /** The client id. */
  clientId: string;
  /** Why the connection ended, for logs (e.g. `connection lost`, `server shutting down`). */
  reason: string;
}
/** Payload of the `subscribe` event. */
export interface SubscribeEvent {
  /** The subscribing client. */
  clientId: string;
  /** Each filter of the SUBSCRIBE with its SUBACK code (granted QoS, or >= 0x80 refused). */
  subscriptions: Array<{ topicFilter: string; code: number }>;
}
/** Payload of the `unsubscribe` event. */
export interface UnsubscribeEvent {
  /** The unsubscribing client. */
  clientId: string;
  /** The filters of the UNSUBSCRIBE. */
  topicFilters: string[];
}
/** Payload of the `publish` event (emitted only while someone listens). */
export interface PublishEvent {
  /** The publishing client. */
  clientId: string;
  /** The topic name (topic aliases resolved). */
  topic: string;
  /** The payload: a view valid during the listener call; copy it to keep it. */
  payload: Buffer;
  /** QoS of the PUBLISH as received. */
  qos: QoS;
  /** The RETAIN flag as received. */
  retain: boolean;
}

/** The broker's typed events. */
export interface BrokerEvents {
  /** A client's CONNACK was sent with success. */
  clientConnected: [ClientConnectedEvent];
  /** A connected client's connection ended, for whatever reason. */
  clientDisconnected: [ClientDisconnectedEvent];
  /** A SUBSCRIBE was answered. */
  subscribe: [SubscribeEvent];
  /** An UNSUBSCRIBE was answered. */
  unsubscribe: [UnsubscribeEvent];
  /** A client's PUBLISH was accepted (emitted only while someone listens). */
  publish: [PublishEvent];
  /** Every listener is bound; the addresses they got. */
  listening: [BrokerAddress[]];
  /** A broker-level failure (not one client's protocol error). */
  error: [Error];
}

/** A bound listener. */
export interface BrokerAddress {
  /** `tcp`, `tls`, `ws` or `wss`. */
  type: ListenerType;
  /** The interface it is bound to. */
  host: string;
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** The HTTP path of a WebSocket listener. */
  path?: string;
}

/** Options of {@link Broker.publish}. */
export interface ServerPublishOptions {
  /** Delivery QoS (default 0); each subscriber gets at most its granted QoS. */
  qos?: QoS;
  /** Store as the topic's retained message (default false). */
  retain?: boolean;
  /** v5 properties forwarded to v5 subscribers (ignored for 3.x ones). */
  properties?: Properties;
}

/**
 * An MQTT 3.1 / 3.1.1 / 5.0 broker. Create it with {@link createBroker}, then `await listen()`;
 * `await close()` stops it. Protocol work is spread over `dispatch.ts`, `handlers/`, `session/`
 * and `routing/`; this class owns the shared state and the lifecycle.
 */
export class Broker extends EventEmitter<BrokerEvents> implements SessionOwner {
  /** The options with every default applied. */
  readonly options: ResolvedOptions;
  /** The logger (silent unless `options.logger` was given). */
  readonly log: Logger;
  /** The one clock of the broker: read once per tick, never per packet. */
  readonly clock: Clock;
  /** The one timing wheel: keep-alive, will delay, expiry and connect timeouts. */
  readonly wheel: TimingWheel;
  /** Plain counters behind `$SYS` and the events. */
  readonly stats = new BrokerStats();
  /** Subscriptions, shared groups and retained messages, and the fan-out of messages. */
  readonly router: Router;
  /** Sessions by client id, connected or not. */
  readonly sessions = new Map<string, Session>();
  /** Open network connections (connected or not yet). */
  readonly connections = new Set<Connection>();
  /** Turns state changes into store records; holds acks until their commit (sync). */
  readonly persist: Persister;
  /** The authentication and authorization hooks from the options. */
  readonly hooks: BrokerHooks;
  /** Publishes `$SYS/broker/...`. */
  readonly sys: SysPublisher;
  private servers: ListenerState[] = [];
  /** Listener of streams handed to {@link accept} without one (custom transports). */
  private customListener: ListenerState | undefined;
  private state: 'new' | 'listening' | 'closing' | 'closed' = 'new';
  private opened = false;

  /** Builds a broker; nothing is bound or opened until {@link Broker.listen}. */
  constructor(options: BrokerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.log = this.options.logger ?? silentLogger;
    this.hooks = this.options.hooks;
    this.clock = new Clock();
    this.wheel = new TimingWheel(100, 1024, this.clock);
    this.router = new Router(this);
    const own = this.options.store === undefined;
    const store =
      this.options.store ??
      new MemoryStore({
        durability: this.options.durability,
        intervalMs: this.options.batchIntervalMs,
      });
    this.persist = new Persister(this, store, !own || this.options.durability !== 'none');
    this.sys = new SysPublisher(this);
  }

  /** Whether someone listens to `publish` (checked per message, so the event costs nothing otherwise). */
  get publishListeners(): boolean {
    return this.listenerCount('publish') > 0;
  }

  /** Whether someone listens to `subscribe`/`unsubscribe`. */
  get subscribeListeners(): boolean {
    return this.listenerCount('subscribe') > 0 || this.listenerCount('unsubscribe') > 0;
  }

  /** Emits an event; a throwing listener is logged, never allowed to break a connection. */
  emitEvent<K extends keyof BrokerEvents>(name: K, ...args: BrokerEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: BrokerEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      this.log.error({ err, event: name }, 'event listener threw');
    }
  }

  /**
   * Opens the store, restores persisted state, and binds every listener. Rejects when a port
   * cannot be bound (the listeners already bound are closed again).
   */
  async listen(): Promise<void> {
    if (this.state !== 'new') throw new Error(`broker is ${this.state}`);
    this.state = 'listening';
    if (!this.opened) {
      this.opened = true;
      const store = this.persist.store;
      await store.open();
      this.persist.restore(await store.load());
    }
    this.wheel.start();
    try {
      for (const spec of this.options.listeners) {
        const l = new ListenerState(spec, this.options, this.clock.now);
        await this.bind(l);
        this.servers.push(l);
        if (l.tls === undefined && !isLoopback(l.host)) {
          this.log.warn(
            { type: l.type, host: l.host, port: spec.port },
            'listener on a non-loopback interface without TLS: traffic and passwords travel in clear',
          );
        }
      }
    } catch (err) {
      await this.closeListeners();
      this.state = 'new';
      throw err;
    }
    this.sys.start();
    this.log.info({ listeners: this.addresses() }, 'broker listening');
    this.emitEvent('listening', this.addresses());
  }

  private async bind(l: ListenerState): Promise<void> {
    const spec = l.spec;
    if (spec === undefined) return;
    const onRaw = (raw: Socket) => this.openHandshake(l, raw) !== undefined;
    // Listeners without the PROXY protocol keep their accept path untouched.
    const proxy: PreAccept | undefined = l.proxyProtocol
      ? (raw, proceed) => this.readProxyHeader(l, raw, proceed)
      : undefined;
    if (l.tls !== undefined) {
      l.tlsOptions = await loadTlsOptions(l.tls);
      if (this.options.watchCertificates) this.watchCertificates(l);
    }
    switch (spec.type) {
      case 'tcp':
        l.server =
          proxy === undefined
            ? await listenTcp(spec.port, l.host, (s: Socket) =>
                this.admit(s, UNREAD, 'tcp', l, undefined, undefined),
              )
            : await listenTcp(
                spec.port,
                l.host,
                (s: Socket) => {
                  const h = this.takeHandshake(l, s);
                  this.admit(s, h?.address ?? UNREAD, 'tcp', l, undefined, h?.at);
                },
                proxy,
              );
        return;
      case 'tls':
        l.server = await listenTls(
          spec.port,
          l.host,
          l.tlsOptions ?? {},
          onRaw,
          (s: TLSSocket) => {
            const h = this.takeHandshake(l, s);
            this.accept(s, h?.address ?? s.remoteAddress, 'tls', l, s, h?.at ?? this.clock.now);
          },
          proxy,
        );
        return;
      case 'ws':
      case 'wss':
        l.ws = await listenWebSocket(
          spec.port,
          l.host,
          l.path as string,
          this.options.maxPacketSize + 8,
          (stream, remote, socket) => {
            // On wss the CONNECT window starts at the upgrade (the handshake has its own bound).
            const h =
              spec.type === 'wss' || proxy !== undefined
                ? this.takeHandshake(l, socket)
                : undefined;
            this.accept(
              stream,
              h?.address ?? remote,
              spec.type,
              l,
              spec.type === 'wss' ? (socket as TLSSocket) : undefined,
            );
          },
          l.tlsOptions === undefined ? undefined : { options: l.tlsOptions, onRaw },
          proxy,
        );
        return;
    }
  }

  /**
   * A client starts its TLS handshake, HTTP upgrade or PROXY protocol header: refused (undefined)
   * when the listener is full or closing.
   */
  private openHandshake(l: ListenerState, raw: Socket): Handshake | undefined {
    if (this.state !== 'listening' || l.full) {
      this.stats.connectionsRefused++;
      return undefined;
    }
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    const entry: Handshake = { raw, at: this.clock.now, address: undefined };
    l.handshakes.set(key, entry);
    raw.once('close', () => {
      if (l.handshakes.get(key) === entry) l.handshakes.delete(key);
    });
    return entry;
  }

  /**
   * The socket under `s` (the TCP socket itself, or a TLS socket over it: same remote address
   * and port) became a broker connection: no longer a handshake. Returns its entry: when the TCP
   * connection was accepted, and the PROXY protocol address.
   */
  private takeHandshake(l: ListenerState, s: Socket): Handshake | undefined {
    const key = `${s.remoteAddress}|${s.remotePort}`;
    const entry = l.handshakes.get(key);
    l.handshakes.delete(key);
    return entry;
  }

  /**
   * A connection of a `proxyProtocol` listener: its PROXY header must arrive first, within the
   * connect timeout; then `proceed` hands the socket on (MQTT, TLS handshake or HTTP upgrade)
   * with the header's client address recorded for the connection. Anything else closes it.
   */
  private readProxyHeader(l: ListenerState, raw: Socket, proceed: () => void): void {
    const entry = this.openHandshake(l, raw);
    if (entry === undefined) {
      raw.destroy();
      return;
    }
    readProxyHeader(
      raw,
      this.wheel,
      entry.at + this.options.connectTimeoutMs,
      (header: ProxyHeader | undefined, reason: string, silent: boolean) => {
        if (header !== undefined) {
          entry.address = header.sourceAddress;
          proceed();
          return;
        }
        l.proxyRefused++;
        this.stats.connectionsRefused++;
        const fields = { remoteAddress: raw.remoteAddress, port: l.spec?.port, reason };
        const msg = 'PROXY protocol header missing or invalid, connection closed';
        // A balancer's TCP health check connects and closes without a byte: not worth info.
        if (silent) this.log.debug(fields, msg);
        else this.log.info(fields, msg);
      },
    );
  }

  /** Reloads a listener's certificate when its files change (editors often replace them). */
  private watchCertificates(l: ListenerState): void {
    const tls = l.tls;
    if (tls === undefined) return;
    const files = [tls.certFile, tls.keyFile, tls.caFile, tls.crlFile].filter(
      (f) => f !== undefined,
    );
    l.unwatch = watchFiles(files, () => {
      this.reloadListener(l).then(
        () => this.log.info({ port: l.spec?.port }, 'TLS certificate reloaded'),
        (err: unknown) =>
          this.log.error(
            { err: (err as Error).message },
            'TLS certificate reload failed, keeping the previous one',
          ),
      );
    });
  }

  private async reloadListener(l: ListenerState): Promise<void> {
    if (l.tls === undefined || this.state !== 'listening') return;
    const options = await loadTlsOptions(l.tls);
    l.setSecureContext(options); // throws when the key does not match the certificate
  }

  /**
   * Re-reads the certificate, key and CA files of every TLS listener (what SIGHUP does in
   * `petrel broker`). New handshakes use them; established connections are not touched. A
   * listener whose files cannot be read or do not fit keeps its previous certificate, and the
   * promise rejects naming the problem.
   */
  async reloadCertificates(): Promise<void> {
    const problems: string[] = [];
    for (const l of this.servers) {
      try {
        await this.reloadListener(l);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  /**
   * Takes over a reloaded configuration: validates `next` whole (throws a TypeError naming the
   * first bad key, changing nothing), applies the options listed in `LIVE_OPTIONS`, and returns
   * the names of changed options that only a restart applies (listeners, TLS settings, …).
   */
  updateOptions(next: BrokerOptions): string[] {
    const resolved = resolveOptions({ ...next, hooks: this.hooks }) as unknown as Record<
      string,
      unknown
    >;
    const current = this.options as unknown as Record<string, unknown>;
    const restart: string[] = [];
    for (const key of Object.keys(OPTION_SPECS)) {
      const a = current[key];
      const b = resolved[key];
      if (a === b || JSON.stringify(a) === JSON.stringify(b)) continue;
      if (LIVE_OPTIONS.has(key)) current[key] = b;
      else restart.push(key);
    }
    return restart;
  }

  /**
   * Asks `authorizeSubscribe` again for every subscription of every session (connected or not)
   * and removes those now refused, e.g. after an ACL reload. Returns how many were removed.
   */
  reauthorizeSubscriptions(): Promise<number> {
    return reauthorizeSubscriptions(this);
  }

  /** Bound listeners (actual ports when 0 was asked for). */
  addresses(): BrokerAddress[] {
    const out: BrokerAddress[] = [];
    for (const l of this.servers) {
      const server = l.server ?? l.ws?.http;
      const a = server?.address() as AddressInfo | null | undefined;
      if (a === null || a === undefined || l.type === 'custom') continue;
      const entry: BrokerAddress = { type: l.type, host: a.address, port: a.port };
      if (l.path !== undefined && (l.type === 'ws' || l.type === 'wss')) entry.path = l.path;
      out.push(entry);
    }
    return out;
  }

  /** The first listener's address (the TCP one by default). */
  address(): BrokerAddress | undefined {
    return this.addresses()[0];
  }

  /** Port of the first listener. */
  get port(): number {
    return this.address()?.port ?? 0;
  }

  /**
   * Hands a connected byte stream to the broker (used by the listeners; also for custom
   * transports and tests). Streams handed over without a listener accept anonymous clients
   * unless `allowAnonymous` is false. `peer` is the TLS socket under the stream (client
   * certificate identity); `acceptedAt` (clock ms) starts the connect timeout earlier, so a TLS
   * handshake counts against it.
   */
  accept(
    socket: Duplex,
    remoteAddress: string | undefined,
    transport: ListenerType | 'custom' = 'custom',
    listener?: ListenerState,
    peer?: TLSSocket,
    acceptedAt?: number,
  ): void {
    this.admit(socket, remoteAddress, transport, listener, peer, acceptedAt);
  }

  /** {@link accept}, with the remote address possibly left for the connection to read lazily. */
  private admit(
    socket: Duplex,
    remoteAddress: string | undefined | typeof UNREAD,
    transport: ListenerType | 'custom',
    listener: ListenerState | undefined,
    peer: TLSSocket | undefined,
    acceptedAt: number | undefined,
  ): void {
    let l = listener;
    if (l === undefined) {
      l = this.customListener ??= new ListenerState(undefined, this.options, this.clock.now);
    }
    if (
      this.state !== 'listening' ||
      this.connections.size >= this.options.maxConnections ||
      l.full
    ) {
      this.stats.connectionsRefused++;
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const conn = new Connection(this, socket, remoteAddress, transport, l, peer);
    l.connections++;
    this.connections.add(conn);
    this.wheel.scheduleAt(
      conn.connectTimer,
      (acceptedAt ?? this.clock.now) + this.options.connectTimeoutMs,
    );
  }

  /** Publishes a message from the server side (no client, no hooks). */
  publish(topic: string, payload: Buffer | string, options: ServerPublishOptions = {}): void {
    const m = new Message(
      topic,
      typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload),
      options.qos ?? 0,
      options.retain ?? false,
      options.properties,
      '',
      this.clock.now,
    );
    m.owned = true;
    this.router.publish(m);
  }

  /**
   * Disconnects a client from the server side: v5 clients get DISCONNECT with `reasonCode`
   * (default 0x98 Administrative action) and `reasonString`. Returns false when not connected.
   */
  disconnect(
    clientId: string,
    reasonCode: number = ReasonCode.AdministrativeAction,
    reasonString?: string,
  ): boolean {
    const conn = this.sessions.get(clientId)?.connection;
    if (conn === undefined) return false;
    rejectWith(conn, reasonCode, reasonString, true);
    return true;
  }

  /** @internal Frame handler of every connection. */
  onFrame(conn: Connection, header: number, body: Buffer): void {
    dispatchFrame(conn, header, body);
  }

  /** @internal */
  fail(conn: Connection, err: unknown): void {
    fail(conn, err);
  }

  /** @internal A client exceeded its message or byte rate: v5 DISCONNECT 0x96, 3.x close. */
  rateExceeded(conn: Connection, what: string): void {
    this.stats.rateLimited++;
    this.log.info({ clientId: conn.clientId, limit: what }, 'rate limit exceeded, disconnecting');
    rejectWith(conn, ReasonCode.MessageRateTooHigh, `${what} limit exceeded`, true);
  }

  /** @internal */
  onDrain(conn: Connection): void {
    const s = conn.session;
    if (s !== undefined) pump(this, s);
  }

  /** @internal */
  onSocketError(conn: Connection, err: Error): void {
    this.log.debug({ clientId: conn.clientId, err: err.message }, 'socket error');
  }

  /**
   * @internal The socket is gone (`closed`) or its peer ended its side: an unannounced close
   * fires the will.
   */
  onSocketClose(conn: Connection, closed = true): void {
    if (closed) {
      if (this.connections.delete(conn)) conn.listener.connections--;
      this.wheel.cancel(conn.forceCloseTimer);
      this.persist.forget(conn);
    }
    if (conn.state !== ConnState.Closed) this.closeConnection(conn, 'connection lost', true);
  }

  /**
   * @internal Closes a connection once: cancels its timers, ends the socket after pending writes,
   * detaches its session (will published when `publishWill`).
   */
  closeConnection(conn: Connection, reason: string, publishWill: boolean): void {
    if (conn.state === ConnState.Closed) return;
    const wasConnected = conn.state === ConnState.Connected;
    conn.state = ConnState.Closed;
    conn.closeReason = reason;
    this.wheel.cancel(conn.connectTimer);
    this.wheel.cancel(conn.keepAliveTimer);
    conn.end();
    if (wasConnected) {
      detachSession(this, conn, publishWill);
      this.log.debug({ clientId: conn.clientId, reason }, 'client disconnected');
      if (this.listenerCount('clientDisconnected') > 0)
        this.emitEvent('clientDisconnected', { clientId: conn.clientId, reason });
    }
  }

  /** @internal */
  onConnectionTimer(conn: Connection, kind: number): void {
    switch (kind) {
      case ConnTimer.ConnectTimeout:
        if (conn.state === ConnState.AwaitConnect || conn.state === ConnState.Authenticating) {
          this.log.info({ remoteAddress: conn.remoteAddress }, 'connect timeout');
          this.closeConnection(conn, 'connect timeout', false);
        }
        return;
      case ConnTimer.KeepAlive: {
        if (conn.state !== ConnState.Connected || conn.keepAliveGraceMs === 0) return;
        // lastActivity comes from the coarse clock (up to one tick old): add a tick of slack.
        const due = conn.lastActivity + conn.keepAliveGraceMs + 100;
        if (this.clock.now >= due) {
          // [MQTT-3.1.2-24] nothing received for 1.5x the keep-alive.
          this.log.info({ clientId: conn.clientId }, 'keep-alive timeout');
          rejectWith(conn, ReasonCode.KeepAliveTimeout, undefined, true);
        } else this.wheel.scheduleAt(conn.keepAliveTimer, due);
        return;
      }
      case ConnTimer.ForceClose:
        conn.socket.destroy();
        return;
    }
  }

  /** @internal */
  onSessionTimer(session: Session, kind: number): void {
    onSessionTimer(this, session, kind);
  }

  /** @internal Re-creates a stored subscription. */
  restoreSubscription(session: Session, sub: StoredSubscription): void {
    let group: string | undefined;
    let topicFilter = sub.filter;
    if (sub.filter.startsWith('$share/')) {
      const slash = sub.filter.indexOf('/', 7);
      group = sub.filter.slice(7, slash);
      topicFilter = sub.filter.slice(slash + 1);
    }
    const e = new SubEntry(
      session,
      sub.filter,
      topicFilter,
      sub.qos,
      sub.noLocal,
      sub.retainAsPublished,
      sub.retainHandling,
      sub.subscriptionId ?? 0,
      group,
    );
    session.subscriptions.set(sub.filter, e);
    this.router.trie.add(e);
  }

  /**
   * Stops the broker: stops accepting, sends v5 clients DISCONNECT 0x8B (Server shutting down),
   * closes every connection (publishing wills, as for any close the client did not ask for),
   * records persistent sessions as disconnected, flushes and closes the store.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.sys.stop();
    const listenersClosed = this.closeListeners();
    // [MQTT-3.1.2-8] the server closing a connection without the client's DISCONNECT publishes its
    // will (a v5 Will Delay keeps it with a persistent session, stored, for the next start).
    // Connections with a will go first, so that the others, still connected, receive it.
    const conns = [...this.connections].sort(
      (a, b) => (a.session?.will === undefined ? 1 : 0) - (b.session?.will === undefined ? 1 : 0),
    );
    for (const conn of conns) {
      if (conn.state === ConnState.Connected) {
        rejectWith(conn, ReasonCode.ServerShuttingDown, undefined, true);
      } else this.closeConnection(conn, 'server shutting down', false);
    }
    await this.waitForSockets();
    try {
      await this.persist.store.flush();
      await this.persist.store.close();
    } catch (err) {
      this.log.error({ err }, 'store close failed');
    }
    await listenersClosed;
    this.wheel.stop();
    this.state = 'closed';
  }

  private async waitForSockets(): Promise<void> {
    const deadline = Date.now() + this.options.closeTimeoutMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const conn of this.connections) {
      conn.socket.destroy();
      conn.listener.connections--;
    }
    this.connections.clear();
  }

  private async closeListeners(): Promise<void> {
    const ls = this.servers;
    this.servers = [];
    await Promise.all(
      ls.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.unwatch?.();
            // Sockets still in their TLS handshake are not connections yet: close() would wait.
            for (const h of l.handshakes.values()) h.raw.destroy();
            if (l.server !== undefined) l.server.close(() => resolve());
            else if (l.ws !== undefined) {
              l.ws.wss.close();
              closeHttp(l.ws.http, resolve);
            } else resolve();
          }),
      ),
    );
  }
}

function closeHttp(server: HttpServer, done: () => void): void {
  server.close(() => done());
  server.closeAllConnections();
}

/** Internal name used by the protocol modules. */
export type BrokerCore = Broker;

/**
 * Creates a broker (not yet listening): `const broker = createBroker({ port: 0 });
 * await broker.listen();`.
 */
export function createBroker(options: BrokerOptions = {}): Broker {
  return new Broker(options);
}
