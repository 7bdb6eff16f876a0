// Topic-level matching for ACL rules. Works on pre-split levels so a rule is tokenised once, at
// load time, and a topic once per check.

/** Whether `filter` is a valid MQTT topic filter (wildcards fill whole levels, `#` only last). */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] ?? '';
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return false;
    if (l.includes('+') && l !== '+') return false;
  }
  return true;
}

/** Whether a topic (or filter) contains a wildcard character. */
export function hasWildcard(s: string): boolean {
  return s.includes('+') || s.includes('#');
}

/**
 * MQTT matching of a topic name against a filter, both split on '/'. A wildcard in the first
 * level never matches a topic that starts with '$' (MQTT-4.7.2-1).
 */
export function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  const first = topic[0];
  if (first !== undefined && first.charCodeAt(0) === 36 /* $ */) {
    const f0 = filter[0];
    if (f0 === '+' || f0 === '#') return false;
  }
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === '#') return true; // also matches the parent level: 'a/#' matches 'a'
    const t = topic[i];
    if (t === undefined) return false;
    if (f !== '+' && f !== t) return false;
  }
  return filter.length === topic.length;
}

/**
 * Whether `rule` covers the subscription filter `sub`: every topic `sub` can match is matched by
 * `rule`. Decided level by level: `#` in the rule covers the rest; `+` in the rule covers `+` or a
 * literal; a literal in the rule covers only the same literal; `#` in the subscription is covered
 * only by `#` in the rule. This is syntactic (`+/#` is not seen to cover `#`), which errs towards
 * refusing a subscription, never towards granting one.
 */
export function coversLevels(rule: readonly string[], sub: readonly string[]): boolean {
  const first = sub[0];
  if (first !== undefined && first.charCodeAt(0) === 36 /* $ */) {
    const r0 = rule[0];
    if (r0 === '+' || r0 === '#') return false;
  }
  for (let i = 0; ; i++) {
    const r = rule[i];
    const s = sub[i];
    if (r === undefined) return s === undefined;
    if (r === '#') return true;
    if (s === undefined || s === '#') return false;
    if (r === '+') continue;
    if (s === '+' || r !== s) return false;
  }
}
