import type { ProtocolVersion, QoS } from '../../codec/constants.js';
import type { Will } from '../../codec/types.js';
import { FixedQueue } from '../../shared/fixed-queue.js';
import { PacketIdAllocator } from '../../shared/packet-id.js';
import type { TimerTarget, TimingWheel } from '../../shared/timing-wheel.js';
import { Timer } from '../../shared/timing-wheel.js';
import type { Connection } from '../connection.js';
import type { Delivery } from '../message.js';
import type { SubEntry } from '../routing/subscription.js';
import { InflightTable } from './inflight.js';

/** Timer kinds of a session. */
export const SessionTimer = { Expiry: 1, WillDelay: 2, SlowConsumer: 3 } as const;

/** Receives the timers of every session (the broker). */
export interface SessionOwner {
  onSessionTimer(session: Session, kind: number): void;
}

/** Session expiry meaning "never" (v5 0xFFFFFFFF). */
export const NEVER_EXPIRES = 0xffffffff;

/**
 * The state the broker keeps per client id, connected or not: subscriptions, outbound messages
 * queued and in flight, inbound QoS 2 packet ids awaiting PUBREL, and the will.
 */
export class Session implements TimerTarget {
  connection: Connection | undefined = undefined;
  protocolVersion: ProtocolVersion;
  /** Seconds the session outlives its connection; 0 = ends with it. */
  expiryInterval = 0;
  queuedBytes = 0;
  queuedQos0 = 0;
  will: Will | undefined = undefined;
  /** When the queue first overflowed while connected (ms), 0 when it has room. */
  congestedSince = 0;
  /** Whether the session is in the store (persistent sessions only). */
  stored = false;
  /** Last stored queue position. */
  storeSeq = 0;
  /** User name of the last connection (for hooks while offline). */
  username: string | undefined = undefined;
  /** Publishing connections not read until this session's queue drains (flow.ts). */
  waiters: Connection[] | undefined = undefined;
  /** A message for this session was dropped while it was offline, and logged (once per absence). */
  dropLogged = false;

  // Containers and timers are created on first use: most sessions of an idle fleet never queue,
  // subscribe or go offline, and these were most of an idle connection's heap.
  private _subscriptions: Map<string, SubEntry> | undefined = undefined;
  private _inflight: InflightTable<Delivery> | undefined = undefined;
  private _queue: FixedQueue<Delivery> | undefined = undefined;
  private _packetIds: PacketIdAllocator | undefined = undefined;
  private _inboundQos2: Set<number> | undefined = undefined;
  private _expiryTimer: Timer | undefined = undefined;
  private _willTimer: Timer | undefined = undefined;
  private _slowTimer: Timer | undefined = undefined;

  // Scratch fields of TopicTrie.match: per-publish de-duplication without allocation.
  matchEpoch = -1;
  matchQos: QoS = 0;
  matchRap = false;
  matchSubIds: number[] | undefined = undefined;

  constructor(
    readonly clientId: string,
    protocolVersion: ProtocolVersion,
    private readonly owner: SessionOwner,
  ) {
    this.protocolVersion = protocolVersion;
  }

  /** Subscriptions by topic filter (as subscribed, `$share/…` included). */
  get subscriptions(): Map<string, SubEntry> {
    let v = this._subscriptions;
    if (v === undefined) v = this._subscriptions = new Map();
    return v;
  }

  /** Outbound QoS 1/2 deliveries by packet id, in send order. */
  get inflight(): InflightTable<Delivery> {
    let v = this._inflight;
    if (v === undefined) v = this._inflight = new InflightTable();
    return v;
  }

  /** Deliveries waiting for the connection, the in-flight window or the socket to drain. */
  get queue(): FixedQueue<Delivery> {
    let v = this._queue;
    if (v === undefined) v = this._queue = new FixedQueue<Delivery>(4);
    return v;
  }

  get packetIds(): PacketIdAllocator {
    let v = this._packetIds;
    if (v === undefined) v = this._packetIds = new PacketIdAllocator();
    return v;
  }

  /** Inbound QoS 2 packet ids received and acknowledged with PUBREC, awaiting PUBREL. */
  get inboundQos2(): Set<number> {
    let v = this._inboundQos2;
    if (v === undefined) v = this._inboundQos2 = new Set();
    return v;
  }

  get expiryTimer(): Timer {
    let v = this._expiryTimer;
    if (v === undefined) v = this._expiryTimer = new Timer(this, SessionTimer.Expiry);
    return v;
  }

  get willTimer(): Timer {
    let v = this._willTimer;
    if (v === undefined) v = this._willTimer = new Timer(this, SessionTimer.WillDelay);
    return v;
  }

  get slowTimer(): Timer {
    let v = this._slowTimer;
    if (v === undefined) v = this._slowTimer = new Timer(this, SessionTimer.SlowConsumer);
    return v;
  }

  /** Whether a delayed will is waiting to be published (without creating its timer). */
  get willPending(): boolean {
    return this._willTimer?.armed === true;
  }

  /** Whether the session has subscriptions (without creating the map). */
  get hasSubscriptions(): boolean {
    return this._subscriptions !== undefined && this._subscriptions.size > 0;
  }

  /** Messages in flight (without creating the map). */
  get inflightCount(): number {
    return this._inflight === undefined ? 0 : this._inflight.size;
  }

  /** Deliveries queued (without creating the queue). */
  get queuedCount(): number {
    return this._queue === undefined ? 0 : this._queue.length;
  }

  /** Disarms the expiry and slow-consumer timers (the will timer is the caller's business). */
  cancelTimers(wheel: TimingWheel): void {
    if (this._expiryTimer !== undefined) wheel.cancel(this._expiryTimer);
    if (this._slowTimer !== undefined) wheel.cancel(this._slowTimer);
  }

  /** Drops every subscription entry, queued and in-flight delivery and packet id. */
  clearState(): void {
    this._subscriptions?.clear();
    this._queue?.clear();
    this._inflight?.clear();
    this._packetIds?.clear();
    this._inboundQos2?.clear();
    this.queuedBytes = 0;
    this.queuedQos0 = 0;
  }

  /** Whether the session outlives its connection. */
  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  onTimer(kind: number): void {
    this.owner.onSessionTimer(this, kind);
  }
}
