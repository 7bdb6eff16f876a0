import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PacketType } from '../../../src/codec/constants.js';
import { ReasonCode } from '../../../src/codec/reason-codes.js';
import type { Will } from '../../../src/codec/types.js';
import { LmdbStore } from '../../../src/persistence/lmdb/index.js';
import type { TestBroker } from '../../helpers/broker.js';
import {
  delay,
  nextPublishOf,
  RawClient,
  startBroker,
  subOf,
  subscribeRaw,
} from '../../helpers/broker.js';

function will(topic: string, payload = 'gone', extra: Partial<Will> = {}): Will {
  return {
    topic,
    payload: Buffer.from(payload),
    qos: 0,
    retain: false,
    properties: undefined,
    ...extra,
  };
}

describe('last will', () => {
  let tb: TestBroker;
  before(async () => {
    tb = await startBroker();
  });
  after(() => tb.close());

  for (const v of [4, 5] as const) {
    test(`[MQTT-3.1.2-8] the will is published when the connection is lost (v${v})`, async () => {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf(`will${v}/lost`, 0)]);
      const { client: c } = await RawClient.connect(tb.port, v, { will: will(`will${v}/lost`) });
      c.destroy();
      const m = await nextPublishOf(w);
      assert.equal(m.payload.toString(), 'gone');
      w.destroy();
    });

    test(`[MQTT-3.1.2-10] [MQTT-3.14.4-3] the will is not published after a normal DISCONNECT (v${v})`, async () => {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf(`will${v}/normal`, 0)]);
      const { client: c } = await RawClient.connect(tb.port, v, { will: will(`will${v}/normal`) });
      c.send(Buffer.from([0xe0, 0x00]));
      await c.waitClose();
      assert.equal(await w.silent(200), true);
      w.destroy();
    });

    test(`the will is published on a protocol error (v${v})`, async () => {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf(`will${v}/proto`, 0)]);
      const { client: c } = await RawClient.connect(tb.port, v, { will: will(`will${v}/proto`) });
      c.send(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK from a client
      await c.waitClose();
      assert.equal((await nextPublishOf(w)).topic, `will${v}/proto`);
      w.destroy();
    });

    test(`the will is published on a keep-alive timeout (v${v})`, async () => {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf(`will${v}/ka`, 0)]);
      await RawClient.connect(tb.port, v, { keepAlive: 1, will: will(`will${v}/ka`) });
      assert.equal((await nextPublishOf(w, 3000)).topic, `will${v}/ka`);
      w.destroy();
    });

    test(`the will of a taken-over connection is published (v${v})`, async () => {
      const { client: w } = await RawClient.connect(tb.port, 4);
      await subscribeRaw(w, [subOf(`will${v}/takeover`, 0)]);
      const { client: a } = await RawClient.connect(tb.port, v, {
        clientId: `to${v}`,
        will: will(`will${v}/takeover`),
      });
      const { client: b } = await RawClient.connect(tb.port, v, { clientId: `to${v}` });
      assert.equal((await nextPublishOf(w)).topic, `will${v}/takeover`);
      await a.waitClose();
      b.destroy();
      w.destroy();
    });
  }

  test('[MQTT-3.14.4-3] v5 DISCONNECT with reason 0x04 publishes the will', async () => {
    const { client: w } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(w, [subOf('will/04', 0)]);
    const { client: c } = await RawClient.connect(tb.port, 5, { will: will('will/04') });
    c.send({ type: 14, reasonCode: 0x04, properties: undefined });
    assert.equal((await nextPublishOf(w)).topic, 'will/04');
    w.destroy();
  });

  test('[MQTT-3.1.3-9] v5 Will Delay: published after the delay, not at all if the session resumes first', async () => {
    const { client: w } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(w, [subOf('will/delay/+', 0)]);
    const delayed = will('will/delay/a', 'late', { properties: { willDelayInterval: 1 } });
    const { client: a } = await RawClient.connect(tb.port, 5, {
      clientId: 'wd-a',
      will: delayed,
      properties: { sessionExpiryInterval: 60 },
    });
    const lostAt = Date.now();
    a.destroy();
    const m = await nextPublishOf(w, 3000);
    assert.equal(m.topic, 'will/delay/a');
    assert.ok(Date.now() - lostAt >= 900);

    const cancelled = will('will/delay/b', 'never', { properties: { willDelayInterval: 1 } });
    const { client: b } = await RawClient.connect(tb.port, 5, {
      clientId: 'wd-b',
      will: cancelled,
      properties: { sessionExpiryInterval: 60 },
    });
    b.destroy();
    await delay(200);
    const { client: b2, connack } = await RawClient.connect(tb.port, 5, {
      clientId: 'wd-b',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    assert.equal(connack.sessionPresent, true);
    assert.equal(await w.silent(1500), true);
    b2.destroy();
    w.destroy();
  });

  test('v5: a delayed will is published when the session expires before the delay', async () => {
    const { client: w } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(w, [subOf('will/exp', 0)]);
    const { client: a } = await RawClient.connect(tb.port, 5, {
      clientId: 'wexp',
      will: will('will/exp', 'x', { properties: { willDelayInterval: 30 } }),
      properties: { sessionExpiryInterval: 1 },
    });
    a.destroy();
    const m = await nextPublishOf(w, 3000);
    assert.equal(m.topic, 'will/exp');
    w.destroy();
  });

  test('a retained will is stored as retained', async () => {
    const { client: c } = await RawClient.connect(tb.port, 4, {
      will: will('will/ret', 'r', { retain: true, qos: 1 }),
    });
    c.destroy();
    await delay(100);
    const { client: s } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(s, [subOf('will/ret', 1)]);
    const m = await nextPublishOf(s);
    assert.equal(m.retain, true);
    assert.equal(m.qos, 1);
    s.destroy();
  });
});

describe('last will at broker shutdown', () => {
  test('[MQTT-3.1.2-8] close() publishes the wills of connected clients; a still-connected subscriber gets them before its DISCONNECT 0x8B', async () => {
    const tb = await startBroker();
    const { client: w } = await RawClient.connect(tb.port, 5);
    await subscribeRaw(w, [subOf('shut/#', 1)]);
    const { client: a } = await RawClient.connect(tb.port, 4, {
      will: will('shut/a', 'a-gone', { qos: 1 }),
    });
    const { client: b } = await RawClient.connect(tb.port, 5, { will: will('shut/b', 'b-gone') });
    const { client: quiet } = await RawClient.connect(tb.port, 4);
    const closing = tb.close();
    const seen: string[] = [];
    for (;;) {
      const p = await w.next();
      if (p.type === PacketType.PUBLISH) seen.push(`${p.topic}=${p.payload.toString()}`);
      else if (p.type === PacketType.DISCONNECT) {
        assert.equal(p.reasonCode, ReasonCode.ServerShuttingDown);
        break;
      }
    }
    await closing;
    assert.deepEqual(seen.sort(), ['shut/a=a-gone', 'shut/b=b-gone']);
    for (const c of [a, b, quiet, w]) c.destroy();
  });

  test('[MQTT-3.1.2-8] a v5 will with a delay stays with its persistent session instead, and a normal DISCONNECT still discards the will', async () => {
    const tb = await startBroker();
    const { client: w } = await RawClient.connect(tb.port, 4);
    await subscribeRaw(w, [subOf('later/#', 0)]);
    const { client: d } = await RawClient.connect(tb.port, 5, {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will('later/delayed', 'x', { properties: { willDelayInterval: 30 } }),
    });
    const { client: n } = await RawClient.connect(tb.port, 4, { will: will('later/normal') });
    n.send({ type: PacketType.DISCONNECT, reasonCode: 0, properties: undefined });
    await n.waitClose();
    const closing = tb.close();
    const got: string[] = [];
    for (;;) {
      try {
        const p = await w.next(1000);
        if (p.type === PacketType.PUBLISH) got.push(p.topic);
      } catch {
        break;
      }
    }
    await closing;
    assert.deepEqual(got, []);
    for (const c of [d, n, w]) c.destroy();
  });
});

describe('last will across a clean restart with the LMDB store', () => {
  test('[MQTT-3.1.3-9] a v5 will still in its delay at shutdown is stored and published once due after the next start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petrel-will-restart-'));
    try {
      const first = await startBroker({ store: new LmdbStore({ dir, durability: 'sync' }) });
      const { client: d } = await RawClient.connect(first.port, 5, {
        clientId: 'delayed-will',
        clean: false,
        properties: { sessionExpiryInterval: 60 },
        will: will('restart/will', 'late', { qos: 1, properties: { willDelayInterval: 1 } }),
      });
      await first.close();
      d.destroy();
      const second = await startBroker({ store: new LmdbStore({ dir, durability: 'sync' }) });
      try {
        const { client: w } = await RawClient.connect(second.port, 4);
        await subscribeRaw(w, [subOf('restart/#', 1)]);
        const m = await nextPublishOf(w, 5000);
        assert.equal(m.topic, 'restart/will');
        assert.equal(m.payload.toString(), 'late');
        w.destroy();
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
