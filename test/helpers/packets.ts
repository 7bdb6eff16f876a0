// Packet objects the tests build again and again.
import { PacketType } from '../../src/codec/constants.js';
import type { ConnectPacket } from '../../src/codec/types.js';

/**
 * A CONNECT: protocol 3.1.1 unless `overrides.protocolVersion` says otherwise (the protocol name
 * follows it: 'MQIsdp' for 3.1), clean, keep-alive 0, client id 'petrel-test', no credentials,
 * will or properties; `overrides` replaces any field.
 */
export function connectPacket(overrides: Partial<Omit<ConnectPacket, 'type'>> = {}): ConnectPacket {
  const version = overrides.protocolVersion ?? 4;
  return {
    type: PacketType.CONNECT,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: true,
    keepAlive: 0,
    clientId: 'petrel-test',
    username: undefined,
    password: undefined,
    will: undefined,
    properties: undefined,
    ...overrides,
  };
}
