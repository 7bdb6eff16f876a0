import assert from 'node:assert/strict';
import { open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LmdbStore } from '../../../src/persistence/lmdb/index.js';
import { quickCheck } from '../../../src/persistence/lmdb/integrity.js';
import type { ChangeRecord } from '../../../src/persistence/types.js';
import { tempDataDirs } from './data-dir.js';

const dataDir = tempDataDirs('petrel-integrity-');

const retained = (topic: string, bytes: number): ChangeRecord => ({
  kind: 'retain.put',
  retained: {
    topic,
    payload: Buffer.alloc(bytes, 7),
    qos: 1,
    properties: undefined,
    expiresAt: undefined,
  },
});

async function fill(dir: string, n: number, bytes: number): Promise<void> {
  const s = new LmdbStore({ dir });
  await s.open();
  await s.load();
  for (let i = 0; i < n; i++) s.write(retained(`fill/${i}`, bytes));
  await s.close();
}

async function count(dir: string): Promise<number> {
  const s = new LmdbStore({ dir });
  await s.open();
  const n = (await s.load()).retained.length;
  await s.close();
  return n;
}

/**
 * Moves mm_last_pg of the newest meta page `extra` pages further, past the end of the file:
 * the shape a kill leaves when a commit's last pages were allocated and freed again in the
 * same transaction (LMDB lists them as free and never writes them).
 */
async function unwrittenTail(file: string, extra: number): Promise<{ size: number; need: number }> {
  const fh = await open(file, 'r+');
  try {
    const head = Buffer.alloc(160);
    await fh.read(head, 0, 160, 0);
    const psize = head.readUInt32LE(48);
    const second = Buffer.alloc(160);
    await fh.read(second, 0, 160, psize);
    const newest = second.readBigUInt64LE(152) > head.readBigUInt64LE(152) ? psize : 0;
    const meta = newest === 0 ? head : second;
    const last = meta.readBigUInt64LE(144) + BigInt(extra);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(last);
    await fh.write(b, 0, 8, newest + 144);
    return { size: (await fh.stat()).size, need: (Number(last) + 1) * psize };
  } finally {
    await fh.close();
  }
}

describe('LMDB quick integrity check (file length against the committed meta page)', () => {
  it('a file ending before its last allocated page is accepted when every reachable page is in it', async () => {
    const dir = await dataDir();
    await fill(dir, 60, 300); // small records
    const file = join(dir, 'data.mdb');
    const { size, need } = await unwrittenTail(file, 3);
    assert.ok(size < need, 'the file is shorter than its meta page says');
    assert.deepEqual(quickCheck(file), { ok: true, empty: false });
    // LMDB opens it, reads every record and keeps writing past the unwritten pages.
    assert.equal(await count(dir), 60);
    await fill(dir, 80, 300);
    assert.equal(await count(dir), 80);
  });

  it('with overflow pages (large records) as well', async () => {
    const dir = await dataDir();
    await fill(dir, 20, 9000);
    const file = join(dir, 'data.mdb');
    const { size, need } = await unwrittenTail(file, 5);
    assert.ok(size < need);
    assert.deepEqual(quickCheck(file), { ok: true, empty: false });
    assert.equal(await count(dir), 20);
  });

  it('a file cut short is still refused: a page that a tree reaches lies past its end', async () => {
    for (const bytes of [300, 9000]) {
      const dir = await dataDir();
      await fill(dir, 200, bytes);
      const file = join(dir, 'data.mdb');
      const size = (await stat(file)).size;
      await truncate(file, Math.floor(size / 3));
      const r = quickCheck(file);
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.needBytes !== undefined && r.needBytes >= size);
      assert.match(r.ok ? '' : r.reason, /past the end of the file \(truncated\)$/);
    }
  });

  it('cutting off the last page of a full-length file is refused', async () => {
    const dir = await dataDir();
    await fill(dir, 60, 300);
    const file = join(dir, 'data.mdb');
    const size = (await stat(file)).size;
    await truncate(file, size - 4096);
    // The newest pages hold the newest copy of the trees' roots: the cut reaches one of them.
    assert.equal(quickCheck(file).ok, false);
  });
});
