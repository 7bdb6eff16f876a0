// Who wants what: this node's subscription filters (counted, so that only the first
// subscription to a filter and the last unsubscription are announced) and the other nodes'
// filters as they announced them, with the routes of a topic derived from both.

import { parseSharedSubscription, topicMatches } from '../codec/topic.js';

/** The filters of this node: announced when their count goes 0 → 1 and 1 → 0. */
export class LocalInterest {
  private readonly counts = new Map<string, number>();
  /** Number of the last change. */
  seq = 0;
  private added: string[] = [];
  private removed: string[] = [];

  /** Counts a subscription; true when the filter is new (a change to announce). */
  add(filter: string): void {
    const n = this.counts.get(filter) ?? 0;
    this.counts.set(filter, n + 1);
    if (n === 0) this.change(filter, this.added, this.removed);
  }

  remove(filter: string): void {
    const n = this.counts.get(filter);
    if (n === undefined) return;
    if (n > 1) {
      this.counts.set(filter, n - 1);
      return;
    }
    this.counts.delete(filter);
    this.change(filter, this.removed, this.added);
  }

  /** A filter added then removed before the announcement cancels out, and the reverse. */
  private change(filter: string, into: string[], other: string[]): void {
    const i = other.indexOf(filter);
    if (i >= 0) other.splice(i, 1);
    else into.push(filter);
  }

  /** The changes not yet announced, as one numbered delta (undefined when there are none). */
  takeDelta(): { seq: number; add: string[]; remove: string[] } | undefined {
    if (this.added.length === 0 && this.removed.length === 0) return undefined;
    this.seq++;
    const d = { seq: this.seq, add: this.added, remove: this.removed };
    this.added = [];
    this.removed = [];
    return d;
  }

  /** Every filter (for a snapshot, taken after {@link takeDelta} so that `seq` matches). */
  filters(): string[] {
    return [...this.counts.keys()];
  }

  has(filter: string): boolean {
    return this.counts.has(filter);
  }
}

/** Another node as this one sees it. */
export class NodeView {
  run = '';
  /** Its last interest change applied here; -1 until a snapshot arrived. */
  seq = -1;
  readonly filters = new Set<string>();
  lastSeen = 0;
  alive = true;
  /** Messages sent to it and confirmations it sent back (the `$SYS` cluster view). */
  forwarded = 0;
  received = 0;

  constructor(readonly id: string) {}
}

/** A shared group matching a topic, and the nodes with members in it. */
interface GroupRoute {
  key: string;
  /** Node ids, the local one included when it has members. */
  nodes: string[];
}

/** The nodes one topic goes to. */
export class TopicRoute {
  constructor(
    /** Other nodes with a matching non-shared filter. */
    readonly plain: NodeView[],
    readonly groups: GroupRoute[],
    /**
     * Nodes taken for dead with a matching non-shared filter: QoS 1/2 messages are kept for
     * them in JetStream (parked.ts). Empty most of the time.
     */
    readonly parked: NodeView[] = NO_NODES,
  ) {}
}

const NO_NODES: NodeView[] = [];

const ROUTES_MAX = 10_000;

/**
 * The other nodes' interest and the routes derived from it: a topic's route is computed by
 * matching it against every filter announced (and this node's shared filters, for the choice of
 * a group's serving node), then cached until any interest or liveness changes. Most traffic
 * repeats topics, so a forward usually costs one Map lookup.
 */
export class ClusterInterest {
  readonly nodes = new Map<string, NodeView>();
  private readonly routes = new Map<string, TopicRoute>();
  /** Round-robin position per shared group key (kept across route invalidations). */
  private readonly cursors = new Map<string, number>();

  constructor(
    private readonly self: string,
    private readonly local: LocalInterest,
  ) {}

  /** Something changed: every cached route is stale. */
  invalidate(): void {
    this.routes.clear();
  }

  route(topic: string): TopicRoute {
    let r = this.routes.get(topic);
    if (r !== undefined) return r;
    const plain: NodeView[] = [];
    let parked: NodeView[] | undefined;
    const groups = new Map<string, GroupRoute>();
    const addGroup = (filter: string, node: string) => {
      const s = parseSharedSubscription(filter);
      if (s === undefined || !topicMatches(s.filter, topic)) return;
      const key = `${s.group}\0${s.filter}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { key, nodes: [] };
        groups.set(key, g);
      }
      g.nodes.push(node);
    };
    for (const f of this.local.filters()) if (f.startsWith('$share/')) addGroup(f, this.self);
    for (const n of this.nodes.values()) {
      if (!n.alive) {
        if (anyMatch(n.filters, topic)) {
          if (parked === undefined) parked = [];
          parked.push(n);
        }
        continue;
      }
      let wants = false;
      for (const f of n.filters) {
        if (f.startsWith('$share/')) addGroup(f, n.id);
        else if (!wants && topicMatches(f, topic)) wants = true;
      }
      if (wants) plain.push(n);
    }
    r = new TopicRoute(plain, [...groups.values()], parked);
    if (this.routes.size >= ROUTES_MAX) this.routes.clear();
    this.routes.set(topic, r);
    return r;
  }

  /** The node that serves shared group `g` for the next message: round robin over its nodes. */
  pick(g: GroupRoute): string {
    const c = this.cursors.get(g.key) ?? 0;
    if (this.cursors.size >= ROUTES_MAX) this.cursors.clear();
    this.cursors.set(g.key, (c + 1) % 1_000_000);
    return g.nodes[c % g.nodes.length] as string;
  }
}

/** Whether a non-shared filter of `filters` matches `topic`. */
function anyMatch(filters: Set<string>, topic: string): boolean {
  for (const f of filters) if (!f.startsWith('$share/') && topicMatches(f, topic)) return true;
  return false;
}
