import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open as openLmdb } from 'lmdb';
import { FORMAT_VERSION } from '../../../src/persistence/lmdb/format.js';
import { LmdbStore, type LmdbStoreOptions } from '../../../src/persistence/lmdb/index.js';
import { type ChangeRecord, StoreError } from '../../../src/persistence/types.js';
import { captureLog } from './capture-log.js';
import { tempDataDirs } from './data-dir.js';

const dataDir = tempDataDirs('petrel-lmdb-');

async function opened(dir: string, extra: Partial<LmdbStoreOptions> = {}): Promise<LmdbStore> {
  const s = new LmdbStore({ dir, ...extra });
  await s.open();
  return s;
}

const retained = (topic: string, bytes = 16): ChangeRecord => ({
  kind: 'retain.put',
  retained: {
    topic,
    payload: Buffer.alloc(bytes, 7),
    qos: 1,
    properties: undefined,
    expiresAt: undefined,
  },
});

async function fill(dir: string, n: number): Promise<void> {
  const s = await opened(dir);
  await s.load();
  for (let i = 0; i < n; i++) s.write(retained(`fill/${i}`, 1000));
  await s.close();
}

/** Overwrites 16 pages in the middle of the file (past the two meta pages) with noise. */
async function damageMiddle(file: string): Promise<void> {
  const size = (await stat(file)).size;
  const fh = await open(file, 'r+');
  const noise = Buffer.alloc(16 * 4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) & 0xff;
  await fh.write(noise, 0, noise.length, Math.floor(size / 2 / 4096) * 4096);
  await fh.close();
}

const isCode = (code: string) => (e: unknown) => e instanceof StoreError && e.code === code;

describe('LmdbStore', () => {
  it('creates the data directory with mode 0700 and its files with mode 0600', async () => {
    const dir = await dataDir();
    const s = await opened(dir);
    await s.load();
    s.write(retained('a'));
    await s.flush();
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const files = await readdir(dir);
    assert.ok(files.includes('data.mdb'));
    for (const f of files) {
      assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, `${f} is 0600`);
    }
    await s.close();
  });

  it('one broker per data directory: a second opener gets a clear LOCKED error', async () => {
    const dir = await dataDir();
    const first = await opened(dir);
    const second = new LmdbStore({ dir });
    await assert.rejects(second.open(), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'LOCKED');
      assert.match(e.message, /in use by another broker \(pid \d+\)/);
      return true;
    });
    await first.close();
    const third = await opened(dir);
    await third.close();
  });

  it('a lock left by a killed process is stale and taken over', async () => {
    const dir = await dataDir();
    await fill(dir, 1);
    // A process that takes the lock and dies without releasing it.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const pid = child.pid ?? 0;
    await writeFile(join(dir, 'petrel.lock'), JSON.stringify({ pid }), { mode: 0o600 });
    await assert.rejects(new LmdbStore({ dir }).open(), isCode('LOCKED'));
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    const s = await opened(dir);
    assert.equal((await s.load()).retained.length, 1);
    await s.close();
  });

  it('a truncated database file is refused with a clear CORRUPT error, never a crash', async () => {
    const dir = await dataDir();
    await fill(dir, 200);
    const file = join(dir, 'data.mdb');
    await truncate(file, Math.floor((await stat(file)).size / 3));
    await assert.rejects(new LmdbStore({ dir }).open(), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'CORRUPT');
      assert.match(e.message, /damaged .*truncated.*refusing to start/);
      return true;
    });
    // The failed open released the lock: a retry gets the same clear answer, not LOCKED.
    await assert.rejects(new LmdbStore({ dir }).open(), isCode('CORRUPT'));
  });

  it('a data file emptied behind our back is noticed, not served as an empty store', async () => {
    const dir = await dataDir();
    await fill(dir, 3);
    await truncate(join(dir, 'data.mdb'), 0);
    await assert.rejects(new LmdbStore({ dir }).open(), isCode('CORRUPT'));
  });

  it("onCorrupt 'reset' moves the damaged files aside, logs what was lost and starts empty", async () => {
    const dir = await dataDir();
    await fill(dir, 200);
    const file = join(dir, 'data.mdb');
    await truncate(file, Math.floor((await stat(file)).size / 3));
    const log = captureLog();
    const s = await opened(dir, { onCorrupt: 'reset', log });
    const snap = await s.load();
    assert.equal(snap.retained.length, 0);
    const line = log.lines.find((l) => l.level === 'error');
    assert.match(line?.msg ?? '', /damaged.*lost/);
    const aside = (await readdir(dir)).find((f) => f.startsWith('damaged-'));
    assert.ok(aside !== undefined && existsSync(join(dir, aside, 'data.mdb')));
    s.write(retained('fresh'));
    await s.close();
    const again = await opened(dir);
    assert.deepEqual(
      (await again.load()).retained.map((r) => r.topic),
      ['fresh'],
    );
    await again.close();
  });

  it('garbage pages are caught by the integrity probe: refused, and the broker process survives', async () => {
    const dir = await dataDir();
    await fill(dir, 300);
    const file = join(dir, 'data.mdb');
    const size = (await stat(file)).size;
    assert.ok(size > 64 * 4096);
    await damageMiddle(file);
    await assert.rejects(new LmdbStore({ dir }).open(), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'CORRUPT');
      assert.match(e.message, /damaged/);
      return true;
    });
  });

  it("onCorrupt 'salvage' keeps the readable records of damaged pages and logs per table what was kept", async () => {
    const dir = await dataDir();
    const s0 = await opened(dir);
    await s0.load();
    for (let c = 0; c < 20; c++) {
      s0.write({
        kind: 'session.put',
        session: {
          clientId: `c${c}`,
          protocolVersion: 5,
          expiryInterval: 60,
          disconnectedAt: undefined,
          username: undefined,
        },
      });
    }
    await s0.flush();
    for (let i = 0; i < 300; i++) s0.write(retained(`fill/${i}`, 1000));
    await s0.close();
    await damageMiddle(join(dir, 'data.mdb'));
    const log = captureLog();
    const s = await opened(dir, { onCorrupt: 'salvage', log });
    const snap = await s.load();
    const line = log.lines.find((l) => l.level === 'error');
    assert.match(line?.msg ?? '', /damaged: kept the records that could still be read/);
    const tables = (line?.obj as { tables?: Array<{ table: string; copied: number }> } | undefined)
      ?.tables;
    assert.equal(tables?.length, 10, 'one entry per table, meta and the journal included');
    assert.equal(snap.sessions.length, 20, 'the table outside the damage is intact');
    assert.ok(snap.retained.length < 300, 'the damaged part was dropped');
    for (const r of snap.retained) {
      assert.match(r.topic, /^fill\/\d+$/);
      assert.deepEqual(r.payload, Buffer.alloc(1000, 7), 'what is kept is intact');
    }
    s.write(retained('after-salvage'));
    await s.close();
    const again = await opened(dir);
    assert.ok((await again.load()).retained.some((r) => r.topic === 'after-salvage'));
    await again.close();
  });

  it('records of the wrong shape are dropped at load with a log line counting them', async () => {
    const dir = await dataDir();
    await fill(dir, 2);
    const env = openLmdb({ path: dir, maxDbs: 16 });
    const tbl = env.openDB('retained', {});
    env.transactionSync(() => {
      void tbl.put('bogus', { topic: 42, payload: 'not a buffer' });
    });
    await env.close();
    const log = captureLog();
    const s = await opened(dir, { log });
    const snap = await s.load();
    assert.deepEqual(snap.retained.map((r) => r.topic).sort(), ['fill/0', 'fill/1']);
    const line = log.lines.find((l) => l.level === 'error');
    assert.match(line?.msg ?? '', /dropped unreadable records/);
    assert.deepEqual((line?.obj as { dropped?: unknown } | undefined)?.dropped, { retained: 1 });
    await s.close();
  });

  it('stores its format version, refuses a newer format, and refuses data without a version', async () => {
    const dir = await dataDir();
    await fill(dir, 1);
    let env = openLmdb({ path: dir, maxDbs: 16 });
    let meta = env.openDB('meta', {});
    assert.equal(meta.get('format'), FORMAT_VERSION);
    env.transactionSync(() => {
      void meta.put('format', FORMAT_VERSION + 1);
    });
    await env.close();
    await assert.rejects(new LmdbStore({ dir }).open(), (e: unknown) => {
      assert.ok(e instanceof StoreError);
      assert.equal(e.code, 'FORMAT');
      assert.match(e.message, /newer than this build/);
      return true;
    });
    env = openLmdb({ path: dir, maxDbs: 16 });
    meta = env.openDB('meta', {});
    env.transactionSync(() => {
      void meta.remove('format');
    });
    await env.close();
    await assert.rejects(new LmdbStore({ dir }).open(), isCode('FORMAT'));
  });

  it('a SIGKILLed writer loses nothing that was reported durable', async () => {
    const dir = await dataDir();
    const script = `
      import { LmdbStore } from ${JSON.stringify(new URL('../../../src/persistence/lmdb/index.js', import.meta.url).href)};
      const s = new LmdbStore({ dir: ${JSON.stringify(dir)} });
      await s.open(); await s.load();
      let n = 0;
      const written = new Map();
      s.onDurable((seq) => process.stdout.write(written.get(seq) + '\\n'));
      const tick = () => {
        let seq = 0;
        for (let i = 0; i < 20; i++) seq = s.write({ kind: 'retain.put', retained: { topic: 't/' + (n++), payload: Buffer.alloc(100), qos: 1, properties: undefined, expiresAt: undefined } });
        written.set(seq, n); // records written into batch seq so far
        setImmediate(tick);
      };
      tick();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let durableCount = 0;
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        const lines = d.trim().split('\n');
        durableCount = Number(lines[lines.length - 1]);
        if (durableCount >= 2000 && child.exitCode === null) child.kill('SIGKILL');
      });
      child.once('exit', () => resolve());
    });
    const s = await opened(dir);
    const snap = await s.load();
    assert.ok(
      snap.retained.length >= durableCount,
      `${snap.retained.length} on disk >= ${durableCount} reported durable`,
    );
    await s.close();
  });

  it('a failing write surfaces as a rejected commit, an onError report and an unhealthy store', async () => {
    const dir = await dataDir();
    const s = await opened(dir);
    await s.load();
    const errors: StoreError[] = [];
    s.onError((e) => errors.push(e));
    // A value the encoder cannot store (a cycle) makes the transaction throw, like an I/O error.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const bad = {
      kind: 'retain.put',
      retained: {
        topic: 'bad',
        payload: Buffer.alloc(1),
        qos: 0,
        properties: circular,
        expiresAt: undefined,
      },
    } as unknown as ChangeRecord;
    const seq = s.write(bad);
    await assert.rejects(s.whenDurable(seq), isCode('WRITE'));
    assert.equal(s.healthy, false);
    assert.ok(errors.length >= 1);
    await assert.rejects(s.close(), isCode('WRITE'));
  });

  it('a batch reads what earlier batches committed, never undoing its own deletes', async () => {
    const dir = await dataDir();
    const qe = (
      seq: number,
      state: 'queued' | 'awaitingPuback',
      packetId: number,
    ): ChangeRecord => ({
      kind: 'queue.put',
      entry: {
        clientId: 'c',
        seq,
        messageId: seq,
        qos: 1,
        state,
        packetId,
        subscriptionIds: [],
        retain: false,
      },
    });
    let s = await opened(dir);
    await s.load();
    await s.whenDurable(Math.max(s.write(qe(1, 'queued', 0)), s.write(qe(2, 'queued', 0))));
    // One batch: an update of a committed entry, and a delete followed by an update of another.
    s.write({ kind: 'queue.update', clientId: 'c', seq: 1, state: 'awaitingPuback', packetId: 9 });
    s.write({ kind: 'queue.delete', clientId: 'c', seq: 2 });
    await s.whenDurable(
      s.write({
        kind: 'queue.update',
        clientId: 'c',
        seq: 2,
        state: 'awaitingPuback',
        packetId: 4,
      }),
    );
    await s.close();
    s = await opened(dir);
    const snap = await s.load();
    assert.deepEqual(
      snap.queue.map((e) => [e.seq, e.state, e.packetId]),
      [[1, 'awaitingPuback', 9]],
    );
    await s.close();
  });
});
