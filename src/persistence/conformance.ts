import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  type ChangeRecord,
  type DurabilityMode,
  emptySnapshot,
  type Snapshot,
  type Store,
  type StoredIncoming,
  type StoredMessage,
  type StoredQueueEntry,
  type StoredRetained,
  type StoredSecurityEntry,
  type StoredSession,
  type StoredSubscription,
  type StoredWill,
  StoreError,
} from './types.js';

/** What a store under test provides to {@link storeConformance}. */
export interface StoreFixture {
  /**
   * A new, unopened store over this fixture's backing data (a directory, a key prefix, an
   * in-memory image…). Calling it again after closing the previous store simulates a restart.
   */
  create(options: { durability: DurabilityMode }): Store;
  /** Removes the backing data (temporary directories). */
  destroy(): Promise<void>;
}

/** Options of {@link storeConformance}. */
export interface StoreConformanceOptions {
  /** Suite name. Default `'Store conformance'`. */
  name?: string;
  /** The durable mode to exercise; `none` for memory-only stores. Default `sync`. */
  durability?: DurabilityMode;
}

/**
 * The contract tests every Store must pass, as a `node:test` suite: records written and
 * committed are returned by `load()` after a restart, with the put/delete/cascade semantics of
 * {@link ChangeRecord}, batches numbered and reported durable in order.
 *
 * @param makeFixture called once per test; each fixture has its own empty backing data.
 */
export function storeConformance(
  makeFixture: () => StoreFixture | Promise<StoreFixture>,
  options: StoreConformanceOptions = {},
): void {
  const durability = options.durability ?? 'sync';
  const open: Store[] = [];
  const fixtures: StoreFixture[] = [];

  async function fixture(): Promise<StoreFixture> {
    const f = await makeFixture();
    fixtures.push(f);
    return f;
  }

  async function start(f: StoreFixture, mode: DurabilityMode = durability): Promise<Store> {
    const s = f.create({ durability: mode });
    open.push(s);
    await s.open();
    return s;
  }

  /** Close, reopen on the same data, load. */
  async function restart(f: StoreFixture, s: Store): Promise<{ store: Store; snap: Snapshot }> {
    await s.close();
    const store = await start(f);
    return { store, snap: await store.load() };
  }

  async function writeAll(s: Store, records: ChangeRecord[]): Promise<void> {
    let seq = 0;
    for (const r of records) seq = s.write(r);
    await s.whenDurable(seq);
  }

  void describe(options.name ?? 'Store conformance', () => {
    after(async () => {
      for (const s of open) await s.close().catch(() => undefined);
      for (const f of fixtures) await f.destroy();
    });

    void it('a new store loads an empty snapshot', async () => {
      const s = await start(await fixture());
      const snap = await s.load();
      assert.deepEqual(snap, emptySnapshot());
      assert.equal(s.durableSeq, 0);
      assert.equal(s.healthy, true);
    });

    void it('every record kind round-trips through a restart', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const before = Date.now();
      await writeAll(s, fullState());
      const { snap } = await restart(f, s);
      assert.deepEqual(
        [...snap.sessions].sort((a, b) => (a.clientId < b.clientId ? -1 : 1)),
        [session('c1'), session('c2', 4)],
      );
      assert.deepEqual(
        sortSubs(snap.subscriptions),
        sortSubs([sub('c1', 'a/+'), sub('c1', '$share/g/b/#', 7)]),
      );
      assert.deepEqual(sortById(snap.messages), [message(1), message(2)]);
      assert.deepEqual(snap.queue, [
        entry('c1', 1, 1, 'awaitingPuback', 11),
        entry('c1', 2, 2, 'queued', 0),
        entry('c2', 1, 1, 'queued', 0),
      ]);
      assert.deepEqual(snap.incoming, [incoming('c1', 9, undefined)]);
      assert.deepEqual(snap.retained, [retained('r/1')]);
      assert.deepEqual(snap.wills, [will('c1')]);
      assert.deepEqual(sortSecurity(snap.security), [
        { type: 'role', name: 'r', data: '{"rules":[]}' },
        { type: 'user', name: 'alice', data: '{"roles":["r"]}' },
      ]);
      assert.ok(snap.lastCommitAt !== undefined && snap.lastCommitAt >= before);
    });

    void it('security entries: put replaces by (type, name), delete removes, names of every shape', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const long = `u/${'x'.repeat(300)}`;
      await writeAll(s, [
        { kind: 'security.put', entry: { type: 'user', name: 'a', data: '1' } },
        { kind: 'security.put', entry: { type: 'role', name: 'a', data: '2' } },
        { kind: 'security.put', entry: { type: 'client', name: 'a', data: '3' } },
        { kind: 'security.put', entry: { type: 'user', name: 'a', data: '4' } },
        { kind: 'security.put', entry: { type: 'client', name: long, data: '5' } },
        { kind: 'security.put', entry: { type: 'client', name: 'c\u0001d', data: '6' } },
        { kind: 'security.delete', type: 'role', name: 'a' },
        { kind: 'security.delete', type: 'role', name: 'nobody' },
      ]);
      const { snap } = await restart(f, s);
      assert.deepEqual(sortSecurity(snap.security), [
        { type: 'client', name: 'a', data: '3' },
        { type: 'client', name: 'c\u0001d', data: '6' },
        { type: 'client', name: long, data: '5' },
        { type: 'user', name: 'a', data: '4' },
      ]);
    });

    void it('writes of one turn share a batch; batches become durable in order, once each', async () => {
      const s = await start(await fixture());
      await s.load();
      const seen: number[] = [];
      s.onDurable((seq) => seen.push(seq));
      const a = s.write({ kind: 'session.put', session: session('c1') });
      const b = s.write({ kind: 'sub.put', sub: sub('c1', 'x') });
      assert.equal(a, b);
      await s.whenDurable(a);
      assert.ok(s.durableSeq >= a);
      const c = s.write({ kind: 'sub.put', sub: sub('c1', 'y') });
      assert.ok(c > a, 'the next turn opens a new batch');
      await s.whenDurable(c);
      assert.deepEqual(seen, [a, c]);
      assert.equal(s.durableSeq, c);
      // Asking about an already durable batch resolves at once.
      await s.whenDurable(a);
    });

    void it('put replaces by key, delete removes, deleting a missing key is a no-op', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      await writeAll(s, [
        { kind: 'session.put', session: session('c1') },
        {
          kind: 'session.put',
          session: { ...session('c1'), disconnectedAt: 1234, expiryInterval: 60 },
        },
        { kind: 'sub.put', sub: sub('c1', 'a') },
        { kind: 'sub.put', sub: { ...sub('c1', 'a'), qos: 2 } },
        { kind: 'sub.put', sub: sub('c1', 'b') },
        { kind: 'sub.delete', clientId: 'c1', filter: 'b' },
        { kind: 'sub.delete', clientId: 'c1', filter: 'never' },
        { kind: 'retain.put', retained: retained('t') },
        { kind: 'retain.put', retained: { ...retained('t'), payload: Buffer.from('new') } },
        { kind: 'retain.put', retained: retained('gone') },
        { kind: 'retain.delete', topic: 'gone' },
        { kind: 'retain.delete', topic: 'never' },
        { kind: 'will.put', will: will('c1') },
        { kind: 'will.put', will: { ...will('c1'), dueAt: 99_000 } },
        { kind: 'will.delete', clientId: 'nobody' },
        { kind: 'incoming.put', incoming: incoming('c1', 3, undefined) },
        { kind: 'incoming.put', incoming: incoming('c1', 4, undefined) },
        { kind: 'incoming.delete', clientId: 'c1', packetId: 3 },
        { kind: 'queue.delete', clientId: 'c1', seq: 42 },
        { kind: 'msg.delete', id: 42 },
        { kind: 'session.delete', clientId: 'nobody' },
      ]);
      const { snap } = await restart(f, s);
      assert.deepEqual(snap.sessions, [
        { ...session('c1'), disconnectedAt: 1234, expiryInterval: 60 },
      ]);
      assert.deepEqual(snap.subscriptions, [{ ...sub('c1', 'a'), qos: 2 }]);
      assert.deepEqual(snap.retained, [{ ...retained('t'), payload: Buffer.from('new') }]);
      assert.deepEqual(snap.wills, [{ ...will('c1'), dueAt: 99_000 }]);
      assert.deepEqual(snap.incoming, [incoming('c1', 4, undefined)]);
    });

    void it('queue.update changes state and packet id; an update of a missing entry is ignored', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      await writeAll(s, [
        { kind: 'msg.put', msg: message(1) },
        { kind: 'queue.put', entry: entry('c1', 1, 1, 'queued', 0) },
        { kind: 'queue.update', clientId: 'c1', seq: 1, state: 'awaitingPubrec', packetId: 7 },
        { kind: 'queue.update', clientId: 'c1', seq: 2, state: 'awaitingPuback', packetId: 8 },
      ]);
      let r = await restart(f, s);
      assert.deepEqual(r.snap.queue, [entry('c1', 1, 1, 'awaitingPubrec', 7)]);
      await writeAll(r.store, [
        { kind: 'queue.update', clientId: 'c1', seq: 1, state: 'awaitingPubcomp', packetId: 7 },
        { kind: 'msg.delete', id: 1 },
      ]);
      r = await restart(f, r.store);
      assert.deepEqual(r.snap.queue, [entry('c1', 1, 1, 'awaitingPubcomp', 7)]);
      assert.deepEqual(r.snap.messages, [], 'the message itself was released after PUBREC');
    });

    void it('the queue loads grouped by client, in numeric seq order', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const records: ChangeRecord[] = [{ kind: 'msg.put', msg: message(1) }];
      for (const [c, q] of [
        ['b', 10],
        ['a', 2],
        ['b', 2],
        ['a', 10],
        ['a', 1],
        ['ab', 3],
      ] as const) {
        records.push({ kind: 'queue.put', entry: entry(c, q, 1, 'queued', 0) });
      }
      await writeAll(s, records);
      const { snap } = await restart(f, s);
      const byClient = new Map<string, number[]>();
      const order: string[] = [];
      for (const e of snap.queue) {
        if (!byClient.has(e.clientId)) order.push(e.clientId);
        byClient.set(e.clientId, [...(byClient.get(e.clientId) ?? []), e.seq]);
      }
      assert.equal(new Set(order).size, order.length, 'each client appears as one group');
      assert.deepEqual(byClient.get('a'), [1, 2, 10]);
      assert.deepEqual(byClient.get('b'), [2, 10]);
      assert.deepEqual(byClient.get('ab'), [3]);
    });

    void it('session.delete cascades to subscriptions, queue, incoming and will of that client only', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      await writeAll(s, fullState());
      // Same batch: records for c1 written just before its delete must go too.
      await writeAll(s, [
        { kind: 'sub.put', sub: sub('c1', 'late/+') },
        { kind: 'queue.put', entry: entry('c1', 3, 2, 'queued', 0) },
        { kind: 'session.put', session: session('c') },
        { kind: 'sub.put', sub: sub('c', 'prefix/ok') },
        { kind: 'session.delete', clientId: 'c1' },
      ]);
      const { snap } = await restart(f, s);
      assert.deepEqual(snap.sessions.map((x) => x.clientId).sort(), ['c', 'c2']);
      assert.deepEqual(snap.subscriptions, [sub('c', 'prefix/ok')]);
      assert.deepEqual(snap.queue, [entry('c2', 1, 1, 'queued', 0)]);
      assert.deepEqual(snap.incoming, []);
      assert.deepEqual(snap.wills, []);
      assert.deepEqual(snap.retained, [retained('r/1')], 'retained messages are not per session');
      assert.deepEqual(snap.messages, [message(1)], 'message 2 lost its last reference');
    });

    void it('a message is stored once for all queues and kept while referenced', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      await writeAll(s, [
        { kind: 'msg.put', msg: message(1) },
        { kind: 'msg.put', msg: message(2) },
        { kind: 'msg.put', msg: message(3) },
        { kind: 'queue.put', entry: entry('a', 1, 1, 'queued', 0) },
        { kind: 'queue.put', entry: entry('b', 1, 1, 'queued', 0) },
        { kind: 'incoming.put', incoming: incoming('p', 5, 2) },
        // message 3 is never referenced (a crash between msg.put and queue.put)
      ]);
      let r = await restart(f, s);
      assert.deepEqual(sortById(r.snap.messages), [message(1), message(2)]);
      await writeAll(r.store, [{ kind: 'queue.delete', clientId: 'a', seq: 1 }]);
      r = await restart(f, r.store);
      assert.deepEqual(sortById(r.snap.messages), [message(1), message(2)]);
      await writeAll(r.store, [
        { kind: 'queue.delete', clientId: 'b', seq: 1 },
        { kind: 'incoming.delete', clientId: 'p', packetId: 5 },
      ]);
      r = await restart(f, r.store);
      assert.deepEqual(r.snap.messages, []);
    });

    void it('expiry data round-trips: session expiry, disconnect time, message expiry, will delay', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const sess: StoredSession = {
        clientId: 'e',
        protocolVersion: 4,
        expiryInterval: 0xffffffff,
        disconnectedAt: 1_700_000_000_123,
        username: undefined,
      };
      const msg: StoredMessage = { ...message(7), expiresAt: 1_700_000_360_000 };
      const w: StoredWill = { ...will('e'), delayInterval: 30, dueAt: 1_700_000_030_123 };
      const ret: StoredRetained = { ...retained('x'), expiresAt: 1_700_000_999_000 };
      await writeAll(s, [
        { kind: 'session.put', session: sess },
        { kind: 'msg.put', msg },
        { kind: 'queue.put', entry: entry('e', 1, 7, 'queued', 0) },
        { kind: 'will.put', will: w },
        { kind: 'retain.put', retained: ret },
      ]);
      const { snap } = await restart(f, s);
      assert.deepEqual(snap.sessions, [sess]);
      assert.deepEqual(snap.messages, [msg]);
      assert.deepEqual(snap.wills, [w]);
      assert.deepEqual(snap.retained, [ret]);
    });

    void it('payloads are binary-exact, including empty and large ones', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const big = Buffer.alloc(256 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      const bytes = Buffer.from([0, 255, 0xc0, 0x80, 0xd8, 0x00, 10, 13]);
      await writeAll(s, [
        { kind: 'msg.put', msg: { ...message(1), payload: Buffer.alloc(0) } },
        { kind: 'msg.put', msg: { ...message(2), payload: big } },
        { kind: 'msg.put', msg: { ...message(3), payload: bytes } },
        { kind: 'queue.put', entry: entry('c', 1, 1, 'queued', 0) },
        { kind: 'queue.put', entry: entry('c', 2, 2, 'queued', 0) },
        { kind: 'queue.put', entry: entry('c', 3, 3, 'queued', 0) },
      ]);
      const { snap } = await restart(f, s);
      const got = sortById(snap.messages);
      assert.ok(got.every((m) => Buffer.isBuffer(m.payload)));
      assert.deepEqual(
        got.map((m) => m.payload),
        [Buffer.alloc(0), big, bytes],
      );
    });

    void it('long client ids, topics and filters (beyond key limits) round-trip and cascade', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      const longId = `client-${'x'.repeat(3000)}`;
      const longId2 = `client-${'x'.repeat(3000)}y`;
      const ctrlId = 'ctl\u0001id';
      const longTopic = `t/${'é'.repeat(3000)}/😀`;
      await writeAll(s, [
        { kind: 'session.put', session: session(longId) },
        { kind: 'session.put', session: session(longId2) },
        { kind: 'session.put', session: session(ctrlId) },
        { kind: 'sub.put', sub: sub(ctrlId, 'a\u0001b') },
        { kind: 'sub.put', sub: sub(longId, `${longTopic}/#`) },
        { kind: 'sub.put', sub: sub(longId2, `${longTopic}/+`) },
        { kind: 'retain.put', retained: retained(longTopic) },
        { kind: 'retain.put', retained: retained(`${longTopic}2`) },
      ]);
      let r = await restart(f, s);
      assert.equal(r.snap.sessions.length, 3);
      assert.deepEqual(
        r.snap.retained.map((x) => x.topic).sort(),
        [longTopic, `${longTopic}2`].sort(),
      );
      await writeAll(r.store, [
        { kind: 'session.delete', clientId: longId },
        { kind: 'session.delete', clientId: ctrlId },
      ]);
      r = await restart(f, r.store);
      // Compare lengths first: a failing deepEqual on 3000-character ids is unreadable.
      assert.deepEqual(
        r.snap.sessions.map((x) => x.clientId.length),
        [longId2.length],
      );
      assert.equal(r.snap.subscriptions.length, 1);
      assert.ok(r.snap.subscriptions[0]?.clientId === longId2);
      assert.ok(r.snap.subscriptions[0]?.filter === `${longTopic}/+`);
    });

    void it('close() commits what was written but not yet flushed', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      s.write({ kind: 'retain.put', retained: retained('pending') });
      const { snap } = await restart(f, s);
      assert.deepEqual(snap.retained, [retained('pending')]);
    });

    void it('flush() makes everything written so far durable', async () => {
      const f = await fixture();
      const s = await start(f, durability === 'none' ? 'none' : 'batched');
      await s.load();
      const seq = s.write({ kind: 'retain.put', retained: retained('b') });
      await s.flush();
      assert.ok(s.durableSeq >= seq);
      await s.flush(); // nothing pending: resolves
      const { snap } = await restart(f, s);
      assert.deepEqual(snap.retained, [retained('b')]);
    });

    void it('batched mode commits on its own within the interval', async () => {
      const f = await fixture();
      const s = await start(f, durability === 'none' ? 'none' : 'batched');
      await s.load();
      const seq = s.write({ kind: 'retain.put', retained: retained('auto') });
      await s.whenDurable(seq);
      assert.ok(s.durableSeq >= seq);
    });

    void it('writing after close() throws a CLOSED StoreError', async () => {
      const s = await start(await fixture());
      await s.load();
      await s.close();
      assert.throws(
        () => s.write({ kind: 'retain.delete', topic: 'x' }),
        (e: unknown) => e instanceof StoreError && e.code === 'CLOSED',
      );
      await s.close(); // idempotent
    });

    void it('many batches in a row stay consistent (group commit under load)', async () => {
      const f = await fixture();
      const s = await start(f);
      await s.load();
      let last = 0;
      let id = 0;
      const batches = new Set<number>();
      for (let turn = 0; turn < 20; turn++) {
        for (let i = 0; i < 50; i++) {
          id++;
          s.write({ kind: 'msg.put', msg: message(id) });
          last = s.write({ kind: 'queue.put', entry: entry('load', id, id, 'queued', 0) });
          batches.add(last);
          if (id % 3 === 0) s.write({ kind: 'queue.delete', clientId: 'load', seq: id - 1 });
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await s.whenDurable(last);
      assert.ok(batches.size <= 20, 'at most one batch per turn');
      const { snap } = await restart(f, s);
      const expected: number[] = [];
      for (let i = 1; i <= id; i++) if ((i + 1) % 3 !== 0) expected.push(i);
      assert.deepEqual(
        snap.queue.map((e) => e.seq),
        expected,
      );
      assert.equal(snap.messages.length, expected.length);
    });
  });
}

function session(clientId: string, version: 3 | 4 | 5 = 5): StoredSession {
  return {
    clientId,
    protocolVersion: version === 5 ? 5 : 4,
    expiryInterval: 3600,
    disconnectedAt: undefined,
    username: version === 5 ? 'user' : undefined,
  };
}

function sub(clientId: string, filter: string, subscriptionId?: number): StoredSubscription {
  return {
    clientId,
    filter,
    qos: 1,
    noLocal: subscriptionId !== undefined,
    retainAsPublished: false,
    retainHandling: subscriptionId !== undefined ? 2 : 0,
    subscriptionId,
  };
}

function message(id: number): StoredMessage {
  return {
    id,
    topic: `m/${id}`,
    payload: Buffer.from(`payload ${id}`),
    qos: 2,
    retain: false,
    properties:
      id % 2 === 1
        ? {
            payloadFormatIndicator: 1,
            contentType: 'text/plain',
            responseTopic: 'reply/here',
            correlationData: Buffer.from([1, 2, 3, id & 0xff]),
            userProperties: [
              ['k', 'v1'],
              ['k', 'v2'],
              ['a', ''],
            ],
          }
        : undefined,
    expiresAt: undefined,
    origin: id % 2 === 1 ? 'publisher' : undefined,
  };
}

function entry(
  clientId: string,
  seq: number,
  messageId: number,
  state: StoredQueueEntry['state'],
  packetId: number,
): StoredQueueEntry {
  return {
    clientId,
    seq,
    messageId,
    qos: 1,
    state,
    packetId,
    subscriptionIds: seq === 1 ? [3, 7] : [],
    retain: false,
  };
}

function incoming(
  clientId: string,
  packetId: number,
  messageId: number | undefined,
): StoredIncoming {
  return { clientId, packetId, messageId };
}

function retained(topic: string): StoredRetained {
  return {
    topic,
    payload: Buffer.from(`retained ${topic.length}`),
    qos: 1,
    properties: { contentType: 'application/json', userProperties: [['r', '1']] },
    expiresAt: undefined,
  };
}

function will(clientId: string): StoredWill {
  return {
    clientId,
    topic: `wills/${clientId.length}`,
    payload: Buffer.from('gone'),
    qos: 1,
    retain: true,
    properties: { willDelayInterval: 10 },
    delayInterval: 10,
    dueAt: undefined,
  };
}

function fullState(): ChangeRecord[] {
  return [
    { kind: 'session.put', session: session('c1') },
    { kind: 'session.put', session: session('c2', 4) },
    { kind: 'sub.put', sub: sub('c1', 'a/+') },
    { kind: 'sub.put', sub: sub('c1', '$share/g/b/#', 7) },
    { kind: 'msg.put', msg: message(1) },
    { kind: 'msg.put', msg: message(2) },
    { kind: 'queue.put', entry: entry('c1', 1, 1, 'awaitingPuback', 11) },
    { kind: 'queue.put', entry: entry('c1', 2, 2, 'queued', 0) },
    { kind: 'queue.put', entry: entry('c2', 1, 1, 'queued', 0) },
    { kind: 'incoming.put', incoming: incoming('c1', 9, undefined) },
    { kind: 'retain.put', retained: retained('r/1') },
    { kind: 'will.put', will: will('c1') },
    { kind: 'security.put', entry: { type: 'user', name: 'alice', data: '{"roles":["r"]}' } },
    { kind: 'security.put', entry: { type: 'role', name: 'r', data: '{"rules":[]}' } },
  ];
}

function sortSecurity(es: StoredSecurityEntry[]): StoredSecurityEntry[] {
  return [...es].sort((a, b) => (a.type + a.name < b.type + b.name ? -1 : 1));
}

function sortById(ms: StoredMessage[]): StoredMessage[] {
  return [...ms].sort((a, b) => a.id - b.id);
}

function sortSubs(ss: StoredSubscription[]): StoredSubscription[] {
  return [...ss].sort((a, b) => (a.filter < b.filter ? -1 : a.filter > b.filter ? 1 : 0));
}
