// Adapters from the password file and the ACL to the broker's hook shapes. The types here are
// structural copies of the few fields the hooks read, so auth/ does not depend on broker/.

import type { AclChecker } from './acl.js';
import { Acl } from './acl.js';
import type { PasswordAuthenticator } from './password-file.js';

/** The fields of the broker's `ClientInfo` that authorization needs. */
export interface AuthClient {
  readonly clientId: string;
  readonly username: string | undefined;
}

/** The fields of the broker's `AuthenticateRequest` that the password check needs. */
export interface AuthRequest extends AuthClient {
  readonly password: Buffer | undefined;
  /** Peer address, for anonymous-access rules (the broker's request carries it). */
  readonly remoteAddress?: string | undefined;
}

/** Options for {@link createAuthHooks}. */
export interface AuthHooksOptions {
  /** Password file users; without it `authenticate` accepts any credentials. */
  passwords?: PasswordAuthenticator;
  /** ACL; without it everything is allowed except publishing to `$SYS`. */
  acl?: Acl;
  /**
   * What `authenticate` answers for a CONNECT without a user name: a constant, or a function of
   * the request (the broker's per-listener rule: loopback-only listeners, `allowAnonymous`).
   * Default false.
   */
  allowAnonymous?: boolean | ((request: AuthRequest) => boolean);
}

/** Hook functions for the broker, plus the delivery check and ACL reload. */
export interface AuthHooks {
  /** For `BrokerHooks.authenticate`: resolves true for valid credentials. */
  authenticate(request: AuthRequest): boolean | Promise<boolean>;
  /** For `BrokerHooks.authorizePublish`. */
  authorizePublish(client: AuthClient, message: { readonly topic: string }): boolean;
  /** For `BrokerHooks.authorizeSubscribe`. */
  authorizeSubscribe(client: AuthClient, subscription: { readonly topicFilter: string }): boolean;
  /** Before each delivery to `client`, retained messages included. */
  authorizeRead(client: AuthClient, topic: string): boolean;
  /** The checker for a client (made on first use, then reused while the object lives). */
  checkerFor(client: AuthClient): AclChecker;
  /** Switches every live checker to `acl` (after a successful reload). */
  setAcl(acl: Acl): void;
  /** Forgets a client's checker (optional: checkers are weakly held). */
  forget(client: AuthClient): void;
}

/**
 * Builds broker hooks from a password file and an ACL. Checkers are kept per client object in a
 * WeakMap, so the broker should pass the same `ClientInfo` object for the life of a connection to
 * benefit from the per-connection decision cache.
 */
export function createAuthHooks(options: AuthHooksOptions = {}): AuthHooks {
  const passwords = options.passwords;
  const allowAnonymous = options.allowAnonymous ?? false;
  let acl = options.acl ?? Acl.allowAll();
  const checkers = new WeakMap<AuthClient, AclChecker>();
  // Live checkers, for setAcl. Weakly held so a closed connection's checker is collected, and
  // its entry dropped, without the broker having to call forget().
  const live = new Set<WeakRef<AclChecker>>();
  const registry = new FinalizationRegistry<WeakRef<AclChecker>>((ref) => live.delete(ref));

  const checkerFor = (client: AuthClient): AclChecker => {
    let c = checkers.get(client);
    if (c === undefined || c.identity.username !== client.username) {
      c = acl.checker({ clientId: client.clientId, username: client.username });
      checkers.set(client, c);
      const ref = new WeakRef(c);
      live.add(ref);
      registry.register(c, ref);
    }
    return c;
  };

  return {
    authenticate(request) {
      if (request.username === undefined) {
        return typeof allowAnonymous === 'function' ? allowAnonymous(request) : allowAnonymous;
      }
      if (passwords === undefined) return true;
      return passwords.authenticate(request.username, request.password);
    },
    authorizePublish: (client, message) => checkerFor(client).canPublish(message.topic),
    authorizeSubscribe: (client, sub) => checkerFor(client).canSubscribe(sub.topicFilter),
    authorizeRead: (client, topic) => checkerFor(client).canRead(topic),
    checkerFor,
    setAcl(next) {
      acl = next;
      for (const ref of live) {
        const c = ref.deref();
        if (c === undefined) live.delete(ref);
        else c.update(next);
      }
    },
    forget(client) {
      checkers.delete(client);
    },
  };
}
