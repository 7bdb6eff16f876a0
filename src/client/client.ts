import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { encodePacket } from '../codec/encode.js';
import { MqttError } from '../codec/errors.js';
import { Framer } from '../codec/framer.js';
import { validateTopicFilter, validateTopicName } from '../codec/topic.js';
import type {
  AuthPacket,
  ConnackPacket,
  DisconnectPacket,
  Packet,
  Properties,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from '../codec/types.js';
import { Backoff } from '../shared/backoff.js';
import { Emitter } from './emitter.js';
import {
  ClientError,
  ClientErrorCode,
  ConnectionRefusedError,
  closedError,
  invalid,
  offlineError,
  protocolError,
  reasonText,
  tooLarge,
} from './errors.js';
import type { InflightHost, Outgoing } from './inflight.js';
import { fail, Inflight, Stage, settle } from './inflight.js';
import { KeepAlive } from './keepalive.js';
import { MessageStream } from './message-stream.js';
import type { ClientOptions, ResolvedOptions } from './options.js';
import { connectProperties, resolveOptions } from './options.js';
import { copyProperties, propertiesUpperBound, publishProperties, toBuffer } from './properties.js';
import { BoundedQueue, Queue } from './queue.js';
import type { RequestOptions } from './request.js';
import { Requester } from './request.js';
import { buildSubscribe, SubscriptionRegistry } from './subscriptions.js';
import { TopicAliases } from './topic-alias.js';
import type { Transport } from './transport.js';
import { openTransport } from './transport.js';
import type {
  ConnackInfo,
  DisconnectOptions,
  Message,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  SubscribeResult,
  UnsubscribeResult,
} from './types.js';

/** Events of {@link MqttClient}; each entry is the listener's argument list. */
export interface ClientEvents {
  /** CONNACK accepted (first connection and every reconnection). */
  connect: [ConnackInfo];
  /** A reconnection attempt is about to start. */
  reconnect: [attempt: number];
  /** The connection was lost; the client will try to reconnect. */
  offline: [error: Error | undefined];
  /** The client is closed for good. */
  close: [];
  /** A message arrived. */
  message: [Message];
  /** The broker sent DISCONNECT (v5). */
  disconnect: [reasonCode: number, properties: Properties | undefined];
  /** A failure that is not tied to a call (protocol error, failed reconnect attempt…). */
  error: [Error];
  /** Every packet written, for debugging (`-d`). */
  packetsend: [Packet];
  /** Every packet received, for debugging (`-d`). */
  packetreceive: [Packet];
}

/** Connection states. */
export type ClientState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnecting'
  | 'closed';

interface PendingAck {
  packet: SubscribePacket | UnsubscribePacket;
  resolve: (p: SubackPacket | UnsubackPacket) => void;
  reject: (e: Error) => void;
  /** Internal resubscription: failures are emitted, not rejected. */
  internal: boolean;
}

interface Connection {
  transport: Transport | undefined;
  framer: Framer;
  out: Buffer[];
  flushScheduled: boolean;
  writable: boolean;
  open: boolean;
  /** Set by disconnect(): the close that follows is wanted, not a loss. */
  closing: boolean;
}

/**
 * An MQTT 3.1 / 3.1.1 / 5.0 client. Create it with {@link connect}, or construct it and call
 * {@link MqttClient.connect}.
 */
export class MqttClient extends Emitter<ClientEvents> {
  private readonly opts: ResolvedOptions;
  private _state: ClientState = 'new';
  private version: ProtocolVersion;
  private _clientId: string;
  private conn: Connection | undefined;
  private connack: ConnackInfo | undefined;
  private readonly backoff: Backoff | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private offlineTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly keepAlive = new KeepAlive(
    () => this.send({ type: PacketType.PINGREQ }),
    () => this.onKeepAliveTimeout(),
  );

  private readonly queue: BoundedQueue<Outgoing>;
  private readonly inflight: Inflight = new Inflight(this.inflightHost());
  private readonly pendingAcks = new Map<number, PendingAck>();
  private readonly controlQueue = new Queue<PendingAck>();
  private readonly incomingQos2 = new Set<number>();
  private readonly subscriptions = new SubscriptionRegistry();
  private readonly streams = new Set<MessageStream>();
  private readonly aliases = new TopicAliases();
  private nextPacketId = 1;
  private offlineSince = 0;
  private paused = false;
  private idleWaiters: Array<() => void> = [];
  private requester: Requester | undefined;
  private readonly receiveMaximum: number;

  // Limits announced by the broker in CONNACK (defaults apply without them).
  private sendQuota = 65_535;
  private brokerMaxPacketSize = Number.POSITIVE_INFINITY;
  private brokerMaxQoS: QoS = 2;
  private brokerRetain = true;

  constructor(url?: string | ClientOptions, options: ClientOptions = {}) {
    super();
    if (typeof url === 'object') {
      options = url;
      url = undefined;
    }
    this.opts = resolveOptions(url, options);
    this.version = this.opts.protocolVersion;
    this.queue = new BoundedQueue(this.opts.maxQueuedMessages, this.opts.maxQueuedBytes);
    this.receiveMaximum = this.opts.properties.receiveMaximum ?? 65_535;
    this._clientId = this.opts.clientId;
    this.backoff = this.opts.reconnect === false ? undefined : new Backoff(this.opts.reconnect);
  }

  /** Current connection state. */
  get state(): ClientState {
    return this._state;
  }

  /** True while a CONNACK-accepted connection is up. */
  get connected(): boolean {
    return this._state === 'connected';
  }

  /** The client identifier in effect (the broker may assign one in v5). */
  get clientId(): string {
    return this._clientId;
  }

  /** The protocol level in use (after any fallback). */
  get protocolVersion(): ProtocolVersion {
    return this.version;
  }

  /** The last CONNACK, or undefined before the first connection. */
  get connackInfo(): ConnackInfo | undefined {
    return this.connack;
  }

  /** Messages waiting to be sent (offline or beyond the broker's Receive Maximum). */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /** QoS 1/2 messages sent and not yet fully acknowledged. */
  get inflightMessages(): number {
    return this.inflight.size;
  }

  /**
   * Opens the connection; resolves when CONNACK accepts it, rejects with a
   * {@link ConnectionRefusedError} (carrying the return/reason code) or a {@link ClientError}.
   */
  async connect(): Promise<ConnackInfo> {
    if (this._state !== 'new') {
      throw new ClientError(
        ClientErrorCode.InvalidArgument,
        `connect() called in state ${this._state}`,
      );
    }
    if (this.version !== 5 && this._clientId === '' && !this.opts.clean) {
      // [MQTT-3.1.3-7] a zero-byte client id needs Clean Session 1 before MQTT 5.
      this.shutdown(closedError());
      throw invalid('an empty client id needs clean: true before MQTT 5');
    }
    this._state = 'connecting';
    try {
      return await this.attempt();
    } catch (err) {
      if (
        err instanceof ConnectionRefusedError &&
        this.opts.protocolFallback &&
        this.version === 5 &&
        (err.reasonCode === 0x84 || err.reasonCode === 1)
      ) {
        this.version = 4;
        try {
          return await this.attempt();
        } catch (err2) {
          this.shutdown(err2 as Error);
          throw err2;
        }
      }
      this.shutdown(err as Error);
      throw err;
    }
  }

  /**
   * Queues a PUBLISH and returns at once; the promise resolves on PUBACK (QoS 1) or PUBCOMP
   * (QoS 2), when written for QoS 0, and rejects when the broker reports a failure, when the
   * client stays offline longer than `offlineTimeout`, or when the queue is full.
   */
  publish(
    topic: string,
    payload: string | Uint8Array = Buffer.alloc(0),
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    const qos = options.qos ?? 0;
    const retain = options.retain ?? false;
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : toBuffer(payload);
    const properties = this.version === 5 ? publishProperties(options.properties) : undefined;
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic,
      payload: body,
      qos,
      retain,
      dup: false,
      packetId: 0,
      properties,
    };
    const failure = this.checkPublish(packet);
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<PublishResult>((resolve, reject) => {
      const entry: Outgoing = {
        packet,
        bytes: body.length + topic.length,
        stage: Stage.Queued,
        settled: false,
        offlineSince: 0,
        resolve,
        reject,
      };
      if (this.canSendNow(qos)) {
        this.sendPublish(entry);
        return;
      }
      this.enqueue(entry);
    });
  }

  /**
   * Subscribes to one or more filters; resolves on SUBACK with the granted QoS (or failure
   * reason) per filter. While offline the request waits for the connection.
   */
  subscribe(
    filters: string | string[] | Record<string, SubscribeOptions>,
    options: SubscribeOptions = {},
  ): Promise<SubscribeResult> {
    let packet: SubscribePacket;
    try {
      packet = buildSubscribe(filters, options, this.version);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.control(packet, false).then((ack) => {
      const suback = ack as SubackPacket;
      return {
        granted: this.subscriptions.granted(packet, suback.reasonCodes),
        properties: suback.properties,
      };
    });
  }

  /** Unsubscribes; resolves on UNSUBACK (v5: with a reason code per filter). */
  unsubscribe(
    filters: string | string[],
    options: { userProperties?: Array<[string, string]> } = {},
  ): Promise<UnsubscribeResult> {
    const list = typeof filters === 'string' ? [filters] : filters;
    if (list.length === 0) {
      return Promise.reject(invalid('unsubscribe() needs at least one topic filter'));
    }
    for (const f of list) {
      try {
        validateTopicFilter(f);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const packet: UnsubscribePacket = {
      type: PacketType.UNSUBSCRIBE,
      packetId: 0,
      topicFilters: list,
      properties:
        this.version === 5 && options.userProperties !== undefined
          ? { userProperties: options.userProperties }
          : this.version === 5
            ? {}
            : undefined,
    };
    return this.control(packet, false).then((ack) => {
      const unsuback = ack as UnsubackPacket;
      this.subscriptions.remove(list);
      return {
        reasonCodes: list.map((_, i) => unsuback.reasonCodes[i] ?? 0),
        properties: unsuback.properties,
      };
    });
  }

  /**
   * An async iterator over received messages, optionally only those matching `filter` (it does
   * not subscribe). Reading from the broker pauses while the consumer lags behind.
   */
  messages(filter?: string): MessageStream {
    if (filter !== undefined) validateTopicFilter(filter);
    const stream = new MessageStream(
      filter,
      this.opts.highWaterMark,
      () => this.checkResume(),
      (s) => {
        this.streams.delete(s);
        this.checkResume();
      },
    );
    if (this._state === 'closed') stream.end();
    else this.streams.add(stream);
    return stream;
  }

  /**
   * MQTT 5 request/response: publishes `payload` to `topic` with a Response Topic (subscribed
   * on first use) and unique Correlation Data; resolves with the matching response message.
   */
  request(topic: string, payload: string | Uint8Array, options?: RequestOptions): Promise<Message> {
    this.requester ??= new Requester(this, this.opts.responseTopicPrefix);
    return this.requester.request(topic, payload, options);
  }

  /**
   * v5 enhanced re-authentication: sends AUTH (0x19) with new authentication data; the
   * `onAuth` hook answers any further challenge.
   */
  reauthenticate(authenticationData?: Buffer): void {
    const method = this.opts.properties.authenticationMethod;
    if (this.version !== 5 || method === undefined) {
      throw invalid('reauthenticate() needs MQTT 5 and properties.authenticationMethod');
    }
    const properties: Properties = { authenticationMethod: method };
    if (authenticationData !== undefined) properties.authenticationData = authenticationData;
    this.send({ type: PacketType.AUTH, reasonCode: 0x19, properties });
  }

  /**
   * Waits (at most `timeout` ms) for queued and in-flight messages, sends DISCONNECT, closes
   * the connection and resolves. Later calls resolve at once.
   */
  async disconnect(options: DisconnectOptions = {}): Promise<void> {
    if (this._state === 'closed') return;
    if (this._state === 'new') {
      this.shutdown(closedError());
      return;
    }
    const wasState = this._state;
    this._state = 'disconnecting';
    if (wasState === 'connected' || wasState === 'reconnecting' || wasState === 'connecting') {
      await this.waitIdle(options.timeout ?? this.opts.disconnectTimeout);
    }
    this.clearTimer('reconnectTimer');
    const conn = this.conn;
    if (conn?.transport !== undefined && conn.open && this.connack !== undefined) {
      const properties: Properties = {};
      if (options.sessionExpiryInterval !== undefined) {
        properties.sessionExpiryInterval = options.sessionExpiryInterval;
      }
      if (options.reasonString !== undefined) properties.reasonString = options.reasonString;
      if (options.userProperties !== undefined) properties.userProperties = options.userProperties;
      const packet: DisconnectPacket = {
        type: PacketType.DISCONNECT,
        reasonCode: options.reasonCode ?? 0,
        properties: Object.keys(properties).length > 0 ? properties : undefined,
      };
      this.send(packet);
      this.flush(conn);
      await this.closeConnection(conn, 1000);
    }
    this.shutdown(closedError());
  }

  /** Closes the connection at once without DISCONNECT (the broker publishes the will). */
  destroy(): void {
    if (this._state === 'closed') return;
    const conn = this.conn;
    this.shutdown(closedError());
    conn?.transport?.destroy();
  }

  // ---------------------------------------------------------------- connection lifecycle

  private async attempt(): Promise<ConnackInfo> {
    const conn: Connection = {
      transport: undefined,
      framer: new Framer(
        (header, body) => this.onFrame(conn, header, body),
        this.opts.properties.maximumPacketSize,
      ),
      out: [],
      flushScheduled: false,
      writable: true,
      open: true,
      closing: false,
    };
    this.conn = conn;
    this.aliases.reset(this.version === 5 ? (this.opts.properties.topicAliasMaximum ?? 0) : 0, 0);
    let settle: { resolve: (c: ConnackInfo) => void; reject: (e: Error) => void } | undefined;
    const connackPromise = new Promise<ConnackInfo>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.pendingConnack = settle;
    const timer = setTimeout(() => {
      this.failConnecting(
        conn,
        new ClientError(
          ClientErrorCode.ConnectTimeout,
          `no CONNACK within ${this.opts.connectTimeout} ms`,
        ),
      );
    }, this.opts.connectTimeout);
    try {
      const transportPromise = openTransport(this.opts, {
        onData: (chunk) => this.onData(conn, chunk),
        onDrain: () => {
          conn.writable = true;
          if (conn === this.conn && this._state === 'connected') this.drainQueue();
        },
        onClose: (err) => this.onTransportClose(conn, err),
      });
      // If the attempt is abandoned (timeout, disconnect) while the transport is still opening,
      // close it whenever it arrives; a late failure is already reported.
      transportPromise.then(
        (t) => {
          if (!conn.open) t.destroy();
        },
        () => undefined,
      );
      const transport = await Promise.race([
        transportPromise,
        connackPromise.then(() => undefined),
      ]);
      if (transport === undefined || !conn.open) return await connackPromise;
      conn.transport = transport;
      this.send(this.connectPacket());
      return await connackPromise;
    } catch (err) {
      const e =
        err instanceof MqttError
          ? err
          : new ClientError(
              ClientErrorCode.ConnectionFailed,
              `cannot connect to ${this.opts.url.host}: ${(err as Error).message}`,
            );
      this.failConnecting(conn, e);
      throw e;
    } finally {
      clearTimeout(timer);
      if (this.pendingConnack === settle) this.pendingConnack = undefined;
    }
  }

  private pendingConnack:
    | { resolve: (c: ConnackInfo) => void; reject: (e: Error) => void }
    | undefined;

  private failConnecting(conn: Connection, err: Error): void {
    conn.open = false;
    conn.transport?.destroy();
    const pending = this.pendingConnack;
    this.pendingConnack = undefined;
    pending?.reject(err);
  }

  private connectPacket(): Packet {
    const o = this.opts;
    const v5 = this.version === 5;
    let will: Will | undefined;
    if (o.will !== undefined) {
      const { willDelayInterval, ...rest } = o.will.properties ?? {};
      const props = v5 ? (publishProperties(rest) ?? {}) : undefined;
      if (props !== undefined && willDelayInterval !== undefined) {
        props.willDelayInterval = willDelayInterval;
      }
      will = {
        topic: o.will.topic,
        payload:
          typeof o.will.payload === 'string'
            ? Buffer.from(o.will.payload, 'utf8')
            : (o.will.payload ?? Buffer.alloc(0)),
        qos: o.will.qos ?? 0,
        retain: o.will.retain ?? false,
        properties: props,
      };
    }
    return {
      type: PacketType.CONNECT,
      protocolName: this.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.version,
      // After the first session is established, reconnect without clean start when the user
      // asked for a persistent session; with clean start every reconnect starts afresh.
      clean: o.clean,
      keepAlive: o.keepAlive,
      clientId: this._clientId,
      username: o.username,
      password: o.password,
      will,
      properties: v5 ? connectProperties(o.properties) : undefined,
    };
  }

  private onConnack(conn: Connection, packet: ConnackPacket): void {
    const pending = this.pendingConnack;
    if (packet.reasonCode !== 0) {
      const err = new ConnectionRefusedError(
        packet.reasonCode,
        this.version,
        packet.properties?.reasonString,
      );
      this.failConnecting(conn, err);
      return;
    }
    const props = packet.properties ?? {};
    if (props.assignedClientIdentifier !== undefined) {
      this._clientId = props.assignedClientIdentifier;
    }
    this.sendQuota = props.receiveMaximum ?? 65_535;
    this.brokerMaxPacketSize = props.maximumPacketSize ?? Number.POSITIVE_INFINITY;
    this.brokerMaxQoS = (props.maximumQoS ?? 2) as QoS;
    this.brokerRetain = props.retainAvailable !== 0;
    this.aliases.reset(
      this.version === 5 ? (this.opts.properties.topicAliasMaximum ?? 0) : 0,
      this.version === 5 && this.opts.autoTopicAlias ? (props.topicAliasMaximum ?? 0) : 0,
    );
    const info: ConnackInfo = {
      sessionPresent: packet.sessionPresent,
      reasonCode: packet.reasonCode,
      properties: props,
      protocolVersion: this.version,
      clientId: this._clientId,
    };
    this.connack = info;
    const keepAlive = props.serverKeepAlive ?? this.opts.keepAlive;
    const keepAliveMs = keepAlive * 1000;
    this._state = this._state === 'disconnecting' ? 'disconnecting' : 'connected';
    this.offlineSince = 0;
    this.backoff?.reset();
    this.clearTimer('offlineTimer');
    this.keepAlive.start(keepAliveMs);
    this.restoreSession(packet.sessionPresent);
    this.pendingConnack = undefined;
    pending?.resolve(info);
    this.emit('connect', info);
    this.drainQueue();
  }

  /** After CONNACK: resend what the session still owes, or rebuild what it lost. */
  private restoreSession(sessionPresent: boolean): void {
    if (!sessionPresent) this.incomingQos2.clear();
    this.inflight.resend(sessionPresent);
    if (!sessionPresent && this.opts.resubscribe) {
      for (const packet of this.subscriptions.resubscribePackets()) {
        this.control(packet, true).catch((err: Error) => this.emitError(err));
      }
    }
    for (const [, pending] of this.pendingAcks) this.send(pending.packet);
    while (this.controlQueue.length > 0) {
      const pending = this.controlQueue.shift()!;
      this.sendControl(pending);
    }
  }

  private onTransportClose(conn: Connection, err: Error | undefined): void {
    const wasOpen = conn.open;
    conn.open = false;
    if (conn !== this.conn || conn.closing) return;
    this.keepAlive.stop();
    if (this.pendingConnack !== undefined) {
      this.failConnecting(
        conn,
        new ClientError(
          ClientErrorCode.ConnectionFailed,
          `connection closed before CONNACK${err ? `: ${err.message}` : ''}`,
        ),
      );
      return;
    }
    if (!wasOpen && this._state !== 'connected' && this._state !== 'disconnecting') return;
    if (this._state === 'closed') return;
    // While disconnect() waits for in-flight work, keep reconnecting within its timeout.
    if (this.backoff !== undefined) {
      this.goOffline(err);
      return;
    }
    this.shutdown(
      new ClientError(
        ClientErrorCode.ConnectionLost,
        `connection lost${err ? `: ${err.message}` : ''}`,
      ),
    );
  }

  private goOffline(err: Error | undefined): void {
    if (this._state === 'connected') this._state = 'reconnecting';
    const now = Date.now();
    this.offlineSince = now;
    for (const entry of this.queue) if (entry.offlineSince === 0) entry.offlineSince = now;
    this.inflight.markOffline(now);
    this.emit('offline', err);
    this.scheduleOfflineSweep();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.backoff === undefined || this.reconnectTimer !== undefined) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this._state !== 'reconnecting' && this._state !== 'disconnecting') return;
      this.emit('reconnect', this.backoff?.attempts ?? 0);
      this.attempt().catch((err: Error) => {
        if (this._state === 'closed') return;
        this.emitError(err);
        this.scheduleReconnect();
      });
    }, delay);
  }

  private async closeConnection(conn: Connection, timeoutMs: number): Promise<void> {
    const transport = conn.transport;
    if (transport === undefined || !conn.open) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        transport.destroy();
        resolve();
      }, timeoutMs);
      const check = (): void => {
        if (!conn.open) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 5);
      };
      conn.closing = true;
      transport.end();
      check();
    });
  }

  /** Final state: everything pending fails with `err`, streams end, timers stop. */
  private shutdown(err: Error): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    const connecting = this.pendingConnack;
    this.pendingConnack = undefined;
    connecting?.reject(err);
    this.clearTimer('reconnectTimer');
    this.clearTimer('offlineTimer');
    this.keepAlive.stop();
    const conn = this.conn;
    if (conn !== undefined) {
      conn.open = false;
      conn.transport?.destroy();
    }
    for (const entry of this.queue.drain()) fail(entry, err);
    this.inflight.failAll(err);
    for (const [, p] of this.pendingAcks) if (!p.internal) p.reject(err);
    this.pendingAcks.clear();
    for (const p of this.controlQueue.drain()) if (!p.internal) p.reject(err);
    for (const s of [...this.streams]) s.end();
    this.streams.clear();
    this.notifyIdle();
    this.emit('close');
  }

  // ---------------------------------------------------------------- keep-alive

  private onKeepAliveTimeout(): void {
    const conn = this.conn;
    if (conn === undefined || !conn.open) return;
    this.emitError(
      new ClientError(ClientErrorCode.ConnectionLost, 'keep-alive timeout: no PINGRESP'),
    );
    conn.transport?.destroy();
  }

  private clearTimer(name: 'reconnectTimer' | 'offlineTimer'): void {
    const t = this[name];
    if (t !== undefined) {
      clearTimeout(t);
      this[name] = undefined;
    }
  }

  // ---------------------------------------------------------------- outgoing

  private checkPublish(packet: PublishPacket): Error | undefined {
    if (this._state === 'closed' || this._state === 'disconnecting') return closedError();
    const alias = packet.properties?.topicAlias;
    if (!(packet.topic === '' && alias !== undefined)) {
      try {
        validateTopicName(packet.topic);
      } catch (err) {
        return err as Error;
      }
    }
    if (packet.qos !== 0 && packet.qos !== 1 && packet.qos !== 2) {
      return invalid(`invalid QoS ${String(packet.qos)}`);
    }
    if (this.connack !== undefined) {
      if (packet.qos > this.brokerMaxQoS) {
        return new ClientError(
          ClientErrorCode.NotSupported,
          `QoS ${packet.qos} exceeds the broker's Maximum QoS ${this.brokerMaxQoS}`,
          0x9b,
        );
      }
      if (packet.retain && !this.brokerRetain) {
        return new ClientError(
          ClientErrorCode.NotSupported,
          'the broker does not support retained messages',
          0x9a,
        );
      }
      // [MQTT-3.2.2-15] never send a packet larger than the broker's Maximum Packet Size.
      // Encoding to measure is only paid for packets that could come near the limit.
      const upperBound =
        16 +
        packet.payload.length +
        packet.topic.length * 3 +
        propertiesUpperBound(packet.properties);
      if (upperBound > this.brokerMaxPacketSize) {
        const size = encodePacket(
          { ...packet, packetId: packet.qos > 0 ? 1 : 0 },
          this.version,
        ).length;
        if (size > this.brokerMaxPacketSize) return tooLarge(size, this.brokerMaxPacketSize);
      }
    }
    return undefined;
  }

  private canSendNow(qos: QoS): boolean {
    const conn = this.conn;
    return (
      this._state === 'connected' &&
      conn !== undefined &&
      conn.writable &&
      this.queue.length === 0 &&
      (qos === 0 || this.inflight.size < this.sendQuota)
    );
  }

  private enqueue(entry: Outgoing): void {
    const offline = this._state !== 'connected';
    if (offline && this.opts.offlineTimeout <= 0) {
      entry.reject(offlineError(0));
      return;
    }
    if (offline) entry.offlineSince = Date.now();
    // Online, the queue only waits for the broker's Receive Maximum (flow control, drained by
    // acknowledgements); the limits bound what piles up while no broker drains it.
    if (!this.queue.push(entry, offline)) {
      entry.reject(
        new ClientError(
          ClientErrorCode.QueueFull,
          `offline queue full (limits: ${this.queue.maxItems} messages, ` +
            `${this.queue.maxBytes} bytes; holding ${this.queue.length} messages, ` +
            `${this.queue.bytes} bytes)`,
          0x97,
        ),
      );
      return;
    }
    if (offline) this.scheduleOfflineSweep();
  }

  private drainQueue(): void {
    const conn = this.conn;
    while (this._state === 'connected' || this._state === 'disconnecting') {
      if (conn === undefined || !conn.open || !conn.writable || this.connack === undefined) return;
      const entry = this.queue.peek();
      if (entry === undefined) break;
      if (entry.packet.qos > 0 && this.inflight.size >= this.sendQuota) break;
      this.queue.shift();
      entry.offlineSince = 0;
      this.sendPublish(entry);
    }
    this.notifyIdle();
  }

  private sendPublish(entry: Outgoing): void {
    if (entry.packet.qos === 0) {
      this.writePublish(entry, 0, false);
      settle(entry, { packetId: 0, reasonCode: 0, properties: undefined });
      return;
    }
    const id = this.allocatePacketId();
    this.inflight.add(id, entry);
    this.writePublish(entry, id, false);
  }

  private writePublish(entry: Outgoing, packetId: number, dup: boolean): void {
    const p = entry.packet;
    let topic = p.topic;
    let properties = p.properties;
    // Topic aliases live for one connection, so they are chosen at write time.
    if (this.version === 5 && properties?.topicAlias === undefined) {
      const alias = this.aliases.outbound(topic);
      if (alias !== undefined) {
        properties = { ...properties, topicAlias: alias.alias };
        if (alias.known) topic = '';
      }
    }
    this.send({ ...p, topic, properties, packetId, dup });
  }

  private allocatePacketId(): number {
    for (let i = 0; i < 65_535; i++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65_535 ? 1 : id + 1;
      if (!this.inflight.has(id) && !this.pendingAcks.has(id)) return id;
    }
    throw new ClientError(ClientErrorCode.QueueFull, 'all 65535 packet identifiers are in use');
  }

  private control(
    packet: SubscribePacket | UnsubscribePacket,
    internal: boolean,
  ): Promise<SubackPacket | UnsubackPacket> {
    if (this._state === 'closed' || (this._state === 'disconnecting' && !internal)) {
      return Promise.reject(closedError());
    }
    return new Promise((resolve, reject) => {
      const pending: PendingAck = { packet, resolve, reject, internal };
      if (this._state === 'connected' && this.conn?.open) this.sendControl(pending);
      else this.controlQueue.push(pending);
    });
  }

  private sendControl(pending: PendingAck): void {
    const id = this.allocatePacketId();
    pending.packet = { ...pending.packet, packetId: id };
    this.pendingAcks.set(id, pending);
    this.send(pending.packet);
  }

  private inflightHost(): InflightHost {
    const client = this;
    return {
      get protocolVersion() {
        return client.version;
      },
      send: (p) => this.send(p),
      writePublish: (e, id, dup) => this.writePublish(e, id, dup),
    };
  }

  private send(packet: Packet): void {
    const conn = this.conn;
    if (conn === undefined || !conn.open || conn.transport === undefined) return;
    const bytes = encodePacket(packet, this.version);
    if (this.listenerCount('packetsend') > 0) this.emit('packetsend', packet);
    conn.out.push(bytes);
    this.keepAlive.sent = true;
    if (!conn.flushScheduled) {
      conn.flushScheduled = true;
      // One write per turn: many publishes in a loop become one syscall.
      queueMicrotask(() => this.flush(conn));
    }
  }

  private flush(conn: Connection): void {
    conn.flushScheduled = false;
    if (conn.out.length === 0 || conn.transport === undefined) return;
    const data = conn.out.length === 1 ? conn.out[0]! : Buffer.concat(conn.out);
    conn.out = [];
    if (!conn.open) return;
    if (!conn.transport.write(data)) conn.writable = false;
  }

  // ---------------------------------------------------------------- offline deadline

  private scheduleOfflineSweep(): void {
    if (this.offlineTimer !== undefined) return;
    const period = Math.min(1000, Math.max(10, this.opts.offlineTimeout / 4));
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = undefined;
      if (this._state === 'connected' || this._state === 'closed') return;
      const now = Date.now();
      const limit = this.opts.offlineTimeout;
      let waiting = false;
      const expired = (e: Outgoing): boolean => e.offlineSince > 0 && now - e.offlineSince >= limit;
      for (const e of this.queue.removeWhere(expired)) fail(e, offlineError(limit));
      waiting = this.queue.length > 0;
      if (this.inflight.expire(now, limit, () => offlineError(limit))) waiting = true;
      this.notifyIdle();
      if (waiting) this.scheduleOfflineSweep();
    }, period);
  }

  // ---------------------------------------------------------------- incoming

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn !== this.conn || !conn.open) return;
    this.keepAlive.received = true;
    try {
      conn.framer.push(chunk);
    } catch (err) {
      this.protocolFailure(conn, err);
    }
  }

  private onFrame(conn: Connection, header: number, body: Buffer): void {
    if (!conn.open) return;
    const packet = decodePacket(header, body, this.version);
    if (this.listenerCount('packetreceive') > 0) this.emit('packetreceive', packet);
    this.handle(conn, packet);
  }

  private protocolFailure(conn: Connection, err: unknown): void {
    const e =
      err instanceof MqttError ? err : new ClientError(ClientErrorCode.ConnectionLost, String(err));
    if (this.pendingConnack !== undefined) {
      this.failConnecting(conn, e);
      return;
    }
    if (this.version === 5 && conn.open) {
      this.send({ type: PacketType.DISCONNECT, reasonCode: e.reasonCode, properties: undefined });
      this.flush(conn);
    }
    this.emitError(e);
    conn.transport?.destroy();
  }

  private handle(conn: Connection, packet: Packet): void {
    switch (packet.type) {
      case PacketType.CONNACK:
        if (this.pendingConnack === undefined) {
          throw protocolError('CONNACK received twice');
        }
        this.onConnack(conn, packet);
        return;
      case PacketType.PUBLISH:
        this.onPublish(packet);
        return;
      case PacketType.PUBACK:
        this.onAck(this.inflight.onPuback(packet));
        return;
      case PacketType.PUBREC:
        this.onAck(this.inflight.onPubrec(packet));
        return;
      case PacketType.PUBREL:
        this.incomingQos2.delete(packet.packetId);
        this.send({
          type: PacketType.PUBCOMP,
          packetId: packet.packetId,
          reasonCode: 0,
          properties: undefined,
        });
        return;
      case PacketType.PUBCOMP:
        this.onAck(this.inflight.onPubcomp(packet));
        return;
      case PacketType.SUBACK:
      case PacketType.UNSUBACK:
        this.onSubOrUnsubAck(packet);
        return;
      case PacketType.PINGRESP:
        this.keepAlive.pong();
        return;
      case PacketType.DISCONNECT: {
        this.emit('disconnect', packet.reasonCode, packet.properties);
        if (packet.reasonCode < 0x80) {
          conn.transport?.destroy();
          return;
        }
        const err = new ClientError(
          ClientErrorCode.DisconnectedByBroker,
          `broker disconnected: ${reasonText(packet.reasonCode)}${
            packet.properties?.reasonString ? ` (${packet.properties.reasonString})` : ''
          }`,
          packet.reasonCode,
        );
        this.emitError(err);
        // Another connection took the session over, or we are banned: reconnecting would
        // only fight over the client id, so the client closes for good.
        if (packet.reasonCode === 0x8e || packet.reasonCode === 0x8a) {
          conn.transport?.destroy();
          this.shutdown(err);
          return;
        }
        conn.transport?.destroy();
        return;
      }
      case PacketType.AUTH:
        this.onAuth(conn, packet);
        return;
      case PacketType.CONNECT:
      case PacketType.SUBSCRIBE:
      case PacketType.UNSUBSCRIBE:
      case PacketType.PINGREQ:
        throw protocolError(`unexpected packet type ${packet.type} from the broker`);
    }
  }

  private onPublish(packet: PublishPacket): void {
    let topic = packet.topic;
    let properties = packet.properties;
    const alias = properties?.topicAlias;
    if (alias !== undefined) {
      topic = this.aliases.inbound(topic, alias);
      const { topicAlias: _, ...rest } = properties!;
      properties = rest;
    }
    const qos = packet.qos;
    // QoS 1 is acknowledged at once, so only QoS 2 awaiting PUBREL counts against the Receive
    // Maximum we announced; a broker that exceeds it breaks [MQTT-3.3.4-9].
    if (
      qos > 0 &&
      this.version === 5 &&
      this.incomingQos2.size >= this.receiveMaximum &&
      !this.incomingQos2.has(packet.packetId)
    ) {
      throw new MqttError(
        'RECEIVE_MAXIMUM_EXCEEDED',
        'the broker exceeded our Receive Maximum',
        0x93,
      );
    }
    if (qos === 2) {
      const id = packet.packetId;
      const seen = this.incomingQos2.has(id);
      // Exactly once: a PUBLISH whose id still awaits PUBREL is a duplicate, acknowledge only.
      if (!seen) {
        this.incomingQos2.add(id);
        this.deliver(topic, packet, properties);
      }
      this.send({ type: PacketType.PUBREC, packetId: id, reasonCode: 0, properties: undefined });
      return;
    }
    this.deliver(topic, packet, properties);
    if (qos === 1) {
      this.send({
        type: PacketType.PUBACK,
        packetId: packet.packetId,
        reasonCode: 0,
        properties: undefined,
      });
    }
  }

  private deliver(topic: string, packet: PublishPacket, properties: Properties | undefined): void {
    const msg: Message = {
      topic,
      // The codec hands out views into the read buffer; the application keeps its own copy.
      payload: Buffer.from(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      properties: properties === undefined ? undefined : copyProperties(properties),
    };
    try {
      this.emit('message', msg);
    } catch (err) {
      // An application listener's bug must not be mistaken for a protocol error (which would
      // drop the connection): surface it as an uncaught exception, as Node's emitters do.
      queueMicrotask(() => {
        throw err;
      });
    }
    let full = false;
    for (const s of this.streams) {
      if (s.accepts(topic)) {
        s.push(msg);
        if (s.full) full = true;
      }
    }
    if (full && !this.paused) {
      this.paused = true;
      this.conn?.transport?.pause();
    }
  }

  private checkResume(): void {
    if (!this.paused) return;
    for (const s of this.streams) if (s.size > s.highWaterMark >> 1) return;
    this.paused = false;
    this.conn?.transport?.resume();
  }

  private onAck(freed: boolean): void {
    if (freed) this.drainQueue();
  }

  private onSubOrUnsubAck(packet: SubackPacket | UnsubackPacket): void {
    const pending = this.pendingAcks.get(packet.packetId);
    const expected =
      packet.type === PacketType.SUBACK ? PacketType.SUBSCRIBE : PacketType.UNSUBSCRIBE;
    if (pending === undefined || pending.packet.type !== expected) return;
    this.pendingAcks.delete(packet.packetId);
    pending.resolve(packet);
  }

  private onAuth(conn: Connection, packet: AuthPacket): void {
    const hook = this.opts.onAuth;
    const method = this.opts.properties.authenticationMethod;
    if (hook === undefined || method === undefined) {
      throw protocolError('AUTH received but no onAuth hook or authentication method is set');
    }
    if (packet.reasonCode === 0) return; // re-authentication succeeded
    Promise.resolve(
      hook({
        reasonCode: packet.reasonCode,
        authenticationMethod: packet.properties?.authenticationMethod,
        authenticationData: packet.properties?.authenticationData,
        properties: packet.properties,
      }),
    ).then(
      (answer) => {
        if (!conn.open || conn !== this.conn) return;
        const properties: Properties = { authenticationMethod: method };
        if (answer.authenticationData !== undefined) {
          properties.authenticationData = answer.authenticationData;
        }
        if (answer.reasonString !== undefined) properties.reasonString = answer.reasonString;
        if (answer.userProperties !== undefined) properties.userProperties = answer.userProperties;
        this.send({ type: PacketType.AUTH, reasonCode: 0x18, properties });
      },
      (err: unknown) => this.protocolFailure(conn, err),
    );
  }

  // ---------------------------------------------------------------- helpers

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiter = (): void => {
        if (this.isIdle()) done();
      };
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(waiter);
    }).then(() => {
      this.idleWaiters = [];
    });
  }

  private isIdle(): boolean {
    if (this._state === 'closed') return true;
    if (this.queue.length > 0 || this.pendingAcks.size > 0 || this.controlQueue.length > 0) {
      return false;
    }
    if (this.inflight.busy) return false;
    return true;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    for (const w of this.idleWaiters.slice()) w();
  }

  private emitError(err: Error): void {
    // An unobserved 'error' must not crash the process: the client recovers on its own.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
