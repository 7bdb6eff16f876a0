import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Acl, createAuthHooks } from '../../../src/auth/index.js';
import type { Broker } from '../../../src/broker.js';
import type { Packet } from '../../../src/codec/types.js';
import { publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import { portOf, start } from './helpers.js';

const ACL = `
user alice
topic readwrite alice/#
topic deny alice/secret/#
topic readwrite $SYS/#
topic read shared/#
user bob
topic readwrite shared/#
topic readwrite alice/#
`;

async function brokerWithAcl(text: string) {
  const hooks = createAuthHooks({ acl: Acl.parse(text), allowAnonymous: true });
  const broker = await start({
    hooks: {
      authenticate: (r) => hooks.authenticate(r),
      authorizePublish: (c, m) => hooks.authorizePublish(c, m),
      authorizeSubscribe: (c, s) => hooks.authorizeSubscribe(c, s),
      authorizeRead: (c, t) => hooks.authorizeRead(c, t),
    },
  });
  return { broker, hooks };
}

async function as(broker: Broker, username: string, version: 4 | 5 = 5) {
  const { client } = await RawClient.connect(portOf(broker, 'tcp'), version, {
    username,
    clientId: `${username}-${version}`,
  });
  return client;
}

async function publishesWithin(c: RawClient, ms: number): Promise<string[]> {
  const topics: string[] = [];
  for (;;) {
    let p: Packet;
    try {
      p = await c.next(ms);
    } catch {
      return topics;
    }
    if (p.type === 3) topics.push(p.topic);
  }
}

describe('ACL enforcement in the broker', () => {
  test('read access is checked on every delivery, retained messages included', async () => {
    const { broker } = await brokerWithAcl(ACL);
    try {
      const bob = await as(broker, 'bob');
      bob.send(publishOf('alice/open', 'o', 1, 1, { retain: true }));
      bob.send(publishOf('alice/secret/key', 's', 1, 2, { retain: true }));
      assert.equal((await bob.next()).type, 4);
      assert.equal((await bob.next()).type, 4);
      const alice = await as(broker, 'alice');
      const ack = await subscribeRaw(alice, [subOf('alice/#', 1)], 1);
      assert.deepEqual(ack, [1]);
      assert.deepEqual(await publishesWithin(alice, 150), ['alice/open']);
      bob.send(publishOf('alice/secret/live', 's', 0));
      bob.send(publishOf('alice/live', 'l', 0));
      assert.deepEqual(await publishesWithin(alice, 150), ['alice/live']);
      alice.destroy();
      bob.destroy();
    } finally {
      await broker.close();
    }
  });

  test('$SYS is read-only for clients, even with a readwrite rule: v5 PUBACK 0x87, 3.1.1 dropped', async () => {
    const { broker } = await brokerWithAcl(ACL);
    try {
      const reader = await as(broker, 'alice', 4);
      assert.deepEqual(await subscribeRaw(reader, [subOf('$SYS/#', 0)], 1), [0]);
      const alice = await as(broker, 'alice');
      alice.send(publishOf('$SYS/broker/fake', 'x', 1, 7));
      const ack = await alice.next();
      assert.equal(ack.type === 4 && ack.reasonCode, 0x87);
      const v4 = await as(broker, 'bob', 4);
      v4.send(publishOf('$SYS/broker/fake', 'x', 1, 8));
      assert.equal((await v4.next()).type, 4);
      assert.deepEqual(await publishesWithin(reader, 150), []);
      for (const c of [reader, alice, v4]) c.destroy();
    } finally {
      await broker.close();
    }
  });

  test('after an ACL reload, existing subscriptions are re-checked and those now refused removed', async () => {
    const { broker, hooks } = await brokerWithAcl(ACL);
    try {
      const alice = await as(broker, 'alice');
      assert.deepEqual(await subscribeRaw(alice, [subOf('shared/#', 0)], 1), [0]);
      assert.deepEqual(await subscribeRaw(alice, [subOf('alice/#', 0)], 2), [0]);
      // An offline persistent session is re-checked as well.
      const { client: off } = await RawClient.connect(portOf(broker, 'tcp'), 4, {
        username: 'alice',
        clientId: 'alice-offline',
        clean: false,
      });
      assert.deepEqual(await subscribeRaw(off, [subOf('shared/#', 1)], 1), [1]);
      off.send({ type: 14, reasonCode: 0, properties: undefined });
      await off.waitClose();

      hooks.setAcl(Acl.parse(ACL.replace('topic read shared/#\n', '')));
      assert.equal(await broker.reauthorizeSubscriptions(), 2);
      assert.deepEqual([...(broker.sessions.get('alice-offline')?.subscriptions.keys() ?? [])], []);

      const bob = await as(broker, 'bob');
      bob.send(publishOf('shared/news', 'n', 0));
      bob.send(publishOf('alice/x', 'a', 0));
      assert.deepEqual(await publishesWithin(alice, 150), ['alice/x']);
      alice.destroy();
      bob.destroy();
    } finally {
      await broker.close();
    }
  });
});
