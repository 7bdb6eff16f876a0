import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createScramAuth,
  SCRAM_SHA_256,
  scramClient,
  scramCredentials,
} from '../../../src/auth/scram.js';
import { MqttClient } from '../../../src/client/client.js';
import { ConnectionRefusedError } from '../../../src/client/errors.js';
import type { TestBroker } from '../../helpers/broker.js';
import { RawClient, startBroker } from '../../helpers/broker.js';
import { connectPacket } from '../../helpers/packets.js';

const users = new Map([['alice', scramCredentials('wonderland', undefined, 4096)]]);

/** Runs a full SCRAM exchange; returns the CONNACK and the client helper. */
async function exchange(port: number, username: string, password: string) {
  const scram = scramClient(username, password);
  const c = await RawClient.open(port, 5);
  c.send(
    connectPacket({
      protocolVersion: 5,
      keepAlive: 30,
      clientId: 'scram-test',
      properties: { authenticationMethod: SCRAM_SHA_256, authenticationData: scram.first() },
    }),
  );
  const challenge = await c.next();
  assert.equal(challenge.type, 15, 'expected AUTH');
  assert.ok(challenge.type === 15);
  assert.equal(challenge.reasonCode, 0x18);
  assert.equal(challenge.properties?.authenticationMethod, SCRAM_SHA_256);
  const serverFirst = challenge.properties?.authenticationData;
  assert.ok(serverFirst !== undefined);
  c.send({
    type: 15,
    reasonCode: 0x18,
    properties: {
      authenticationMethod: SCRAM_SHA_256,
      authenticationData: scram.final(Buffer.from(serverFirst)),
    },
  });
  const connack = await c.next();
  assert.ok(connack.type === 2, 'expected CONNACK');
  return { c, connack, scram };
}

describe('SCRAM-SHA-256 enhanced authentication', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({
      hooks: { enhancedAuth: createScramAuth({ lookup: (u) => users.get(u) }) },
    });
  });
  after(() => b.close());

  it('accepts the right password and proves the server with server-final in CONNACK', async () => {
    const { c, connack, scram } = await exchange(b.port, 'alice', 'wonderland');
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.authenticationMethod, SCRAM_SHA_256);
    const serverFinal = connack.properties?.authenticationData;
    assert.ok(serverFinal !== undefined);
    assert.equal(scram.verify(Buffer.from(serverFinal)), true);
    assert.equal(scram.verify(Buffer.from('v=AAAA')), false);
    c.socket.destroy();
  });

  it('refuses a wrong password with 0x86 and closes the connection', async () => {
    const { c, connack } = await exchange(b.port, 'alice', 'looking-glass');
    assert.equal(connack.reasonCode, 0x86);
    await c.closedPromise;
  });

  it('refuses an unknown user exactly like a wrong password (no enumeration)', async () => {
    const { c, connack } = await exchange(b.port, 'mallory', 'wonderland');
    assert.equal(connack.reasonCode, 0x86);
    await c.closedPromise;
  });
});

describe('SCRAM-SHA-256 server hook', () => {
  const hook = createScramAuth({ lookup: (u) => users.get(u) });
  const base = {
    clientId: 'x',
    username: undefined,
    protocolVersion: 5 as const,
    remoteAddress: undefined,
    reauthenticate: false,
  };
  const start = (name: string) => {
    const r = hook({
      ...base,
      method: SCRAM_SHA_256,
      step: 0,
      data: Buffer.from(`n,,n=${name},r=abc`),
    });
    assert.ok(r.outcome === 'continue' && r.data !== undefined);
    return r.data.toString();
  };

  it('gives an unknown user a stable fabricated salt', () => {
    const salt = (s: string) => /,s=([^,]+),/.exec(s)?.[1];
    assert.equal(salt(start('nobody')), salt(start('nobody')));
    assert.notEqual(salt(start('nobody')), salt(start('somebody')));
  });

  it('refuses a replayed or unknown nonce and other methods', () => {
    const r = hook({
      ...base,
      method: SCRAM_SHA_256,
      step: 1,
      data: Buffer.from('c=biws,r=abcxyz,p=AAAA'),
    });
    assert.deepEqual(r, { outcome: 'fail', reasonCode: 0x86 });
    const m = hook({ ...base, method: 'PLAIN', step: 0, data: Buffer.from('x') });
    assert.deepEqual(m, { outcome: 'fail', reasonCode: 0x8c });
  });
});

describe('SCRAM-SHA-256 with the Petrel client onAuth hook', () => {
  let b: TestBroker;
  before(async () => {
    b = await startBroker({
      hooks: { enhancedAuth: createScramAuth({ lookup: (u) => users.get(u) }) },
    });
  });
  after(() => b.close());

  const client = (password: string) => {
    let scram = scramClient('alice', password);
    const c = new MqttClient(b.url, {
      reconnect: false,
      properties: { authenticationMethod: SCRAM_SHA_256, authenticationData: scram.first() },
      onAuth: (ch) => ({
        authenticationData: scram.final(ch.authenticationData ?? Buffer.alloc(0)),
      }),
    });
    // Re-authentication is a fresh SCRAM exchange started by AUTH 0x19.
    const reauthenticate = () => {
      scram = scramClient('alice', password);
      c.reauthenticate(scram.first());
    };
    return { c, reauthenticate };
  };

  it('connects with the right password, then re-authenticates', async () => {
    const { c, reauthenticate } = client('wonderland');
    try {
      await c.connect();
      assert.equal(c.connected, true);
      reauthenticate();
      await new Promise((r) => setTimeout(r, 100));
      await c.publish('scram/after-reauth', 'x', { qos: 1 });
      assert.equal(c.connected, true);
    } finally {
      await c.disconnect();
    }
  });

  it('is refused with 0x86 for a wrong password', async () => {
    const { c } = client('nope');
    const err = await c.connect().catch((e: unknown) => e);
    c.destroy();
    assert.ok(err instanceof ConnectionRefusedError, String(err));
    assert.equal(err.reasonCode, 0x86);
  });
});
