// Mosquitto's bridge marker (`try_private`): bit 0x80 of a 3.1/3.1.1 CONNECT protocol level.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePacket } from '../../../src/codec/encode.js';
import { MqttError } from '../../../src/codec/errors.js';
import type { ConnectPacket } from '../../../src/codec/types.js';
import { decodeWhole } from './helpers.js';

function connect(version: 3 | 4 | 5, bridge: boolean): ConnectPacket {
  return {
    type: 1,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: false,
    keepAlive: 60,
    clientId: 'edge',
    username: undefined,
    password: undefined,
    will: undefined,
    properties: version === 5 ? {} : undefined,
    ...(bridge ? { bridge: true } : {}),
  };
}

/** Offset of the protocol level byte: fixed header (2 bytes here), name length, name. */
const levelAt = (version: 3 | 4 | 5) => 2 + 2 + (version === 3 ? 6 : 4);

describe('CONNECT with the bridge bit', () => {
  for (const version of [3, 4] as const) {
    it(`MQTT ${version === 3 ? '3.1' : '3.1.1'}: level ${0x80 | version} is encoded and read back as a bridge`, () => {
      const bytes = encodePacket(connect(version, true), version);
      assert.equal(bytes[levelAt(version)], 0x80 | version);
      const p = decodeWhole(bytes, version) as ConnectPacket;
      assert.equal(p.protocolVersion, version);
      assert.equal(p.bridge, true);
    });
  }

  it('without it there is no bridge key at all', () => {
    const p = decodeWhole(encodePacket(connect(4, false), 4), 4) as ConnectPacket;
    assert.equal('bridge' in p, false);
  });

  it('5.0 never sends it, and a 5.0 level with the bit (0x85) is refused as an unknown level', () => {
    const bytes = encodePacket(connect(5, true), 5);
    assert.equal(bytes[levelAt(5)], 5);
    bytes[levelAt(5)] = 0x85;
    assert.throws(
      () => decodeWhole(bytes, 5),
      (err: unknown) => err instanceof MqttError && err.code === 'UNSUPPORTED_PROTOCOL_VERSION',
    );
  });
});
