import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { open as openLmdb } from 'lmdb';
import { StateImage } from '../../../src/persistence/image.js';
import { LmdbStore } from '../../../src/persistence/lmdb/index.js';
import { decodeJournal, encodeJournal } from '../../../src/persistence/lmdb/journal-codec.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
import type { ChangeRecord, Snapshot } from '../../../src/persistence/types.js';
import { captureLog } from './capture-log.js';

const bases: string[] = [];
async function tempDir(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'petrel-journal-'));
  bases.push(base);
  return base;
}
after(async () => {
  for (const b of bases) await rm(b, { recursive: true, force: true });
});

/** One record of every kind, with every optional field both set and unset somewhere. */
function everyKind(): ChangeRecord[] {
  const props = {
    payloadFormatIndicator: 1,
    messageExpiryInterval: 60,
    contentType: 'text/plain; ünïcode',
    responseTopic: 'reply/here',
    correlationData: Buffer.from([0, 1, 2, 255]),
    userProperties: [
      ['a', '1'],
      ['a', '2'],
    ] as Array<[string, string]>,
  };
  return [
    {
      kind: 'session.put',
      session: {
        clientId: 'c-€',
        protocolVersion: 5,
        expiryInterval: 0xffffffff,
        disconnectedAt: 1_700_000_000_123,
        username: 'ann',
      },
    },
    {
      kind: 'session.put',
      session: {
        clientId: 'c2',
        protocolVersion: 4,
        expiryInterval: 60,
        disconnectedAt: undefined,
        username: undefined,
      },
    },
    { kind: 'session.delete', clientId: 'gone' },
    {
      kind: 'sub.put',
      sub: {
        clientId: 'c-€',
        filter: '$share/g/a/+/#',
        qos: 2,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 2,
        subscriptionId: 268_435_455,
      },
    },
    {
      kind: 'sub.put',
      sub: {
        clientId: 'c2',
        filter: 'x',
        qos: 0,
        noLocal: false,
        retainAsPublished: true,
        retainHandling: 0,
        subscriptionId: undefined,
      },
    },
    { kind: 'sub.delete', clientId: 'c2', filter: 'y/#' },
    {
      kind: 'msg.put',
      msg: {
        id: 2 ** 40,
        topic: 'a/b',
        payload: Buffer.from('hello'),
        qos: 1,
        retain: true,
        properties: props,
        expiresAt: 1_700_000_060_000,
        origin: 'pub',
      },
    },
    {
      kind: 'msg.put',
      msg: {
        id: 7,
        topic: 't',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        properties: undefined,
        expiresAt: undefined,
        origin: undefined,
      },
    },
    { kind: 'msg.delete', id: 9 },
    {
      kind: 'queue.put',
      entry: {
        clientId: 'c-€',
        seq: 12,
        messageId: 7,
        qos: 2,
        state: 'awaitingPubrec',
        packetId: 65535,
        subscriptionIds: [1, 200_000],
        retain: true,
      },
    },
    { kind: 'queue.update', clientId: 'c-€', seq: 12, state: 'awaitingPubcomp', packetId: 3 },
    { kind: 'queue.delete', clientId: 'c-€', seq: 11 },
    { kind: 'incoming.put', incoming: { clientId: 'c2', packetId: 1, messageId: undefined } },
    { kind: 'incoming.put', incoming: { clientId: 'c2', packetId: 2, messageId: 7 } },
    { kind: 'incoming.delete', clientId: 'c2', packetId: 1 },
    {
      kind: 'retain.put',
      retained: {
        topic: 'r',
        payload: Buffer.from('kept'),
        qos: 1,
        properties: { userProperties: [['k', 'v']] },
        expiresAt: undefined,
      },
    },
    { kind: 'retain.delete', topic: `long/${'x'.repeat(100)}/ö/${'y'.repeat(100)}` },
    {
      kind: 'will.put',
      will: {
        clientId: 'c2',
        topic: 'w',
        payload: Buffer.from('bye'),
        qos: 2,
        retain: true,
        properties: { willDelayInterval: 30, contentType: 'x' },
        delayInterval: 30,
        dueAt: 1_700_000_000_999,
      },
    },
    { kind: 'will.delete', clientId: 'c-€' },
    { kind: 'security.put', entry: { type: 'user', name: 'ü', data: '{"roles":["a"]}' } },
    { kind: 'security.put', entry: { type: 'role', name: 'a', data: '{}' } },
    { kind: 'security.delete', type: 'client', name: 'c/1' },
  ];
}

describe('store journal entries', () => {
  it('every record kind round-trips exactly, with the commit time', () => {
    const records = everyKind();
    const decoded = decodeJournal(encodeJournal(records, 1_700_000_000_000));
    assert.equal(decoded.time, 1_700_000_000_000);
    assert.deepEqual(decoded.records, records);
  });

  it('strings repeating one of the two before them round-trip, in fewer bytes', () => {
    const records: ChangeRecord[] = [];
    for (let n = 1; n <= 30; n++) {
      // Topic, client id, client id, then a third string: hits on the newest and the older one.
      const topic = n % 3 === 0 ? 'ünï/tøpic' : 'sensors/room-1/temperature';
      const cid = 'subscriber-€';
      records.push(
        { kind: 'retain.delete', topic },
        { kind: 'queue.delete', clientId: cid, seq: n },
        { kind: 'queue.delete', clientId: cid, seq: n + 1 },
        { kind: 'sub.delete', clientId: cid, filter: n % 2 === 0 ? topic : 'other/filter' },
      );
    }
    // The same records with every string made unique (same lengths).
    let u = 0;
    const unique = (s: string): string =>
      `${s.slice(0, -4)}${String(u++ % 10_000).padStart(4, '0')}`;
    const distinct: ChangeRecord[] = records.map((r) => {
      if (r.kind === 'retain.delete') return { ...r, topic: unique(r.topic) };
      if (r.kind === 'queue.delete') return { ...r, clientId: unique(r.clientId) };
      if (r.kind === 'sub.delete')
        return { ...r, clientId: unique(r.clientId), filter: unique(r.filter) };
      return r;
    });
    const enc = Buffer.from(encodeJournal(records, 5));
    assert.deepEqual(decodeJournal(enc).records, records);
    assert.deepEqual(decodeJournal(Buffer.from(encodeJournal(distinct, 5))).records, distinct);
    const plain = encodeJournal(distinct, 5).length;
    assert.ok(enc.length < plain * 0.75, `${enc.length} bytes against ${plain}`);
  });

  it('reads entries of versions 1 and 2, and refuses a repeated string with nothing before it', () => {
    const records: ChangeRecord[] = [
      { kind: 'queue.delete', clientId: 'a', seq: 1 },
      { kind: 'queue.delete', clientId: 'a', seq: 2 ** 40 },
      { kind: 'queue.delete', clientId: 'bé', seq: 3 },
    ];
    // Versions 1 and 2 wrote lengths as u32 and sequence numbers as float64; 2 wrote a string
    // equal to the last one as the length 0xffffffff.
    const old = (version: number, first = 0x4a): Buffer => {
      const parts: Buffer[] = [Buffer.from([first, version])];
      const num = (v: number) => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        parts.push(b);
      };
      const u32 = (v: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(v);
        parts.push(b);
      };
      num(9);
      u32(records.length);
      let last: string | undefined;
      for (const r of records) {
        if (r.kind !== 'queue.delete') continue;
        parts.push(Buffer.from([8]));
        if (version === 2 && r.clientId === last) u32(0xffffffff);
        else {
          u32(Buffer.byteLength(r.clientId));
          parts.push(Buffer.from(r.clientId));
        }
        last = r.clientId;
        num(r.seq);
      }
      return Buffer.concat(parts);
    };
    assert.deepEqual(decodeJournal(old(1)), { time: 9, records });
    assert.deepEqual(decodeJournal(old(2)), { time: 9, records });
    assert.ok(old(2).length < old(1).length);
    const now = Buffer.from(encodeJournal(records, 9));
    assert.equal(now[1], 3);
    assert.deepEqual(decodeJournal(now), { time: 9, records });
    assert.ok(now.length < old(2).length * 0.6, `${now.length} bytes`);
    assert.throws(() => decodeJournal(Buffer.from([0x4a, 4, ...Buffer.alloc(8), 0])), /version 4/);
    // The first string of an entry written as "the same as the last one".
    const header = [0x4a, 3, ...Buffer.alloc(8), 1, 1];
    assert.throws(() => decodeJournal(Buffer.from([...header, 0, 1])), /repeats a string/);
    const v2 = Buffer.from([0x4a, 2, ...Buffer.alloc(8), 0, 0, 0, 1, 1, 0xff, 0xff, 0xff, 0xff]);
    assert.throws(() => decodeJournal(v2), /repeats a string/);
    v2[1] = 1;
    assert.throws(() => decodeJournal(v2), /truncated/);
  });

  it('writes counts, ids and sequence numbers as varints up to 2^53 - 1, and refuses others', () => {
    for (const seq of [
      0,
      1,
      127,
      128,
      16_383,
      16_384,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
    ]) {
      const r: ChangeRecord[] = [{ kind: 'msg.delete', id: seq }];
      assert.deepEqual(decodeJournal(Buffer.from(encodeJournal(r, 1))).records, r, String(seq));
    }
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) {
      assert.throws(() => encodeJournal([{ kind: 'msg.delete', id: bad }], 1), RangeError);
    }
    // Nine continuation groups, or a value above 2^53 - 1, are damage.
    const header = [0x4a, 3, ...Buffer.alloc(8), 1, 5];
    assert.throws(
      () => decodeJournal(Buffer.from([...header, ...Array(8).fill(0xff), 1])),
      /overlong/,
    );
    assert.throws(
      () => decodeJournal(Buffer.from([...header, ...Array(7).fill(0xff), 0x7f])),
      /oversized/,
    );
  });

  it('a truncated, extended or corrupted entry throws an Error instead of yielding records', () => {
    const buf = Buffer.from(encodeJournal(everyKind(), 1));
    for (let n = 0; n < buf.length; n++) {
      assert.throws(() => decodeJournal(buf.subarray(0, n)), Error, `prefix of ${n} bytes`);
    }
    assert.throws(() => decodeJournal(Buffer.concat([buf, Buffer.from([0])])), /trailing/);
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const bad = Buffer.from(buf);
      seed = (seed * 1103515245 + 12345) >>> 0;
      const at = seed % bad.length;
      bad[at] = (bad[at] ?? 0) ^ (1 + (seed >>> 24));
      try {
        decodeJournal(bad);
      } catch (err) {
        assert.ok(err instanceof Error);
      }
    }
  });
});

// A seeded workload shaped like the broker's: messages stored, queued, sent, acknowledged and
// deleted, most of them within a few batches, passing the token of each put with its undo.
class Workload {
  private seed: number;
  private nextMsg = 1;
  private nextSeq = 1;
  private readonly live: Array<{ msg: number; seq: number; msgToken: number; token: number }> = [];

  constructor(
    seed: number,
    private readonly write: (r: ChangeRecord, ref?: number) => void,
    private readonly written: () => number,
  ) {
    this.seed = seed;
  }

  private rand(n: number): number {
    this.seed = (this.seed * 1103515245 + 12345) >>> 0;
    return this.seed % n;
  }

  step(): void {
    const roll = this.rand(10);
    if (roll < 4 || this.live.length === 0) {
      const id = this.nextMsg++;
      this.write({
        kind: 'msg.put',
        msg: {
          id,
          topic: `t/${id}`,
          payload: Buffer.from(`p${id}`),
          qos: 1,
          retain: false,
          properties: undefined,
          expiresAt: undefined,
          origin: undefined,
        },
      });
      const msgToken = this.written();
      const seq = this.nextSeq++;
      this.write(queued('sub', seq, id));
      this.live.push({ msg: id, seq, msgToken, token: this.written() });
    } else if (roll < 7) {
      const e = this.live[this.rand(this.live.length)];
      if (e === undefined) return;
      this.write(
        {
          kind: 'queue.update',
          clientId: 'sub',
          seq: e.seq,
          state: 'awaitingPuback',
          packetId: 1 + this.rand(65535),
        },
        e.token,
      );
    } else {
      const i = this.rand(this.live.length);
      const e = this.live[i];
      if (e === undefined) return;
      this.live.splice(i, 1);
      this.write({ kind: 'queue.delete', clientId: 'sub', seq: e.seq }, e.token);
      this.write({ kind: 'msg.delete', id: e.msg }, e.msgToken);
    }
  }
}

function normal(s: Snapshot): unknown {
  return {
    sessions: s.sessions,
    messages: [...s.messages].sort((a, b) => a.id - b.id),
    queue: s.queue,
  };
}

/** A queue entry for `clientId`, not sent yet. */
function queued(clientId: string, seq: number, messageId: number): ChangeRecord {
  return {
    kind: 'queue.put',
    entry: {
      clientId,
      seq,
      messageId,
      qos: 1,
      state: 'queued',
      packetId: 0,
      subscriptionIds: [],
      retain: false,
    },
  };
}

/** Copies the files of an open store: the state a crash at this moment would leave. */
async function crashCopy(dir: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const f of ['data.mdb', 'petrel-store.json']) await copyFile(join(dir, f), join(to, f));
}

describe('LmdbStore journal and checkpoints', () => {
  it('pairs that cancel across batches and checkpoints leave exactly the reference state after a crash and after a clean close', async () => {
    const base = await tempDir();
    const dir = join(base, 'live');
    const store = new LmdbStore({ dir, checkpointMs: 5, checkpointRecords: 50 });
    await store.open();
    await store.load();
    const image = new StateImage();
    const session: ChangeRecord = {
      kind: 'session.put',
      session: {
        clientId: 'sub',
        protocolVersion: 5,
        expiryInterval: 600,
        disconnectedAt: undefined,
        username: undefined,
      },
    };
    store.write(session);
    image.apply(session);
    const w = new Workload(
      42,
      (r, ref) => {
        store.write(r, ref);
        image.apply(r);
      },
      () => store.written,
    );
    let crashes = 0;
    for (let round = 0; round < 60; round++) {
      const steps = 1 + (round % 7) * 9;
      for (let i = 0; i < steps; i++) w.step();
      if (round % 3 === 0) await new Promise((r) => setTimeout(r, 2));
      else await new Promise((r) => setImmediate(r));
      if (round % 10 === 9) {
        await store.flush();
        const copy = join(base, `crash-${round}`);
        await crashCopy(dir, copy);
        const log = captureLog();
        const reopened = new LmdbStore({ dir: copy, log, verify: 'never' });
        await reopened.open();
        const got = await reopened.load();
        await reopened.close();
        image.sweepMessages();
        assert.deepEqual(normal(got), normal(image.snapshot()), `after crash ${round}`);
        if (log.lines.some((l) => l.msg === 'replayed the store journal')) crashes++;
      }
    }
    assert.ok(crashes > 0, 'at least one crash copy needed its journal replayed');
    await store.close();
    const again = new LmdbStore({ dir });
    await again.open();
    const got = await again.load();
    await again.close();
    image.sweepMessages();
    assert.deepEqual(normal(got), normal(image.snapshot()));
  });

  it('a store and its undo written in one open batch never reach a commit, and the batch is still durable', async () => {
    const seen: ChangeRecord[][] = [];
    const s = new MemoryStore({
      durability: 'sync',
      beforeCommit: (records) => {
        seen.push([...records]);
      },
    });
    await s.open();
    await s.load();
    const msg: ChangeRecord = {
      kind: 'msg.put',
      msg: {
        id: 1,
        topic: 't',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        properties: undefined,
        expiresAt: undefined,
        origin: undefined,
      },
    };
    s.write(msg);
    const msgToken = s.written;
    s.write(queued('c', 1, 1));
    const token = s.written;
    s.write(
      { kind: 'queue.update', clientId: 'c', seq: 1, state: 'awaitingPuback', packetId: 5 },
      token,
    );
    const seq = s.write({ kind: 'queue.delete', clientId: 'c', seq: 1 }, token);
    s.write({ kind: 'msg.delete', id: 1 }, msgToken);
    await s.whenDurable(seq);
    assert.equal(seen.length, 0, 'nothing to commit');

    s.write(msg);
    const t2 = s.written;
    s.write(queued('c', 2, 1));
    s.write(
      { kind: 'queue.update', clientId: 'c', seq: 2, state: 'awaitingPuback', packetId: 9 },
      s.written,
    );
    await s.flush();
    assert.equal(seen.length, 1);
    assert.deepEqual(
      seen[0]?.map((r) => r.kind),
      ['msg.put', 'queue.put'],
      'the update folded into its put',
    );
    const q = seen[0]?.[1];
    assert.ok(
      q?.kind === 'queue.put' && q.entry.state === 'awaitingPuback' && q.entry.packetId === 9,
    );
    assert.ok(t2 > msgToken);
    await s.close();
  });

  it('opens a format-1 database (before the journal) and upgrades it to format 3 (with the security table)', async () => {
    const dir = join(await tempDir(), 'data');
    await mkdir(dir, { mode: 0o700 });
    const env = openLmdb({ path: dir, maxDbs: 16 });
    const meta = env.openDB('meta', {});
    const retained = env.openDB('retained', {});
    env.transactionSync(() => {
      void meta.put('format', 1);
      void retained.put('old/topic', {
        topic: 'old/topic',
        payload: Buffer.from('v1'),
        qos: 1,
        properties: undefined,
        expiresAt: undefined,
      });
    });
    await env.close();
    const log = captureLog();
    const s = new LmdbStore({ dir, log });
    await s.open();
    const snap = await s.load();
    assert.deepEqual(
      snap.retained.map((r) => [r.topic, r.payload.toString()]),
      [['old/topic', 'v1']],
    );
    assert.ok(log.lines.some((l) => l.msg === 'migrated the store format'));
    assert.deepEqual(snap.security, []);
    s.write({ kind: 'security.put', entry: { type: 'role', name: 'r', data: '{}' } });
    await s.close();
    const env2 = openLmdb({ path: dir, maxDbs: 16 });
    assert.equal(env2.openDB('meta', {}).get('format'), 3);
    await env2.close();
  });
});
