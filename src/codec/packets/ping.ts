import { PacketType } from '../constants.js';
import type { PingreqPacket, PingrespPacket } from '../types.js';

/** PINGREQ and PINGRESP have no variable header or payload: shared immutable instances. */
export const PINGREQ: PingreqPacket = Object.freeze({ type: PacketType.PINGREQ });
export const PINGRESP: PingrespPacket = Object.freeze({ type: PacketType.PINGRESP });

/** PINGREQ: C0 00. */
export function encodePingreq(): Buffer {
  return Buffer.from([0xc0, 0x00]);
}

/** PINGRESP: D0 00. */
export function encodePingresp(): Buffer {
  return Buffer.from([0xd0, 0x00]);
}
