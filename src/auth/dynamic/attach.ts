// Ties dynamic security to a broker: its state comes from the broker's store when `listen()`
// restores it (before any listener is bound, so no client meets an empty rule set), its changes
// go to that store, and their effects reach the broker's connected clients.
import type { Broker } from '../../broker/broker.js';
import type { DynamicSecurity, SecurityHost } from './security.js';
import { NOT_AUTHORIZED } from './security.js';

/**
 * Binds `dynamic` to `broker`. Call before `broker.listen()` (the usual case: the state is loaded
 * as the store is restored) or after it (loaded at once). Entries that do not load are logged and
 * skipped.
 */
export function attachDynamicSecurity(broker: Broker, dynamic: DynamicSecurity): void {
  const load = (): void => {
    const problems = dynamic.load(broker.securityEntries());
    for (const problem of problems) {
      broker.log.error({ problem }, 'dynamic security: stored entry skipped');
    }
  };
  if (broker.ready) load();
  else broker.once('restored', load);
  const host: SecurityHost = {
    persist: (records) => broker.persistSecurity(records),
    disconnectUser(username, except) {
      let closed = 0;
      for (const session of [...broker.sessions.values()]) {
        const conn = session.connection;
        if (conn === undefined || conn.username !== username) continue;
        if (except !== undefined && session.clientId === except) continue;
        // [MQTT-3.14.2-1] a DISCONNECT carries one of its own reason codes: 0x87 Not authorized
        // is one (0x8C Bad authentication method is CONNACK and AUTH only).
        if (
          broker.disconnect(
            session.clientId,
            NOT_AUTHORIZED,
            'user disabled, deleted or bound to another client id',
          )
        ) {
          closed++;
        }
      }
      if (closed > 0) broker.log.info({ username, closed }, 'dynamic security: connections closed');
      return closed;
    },
    reauthorize: () => broker.reauthorizeSubscriptions(),
  };
  dynamic.bind(host);
}
