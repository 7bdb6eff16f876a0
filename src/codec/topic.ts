import { MqttError } from './errors.js';
import { ReasonCode } from './reason-codes.js';

const PLUS = 0x2b;
const HASH = 0x23;
const SLASH = 0x2f;
const DOLLAR = 0x24;
const SHARE_PREFIX = '$share/';

function nameError(message: string, statement: string): MqttError {
  return new MqttError('TOPIC_NAME_INVALID', message, ReasonCode.TopicNameInvalid, statement);
}

function filterError(message: string, statement: string): MqttError {
  return new MqttError('TOPIC_FILTER_INVALID', message, ReasonCode.TopicFilterInvalid, statement);
}

/** Reason a topic name is invalid, or undefined when it is valid. */
function topicNameProblem(topic: string): MqttError | undefined {
  const n = topic.length;
  if (n === 0) return nameError('empty topic name', 'MQTT-4.7.3-1');
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c === PLUS || c === HASH) return nameError('wildcard in topic name', 'MQTT-4.7.0-1');
    if (c === 0) return nameError('U+0000 in topic name', 'MQTT-4.7.3-2');
  }
  return undefined;
}

/** Reason a (non-shared) topic filter is invalid, or undefined when it is valid. */
function plainFilterProblem(filter: string, from: number): MqttError | undefined {
  const n = filter.length;
  if (n === from) return filterError('empty topic filter', 'MQTT-4.7.3-1');
  for (let i = from; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS) {
      if (
        (i > from && filter.charCodeAt(i - 1) !== SLASH) ||
        (i + 1 < n && filter.charCodeAt(i + 1) !== SLASH)
      ) {
        return filterError("'+' must occupy an entire level", 'MQTT-4.7.1-2');
      }
    } else if (c === HASH) {
      if (i !== n - 1 || (i > from && filter.charCodeAt(i - 1) !== SLASH)) {
        return filterError("'#' must be last and occupy an entire level", 'MQTT-4.7.1-1');
      }
    } else if (c === 0) {
      return filterError('U+0000 in topic filter', 'MQTT-4.7.3-2');
    }
  }
  return undefined;
}

function filterProblem(filter: string, shared: boolean): MqttError | undefined {
  if (shared && filter.startsWith(SHARE_PREFIX)) {
    const slash = filter.indexOf('/', SHARE_PREFIX.length);
    if (slash <= SHARE_PREFIX.length) {
      return filterError('shared subscription needs a share name and a filter', 'MQTT-4.8.2-1');
    }
    for (let i = SHARE_PREFIX.length; i < slash; i++) {
      const c = filter.charCodeAt(i);
      if (c === PLUS || c === HASH) {
        return filterError('wildcard in share name', 'MQTT-4.8.2-2');
      }
    }
    return plainFilterProblem(filter, slash + 1);
  }
  return plainFilterProblem(filter, 0);
}

/** How a topic filter is read by {@link validateTopicFilter} and {@link isValidTopicFilter}. */
export interface TopicFilterOptions {
  /**
   * Whether `$share/{group}/{filter}` is a shared subscription (default true), checked as such
   * [MQTT-4.8.2-1] [MQTT-4.8.2-2]. Pass false for filters that are matched against topic names
   * but never subscribed, such as ACL rules: there `$share` is an ordinary first level, so
   * `$share/+/x` is a valid rule (and `%c`/`%u` placeholders are ordinary characters too).
   */
  shared?: boolean | undefined;
}

/**
 * Throws MqttError 'TOPIC_NAME_INVALID' (0x90) unless `topic` is a valid topic name: at least one
 * character [MQTT-4.7.3-1], no wildcard characters [MQTT-4.7.0-1], no U+0000.
 */
export function validateTopicName(topic: string): void {
  const e = topicNameProblem(topic);
  if (e !== undefined) throw e;
}

/**
 * Throws MqttError 'TOPIC_FILTER_INVALID' (0x8F) unless `filter` is a valid topic filter
 * [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1], including `$share/{group}/{filter}` syntax
 * [MQTT-4.8.2-1] [MQTT-4.8.2-2] unless `options.shared` is false.
 */
export function validateTopicFilter(filter: string, options?: TopicFilterOptions): void {
  const e = filterProblem(filter, options?.shared !== false);
  if (e !== undefined) throw e;
}

/** True when `topic` is a valid topic name (see {@link validateTopicName}). */
export function isValidTopicName(topic: string): boolean {
  return topicNameProblem(topic) === undefined;
}

/** True when `filter` is a valid topic filter (see {@link validateTopicFilter}). */
export function isValidTopicFilter(filter: string, options?: TopicFilterOptions): boolean {
  return filterProblem(filter, options?.shared !== false) === undefined;
}

/** Whether `s` contains a wildcard character, `+` or `#`. */
export function hasWildcard(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === PLUS || c === HASH) return true;
  }
  return false;
}

/**
 * Whether `filter` starts with `$share/`. A cheap test for filters already validated (then it
 * means a well-formed shared subscription); use {@link parseSharedSubscription} to split one.
 */
export function isSharedSubscription(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Splits a shared subscription filter: `'$share/g/a/+'` gives `{ group: 'g', filter: 'a/+' }`.
 * Returns undefined when `filter` is not shared; throws 0x8F when it is shared but malformed.
 */
export function parseSharedSubscription(
  filter: string,
): { group: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const e = filterProblem(filter, true);
  if (e !== undefined) throw e;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/**
 * True when `filter` starts with a wildcard and `topic` (a name, or a filter) starts with '$':
 * such a filter never reaches it [MQTT-4.7.2-1].
 */
function dollarShielded(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) !== DOLLAR) return false;
  const f0 = filter.charCodeAt(0);
  return f0 === HASH || f0 === PLUS;
}

/**
 * Whether topic name `topic` matches (non-shared) topic filter `filter`. Topics starting with '$'
 * are not matched by filters starting with a wildcard [MQTT-4.7.2-1]. Inputs are assumed valid.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (dollarShielded(filter, topic)) return false;
  const fl = filter.length;
  const tl = topic.length;
  let fi = 0;
  let ti = 0;
  while (fi < fl) {
    const fc = filter.charCodeAt(fi);
    if (fc === HASH) return true;
    if (fc === PLUS) {
      while (ti < tl && topic.charCodeAt(ti) !== SLASH) ti++;
      fi++;
      continue;
    }
    if (ti >= tl) {
      // 'a/#' also matches the parent level 'a'.
      return fi + 2 === fl && fc === SLASH && filter.charCodeAt(fi + 1) === HASH;
    }
    if (topic.charCodeAt(ti) !== fc) return false;
    fi++;
    ti++;
  }
  return ti === tl;
}

/**
 * Whether topic filter `rule` covers topic filter `sub`: every topic `sub` can match is matched by
 * `rule` (used to grant a subscription by an ACL rule). Decided level by level: `#` in the rule
 * covers the rest (and the parent level, as in matching); `+` in the rule covers `+` or a literal;
 * a literal covers only the same literal; `#` in `sub` is covered only by `#` in the rule; a rule
 * starting with a wildcard covers no filter starting with `$` [MQTT-4.7.2-1]. This is syntactic
 * (`+/#` is not seen to cover `#`), which errs towards refusing, never towards granting. Both are
 * assumed valid and non-shared. Scans with `charCodeAt`, allocating nothing.
 */
export function filterCovers(rule: string, sub: string): boolean {
  if (dollarShielded(rule, sub)) return false;
  const rl = rule.length;
  const sl = sub.length;
  let ri = 0;
  let si = 0;
  for (;;) {
    // ri and si are at the start of a level of each filter.
    let re = rule.indexOf('/', ri);
    if (re < 0) re = rl;
    let se = sub.indexOf('/', si);
    if (se < 0) se = sl;
    const r = re - ri === 1 ? rule.charCodeAt(ri) : 0;
    const s = se - si === 1 ? sub.charCodeAt(si) : 0;
    if (r === HASH) return true;
    if (s === HASH) return false;
    if (r !== PLUS) {
      if (s === PLUS || re - ri !== se - si) return false;
      for (let k = ri, j = si; k < re; k++, j++) {
        if (rule.charCodeAt(k) !== sub.charCodeAt(j)) return false;
      }
    }
    if (re === rl) return se === sl;
    if (se === sl) {
      // `sub` has no more levels: only a final `#` in the rule covers (`a/#` covers `a`).
      return re + 2 === rl && rule.charCodeAt(re + 1) === HASH;
    }
    ri = re + 1;
    si = se + 1;
  }
}
