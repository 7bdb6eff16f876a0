// GET /metrics: the Prometheus text format, parsed, with names and values checked against
// traffic made by the test.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from '../../../src/index.js';
import { delay, nextPublishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import { call, startWithAdmin } from './helpers.js';

/** Parses the text format into `name{labels}` → value, checking every line's shape. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t !== null) {
      types.set(t[1] as string, t[2] as string);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `not a sample line: ${line}`);
    const name = m[1] as string;
    // A summary's samples are `<name>_sum` and `<name>_count`.
    const family = types.has(name) ? name : name.replace(/_(sum|count)$/, '');
    assert.ok(types.has(family), `${name} has no TYPE line`);
    if (family !== name) assert.equal(types.get(family), 'summary', name);
    if (types.get(name) === 'counter') assert.match(name, /_total$/, `counter ${name}`);
    assert.match(name, /^petrel_/);
    out.set(`${name}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await f()) return;
    await delay(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('GET /metrics', () => {
  test('names, labels and values follow known traffic', async () => {
    const f = await startWithAdmin(
      {},
      { hooks: { authenticate: (r) => r.username !== 'intruder' } },
    );
    const sub = await connect(f.url, { clientId: 'm-sub', protocolVersion: 5, reconnect: false });
    const pub = await connect(f.url, { clientId: 'm-pub', protocolVersion: 4, reconnect: false });
    try {
      await sub.subscribe('m/#', { qos: 1 });
      let got = 0;
      sub.on('message', () => got++);
      for (let i = 0; i < 3; i++) await pub.publish('m/a', 'zero', { qos: 0 });
      await pub.publish('m/b', 'one', { qos: 1 });
      await pub.publish('m/c', 'one', { qos: 1, retain: true });
      await assert.rejects(
        connect(f.url, { username: 'intruder', password: 'x', reconnect: false }),
      );
      const r = await call(f.admin.url, '/metrics');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      await until(async () => got === 5, 'the subscriber to get 5 messages');
      const m = parse((await call(f.admin.url, '/metrics')).text);
      const expect: Array<[string, number]> = [
        ['petrel_connections{listener="tcp",protocol="5.0"}', 1],
        ['petrel_connections{listener="tcp",protocol="3.1.1"}', 1],
        ['petrel_connects_total', 2],
        ['petrel_auth_failures_total', 1],
        ['petrel_sessions{state="online"}', 2],
        ['petrel_sessions{state="offline"}', 0],
        ['petrel_subscriptions', 1],
        ['petrel_retained_messages', 1],
        ['petrel_messages_received_total{qos="0"}', 3],
        ['petrel_messages_received_total{qos="1"}', 2],
        ['petrel_messages_received_total{qos="2"}', 0],
        ['petrel_messages_sent_total{qos="0"}', 3],
        ['petrel_messages_sent_total{qos="1"}', 2],
        ['petrel_messages_dropped_total{reason="queue_full"}', 0],
        ['petrel_messages_dropped_total{reason="too_large"}', 0],
        ['petrel_queued_messages', 0],
        ['petrel_inflight_messages', 0],
        ['petrel_store_healthy', 1],
      ];
      for (const [k, v] of expect) assert.equal(m.get(k), v, k);
      const bytesIn = m.get('petrel_received_bytes_total') ?? 0;
      assert.ok(bytesIn > 5 * 'm/a'.length, `bytes in ${bytesIn}`);
      assert.equal(bytesIn, f.broker.stats.bytesReceived);
      assert.equal(m.get('petrel_sent_bytes_total'), f.broker.stats.bytesSent);
      const elu = m.get('petrel_event_loop_utilization_ratio') ?? -1;
      assert.ok(elu >= 0 && elu <= 1, `utilisation ${elu}`);
      assert.ok((m.get('petrel_event_loop_delay_seconds{quantile="0.99"}') ?? -1) >= 0);
      // Counters read the broker's totals on each scrape, not increments since the last one.
      await pub.publish('m/a', 'again', { qos: 0 });
      await until(async () => got === 6, 'the sixth message');
      const m2 = parse((await call(f.admin.url, '/metrics')).text);
      assert.equal(m2.get('petrel_messages_received_total{qos="0"}'), 4);
      // A session kept offline is counted as such.
      await sub.disconnect();
      await until(async () => {
        const m3 = parse((await call(f.admin.url, '/metrics')).text);
        return m3.get('petrel_sessions{state="online"}') === 1;
      }, 'the subscriber to go');
    } finally {
      await pub.disconnect().catch(() => {});
      await f.close();
    }
  });

  test('drops are counted by reason: queue full, too large for the client, expired', async () => {
    const f = await startWithAdmin({}, { maxQueuedMessages: 2 });
    try {
      // An offline persistent session with room for two messages.
      const off = await RawClient.connect(f.port, 5, {
        clientId: 'drop-off',
        properties: { sessionExpiryInterval: 600 },
      });
      await subscribeRaw(off.client, [subOf('d/q', 1)]);
      off.client.send({ type: 14, reasonCode: 0, properties: undefined });
      await off.client.waitClose();
      f.broker.publish('d/q', 'short-lived', { qos: 1, properties: { messageExpiryInterval: 1 } });
      for (let i = 0; i < 3; i++) f.broker.publish('d/q', `m${i}`, { qos: 1 });
      // A client that takes packets of 40 bytes at most.
      const small = await RawClient.connect(f.port, 5, {
        clientId: 'drop-small',
        properties: { maximumPacketSize: 40 },
      });
      await subscribeRaw(small.client, [subOf('d/big', 0)]);
      f.broker.publish('d/big', Buffer.alloc(100), { qos: 0 });
      f.broker.publish('d/big', 'fits', { qos: 0 });
      assert.equal((await nextPublishOf(small.client)).payload.toString(), 'fits');
      small.client.destroy();

      let m = parse((await call(f.admin.url, '/metrics')).text);
      assert.equal(m.get('petrel_messages_dropped_total{reason="queue_full"}'), 2);
      assert.equal(m.get('petrel_messages_dropped_total{reason="too_large"}'), 1);
      assert.equal(m.get('petrel_messages_dropped_total{reason="expired"}'), 0);
      assert.equal(m.get('petrel_queued_messages'), 2);
      await delay(1300);
      // Resumed: the expired message is dropped from the queue, the other is delivered.
      const back = await RawClient.connect(f.port, 5, {
        clientId: 'drop-off',
        clean: false,
        properties: { sessionExpiryInterval: 600 },
      });
      assert.equal((await nextPublishOf(back.client)).payload.toString(), 'm0');
      m = parse((await call(f.admin.url, '/metrics')).text);
      assert.equal(m.get('petrel_messages_dropped_total{reason="expired"}'), 1);
      assert.equal(m.get('petrel_messages_dropped_total{reason="no_packet_id"}'), 0);
      back.client.destroy();
    } finally {
      await f.close();
    }
  });

  test('store commits are counted and timed (sync durability)', async () => {
    const f = await startWithAdmin({}, { durability: 'sync' });
    const c = await connect(f.url, { reconnect: false });
    try {
      const before = parse((await call(f.admin.url, '/metrics')).text);
      const n0 = before.get('petrel_store_commit_seconds_count') ?? -1;
      assert.ok(n0 >= 0, 'the metric is there');
      for (let i = 0; i < 3; i++) await c.publish(`s/${i}`, 'kept', { qos: 1, retain: true });
      const m = parse((await call(f.admin.url, '/metrics')).text);
      const n = m.get('petrel_store_commit_seconds_count') ?? 0;
      assert.ok(n >= n0 + 1 && n <= n0 + 3, `commits ${n0} → ${n}`);
      assert.equal(n, f.broker.persist.store.commitStats?.count);
      const total = m.get('petrel_store_commit_seconds_sum') ?? 0;
      const last = m.get('petrel_store_last_commit_seconds') ?? -1;
      assert.ok(total > 0 && total < 10, `total ${total}`);
      assert.ok(last > 0 && last <= total, `last ${last}`);
    } finally {
      await c.disconnect();
      await f.close();
    }
  });

  test('two brokers in one process keep separate registries', async () => {
    const a = await startWithAdmin();
    const b = await startWithAdmin();
    const c = await connect(a.url, { reconnect: false });
    try {
      const ma = parse((await call(a.admin.url, '/metrics')).text);
      const mb = parse((await call(b.admin.url, '/metrics')).text);
      assert.equal(ma.get('petrel_connects_total'), 1);
      assert.equal(mb.get('petrel_connects_total'), 0);
    } finally {
      await c.disconnect();
      await a.close();
      await b.close();
    }
  });
});
