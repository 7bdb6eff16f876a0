// Dynamic security's store codec: users, roles and client rules to and from the store's
// `security.put`/`security.delete` records, whose `data` is JSON the store keeps opaque. Reading
// checks every field with the same rules as the API, so a damaged entry is refused, not served.
import type {
  ChangeRecord,
  SecurityEntryType,
  StoredSecurityEntry,
} from '../../persistence/types.js';
import type { SecurityClient, SecurityRole, SecurityUser } from './model.js';
import { checkMqttName, checkRoleList, checkRoleName, checkRules, invalid } from './model.js';

/** The store records dynamic security writes. */
export type SecurityRecord = Extract<ChangeRecord, { kind: 'security.put' | 'security.delete' }>;

/** One decoded entry. */
export type SecurityEntry =
  | { type: 'user'; user: SecurityUser }
  | { type: 'role'; role: SecurityRole }
  | { type: 'client'; client: SecurityClient };

/** The record that stores `user`. */
export function userRecord(user: SecurityUser): SecurityRecord {
  const data = JSON.stringify({
    passwordHash: user.passwordHash,
    disabled: user.disabled,
    roles: user.roles,
    clientId: user.clientId,
  });
  return { kind: 'security.put', entry: { type: 'user', name: user.username, data } };
}

/** The record that stores `role`. */
export function roleRecord(role: SecurityRole): SecurityRecord {
  const data = JSON.stringify({ rules: role.rules });
  return { kind: 'security.put', entry: { type: 'role', name: role.name, data } };
}

/** The record that stores the rules of a client id. */
export function clientRecord(client: SecurityClient): SecurityRecord {
  const data = JSON.stringify({ rules: client.rules });
  return { kind: 'security.put', entry: { type: 'client', name: client.clientId, data } };
}

/** The record that deletes an entry. */
export function deleteRecord(type: SecurityEntryType, name: string): SecurityRecord {
  return { kind: 'security.delete', type, name };
}

/**
 * Decodes and checks one stored entry; throws naming the field at fault (the password hash's
 * format is checked by the caller, which parses it anyway).
 */
export function decodeEntry(e: StoredSecurityEntry): SecurityEntry {
  const data = JSON.parse(e.data) as Record<string, unknown>;
  const at = `stored ${e.type} ${JSON.stringify(e.name)}`;
  if (e.type === 'user') {
    if (typeof data.passwordHash !== 'string') throw invalid(`${at}.passwordHash`, 'missing');
    return {
      type: 'user',
      user: {
        username: checkMqttName(e.name, at),
        passwordHash: data.passwordHash,
        disabled: data.disabled === true,
        roles: checkRoleList(data.roles ?? [], `${at}.roles`),
        clientId:
          data.clientId === undefined ? undefined : checkMqttName(data.clientId, `${at}.clientId`),
      },
    };
  }
  const rules = checkRules(data.rules ?? [], `${at}.rules`);
  if (e.type === 'role') return { type: 'role', role: { name: checkRoleName(e.name, at), rules } };
  return { type: 'client', client: { clientId: checkMqttName(e.name, at), rules } };
}
