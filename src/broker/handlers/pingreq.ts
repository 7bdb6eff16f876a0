import type { Connection } from '../connection.js';

const PINGRESP = Buffer.from([0xd0, 0x00]);

/** PINGREQ: answer PINGRESP ([MQTT-3.12.4-1]); the read already refreshed the keep-alive. */
export function handlePingreq(conn: Connection): void {
  conn.write(PINGRESP);
}
