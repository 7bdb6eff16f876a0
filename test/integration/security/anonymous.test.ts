import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAuthHooks, hashPassword, PasswordAuthenticator } from '../../../src/auth/index.js';
import type { Broker, BrokerOptions } from '../../../src/broker.js';
import { RawClient } from '../../helpers/broker.js';
import { portOf, start } from './helpers.js';

/** CONNACK code for each version: [3.1.1 return code, v5 reason code]. */
async function connackCodes(
  broker: Broker,
  extra: { username?: string; password?: Buffer } = {},
): Promise<[number, number]> {
  const port = portOf(broker, 'tcp');
  const out: number[] = [];
  for (const v of [4, 5] as const) {
    const { client, connack } = await RawClient.connect(port, v, extra);
    out.push(connack.reasonCode);
    client.destroy();
  }
  return out as [number, number];
}

async function withBroker(options: BrokerOptions, fn: (b: Broker) => Promise<void>) {
  const broker = await start(options);
  try {
    await fn(broker);
  } finally {
    await broker.close();
  }
}

describe('anonymous access (Mosquitto 2.0 defaults)', () => {
  test('a loopback-only listener accepts anonymous clients by default', async () => {
    await withBroker({ host: '127.0.0.1' }, async (b) => {
      assert.deepEqual(await connackCodes(b), [0, 0]);
    });
  });

  test('a listener on every interface refuses anonymous clients: return code 5 / v5 0x87', async () => {
    await withBroker({ host: '0.0.0.0' }, async (b) => {
      assert.deepEqual(await connackCodes(b), [5, 0x87]);
    });
  });

  test('off loopback, a user name nobody can check is refused too (no authenticate hook)', async () => {
    await withBroker({ host: '0.0.0.0' }, async (b) => {
      assert.deepEqual(
        await connackCodes(b, { username: 'alice', password: Buffer.from('x') }),
        [5, 0x87],
      );
    });
  });

  test('off loopback, an authenticate hook decides for clients with a user name', async () => {
    const hooks = { authenticate: (r: { username: string | undefined }) => r.username === 'alice' };
    await withBroker({ host: '0.0.0.0', hooks }, async (b) => {
      assert.deepEqual(await connackCodes(b, { username: 'alice' }), [0, 0]);
      assert.deepEqual(await connackCodes(b, { username: 'bob' }), [4, 0x86]);
      assert.deepEqual(await connackCodes(b), [5, 0x87]);
    });
  });

  test('[MQTT-3.2.2-6] with a password file, a CONNECT without a user name gets 5 / v5 0x87 Not authorized, a wrong password 4 / 0x86', async () => {
    const hash = await hashPassword('secret', { params: { ln: 4, r: 8, p: 1 } });
    const passwords = PasswordAuthenticator.fromText(`alice:${hash}\n`);
    // Wired as `petrel broker` wires a password file: the hook refuses clients without a user name.
    const auth = createAuthHooks({ passwords, allowAnonymous: false });
    const hooks = { authenticate: auth.authenticate };
    const good = { username: 'alice', password: Buffer.from('secret') };
    const bad = { username: 'alice', password: Buffer.from('wrong') };
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      await withBroker({ host, hooks }, async (b) => {
        assert.deepEqual(await connackCodes(b), [5, 0x87], `no user name on ${host}`);
        assert.deepEqual(await connackCodes(b, bad), [4, 0x86], `wrong password on ${host}`);
        assert.deepEqual(await connackCodes(b, good), [0, 0], `right password on ${host}`);
      });
    }
  });

  test('allowAnonymous: true opens a non-loopback listener; false closes a loopback one', async () => {
    await withBroker({ host: '0.0.0.0', allowAnonymous: true }, async (b) => {
      assert.deepEqual(await connackCodes(b), [0, 0]);
    });
    await withBroker({ host: '127.0.0.1', allowAnonymous: false }, async (b) => {
      assert.deepEqual(await connackCodes(b), [5, 0x87]);
    });
  });

  test('allowAnonymous per listener overrides the broker-wide setting', async () => {
    await withBroker(
      {
        allowAnonymous: false,
        listeners: [{ type: 'tcp', port: 0, host: '127.0.0.1', allowAnonymous: true }],
      },
      async (b) => {
        assert.deepEqual(await connackCodes(b), [0, 0]);
      },
    );
  });

  test('a warning is logged at start for a non-loopback listener without TLS', async () => {
    const warnings: string[] = [];
    const logger = {
      level: 'info',
      warn: (_o: unknown, msg: string) => warnings.push(msg),
      info: () => {},
      debug: () => {},
      error: () => {},
      trace: () => {},
      fatal: () => {},
      child() {
        return this;
      },
    };
    await withBroker(
      {
        listeners: [
          { type: 'tcp', port: 0, host: '0.0.0.0' },
          { type: 'tcp', port: 0, host: '127.0.0.1' },
        ],
        logger: logger as unknown as NonNullable<BrokerOptions['logger']>,
      },
      async () => {
        assert.equal(warnings.filter((w) => w.includes('without TLS')).length, 1);
      },
    );
  });
});
