import type { ProtocolVersion } from '../codec/constants.js';
import type {
  AckPacket,
  ConnackPacket,
  Packet,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/types.js';
import type { PacketIdAllocator } from '../shared/packet-id.js';
import type { Connection } from './connection.js';
import type { Inflight, Outgoing } from './inflight.js';
import type { KeepAlive } from './keepalive.js';
import type { BrokerLimits } from './limits.js';
import type { ResolvedOptions } from './options.js';
import type { BoundedQueue } from './queue.js';
import type { ClientState, EventSink } from './state.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { TopicAliases } from './topic-alias.js';
import type { ConnackInfo, Message } from './types.js';

// What the parts of one client (outbound, inbound, control, lifecycle…) need from the client and
// from each other. `ClientContext` implements `ClientCore` and each part implements its `…Part`;
// the parts name only these interfaces, so no part imports the context or another part.

/** The publish path (`Outbound`). */
export interface OutboundPart {
  /** Messages waiting to be sent. */
  readonly queue: BoundedQueue<Outgoing>;
  /** QoS 1/2 messages sent and not yet fully acknowledged. */
  readonly inflight: Inflight;
  /** An acknowledgement arrived; `freed` when it ended an exchange. */
  onAck(freed: boolean): void;
  /** Sends queued messages while the connection and the broker's Receive Maximum allow. */
  drain(): void;
  /** Rejects everything queued or in flight and forgets it. */
  failAll(err: Error): void;
}

/** Messages from the broker (`Inbound`). */
export interface InboundPart {
  onPublish(packet: PublishPacket): void;
  onPubrel(packet: AckPacket): void;
  /** Forgets the QoS 2 ids awaiting PUBREL. */
  clear(): void;
}

/** SUBSCRIBE and UNSUBSCRIBE requests (`ControlRequests`). */
export interface ControlPart {
  /** True while a request is unanswered. */
  readonly busy: boolean;
  request(
    packet: SubscribePacket | UnsubscribePacket,
    internal: boolean,
  ): Promise<SubackPacket | UnsubackPacket>;
  /** After CONNACK: sends the requests still unanswered or waiting. */
  resume(): void;
  onAck(packet: SubackPacket | UnsubackPacket): void;
  failAll(err: Error): void;
}

/** The open `messages()` streams (`StreamSet`). */
export interface StreamsPart {
  push(msg: Message): void;
  endAll(): void;
}

/** The offline deadline (`OfflineSweep`). */
export interface OfflinePart {
  markOffline(now: number): void;
  schedule(): void;
  stop(): void;
}

/** Waiting for the client to be idle (`Idle`). */
export interface IdlePart {
  /** Something finished: lets the waiters check. */
  notify(): void;
}

/** The attempt waiting for CONNACK. */
export interface ConnackSettler {
  resolve: (c: ConnackInfo) => void;
  reject: (e: Error) => void;
}

/** The connection lifecycle (`Lifecycle`). */
export interface LifecyclePart {
  /** The attempt waiting for CONNACK, if any. */
  readonly pendingConnack: ConnackSettler | undefined;
  failConnecting(conn: Connection, err: Error): void;
  onConnack(conn: Connection, packet: ConnackPacket): void;
  shutdown(err: Error): void;
}

/** What the parts of one client share: its state, the connection, the parts and primitives. */
export interface ClientCore {
  state: ClientState;
  /** The protocol level in use (after any fallback). */
  version: ProtocolVersion;
  /** The client identifier in effect (the broker may assign one in v5). */
  clientId: string;
  conn: Connection | undefined;
  /** The last CONNACK. */
  connack: ConnackInfo | undefined;
  readonly opts: ResolvedOptions;
  readonly events: EventSink;
  readonly limits: BrokerLimits;
  readonly aliases: TopicAliases;
  readonly subscriptions: SubscriptionRegistry;
  readonly keepAlive: KeepAlive;
  /** The packet ids in use; whoever allocated one releases it when its exchange ends. */
  readonly packetIds: PacketIdAllocator;
  readonly outbound: OutboundPart;
  readonly inbound: InboundPart;
  readonly control: ControlPart;
  readonly streams: StreamsPart;
  readonly offline: OfflinePart;
  readonly idle: IdlePart;
  readonly lifecycle: LifecyclePart;
  /** Encodes `packet` and queues it on the open connection; dropped when there is none. */
  send(packet: Packet): void;
  /**
   * A packet id not in use by an in-flight message or a pending (UN)SUBSCRIBE; throws
   * `QUEUE_FULL` when all 65535 are taken.
   */
  allocatePacketId(): number;
  /** Reports a failure not tied to a call. */
  emitError(err: Error): void;
}
