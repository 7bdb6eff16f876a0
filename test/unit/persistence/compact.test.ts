import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compactBatch } from '../../../src/persistence/compact.js';
import { StateImage } from '../../../src/persistence/image.js';
import type { ChangeRecord, QueueEntryState } from '../../../src/persistence/types.js';

const client = fc.constantFrom('a', 'b');
const small = fc.integer({ min: 1, max: 4 });
const state = fc.constantFrom<QueueEntryState>(
  'queued',
  'awaitingPuback',
  'awaitingPubrec',
  'awaitingPubcomp',
);

const record: fc.Arbitrary<ChangeRecord> = fc.oneof(
  small.map((id) => msgPut(id)),
  small.map((id): ChangeRecord => ({ kind: 'msg.delete', id })),
  fc.tuple(client, small, small, state).map(([c, seq, id, st]) => queuePut(c, seq, id, st)),
  fc.tuple(client, small, state, small).map(
    ([c, seq, st, pid]): ChangeRecord => ({
      kind: 'queue.update',
      clientId: c,
      seq,
      state: st,
      packetId: pid,
    }),
  ),
  fc
    .tuple(client, small)
    .map(([c, seq]): ChangeRecord => ({ kind: 'queue.delete', clientId: c, seq })),
  fc.tuple(client, small).map(
    ([c, pid]): ChangeRecord => ({
      kind: 'incoming.put',
      incoming: { clientId: c, packetId: pid, messageId: undefined },
    }),
  ),
  fc
    .tuple(client, small)
    .map(([c, pid]): ChangeRecord => ({ kind: 'incoming.delete', clientId: c, packetId: pid })),
  client.map((c): ChangeRecord => ({ kind: 'session.delete', clientId: c })),
  client.map(
    (c): ChangeRecord => ({
      kind: 'session.put',
      session: {
        clientId: c,
        protocolVersion: 5,
        expiryInterval: 10,
        disconnectedAt: undefined,
        username: undefined,
      },
    }),
  ),
);

function msgPut(id: number): ChangeRecord {
  return {
    kind: 'msg.put',
    msg: {
      id,
      topic: `t/${id}`,
      payload: Buffer.from([id]),
      qos: 1,
      retain: false,
      properties: undefined,
      expiresAt: undefined,
      origin: undefined,
    },
  };
}

function queuePut(c: string, seq: number, id: number, st: QueueEntryState): ChangeRecord {
  return {
    kind: 'queue.put',
    entry: {
      clientId: c,
      seq,
      messageId: id,
      qos: 1,
      state: st,
      packetId: 0,
      subscriptionIds: [],
      retain: false,
    },
  };
}

function applied(before: readonly ChangeRecord[], batch: readonly ChangeRecord[]) {
  const img = new StateImage();
  for (const r of before) img.apply(r);
  for (const r of batch) img.apply(r);
  // Compare as sets: row order within a table is not part of the contract (except the queue).
  const snap = img.snapshot();
  const sorted = <T>(rows: T[]): string[] => rows.map((x) => JSON.stringify(x)).sort();
  return {
    sessions: sorted(snap.sessions),
    messages: sorted(snap.messages),
    queue: sorted(snap.queue),
    incoming: sorted(snap.incoming),
  };
}

describe('compactBatch', () => {
  it('has the same net effect as the batch it compacts, whatever was stored before', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 12 }),
        fc.array(record, { maxLength: 30 }),
        (before, batch) => {
          const copy = structuredClone(batch.map((r) => JSON.stringify(r)));
          assert.deepEqual(applied(before, compactBatch(batch)), applied(before, batch));
          assert.deepEqual(
            batch.map((r) => JSON.stringify(r)),
            copy,
            'the input records are not mutated',
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a message delivered and acknowledged within one batch leaves only cheap deletes', () => {
    const batch: ChangeRecord[] = [
      msgPut(1),
      queuePut('a', 1, 1, 'queued'),
      { kind: 'queue.update', clientId: 'a', seq: 1, state: 'awaitingPuback', packetId: 5 },
      { kind: 'queue.delete', clientId: 'a', seq: 1 },
      { kind: 'msg.delete', id: 1 },
    ];
    assert.deepEqual(
      compactBatch(batch).map((r) => r.kind),
      ['queue.delete', 'msg.delete'],
    );
  });

  it('folds a queue.update into the queue.put of the same batch', () => {
    const out = compactBatch([
      queuePut('a', 1, 1, 'queued'),
      { kind: 'queue.update', clientId: 'a', seq: 1, state: 'awaitingPubrec', packetId: 9 },
    ]);
    assert.equal(out.length, 1);
    const put = out[0];
    assert.ok(put?.kind === 'queue.put');
    assert.equal(put.entry.state, 'awaitingPubrec');
    assert.equal(put.entry.packetId, 9);
  });
});
