import type { Database, RootDatabase } from 'lmdb';
import type { ChangeRecord } from '../types.js';
import { keyPart, numKey, numRange, subKey, subRange } from './keys.js';

/** Table names (LMDB named databases) of the store's state. */
export const TABLES = [
  'sessions',
  'subs',
  'msgs',
  'queue',
  'incoming',
  'retained',
  'wills',
  'security',
] as const;
/** One of {@link TABLES}. */
export type Table = (typeof TABLES)[number];

/** Keeps an asynchronous write's promise (when a batch collects them); the write is made either way. */
function track(pending: Promise<unknown>[] | undefined, write: Promise<unknown>): void {
  pending?.push(write);
}

/** The state tables of one environment, and how a change record lands in them. */
export class Tables {
  private readonly dbs = new Map<Table, Database>();

  /** Opens (creating) every table of `root`. */
  constructor(root: RootDatabase) {
    for (const t of TABLES) this.dbs.set(t, root.openDB(t, {}));
  }

  /** The named table. */
  get(t: Table): Database {
    return this.dbs.get(t) as Database;
  }

  /**
   * Applies one record inside the current write transaction. Asynchronous writes' promises go to
   * `pending` when given, so the batch can wait for (and catch) them.
   */
  apply(r: ChangeRecord, pending?: Promise<unknown>[]): void {
    switch (r.kind) {
      case 'session.put':
        track(pending, this.get('sessions').put(keyPart(r.session.clientId), r.session));
        break;
      case 'session.delete': {
        const subs = this.get('subs');
        for (const k of [...subs.getKeys(subRange(r.clientId))]) track(pending, subs.remove(k));
        for (const t of ['queue', 'incoming'] as const) {
          const db = this.get(t);
          for (const k of [...db.getKeys(numRange(r.clientId))]) track(pending, db.remove(k));
        }
        track(pending, this.get('wills').remove(keyPart(r.clientId)));
        track(pending, this.get('sessions').remove(keyPart(r.clientId)));
        break;
      }
      case 'sub.put':
        track(pending, this.get('subs').put(subKey(r.sub.clientId, r.sub.filter), r.sub));
        break;
      case 'sub.delete':
        track(pending, this.get('subs').remove(subKey(r.clientId, r.filter)));
        break;
      case 'msg.put':
        track(pending, this.get('msgs').put(r.msg.id, r.msg));
        break;
      case 'msg.delete':
        track(pending, this.get('msgs').remove(r.id));
        break;
      case 'queue.put':
        track(pending, this.get('queue').put(numKey(r.entry.clientId, r.entry.seq), r.entry));
        break;
      case 'queue.update': {
        const db = this.get('queue');
        const key = numKey(r.clientId, r.seq);
        const e: unknown = db.get(key);
        if (typeof e === 'object' && e !== null) {
          track(pending, db.put(key, { ...e, state: r.state, packetId: r.packetId }));
        }
        break;
      }
      case 'queue.delete':
        track(pending, this.get('queue').remove(numKey(r.clientId, r.seq)));
        break;
      case 'incoming.put':
        track(
          pending,
          this.get('incoming').put(numKey(r.incoming.clientId, r.incoming.packetId), r.incoming),
        );
        break;
      case 'incoming.delete':
        track(pending, this.get('incoming').remove(numKey(r.clientId, r.packetId)));
        break;
      case 'retain.put':
        track(pending, this.get('retained').put(keyPart(r.retained.topic), r.retained));
        break;
      case 'retain.delete':
        track(pending, this.get('retained').remove(keyPart(r.topic)));
        break;
      case 'will.put':
        track(pending, this.get('wills').put(keyPart(r.will.clientId), r.will));
        break;
      case 'will.delete':
        track(pending, this.get('wills').remove(keyPart(r.clientId)));
        break;
      case 'security.put':
        track(pending, this.get('security').put(subKey(r.entry.type, r.entry.name), r.entry));
        break;
      case 'security.delete':
        track(pending, this.get('security').remove(subKey(r.type, r.name)));
        break;
    }
  }
}

/**
 * Whether every read the batch makes (a `queue.update` reads its entry) may see the database as
 * committed before the batch: true unless a write earlier in the same batch touches what is read.
 * A `session.delete` cascade reads keys, so it always needs the synchronous transaction.
 */
export function readsOnlyCommitted(batch: readonly ChangeRecord[]): boolean {
  const written = new Set<string>();
  for (const r of batch) {
    if (r.kind === 'session.delete') return false;
    if (r.kind === 'queue.put') written.add(`${r.entry.clientId}\0${r.entry.seq}`);
    else if (r.kind === 'queue.delete') written.add(`${r.clientId}\0${r.seq}`);
    else if (r.kind === 'queue.update') {
      const key = `${r.clientId}\0${r.seq}`;
      if (written.has(key)) return false;
      written.add(key);
    }
  }
  return true;
}
