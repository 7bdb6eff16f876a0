import type {
  ChangeRecord,
  Snapshot,
  StoredIncoming,
  StoredMessage,
  StoredQueueEntry,
  StoredRetained,
  StoredSecurityEntry,
  StoredSession,
  StoredSubscription,
  StoredWill,
} from './types.js';

/**
 * The store's state as plain maps, with the record semantics of the Store contract (put
 * replaces, delete of a missing key is a no-op, `session.delete` cascades). The memory store
 * keeps one of these as its "disk"; tests use it as the reference model.
 */
export class StateImage {
  readonly sessions = new Map<string, StoredSession>();
  readonly subs = new Map<string, Map<string, StoredSubscription>>();
  readonly messages = new Map<number, StoredMessage>();
  readonly queue = new Map<string, Map<number, StoredQueueEntry>>();
  readonly incoming = new Map<string, Map<number, StoredIncoming>>();
  readonly retained = new Map<string, StoredRetained>();
  readonly wills = new Map<string, StoredWill>();
  /** Keyed by `type` NUL `name` (NUL occurs in neither). */
  readonly security = new Map<string, StoredSecurityEntry>();
  lastCommitAt: number | undefined = undefined;

  apply(r: ChangeRecord): void {
    switch (r.kind) {
      case 'session.put':
        this.sessions.set(r.session.clientId, r.session);
        break;
      case 'session.delete':
        this.sessions.delete(r.clientId);
        this.subs.delete(r.clientId);
        this.queue.delete(r.clientId);
        this.incoming.delete(r.clientId);
        this.wills.delete(r.clientId);
        break;
      case 'sub.put':
        inner(this.subs, r.sub.clientId).set(r.sub.filter, r.sub);
        break;
      case 'sub.delete':
        this.subs.get(r.clientId)?.delete(r.filter);
        break;
      case 'msg.put':
        this.messages.set(r.msg.id, r.msg);
        break;
      case 'msg.delete':
        this.messages.delete(r.id);
        break;
      case 'queue.put':
        inner(this.queue, r.entry.clientId).set(r.entry.seq, r.entry);
        break;
      case 'queue.update': {
        const q = this.queue.get(r.clientId);
        const e = q?.get(r.seq);
        if (q !== undefined && e !== undefined) {
          q.set(r.seq, { ...e, state: r.state, packetId: r.packetId });
        }
        break;
      }
      case 'queue.delete':
        this.queue.get(r.clientId)?.delete(r.seq);
        break;
      case 'incoming.put':
        inner(this.incoming, r.incoming.clientId).set(r.incoming.packetId, r.incoming);
        break;
      case 'incoming.delete':
        this.incoming.get(r.clientId)?.delete(r.packetId);
        break;
      case 'retain.put':
        this.retained.set(r.retained.topic, r.retained);
        break;
      case 'retain.delete':
        this.retained.delete(r.topic);
        break;
      case 'will.put':
        this.wills.set(r.will.clientId, r.will);
        break;
      case 'will.delete':
        this.wills.delete(r.clientId);
        break;
      case 'security.put':
        this.security.set(`${r.entry.type}\u0000${r.entry.name}`, r.entry);
        break;
      case 'security.delete':
        this.security.delete(`${r.type}\u0000${r.name}`);
        break;
    }
  }

  /** Drops messages no queue entry or incoming record references; returns how many. */
  sweepMessages(): number {
    const live = new Set<number>();
    for (const q of this.queue.values()) for (const e of q.values()) live.add(e.messageId);
    for (const m of this.incoming.values()) {
      for (const i of m.values()) if (i.messageId !== undefined) live.add(i.messageId);
    }
    let dropped = 0;
    for (const id of this.messages.keys()) {
      if (!live.has(id)) {
        this.messages.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  /** A deep-enough copy (fresh objects and arrays; Buffers copied) as a {@link Snapshot}. */
  snapshot(): Snapshot {
    const queue: StoredQueueEntry[] = [];
    for (const clientId of [...this.queue.keys()].sort()) {
      const q = this.queue.get(clientId);
      if (q === undefined) continue;
      for (const seq of [...q.keys()].sort((a, b) => a - b)) {
        const e = q.get(seq);
        if (e !== undefined) queue.push({ ...e, subscriptionIds: [...e.subscriptionIds] });
      }
    }
    return {
      sessions: [...this.sessions.values()].map((s) => ({ ...s })),
      subscriptions: [...this.subs.values()].flatMap((m) => [...m.values()].map((s) => ({ ...s }))),
      messages: [...this.messages.values()].map((m) => ({
        ...m,
        payload: Buffer.from(m.payload),
        properties: copyProps(m.properties),
      })),
      queue,
      incoming: [...this.incoming.values()].flatMap((m) => [...m.values()].map((i) => ({ ...i }))),
      retained: [...this.retained.values()].map((r) => ({
        ...r,
        payload: Buffer.from(r.payload),
        properties: copyProps(r.properties),
      })),
      wills: [...this.wills.values()].map((w) => ({
        ...w,
        payload: Buffer.from(w.payload),
        properties: copyProps(w.properties),
      })),
      security: [...this.security.values()].map((e) => ({ ...e })),
      lastCommitAt: this.lastCommitAt,
    };
  }
}

function inner<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let m = outer.get(key);
  if (m === undefined) {
    m = new Map();
    outer.set(key, m);
  }
  return m;
}

function copyProps<T extends object>(p: T | undefined): T | undefined {
  return p === undefined ? undefined : structuredCloneProps(p);
}

// structuredClone turns Buffers into plain Uint8Arrays; properties hold Buffers
// (correlationData), so copy field by field.
function structuredCloneProps<T extends object>(p: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (Buffer.isBuffer(v)) out[k] = Buffer.from(v);
    else if (Array.isArray(v)) out[k] = v.map((x: unknown) => (Array.isArray(x) ? [...x] : x));
    else out[k] = v;
  }
  return out as T;
}
