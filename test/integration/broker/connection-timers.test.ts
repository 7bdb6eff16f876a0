import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TestBroker } from '../../helpers/broker.js';
import { delay, startBroker } from '../../helpers/broker.js';

// 3.1.1 CONNECT, clean session, keep-alive `ka` seconds, client id "t".
function connectBytes(ka: number): Buffer {
  return Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, ka, 0, 1, 0x74]);
}

/** A peer that never ends its side on its own (half-open allowed), so only the broker closes. */
function openHalfOpen(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await delay(20);
  }
  return Date.now() - start;
}

// A connection has one timer serving the connect timeout, the keep-alive and the forced close in
// turn: each must still fire in its phase.
describe('connection timers', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker({ connectTimeoutMs: 300 });
  });
  after(() => tb.close());

  test('a socket that sends no CONNECT is closed by the connect timeout', async () => {
    const s = await openHalfOpen(tb.port);
    s.on('data', () => {});
    await waitFor(() => tb.broker.connections.size === 1, 1000);
    await waitFor(() => tb.broker.connections.size === 0, 2500);
    s.destroy();
  });

  test('a peer that never closes its side after DISCONNECT is destroyed about 1 s later', async () => {
    const s = await openHalfOpen(tb.port);
    s.on('data', () => {});
    s.write(connectBytes(0));
    await waitFor(() => tb.broker.stats.connected === 1, 1000);
    s.write(Buffer.from([0xe0, 0x00]));
    const ms = await waitFor(() => tb.broker.connections.size === 0, 3000);
    assert.ok(ms >= 700, `closed after ${ms} ms, before the 1 s grace`);
    s.destroy();
  });

  test('[MQTT-3.1.2-24] the keep-alive still fires once the connect timeout is over', async () => {
    const s = await openHalfOpen(tb.port);
    s.on('data', () => {});
    s.write(connectBytes(1));
    await waitFor(() => tb.broker.stats.connected === 1, 1000);
    // Past the 300 ms connect timeout: the connection must still be open…
    await delay(600);
    assert.equal(tb.broker.stats.connected, 1);
    // …and closed by the keep-alive (1.5 s without a packet), then force-closed.
    await waitFor(() => tb.broker.stats.connected === 0, 2500);
    await waitFor(() => tb.broker.connections.size === 0, 2000);
    s.destroy();
  });
});
