// Parser for Mosquitto's `acl_file` syntax:
//
//   # rules before any `user` line apply to anonymous clients
//   topic read public/#
//   user alice
//   topic readwrite alice/#          (no access word means readwrite)
//   topic deny alice/secret
//   pattern write devices/%c/status  (applies to every client, wherever it appears)
//
// Deviations from Mosquitto, all towards refusing: an unknown keyword, a missing topic or user, an
// invalid filter, and a `%c`/`%u` that does not fill a whole level are errors naming the line.
import { isValidTopicFilter, type TopicFilterOptions } from '../codec/topic.js';
import { AuthFileError } from './errors.js';

/** A rule is matched against topics, never subscribed: `$share/` is an ordinary first level. */
const RULE_FILTER: TopicFilterOptions = { shared: false };

/** Access granted (or refused, for `deny`) by a rule. */
export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

/** One `topic` or `pattern` line. */
export interface AclRule {
  kind: 'topic' | 'pattern';
  access: AclAccess;
  /** The topic filter as written (patterns keep their `%c`/`%u` placeholders). */
  filter: string;
  /** 1-based line number. */
  line: number;
}

/** The rules of an ACL file, grouped the way they apply. */
export interface AclRules {
  /** `topic` rules before the first `user` line: for clients without a user name. */
  anonymous: AclRule[];
  /** `topic` rules per user name. */
  users: Map<string, AclRule[]>;
  /** `pattern` rules: for every client, after substituting `%c` and `%u`. */
  patterns: AclRule[];
}

const ACCESS = new Set<string>(['read', 'write', 'readwrite', 'deny']);

/**
 * Parses ACL file text. Throws {@link AuthFileError} naming the first bad line.
 */
export function parseAclFile(text: string, source = 'acl file'): AclRules {
  const rules: AclRules = { anonymous: [], users: new Map(), patterns: [] };
  let current = rules.anonymous;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = (lines[i] ?? '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(trimmed);
    const keyword = m?.[1] ?? '';
    const rest = (m?.[2] ?? '').trim();
    if (keyword === 'user') {
      if (rest === '') throw new AuthFileError(source, line, "missing user name after 'user'");
      let list = rules.users.get(rest);
      if (list === undefined) {
        list = [];
        rules.users.set(rest, list);
      }
      current = list;
      continue;
    }
    if (keyword !== 'topic' && keyword !== 'pattern') {
      throw new AuthFileError(
        source,
        line,
        `unknown keyword '${keyword}' (expected topic, pattern or user)`,
      );
    }
    const rule = parseRule(keyword, rest, line, source);
    if (keyword === 'pattern') rules.patterns.push(rule);
    else current.push(rule);
  }
  return rules;
}

function parseRule(kind: 'topic' | 'pattern', rest: string, line: number, source: string): AclRule {
  if (rest === '') throw new AuthFileError(source, line, `missing topic after '${kind}'`);
  // As in Mosquitto: with one word it is the topic; with more, the first is the access type and
  // the remainder (which may contain spaces) is the topic.
  const m = /^(\S+)\s+(.*)$/.exec(rest);
  let access: AclAccess = 'readwrite';
  let filter = rest;
  if (m !== null) {
    const word = m[1] ?? '';
    if (!ACCESS.has(word)) {
      throw new AuthFileError(
        source,
        line,
        `invalid access type '${word}' (expected read, write, readwrite or deny)`,
      );
    }
    access = word as AclAccess;
    filter = (m[2] ?? '').trim();
  }
  if (!isValidTopicFilter(filter, RULE_FILTER)) {
    throw new AuthFileError(source, line, `invalid topic filter '${filter}'`);
  }
  if (kind === 'pattern') {
    for (const level of filter.split('/')) {
      if (level !== '%c' && level !== '%u' && (level.includes('%c') || level.includes('%u'))) {
        throw new AuthFileError(
          source,
          line,
          `'%c' and '%u' must fill a whole topic level, not '${level}'`,
        );
      }
    }
  }
  return { kind, access, filter, line };
}
