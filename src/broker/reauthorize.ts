import type { BrokerCore } from './core.js';
import type { ClientInfo } from './hooks.js';
import { isPromise } from './hooks.js';
import { dropSubscription } from './session/subscriptions.js';

/**
 * Asks `authorizeSubscribe` again for every subscription of every session (connected or not)
 * and removes those now refused, e.g. after an ACL reload. Offline sessions are judged by their
 * last user name. Returns how many were removed.
 */
export async function reauthorizeSubscriptions(broker: BrokerCore): Promise<number> {
  const hook = broker.hooks.authorizeSubscribe;
  if (hook === undefined) return 0;
  let removed = 0;
  for (const session of [...broker.sessions.values()]) {
    const client: ClientInfo = session.connection ?? {
      clientId: session.clientId,
      username: session.username,
      protocolVersion: session.protocolVersion,
      remoteAddress: undefined,
    };
    for (const entry of [...session.subscriptions.values()]) {
      let verdict: boolean | number;
      try {
        const v = hook(client, {
          topicFilter: entry.filter,
          qos: entry.qos,
          noLocal: entry.noLocal,
          retainAsPublished: entry.retainAsPublished,
          retainHandling: entry.retainHandling,
        });
        verdict = isPromise(v) ? await v : v;
      } catch {
        verdict = false;
      }
      if (verdict === true || (verdict !== false && verdict < 0x80)) continue;
      // The client may have unsubscribed (or resubscribed) while an async hook ran.
      if (session.subscriptions.get(entry.filter) !== entry) continue;
      dropSubscription(broker, entry);
      removed++;
      broker.log.info(
        { clientId: session.clientId, filter: entry.filter },
        'subscription no longer authorized, removed',
      );
    }
  }
  return removed;
}
