/**
 * The Store contract.
 *
 * The broker keeps its authoritative state in memory. A store only makes that state survive a
 * restart: the broker describes every durable change as a {@link ChangeRecord}, hands it to
 * {@link Store.write} (synchronous, cheap, no promise), and the store commits all records of one
 * event-loop turn (`sync`) or of one interval (`batched`) in a single transaction: group commit.
 *
 * Every batch has a sequence number. `write()` returns the number of the batch the record went
 * into, so the broker can hold an acknowledgement (PUBACK, PUBREC, SUBACK) tagged with that number
 * and release every held acknowledgement with `seq <= durableSeq` when the store reports a batch
 * durable through {@link Store.onDurable}: one callback per batch, never one promise per message.
 *
 * On start the broker calls `open()` then `load()` and rebuilds its state from the
 * {@link Snapshot}; after that, the store is write-only until `close()`.
 *
 * Times are milliseconds since the Unix epoch (`Date.now()` scale); intervals are in seconds,
 * exactly as MQTT carries them.
 *
 * @packageDocumentation
 */
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { Properties } from '../codec/types.js';

/**
 * How durable an acknowledged change is.
 * - `sync`: a batch is reported durable only after its transaction is committed and flushed to
 *   disk. The broker sends PUBACK/PUBREC/SUBACK for persistent state only after that.
 * - `batched`: batches are committed every `intervalMs`; the broker acknowledges at once, so a
 *   crash loses at most the last interval of changes.
 * - `none`: memory only; nothing survives the process.
 */
export type DurabilityMode = 'sync' | 'batched' | 'none';

/** Options shared by every store. */
export interface StoreOptions {
  /** Default `sync` for durable stores, `none` for the memory store. */
  durability?: DurabilityMode;
  /** Commit interval for `batched` mode, milliseconds. Default 10. */
  intervalMs?: number;
  /**
   * Receives operational messages that are not errors of one call (damage dropped at open,
   * a migration that ran, a commit retried). The broker passes its pino logger's methods here.
   */
  log?: StoreLogger;
}

/** A minimal logger shape (pino's methods fit): the store never logs on the hot path. */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

// ---------------------------------------------------------------------------------------------
// Stored shapes. All plain data (Buffers, strings, numbers, booleans, arrays, plain objects):
// a store may serialise them, and `load()` returns equal but not identical objects.
// ---------------------------------------------------------------------------------------------

/** A session that outlives its connection (clean session false / v5 session expiry > 0). */
export interface StoredSession {
  clientId: string;
  protocolVersion: ProtocolVersion;
  /**
   * Session Expiry Interval in seconds; 0xFFFFFFFF never expires. v3 persistent sessions use
   * whatever the broker's configured maximum is.
   */
  expiryInterval: number;
  /**
   * When the connection ended; `undefined` while the client is connected. After a crash, a
   * session still marked connected should be treated as disconnected at
   * {@link Snapshot.lastCommitAt}.
   */
  disconnectedAt: number | undefined;
  /** The authenticated user name, if any (kept so ACLs apply after restart). */
  username: string | undefined;
}

/** One subscription of one session. Key: (clientId, filter). */
export interface StoredSubscription {
  clientId: string;
  /** The filter exactly as subscribed, including a `$share/group/` prefix. */
  filter: string;
  /** Granted QoS. */
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  /** v5 Subscription Identifier, `undefined` when none was given. */
  subscriptionId: number | undefined;
}

/**
 * An application message stored once and referenced by every queue entry (and held inbound
 * QoS 2 record) that needs it. Key: `id`.
 *
 * The broker assigns ids (positive safe integers, never reused while referenced) and continues
 * above the largest id in the snapshot after a restart. It should delete a message
 * (`msg.delete`) when its last reference goes; `load()` in any case returns only messages still
 * referenced by a queue entry or an incoming record, and stores may drop the others.
 */
export interface StoredMessage {
  id: number;
  topic: string;
  payload: Buffer;
  /** QoS as published (each queue entry carries the QoS granted to its subscriber). */
  qos: QoS;
  retain: boolean;
  /** v5 properties to forward (without topic alias or subscription identifiers). */
  properties: Properties | undefined;
  /** From Message Expiry Interval: absolute expiry time, `undefined` if it never expires. */
  expiresAt: number | undefined;
  /** Client id of the publisher (for No Local), `undefined` if internal (will, $SYS, API). */
  origin: string | undefined;
}

/**
 * Where an outbound message for one session stands.
 * - `queued`: not sent yet (or sent at QoS 0 and never stored).
 * - `awaitingPuback`: QoS 1 sent with `packetId`, PUBACK not received.
 * - `awaitingPubrec`: QoS 2 sent with `packetId`, PUBREC not received.
 * - `awaitingPubcomp`: PUBREL sent for `packetId`, PUBCOMP not received (message no longer
 *   needed; `messageId` may already be deleted).
 */
export type QueueEntryState = 'queued' | 'awaitingPuback' | 'awaitingPubrec' | 'awaitingPubcomp';

/** One outbound message in one session's queue / in-flight window. Key: (clientId, seq). */
export interface StoredQueueEntry {
  clientId: string;
  /** Per-session position, strictly increasing in delivery order (broker-assigned). */
  seq: number;
  /** The {@link StoredMessage} to deliver; may be dangling only in state `awaitingPubcomp`. */
  messageId: number;
  /** QoS of the delivery (min of published and granted). */
  qos: QoS;
  state: QueueEntryState;
  /** Packet id once sent (states other than `queued`), 0 otherwise. */
  packetId: number;
  /** Subscription identifiers to send with this delivery (v5), empty if none. */
  subscriptionIds: number[];
  /** Retain flag as delivered (Retain As Published / retained-on-subscribe). */
  retain: boolean;
}

/**
 * An inbound QoS 2 PUBLISH whose packet id was PUBRECed and whose PUBREL has not arrived.
 * Key: (clientId, packetId). A re-sent PUBLISH with this packet id must not be delivered again.
 */
export interface StoredIncoming {
  clientId: string;
  packetId: number;
  /**
   * The message held until PUBREL when the broker defers distribution (method A), or
   * `undefined` when it was distributed on receipt and only the packet id is remembered.
   */
  messageId: number | undefined;
}

/** A retained message. Key: `topic`. Stored whole (not by message id). */
export interface StoredRetained {
  topic: string;
  payload: Buffer;
  qos: QoS;
  properties: Properties | undefined;
  expiresAt: number | undefined;
}

/** The Last Will of a session. Key: `clientId`. */
export interface StoredWill {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: Properties | undefined;
  /** v5 Will Delay Interval in seconds (0 for v3). */
  delayInterval: number;
  /**
   * When the will must be published: set when the connection ended abnormally and the will is
   * waiting for its delay (or session end); `undefined` while the client is connected.
   */
  dueAt: number | undefined;
}

/** What a {@link StoredSecurityEntry} describes. */
export type SecurityEntryType = 'user' | 'role' | 'client';

/**
 * One object of dynamic security (runtime users, roles and per-client rules; docs/admin.md).
 * Key: (type, name). The store keeps `data` opaque: the dynamic-security module owns the shape,
 * checks it when loaded, and can grow it without a change to any store's format.
 */
export interface StoredSecurityEntry {
  type: SecurityEntryType;
  /** User name, role name or client id. */
  name: string;
  /** The object as JSON text. */
  data: string;
}

// ---------------------------------------------------------------------------------------------
// Change records
// ---------------------------------------------------------------------------------------------

/**
 * One durable change. `*.put` inserts or replaces by key; `*.delete` of a missing key is a no-op.
 *
 * `session.delete` cascades: it also removes that client's subscriptions, queue entries,
 * incoming records and will (messages are left to `msg.delete` / the load-time sweep).
 */
export type ChangeRecord =
  | { kind: 'session.put'; session: StoredSession }
  | { kind: 'session.delete'; clientId: string }
  | { kind: 'sub.put'; sub: StoredSubscription }
  | { kind: 'sub.delete'; clientId: string; filter: string }
  | { kind: 'msg.put'; msg: StoredMessage }
  | { kind: 'msg.delete'; id: number }
  | { kind: 'queue.put'; entry: StoredQueueEntry }
  /** Changes state and packet id of an existing entry; a missing entry is ignored. */
  | {
      kind: 'queue.update';
      clientId: string;
      seq: number;
      state: QueueEntryState;
      packetId: number;
    }
  | { kind: 'queue.delete'; clientId: string; seq: number }
  | { kind: 'incoming.put'; incoming: StoredIncoming }
  | { kind: 'incoming.delete'; clientId: string; packetId: number }
  | { kind: 'retain.put'; retained: StoredRetained }
  | { kind: 'retain.delete'; topic: string }
  | { kind: 'will.put'; will: StoredWill }
  | { kind: 'will.delete'; clientId: string }
  | { kind: 'security.put'; entry: StoredSecurityEntry }
  | { kind: 'security.delete'; type: SecurityEntryType; name: string };

/** The `kind` discriminator of {@link ChangeRecord}. */
export type ChangeKind = ChangeRecord['kind'];

/**
 * Everything a store holds, as returned by {@link Store.load}. Arrays are in no promised order,
 * except `queue`.
 */
export interface Snapshot {
  sessions: StoredSession[];
  subscriptions: StoredSubscription[];
  /** Only messages referenced by a queue entry or an incoming record. */
  messages: StoredMessage[];
  /** Grouped by clientId, each group in ascending seq order. */
  queue: StoredQueueEntry[];
  incoming: StoredIncoming[];
  retained: StoredRetained[];
  wills: StoredWill[];
  /** Dynamic-security users, roles and client rules. */
  security: StoredSecurityEntry[];
  /**
   * Time of the last committed batch (≈ when the previous process stopped), `undefined` for an
   * empty store. Use it for sessions and wills that were still "connected" at a crash.
   */
  lastCommitAt: number | undefined;
}

/** A snapshot of an empty store, the starting point of {@link Store.load} implementations. */
export function emptySnapshot(): Snapshot {
  return {
    sessions: [],
    subscriptions: [],
    messages: [],
    queue: [],
    incoming: [],
    retained: [],
    wills: [],
    security: [],
    lastCommitAt: undefined,
  };
}

/** Called once per durable batch with its sequence number (all earlier batches are durable). */
export type DurableListener = (seq: number) => void;

/**
 * Called once per failed commit. The failed batch's records are retried with the next batch,
 * so the disk converges on the broker's state once writes succeed again; until a later batch
 * succeeds, the broker must not acknowledge new QoS>0 messages (v5 0x97/0x80, v3 disconnect).
 */
export type StoreErrorListener = (err: StoreError, seq: number) => void;

/** The Store interface every persistence back end implements. */
export interface Store {
  /** The effective durability mode. */
  readonly durability: DurabilityMode;
  /** Sequence number of the newest durable batch (0 before the first). */
  readonly durableSeq: number;
  /** `false` after a failed commit, `true` again once a later batch is durable. */
  readonly healthy: boolean;

  /** Opens (creating if needed). Rejects with a {@link StoreError} with a clear message. */
  open(): Promise<void>;
  /** Everything stored, for restore on start. Call after `open()`, before the first write. */
  load(): Promise<Snapshot>;

  /**
   * Appends a change to the current batch and returns the batch's sequence number. Never
   * throws for I/O (failures surface through {@link Store.onError} / {@link Store.whenDurable});
   * throws only for misuse (write after close). The record and its Buffers must not be mutated
   * afterwards.
   */
  write(record: ChangeRecord, ref?: number): number;

  /**
   * Optional: how many records were written so far; right after a `write()` it is that
   * record's token. The broker passes the token of a `msg.put` or `queue.put` as `ref` when it
   * writes the `queue.update`, `queue.delete` or `msg.delete` for the same key, so a store may
   * cancel the pair (a message stored and acknowledged before its batch is sealed never reaches
   * the disk). A store without this member ignores `ref`; `ref` never changes the net effect.
   */
  readonly written?: number;

  /**
   * Optional: commit timings (count, total and last duration in seconds), read by the metrics
   * on scrape. Batched stores keep them per batch.
   */
  readonly commitStats?: {
    readonly count: number;
    readonly seconds: number;
    readonly lastSeconds: number;
  };

  /** Registers the per-batch durability callback (several listeners allowed). */
  onDurable(listener: DurableListener): void;
  /** Registers the commit failure callback. */
  onError(listener: StoreErrorListener): void;

  /**
   * Resolves once batch `seq` (and every earlier one) is durable; rejects if that batch's commit
   * fails. All callers waiting for the same batch share one promise.
   */
  whenDurable(seq: number): Promise<void>;

  /** Commits the current batch now (without waiting for the scheduled turn) and awaits it. */
  flush(): Promise<void>;

  /** Flushes pending writes, then releases files and locks. Idempotent. */
  close(): Promise<void>;
}

/** Error codes of {@link StoreError}. */
export type StoreErrorCode =
  | 'LOCKED' // another broker holds the data directory
  | 'CORRUPT' // the database cannot be read; refused to start
  | 'FORMAT' // on-disk format newer than this build, or no migration path
  | 'OPEN' // cannot create/open the data directory or files
  | 'WRITE' // a commit failed (disk full, I/O error)
  | 'CLOSED'; // used after close()

/** Every error a store reports. `code` is stable; `message` is for humans. */
export class StoreError extends Error {
  /** What went wrong, stable across releases. */
  readonly code: StoreErrorCode;

  /** An error with a stable `code` and a message for humans. */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
