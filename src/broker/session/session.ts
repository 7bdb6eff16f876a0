import type { ProtocolVersion, QoS } from '../../codec/constants.js';
import type { Will } from '../../codec/types.js';
import { FixedQueue } from '../../shared/fixed-queue.js';
import type { TimerTarget } from '../../shared/timing-wheel.js';
import { Timer } from '../../shared/timing-wheel.js';
import type { Connection } from '../connection.js';
import type { Delivery } from '../message.js';
import type { SubEntry } from '../routing/subscription.js';
import { PacketIdAllocator } from './packet-id.js';

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
  readonly subscriptions = new Map<string, SubEntry>();
  /** Outbound QoS 1/2 deliveries by packet id, in send order. */
  readonly inflight = new Map<number, Delivery>();
  readonly queue = new FixedQueue<Delivery>(4);
  queuedBytes = 0;
  queuedQos0 = 0;
  readonly packetIds = new PacketIdAllocator();
  /** Inbound QoS 2 packet ids received and acknowledged with PUBREC, awaiting PUBREL. */
  readonly inboundQos2 = new Set<number>();
  will: Will | undefined = undefined;
  /** When the queue first overflowed while connected (ms), 0 when it has room. */
  congestedSince = 0;
  /** Whether the session is in the store (persistent sessions only). */
  stored = false;
  /** Last stored queue position. */
  storeSeq = 0;
  /** User name of the last connection (for hooks while offline). */
  username: string | undefined = undefined;

  readonly expiryTimer: Timer;
  readonly willTimer: Timer;
  readonly slowTimer: Timer;

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
    this.expiryTimer = new Timer(this, SessionTimer.Expiry);
    this.willTimer = new Timer(this, SessionTimer.WillDelay);
    this.slowTimer = new Timer(this, SessionTimer.SlowConsumer);
  }

  /** Whether the session outlives its connection. */
  get persistent(): boolean {
    return this.expiryInterval > 0;
  }

  onTimer(kind: number): void {
    this.owner.onSessionTimer(this, kind);
  }
}
