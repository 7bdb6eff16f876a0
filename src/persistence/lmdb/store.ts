import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Database, open as openLmdb, type RootDatabase } from 'lmdb';
import { BatchedStore } from '../batched-store.js';
import { compactBatch } from '../compact.js';
import {
  type ChangeRecord,
  emptySnapshot,
  type Snapshot,
  type Store,
  StoreError,
  type StoreLogger,
  type StoreOptions,
} from '../types.js';
import { FORMAT_KEY, FORMAT_VERSION, MIGRATIONS } from './format.js';
import { probe, quickCheck } from './integrity.js';
import { decodeJournal, encodeJournal } from './journal-codec.js';
import { acquireLock, type LockResult, releaseLock } from './lock.js';
import { salvage, type TableSalvage } from './salvage.js';
import { readsOnlyCommitted, TABLES, type Table, Tables } from './tables.js';
import { VALIDATORS } from './validate.js';

/** Options of {@link LmdbStore}. */
export interface LmdbStoreOptions extends StoreOptions {
  /** The data directory (created with mode 0700; files inside are 0600). */
  dir: string;
  /**
   * What to do with a database that cannot be read: `refuse` (default) fails `open()` with a
   * `CORRUPT` error naming the problem; `salvage` copies every record that can still be read
   * into a fresh database, moves the damaged files into `damaged-<time>/` inside the data
   * directory and logs per table what was kept and where reading stopped; `reset` moves the
   * damaged files aside the same way, logs that everything was lost, and starts empty.
   */
  onCorrupt?: 'refuse' | 'salvage' | 'reset';
  /**
   * When to read the whole database in a child process before opening it (a damaged LMDB file
   * can abort the reading process instead of throwing): `always` (default; costs one short-lived
   * process at start), `auto` only after an unclean shutdown (a stale lock), or `never`.
   */
  verify?: 'auto' | 'always' | 'never';
  /**
   * Longest time, ms, between checkpoints (applying the journal to the tables). Default 1000.
   * Longer lets more store/delete pairs cancel; the journal replayed after a crash grows with it.
   */
  checkpointMs?: number;
  /** Checkpoint as soon as this many records wait to be applied. Default 50 000. */
  checkpointRecords?: number;
  /**
   * Batches that may be committing (and fsyncing) at once. Default 1; raise it (2–8) where an
   * fsync takes milliseconds (spinning disks, network volumes).
   */
  pipeline?: number;
}

/** Table names (LMDB named databases). */
/** The journal: one entry per committed batch not yet applied to the tables, keyed by seq. */
const JOURNAL = 'journal';
/**
 * Apply the journal to the tables once this many live records (neither cancelled nor undone)
 * wait, once the window holds CHECKPOINT_SLOTS records in all, or after CHECKPOINT_MS. Records
 * stored and deleted within the window never reach the tables.
 */
const CHECKPOINT_RECORDS = 50_000;
const CHECKPOINT_SLOTS = 1_000_000;
const CHECKPOINT_MS = 1000;
/**
 * Batches committing at once. One is fastest where fsync is quick (an SSD: fewer, larger
 * transactions); more lets a new batch go out while earlier ones are still being fsynced, which
 * pays off only where fsync is slow.
 */
const PIPELINE = 1;

const DATA_FILE = 'data.mdb';
const LMDB_LOCK_FILE = 'lock.mdb';
/** Written once the directory holds a database, so a vanished data file is noticed. */
const MARKER_FILE = 'petrel-store.json';
const LAST_COMMIT_KEY = 'lastCommitAt';

// abortable | synchronous commit | no fsync in the commit: a checkpoint that has to run
// synchronously leaves the fsync to syncToDisk on a worker thread, after the batch's journal write.
const TXN_FLAGS = 0x1 | 0x2 | 0x10000;

/** lmdb-js's untyped `sync(callback)`: mdb_env_sync(force) on a worker thread. */
interface Syncable {
  sync(callback: (err?: unknown) => void): void;
}

/** A write promise of an environment opened with `separateFlushed`. */
type FlushedPromise = Promise<unknown> & { flushed?: Promise<unknown> };

function ignore(): void {}

function syncToDisk(root: RootDatabase): Promise<void> {
  return new Promise((resolve, reject) => {
    (root as unknown as Syncable).sync((err) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    });
  });
}

/**
 * The embedded durable store: LMDB through the `lmdb` package. One transaction per batch
 * (group commit); a batch is reported durable once the environment has been fsynced after it.
 *
 * A batch is committed as ONE journal entry (binary, see journal-codec.ts), not as one row per
 * record: most records of a busy broker are a message stored and deleted a few milliseconds
 * later, and such pairs cancel in the batcher's window before they reach the tables. About once
 * a second (or every {@link CHECKPOINT_RECORDS} records) a checkpoint applies the net records of
 * the window to the tables and removes the journal entries they came from, in the same
 * transaction as the next journal entry. Opening replays whatever the journal still holds, so
 * the tables plus the journal always hold every durable change.
 */
export class LmdbStore extends BatchedStore implements Store {
  /** The data directory. */
  readonly dir: string;
  private readonly options: LmdbStoreOptions;
  private readonly log: StoreLogger | undefined;
  private root: RootDatabase | undefined;
  private meta: Database | undefined;
  private tables: Tables | undefined;
  private lock: LockResult | undefined;
  /** The database was rebuilt by a salvage: a format version lost with it means the current. */
  private salvaged = false;
  private journal: Database | undefined;
  /** Net records taken from the window by a checkpoint that has not succeeded yet. */
  private unapplied: ChangeRecord[] = [];
  /** Lowest journal key that may still exist. */
  private journalFirst = 1;
  /** A checkpoint's writes are in flight: the next one waits for them. */
  private checkpointing = false;
  private lastCheckpoint = Date.now();

  /** A store in `options.dir`; nothing is touched on disk until {@link LmdbStore.open}. */
  constructor(options: LmdbStoreOptions) {
    super(options.durability ?? 'sync', options, {
      windowed: true,
      pipeline: options.pipeline ?? PIPELINE,
    });
    this.options = options;
    this.dir = options.dir;
    this.log = options.log;
  }

  /**
   * See {@link Store.open}: creates the directory (0700), takes its lock, checks integrity
   * (salvaging a damaged file when allowed) and migrates an older format.
   */
  async open(): Promise<void> {
    if (this.state !== 'new') throw new StoreError('CLOSED', 'store already opened');
    this.state = 'opening';
    const dir = this.dir;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    } catch (err) {
      this.state = 'closed';
      throw new StoreError('OPEN', `cannot create data directory ${dir}: ${msg(err)}`, {
        cause: err,
      });
    }
    this.lock = acquireLock(dir);
    try {
      await this.checkIntegrity(this.lock.stale);
      this.openEnv();
      this.checkFormat();
      this.replayJournal();
      if (!existsSync(join(dir, MARKER_FILE))) {
        writeFileSync(join(dir, MARKER_FILE), JSON.stringify({ format: FORMAT_VERSION }), {
          mode: 0o600,
        });
      }
      this.state = 'open';
    } catch (err) {
      this.closeEnv();
      releaseLock(this.lock.path);
      this.state = 'closed';
      throw err;
    }
  }

  /** See {@link Store.load}: reads every table; unreadable records are dropped and logged. */
  async load(): Promise<Snapshot> {
    if (this.state !== 'open') throw new StoreError('CLOSED', 'store is not open');
    const snap = emptySnapshot();
    const dropped: Record<string, number> = {};
    const read = <T>(table: Table, into: T[]): void => {
      const valid = VALIDATORS[table];
      let bad = 0;
      for (const { value } of this.tableDb(table).getRange({})) {
        const v = valid(value);
        if (v === undefined) bad++;
        else into.push(v as T);
      }
      if (bad > 0) dropped[table] = bad;
    };
    try {
      read('sessions', snap.sessions);
      read('subs', snap.subscriptions);
      read('msgs', snap.messages);
      read('queue', snap.queue);
      read('incoming', snap.incoming);
      read('retained', snap.retained);
      read('wills', snap.wills);
      read('security', snap.security);
      const last: unknown = this.metaDb().get(LAST_COMMIT_KEY);
      snap.lastCommitAt = typeof last === 'number' ? last : undefined;
    } catch (err) {
      throw new StoreError('CORRUPT', `cannot read the database in ${this.dir}: ${msg(err)}`, {
        cause: err,
      });
    }
    if (Object.keys(dropped).length > 0) {
      this.log?.error({ dropped, dir: this.dir }, 'dropped unreadable records from the store');
    }
    this.sweep(snap);
    return snap;
  }

  /** See {@link Store.close}: commits what was written, closes the environment, unlocks. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    try {
      await this.batcher.close();
      this.finalCheckpoint();
    } finally {
      this.state = 'closed';
      const root = this.root;
      this.root = undefined;
      if (root !== undefined) await root.close();
      if (this.lock !== undefined) releaseLock(this.lock.path);
    }
  }

  // --- opening -------------------------------------------------------------------------------

  private async checkIntegrity(stale: boolean): Promise<void> {
    const dataFile = join(this.dir, DATA_FILE);
    const hadDatabase = existsSync(join(this.dir, MARKER_FILE));
    const quick = quickCheck(dataFile);
    let reason: string | undefined;
    if (!quick.ok) reason = quick.reason;
    else if (quick.empty && hadDatabase) reason = `${DATA_FILE} is missing or empty`;
    const verify = this.options.verify ?? 'always';
    if (
      reason === undefined &&
      quick.ok &&
      !quick.empty &&
      (verify === 'always' || (verify === 'auto' && stale))
    ) {
      const result = await probe(this.dir, [...TABLES, JOURNAL]);
      if (!result.ok) reason = result.reason;
    }
    if (reason === undefined) return;
    const policy = this.options.onCorrupt ?? 'refuse';
    if (policy === 'refuse') {
      throw new StoreError(
        'CORRUPT',
        `the database in ${this.dir} is damaged (${reason}); refusing to start. Move ${DATA_FILE} ` +
          "away to start empty, or set the store's onCorrupt option to 'reset'",
      );
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = join(this.dir, `damaged-${stamp}`);
    const salvaged = join(this.dir, `${DATA_FILE}.salvaged`);
    let tables: TableSalvage[] | undefined;
    if (policy === 'salvage' && existsSync(dataFile)) {
      tables = await salvage(
        dataFile,
        join(this.dir, `salvage-${stamp}`),
        salvaged,
        ['meta', ...TABLES, JOURNAL],
        quick.ok ? undefined : quick.needBytes,
      );
    }
    mkdirSync(aside, { mode: 0o700 });
    for (const f of [DATA_FILE, LMDB_LOCK_FILE, MARKER_FILE]) {
      if (existsSync(join(this.dir, f))) renameSync(join(this.dir, f), join(aside, f));
    }
    if (tables !== undefined) {
      if (existsSync(salvaged)) renameSync(salvaged, dataFile);
      this.salvaged = true;
      this.log?.error(
        { dir: this.dir, movedTo: aside, reason, tables },
        'store database damaged: kept the records that could still be read (see tables: ' +
          'copied per table, and where reading stopped); the rest was lost',
      );
      return;
    }
    this.log?.error(
      { dir: this.dir, movedTo: aside, reason },
      'store database damaged: all stored sessions, queued messages and retained messages ' +
        'were lost; the damaged files were moved aside and the broker starts empty',
    );
  }

  private openEnv(): void {
    for (const f of [DATA_FILE, LMDB_LOCK_FILE]) {
      const p = join(this.dir, f);
      // Create the files ourselves so that LMDB never creates them with a wider mode.
      closeSync(openSync(p, 'a', 0o600));
      chmodSync(p, 0o600);
    }
    try {
      this.root = openLmdb({
        path: this.dir,
        maxDbs: 16,
        noSync: this.durability === 'none',
        // Write promises settle at commit and carry a `flushed` promise for the fsync that
        // lmdb-js runs after each commit on its write thread ("overlapping sync").
        separateFlushed: true,
      });
      this.meta = this.root.openDB('meta', {});
      this.tables = new Tables(this.root);
      this.journal = this.root.openDB(JOURNAL, {});
    } catch (err) {
      throw new StoreError('CORRUPT', `cannot open the database in ${this.dir}: ${msg(err)}`, {
        cause: err,
      });
    }
  }

  private checkFormat(): void {
    const root = this.rootDb();
    const meta = this.metaDb();
    const found: unknown = meta.get(FORMAT_KEY);
    if (found === undefined) {
      const empty = TABLES.every((t) => this.tableDb(t).getKeysCount({ limit: 1 }) === 0);
      if (!empty && !this.salvaged) {
        throw new StoreError(
          'FORMAT',
          `the database in ${this.dir} has data but no format version; refusing to guess`,
        );
      }
      root.transactionSync(() => {
        void meta.put(FORMAT_KEY, FORMAT_VERSION);
      });
      return;
    }
    if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) {
      throw new StoreError('FORMAT', `the database in ${this.dir} has an invalid format version`);
    }
    if (found > FORMAT_VERSION) {
      throw new StoreError(
        'FORMAT',
        `the database in ${this.dir} has format ${found}, newer than this build's ` +
          `${FORMAT_VERSION}; upgrade Petrel`,
      );
    }
    for (let v = found; v < FORMAT_VERSION; v++) {
      const step = MIGRATIONS[v];
      if (step === undefined) {
        throw new StoreError('FORMAT', `no migration from store format ${v} to ${v + 1}`);
      }
      root.transactionSync(() => {
        step(root);
        void meta.put(FORMAT_KEY, v + 1);
      });
      this.log?.info({ dir: this.dir, from: v, to: v + 1 }, 'migrated the store format');
    }
  }

  private closeEnv(): void {
    const root = this.root;
    this.root = undefined;
    if (root !== undefined) void root.close().catch(() => undefined);
  }

  // --- writing -------------------------------------------------------------------------------

  protected async commit(records: ChangeRecord[], seq: number): Promise<void> {
    const root = this.rootDb();
    const now = Date.now();
    const entry = encodeJournal(records, now);
    const writes: Promise<unknown>[] = [];
    const b = this.batcher;
    const waiting = this.unapplied.length + b.windowSize;
    const o = this.options;
    const checkpoint =
      waiting > 0 &&
      !this.checkpointing &&
      (this.unapplied.length + b.liveRecords >= (o.checkpointRecords ?? CHECKPOINT_RECORDS) ||
        b.windowSize >= CHECKPOINT_SLOTS ||
        now - this.lastCheckpoint >= (o.checkpointMs ?? CHECKPOINT_MS));
    const through = b.windowSeq;
    if (checkpoint) this.checkpointing = true;
    let syncTxn = false;
    try {
      syncTxn = checkpoint && this.checkpoint(writes, through, now);
      // Issued in the same turn as the checkpoint's writes: lmdb's write thread commits them as
      // one transaction, off the event loop.
      const put = this.journalDb().put(seq, entry);
      writes.push(put);
      // Marked handled now: a failed write below throws before `flushed` is awaited.
      (put as FlushedPromise).flushed?.catch(ignore);
      await Promise.all(writes);
      if (checkpoint) {
        this.unapplied = [];
        this.journalFirst = through + 1;
        this.lastCheckpoint = now;
      }
    } finally {
      if (checkpoint) this.checkpointing = false;
    }
    const put = writes[writes.length - 1];
    if (this.durability === 'none') return;
    // lmdb-js syncs each asynchronous commit on its write thread right after it ("overlapping
    // sync"); `flushed` settles once that sync is done. A synchronous transaction (made with
    // lmdb's no-sync flag) is not covered by it, so that rare case syncs explicitly.
    const flushed = (put as FlushedPromise).flushed;
    if (flushed !== undefined && !syncTxn) await flushed;
    else await syncToDisk(root);
  }

  /**
   * Applies the window's net records to the tables and removes the journal entries up to
   * `through` (the newest batch in the window). Asynchronous writes go into `writes`; a batch
   * that must read its own writes (a session cascade) runs in a synchronous transaction
   * instead, and then this returns true.
   */
  private checkpoint(writes: Promise<unknown>[], through: number, now: number): boolean {
    const drained = this.batcher.drainWindow();
    const net = compactBatch(this.unapplied.length > 0 ? this.unapplied.concat(drained) : drained);
    this.unapplied = net;
    const journal = this.journalDb();
    const meta = this.metaDb();
    if (!readsOnlyCommitted(net)) {
      const keys: number[] = [];
      for (let k = this.journalFirst; k <= through; k++) keys.push(k);
      this.applySync(net, keys, now, TXN_FLAGS);
      return true;
    }
    for (const r of net) this.apply(r, writes);
    for (let k = this.journalFirst; k <= through; k++) writes.push(journal.remove(k));
    writes.push(meta.put(LAST_COMMIT_KEY, now));
    return false;
  }

  /** On close: applies everything to the tables so that the journal is left empty. */
  private finalCheckpoint(): void {
    const root = this.root;
    if (root === undefined) return;
    const net = compactBatch(this.unapplied.concat(this.batcher.drainWindow()));
    this.unapplied = [];
    this.applySync(net, [...this.journalDb().getKeys({})], Date.now(), undefined);
  }

  /**
   * In one synchronous transaction: applies `records` to the tables, removes the journal entries
   * they came from and records the commit time (with `flags`, e.g. without its own fsync).
   */
  private applySync(
    records: readonly ChangeRecord[],
    keys: readonly unknown[],
    time: number | undefined,
    flags: number | undefined,
  ): void {
    const journal = this.journalDb();
    this.rootDb().transactionSync(() => {
      for (const r of records) this.apply(r, undefined);
      for (const k of keys) void journal.remove(k as number);
      if (time !== undefined) void this.metaDb().put(LAST_COMMIT_KEY, time);
    }, flags);
  }

  /**
   * Applies journal entries left by a process that stopped without a final checkpoint (a crash),
   * in one transaction. A damaged entry is dropped with a log line naming it.
   */
  private replayJournal(): void {
    const journal = this.journalDb();
    const keys: unknown[] = [];
    const records: ChangeRecord[] = [];
    const damaged: Array<{ key: unknown; reason: string }> = [];
    let last: number | undefined;
    for (const { key, value } of journal.getRange({})) {
      keys.push(key);
      try {
        if (!(value instanceof Uint8Array)) throw new Error('not a binary value');
        const e = decodeJournal(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        for (const r of e.records) records.push(r);
        if (last === undefined || e.time > last) last = e.time;
      } catch (err) {
        damaged.push({ key, reason: msg(err) });
      }
    }
    if (keys.length === 0) return;
    if (damaged.length > 0) {
      this.log?.error(
        { dir: this.dir, damaged },
        'dropped damaged journal entries: the changes of those batches were lost',
      );
    }
    this.applySync(records, keys, last, undefined);
    this.log?.info(
      { dir: this.dir, entries: keys.length, records: records.length },
      'replayed the store journal',
    );
  }

  /** Removes messages no queue entry or incoming record references (leaks of a crash). */
  private sweep(snap: Snapshot): void {
    const live = new Set<number>();
    for (const e of snap.queue) live.add(e.messageId);
    for (const i of snap.incoming) if (i.messageId !== undefined) live.add(i.messageId);
    const dead = snap.messages.filter((m) => !live.has(m.id));
    if (dead.length === 0) return;
    snap.messages = snap.messages.filter((m) => live.has(m.id));
    const msgs = this.tableDb('msgs');
    try {
      this.rootDb().transactionSync(() => {
        for (const m of dead) void msgs.remove(m.id);
      });
    } catch (err) {
      // Harmless to keep them: the next start sweeps again.
      this.log?.warn({ err }, 'could not remove unreferenced messages');
    }
  }

  private rootDb(): RootDatabase {
    if (this.root === undefined) throw new StoreError('CLOSED', 'store is not open');
    return this.root;
  }

  private journalDb(): Database {
    if (this.journal === undefined) throw new StoreError('CLOSED', 'store is not open');
    return this.journal;
  }

  private apply(r: ChangeRecord, pending: Promise<unknown>[] | undefined): void {
    this.tablesOpen().apply(r, pending);
  }

  private tablesOpen(): Tables {
    if (this.tables === undefined) throw new StoreError('CLOSED', 'store is not open');
    return this.tables;
  }

  private tableDb(t: Table): Database {
    return this.tablesOpen().get(t);
  }

  private metaDb(): Database {
    if (this.meta === undefined) throw new StoreError('CLOSED', 'store is not open');
    return this.meta;
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
