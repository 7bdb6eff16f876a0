import type { BrokerCore } from '../core.js';
import type { SubEntry } from '../routing/subscription.js';

// A session's subscription lives in three places that must change together: the session's map,
// the router's trie and, for a persistent session, the store. The SUBSCRIBE and UNSUBSCRIBE
// handlers, the re-check after an ACL change and the admin API all change them through here.

/**
 * Adds `entry` to its session, the trie and the store; a subscription with the same filter is
 * replaced [MQTT-3.8.4-3] and returned (undefined when the filter is new).
 */
export function putSubscription(broker: BrokerCore, entry: SubEntry): SubEntry | undefined {
  const session = entry.session;
  const old = session.subscriptions.get(entry.filter);
  if (old !== undefined) broker.router.trie.remove(old);
  broker.router.trie.add(entry);
  session.subscriptions.set(entry.filter, entry);
  if (session.persistent) broker.persist.subPut(session, entry);
  return old;
}

/** Removes `entry` from its session, the trie and the store. */
export function dropSubscription(broker: BrokerCore, entry: SubEntry): void {
  const session = entry.session;
  session.subscriptions.delete(entry.filter);
  broker.router.trie.remove(entry);
  if (session.persistent) broker.persist.subDelete(session, entry.filter);
}
