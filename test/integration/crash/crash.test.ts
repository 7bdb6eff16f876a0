// Crash tests (issue 5): the real broker in a child process with the LMDB store in `sync` mode,
// killed with SIGKILL right after an acknowledgement, restarted on the same data directory.
import assert from 'node:assert/strict';
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  delay,
  nextPublishOf,
  publishOf,
  RawClient,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';
import {
  connectPersistent,
  drain,
  kill,
  killAll,
  mustStart,
  startChild,
  stderrMatch,
  tempDataDir,
} from './harness.js';

const dirs: Array<() => Promise<void>> = [];
async function dataDir(): Promise<string> {
  const d = await tempDataDir();
  dirs.push(d.remove);
  return d.dir;
}

after(async () => {
  await killAll();
  for (const remove of dirs) await remove();
});

/** Publishes QoS 1 messages one by one, each awaiting a success PUBACK (0x00, or 0x10 no subscribers). */
async function publishAcked(
  c: RawClient,
  topic: string,
  payloads: string[],
  firstId = 1,
): Promise<void> {
  let id = firstId;
  for (const text of payloads) {
    c.send(publishOf(topic, text, 1, id));
    const ack = await c.next();
    assert.equal(ack.type, 4, 'PUBACK');
    assert.ok(ack.type === 4 && ack.packetId === id && ack.reasonCode < 0x80);
    id++;
  }
}

/** Retained PUBLISHes delivered on subscribe, until 300 ms of quiet. */
async function drainRetained(c: RawClient): Promise<Array<{ topic: string; payload: Buffer }>> {
  const got: Array<{ topic: string; payload: Buffer }> = [];
  for (;;) {
    try {
      const p = await nextPublishOf(c, 300);
      got.push({ topic: p.topic, payload: p.payload });
    } catch {
      return got;
    }
  }
}

describe('crash tests: SIGKILL after acknowledgement, restart on the same LMDB data directory', () => {
  it('every PUBACKed QoS 1 message to an offline persistent session is delivered after restart', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-q1');
    assert.deepEqual(await subscribeRaw(s.client, [subOf('crash/q1', 1)]), [1]);
    s.client.send({ type: 14, reasonCode: 0, properties: undefined });
    await s.client.closedPromise;

    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-q1' });
    const payloads = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await publishAcked(pub, 'crash/q1', payloads);
    await kill(b.child); // right after the last PUBACK
    pub.destroy();

    b = await mustStart(dir);
    const again = await connectPersistent(b.port, 'sub-q1');
    assert.equal(again.sessionPresent, true, 'the session survived the crash');
    const got = await drain(again.client);
    for (const p of payloads)
      assert.ok(got.includes(p), `PUBACKed ${p} was delivered after restart`);
    again.client.destroy();
    await kill(b.child);
  });

  it('a subscription SUBACKed for a persistent session still routes after restart', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-route');
    assert.deepEqual(await subscribeRaw(s.client, [subOf('route/+', 1)]), [1]);
    await kill(b.child); // right after SUBACK, client still connected
    s.client.destroy();

    b = await mustStart(dir);
    const again = await connectPersistent(b.port, 'sub-route');
    assert.equal(again.sessionPresent, true);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-route' });
    await publishAcked(pub, 'route/x', ['after-restart']);
    const p = await nextPublishOf(again.client);
    assert.equal(p.topic, 'route/x');
    assert.equal(p.payload.toString(), 'after-restart');
    pub.destroy();
    again.client.destroy();
    await kill(b.child);
  });

  it('a QoS 2 message PUBRECed before the kill is delivered exactly once after PUBREL on the new process', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-q2');
    assert.deepEqual(await subscribeRaw(s.client, [subOf('crash/q2', 2)]), [2]);
    s.client.send({ type: 14, reasonCode: 0, properties: undefined });
    await s.client.closedPromise;

    const pub = await connectPersistent(b.port, 'pub-q2');
    pub.client.send(publishOf('crash/q2', 'exactly-once', 2, 7));
    const rec = await pub.client.next();
    assert.ok(rec.type === 5 && rec.packetId === 7 && rec.reasonCode === 0, 'PUBREC');
    await kill(b.child);
    pub.client.destroy();

    b = await mustStart(dir);
    const pub2 = await connectPersistent(b.port, 'pub-q2');
    assert.equal(pub2.sessionPresent, true);
    // A publisher that missed the PUBREC re-sends the PUBLISH with DUP: it must not be
    // delivered a second time [MQTT-4.3.3-10].
    pub2.client.send(publishOf('crash/q2', 'exactly-once', 2, 7, { dup: true }));
    const rec2 = await pub2.client.next();
    assert.ok(rec2.type === 5 && rec2.packetId === 7, 'PUBREC for the re-sent PUBLISH');
    pub2.client.send({ type: 6, packetId: 7, reasonCode: 0, properties: undefined });
    const comp = await pub2.client.next();
    assert.ok(comp.type === 7 && comp.packetId === 7 && comp.reasonCode === 0, 'PUBCOMP');

    const sub = await connectPersistent(b.port, 'sub-q2');
    assert.equal(sub.sessionPresent, true);
    const got = await drain(sub.client, 600);
    assert.deepEqual(got, ['exactly-once']);
    pub2.client.destroy();
    sub.client.destroy();
    await kill(b.child);
  });

  it('a retained message PUBACKed before the kill is still retained', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-ret' });
    pub.send(publishOf('crash/retained', 'kept', 1, 1, { retain: true }));
    const ack = await pub.next();
    assert.ok(ack.type === 4 && ack.reasonCode < 0x80);
    await kill(b.child);
    pub.destroy();

    b = await mustStart(dir);
    const { client: sub } = await RawClient.connect(b.port, 5, { clientId: 'sub-ret' });
    await subscribeRaw(sub, [subOf('crash/#', 1)]);
    const p = await nextPublishOf(sub);
    assert.equal(p.topic, 'crash/retained');
    assert.equal(p.payload.toString(), 'kept');
    assert.equal(p.retain, true);
    sub.destroy();
    await kill(b.child);
  });

  it('sessions expire on schedule across the restart', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const short = await connectPersistent(b.port, 'short-lived', 1);
    await subscribeRaw(short.client, [subOf('exp/a', 1)]);
    const long = await connectPersistent(b.port, 'long-lived', 300);
    await subscribeRaw(long.client, [subOf('exp/b', 1)]);
    for (const c of [short.client, long.client]) {
      c.send({ type: 14, reasonCode: 0, properties: undefined });
      await c.closedPromise;
    }
    const disconnectedAt = Date.now();
    // Make sure the disconnects are committed before the kill.
    const { client: probe } = await RawClient.connect(b.port, 5, { clientId: 'probe-exp' });
    await publishAcked(probe, 'exp/none', ['sync point']);
    await kill(b.child);
    probe.destroy();

    b = await mustStart(dir);
    await delay(Math.max(0, disconnectedAt + 1600 - Date.now()));
    const s1 = await connectPersistent(b.port, 'short-lived', 1);
    assert.equal(
      s1.sessionPresent,
      false,
      'the 1 s session expired while the broker was down/restarting',
    );
    const s2 = await connectPersistent(b.port, 'long-lived', 300);
    assert.equal(s2.sessionPresent, true, 'the 300 s session is still there');
    s1.client.destroy();
    s2.client.destroy();
    await kill(b.child);
  });

  it('an in-flight QoS 1 message (sent, not PUBACKed) is resent with DUP after restart [MQTT-4.4.0-1] [MQTT-3.3.1-1]', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-inflight');
    await subscribeRaw(s.client, [subOf('inflight/t', 1)]);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-inflight' });
    await publishAcked(pub, 'inflight/t', ['unacked']);
    const first = await nextPublishOf(s.client);
    assert.equal(first.payload.toString(), 'unacked');
    assert.equal(first.dup, false);
    // No PUBACK from the subscriber. A second acknowledged publish is a sync point: its batch
    // comes after the one recording the first delivery as in flight.
    await publishAcked(pub, 'inflight/other', ['sync'], 2);
    await kill(b.child);
    s.client.destroy();
    pub.destroy();

    b = await mustStart(dir);
    const again = await connectPersistent(b.port, 'sub-inflight');
    assert.equal(again.sessionPresent, true);
    const resent = await nextPublishOf(again.client);
    assert.equal(resent.payload.toString(), 'unacked');
    assert.equal(resent.dup, true, 'resent with DUP');
    assert.equal(resent.packetId, first.packetId, 'same packet id');
    again.client.destroy();
    await kill(b.child);
  });

  it('a QoS 2 delivery leaves only once its packet id is durable: killed as the subscriber reads it, the broker resends it with that id [MQTT-4.3.3-10]', async () => {
    // Were the PUBLISH sent before its in-flight record is on disk, the restarted broker could
    // give the same id to another message while the client, holding it until PUBREL, would take
    // that message for a resend and drop it (seen through a bridge: messages lost after a kill).
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-q2-id');
    await subscribeRaw(s.client, [subOf('q2id/t', 2)]);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-q2-id' });
    pub.send(publishOf('q2id/t', 'exactly-once', 2, 7));
    const first = await nextPublishOf(s.client);
    // Killed at once: no PUBREC from the subscriber, no sync point.
    await kill(b.child);
    assert.equal(first.qos, 2);
    s.client.destroy();
    pub.destroy();

    b = await mustStart(dir);
    const again = await connectPersistent(b.port, 'sub-q2-id');
    assert.equal(again.sessionPresent, true);
    const resent = await nextPublishOf(again.client);
    assert.equal(resent.payload.toString(), 'exactly-once');
    assert.equal(resent.dup, true, 'a resend, not a new message');
    assert.equal(resent.packetId, first.packetId, 'the id the client holds');
    again.client.destroy();
    await kill(b.child);
  });

  it('a will whose delay passed while the broker was down is published after restart', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const w = await connectPersistent(b.port, 'will-watcher');
    await subscribeRaw(w.client, [subOf('will/#', 1)]);
    w.client.send({ type: 14, reasonCode: 0, properties: undefined });
    await w.client.closedPromise;
    const { client: x } = await RawClient.connect(b.port, 5, {
      clientId: 'will-owner',
      clean: false,
      properties: { sessionExpiryInterval: 300 },
      will: {
        topic: 'will/owner',
        payload: Buffer.from('owner gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    x.destroy(); // abnormal: the will is due in 1 s
    await delay(200);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-will' });
    await publishAcked(pub, 'will/sync', ['sync']); // later batch: the pending will is durable
    await kill(b.child);
    pub.destroy();
    await delay(1200); // the delay passes while the broker is down

    b = await mustStart(dir);
    const again = await connectPersistent(b.port, 'will-watcher');
    const got = await drain(again.client, 600);
    assert.ok(got.includes('owner gone'), `will published after restart (got ${got.join(',')})`);
    assert.equal(got.filter((g) => g === 'owner gone').length, 1, 'once');
    again.client.destroy();
    await kill(b.child);
  });

  it('random kill points during a QoS 1 stream lose no acknowledged message (3 rounds)', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const s = await connectPersistent(b.port, 'sub-rand');
    await subscribeRaw(s.client, [subOf('rand/#', 1)]);
    s.client.send({ type: 14, reasonCode: 0, properties: undefined });
    await s.client.closedPromise;

    const acked = new Set<string>();
    let n = 0;
    for (let round = 0; round < 3; round++) {
      const { client: pub } = await RawClient.connect(b.port, 5, { clientId: `pub-rand-${round}` });
      const stopAt = Date.now() + 50 + Math.floor(Math.random() * 250);
      // Pipeline up to 10 unacknowledged messages; record what the broker PUBACKed.
      const inflight = new Map<number, string>();
      let nextId = 1;
      let sent = 0;
      const child = b.child;
      const killed = (async () => {
        await delay(Math.max(0, stopAt - Date.now()));
        await kill(child);
      })();
      try {
        for (;;) {
          while (inflight.size < 10 && sent < 250) {
            sent++;
            const text = `r${round}-${n++}`;
            inflight.set(nextId, text);
            pub.send(publishOf('rand/x', text, 1, nextId));
            nextId = (nextId % 60000) + 1;
          }
          const ack = await pub.next(1000);
          if (ack.type === 4 && ack.reasonCode < 0x80) {
            const text = inflight.get(ack.packetId);
            if (text !== undefined) acked.add(text);
            inflight.delete(ack.packetId);
          }
        }
      } catch {
        // The broker died mid-stream: the connection closed.
      }
      await killed;
      pub.destroy();
      b = await mustStart(dir);
    }
    assert.ok(acked.size > 0, 'some messages were acknowledged before the kills');
    const sub = await connectPersistent(b.port, 'sub-rand');
    assert.equal(sub.sessionPresent, true);
    const got = new Set(await drain(sub.client, 600));
    const lost = [...acked].filter((t) => !got.has(t));
    assert.deepEqual(lost, [], `${acked.size} acknowledged, ${lost.length} lost`);
    sub.client.destroy();
    await kill(b.child);
  });

  it('a truncated database: the broker refuses to start with a clear message (no crash), or salvages when told to', async () => {
    const dir = await dataDir();
    let b = await mustStart(dir);
    const { client: pub } = await RawClient.connect(b.port, 5, { clientId: 'pub-trunc' });
    // Enough data that the file spans many pages.
    const big = 'x'.repeat(2000);
    for (let i = 0; i < 40; i++) {
      pub.send(publishOf(`trunc/${i}`, big, 1, i + 1, { retain: true }));
      const ack = await pub.next();
      assert.ok(ack.type === 4 && ack.reasonCode < 0x80);
    }
    await kill(b.child);
    pub.destroy();
    const file = join(dir, 'data.mdb');
    const size = (await stat(file)).size;
    await truncate(file, Math.floor(size / 2));

    const refused = await startChild(dir);
    assert.equal(refused.ok, false, 'a damaged database is not served');
    if (!refused.ok) {
      assert.equal(refused.signal, null, 'the process was not killed by a fault (SIGBUS/SIGSEGV)');
      assert.equal(refused.code, 1);
      assert.equal(refused.error, 'CORRUPT');
      assert.match(refused.message, /damaged.*truncated/);
    }

    b = await mustStart(dir, 'salvage');
    // A log line says what was lost.
    await stderrMatch(b.stderr, /store database damaged/);
    const { client: sub } = await RawClient.connect(b.port, 5, { clientId: 'sub-trunc' });
    await subscribeRaw(sub, [subOf('trunc/#', 1)]);
    // Whatever was salvaged is served intact; nothing else (no garbage).
    for (const p of await drainRetained(sub)) {
      assert.match(p.topic, /^trunc\/\d+$/);
      assert.equal(p.payload.toString(), big);
    }
    sub.destroy();
    await kill(b.child);
  });
});
