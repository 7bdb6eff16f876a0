// The objects of dynamic security and their checks. Every check names the field at fault the way
// the admin API reports it (`body.rules[2].topic`), so the API, the store loader and embedders
// share one set of rules about what a valid user, role or rule is.
import { isValidTopicFilter } from '../../codec/topic.js';

/** What a rule decides: the client publishing, subscribing, or receiving a message. */
export type RuleAction = 'publish' | 'subscribe' | 'read';

/** One ACL rule of a role or a client id. */
export interface SecurityRule {
  /**
   * `publish`: the client sends to a topic the filter matches. `subscribe`: the client asks for
   * a filter that this filter covers. `read`: a message on a matching topic is delivered to it.
   */
  action: RuleAction;
  /** A topic filter; a level that is exactly `%u` or `%c` stands for the user name or client id. */
  topic: string;
  /** Whether a match allows or denies. */
  permission: 'allow' | 'deny';
}

/** A runtime user. */
export interface SecurityUser {
  username: string;
  /** The scrypt hash (`$scrypt$…`); never leaves the broker. */
  passwordHash: string;
  /** Refused at CONNECT, and closed when set, while true. */
  disabled: boolean;
  /** Role names, in the order their rules are consulted. */
  roles: string[];
  /** When set, the only client id this user may connect with. */
  clientId?: string | undefined;
}

/** A role: named, ordered rules. */
export interface SecurityRole {
  name: string;
  rules: SecurityRule[];
}

/** Rules bound to one client id (whoever connects with it). */
export interface SecurityClient {
  clientId: string;
  rules: SecurityRule[];
}

/** Bounds that keep one API call from growing the broker's memory without limit. */
export const LIMITS = {
  users: 100_000,
  roles: 10_000,
  clients: 100_000,
  rulesPerOwner: 1000,
  rolesPerUser: 100,
  /** MQTT strings carry at most 65535 bytes. */
  stringBytes: 65535,
} as const;

/** A refused change or a bad input: the HTTP status the API answers with and the field at fault. */
export class SecurityError extends Error {
  constructor(
    /** 400 bad input, 404 unknown name, 409 conflict with existing state. */
    readonly status: 400 | 404 | 409,
    /** `invalid_request`, `not_found` or `conflict`. */
    readonly code: string,
    /** The input at fault, e.g. `body.roles[1]`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SecurityError';
  }
}

/** A 400 naming `field`. */
export function invalid(field: string, message: string): SecurityError {
  return new SecurityError(400, 'invalid_request', field, message);
}

const ROLE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const ACTIONS: ReadonlySet<string> = new Set<RuleAction>(['publish', 'subscribe', 'read']);

/** Checks a user name or client id: what MQTT can carry, and no U+0000 (MQTT forbids it). */
export function checkMqttName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(field, 'must be a non-empty string');
  if (Buffer.byteLength(value) > LIMITS.stringBytes)
    throw invalid(field, 'longer than 65535 bytes');
  if (value.includes('\u0000')) throw invalid(field, 'must not contain U+0000');
  return value;
}

/** Checks a role name: 1 to 64 of letters, digits, `_`, `.`, `:` and `-`. */
export function checkRoleName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ROLE_NAME.test(value)) {
    throw invalid(field, 'must be 1 to 64 letters, digits, _ . : or -');
  }
  return value;
}

/** Checks a password: 1 to 65535 bytes (MQTT's binary data limit). */
export function checkPassword(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(field, 'must be a non-empty string');
  if (Buffer.byteLength(value) > LIMITS.stringBytes)
    throw invalid(field, 'longer than 65535 bytes');
  return value;
}

/** Checks a list of role names (no repeats); whether they exist is the caller's business. */
export function checkRoleList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be an array of role names');
  if (value.length > LIMITS.rolesPerUser)
    throw invalid(field, `more than ${LIMITS.rolesPerUser} roles`);
  const seen = new Set<string>();
  return value.map((v: unknown, i) => {
    const name = checkRoleName(v, `${field}[${i}]`);
    if (seen.has(name)) throw invalid(`${field}[${i}]`, `role '${name}' is listed twice`);
    seen.add(name);
    return name;
  });
}

/** Checks an ordered rule list. */
export function checkRules(value: unknown, field: string): SecurityRule[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be an array of rules');
  if (value.length > LIMITS.rulesPerOwner)
    throw invalid(field, `more than ${LIMITS.rulesPerOwner} rules`);
  return value.map((v: unknown, i) => checkRule(v, `${field}[${i}]`));
}

function checkRule(value: unknown, field: string): SecurityRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, 'must be an object {action, topic, permission}');
  }
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== 'action' && key !== 'topic' && key !== 'permission') {
      throw invalid(`${field}.${key}`, 'unknown field');
    }
  }
  if (typeof r.action !== 'string' || !ACTIONS.has(r.action)) {
    throw invalid(`${field}.action`, 'must be publish, subscribe or read');
  }
  // Rules are matched against plain filters: `$share/` is an ordinary level here, as in the ACL file.
  if (typeof r.topic !== 'string' || !isValidTopicFilter(r.topic, { shared: false })) {
    throw invalid(`${field}.topic`, 'must be a valid topic filter');
  }
  if (r.permission !== 'allow' && r.permission !== 'deny') {
    throw invalid(`${field}.permission`, 'must be allow or deny');
  }
  return { action: r.action as RuleAction, topic: r.topic, permission: r.permission };
}
