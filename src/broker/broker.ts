import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { BridgeManager, BridgeStatus } from '../bridge/manager.js';
import { ReasonCode } from '../codec/reason-codes.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { ChangeRecord, Store, StoredSecurityEntry } from '../persistence/types.js';
import { Clock } from '../shared/clock.js';
import { TimingWheel } from '../shared/timing-wheel.js';
import type { ClusterLink } from './cluster-link.js';
import type { UNREAD } from './conn-state.js';
import { ConnState } from './conn-state.js';
import { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import type { BrokerAddress, BrokerEvents, ServerPublishOptions } from './events.js';
import type { BrokerHooks } from './hooks.js';
import { ListenerState } from './listener.js';
import type { ListenerHost } from './listeners.js';
import { Message } from './message.js';
import type { BridgeOptions, BrokerOptions, ListenerType, ResolvedOptions } from './options.js';
import { LIVE_OPTIONS, OPTION_SPECS, resolveOptions } from './options.js';
import { Persister } from './persist.js';
import { reauthorizeSubscriptions } from './reauthorize.js';
import { rejectWith } from './refuse.js';
import { Router } from './routing/router.js';
import type { ServerSubscribeOptions } from './server-ops.js';
import { deleteRetained, deleteSession, serverSubscribe, serverUnsubscribe } from './server-ops.js';
import { detachSession, onSessionTimer } from './session/registry.js';
import type { Session } from './session/session.js';
import { BrokerStats, SysPublisher } from './sys.js';

/** The network side of a broker: binds its listeners and hands it their connections. */
export interface Network {
  /** Binds every configured listener (rejects, with none left bound, when one fails). */
  listen(): Promise<void>;
  /** Stops accepting and closes the servers. */
  close(): Promise<void>;
  /** Bound listeners. */
  addresses(): BrokerAddress[];
  /** Re-reads the TLS files of every TLS listener. */
  reloadCertificates(): Promise<void>;
}

/** Something that {@link Broker.attach} closes with the broker. */
export interface Closeable {
  close(): Promise<void>;
}

/** What a broker is built from besides its options: injected by {@link createBroker}. */
export interface BrokerParts {
  /** Gives the store, and whether state changes are written to it, for the resolved options. */
  store: (options: ResolvedOptions) => { store: Store; persistState: boolean };
  /** Builds the network side, which admits connections through the broker it is given. */
  network: (host: ListenerHost) => Network;
}

/**
 * An MQTT 3.1 / 3.1.1 / 5.0 broker. Create it with {@link createBroker}, then `await listen()`;
 * `await close()` stops it. Protocol work is spread over `dispatch.ts`, `handlers/`, `session/`
 * and `routing/`; this class owns the shared state and the lifecycle.
 */
export class Broker extends EventEmitter<BrokerEvents> implements BrokerCore {
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
  /**
   * The other nodes of a cluster (set by src/cluster/ through {@link setClusterLink});
   * undefined without one.
   */
  cluster: ClusterLink | undefined = undefined;
  /** The authentication and authorization hooks from the options. */
  readonly hooks: BrokerHooks;
  /** Publishes `$SYS/broker/...`. */
  readonly sys: SysPublisher;
  /** The network servers, which hand accepted connections to {@link admit}. */
  private readonly network: Network;
  /** Listener of streams handed to {@link accept} without one (custom transports). */
  private customListener: ListenerState | undefined;
  /** Listener of the broker's own in-process connections (bridges). */
  private trustedListener: ListenerState | undefined;
  /** The running bridges; loaded with the first one configured. */
  private bridgeManager: BridgeManager | undefined;
  private state: 'new' | 'listening' | 'closing' | 'closed' = 'new';
  private opened = false;
  private bound = false;
  /** Plug-ins whose lifetime is the broker's (see {@link attach}). */
  private readonly attached = new Set<Closeable>();

  /**
   * Builds a broker from its options and its parts (use {@link createBroker}, which supplies
   * the default store and the network listeners); nothing is bound or opened until
   * {@link Broker.listen}.
   */
  constructor(options: BrokerOptions, parts: BrokerParts) {
    super();
    this.options = resolveOptions(options);
    this.log = this.options.logger ?? silentLogger;
    this.hooks = this.options.hooks;
    this.clock = new Clock();
    this.wheel = new TimingWheel(100, 1024, this.clock);
    this.router = new Router(this);
    const { store, persistState } = parts.store(this.options);
    this.persist = new Persister(this, store, persistState);
    this.sys = new SysPublisher(this);
    this.network = parts.network(this);
  }

  /** @internal Whether new connections are taken (between `listen` and `close`). */
  get accepting(): boolean {
    return this.state === 'listening';
  }

  /**
   * Whether the broker serves: `listen()` completed (the store opened, its state restored and
   * every listener bound) and `close()` has not begun. The store's own health is
   * `persist.store.healthy`.
   */
  get ready(): boolean {
    return this.bound && this.state === 'listening';
  }

  /**
   * Ties a plug-in (the admin HTTP server, a bridge…) to the broker's lifetime: `close()` closes
   * it first, before the MQTT connections. Returns a function that unties it (for a plug-in
   * closed on its own).
   */
  attach(plugin: Closeable): () => void {
    this.attached.add(plugin);
    return () => this.attached.delete(plugin);
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
      this.emitEvent('restored');
    }
    this.wheel.start();
    try {
      // Bridges are checked before anything is bound, so a bad one fails the start cleanly.
      if (this.options.bridges.length > 0) await this.loadBridges(this.options.bridges);
      await this.network.listen();
    } catch (err) {
      this.state = 'new';
      throw err;
    }
    this.bound = true;
    this.sys.start();
    await this.bridgeManager?.update(this.options.bridges);
    this.log.info({ listeners: this.addresses() }, 'broker listening');
    this.emitEvent('listening', this.addresses());
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
      if (key === 'bridges') {
        this.updateBridges(b as BridgeOptions[]).catch((err: unknown) =>
          this.log.error({ err: (err as Error).message }, 'bridge update failed'),
        );
        continue;
      }
      if (LIVE_OPTIONS.has(key)) current[key] = b;
      else restart.push(key);
    }
    return restart;
  }

  /**
   * Starts, changes and stops bridges to match `bridges` (docs/bridges.md): the whole list is
   * checked first (rejects with a TypeError naming the field, changing nothing); bridges whose
   * options did not change keep their connections.
   */
  async updateBridges(bridges: BridgeOptions[] = []): Promise<void> {
    if (bridges.length > 0 || this.bridgeManager !== undefined) {
      const manager = await this.loadBridges(bridges);
      if (this.state === 'listening') await manager.update(bridges);
    }
    (this.options as { bridges: BridgeOptions[] }).bridges = bridges;
  }

  /** The state of each bridge (docs/bridges.md); empty without bridges. */
  bridges(): BridgeStatus[] {
    return this.bridgeManager?.states() ?? [];
  }

  /** Loads the bridge code (only when bridges are configured) and checks `bridges`. */
  private async loadBridges(bridges: BridgeOptions[]): Promise<BridgeManager> {
    const { BridgeManager, resolveBridges } = await import('../bridge/manager.js');
    resolveBridges(bridges);
    this.bridgeManager ??= new BridgeManager(this, this.options.sysInterval);
    return this.bridgeManager;
  }

  /**
   * @internal Calls `fn` once every state change made so far is durable (`sync` store), at once
   * otherwise: bridges forward a QoS 2 message only once its packet id is on disk.
   */
  whenDurable(fn: () => void): void {
    this.persist.whenDurable(fn);
  }

  /** @internal Sequence number of the last state change written to the store. */
  get storeSeq(): number {
    return this.persist.seq;
  }

  /** @internal The bridges' in-process connections: no authentication, no ACL checks. */
  acceptTrusted(stream: Duplex): void {
    if (this.trustedListener === undefined) {
      this.trustedListener = new ListenerState(undefined, this.options, this.clock.now);
      this.trustedListener.trusted = true;
    }
    this.admit(stream, 'bridge', 'custom', this.trustedListener, undefined, undefined);
  }

  /**
   * Asks `authorizeSubscribe` again for every subscription of every session (connected or not)
   * and removes those now refused, e.g. after an ACL reload. Returns how many were removed.
   */
  reauthorizeSubscriptions(): Promise<number> {
    return reauthorizeSubscriptions(this);
  }

  /** @internal Dynamic security (src/auth/dynamic): its entries as `listen()` restored them. */
  securityEntries(): StoredSecurityEntry[] {
    return this.persist.restoredSecurity;
  }

  /** @internal Writes dynamic-security changes in one batch; resolves once they are durable. */
  persistSecurity(records: readonly ChangeRecord[]): Promise<void> {
    return this.persist.security(records);
  }

  /** Bound listeners (actual ports when 0 was asked for). */
  addresses(): BrokerAddress[] {
    return this.network.addresses();
  }

  /**
   * Re-reads the certificate, key and CA files of every TLS listener (what SIGHUP does in
   * `petrel broker`). New handshakes use them; established connections are not touched. A
   * listener whose files cannot be read or do not fit keeps its previous certificate, and the
   * promise rejects naming the problem.
   */
  reloadCertificates(): Promise<void> {
    return this.network.reloadCertificates();
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

  /** @internal {@link accept}, with the remote address possibly left for the connection to read. */
  admit(
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

  /**
   * Links the broker to a cluster (or unlinks it with undefined): published messages are offered
   * to `link`, and it is told of every subscription change from now on.
   */
  setClusterLink(link: ClusterLink | undefined): void {
    this.cluster = link;
    this.router.trie.watcher = link;
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
    void this.cluster?.forward(m, 0);
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

  /**
   * Subscribes an existing session to `filter` from the server side (no `authorizeSubscribe`
   * hook); a connected client gets the matching retained messages. Throws naming an invalid
   * filter or option, changing nothing; false when the session does not exist.
   */
  subscribe(clientId: string, filter: string, options?: ServerSubscribeOptions): boolean {
    return serverSubscribe(this, clientId, filter, options);
  }

  /** Removes one subscription of a session; false when the session or filter is unknown. */
  unsubscribe(clientId: string, filter: string): boolean {
    return serverUnsubscribe(this, clientId, filter);
  }

  /**
   * Ends a session, online or offline: a connected client is disconnected (v5: `reasonCode`,
   * default 0x98) without its will, and its subscriptions and queue go. False when unknown.
   */
  deleteSession(clientId: string, reasonCode: number = ReasonCode.AdministrativeAction): boolean {
    return deleteSession(this, clientId, reasonCode);
  }

  /**
   * Deletes a topic's retained message without publishing anything; throws for an invalid
   * topic name, false when the topic has none.
   */
  deleteRetained(topic: string): boolean {
    return deleteRetained(this, topic);
  }

  /** @internal See {@link BrokerCore.socketClosed}. */
  socketClosed(conn: Connection, destroyed: boolean): void {
    if (destroyed) {
      if (this.connections.delete(conn)) conn.listener.connections--;
      this.wheel.cancel(conn.forceCloseTimer);
      this.persist.forget(conn);
    }
    if (conn.state !== ConnState.Closed) this.closeConnection(conn, 'connection lost', true);
  }

  /** @internal See {@link BrokerCore.closeConnection}. */
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
  onSessionTimer(session: Session, kind: number): void {
    onSessionTimer(this, session, kind);
  }

  /**
   * Stops the broker: stops accepting, sends v5 clients DISCONNECT 0x8B (Server shutting down),
   * closes every connection (publishing wills, as for any close the client did not ask for),
   * records persistent sessions as disconnected, flushes and closes the store.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.bound = false;
    for (const p of [...this.attached]) {
      try {
        await p.close();
      } catch (err) {
        this.log.error({ err }, 'plug-in close failed');
      }
    }
    this.attached.clear();
    this.sys.stop();
    await this.bridgeManager?.close();
    const listenersClosed = this.network.close();
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
}
