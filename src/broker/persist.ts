import type { QoS } from '../codec/constants.js';
import type {
  ChangeRecord,
  QueueEntryState,
  Snapshot,
  Store,
  StoredMessage,
  StoredSecurityEntry,
  StoreError,
} from '../persistence/types.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import { Delivery, DeliveryState, Message } from './message.js';
import type { SubEntry } from './routing/subscription.js';
import { NEVER_EXPIRES, Session } from './session/session.js';

/** Shared by every stored entry without subscription identifiers (never mutated). */
const NO_IDS: number[] = [];

const STATE_NAMES: readonly QueueEntryState[] = [
  'queued',
  'awaitingPuback',
  'awaitingPubrec',
  'awaitingPubcomp',
];

/**
 * Writes the broker's durable changes to the {@link Store} as change records, and releases
 * acknowledgements held for `sync` durability when the store reports a batch durable: one
 * callback per batch, walking only the connections that hold acks.
 */
export class Persister {
  /** Acks wait for the store (sync durability). */
  readonly holdsAcks: boolean;
  /** Sequence number of the batch the last record went into. */
  seq = 0;
  private readonly waiting = new Set<Connection>();
  /** Callbacks of {@link whenDurable}, in the order (and so the seq) they were registered. */
  private readonly durableWaiters: Array<{ seq: number; fn: () => void }> = [];
  private nextMessageId = 1;
  /** Dynamic-security entries of the restored snapshot (src/auth/dynamic loads them). */
  restoredSecurity: StoredSecurityEntry[] = [];

  /**
   * False for the broker's own memory store without durability: nobody can ever read it back, so
   * change records would be pure overhead.
   */
  private readonly on: boolean;
  /** The store hands out record tokens (see Store.written). */
  private readonly tokens: boolean;

  constructor(
    private readonly broker: BrokerCore,
    readonly store: Store,
    enabled = true,
  ) {
    this.on = enabled;
    this.tokens = store.written !== undefined;
    this.holdsAcks = enabled && store.durability === 'sync';
    store.onDurable((seq) => this.onDurable(seq));
    store.onError((err: StoreError, seq: number) => {
      broker.log.error({ err, seq }, 'store commit failed');
    });
  }

  /** Whether records were written that are not durable yet. */
  get dirty(): boolean {
    return this.seq > this.store.durableSeq;
  }

  /** Registers a connection holding acks until the current batch is durable. */
  awaitCommit(conn: Connection): void {
    this.waiting.add(conn);
  }

  private onDurable(seq: number): void {
    for (const conn of this.waiting) {
      conn.releaseAcks(seq);
      if (!conn.hasHeldAcks) this.waiting.delete(conn);
    }
    const w = this.durableWaiters;
    let n = 0;
    while (n < w.length && (w[n] as { seq: number }).seq <= seq) n++;
    if (n === 0) return;
    for (const { fn } of w.splice(0, n)) {
      try {
        fn();
      } catch (err) {
        this.broker.log.error({ err }, 'whenDurable callback threw');
      }
    }
  }

  /**
   * Calls `fn` once every record written so far is durable: at once when nothing waits for a
   * commit, or when acks are not held for commits (`batched` and `none` promise nothing).
   */
  whenDurable(fn: () => void): void {
    if (!this.holdsAcks || !this.dirty) {
      fn();
      return;
    }
    this.durableWaiters.push({ seq: this.seq, fn });
  }

  /** Forgets a closed connection. */
  forget(conn: Connection): void {
    this.waiting.delete(conn);
  }

  sessionPut(s: Session): void {
    if (!this.on) return;
    if (!s.persistent) return;
    s.stored = true;
    const now = this.broker.clock.now;
    this.seq = this.store.write({
      kind: 'session.put',
      session: {
        clientId: s.clientId,
        protocolVersion: s.protocolVersion,
        expiryInterval: s.expiryInterval,
        disconnectedAt: s.connection === undefined ? now : undefined,
        username: s.username,
      },
    });
    const w = s.will;
    if (w === undefined) {
      this.seq = this.store.write({ kind: 'will.delete', clientId: s.clientId });
      return;
    }
    const delay = w.properties?.willDelayInterval ?? 0;
    this.seq = this.store.write({
      kind: 'will.put',
      will: {
        clientId: s.clientId,
        topic: w.topic,
        payload: w.payload,
        qos: w.qos,
        retain: w.retain,
        properties: w.properties,
        delayInterval: delay,
        dueAt: s.willTimer.armed ? s.willTimer.deadline : undefined,
      },
    });
  }

  sessionDelete(s: Session): void {
    if (!this.on) return;
    if (!s.stored) return;
    s.stored = false;
    for (const d of s.inflight.values()) this.unref(d.message);
    for (const d of s.queue) if (d.storeSeq !== 0) this.unref(d.message);
    this.seq = this.store.write({ kind: 'session.delete', clientId: s.clientId });
  }

  subPut(s: Session, e: SubEntry): void {
    if (!this.on) return;
    if (!s.persistent) return;
    this.seq = this.store.write({ kind: 'sub.put', sub: e.toStored() });
  }

  subDelete(s: Session, filter: string): void {
    if (!this.on) return;
    if (!s.stored) return;
    this.seq = this.store.write({ kind: 'sub.delete', clientId: s.clientId, filter });
  }

  private ref(m: Message): number {
    m.keep();
    if (m.storeId === 0) {
      m.own();
      m.storeId = this.nextMessageId++;
      const msg: StoredMessage = {
        id: m.storeId,
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        properties: m.properties,
        expiresAt: m.expiresAt === 0 ? undefined : m.expiresAt,
        origin: m.origin === '' ? undefined : m.origin,
      };
      this.seq = this.store.write({ kind: 'msg.put', msg });
      m.putToken = this.token();
    }
    m.refs++;
    return m.storeId;
  }

  private unref(m: Message): void {
    if (m.storeId === 0 || m.refs === 0) return;
    if (--m.refs === 0) {
      this.seq = this.store.write({ kind: 'msg.delete', id: m.storeId }, m.putToken);
      m.storeId = 0;
      m.putToken = 0;
    }
  }

  /** The token of the record just written (0 when the store has none), for cancelling. */
  private token(): number {
    return this.tokens ? (this.store.written as number) : 0;
  }

  /** A QoS>0 delivery entered the offline/overflow queue. */
  queuePut(s: Session, d: Delivery): void {
    if (!this.on) return;
    if (!s.persistent) return;
    this.putEntry(s, d);
  }

  private putEntry(s: Session, d: Delivery): void {
    d.storeSeq = ++s.storeSeq;
    this.seq = this.store.write({
      kind: 'queue.put',
      entry: {
        clientId: s.clientId,
        seq: d.storeSeq,
        messageId: this.ref(d.message),
        qos: d.qos,
        state: STATE_NAMES[d.state] as QueueEntryState,
        packetId: d.packetId,
        subscriptionIds: d.subscriptionIds ?? NO_IDS,
        retain: d.retain,
      },
    });
    d.putToken = this.token();
  }

  /** A delivery left the queue without being sent (expired, dropped, re-routed). */
  queueDelete(s: Session, d: Delivery): void {
    if (!this.on) return;
    if (d.storeSeq === 0) return;
    this.seq = this.store.write(
      { kind: 'queue.delete', clientId: s.clientId, seq: d.storeSeq },
      d.putToken,
    );
    d.storeSeq = 0;
    d.putToken = 0;
    this.unref(d.message);
  }

  /** A delivery was sent or changed state (PUBREC received). */
  inflightPut(s: Session, d: Delivery): void {
    if (!this.on) return;
    if (!s.persistent) return;
    if (d.storeSeq === 0) {
      this.putEntry(s, d);
      return;
    }
    this.seq = this.store.write(
      {
        kind: 'queue.update',
        clientId: s.clientId,
        seq: d.storeSeq,
        state: STATE_NAMES[d.state] as QueueEntryState,
        packetId: d.packetId,
      },
      d.putToken,
    );
  }

  /** A delivery completed. */
  inflightDelete(s: Session, d: Delivery): void {
    this.queueDelete(s, d);
  }

  incomingPut(s: Session, packetId: number): void {
    if (!this.on) return;
    if (!s.persistent) return;
    this.seq = this.store.write({
      kind: 'incoming.put',
      incoming: { clientId: s.clientId, packetId, messageId: undefined },
    });
  }

  incomingDelete(s: Session, packetId: number): void {
    if (!this.on) return;
    if (!s.stored) return;
    this.seq = this.store.write({ kind: 'incoming.delete', clientId: s.clientId, packetId });
  }

  retainPut(m: Message): void {
    m.keep();
    if (!this.on) return;
    this.seq = this.store.write({
      kind: 'retain.put',
      retained: {
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        properties: m.properties,
        expiresAt: m.expiresAt === 0 ? undefined : m.expiresAt,
      },
    });
  }

  retainDelete(m: Message): void {
    if (!this.on) return;
    this.seq = this.store.write({ kind: 'retain.delete', topic: m.topic });
  }

  /**
   * Writes dynamic-security changes (the same turn, so one batch: all or nothing) and resolves
   * once they are durable; at once when nothing is stored.
   */
  security(records: readonly ChangeRecord[]): Promise<void> {
    if (!this.on || records.length === 0) return Promise.resolve();
    for (const r of records) this.seq = this.store.write(r);
    return this.store.whenDurable(this.seq);
  }

  /** Rebuilds sessions, subscriptions, queues and retained messages from a snapshot. */
  restore(snap: Snapshot): void {
    const broker = this.broker;
    this.restoredSecurity = snap.security;
    const now = broker.clock.now;
    const messages = new Map<number, Message>();
    for (const sm of snap.messages) {
      const m = new Message(
        sm.topic,
        sm.payload,
        sm.qos,
        sm.retain,
        sm.properties,
        sm.origin ?? '',
        now,
      );
      m.expiresAt = sm.expiresAt ?? 0;
      m.owned = true;
      m.storeId = sm.id;
      messages.set(sm.id, m);
      if (sm.id >= this.nextMessageId) this.nextMessageId = sm.id + 1;
    }
    for (const r of snap.retained) {
      if (r.expiresAt !== undefined && r.expiresAt <= now) continue;
      const m = new Message(r.topic, r.payload, r.qos, true, r.properties, '', now);
      m.expiresAt = r.expiresAt ?? 0;
      m.owned = true;
      broker.router.retained.set(m.levels, m);
    }
    for (const ss of snap.sessions) {
      const s = new Session(ss.clientId, ss.protocolVersion, broker);
      s.expiryInterval = ss.expiryInterval;
      s.username = ss.username;
      s.stored = true;
      broker.sessions.set(ss.clientId, s);
      if (ss.expiryInterval !== NEVER_EXPIRES) {
        const since = ss.disconnectedAt ?? snap.lastCommitAt ?? now;
        broker.wheel.scheduleAt(s.expiryTimer, since + ss.expiryInterval * 1000);
      }
    }
    for (const sub of snap.subscriptions) {
      const s = broker.sessions.get(sub.clientId);
      if (s === undefined) continue;
      broker.router.restoreSubscription(s, sub);
    }
    for (const e of snap.queue) {
      const s = broker.sessions.get(e.clientId);
      const m = messages.get(e.messageId);
      if (s === undefined) continue;
      if (e.seq > s.storeSeq) s.storeSeq = e.seq;
      const state = STATE_NAMES.indexOf(e.state);
      const msg = m ?? new Message('', Buffer.alloc(0), e.qos, false, undefined, '', now);
      if (m !== undefined) m.refs++;
      const d = new Delivery(
        msg,
        e.qos as QoS,
        e.retain,
        e.subscriptionIds.length > 0 ? e.subscriptionIds : undefined,
        undefined,
      );
      d.storeSeq = e.seq;
      if (state <= DeliveryState.Queued) {
        if (m === undefined) continue;
        s.queue.push(d);
        s.queuedBytes += msg.payload.length;
      } else {
        d.state = state;
        d.packetId = e.packetId;
        d.sent = true;
        if (!s.packetIds.take(e.packetId)) continue;
        s.inflight.set(e.packetId, d);
      }
    }
    for (const inc of snap.incoming)
      broker.sessions.get(inc.clientId)?.inboundQos2.add(inc.packetId);
    for (const w of snap.wills) {
      const s = broker.sessions.get(w.clientId);
      if (s === undefined) continue;
      s.will = {
        topic: w.topic,
        payload: w.payload,
        qos: w.qos,
        retain: w.retain,
        properties: w.properties,
      };
      // A will whose connection was still open at a crash is due now.
      const due = w.dueAt ?? snap.lastCommitAt ?? now;
      broker.wheel.scheduleAt(s.willTimer, due);
    }
  }
}
