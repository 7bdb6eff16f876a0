import { protocolError } from '../../codec/errors.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { AuthPacket } from '../../codec/types.js';
import { ConnState } from '../conn-state.js';
import type { Connection } from '../connection.js';
import { runEnhancedAuth } from './connect.js';

/**
 * AUTH from the client: the next step of enhanced authentication during CONNECT (0x18), or the
 * start of re-authentication (0x19) on a connected session, with the same method.
 */
export function handleAuth(conn: Connection, p: AuthPacket): void {
  const method = p.properties?.authenticationMethod;
  if (conn.authMethod === undefined || method !== conn.authMethod) {
    throw protocolError(
      'AUTH_METHOD_MISMATCH',
      'AUTH without the CONNECT authentication method',
      'MQTT-4.12.0-5',
    );
  }
  const data = p.properties?.authenticationData;
  if (conn.state === ConnState.Authenticating) {
    if (p.reasonCode !== ReasonCode.ContinueAuthentication) {
      throw protocolError('AUTH_BAD_REASON', 'AUTH during CONNECT must continue authentication');
    }
    runEnhancedAuth(conn, data, false);
    return;
  }
  if (
    p.reasonCode === ReasonCode.ReAuthenticate ||
    p.reasonCode === ReasonCode.ContinueAuthentication
  ) {
    runEnhancedAuth(conn, data, true);
    return;
  }
  throw protocolError('AUTH_BAD_REASON', `unexpected AUTH reason 0x${p.reasonCode.toString(16)}`);
}
