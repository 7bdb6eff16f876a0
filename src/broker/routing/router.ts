import type { QoS } from '../../codec/constants.js';
import { parseSharedSubscription } from '../../codec/topic.js';
import type { StoredSubscription } from '../../persistence/types.js';
import { isPrivateBody } from '../../shared/body-pool.js';
import { FixedQueue } from '../../shared/fixed-queue.js';
import type { Connection } from '../connection.js';
import type { BrokerCore } from '../core.js';
import { deliver, deliverRetained, FanoutCache } from '../delivery.js';
import type { Message } from '../message.js';
import type { Session } from '../session/session.js';
import { RetainedIndex } from './retained.js';
import type { SharedGroup } from './shared.js';
import { SubEntry } from './subscription.js';
import { TopicTrie } from './topic-trie.js';

/**
 * The recipients of one topic as the trie matched them: per session the highest granted QoS, the
 * Retain As Published flag and the subscription ids; the shared groups. Never modified once built
 * (a fan-out in progress keeps reading it while the cache is cleared).
 */
class Recipients {
  constructor(
    readonly sessions: Session[],
    readonly qos: QoS[],
    readonly rap: boolean[],
    readonly subIds: Array<number[] | undefined>,
    readonly shared: SharedGroup[],
    /** The publisher it was matched for when a No Local subscription took part (else any). */
    readonly origin: string | undefined,
  ) {}
}

/** Bounds of the topic → recipients cache: topics, and recipients summed over them. */
const ROUTES_MAX = 10_000;
const ROUTED_MAX = 250_000;
/** Payloads from this size are checked for being already private ({@link isPrivateBody}). */
const OWN_MIN = 16 * 1024;

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
  /** Topic → recipients, valid while the trie's generation is {@link routesGen}. */
  private readonly routes = new Map<string, Recipients>();
  private routesGen = -1;
  private routed = 0;
  /**
   * The connection whose PUBLISH is being routed (undefined for wills, `$SYS` and server
   * publishes): the one a full subscriber queue slows down (flow.ts).
   */
  publisher: Connection | undefined = undefined;

  constructor(private readonly broker: BrokerCore) {}

  /**
   * Publishes `msg`, received from `from` if a client sent it; returns how many subscriptions
   * it reached (a deferred publish counts 1).
   */
  publish(msg: Message, from?: Connection): number {
    if (this.depth > 0) {
      // Routed after the publisher's handler returned: its pins cannot cover this.
      msg.keep();
      msg.own();
      this.pending.push(msg);
      return 1;
    }
    this.depth++;
    try {
      this.publisher = from;
      const n = this.route(msg);
      this.publisher = undefined;
      for (let m = this.pending.shift(); m !== undefined; m = this.pending.shift()) this.route(m);
      return n;
    } finally {
      this.publisher = undefined;
      this.depth--;
    }
  }

  private route(msg: Message): number {
    const broker = this.broker;
    // A big payload reassembled from several reads is already a private copy: keeping it (queue,
    // in flight, retained) needs no other.
    if (!msg.owned && msg.payload.length >= OWN_MIN && isPrivateBody(msg.payload)) {
      msg.owned = true;
    }
    if (msg.retain && !msg.remote) this.retain(msg);
    const r = this.recipients(msg);
    const sessions = r.sessions;
    const shared = r.shared;
    // One recipient: nothing to share, so its QoS>0 encoding is patched in place, not copied.
    const cache = sessions.length + shared.length > 1 ? this.cache : undefined;
    this.cache.reset(); // a no-op unless a previous fan-out threw half-way
    const mq = msg.qos;
    for (let i = 0; i < sessions.length; i++) {
      const qos = Math.min(r.qos[i] as QoS, mq) as QoS;
      const rap = r.rap[i] === true ? msg.retain : false;
      deliver(broker, sessions[i] as Session, msg, qos, rap, r.subIds[i], undefined, cache);
    }
    let reached = sessions.length;
    const pick = msg.sharedPick;
    for (let i = 0; i < shared.length; i++) {
      const g = shared[i];
      if (g === undefined || (pick !== undefined && !pick.has(g.key))) continue;
      const m = g.pick();
      if (m === undefined) continue;
      if (m.noLocal && m.session.clientId === msg.origin) continue;
      reached++;
      const qos = Math.min(m.qos, mq) as QoS;
      const ids = m.subscriptionId !== 0 ? [m.subscriptionId] : undefined;
      deliver(broker, m.session, msg, qos, m.retainAsPublished ? msg.retain : false, ids, g, cache);
    }
    this.cache.reset();
    return reached;
  }

  /**
   * The recipients of `msg`'s topic: from the cache while no subscription changed since it was
   * matched (and, when a No Local subscription took part, for the same publisher), otherwise
   * matched in the trie and cached. Most traffic repeats topics, so routing is one Map lookup.
   */
  private recipients(msg: Message): Recipients {
    const trie = this.trie;
    const routes = this.routes;
    if (this.routesGen !== trie.generation) {
      routes.clear();
      this.routed = 0;
      this.routesGen = trie.generation;
    }
    const hit = routes.get(msg.topic);
    if (hit !== undefined && (hit.origin === undefined || hit.origin === msg.origin)) return hit;
    trie.matchInto(msg.levels, msg.origin);
    const out = trie.outSessions;
    const n = out.length;
    const sessions = new Array<Session>(n);
    const qos = new Array<QoS>(n);
    const rap = new Array<boolean>(n);
    const subIds = new Array<number[] | undefined>(n);
    for (let i = 0; i < n; i++) {
      const s = out[i] as Session;
      sessions[i] = s;
      qos[i] = s.matchQos;
      rap[i] = s.matchRap;
      subIds[i] = s.matchSubIds;
    }
    const origin = trie.sawNoLocal ? msg.origin : undefined;
    const r = new Recipients(sessions, qos, rap, subIds, trie.outShared.slice(), origin);
    if (routes.size >= ROUTES_MAX || this.routed >= ROUTED_MAX) {
      routes.clear();
      this.routed = 0;
    }
    routes.set(msg.topic, r);
    this.routed += n + r.shared.length + 1;
    return r;
  }

  /**
   * Stores or (empty payload) deletes the retained message of `msg`'s topic (also called by a
   * cluster for the retained messages other nodes published).
   */
  retain(msg: Message): void {
    const sys = msg.levels[0] === '$SYS';
    if (msg.payload.length === 0) {
      const old = this.retained.set(msg.levels, undefined);
      if (old !== undefined && !sys) this.broker.persist.retainDelete(old);
      return;
    }
    msg.keep();
    msg.own();
    const old = this.retained.set(msg.levels, msg);
    if (!sys) {
      if (old !== undefined) this.broker.persist.retainDelete(old);
      this.broker.persist.retainPut(msg);
    }
  }

  /** Re-creates a subscription read back from the store. */
  restoreSubscription(session: Session, sub: StoredSubscription): void {
    const shared = parseSharedSubscription(sub.filter);
    const e = new SubEntry(
      session,
      sub.filter,
      shared === undefined ? sub.filter : shared.filter,
      sub.qos,
      sub.noLocal,
      sub.retainAsPublished,
      sub.retainHandling,
      sub.subscriptionId ?? 0,
      shared?.group,
    );
    session.subscriptions.set(sub.filter, e);
    this.trie.add(e);
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
      deliverRetained(this.broker, session, m, Math.min(entry.qos, m.qos) as QoS, ids);
    }
    found.length = 0;
  }
}
