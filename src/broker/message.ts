import type { QoS } from '../codec/constants.js';
import type { Properties } from '../codec/types.js';
import { releaseBody } from '../shared/body-pool.js';
import type { SharedGroup } from './routing/shared.js';

/**
 * Debug mode (`PETREL_DEBUG_PINS=1`, set by the test runner): released messages are marked, and a
 * pin, unpin or keep after the release (the memory may already hold another message) is
 * reported as a `PetrelPinWarning`; {@link pinnedMessages} counts the recycled payloads not yet
 * released, so that a test can check that none is left behind.
 */
const debugPins = process.env.PETREL_DEBUG_PINS === '1';
const RELEASED = -2;
const live = new Set<Message>();

function unbalanced(msg: Message, what: string): void {
  process.emitWarning(`${what} of a released payload (topic ${msg.topic})`, 'PetrelPinWarning');
}

/** Debug mode: messages whose recycled payload is still held (0 when not in debug mode). */
export function pinnedMessages(): number {
  return live.size;
}

const levelCache = new Map<string, string[]>();
const LEVEL_CACHE_MAX = 10_000;

/**
 * Topic levels of `topic`, from a bounded cache: most traffic repeats a limited set of topics, so
 * a Map lookup replaces a split (and its allocations) per message. The arrays are shared: never
 * mutate them.
 */
export function topicLevels(topic: string): string[] {
  let levels = levelCache.get(topic);
  if (levels === undefined) {
    levels = topic.split('/');
    if (levelCache.size >= LEVEL_CACHE_MAX) levelCache.clear();
    levelCache.set(topic, levels);
  }
  return levels;
}

/**
 * One application message inside the broker: built once per inbound PUBLISH (or will, or $SYS
 * update) and shared by every subscriber it is routed to. Per-subscriber state (granted QoS,
 * packet id) lives in {@link Delivery}.
 */
export class Message {
  /** Topic levels, split once. */
  readonly levels: string[];
  /** Absolute expiry time (ms since the epoch), 0 = never. */
  expiresAt: number;
  /** Whether `payload` and buffer properties are private copies (safe to keep). */
  owned: boolean;
  /** Store id once persisted, 0 otherwise. */
  storeId: number;
  /** Queues and inflight windows of persistent sessions holding this message. */
  refs: number;
  /** Store token of this message's `msg.put`, for retracting it (0 = none). */
  putToken: number;
  /**
   * Holders of a payload in recycled frame memory: the publish in progress, each
   * {@link Delivery} and each socket write not yet taken by the kernel. At 0 the memory goes
   * back to the pool. -1: never recycled (not pooled, or seen by a store, a retained index or
   * anything else that may keep it). Changed only through {@link recycle}, {@link pin},
   * {@link unpin} and {@link keep}.
   */
  pins: number;
  /** Received from another node of the cluster: routed locally, never forwarded or retained. */
  remote: boolean;
  /**
   * In a cluster, the shared groups (`SharedGroup.key`) this node serves for this message, the
   * others being served by other nodes; undefined = every matching group (no cluster).
   */
  sharedPick: Set<string> | undefined;

  constructor(
    readonly topic: string,
    public payload: Buffer,
    readonly qos: QoS,
    readonly retain: boolean,
    /** Forwardable v5 properties (no topic alias or subscription identifiers). */
    public properties: Properties | undefined,
    /** Client id of the publisher ('' for wills and broker messages); used by No Local. */
    readonly origin: string,
    now: number,
    levels?: string[],
  ) {
    this.levels = levels ?? topicLevels(topic);
    const expiry = properties?.messageExpiryInterval;
    this.expiresAt = expiry === undefined ? 0 : now + expiry * 1000;
    this.owned = false;
    this.storeId = 0;
    this.refs = 0;
    this.putToken = 0;
    this.pins = -1;
    this.remote = false;
    this.sharedPick = undefined;
  }

  /** Copies the payload (and correlation data) so that the message can outlive the read chunk. */
  own(): void {
    if (this.owned) return;
    this.owned = true;
    this.payload = Buffer.from(this.payload);
    const cd = this.properties?.correlationData;
    if (cd !== undefined && this.properties !== undefined) {
      this.properties = { ...this.properties, correlationData: Buffer.from(cd) };
    }
  }

  /**
   * The payload lies in recycled memory lent by the body pool: the publish in progress is its
   * first holder, and the memory goes back to the pool when the last holder {@link unpin}s it.
   */
  recycle(): void {
    this.pins = 1;
    if (debugPins) live.add(this);
  }

  /** Adds a holder of the recycled payload (a no-op unless it is recycled). */
  pin(): void {
    if (this.pins > 0) this.pins++;
    else if (this.pins === RELEASED) unbalanced(this, 'pin');
  }

  /** Drops a holder of the recycled payload; the last one gives its memory back. */
  unpin(): void {
    if (this.pins <= 0) {
      if (this.pins === RELEASED) unbalanced(this, 'unpin');
      return;
    }
    if (--this.pins === 0) {
      this.pins = debugPins ? RELEASED : -1;
      if (debugPins) live.delete(this);
      releaseBody(this.payload);
    }
  }

  /** Makes the payload permanent: something may keep it beyond what the pins track. */
  keep(): void {
    if (this.pins === RELEASED) unbalanced(this, 'keep');
    else if (debugPins && this.pins > 0) live.delete(this);
    this.pins = -1;
  }

  /** Whether the message has expired at `now`. */
  expired(now: number): boolean {
    return this.expiresAt !== 0 && this.expiresAt <= now;
  }

  /** Remaining expiry in whole seconds (at least 1), or undefined when the message never expires. */
  remainingExpiry(now: number): number | undefined {
    if (this.expiresAt === 0) return undefined;
    return Math.max(1, Math.ceil((this.expiresAt - now) / 1000));
  }
}

/**
 * One message on its way to one session: queued, or in flight awaiting an acknowledgement.
 */
export class Delivery {
  /** 0 until sent with a QoS > 0. */
  packetId = 0;
  /** See {@link DeliveryState}. */
  state: number = DeliveryState.Queued;
  /** Sent at least once (resends carry DUP). */
  sent = false;
  /** Position in the session's stored queue, 0 when not stored. */
  storeSeq = 0;
  /** Store token of this delivery's `queue.put`, for retracting it (0 = none). */
  putToken = 0;

  constructor(
    readonly message: Message,
    readonly qos: QoS,
    readonly retain: boolean,
    readonly subscriptionIds: number[] | undefined,
    /** The shared subscription that chose this session, if any (re-routed if it disconnects). */
    readonly group: SharedGroup | undefined,
  ) {
    message.pin();
  }
}

/** Lifecycle of a {@link Delivery}. */
export const DeliveryState = {
  Queued: 0,
  AwaitingPuback: 1,
  AwaitingPubrec: 2,
  AwaitingPubcomp: 3,
} as const;
