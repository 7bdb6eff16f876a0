// One Petrel node's link to the others through NATS: interest announcements, heartbeats,
// forwarding with confirmation, and the receiving side. Loaded only when a cluster is
// configured (docs/cluster.md).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { Msg, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { Broker } from '../broker/broker.js';
import type { ClusterLink } from '../broker/cluster-link.js';
import { Message } from '../broker/message.js';
import type { SubEntry } from '../broker/routing/subscription.js';
import type { SessionHandover } from '../broker/session/handover.js';
import type { Will } from '../codec/types.js';
import type { Logger } from '../observability/logger.js';
import { RecentSet } from '../shared/recent-set.js';
import { Forwarder } from './forwarder.js';
import { ClusterInterest, LocalInterest, NodeView } from './interest.js';
import { InterestAcks } from './interest-acks.js';
import type { ClusterOptions, ResolvedClusterOptions } from './options.js';
import { resolveClusterOptions } from './options.js';
import { Ownership } from './ownership.js';
import { Parked } from './parked.js';
import { ClusterRetained } from './retained.js';
import { clusterSysValues } from './sys.js';
import { ClusterWills } from './wills.js';
import type { ForwardedMessage, HeartbeatDoc, InterestAckDoc, InterestDoc } from './wire.js';
import {
  decodeBatch,
  decodeJson,
  encodeBatch,
  encodeForward,
  encodeJson,
  encodePublishPart,
} from './wire.js';

/** The local node serves no shared group for this message (shared, never modified). */
const NO_PICK: Set<string> = new Set();
/** A receiving node serves no shared group (shared, never modified). */
const NO_GROUPS: readonly string[] = [];
const CONFIRMED = Uint8Array.of(1);
/**
 * Recent QoS 2 message ids kept (at least) for removing duplicates (a QoS 2 forward sent again
 * after its confirmation was lost). QoS 1 forwards are never sent twice under one id: a
 * publisher's resend is a new message, which QoS 1 allows to arrive twice.
 */
const SEEN_MAX = 100_000;
/** Unconfirmed QoS 2 forwards kept for a resend of their PUBLISH. */
const UNCONFIRMED_MAX = 10_000;
/** Interest changes of one node held until the snapshot being fetched from it arrives. */
const HELD_MAX = 1000;

/**
 * A QoS 1/2 forward: its receiving nodes and the shared groups each serves. A QoS 2 one not yet
 * confirmed by every receiver is kept, and sent again under the same id on a resend.
 */
interface Unconfirmed {
  origin: string;
  msgId: string;
  publish: Buffer;
  targets: Array<[string, readonly string[]]>;
  /** Nodes taken for dead, whose copy (a one-record batch) JetStream keeps (parked.ts). */
  parked?: string[];
}
const NO_NODES: NodeView[] = [];

/** Counters of the cluster view (`$SYS/broker/cluster/...`). */
export class ClusterStats {
  /** Messages sent to other nodes (one per receiving node). */
  forwarded = 0;
  /** Messages received from other nodes. */
  received = 0;
  /** QoS 1/2 forwards not confirmed in time. */
  forwardFailures = 0;
  /** Duplicates dropped by message id. */
  duplicates = 0;
  /** Round trip of the last confirmed forward, ms. */
  lastLagMs = 0;
}

/**
 * A node of a Petrel cluster: the broker's {@link ClusterLink}. Other nodes are found and
 * followed through NATS subjects under `<prefix>.`: `hb` (heartbeats), `hello` (a node starting
 * or reconnecting asks for heartbeats at once), `interest` (numbered changes of a node's
 * filters), `snap.<node>` (request: a node's whole interest), `msg.<node>` (forwarded messages;
 * QoS 1/2 as requests answered once queued).
 */
export class ClusterNode implements ClusterLink {
  readonly id: string;
  /** Random per start: tells the others this node's interest started over. */
  readonly run = randomBytes(6).toString('hex');
  readonly local = new LocalInterest();
  readonly interest: ClusterInterest;
  readonly stats = new ClusterStats();
  /** The link to NATS: `connected`, `reconnecting`, or `closed`. */
  natsState: 'connected' | 'reconnecting' | 'closed' = 'connected';
  private readonly o: ResolvedClusterOptions;
  private readonly log: Logger;
  private seq = 0;
  private readonly seen = new RecentSet<string>(SEEN_MAX);
  private readonly unconfirmed = new Map<string, Unconfirmed>();
  private readonly snapshots = new Set<string>();
  /** Interest changes received while a snapshot of their node was on its way, to confirm. */
  private readonly held = new Map<string, Array<{ doc: InterestDoc; m: Msg }>>();
  /** Which of this node's interest announcements the live nodes confirmed. */
  readonly interestAcks: InterestAcks;
  private announcePending = false;
  /** When the `$SYS` cluster view was last published. */
  private sysAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The cluster-wide retained messages (a KV bucket). */
  readonly retained: ClusterRetained;
  /** Who owns each client id (a KV bucket). */
  readonly ownership: Ownership;
  /** Messages kept in JetStream for dead nodes; undefined when `parkedMaxMsgs` is 0. */
  readonly parked: Parked | undefined;
  /** The wills of this node's clients (a KV bucket), published by a survivor if it dies. */
  readonly wills: ClusterWills;
  /** Forwarded messages, one batch per receiving node and event-loop turn. */
  private readonly forwarder: Forwarder;
  /** `<node>.<run>.`: a message id is this and a number. */
  private readonly msgIdPrefix: string;

  private constructor(
    private readonly broker: Broker,
    private readonly nc: NatsConnection,
    options: ClusterOptions,
    kv: KV,
    owners: KV,
    parked: Parked | undefined,
    wills: KV,
  ) {
    this.o = resolveClusterOptions(options);
    this.id = options.nodeId;
    this.log = broker.log.child({ node: this.id });
    this.interest = new ClusterInterest(this.id, this.local);
    this.interestAcks = new InterestAcks(this.o.forwardTimeoutMs, (seq, missing) =>
      this.log.warn({ seq, missing }, 'cluster: interest change not confirmed in time'),
    );
    this.msgIdPrefix = `${this.id}.${this.run}.`;
    this.forwarder = new Forwarder(
      nc,
      (node) => this.subject('msg', node),
      this.o.forwardTimeoutMs,
      this.stats,
      this.log,
    );
    this.retained = new ClusterRetained(broker, kv, this.log);
    this.parked = parked;
    this.wills = new ClusterWills(
      broker,
      wills,
      this.id,
      (clientId) => this.ownership.ownerOf(clientId),
      this.log,
    );
    this.ownership = new Ownership(
      broker,
      owners,
      nc,
      this.id,
      (node) => this.subject('takeover', node),
      this.o.forwardTimeoutMs,
      this.log,
    );
  }

  /**
   * Connects to NATS (the first connection must succeed: a node that cannot reach NATS at start
   * is a configuration error), links `broker` to the cluster and announces its subscriptions.
   */
  static async start(broker: Broker, options: ClusterOptions): Promise<ClusterNode> {
    const o = resolveClusterOptions(options);
    const opts: NodeConnectionOptions = {
      servers: o.servers,
      name: `petrel-${o.nodeId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: Math.max(1000, o.nodeTimeoutMs),
      timeout: o.forwardTimeoutMs,
      // Otherwise every request builds two Error objects with stack traces up front (for a
      // timeout that rarely comes): 2% of a forwarding node's CPU; failures are logged by cause.
      noAsyncTraces: true,
    };
    if (o.user !== undefined) opts.user = o.user;
    if (o.pass !== undefined) opts.pass = o.pass;
    if (o.token !== undefined) opts.token = o.token;
    if (o.credsFile !== undefined) {
      opts.authenticator = credsAuthenticator(readFileSync(o.credsFile));
    }
    if (o.tls !== undefined) opts.tls = { ...o.tls };
    let nc: NatsConnection;
    try {
      nc = await connect(opts);
    } catch (err) {
      throw new Error(
        `cluster: cannot connect to NATS at ${o.servers.join(', ')}: ${(err as Error).message}`,
      );
    }
    let kv: KV;
    let owners: KV;
    let parked: Parked | undefined;
    let wills: KV;
    try {
      const kvm = new Kvm(jetstream(nc));
      const bucket = { history: 1, replicas: o.replicas, timeout: o.forwardTimeoutMs };
      kv = await kvm.create(`${o.subjectPrefix}-retained`, bucket);
      owners = await kvm.create(`${o.subjectPrefix}-sessions`, bucket);
      wills = await kvm.create(`${o.subjectPrefix}-wills`, bucket);
      parked = await Parked.open(nc, o, broker.log.child({ node: o.nodeId }));
    } catch (err) {
      await nc.close();
      throw new Error(
        `cluster: JetStream KV unavailable at ${o.servers.join(', ')} (is nats-server started with -js?): ${(err as Error).message}`,
      );
    }
    const node = new ClusterNode(broker, nc, options, kv, owners, parked, wills);
    await node.retained.start(o.forwardTimeoutMs * 5);
    await node.ownership.start();
    node.begin();
    await node.initialSync();
    node.log.info({ servers: o.servers, peers: node.interest.nodes.size }, 'cluster: joined');
    return node;
  }

  private subject(...parts: string[]): string {
    return `${this.o.subjectPrefix}.${parts.join('.')}`;
  }

  private begin(): void {
    const nc = this.nc;
    const on = (subject: string, handle: (m: Msg) => void) =>
      nc.subscribe(subject, {
        callback: (err, m) => {
          if (err === null) handle(m);
          else this.log.warn({ err: err.message, subject }, 'cluster: subscription failed');
        },
      });
    on(this.subject('msg', this.id), (m) => this.onForward(m));
    on(this.subject('interest'), (m) => this.onInterest(m));
    on(this.subject('iack', this.id), (m) => this.onInterestAck(m));
    on(this.subject('hb'), (m) => this.onHeartbeat(m));
    on(this.subject('hello'), (m) => this.onHello(m));
    on(this.subject('snap', this.id), (m) => this.onSnap(m));
    on(this.subject('takeover', this.id), (m) => this.ownership.onTakeover(m));
    // Something parked for this node while it runs (taken for dead too early): read it.
    on(this.subject('parked', this.id), () => this.drainParked());
    for (const s of this.broker.sessions.values()) {
      for (const e of s.subscriptions.values()) this.local.add(e.filter);
    }
    this.broker.setClusterLink(this);
    this.announce();
    this.hello();
    this.timer = setInterval(() => this.tick(), this.o.heartbeatMs);
    this.timer.unref();
    this.drainParked();
    void this.wills.resync();
    void this.watchStatus();
  }

  /**
   * Waits for the other nodes' interest: they answer the hello with a heartbeat at once, and a
   * snapshot of each is fetched; done when none is on its way after a heartbeat interval (at
   * most 500 ms), or after `forwardTimeoutMs` in any case.
   */
  private async initialSync(): Promise<void> {
    const start = Date.now();
    const settle = start + Math.min(this.o.heartbeatMs, 500);
    const deadline = start + this.o.forwardTimeoutMs;
    for (let now = start; now < deadline; now = Date.now()) {
      if (now >= settle && this.snapshots.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.natsState = 'reconnecting';
        this.log.warn({ server: s.server }, 'cluster: lost NATS, serving local clients only');
      } else if (s.type === 'reconnect') {
        this.natsState = 'connected';
        this.log.info({ server: s.server }, 'cluster: NATS reconnected, re-announcing interest');
        this.hello();
        void this.ownership.reconnected();
        this.drainParked();
      }
    }
  }

  /** Asks every node for a heartbeat now and sends ours (start and reconnection). */
  private hello(): void {
    this.publish(this.subject('hello'), encodeJson({ node: this.id }));
    this.heartbeat();
  }

  private heartbeat(): void {
    const doc: HeartbeatDoc = { node: this.id, run: this.run, seq: this.local.seq };
    this.publish(this.subject('hb'), encodeJson(doc));
  }

  /** Publishes, tolerating a closed connection (the node is shutting down). */
  private publish(subject: string, data: Uint8Array): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(subject, data);
    } catch (err) {
      this.log.debug({ err, subject }, 'cluster: publish failed');
    }
  }

  private tick(): void {
    this.heartbeat();
    if (this.natsState === 'connected' && this.ownership.unclaimedCount > 0) {
      void this.ownership.claimUnclaimed();
    }
    const now = Date.now();
    const every = this.broker.options.sysInterval * 1000;
    if (every > 0 && now - this.sysAt >= every) {
      this.sysAt = now;
      for (const [name, value] of clusterSysValues(this)) {
        this.broker.publish(`$SYS/broker/cluster/${name}`, value, { retain: true });
      }
    }
    for (const n of this.interest.nodes.values()) {
      if (n.alive && now - n.lastSeen > this.o.nodeTimeoutMs) {
        n.alive = false;
        this.interest.invalidate();
        this.interestAcks.forget(n.id);
        void this.wills.nodeDied(n.id);
        this.log.warn({ peer: n.id }, 'cluster: node silent, no longer routed to');
      }
    }
  }

  /** Announces the interest changes made since the last announcement (one delta per turn). */
  private announce(): void {
    this.announcePending = false;
    const d = this.local.takeDelta();
    if (d === undefined) {
      this.interestAcks.skipped();
      return;
    }
    this.interest.invalidate(); // local shared groups take part in routes
    const doc: InterestDoc = { node: this.id, run: this.run, ...d };
    const expected: string[] = [];
    if (this.natsState === 'connected') {
      for (const n of this.interest.nodes.values()) if (n.alive) expected.push(n.id);
    }
    this.interestAcks.sent(d.seq, expected);
    const data = encodeJson(doc);
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(this.subject('interest'), data, { reply: this.subject('iack', this.id) });
    } catch (err) {
      this.log.debug({ err }, 'cluster: interest announcement failed');
    }
  }

  interestSettled(): Promise<void> | undefined {
    return this.interestAcks.wait(this.announcePending ? this.local.seq + 1 : this.local.seq);
  }

  private onInterestAck(m: Msg): void {
    const doc = this.parse<InterestAckDoc>(m);
    if (doc !== undefined) this.interestAcks.confirmed(doc.seq, doc.node);
  }

  /** Tells the announcer of `doc` that this node applied it (or a snapshot covering it). */
  private confirmInterest(doc: InterestDoc, m: Msg): void {
    if (m.reply === undefined || m.reply === '') return;
    const ack: InterestAckDoc = { node: this.id, seq: doc.seq };
    this.publish(m.reply, encodeJson(ack));
  }

  private scheduleAnnounce(): void {
    if (this.announcePending) return;
    this.announcePending = true;
    setImmediate(() => this.announce());
  }

  claim(clientId: string): Promise<SessionHandover | undefined> | undefined {
    // Cut off from NATS the node keeps serving: it accepts the CONNECT unclaimed, and the
    // bucket's owner entries fence it when it is back (docs/cluster.md, guarantees 5 and 7).
    if (this.natsState !== 'connected') {
      this.ownership.noteUnclaimed(clientId);
      return undefined;
    }
    return this.ownership.claim(clientId);
  }

  willChanged(clientId: string, will: Will | undefined, delayMs: number): void {
    if (this.natsState === 'connected') this.wills.changed(clientId, will, delayMs);
  }

  sessionEnded(clientId: string): void {
    if (this.natsState === 'connected') this.ownership.sessionEnded(clientId);
  }

  interestAdded(entry: SubEntry): void {
    this.local.add(entry.filter);
    this.scheduleAnnounce();
  }

  interestRemoved(entry: SubEntry): void {
    this.local.remove(entry.filter);
    this.scheduleAnnounce();
  }

  private view(id: string): NodeView {
    let n = this.interest.nodes.get(id);
    if (n === undefined) {
      n = new NodeView(id);
      this.interest.nodes.set(id, n);
    }
    return n;
  }

  private seenAlive(n: NodeView): void {
    n.lastSeen = Date.now();
    if (!n.alive) {
      n.alive = true;
      this.wills.nodeBack(n.id);
      this.interest.invalidate();
      this.log.info({ peer: n.id }, 'cluster: node back');
    }
  }

  private onHello(m: Msg): void {
    const doc = this.parse<{ node: string }>(m);
    if (doc !== undefined && doc.node !== this.id) this.heartbeat();
  }

  private onHeartbeat(m: Msg): void {
    const doc = this.parse<HeartbeatDoc>(m);
    if (doc === undefined || doc.node === this.id) return;
    const n = this.view(doc.node);
    this.seenAlive(n);
    if (n.run !== doc.run || n.seq !== doc.seq) this.fetchSnapshot(n);
  }

  private onInterest(m: Msg): void {
    const doc = this.parse<InterestDoc>(m);
    if (doc === undefined || doc.node === this.id) return;
    const n = this.view(doc.node);
    this.seenAlive(n);
    if (this.snapshots.has(n.id) || n.run !== doc.run || doc.seq !== n.seq + 1) {
      // The snapshot (on its way, or asked now) covers it: confirmed when it arrives.
      this.hold(n.id, doc, m);
      this.fetchSnapshot(n);
      return;
    }
    this.applyDelta(n, doc);
    this.confirmInterest(doc, m);
  }

  private applyDelta(n: NodeView, doc: InterestDoc): void {
    for (const f of doc.add ?? []) n.filters.add(f);
    for (const f of doc.remove ?? []) n.filters.delete(f);
    n.seq = doc.seq;
    this.interest.invalidate();
  }

  private hold(node: string, doc: InterestDoc, m: Msg): void {
    let list = this.held.get(node);
    if (list === undefined) {
      list = [];
      this.held.set(node, list);
    }
    // Beyond the bound the announcer's timeout answers for the dropped ones.
    if (list.length < HELD_MAX) list.push({ doc, m });
  }

  /**
   * After a snapshot of `n`: confirms the held changes it covers, applies those that follow it
   * directly; any other waits for the next snapshot (its announcer times out meanwhile).
   */
  private releaseHeld(n: NodeView): void {
    const list = this.held.get(n.id);
    if (list === undefined) return;
    this.held.delete(n.id);
    for (const { doc, m } of list) {
      if (doc.run !== n.run) continue;
      if (doc.seq === n.seq + 1) this.applyDelta(n, doc);
      if (doc.seq <= n.seq) this.confirmInterest(doc, m);
    }
  }

  /** A node whose changes we missed (or a new run of it): fetch its whole interest. */
  private fetchSnapshot(n: NodeView): void {
    if (this.snapshots.has(n.id) || this.nc.isClosed()) return;
    this.snapshots.add(n.id);
    this.nc
      .request(this.subject('snap', n.id), undefined, { timeout: this.o.forwardTimeoutMs })
      .then(
        (reply) => {
          this.snapshots.delete(n.id);
          const doc = decodeJson<InterestDoc>(reply.data, 'snapshot');
          n.run = doc.run;
          n.seq = doc.seq;
          n.filters.clear();
          for (const f of doc.filters ?? []) n.filters.add(f);
          this.interest.invalidate();
          this.releaseHeld(n);
          this.log.debug({ peer: n.id, filters: n.filters.size }, 'cluster: interest snapshot');
        },
        (err: unknown) => {
          this.snapshots.delete(n.id);
          this.held.delete(n.id);
          this.log.debug({ peer: n.id, err }, 'cluster: snapshot request failed');
        },
      );
  }

  private onSnap(m: Msg): void {
    this.announce(); // so that the snapshot's seq covers every change
    const doc: InterestDoc = {
      node: this.id,
      run: this.run,
      seq: this.local.seq,
      filters: this.local.filters(),
    };
    m.respond(encodeJson(doc));
  }

  private parse<T extends { node: string }>(m: Msg): T | undefined {
    try {
      return decodeJson<T>(m.data, m.subject);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cluster: bad document ignored');
      return undefined;
    }
  }

  forward(msg: Message, packetId: number): boolean | Promise<boolean> {
    msg.sharedPick = NO_PICK;
    if (msg.levels[0] === '$SYS') return false; // each node's own
    if (!msg.retain) return this.send(msg, packetId);
    const stored = this.retained.put(msg, this.broker.clock.now);
    const sent = this.send(msg, packetId);
    if (msg.qos === 0) return true;
    if (typeof sent === 'boolean') return stored;
    return Promise.all([sent, stored]).then(([a, b]) => a && b);
  }

  /** Sends `msg` to the nodes with interest (see {@link forward}). */
  private send(msg: Message, packetId: number): boolean | Promise<boolean> {
    const route = this.interest.route(msg.topic);
    const park = msg.qos === 0 || this.parked === undefined ? NO_NODES : route.parked;
    if (route.plain.length === 0 && route.groups.length === 0 && park.length === 0) return false;
    // Usually no shared group matches: the plain nodes are the targets, with no map per message.
    let targets: Map<string, string[]> | undefined;
    let pick: Set<string> | undefined;
    if (route.groups.length > 0) {
      targets = new Map();
      for (const n of route.plain) targets.set(n.id, []);
      for (const g of route.groups) {
        const node = this.interest.pick(g);
        if (node === this.id) {
          if (pick === undefined) pick = new Set();
          pick.add(g.key);
          continue;
        }
        let groups = targets.get(node);
        if (groups === undefined) {
          groups = [];
          targets.set(node, groups);
        }
        groups.push(g.key);
      }
      if (pick !== undefined) msg.sharedPick = pick;
      if (targets.size === 0 && park.length === 0) return false;
    }
    const now = this.broker.clock.now;
    if (msg.expired(now)) return false;
    const publish = encodePublishPart(msg, now);
    if (msg.qos === 0) {
      // No id: a QoS 0 copy is never sent twice nor looked up, so none is made or carried.
      if (targets === undefined) {
        for (const n of route.plain) this.forwarder.add(n.id, msg.origin, '', NO_GROUPS, publish);
      } else {
        for (const [node, groups] of targets) {
          this.forwarder.add(node, msg.origin, '', groups, publish);
        }
      }
      return true;
    }
    const msgId = this.msgIdPrefix + String(++this.seq);
    const rec: Unconfirmed = { origin: msg.origin, msgId, publish, targets: [] };
    if (targets === undefined) for (const n of route.plain) rec.targets.push([n.id, NO_GROUPS]);
    else for (const t of targets) rec.targets.push(t);
    if (park.length > 0) rec.parked = park.map((n) => n.id);
    const all = this.sendAll(rec);
    if (packetId === 0) return all;
    const key = `${msg.origin}\0${packetId}`;
    this.remember(key, rec);
    return all.then((ok) => {
      if (ok && this.unconfirmed.get(key) === rec) this.unconfirmed.delete(key);
      return ok;
    });
  }

  /**
   * Adds a QoS 1/2 message's records to their nodes' batches: the promise of its confirmation
   * by every node (true), one batch's own promise when one node receives it.
   */
  private sendAll(rec: Unconfirmed): Promise<boolean> {
    let first: Promise<boolean> | undefined;
    let more: Array<Promise<boolean>> | undefined;
    for (const [node, groups] of rec.targets) {
      const p = this.forwarder.addConfirmed(node, rec.origin, rec.msgId, groups, rec.publish);
      if (first === undefined) first = p;
      else if (more === undefined) more = [first, p];
      else more.push(p);
    }
    if (rec.parked !== undefined && this.parked !== undefined) {
      // Nodes taken for dead: JetStream's acknowledgement stands for theirs.
      const data = encodeBatch([encodeForward(rec.origin, rec.msgId, NO_GROUPS, rec.publish)]);
      for (const node of rec.parked) {
        const p = this.parked.park(node, data, rec.msgId);
        if (first === undefined) first = p;
        else if (more === undefined) more = [first, p];
        else more.push(p);
      }
    }
    if (more !== undefined) return Promise.all(more).then((r) => r.every(Boolean));
    return first ?? Promise.resolve(true);
  }

  reshare(msg: Message, groupKey: string): boolean {
    const g = this.interest.route(msg.topic).groups.find((x) => x.key === groupKey);
    const others = g?.nodes.filter((n) => n !== this.id);
    if (others === undefined || others.length === 0 || this.natsState !== 'connected') return false;
    const node = others[this.seq % others.length] as string;
    const now = this.broker.clock.now;
    if (msg.expired(now)) return false;
    const publish = encodePublishPart(msg, now);
    const groups = [groupKey];
    if (msg.qos === 0) {
      this.forwarder.add(node, msg.origin, '', groups, publish);
      return true;
    }
    const msgId = this.msgIdPrefix + String(++this.seq);
    void this.forwarder.addConfirmed(node, msg.origin, msgId, groups, publish).then((ok) => {
      if (!ok) {
        this.log.warn({ peer: node, topic: msg.topic }, 'cluster: shared message not re-routed');
      }
    });
    return true;
  }

  reforward(clientId: string, packetId: number): Promise<boolean> | undefined {
    const key = `${clientId}\0${packetId}`;
    const rec = this.unconfirmed.get(key);
    if (rec === undefined) return undefined;
    return this.sendAll(rec).then((ok) => {
      if (ok && this.unconfirmed.get(key) === rec) this.unconfirmed.delete(key);
      return ok;
    });
  }

  private remember(key: string, rec: Unconfirmed): void {
    this.unconfirmed.delete(key);
    if (this.unconfirmed.size >= UNCONFIRMED_MAX) {
      const oldest = this.unconfirmed.keys().next().value;
      if (oldest !== undefined) this.unconfirmed.delete(oldest);
    }
    this.unconfirmed.set(key, rec);
  }

  /**
   * A batch of messages from another node: each is routed here; a batch holding a QoS 1/2
   * message (a request) is confirmed once, when all of it is queued. A batch that does not
   * parse is dropped whole and not confirmed (its QoS 1/2 publishers get no ack in time).
   */
  private onForward(m: Msg): void {
    let batch: ForwardedMessage[];
    try {
      batch = decodeBatch(m.data);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cluster: bad forwarded batch ignored');
      return;
    }
    let confirm = false;
    for (const f of batch) if (this.receive(f)) confirm = true;
    if (confirm) this.confirmWhenDurable(m);
  }

  /** Routes one forwarded message (unless a duplicate); true when it needs a confirmation. */
  private receive(f: ForwardedMessage): boolean {
    this.stats.received++;
    const p = f.packet;
    if (p.qos === 2) {
      if (this.seen.has(f.msgId)) {
        this.stats.duplicates++;
        return true;
      }
      this.seen.add(f.msgId);
    }
    const msg = new Message(
      p.topic,
      p.payload,
      p.qos,
      p.retain,
      p.properties,
      f.origin,
      this.broker.clock.now,
    );
    // The payload is a view of this NATS message's own buffer: safe to keep.
    msg.owned = true;
    msg.remote = true;
    msg.sharedPick = f.groups.length === 0 ? NO_PICK : new Set(f.groups);
    this.broker.router.publish(msg);
    return p.qos > 0;
  }

  /** Delivers what other nodes parked in JetStream for this one while they took it for dead. */
  private drainParked(): void {
    if (this.parked === undefined || this.natsState !== 'connected') return;
    void this.parked.drain(
      (data) => {
        let batch: ForwardedMessage[];
        try {
          batch = decodeBatch(data);
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'cluster: bad parked message skipped');
          return;
        }
        for (const f of batch) this.receive(f);
      },
      () => new Promise<void>((resolve) => this.broker.persist.whenDurable(resolve)),
    );
  }

  /**
   * Confirms a QoS 1/2 copy once what routing it wrote to the store (queues of persistent
   * sessions) is durable, in `sync` mode; at once otherwise.
   */
  private confirmWhenDurable(m: Msg): void {
    this.broker.persist.whenDurable(() => m.respond(CONFIRMED));
  }

  /** Leaves the cluster: the broker goes on alone, and the NATS connection is drained. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.interestAcks.close();
    this.wills.close();
    if (this.broker.cluster === this) this.broker.setClusterLink(undefined);
    this.forwarder.flush();
    const connected = this.natsState === 'connected';
    this.natsState = 'closed';
    if (this.nc.isClosed()) return;
    // Drained (pending publishes flushed) when NATS is there; a drain cannot finish without it,
    // and is bounded in any case, so that stopping never hangs on NATS.
    if (connected) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.o.forwardTimeoutMs);
      });
      await Promise.race([this.nc.drain().catch(() => undefined), late]);
      clearTimeout(timer);
    }
    if (!this.nc.isClosed()) await this.nc.close();
  }
}
