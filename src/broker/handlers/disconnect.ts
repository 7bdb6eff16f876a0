import { protocolError } from '../../codec/errors.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { DisconnectPacket } from '../../codec/types.js';
import type { Connection } from '../connection.js';

/**
 * DISCONNECT from the client: a normal disconnect discards the will ([MQTT-3.14.4-3]); v5 reason
 * 0x04 keeps it; a v5 Session Expiry Interval here replaces the one from CONNECT, but cannot turn
 * a 0 into non-zero ([MQTT-3.14.2-2]).
 */
export function handleDisconnect(conn: Connection, p: DisconnectPacket): void {
  const session = conn.session;
  const expiry = p.properties?.sessionExpiryInterval;
  if (session !== undefined && expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry !== 0) {
      throw protocolError(
        'SESSION_EXPIRY_AFTER_ZERO',
        'session expiry set on DISCONNECT after 0 in CONNECT',
        'MQTT-3.14.2-2',
      );
    }
    session.expiryInterval = Math.min(expiry, conn.broker.options.maxSessionExpiryInterval);
  }
  const withWill = p.reasonCode === ReasonCode.DisconnectWithWillMessage;
  conn.broker.closeConnection(
    conn,
    withWill ? 'client disconnect with will' : 'client disconnect',
    withWill,
  );
}
