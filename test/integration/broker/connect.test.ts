import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.js';
import { delay, RawClient, startBroker } from '../../helpers/broker.js';
import { connectPacket } from '../../helpers/packets.js';

describe('broker CONNECT/CONNACK', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ maxKeepAlive: 30, maxClientIdLength: 64 });
  });
  after(() => tb.close());

  test('[MQTT-3.1.0-1] a first packet other than CONNECT closes the connection without CONNACK', async () => {
    const c = await RawClient.open(tb.port);
    c.send(Buffer.from([0xc0, 0x00])); // PINGREQ
    await c.waitClose();
    assert.equal(await c.silent(10), true);
  });

  test('[MQTT-3.1.0-2] a second CONNECT closes the connection (v5: DISCONNECT 0x82)', async () => {
    const { client } = await RawClient.connect(tb.port, 5);
    client.send(connectPacket({ protocolVersion: 5, clientId: 'again' }));
    const p = await client.next();
    assert.equal(p.type, 14);
    assert.equal(p.type === 14 && p.reasonCode, 0x82);
    await client.waitClose();
  });

  test('[MQTT-3.1.3-8] 3.1.1: an empty client id without clean session gets return code 2', async () => {
    const c = await RawClient.open(tb.port, 4);
    // Raw bytes: the codec's encoder refuses to build this CONNECT.
    c.send(Buffer.from('100c00044d515454040000000000', 'hex'));
    const p = await c.next();
    assert.equal(p.type === 2 && p.reasonCode, 2);
    await c.waitClose();
  });

  test('[MQTT-3.1.3-6] 3.1.1: an empty client id with clean session is accepted', async () => {
    const { client, connack } = await RawClient.connect(tb.port, 4, { clientId: '' });
    assert.equal(connack.reasonCode, 0);
    client.destroy();
  });

  test('[MQTT-3.2.2-16] v5: an empty client id is assigned one in CONNACK', async () => {
    const { client, connack } = await RawClient.connect(tb.port, 5, { clientId: '' });
    assert.equal(connack.reasonCode, 0);
    const id = connack.properties?.assignedClientIdentifier;
    assert.ok(typeof id === 'string' && id.length > 0);
    client.destroy();
  });

  test('v5: a client id over maxClientIdLength is refused with 0x85', async () => {
    const c = await RawClient.open(tb.port, 5);
    c.send(connectPacket({ protocolVersion: 5, clientId: 'x'.repeat(65) }));
    const p = await c.next();
    assert.equal(p.type === 2 && p.reasonCode, 0x85);
    await c.waitClose();
  });

  test('[MQTT-3.1.4-3] take-over: the existing connection is closed with 0x8E (v5)', async () => {
    const { client: first } = await RawClient.connect(tb.port, 5, { clientId: 'dup-id' });
    const { client: second, connack } = await RawClient.connect(tb.port, 5, { clientId: 'dup-id' });
    assert.equal(connack.reasonCode, 0);
    const d = await first.next();
    assert.equal(d.type === 14 && d.reasonCode, 0x8e);
    await first.waitClose();
    assert.equal(second.closed, false);
    second.destroy();
  });

  test('[MQTT-3.2.2-1] [MQTT-3.2.2-2] session present is 0 for a clean session, 1 on resume', async () => {
    const a = await RawClient.connect(tb.port, 4, { clientId: 'sp', clean: false });
    assert.equal(a.connack.sessionPresent, false);
    a.client.send(Buffer.from([0xe0, 0x00]));
    await a.client.waitClose();
    const b = await RawClient.connect(tb.port, 4, { clientId: 'sp', clean: false });
    assert.equal(b.connack.sessionPresent, true);
    b.client.send(Buffer.from([0xe0, 0x00]));
    await b.client.waitClose();
    const c = await RawClient.connect(tb.port, 4, { clientId: 'sp', clean: true });
    assert.equal(c.connack.sessionPresent, false);
    c.client.destroy();
  });

  test('[MQTT-3.2.2-21] v5: a keep-alive above the maximum is capped with Server Keep Alive', async () => {
    const { client, connack } = await RawClient.connect(tb.port, 5, { keepAlive: 120 });
    assert.equal(connack.properties?.serverKeepAlive, 30);
    client.destroy();
  });

  test('3.1.1: a keep-alive above maxKeepAlive is refused with return code 2 (no way to lower it)', async () => {
    const c = await RawClient.open(tb.port, 4);
    c.send(connectPacket({ keepAlive: 120, clientId: 'ka-long' }));
    const p = await c.next();
    assert.equal(p.type === 2 && p.reasonCode, 2);
    await c.waitClose();
  });

  test('[MQTT-3.1.2-24] no packet within 1.5x keep-alive closes the connection (v5: 0x8D)', async () => {
    const { client } = await RawClient.connect(tb.port, 5, { keepAlive: 1 });
    const start = Date.now();
    const p = await client.next(4000);
    assert.equal(p.type === 14 && p.reasonCode, 0x8d);
    await client.waitClose();
    const took = Date.now() - start;
    assert.ok(took >= 1500 && took < 3500, `closed after ${took} ms`);
  });

  test('[MQTT-3.1.2-23] PINGREQ keeps the connection alive and gets PINGRESP [MQTT-3.12.4-1]', async () => {
    const { client } = await RawClient.connect(tb.port, 4, { keepAlive: 1 });
    for (let i = 0; i < 4; i++) {
      await delay(500);
      client.send(Buffer.from([0xc0, 0x00]));
      const p = await client.next();
      assert.equal(p.type, 13);
    }
    assert.equal(client.closed, false);
    client.destroy();
  });

  test('[MQTT-3.1.2-2] an unsupported protocol level gets return code 1', async () => {
    const c = await RawClient.open(tb.port);
    // CONNECT 'MQTT' level 6
    c.send(Buffer.from('100c00044d5154540602003c0000', 'hex'));
    const p = await c.next();
    assert.equal(p.type === 2 && p.reasonCode, 1);
    await c.waitClose();
  });
});

describe('broker connect timeout', () => {
  test('a socket that never sends CONNECT is closed after connectTimeoutMs', async () => {
    const tb = await startBroker({ connectTimeoutMs: 300 });
    try {
      const c = await RawClient.open(tb.port);
      const start = Date.now();
      await c.waitClose(2000);
      assert.ok(Date.now() - start >= 250);
    } finally {
      await tb.close();
    }
  });
});

describe('broker connect timeout during authentication', () => {
  test('an authentication that never completes is bounded by connectTimeoutMs', async () => {
    const tb = await startBroker({
      connectTimeoutMs: 300,
      hooks: { authenticate: () => new Promise<boolean>(() => {}) },
    });
    try {
      const c = await RawClient.open(tb.port, 4);
      c.send(connectPacket({ clientId: 'stuck' }));
      await c.waitClose(2000);
    } finally {
      await tb.close();
    }
  });
});

describe('broker authentication hook', () => {
  test('[MQTT-3.2.2-6] an async authenticate refusal gets 0x86 (v5) / return code 4 (3.1.1)', async () => {
    const tb = await startBroker({
      hooks: {
        authenticate: async (r) => {
          await delay(20);
          return r.username === 'good' && r.password?.toString() === 'pw';
        },
      },
    });
    try {
      const ok = await RawClient.connect(tb.port, 5, {
        username: 'good',
        password: Buffer.from('pw'),
      });
      assert.equal(ok.connack.reasonCode, 0);
      ok.client.destroy();
      for (const [v, code] of [
        [5, 0x86],
        [4, 4],
      ] as const) {
        const c = await RawClient.open(tb.port, v);
        c.send(
          connectPacket({
            protocolVersion: v,
            clientId: 'bad',
            username: 'good',
            password: Buffer.from('wrong'),
          }),
        );
        const p = await c.next();
        assert.equal(p.type === 2 && p.reasonCode, code);
        await c.waitClose();
      }
    } finally {
      await tb.close();
    }
  });

  test('packets sent right after CONNECT wait for async authentication, in order', async () => {
    const tb = await startBroker({
      hooks: { authenticate: () => delay(50).then(() => true) },
    });
    try {
      const c = await RawClient.open(tb.port, 4);
      c.send(connectPacket({ clientId: 'eager' }));
      c.send({
        type: 8,
        packetId: 1,
        subscriptions: [
          {
            topicFilter: 'e/x',
            qos: 1,
            noLocal: false,
            retainAsPublished: false,
            retainHandling: 0,
          },
        ],
        properties: undefined,
      });
      c.send(Buffer.from([0xc0, 0x00]));
      assert.equal((await c.next()).type, 2);
      assert.equal((await c.next()).type, 9);
      assert.equal((await c.next()).type, 13);
      c.destroy();
    } finally {
      await tb.close();
    }
  });
});
