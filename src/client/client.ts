import type { ProtocolVersion } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { validateTopicFilter } from '../codec/topic.js';
import type {
  Properties,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/types.js';
import { ClientContext } from './context.js';
import { Emitter } from './emitter.js';
import { ClientError, ClientErrorCode, closedError, invalid } from './errors.js';
import { Stage } from './inflight.js';
import type { MessageStream } from './message-stream.js';
import type { ClientOptions } from './options.js';
import { resolveOptions } from './options.js';
import { disconnectPacket } from './packets.js';
import { publishProperties, toBuffer } from './properties.js';
import type { RequestOptions } from './request.js';
import { Requester } from './request.js';
import type { ClientEvents, ClientState, EventSink } from './state.js';
import { buildSubscribe, buildUnsubscribe } from './subscriptions.js';
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

export type { ClientEvents, ClientState } from './state.js';

/**
 * An MQTT 3.1 / 3.1.1 / 5.0 client. Create it with {@link connect}, or construct it and call
 * {@link MqttClient.connect}.
 */
export class MqttClient extends Emitter<ClientEvents> {
  private readonly ctx: ClientContext;
  private requester: Requester | undefined;

  constructor(url?: string | ClientOptions, options: ClientOptions = {}) {
    super();
    if (typeof url === 'object') {
      options = url;
      url = undefined;
    }
    const events: EventSink = {
      emit: (event, ...args) => this.emit(event, ...args),
      listenerCount: (event) => this.listenerCount(event),
    };
    this.ctx = new ClientContext(resolveOptions(url, options), events);
  }

  /** Current connection state. */
  get state(): ClientState {
    return this.ctx.state;
  }

  /** True while a CONNACK-accepted connection is up. */
  get connected(): boolean {
    return this.ctx.state === 'connected';
  }

  /** The client identifier in effect (the broker may assign one in v5). */
  get clientId(): string {
    return this.ctx.clientId;
  }

  /** The protocol level in use (after any fallback). */
  get protocolVersion(): ProtocolVersion {
    return this.ctx.version;
  }

  /** The last CONNACK, or undefined before the first connection. */
  get connackInfo(): ConnackInfo | undefined {
    return this.ctx.connack;
  }

  /** Messages waiting to be sent (offline or beyond the broker's Receive Maximum). */
  get queuedMessages(): number {
    return this.ctx.outbound.queue.length;
  }

  /** QoS 1/2 messages sent and not yet fully acknowledged. */
  get inflightMessages(): number {
    return this.ctx.outbound.inflight.size;
  }

  /**
   * Opens the connection; resolves when CONNACK accepts it, rejects with a
   * {@link ConnectionRefusedError} (carrying the return/reason code) or a {@link ClientError}.
   */
  connect(): Promise<ConnackInfo> {
    const ctx = this.ctx;
    if (ctx.state !== 'new') {
      return Promise.reject(
        new ClientError(ClientErrorCode.InvalidArgument, `connect() called in state ${ctx.state}`),
      );
    }
    if (ctx.version !== 5 && ctx.clientId === '' && !ctx.opts.clean) {
      // [MQTT-3.1.3-7] a zero-byte client id needs Clean Session 1 before MQTT 5.
      ctx.lifecycle.shutdown(closedError());
      return Promise.reject(invalid('an empty client id needs clean: true before MQTT 5'));
    }
    return ctx.lifecycle.start();
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
    const outbound = this.ctx.outbound;
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : toBuffer(payload);
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic,
      payload: body,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
      packetId: 0,
      properties: this.ctx.version === 5 ? publishProperties(options.properties) : undefined,
    };
    const failure = outbound.check(packet);
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<PublishResult>((resolve, reject) => {
      outbound.submit({
        packet,
        bytes: body.length + topic.length,
        stage: Stage.Queued,
        settled: false,
        offlineSince: 0,
        resolve,
        reject,
      });
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
      packet = buildSubscribe(filters, options, this.ctx.version);
    } catch (err) {
      return Promise.reject(err);
    }
    const subscriptions = this.ctx.subscriptions;
    return this.ctx.control
      .request(packet, false)
      .then((ack) => subscriptions.subscribed(packet, ack as SubackPacket));
  }

  /** Unsubscribes; resolves on UNSUBACK (v5: with a reason code per filter). */
  unsubscribe(
    filters: string | string[],
    options: { userProperties?: Array<[string, string]> } = {},
  ): Promise<UnsubscribeResult> {
    const list = typeof filters === 'string' ? [filters] : filters;
    let packet: UnsubscribePacket;
    try {
      packet = buildUnsubscribe(list, options, this.ctx.version);
    } catch (err) {
      return Promise.reject(err);
    }
    const subscriptions = this.ctx.subscriptions;
    return this.ctx.control
      .request(packet, false)
      .then((ack) => subscriptions.unsubscribed(list, ack as UnsubackPacket));
  }

  /**
   * An async iterator over received messages, optionally only those matching `filter` (it does
   * not subscribe). Reading from the broker pauses while the consumer lags behind.
   */
  messages(filter?: string): MessageStream {
    if (filter !== undefined) validateTopicFilter(filter);
    return this.ctx.streams.open(filter);
  }

  /**
   * MQTT 5 request/response: publishes `payload` to `topic` with a Response Topic (subscribed
   * on first use) and unique Correlation Data; resolves with the matching response message.
   */
  request(topic: string, payload: string | Uint8Array, options?: RequestOptions): Promise<Message> {
    this.requester ??= new Requester(this, this.ctx.opts.responseTopicPrefix);
    return this.requester.request(topic, payload, options);
  }

  /**
   * v5 enhanced re-authentication: sends AUTH (0x19) with new authentication data; the
   * `onAuth` hook answers any further challenge.
   */
  reauthenticate(authenticationData?: Buffer): void {
    const method = this.ctx.opts.properties.authenticationMethod;
    if (this.ctx.version !== 5 || method === undefined) {
      throw invalid('reauthenticate() needs MQTT 5 and properties.authenticationMethod');
    }
    const properties: Properties = { authenticationMethod: method };
    if (authenticationData !== undefined) properties.authenticationData = authenticationData;
    this.ctx.send({ type: PacketType.AUTH, reasonCode: 0x19, properties });
  }

  /**
   * Waits (at most `timeout` ms) for queued and in-flight messages, sends DISCONNECT, closes
   * the connection and resolves. Later calls resolve at once.
   */
  async disconnect(options: DisconnectOptions = {}): Promise<void> {
    const ctx = this.ctx;
    if (ctx.state === 'closed') return;
    if (ctx.state === 'new') {
      ctx.lifecycle.shutdown(closedError());
      return;
    }
    const wasState = ctx.state;
    ctx.state = 'disconnecting';
    if (wasState === 'connected' || wasState === 'reconnecting' || wasState === 'connecting') {
      await ctx.idle.wait(options.timeout ?? ctx.opts.disconnectTimeout);
    }
    ctx.lifecycle.stopReconnect();
    const conn = ctx.conn;
    if (conn?.transport !== undefined && conn.open && ctx.connack !== undefined) {
      ctx.send(disconnectPacket(options));
      conn.flush();
      await conn.close(1000);
    }
    ctx.lifecycle.shutdown(closedError());
  }

  /** Closes the connection at once without DISCONNECT (the broker publishes the will). */
  destroy(): void {
    const ctx = this.ctx;
    if (ctx.state === 'closed') return;
    const conn = ctx.conn;
    ctx.lifecycle.shutdown(closedError());
    conn?.transport?.destroy();
  }
}
