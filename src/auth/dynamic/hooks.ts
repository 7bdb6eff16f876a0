// Dynamic security combined with the password file and the ACL file (docs/admin.md, "How the
// sources combine"): a user name in the password file is the file's to decide; any other name
// must be a runtime user. For authorization the dynamic rules come first (the client id's, then
// the roles'); where none matches, the ACL file decides as it would alone.
import type { AuthClient, AuthHooks, AuthRequest } from '../hooks.js';
import type { PasswordAuthenticator } from '../password-file.js';
import type { DynamicChecker } from './checker.js';
import type { DynamicAuthResult, DynamicSecurity } from './security.js';

/** {@link AuthHooks} whose `authenticate` may also refuse with a reason code (disabled user). */
export interface DynamicAuthHooks extends Omit<AuthHooks, 'authenticate'> {
  authenticate(request: AuthRequest): boolean | Promise<DynamicAuthResult>;
}

/**
 * Wraps the file-based hooks (`base`, from `createAuthHooks`) with dynamic security. `passwords`
 * is the password file `base` was built with, if any.
 */
export function withDynamicSecurity(
  base: AuthHooks,
  dynamic: DynamicSecurity,
  passwords: PasswordAuthenticator | undefined,
): DynamicAuthHooks {
  const checkers = new WeakMap<AuthClient, DynamicChecker>();
  const checkerFor = (client: AuthClient): DynamicChecker => {
    let c = checkers.get(client);
    if (c === undefined || c.identity.username !== client.username) {
      c = dynamic.checker({ clientId: client.clientId, username: client.username });
      checkers.set(client, c);
    }
    return c;
  };
  return {
    authenticate(request) {
      // No user name: the anonymous rule of the listener, as without dynamic security.
      if (request.username === undefined) return base.authenticate(request);
      if (passwords?.has(request.username) === true) {
        return passwords.authenticate(request.username, request.password);
      }
      return dynamic.authenticate(request.username, request.password, request.clientId);
    },
    authorizePublish(client, message) {
      // Publishing to `$SYS` stays refused whatever a rule says (the file checker refuses it).
      if (message.topic.startsWith('$SYS')) return base.authorizePublish(client, message);
      return checkerFor(client).canPublish(message.topic) ?? base.authorizePublish(client, message);
    },
    authorizeSubscribe(client, sub) {
      return (
        checkerFor(client).canSubscribe(sub.topicFilter) ?? base.authorizeSubscribe(client, sub)
      );
    },
    authorizeRead(client, topic) {
      return checkerFor(client).canRead(topic) ?? base.authorizeRead(client, topic);
    },
    checkerFor: base.checkerFor,
    setAcl: base.setAcl,
    forget(client) {
      checkers.delete(client);
      base.forget(client);
    },
  };
}
