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

function filterProblem(filter: string): MqttError | undefined {
  if (filter.startsWith(SHARE_PREFIX)) {
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
 * [MQTT-4.8.2-1] [MQTT-4.8.2-2].
 */
export function validateTopicFilter(filter: string): void {
  const e = filterProblem(filter);
  if (e !== undefined) throw e;
}

/** True when `topic` is a valid topic name (see {@link validateTopicName}). */
export function isValidTopicName(topic: string): boolean {
  return topicNameProblem(topic) === undefined;
}

/** True when `filter` is a valid topic filter (see {@link validateTopicFilter}). */
export function isValidTopicFilter(filter: string): boolean {
  return filterProblem(filter) === undefined;
}

/**
 * Splits a shared subscription filter: `'$share/g/a/+'` gives `{ group: 'g', filter: 'a/+' }`.
 * Returns undefined when `filter` is not shared; throws 0x8F when it is shared but malformed.
 */
export function parseSharedSubscription(
  filter: string,
): { group: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const e = filterProblem(filter);
  if (e !== undefined) throw e;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/**
 * Whether topic name `topic` matches (non-shared) topic filter `filter`. Topics starting with '$'
 * are not matched by filters starting with a wildcard [MQTT-4.7.2-1]. Inputs are assumed valid.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (tl > 0 && topic.charCodeAt(0) === DOLLAR && fl > 0) {
    const f0 = filter.charCodeAt(0);
    if (f0 === HASH || f0 === PLUS) return false;
  }
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
