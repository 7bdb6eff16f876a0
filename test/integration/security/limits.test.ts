import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { describe, test } from 'node:test';
import type { Broker, BrokerOptions } from '../../../src/broker.js';
import { publishOf, RawClient } from '../../helpers/broker.js';
import { portOf, start } from './helpers.js';

async function withBroker(options: BrokerOptions, fn: (b: Broker, port: number) => Promise<void>) {
  const broker = await start(options);
  try {
    await fn(broker, portOf(broker, 'tcp'));
  } finally {
    await broker.close();
  }
}

describe('connection and rate limits', () => {
  test('connect rate (token bucket per listener): over the burst, v5 CONNACK 0x9F / 3.1.1 return code 3', async () => {
    await withBroker({ connectRate: 1, connectBurst: 2 }, async (_b, port) => {
      const codes: number[] = [];
      const clients: RawClient[] = [];
      for (const v of [5, 5, 5, 4] as const) {
        const { client, connack } = await RawClient.connect(port, v);
        codes.push(connack.reasonCode);
        clients.push(client);
      }
      assert.deepEqual(codes, [0, 0, 0x9f, 3]);
      for (const c of clients) c.destroy();
    });
  });

  test('the connect bucket refills at the configured rate', async () => {
    await withBroker({ connectRate: 10, connectBurst: 1 }, async (_b, port) => {
      const a = await RawClient.connect(port, 5);
      assert.equal(a.connack.reasonCode, 0);
      await new Promise((r) => setTimeout(r, 350));
      const b = await RawClient.connect(port, 5);
      assert.equal(b.connack.reasonCode, 0);
      a.client.destroy();
      b.client.destroy();
    });
  });

  test('concurrent CONNECTs being authenticated are capped: the next gets 0x89 Server busy / return code 3', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const hooks = { authenticate: () => gate.then(() => true) };
    await withBroker({ maxPendingConnects: 1, hooks }, async (_b, port) => {
      const first = RawClient.connect(port, 5, { username: 'a' });
      await new Promise((r) => setTimeout(r, 50));
      const second = await RawClient.connect(port, 5, { username: 'b' });
      assert.equal(second.connack.reasonCode, 0x89);
      const third = await RawClient.connect(port, 4, { username: 'c' });
      assert.equal(third.connack.reasonCode, 3);
      release();
      const ok = await first;
      assert.equal(ok.connack.reasonCode, 0);
      // The slot is free again.
      const fourth = await RawClient.connect(port, 5, { username: 'd' });
      assert.equal(fourth.connack.reasonCode, 0);
      for (const c of [ok, second, third, fourth]) c.client.destroy();
    });
  });

  test('maxConnections per listener: further sockets are closed on accept, other listeners unaffected', async () => {
    await withBroker(
      {
        listeners: [
          { type: 'tcp', port: 0, maxConnections: 2 },
          { type: 'tcp', port: 0 },
        ],
      },
      async (b, port) => {
        const a = await RawClient.connect(port, 5);
        const c = await RawClient.connect(port, 5);
        const refused = netConnect(port, '127.0.0.1');
        refused.on('error', () => {});
        await new Promise((r) => refused.on('close', r));
        const other = b.addresses()[1]?.port ?? 0;
        const d = await RawClient.connect(other, 5);
        assert.equal(d.connack.reasonCode, 0);
        // A slot frees when a connection goes.
        a.client.destroy();
        await new Promise((r) => setTimeout(r, 50));
        const e = await RawClient.connect(port, 5);
        assert.equal(e.connack.reasonCode, 0);
        for (const x of [c, d, e]) x.client.destroy();
      },
    );
  });

  test('message rate per client: beyond the burst, v5 DISCONNECT 0x96, 3.1.1 connection closed', async () => {
    await withBroker({ maxPublishRate: 1, maxPublishBurst: 3 }, async (_b, port) => {
      const v5 = await RawClient.connect(port, 5);
      for (let i = 0; i < 4; i++) v5.client.send(publishOf('rate/x', 'm', 0));
      const d = await v5.client.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x96);
      await v5.client.waitClose();

      const v4 = await RawClient.connect(port, 4);
      for (let i = 0; i < 3; i++) v4.client.send(publishOf('rate/x', 'm', 1, i + 1));
      for (let i = 0; i < 3; i++) assert.equal((await v4.client.next()).type, 4);
      v4.client.send(publishOf('rate/x', 'm', 1, 4));
      await v4.client.waitClose();
    });
  });

  test('byte rate per client: a client sending faster than maxByteRate is disconnected with 0x96', async () => {
    await withBroker({ maxByteRate: 1000, maxByteBurst: 2000 }, async (_b, port) => {
      const c = await RawClient.connect(port, 5);
      c.client.send(publishOf('bytes/x', Buffer.alloc(1500), 0));
      assert.equal(await c.client.silent(100), true);
      // About 600 bytes left (the CONNECT and a tick of refill count): 1500 more is too fast.
      c.client.send(publishOf('bytes/x', Buffer.alloc(1500), 0));
      const d = await c.client.next();
      assert.equal(d.type === 14 && d.reasonCode, 0x96);
      await c.client.waitClose();
    });
  });
});
