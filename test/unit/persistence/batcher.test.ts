import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from '../../../src/persistence/batcher.js';
import { StateImage } from '../../../src/persistence/image.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
import { type ChangeRecord, StoreError } from '../../../src/persistence/types.js';

const retained = (topic: string): ChangeRecord => ({
  kind: 'retain.put',
  retained: {
    topic,
    payload: Buffer.from(topic),
    qos: 0,
    properties: undefined,
    expiresAt: undefined,
  },
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('group commit (Batcher through MemoryStore)', () => {
  it('all writes of one event-loop turn go into one commit', async () => {
    const batches: number[] = [];
    const s = new MemoryStore({
      durability: 'sync',
      beforeCommit: (records) => {
        batches.push(records.length);
      },
    });
    await s.open();
    for (let i = 0; i < 100; i++) s.write(retained(`t/${i}`));
    await s.flush();
    s.write(retained('next'));
    await s.flush();
    assert.deepEqual(batches, [100, 1]);
    await s.close();
  });

  it('writes made while a commit is in flight form the next batch', async () => {
    const batches: string[][] = [];
    let release: (() => void) | undefined;
    const s = new MemoryStore({
      durability: 'sync',
      beforeCommit: async (records) => {
        batches.push(records.map((r) => (r.kind === 'retain.put' ? r.retained.topic : '')));
        if (batches.length === 1)
          await new Promise<void>((r) => {
            release = r;
          });
      },
    });
    await s.open();
    const first = s.write(retained('a'));
    await turn();
    await turn();
    // The first commit is blocked: these three turns accumulate into one batch.
    s.write(retained('b'));
    await turn();
    s.write(retained('c'));
    await turn();
    const last = s.write(retained('d'));
    assert.ok(last > first);
    release?.();
    await s.whenDurable(last);
    assert.deepEqual(batches, [['a'], ['b', 'c', 'd']]);
    await s.close();
  });

  it('a failed commit rejects its waiters, reports onError, marks the store unhealthy and retries', async () => {
    let failures = 2;
    const image = new StateImage();
    const s = new MemoryStore({
      durability: 'sync',
      image,
      beforeCommit: () => {
        if (failures > 0) {
          failures--;
          throw new Error('ENOSPC: no space left on device');
        }
      },
    });
    await s.open();
    const errors: StoreError[] = [];
    const durable: number[] = [];
    s.onError((err) => errors.push(err));
    s.onDurable((seq) => durable.push(seq));
    const seq = s.write(retained('x'));
    await assert.rejects(
      s.whenDurable(seq),
      (e: unknown) => e instanceof StoreError && e.code === 'WRITE',
    );
    assert.equal(s.healthy, false);
    assert.match(errors[0]?.message ?? '', /ENOSPC/);
    // The failed records are retried on their own; nothing new needs to be written.
    const later = s.write(retained('y'));
    await s.whenDurable(later).catch(() => s.whenDurable(later + 1));
    await s.flush();
    assert.equal(s.healthy, true);
    assert.equal(errors.length, 2);
    assert.deepEqual(
      [...image.retained.keys()].sort(),
      ['x', 'y'],
      'nothing was lost once writes succeed',
    );
    assert.ok(durable.length >= 1);
    await s.close();
  });

  it('batched mode waits for the interval before committing', async () => {
    const commits: number[] = [];
    const s = new MemoryStore({
      durability: 'batched',
      intervalMs: 50,
      beforeCommit: () => {
        commits.push(Date.now());
      },
    });
    await s.open();
    const t0 = Date.now();
    const seq = s.write(retained('a'));
    s.write(retained('b'));
    await turn();
    assert.equal(commits.length, 0, 'not committed at the end of the turn');
    await s.whenDurable(seq);
    assert.equal(commits.length, 1);
    assert.ok((commits[0] ?? 0) - t0 >= 40, 'committed after about the interval');
    await s.close();
  });

  it('close() flushes pending writes and refuses new ones', async () => {
    const image = new StateImage();
    const s = new MemoryStore({ durability: 'batched', intervalMs: 10_000, image });
    await s.open();
    s.write(retained('pending'));
    await s.close();
    assert.ok(image.retained.has('pending'));
    assert.throws(
      () => s.write(retained('late')),
      (e: unknown) => e instanceof StoreError && e.code === 'CLOSED',
    );
  });
});

describe('pipelined group commit (Batcher with several batches in flight)', () => {
  interface Pending {
    seq: number;
    topics: string[];
    resolve: () => void;
    reject: (err: Error) => void;
  }
  function pipelined(pipeline: number): { b: Batcher; calls: Pending[] } {
    const calls: Pending[] = [];
    const b = new Batcher(
      (records, seq) =>
        new Promise<void>((resolve, reject) => {
          calls.push({
            seq,
            topics: records.map((r) => (r.kind === 'retain.put' ? r.retained.topic : r.kind)),
            resolve,
            reject,
          });
        }),
      { durability: 'sync', intervalMs: 10, pipeline, windowed: true, retryMs: 1 },
    );
    return { b, calls };
  }

  it('logs only the last word about an entry in a batch: an update followed by a newer update or the delete is dropped', async () => {
    const logged: string[][] = [];
    const b = new Batcher(
      async (records) => {
        logged.push(
          records.map((r) =>
            r.kind === 'queue.update'
              ? `update ${r.clientId}/${r.seq} ${r.state}`
              : r.kind === 'queue.delete'
                ? `delete ${r.clientId}/${r.seq}`
                : r.kind === 'queue.put'
                  ? `put ${r.entry.clientId}/${r.entry.seq}`
                  : r.kind,
          ),
        );
      },
      { durability: 'sync', intervalMs: 10, windowed: true },
    );
    const put = (clientId: string, seq: number): number => {
      b.write({
        kind: 'queue.put',
        entry: {
          clientId,
          seq,
          messageId: seq,
          qos: 2,
          state: 'queued',
          packetId: 0,
          subscriptionIds: [],
          retain: false,
        },
      });
      return b.written;
    };
    const update = (
      clientId: string,
      seq: number,
      state: 'awaitingPubrec' | 'awaitingPubcomp',
      ref: number,
    ) => b.write({ kind: 'queue.update', clientId, seq, state, packetId: seq }, ref);
    const del = (clientId: string, seq: number, ref: number) =>
      b.write({ kind: 'queue.delete', clientId, seq }, ref);
    const t1 = put('a', 1);
    const t2 = put('a', 2);
    const t3 = put('b', 1);
    const t4 = put('a', 4);
    await b.flush();
    // Next batch: entry a/1 sent and acknowledged, a/2 sent then released (two updates), b/1
    // sent only; a/4 updated here, deleted in the batch after.
    update('a', 1, 'awaitingPubrec', t1);
    update('a', 2, 'awaitingPubrec', t2);
    update('b', 1, 'awaitingPubrec', t3);
    update('a', 4, 'awaitingPubrec', t4);
    del('a', 1, t1);
    update('a', 2, 'awaitingPubcomp', t2);
    await b.flush();
    del('a', 4, t4);
    await b.flush();
    assert.deepEqual(logged, [
      ['put a/1', 'put a/2', 'put b/1', 'put a/4'],
      [
        'update b/1 awaitingPubrec',
        'update a/4 awaitingPubrec',
        'delete a/1',
        'update a/2 awaitingPubcomp',
      ],
      ['delete a/4'],
    ]);
    // The window's net records: what is left of b/1 and a/2, with their final states.
    const net = b.drainWindow();
    assert.deepEqual(
      net.map((r) =>
        r.kind === 'queue.put' ? `${r.entry.clientId}/${r.entry.seq} ${r.entry.state}` : r.kind,
      ),
      ['a/2 awaitingPubcomp', 'b/1 awaitingPubrec'],
    );
  });

  it('seals a batch per turn while earlier ones commit, and reports them durable only in order', async () => {
    const { b, calls } = pipelined(3);
    const durable: number[] = [];
    b.onDurable((seq) => durable.push(seq));
    b.write(retained('a'));
    await turn();
    b.write(retained('b'));
    await turn();
    b.write(retained('c'));
    await turn();
    b.write(retained('d'));
    await turn();
    assert.deepEqual(
      calls.map((c) => c.topics),
      [['a'], ['b'], ['c']],
      'three in flight, the fourth waits',
    );
    calls[1]?.resolve();
    await turn();
    assert.deepEqual(durable, [], 'batch 2 is not durable before batch 1');
    calls[0]?.resolve();
    await turn();
    assert.deepEqual(durable, [1, 2]);
    assert.deepEqual(calls[3]?.topics, ['d'], 'a slot freed: the waiting batch goes out');
    calls[2]?.resolve();
    calls[3]?.resolve();
    await turn();
    assert.deepEqual(durable, [1, 2, 3, 4]);
  });

  it('a failed batch takes every later batch in flight back with it, in order, and none is reported durable before the retry', async () => {
    const { b, calls } = pipelined(2);
    const durable: number[] = [];
    const errors: number[] = [];
    b.onDurable((seq) => durable.push(seq));
    b.onError((_err, seq) => errors.push(seq));
    b.write(retained('a'));
    await turn();
    const second = b.write(retained('b'));
    await turn();
    const failed = b.whenDurable(second);
    calls[1]?.resolve();
    calls[0]?.reject(new Error('disk full'));
    await assert.rejects(failed, (e: unknown) => e instanceof StoreError && e.code === 'WRITE');
    assert.deepEqual(durable, []);
    assert.deepEqual(errors, [1]);
    assert.equal(b.healthy, false);
    b.write(retained('c'));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(calls[2]?.topics, ['a', 'b', 'c'], 'retried together, in order');
    calls[2]?.resolve();
    await turn();
    assert.deepEqual(durable, [3]);
    assert.equal(b.healthy, true);
  });
});
