// Runtime users, roles and per-client ACL rules (dynamic security, like Mosquitto's plug-in of
// that name). The state lives in memory; every change is checked whole first, then applied and
// written to the broker's store as records of one batch, so a change is never half-applied and
// survives a restart. Connected clients feel a change at once: checkers recompile on the next
// check (the generation moved), subscriptions are re-checked, a disabled or deleted user's
// connections are closed.
import type { SecurityEntryType, StoredSecurityEntry } from '../../persistence/types.js';
import type { AclIdentity } from '../acl.js';
import type { PasswordHash, ScryptFunction, ScryptParams } from '../hash.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  dummyHash,
  hashPassword,
  nodeScrypt,
  parseHash,
  toBuffer,
  verifyHash,
} from '../hash.js';
import type { RuleSource } from './checker.js';
import { DynamicChecker } from './checker.js';
import type { SecurityRecord } from './entries.js';
import { clientRecord, decodeEntry, deleteRecord, roleRecord, userRecord } from './entries.js';
import type { SecurityClient, SecurityRole, SecurityRule, SecurityUser } from './model.js';
import {
  checkMqttName,
  checkPassword,
  checkRoleList,
  checkRoleName,
  checkRules,
  LIMITS,
  SecurityError,
} from './model.js';

/** What dynamic security needs from the broker it serves. */
export interface SecurityHost {
  /** Writes `records` to the store in one batch; resolves once they are durable. */
  persist(records: SecurityRecord[]): Promise<void>;
  /**
   * Closes every connection authenticated as `username` (but those with client id `except`,
   * when given); returns how many.
   */
  disconnectUser(username: string, except?: string): number;
  /** Re-checks every subscription against the current rules; resolves with how many went. */
  reauthorize(): Promise<number>;
}

/** A user as the API shows it: never the password hash. */
export interface SecurityUserView {
  username: string;
  disabled: boolean;
  roles: string[];
  /** The client id it is bound to, if any. */
  clientId?: string;
}

/** Input of {@link DynamicSecurity.createUser}. */
export interface NewUser {
  username: string;
  password: string;
  roles?: string[];
  disabled?: boolean;
  /** Binds the user to one client id. */
  clientId?: string;
}

/** Input of {@link DynamicSecurity.updateUser}: the fields to change. */
export interface UserChange {
  password?: string;
  roles?: string[];
  disabled?: boolean;
  /** Binds the user to this client id; `""` removes the binding. */
  clientId?: string;
}

/** Options of {@link DynamicSecurity}. */
export interface DynamicSecurityOptions {
  /** scrypt cost of new hashes; default {@link DEFAULT_SCRYPT_PARAMS}. */
  hashParams?: ScryptParams;
  /** scrypt implementation; default node:crypto's. */
  scrypt?: ScryptFunction;
  /**
   * User names another source owns (the password file, which takes precedence): creating one
   * is refused with 409, since the runtime user could never log in.
   */
  reserved?: (username: string) => boolean;
}

/** The answer of {@link DynamicSecurity.authenticate}. */
export type DynamicAuthResult = boolean | { reasonCode: number; reasonString: string };

/** MQTT 5.0 reason code 0x87 Not authorized. */
export const NOT_AUTHORIZED = 0x87;

interface UserState {
  user: SecurityUser;
  hash: PasswordHash;
}

/** Runtime users, roles and client rules; see docs/admin.md, "Dynamic security". */
export class DynamicSecurity implements RuleSource {
  /** Increases with every change; checkers recompile when it moved. */
  generation = 0;
  private readonly users = new Map<string, UserState>();
  private readonly roles = new Map<string, SecurityRole>();
  private readonly clients = new Map<string, SecurityClient>();
  private host: SecurityHost | undefined;
  private readonly params: ScryptParams;
  private readonly scrypt: ScryptFunction;
  private readonly reserved: (username: string) => boolean;
  private readonly dummy: PasswordHash;
  /** Changes run one at a time, so each sees the state the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: DynamicSecurityOptions = {}) {
    this.params = options.hashParams ?? DEFAULT_SCRYPT_PARAMS;
    this.scrypt = options.scrypt ?? nodeScrypt;
    this.reserved = options.reserved ?? (() => false);
    this.dummy = dummyHash(this.params);
  }

  /** Connects the broker side: the store writer and the effects on connected clients. */
  bind(host: SecurityHost): void {
    this.host = host;
  }

  /**
   * Replaces the state with the store's entries (at start). An entry that does not parse or
   * check is skipped; the returned messages name each, for the log.
   */
  load(entries: readonly StoredSecurityEntry[]): string[] {
    const problems: string[] = [];
    this.users.clear();
    this.roles.clear();
    this.clients.clear();
    for (const e of entries) {
      try {
        const d = decodeEntry(e);
        if (d.type === 'user') {
          this.users.set(d.user.username, { user: d.user, hash: parseHash(d.user.passwordHash) });
        } else if (d.type === 'role') {
          this.roles.set(d.role.name, d.role);
        } else {
          this.clients.set(d.client.clientId, d.client);
        }
      } catch (err) {
        problems.push(`${e.type} ${JSON.stringify(e.name)}: ${(err as Error).message}`);
      }
    }
    this.generation++;
    return problems;
  }

  // -- reading ---------------------------------------------------------------------------------

  /** Users, sorted by name. */
  listUsers(): SecurityUserView[] {
    return [...this.users.values()].map((s) => userView(s.user)).sort(byKey((u) => u.username));
  }

  /** One user, or undefined. */
  getUser(username: string): SecurityUserView | undefined {
    const s = this.users.get(username);
    return s === undefined ? undefined : userView(s.user);
  }

  /** Roles, sorted by name. */
  listRoles(): SecurityRole[] {
    return [...this.roles.values()].map(copyRole).sort(byKey((r) => r.name));
  }

  /** One role, or undefined. */
  getRole(name: string): SecurityRole | undefined {
    const r = this.roles.get(name);
    return r === undefined ? undefined : copyRole(r);
  }

  /** Client ids with rules, sorted. */
  listClients(): SecurityClient[] {
    return [...this.clients.values()]
      .map((c) => ({ clientId: c.clientId, rules: c.rules.map((r) => ({ ...r })) }))
      .sort(byKey((c) => c.clientId));
  }

  /** The rules of one client id, or undefined. */
  getClient(clientId: string): SecurityClient | undefined {
    const c = this.clients.get(clientId);
    return c === undefined ? undefined : { clientId, rules: c.rules.map((r) => ({ ...r })) };
  }

  /** Whether `username` is a runtime user. */
  has(username: string): boolean {
    return this.users.has(username);
  }

  // -- deciding --------------------------------------------------------------------------------

  /**
   * Checks a runtime user's password. An unknown user still pays one verification (against a
   * dummy hash of the same cost), so the answer time does not tell which names exist. A disabled
   * user with the right password is refused with 0x87 Not authorized, and so is a user bound to
   * another client id than `clientId`.
   */
  async authenticate(
    username: string,
    password: Buffer | undefined,
    clientId: string,
  ): Promise<DynamicAuthResult> {
    const s = this.users.get(username);
    const candidate = password ?? Buffer.alloc(0);
    const ok = await verifyHash(s?.hash ?? this.dummy, candidate, this.scrypt);
    if (!ok || password === undefined) return false;
    // Read again: the user may have been deleted, disabled or given a new password while scrypt
    // ran (another change, to its roles say, leaves the verified password good).
    const now = this.users.get(username);
    if (now === undefined || now.hash !== s?.hash) return false;
    if (now.user.disabled) return { reasonCode: NOT_AUTHORIZED, reasonString: 'user disabled' };
    if (now.user.clientId !== undefined && now.user.clientId !== clientId) {
      return { reasonCode: NOT_AUTHORIZED, reasonString: 'user bound to another client id' };
    }
    return true;
  }

  /** See {@link RuleSource.rulesFor}: the client id's rules, then each role's of the user. */
  rulesFor(identity: AclIdentity): SecurityRule[] {
    const out: SecurityRule[] = [];
    const client = this.clients.get(identity.clientId);
    if (client !== undefined) out.push(...client.rules);
    const user = identity.username === undefined ? undefined : this.users.get(identity.username);
    for (const name of user?.user.roles ?? []) {
      const role = this.roles.get(name);
      if (role !== undefined) out.push(...role.rules);
    }
    return out;
  }

  /** A checker for one connection (keep it for the connection's life). */
  checker(identity: AclIdentity): DynamicChecker {
    return new DynamicChecker(this, identity);
  }

  // -- changing --------------------------------------------------------------------------------

  /** Creates a user; 409 when the name exists here or in the password file. */
  async createUser(input: NewUser): Promise<SecurityUserView> {
    const username = checkMqttName(input.username, 'body.username');
    const password = checkPassword(input.password, 'body.password');
    const roles = checkRoleList(input.roles ?? [], 'body.roles');
    const clientId =
      input.clientId === undefined ? undefined : checkMqttName(input.clientId, 'body.clientId');
    return this.change(async () => {
      const passwordHash = await this.hash(password);
      if (this.users.has(username)) throw conflict('body.username', `user '${username}' exists`);
      if (this.reserved(username)) {
        throw conflict(
          'body.username',
          `user '${username}' is in the password file, which takes precedence`,
        );
      }
      if (this.users.size >= LIMITS.users) throw conflict('body.username', 'too many users');
      this.requireRoles(roles, 'body.roles');
      const user: SecurityUser = {
        username,
        passwordHash,
        disabled: input.disabled === true,
        roles,
        clientId,
      };
      this.users.set(username, { user, hash: parseHash(passwordHash) });
      return { records: [userRecord(user)], rules: roles.length > 0, result: userView(user) };
    });
  }

  /** Changes a user's password, roles or disabled flag; 404 when unknown. */
  async updateUser(username: string, change: UserChange): Promise<SecurityUserView> {
    const password =
      change.password === undefined ? undefined : checkPassword(change.password, 'body.password');
    const roles =
      change.roles === undefined ? undefined : checkRoleList(change.roles, 'body.roles');
    const clientId =
      change.clientId === undefined || change.clientId === ''
        ? change.clientId
        : checkMqttName(change.clientId, 'body.clientId');
    return this.change(async () => {
      const passwordHash = password === undefined ? undefined : await this.hash(password);
      const s = this.users.get(username);
      if (s === undefined) throw missing('user', username, 'params.username');
      if (roles !== undefined) this.requireRoles(roles, 'body.roles');
      const user: SecurityUser = {
        username,
        passwordHash: passwordHash ?? s.user.passwordHash,
        disabled: change.disabled ?? s.user.disabled,
        roles: roles ?? s.user.roles,
        clientId: clientId === undefined ? s.user.clientId : clientId === '' ? undefined : clientId,
      };
      this.users.set(username, {
        user,
        hash: passwordHash === undefined ? s.hash : parseHash(passwordHash),
      });
      return {
        records: [userRecord(user)],
        rules: roles !== undefined,
        // Disabled: every connection goes. Newly bound: those with another client id go.
        close: closes(user, s.user) ? username : undefined,
        except: user.disabled ? undefined : user.clientId,
        result: userView(user),
      };
    });
  }

  /** Deletes a user and closes its connections; 404 when unknown. */
  async deleteUser(username: string): Promise<SecurityUserView> {
    return this.change(async () => {
      const s = this.users.get(username);
      if (s === undefined) throw missing('user', username, 'params.username');
      this.users.delete(username);
      return {
        records: [deleteRecord('user', username)],
        rules: true,
        close: username,
        result: userView(s.user),
      };
    });
  }

  /** Creates a role; 409 when it exists. */
  async createRole(input: { name: string; rules?: SecurityRule[] }): Promise<SecurityRole> {
    const name = checkRoleName(input.name, 'body.name');
    const rules = checkRules(input.rules ?? [], 'body.rules');
    return this.change(async () => {
      if (this.roles.has(name)) throw conflict('body.name', `role '${name}' exists`);
      if (this.roles.size >= LIMITS.roles) throw conflict('body.name', 'too many roles');
      const role = { name, rules };
      this.roles.set(name, role);
      return { records: [roleRecord(role)], rules: true, result: copyRole(role) };
    });
  }

  /** Replaces a role's rules; 404 when unknown. */
  async updateRole(name: string, rulesIn: SecurityRule[]): Promise<SecurityRole> {
    const rules = checkRules(rulesIn, 'body.rules');
    return this.change(async () => {
      if (!this.roles.has(name)) throw missing('role', name, 'params.name');
      const role = { name, rules };
      this.roles.set(name, role);
      return { records: [roleRecord(role)], rules: true, result: copyRole(role) };
    });
  }

  /** Deletes a role and takes it from every user that had it (one batch); 404 when unknown. */
  async deleteRole(name: string): Promise<SecurityRole> {
    return this.change(async () => {
      const role = this.roles.get(name);
      if (role === undefined) throw missing('role', name, 'params.name');
      this.roles.delete(name);
      const records: SecurityRecord[] = [deleteRecord('role', name)];
      for (const [username, s] of this.users) {
        if (!s.user.roles.includes(name)) continue;
        const user = { ...s.user, roles: s.user.roles.filter((r) => r !== name) };
        this.users.set(username, { user, hash: s.hash });
        records.push(userRecord(user));
      }
      return { records, rules: true, result: copyRole(role) };
    });
  }

  /** Sets (creates or replaces) the rules of a client id. */
  async setClientRules(clientIdIn: string, rulesIn: SecurityRule[]): Promise<SecurityClient> {
    const clientId = checkMqttName(clientIdIn, 'params.clientId');
    const rules = checkRules(rulesIn, 'body.rules');
    return this.change(async () => {
      if (!this.clients.has(clientId) && this.clients.size >= LIMITS.clients) {
        throw conflict('params.clientId', 'too many client ids with rules');
      }
      const client = { clientId, rules };
      this.clients.set(clientId, client);
      return {
        records: [clientRecord(client)],
        rules: true,
        result: { clientId, rules: rules.map((r) => ({ ...r })) },
      };
    });
  }

  /** Deletes the rules of a client id; 404 when it has none. */
  async deleteClientRules(clientId: string): Promise<SecurityClient> {
    return this.change(async () => {
      const c = this.clients.get(clientId);
      if (c === undefined) throw missing('client', clientId, 'params.clientId');
      this.clients.delete(clientId);
      return {
        records: [deleteRecord('client', clientId)],
        rules: true,
        result: c,
      };
    });
  }

  private hash(password: string): Promise<string> {
    return hashPassword(toBuffer(password), { params: this.params, scrypt: this.scrypt });
  }

  private requireRoles(roles: string[], field: string): void {
    roles.forEach((r, i) => {
      if (!this.roles.has(r)) throw missing('role', r, `${field}[${i}]`, 400);
    });
  }

  /**
   * Runs one change after the previous ones. `apply` checks against the current state and
   * throws before touching it, or changes the maps synchronously and returns the records; those
   * go to the store in the same turn, so they share one batch.
   */
  private change<T>(
    apply: () => Promise<{
      records: SecurityRecord[];
      rules: boolean;
      close?: string | undefined;
      except?: string | undefined;
      result: T;
    }>,
  ): Promise<T> {
    const run = this.queue.then(async () => {
      const done = await apply();
      this.generation++;
      const host = this.host;
      if (host === undefined) return done.result;
      const stored = host.persist(done.records);
      if (done.close !== undefined) host.disconnectUser(done.close, done.except);
      // Both awaited together, so a failed commit is never left unhandled behind the re-check.
      await Promise.all([stored, done.rules ? host.reauthorize() : undefined]);
      return done.result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Whether a change from `was` to `user` closes connections: newly disabled, or newly bound. */
function closes(user: SecurityUser, was: SecurityUser): boolean {
  if (user.disabled) return !was.disabled;
  return user.clientId !== undefined && user.clientId !== was.clientId;
}

function userView(u: SecurityUser): SecurityUserView {
  const view: SecurityUserView = {
    username: u.username,
    disabled: u.disabled,
    roles: [...u.roles],
  };
  if (u.clientId !== undefined) view.clientId = u.clientId;
  return view;
}

function copyRole(r: SecurityRole): SecurityRole {
  return { name: r.name, rules: r.rules.map((x) => ({ ...x })) };
}

function byKey<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function conflict(field: string, message: string): SecurityError {
  return new SecurityError(409, 'conflict', field, message);
}

function missing(
  type: SecurityEntryType,
  name: string,
  field: string,
  status: 400 | 404 = 404,
): SecurityError {
  return new SecurityError(
    status,
    status === 404 ? 'not_found' : 'invalid_request',
    field,
    `${type} ${JSON.stringify(name)} not found`,
  );
}
