import type { QoS } from '../../codec/constants.js';
import { FixedQueue } from '../../shared/fixed-queue.js';
import type { BrokerCore } from '../broker.js';
import { deliver, FanoutCache } from '../delivery.js';
import type { Message } from '../message.js';
import type { Session } from '../session/session.js';
import { RetainedIndex } from './retained.js';
import type { SubEntry } from './subscription.js';
import { TopicTrie } from './topic-trie.js';

/**
 * Routes messages: the retained index, the subscription trie and the fan-out loop. A publish
 * triggered while another is being fanned out (a will published by a close, say) is queued and
 * routed right after, so the trie's reused result arrays are never clobbered.
 */
export class Router {
  readonly trie = new TopicTrie();
  readonly retained = new RetainedIndex();
  private readonly cache = new FanoutCache();
  private readonly pending = new FixedQueue<Message>(4);
  private depth = 0;
  private readonly scratch: Message[] = [];

  constructor(private readonly broker: BrokerCore) {}

  /** Publishes `msg`; returns how many subscriptions it reached (a deferred publish counts 1). */
  publish(msg: Message): number {
    if (this.depth > 0) {
      msg.own();
      this.pending.push(msg);
      return 1;
    }
    this.depth++;
    try {
      const n = this.route(msg);
      for (let m = this.pending.shift(); m !== undefined; m = this.pending.shift()) this.route(m);
      return n;
    } finally {
      this.depth--;
    }
  }

  private route(msg: Message): number {
    const broker = this.broker;
    if (msg.retain) this.retain(msg);
    const trie = this.trie;
    trie.matchInto(msg.levels, msg.origin);
    const sessions = trie.outSessions;
    const shared = trie.outShared;
    // One recipient: nothing to share, so its QoS>0 encoding is patched in place, not copied.
    const cache = sessions.length + shared.length > 1 ? this.cache : undefined;
    this.cache.reset(); // a no-op unless a previous fan-out threw half-way
    const mq = msg.qos;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      const qos = Math.min(s.matchQos, mq) as QoS;
      deliver(
        broker,
        s,
        msg,
        qos,
        s.matchRap ? msg.retain : false,
        s.matchSubIds,
        undefined,
        cache,
      );
    }
    let reached = sessions.length;
    for (let i = 0; i < shared.length; i++) {
      const g = shared[i];
      const m = g?.pick();
      if (g === undefined || m === undefined) continue;
      if (m.noLocal && m.session.clientId === msg.origin) continue;
      reached++;
      const qos = Math.min(m.qos, mq) as QoS;
      const ids = m.subscriptionId !== 0 ? [m.subscriptionId] : undefined;
      deliver(broker, m.session, msg, qos, m.retainAsPublished ? msg.retain : false, ids, g, cache);
    }
    this.cache.reset();
    return reached;
  }

  /** Stores or (empty payload) deletes the retained message of `msg`'s topic. */
  private retain(msg: Message): void {
    const sys = msg.levels[0] === '$SYS';
    if (msg.payload.length === 0) {
      const old = this.retained.set(msg.levels, undefined);
      if (old !== undefined && !sys) this.broker.persist.retainDelete(old);
      return;
    }
    msg.own();
    const old = this.retained.set(msg.levels, msg);
    if (!sys) {
      if (old !== undefined) this.broker.persist.retainDelete(old);
      this.broker.persist.retainPut(msg);
    }
  }

  /**
   * Sends the retained messages matching a new subscription (retain flag set, [MQTT-3.3.1-8]),
   * honouring v5 Retain Handling. Shared subscriptions get none.
   */
  sendRetained(session: Session, entry: SubEntry, isNew: boolean): void {
    if (entry.group !== undefined) return;
    if (entry.retainHandling === 2 || (entry.retainHandling === 1 && !isNew)) return;
    const found = this.retained.match(entry.topicFilter, this.scratch);
    const now = this.broker.clock.now;
    const ids = entry.subscriptionId !== 0 ? [entry.subscriptionId] : undefined;
    for (let i = 0; i < found.length; i++) {
      const m = found[i] as Message;
      if (m.expired(now)) {
        this.retained.set(m.levels, undefined);
        this.broker.persist.retainDelete(m);
        continue;
      }
      const qos = Math.min(entry.qos, m.qos) as QoS;
      // Retained messages are all sent even past the queue limits: a subscription to '#' must
      // not lose most of them to the overflow policy meant for live traffic.
      deliver(this.broker, session, m, qos, true, ids, undefined, undefined, true);
    }
    found.length = 0;
  }
}
