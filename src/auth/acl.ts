// ACL decisions for one connection. Rules that apply to the connection are resolved once, when the
// checker is made (user block or anonymous block, patterns with `%c`/`%u` substituted), so a check
// is a scan of a few filters with the codec's matcher, and repeated topics hit a small cache.
import { readFile } from 'node:fs/promises';
import {
  filterCovers,
  hasWildcard,
  isValidTopicFilter,
  parseSharedSubscription,
  topicMatches,
} from '../codec/topic.js';
import type { AclRule, AclRules } from './acl-file.js';
import { parseAclFile } from './acl-file.js';

/** Who a connection is, as far as the ACL cares. */
export interface AclIdentity {
  /** The client identifier (the one the broker assigned, if the client sent none). */
  clientId: string;
  /** The authenticated user name; undefined for an anonymous client. */
  username?: string | undefined;
}

/**
 * A parsed ACL. Immutable: a reload parses a new one and hands it to the live checkers with
 * {@link AclChecker.update}.
 */
export class Acl {
  /** The parsed rules; undefined for {@link Acl.allowAll}. */
  readonly rules: AclRules | undefined;

  private constructor(rules: AclRules | undefined) {
    this.rules = rules;
  }

  /**
   * Parses ACL file text in Mosquitto's `acl_file` syntax. Throws {@link AuthFileError} (from
   * `./errors.js`) naming the line of the first problem.
   */
  static parse(text: string, source = 'acl file'): Acl {
    return new Acl(parseAclFile(text, source));
  }

  /** Reads and parses an ACL file; rejects with {@link AuthFileError} on a bad line. */
  static async load(path: string): Promise<Acl> {
    return Acl.parse(await readFile(path, 'utf8'), path);
  }

  /**
   * The ACL used when no ACL file is configured: everything is allowed except publishing to
   * `$SYS`, which stays read-only for clients.
   */
  static allowAll(): Acl {
    return new Acl(undefined);
  }

  /** A checker for one connection; make it after authentication, keep it for the connection. */
  checker(identity: AclIdentity): AclChecker {
    return new AclChecker(this, identity);
  }
}

/** Rules of one connection (filters, placeholders filled), grouped by what they decide. */
interface Compiled {
  deny: string[];
  read: string[];
  write: string[];
}

/** Per-operation cache size; small because most clients use a handful of topics. */
const CACHE_LIMIT = 256;

/**
 * ACL decisions for one connection. All methods are synchronous and cached per topic.
 * Deny rules (topic and pattern alike) are evaluated before any allow rule; nothing is allowed
 * unless a rule allows it; publishing to `$SYS` is always refused.
 */
export class AclChecker {
  /** The identity this checker decides for. */
  readonly identity: Readonly<AclIdentity>;
  private compiled: Compiled | undefined;
  private readonly pubCache = new Map<string, boolean>();
  private readonly subCache = new Map<string, boolean>();
  private readonly readCache = new Map<string, boolean>();

  /** Use {@link Acl.checker}. */
  constructor(acl: Acl, identity: AclIdentity) {
    this.identity = { clientId: identity.clientId, username: identity.username };
    this.compiled = compile(acl.rules, this.identity);
  }

  /**
   * Switches to a new ACL (after a reload) and forgets cached decisions. The broker should then
   * re-check the connection's subscriptions with {@link canSubscribe}.
   */
  update(acl: Acl): void {
    this.compiled = compile(acl.rules, this.identity);
    this.pubCache.clear();
    this.subCache.clear();
    this.readCache.clear();
  }

  /** May this client publish to `topic` (a topic name, no wildcards)? */
  canPublish(topic: string): boolean {
    const hit = this.pubCache.get(topic);
    if (hit !== undefined) return hit;
    let ok: boolean;
    if (isSysTopic(topic)) ok = false;
    else if (this.compiled === undefined) ok = true;
    else ok = decideTopic(this.compiled, this.compiled.write, topic);
    return remember(this.pubCache, topic, ok);
  }

  /**
   * May this client receive a message published on `topic`? Check on every delivery, retained
   * messages included: a subscription granted earlier does not outlive a deny rule or a reload.
   */
  canRead(topic: string): boolean {
    const hit = this.readCache.get(topic);
    if (hit !== undefined) return hit;
    const ok = this.compiled === undefined || decideTopic(this.compiled, this.compiled.read, topic);
    return remember(this.readCache, topic, ok);
  }

  /**
   * May this client subscribe to `filter`? Granted when a read rule covers the whole filter (every
   * topic the filter can match is readable) and no deny rule covers it. A deny rule that covers
   * only part of the filter does not refuse the subscription; {@link canRead} drops the denied
   * messages at delivery. A shared subscription (`$share/group/filter`) is judged by its filter.
   * An invalid filter (a malformed `$share/` one included) is refused.
   */
  canSubscribe(filter: string): boolean {
    const hit = this.subCache.get(filter);
    if (hit !== undefined) return hit;
    let ok = false;
    if (isValidTopicFilter(filter)) {
      const inner = parseSharedSubscription(filter)?.filter ?? filter;
      ok = this.compiled === undefined || decideFilter(this.compiled, inner);
    }
    return remember(this.subCache, filter, ok);
  }
}

function remember(cache: Map<string, boolean>, key: string, value: boolean): boolean {
  // Clearing beats LRU bookkeeping here: a client cycling through many topics refills the cache
  // with its current working set.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** `$SYS` or a topic under it (`$SYS/...`), which clients may never publish to. */
function isSysTopic(topic: string): boolean {
  return topic.startsWith('$SYS') && (topic.length === 4 || topic.charCodeAt(4) === 0x2f);
}

function decideTopic(c: Compiled, allow: string[], topic: string): boolean {
  for (const d of c.deny) if (topicMatches(d, topic)) return false;
  for (const a of allow) if (topicMatches(a, topic)) return true;
  return false;
}

function decideFilter(c: Compiled, sub: string): boolean {
  for (const d of c.deny) if (filterCovers(d, sub)) return false;
  for (const a of c.read) if (filterCovers(a, sub)) return true;
  return false;
}

/**
 * A value may stand in for `%c`/`%u` only if it is non-empty and free of `+`, `#` and `/`:
 * otherwise a client could name itself `#` or `a/b` and reach other clients' topics.
 */
function isSafeLevel(value: string | undefined): value is string {
  return value !== undefined && value.length > 0 && !value.includes('/') && !hasWildcard(value);
}

function compile(rules: AclRules | undefined, id: AclIdentity): Compiled | undefined {
  if (rules === undefined) return undefined;
  const out: Compiled = { deny: [], read: [], write: [] };
  const own = id.username === undefined ? rules.anonymous : (rules.users.get(id.username) ?? []);
  for (const r of own) add(out, r, r.filter);
  for (const r of rules.patterns) {
    const filter = fillPattern(r.filter, id, r.access === 'deny');
    if (filter !== undefined) add(out, r, filter);
  }
  return out;
}

/**
 * Fills the `%c` (client id) and `%u` (user name) levels of a rule's filter. A value that is not
 * a safe level cannot stand in: an allow rule then grants nothing (undefined), and a deny rule
 * fails closed, its unfillable levels becoming `+` so it denies the topics for every value.
 */
export function fillPattern(filter: string, id: AclIdentity, deny: boolean): string | undefined {
  if (!filter.includes('%')) return filter;
  const levels = filter.split('/');
  let unfillable = false;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l === '%c') {
      if (isSafeLevel(id.clientId)) levels[i] = id.clientId;
      else unfillable = true;
    } else if (l === '%u') {
      if (isSafeLevel(id.username)) levels[i] = id.username;
      else unfillable = true;
    }
  }
  if (unfillable) {
    if (!deny) return undefined;
    for (let i = 0; i < levels.length; i++) {
      if (levels[i] === '%c' || levels[i] === '%u') levels[i] = '+';
    }
  }
  return levels.join('/');
}

function add(out: Compiled, rule: AclRule, filter: string): void {
  switch (rule.access) {
    case 'deny':
      out.deny.push(filter);
      break;
    case 'read':
      out.read.push(filter);
      break;
    case 'write':
      out.write.push(filter);
      break;
    case 'readwrite':
      out.read.push(filter);
      out.write.push(filter);
      break;
  }
}
