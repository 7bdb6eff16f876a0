// Dynamic-security decisions for one connection. The rules that apply (the client id's, then
// those of the user's roles in order) are compiled once per change of the rule set, with `%u`
// and `%c` filled, so a check is a scan of a few filters; repeated topics hit a small cache.
import { filterCovers, parseSharedSubscription, topicMatches } from '../../codec/topic.js';
import type { AclIdentity } from '../acl.js';
import { fillPattern } from '../acl.js';
import type { RuleAction, SecurityRule } from './model.js';

/** What the checker asks of the rule set: its version and the rules of an identity, in order. */
export interface RuleSource {
  /** Increases with every change of users, roles or client rules. */
  readonly generation: number;
  /** The rules that apply to `identity`, first to be consulted first. */
  rulesFor(identity: AclIdentity): readonly SecurityRule[];
}

/** A compiled rule: its filter with placeholders filled. */
interface Compiled {
  filter: string;
  allow: boolean;
}

const CACHE_LIMIT = 256;
/** Cached verdicts: no rule decided. */
const NONE = 2;

/**
 * The dynamic rules' verdict for one identity: `true` allowed, `false` denied, `undefined` when
 * no rule matched (the caller falls back to the ACL file). The first matching rule decides.
 */
export class DynamicChecker {
  readonly identity: Readonly<AclIdentity>;
  private generation = -1;
  private publishRules: Compiled[] = [];
  private subscribeRules: Compiled[] = [];
  private readRules: Compiled[] = [];
  private readonly pubCache = new Map<string, number>();
  private readonly subCache = new Map<string, number>();
  private readonly readCache = new Map<string, number>();

  constructor(
    private readonly source: RuleSource,
    identity: AclIdentity,
  ) {
    this.identity = { clientId: identity.clientId, username: identity.username };
  }

  /** May the client publish to `topic`? */
  canPublish(topic: string): boolean | undefined {
    this.refresh();
    const hit = this.pubCache.get(topic);
    if (hit !== undefined) return verdict(hit);
    return remember(this.pubCache, topic, decideTopic(this.publishRules, topic));
  }

  /** May a message on `topic` be delivered to the client? */
  canRead(topic: string): boolean | undefined {
    this.refresh();
    const hit = this.readCache.get(topic);
    if (hit !== undefined) return verdict(hit);
    return remember(this.readCache, topic, decideTopic(this.readRules, topic));
  }

  /**
   * May the client subscribe to `filter`? A rule matches when its filter covers the requested
   * one (every topic the subscription can match lies within the rule); a shared subscription is
   * judged by the filter after `$share/group/`.
   */
  canSubscribe(filter: string): boolean | undefined {
    this.refresh();
    const hit = this.subCache.get(filter);
    if (hit !== undefined) return verdict(hit);
    const inner = parseSharedSubscription(filter)?.filter ?? filter;
    let d: boolean | undefined;
    for (const r of this.subscribeRules) {
      if (filterCovers(r.filter, inner)) {
        d = r.allow;
        break;
      }
    }
    return remember(this.subCache, filter, d);
  }

  private refresh(): void {
    if (this.generation === this.source.generation) return;
    this.generation = this.source.generation;
    this.publishRules = [];
    this.subscribeRules = [];
    this.readRules = [];
    for (const rule of this.source.rulesFor(this.identity)) {
      const allow = rule.permission === 'allow';
      const filter = fillPattern(rule.topic, this.identity, !allow);
      if (filter !== undefined) this.listFor(rule.action).push({ filter, allow });
    }
    this.pubCache.clear();
    this.subCache.clear();
    this.readCache.clear();
  }

  private listFor(action: RuleAction): Compiled[] {
    switch (action) {
      case 'publish':
        return this.publishRules;
      case 'subscribe':
        return this.subscribeRules;
      case 'read':
        return this.readRules;
    }
  }
}

function decideTopic(rules: Compiled[], topic: string): boolean | undefined {
  for (const r of rules) if (topicMatches(r.filter, topic)) return r.allow;
  return undefined;
}

function verdict(v: number): boolean | undefined {
  return v === NONE ? undefined : v === 1;
}

function remember(
  cache: Map<string, number>,
  key: string,
  d: boolean | undefined,
): boolean | undefined {
  // Clearing beats LRU bookkeeping: a client cycling through topics refills its working set.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, d === undefined ? NONE : d ? 1 : 0);
  return d;
}
