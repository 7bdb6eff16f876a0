// Dynamic security embedded in code (DynamicSecurity, withDynamicSecurity, attachDynamicSecurity
// after listen(), startAdmin's `security`): a change whose commit fails answers 500 yet stays in
// force, and the store's retry carries it to the next start.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startAdmin } from '../../../src/admin/index.js';
import {
  attachDynamicSecurity,
  DynamicSecurity,
  withDynamicSecurity,
} from '../../../src/auth/dynamic/index.js';
import { createAuthHooks } from '../../../src/auth/hooks.js';
import type { BrokerHooks } from '../../../src/broker/hooks.js';
import { StateImage } from '../../../src/persistence/image.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
import { RawClient, startBroker } from '../../helpers/broker.js';
import { call } from './helpers.js';

const FAST = { ln: 4, r: 8, p: 1 };

async function start(image: StateImage, failing: { on: boolean }) {
  const dynamic = new DynamicSecurity({ hashParams: FAST });
  const decide = withDynamicSecurity(
    createAuthHooks({ allowAnonymous: false }),
    dynamic,
    undefined,
  );
  const hooks: BrokerHooks = {
    authenticate: (r) => decide.authenticate(r),
    authorizePublish: (c, m) => decide.authorizePublish(c, m),
    authorizeSubscribe: (c, s) => decide.authorizeSubscribe(c, s),
    authorizeRead: (c, t) => decide.authorizeRead(c, t),
  };
  const store = new MemoryStore({
    durability: 'sync',
    image,
    beforeCommit: () => {
      if (failing.on) throw new Error('disk full (simulated)');
    },
  });
  const b = await startBroker({ store, hooks });
  // After listen(): the state is loaded at once.
  attachDynamicSecurity(b.broker, dynamic);
  const admin = await startAdmin(b.broker, { port: 0, security: dynamic });
  return { ...b, admin, dynamic };
}

async function loginCode(port: number, username: string, password: string): Promise<number> {
  const { client, connack } = await RawClient.connect(port, 5, {
    username,
    password: Buffer.from(password),
  });
  client.destroy();
  return connack.reasonCode;
}

describe('dynamic security embedded', () => {
  test('a failed commit answers 500, the change stays in force, and the retry stores it', async () => {
    const image = new StateImage();
    const failing = { on: false };
    const first = await start(image, failing);
    try {
      const ok = await call(first.admin.url, '/api/v1/users', {
        method: 'POST',
        body: { username: 'a', password: 'pa' },
      });
      assert.equal(ok.status, 201);
      failing.on = true;
      const failed = await call(first.admin.url, '/api/v1/users', {
        method: 'POST',
        body: { username: 'b', password: 'pb' },
      });
      assert.equal(failed.status, 500);
      assert.equal(failed.json.error, 'internal');
      // In force in memory: b logs in.
      assert.equal(await loginCode(first.port, 'b', 'pb'), 0);
      failing.on = false;
      // The next change's batch carries the failed one's records too.
      const next = await call(first.admin.url, '/api/v1/roles', {
        method: 'POST',
        body: { name: 'r' },
      });
      assert.equal(next.status, 201);
    } finally {
      await first.close();
    }
    const second = await start(image, failing);
    try {
      assert.deepEqual(
        second.dynamic.listUsers().map((u) => u.username),
        ['a', 'b'],
      );
      assert.equal(await loginCode(second.port, 'b', 'pb'), 0);
      assert.equal(await loginCode(second.port, 'a', 'wrong'), 0x86);
    } finally {
      await second.close();
    }
  });
});
