import type { ClusterLink } from '../cluster-link.js';
import type { Session } from '../session/session.js';
import { SharedGroup } from './shared.js';
import type { SubEntry } from './subscription.js';

class TrieNode {
  children: Map<string, TrieNode> | undefined = undefined;
  plus: TrieNode | undefined = undefined;
  hash: TrieNode | undefined = undefined;
  subs: SubEntry[] = [];
  shared: Map<string, SharedGroup> | undefined = undefined;
  constructor(
    readonly parent: TrieNode | undefined,
    readonly key: string,
  ) {}

  get empty(): boolean {
    return (
      this.subs.length === 0 &&
      (this.shared === undefined || this.shared.size === 0) &&
      (this.children === undefined || this.children.size === 0) &&
      this.plus === undefined &&
      this.hash === undefined
    );
  }
}

/**
 * The subscription index: one node per filter level, a Map per level for literal levels and
 * dedicated `+` / `#` edges. Matching visits only the branches a topic can reach.
 *
 * Matching de-duplicates per session without allocating: each {@link Session} carries
 * `matchEpoch/matchQos/matchRap/matchSubIds`, reset the first time a publish reaches it.
 */
export class TopicTrie {
  private readonly root = new TrieNode(undefined, '');
  private epoch = 0;
  private origin = '';
  /** Sessions reached by the last {@link match} (reused: consume before matching again). */
  readonly outSessions: Session[] = [];
  /** Shared groups reached by the last {@link match}. */
  readonly outShared: SharedGroup[] = [];
  /** Number of stored subscriptions (shared members included). */
  count = 0;
  /** Bumped by every change of the subscriptions: results cached before it are stale. */
  generation = 0;
  /** A No Local subscription took part in the last match (its result depends on the origin). */
  sawNoLocal = false;
  /** Told of every subscription added or removed (the cluster announces interest). */
  watcher: ClusterLink | undefined = undefined;

  /** Adds (or replaces the options of) a subscription. Returns true when it is new. */
  add(entry: SubEntry): boolean {
    this.generation++;
    const node = this.nodeFor(entry.topicFilter, true) as TrieNode;
    if (entry.group !== undefined) {
      if (node.shared === undefined) node.shared = new Map();
      let g = node.shared.get(entry.group);
      if (g === undefined) {
        g = new SharedGroup(entry.group, entry.topicFilter);
        node.shared.set(entry.group, g);
      }
      if (!upsert(g.members, entry)) return false;
      this.count++;
      this.watcher?.interestAdded(entry);
      return true;
    }
    if (!upsert(node.subs, entry)) return false;
    this.count++;
    this.watcher?.interestAdded(entry);
    return true;
  }

  /** Removes a subscription; returns true when it existed. */
  remove(entry: SubEntry): boolean {
    const node = this.nodeFor(entry.topicFilter, false);
    if (node === undefined) return false;
    let removed = false;
    if (entry.group !== undefined) {
      const g = node.shared?.get(entry.group);
      if (g !== undefined) {
        const before = g.members.length;
        g.remove(entry);
        removed = g.members.length < before;
        if (g.members.length === 0) node.shared?.delete(entry.group);
      }
    } else {
      const i = node.subs.indexOf(entry);
      if (i >= 0) {
        node.subs.splice(i, 1);
        removed = true;
      }
    }
    if (removed) {
      this.generation++;
      this.count--;
      this.prune(node);
      this.watcher?.interestRemoved(entry);
    }
    return removed;
  }

  /**
   * Finds the sessions and shared groups a topic reaches, into {@link outSessions} and
   * {@link outShared} (reused by the next call: consume them before matching again).
   */
  matchInto(levels: string[], origin: string): void {
    this.epoch = (this.epoch + 1) | 0;
    this.origin = origin;
    this.outSessions.length = 0;
    this.outShared.length = 0;
    this.sawNoLocal = false;
    const dollar = (levels[0] as string).charCodeAt(0) === 36; // '$'
    this.walk(this.root, levels, 0, dollar);
  }

  /** {@link matchInto}, returning the result arrays (tests and rare paths). */
  match(levels: string[], origin: string): { sessions: Session[]; shared: SharedGroup[] } {
    this.matchInto(levels, origin);
    return { sessions: this.outSessions, shared: this.outShared };
  }

  private walk(node: TrieNode, levels: string[], i: number, dollar: boolean): void {
    // [MQTT-4.7.2-1] Topics starting with '$' are not matched by a leading wildcard.
    const wild = i !== 0 || !dollar;
    if (i === levels.length) {
      this.collect(node);
      if (node.hash !== undefined) this.collect(node.hash); // 'a/#' matches 'a'
      return;
    }
    if (wild) {
      if (node.hash !== undefined) this.collect(node.hash);
      if (node.plus !== undefined) this.walk(node.plus, levels, i + 1, dollar);
    }
    const child = node.children?.get(levels[i] as string);
    if (child !== undefined) this.walk(child, levels, i + 1, dollar);
  }

  private collect(node: TrieNode): void {
    const subs = node.subs;
    const epoch = this.epoch;
    for (let i = 0; i < subs.length; i++) {
      const e = subs[i] as SubEntry;
      const s = e.session;
      if (e.noLocal) {
        this.sawNoLocal = true;
        if (s.clientId === this.origin) continue;
      }
      if (s.matchEpoch !== epoch) {
        s.matchEpoch = epoch;
        s.matchQos = e.qos;
        s.matchRap = e.retainAsPublished;
        s.matchSubIds = e.subscriptionId !== 0 ? [e.subscriptionId] : undefined;
        this.outSessions.push(s);
      } else {
        if (e.qos > s.matchQos) s.matchQos = e.qos;
        if (e.retainAsPublished) s.matchRap = true;
        if (e.subscriptionId !== 0) {
          if (s.matchSubIds === undefined) s.matchSubIds = [e.subscriptionId];
          else s.matchSubIds.push(e.subscriptionId);
        }
      }
    }
    if (node.shared !== undefined) for (const g of node.shared.values()) this.outShared.push(g);
  }

  private nodeFor(filter: string, create: boolean): TrieNode | undefined {
    let node = this.root;
    let start = 0;
    for (;;) {
      let end = filter.indexOf('/', start);
      if (end === -1) end = filter.length;
      const level = filter.slice(start, end);
      let next: TrieNode | undefined;
      if (level === '+') {
        next = node.plus;
        if (next === undefined && create) next = node.plus = new TrieNode(node, '+');
      } else if (level === '#') {
        next = node.hash;
        if (next === undefined && create) next = node.hash = new TrieNode(node, '#');
      } else {
        next = node.children?.get(level);
        if (next === undefined && create) {
          next = new TrieNode(node, level);
          if (node.children === undefined) node.children = new Map();
          node.children.set(level, next);
        }
      }
      if (next === undefined) return undefined;
      node = next;
      if (end === filter.length) return node;
      start = end + 1;
    }
  }

  private prune(node: TrieNode): void {
    let n: TrieNode | undefined = node;
    while (n !== undefined && n.parent !== undefined && n.empty) {
      const p: TrieNode = n.parent;
      if (p.plus === n) p.plus = undefined;
      else if (p.hash === n) p.hash = undefined;
      else p.children?.delete(n.key);
      n = p;
    }
  }
}

/**
 * One session has at most one subscription per filter (and per shared group): a new one replaces
 * the old in place, keeping its turn in the round robin. Returns true when `entry` was added.
 */
function upsert(list: SubEntry[], entry: SubEntry): boolean {
  const i = list.findIndex((s) => s.session === entry.session);
  if (i >= 0) {
    list[i] = entry;
    return false;
  }
  list.push(entry);
  return true;
}
