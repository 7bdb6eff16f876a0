import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connectAsync } from 'mqtt';
import type { BrokerOptions } from '../../../src/broker/options.js';
import type { Packet } from '../../../src/codec/types.js';
import {
  delay,
  publishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
  type TestBroker,
} from '../../helpers/broker.js';

// A full subscriber queue slows the publisher (overflow: 'backpressure', the default) instead of
// dropping QoS 1 messages that were acknowledged: every PUBACK means the message is delivered.

const N = 600;
const LIMITS: BrokerOptions = { maxQueuedMessages: 20, maxInflight: 10 };

/** Reads PUBLISHes from `c`, acknowledging each (after `ackDelay()` ms), recording their payloads. */
function consume(c: RawClient, seen: Set<string>, ackDelay: () => number): { stop(): void } {
  let stopped = false;
  void (async () => {
    while (!stopped && !c.closed) {
      let p: Packet;
      try {
        p = await c.next(200);
      } catch {
        continue;
      }
      if (p.type !== 3) continue;
      seen.add(p.payload.toString());
      const wait = ackDelay();
      if (wait > 0) await delay(wait);
      if (p.qos === 1)
        c.send({ type: 4, packetId: p.packetId, reasonCode: 0, properties: undefined });
    }
  })();
  return {
    stop() {
      stopped = true;
    },
  };
}

/**
 * Publishes `n` QoS 1 messages as fast as the socket takes them, with up to `window` awaiting
 * their PUBACK (packet ids reused once acknowledged); returns the payloads acknowledged so far.
 */
function publishAll(
  c: RawClient,
  topic: string,
  n: number,
  window = 100,
): {
  acked: Set<string>;
  done: Promise<void>;
} {
  const acked = new Set<string>();
  const byId = new Map<number, string>();
  let next = 0;
  const send = () => {
    while (next < n && byId.size < window) {
      const id = (next % 60000) + 1;
      const payload = `m${next}`;
      byId.set(id, payload);
      c.send(publishOf(topic, payload, 1, id));
      next++;
    }
  };
  const done = (async () => {
    send();
    const deadline = Date.now() + 20_000;
    while (acked.size < n && Date.now() < deadline && !c.closed) {
      let p: Packet;
      try {
        p = await c.next(500);
      } catch {
        continue;
      }
      if (p.type !== 4) continue;
      const payload = byId.get(p.packetId);
      if (payload !== undefined) acked.add(payload);
      byId.delete(p.packetId);
      send();
    }
  })();
  return { acked, done };
}

describe('back-pressure instead of ack-then-drop', () => {
  const brokers: TestBroker[] = [];
  after(async () => {
    for (const b of brokers) await b.close();
  });

  test('a subscriber that reads slowly, stops, then resumes gets every acknowledged message; the publisher is slowed, nothing dropped', async () => {
    const tb = await startBroker(LIMITS);
    brokers.push(tb);
    const { client: sub } = await RawClient.connect(tb.port, 4, { clientId: 'bp-sub' });
    await subscribeRaw(sub, [subOf('bp/t', 1)]);
    const seen = new Set<string>();
    // Slow: 2 ms per message for the first part.
    let slow = true;
    const reader = consume(sub, seen, () => (slow ? 2 : 0));
    const { client: pub } = await RawClient.connect(tb.port, 4, { clientId: 'bp-pub' });
    const run = publishAll(pub, 'bp/t', N);
    await delay(150);
    // Stop reading altogether: the in-flight window and then the queue fill up.
    reader.stop();
    sub.socket.pause();
    await delay(400);
    const ackedWhileStuck = run.acked.size;
    await delay(300);
    assert.ok(
      run.acked.size - ackedWhileStuck <= 1,
      `the publisher is not acknowledged while the subscriber is stuck (${ackedWhileStuck} → ${run.acked.size})`,
    );
    assert.ok(run.acked.size < N, 'the publisher was slowed down');
    assert.ok(tb.broker.stats.publishersThrottled > 0, 'the publisher was throttled');
    // Resume at full speed.
    slow = false;
    sub.socket.resume();
    const reader2 = consume(sub, seen, () => 0);
    await run.done;
    const deadline = Date.now() + 5000;
    while (seen.size < N && Date.now() < deadline) await delay(20);
    reader2.stop();
    assert.equal(run.acked.size, N, 'every message was acknowledged to the publisher');
    for (const p of run.acked) assert.ok(seen.has(p), `acknowledged ${p} was delivered`);
    assert.equal(tb.broker.stats.dropped, 0);
    sub.destroy();
    pub.destroy();
  });

  test("overflow: 'drop' keeps the old policy: a full queue drops QoS 1 messages (counted)", async () => {
    const tb = await startBroker({ ...LIMITS, overflow: 'drop' });
    brokers.push(tb);
    const { client: sub } = await RawClient.connect(tb.port, 4, { clientId: 'drop-sub' });
    await subscribeRaw(sub, [subOf('bp/t', 1)]);
    sub.socket.pause();
    const { client: pub } = await RawClient.connect(tb.port, 4, { clientId: 'drop-pub' });
    const run = publishAll(pub, 'bp/t', 200);
    await run.done;
    assert.equal(run.acked.size, 200, 'the publisher is never slowed');
    assert.ok(tb.broker.stats.dropped >= 200 - 30, `dropped ${tb.broker.stats.dropped}`);
    sub.destroy();
    pub.destroy();
  });

  test('two clients publishing to each other are not stalled: a throttled client still has its acknowledgements read', async () => {
    // Each one's queue fills with the other's messages, so both are throttled at once; were
    // their PUBACKs not read, neither queue could drain until the slow-consumer timeout.
    const tb = await startBroker({ ...LIMITS, slowConsumerTimeoutMs: 60_000 });
    brokers.push(tb);
    const n = 400;
    const opts = {
      port: tb.port,
      host: '127.0.0.1',
      reconnectPeriod: 0,
      protocolVersion: 4 as const,
    };
    const a = await connectAsync({ ...opts, clientId: 'mutual-a' });
    const b = await connectAsync({ ...opts, clientId: 'mutual-b' });
    try {
      const got = { a: 0, b: 0 };
      a.on('message', () => got.a++);
      b.on('message', () => got.b++);
      await a.subscribeAsync('mutual/to-a', { qos: 1 });
      await b.subscribeAsync('mutual/to-b', { qos: 1 });
      const started = Date.now();
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < n; i++) {
        sends.push(a.publishAsync('mutual/to-b', `a${i}`, { qos: 1 }));
        sends.push(b.publishAsync('mutual/to-a', `b${i}`, { qos: 1 }));
      }
      const deadline = Date.now() + 10_000;
      let acked = 0;
      for (const p of sends)
        p.then(
          () => acked++,
          () => {},
        );
      while (acked < 2 * n && Date.now() < deadline) await delay(20);
      assert.equal(acked, 2 * n, 'every publish was acknowledged');
      while ((got.a < n || got.b < n) && Date.now() < deadline) await delay(20);
      assert.deepEqual(got, { a: n, b: n }, 'every acknowledged message was delivered');
      assert.ok(Date.now() - started < 10_000, `done in ${Date.now() - started} ms`);
      assert.ok(tb.broker.stats.publishersThrottled > 0, 'both were throttled along the way');
      assert.equal(tb.broker.stats.dropped, 0);
    } finally {
      a.end(true);
      b.end(true);
    }
  });

  test('a subscriber that never resumes is disconnected after slowConsumerTimeoutMs; the publisher carries on to the others', async () => {
    const tb = await startBroker({ ...LIMITS, slowConsumerTimeoutMs: 500 });
    brokers.push(tb);
    // Persistent: its session outlives the disconnect and queues under the offline limits.
    const { client: stuck } = await RawClient.connect(tb.port, 4, {
      clientId: 'bp-stuck',
      clean: false,
    });
    await subscribeRaw(stuck, [subOf('bp/t', 1)]);
    stuck.socket.pause();
    const { client: fast } = await RawClient.connect(tb.port, 4, { clientId: 'bp-fast' });
    await subscribeRaw(fast, [subOf('bp/t', 1)]);
    const seen = new Set<string>();
    const reader = consume(fast, seen, () => 0);
    const { client: pub } = await RawClient.connect(tb.port, 4, { clientId: 'bp-pub2' });
    const started = Date.now();
    const run = publishAll(pub, 'bp/t', N);
    stuck.socket.resume(); // read only to see the close; it never acknowledges anything
    stuck.socket.removeAllListeners('data');
    await stuck.waitClose(5000);
    const stuckFor = Date.now() - started;
    assert.ok(stuckFor >= 400, `disconnected after ${stuckFor} ms, not before the timeout`);
    assert.ok(stuckFor < 3000, `disconnected after ${stuckFor} ms`);
    await run.done;
    const deadline = Date.now() + 5000;
    while (seen.size < N && Date.now() < deadline) await delay(20);
    reader.stop();
    assert.equal(run.acked.size, N, 'the publisher carried on');
    for (const p of run.acked)
      assert.ok(seen.has(p), `acknowledged ${p} reached the fast subscriber`);
    // Offline, the stuck session's queue limit drops (counted). It keeps what it was promised
    // while connected: its in-flight window (10), its queue (20) and what its publisher had
    // already sent when it was throttled (at most the publisher's window of 100).
    const session = tb.broker.sessions.get('bp-stuck');
    assert.ok(session !== undefined && session.connection === undefined);
    assert.ok(session.queue.length <= 10 + 20 + 100, `queued ${session.queue.length}`);
    assert.ok(tb.broker.stats.dropped > 0);
    fast.destroy();
    pub.destroy();
  });
});
