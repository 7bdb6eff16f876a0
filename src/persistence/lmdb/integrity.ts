import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { runChild } from './child.js';

const MDB_MAGIC = 0xbeefc0de;
// MDB_meta sits after the page header: magic at 24, psize (mm_dbs[0].md_pad) at 48,
// mm_last_pg at 144, mm_txnid at 152 (64-bit build).
const OFF_MAGIC = 24;
const OFF_PSIZE = 48;
const OFF_LAST_PG = 144;
const OFF_TXNID = 152;

/** Result of {@link quickCheck}. */
export type QuickCheck =
  | { ok: true; empty: boolean }
  | {
      ok: false;
      reason: string /** Set when the file is shorter than its meta page says. */;
      needBytes?: number;
    };

/**
 * Checks the LMDB meta pages without mapping the file: magic numbers, page size, and that the
 * file is long enough for the newest meta's last page. LMDB itself would fault (SIGBUS) reading
 * a truncated file, so this must run before the database is opened.
 */
export function quickCheck(file: string): QuickCheck {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { ok: true, empty: true };
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { ok: true, empty: true };
    const head = Buffer.alloc(OFF_TXNID + 8);
    if (readSync(fd, head, 0, head.length, 0) < head.length) {
      return { ok: false, reason: `file is ${size} bytes, shorter than its header` };
    }
    if (head.readUInt32LE(OFF_MAGIC) !== MDB_MAGIC) {
      return { ok: false, reason: 'first meta page has no LMDB magic number' };
    }
    const psize = head.readUInt32LE(OFF_PSIZE);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0) {
      return { ok: false, reason: `implausible page size ${psize}` };
    }
    const metas = [head];
    const second = Buffer.alloc(OFF_TXNID + 8);
    if (readSync(fd, second, 0, second.length, psize) === second.length) metas.push(second);
    let best: Buffer | undefined;
    for (const m of metas) {
      if (m.readUInt32LE(OFF_MAGIC) !== MDB_MAGIC) continue;
      if (best === undefined || m.readBigUInt64LE(OFF_TXNID) > best.readBigUInt64LE(OFF_TXNID)) {
        best = m;
      }
    }
    if (best === undefined) return { ok: false, reason: 'no valid meta page' };
    const lastPg = Number(best.readBigUInt64LE(OFF_LAST_PG));
    const need = (lastPg + 1) * psize;
    if (size < need) {
      return {
        ok: false,
        reason: `file is ${size} bytes but its meta page needs ${need} (truncated)`,
        needBytes: need,
      };
    }
    return { ok: true, empty: false };
  } finally {
    closeSync(fd);
  }
}

/** Result of {@link probe}. */
export type ProbeResult =
  | { ok: true; counts: Record<string, number> }
  | { ok: false; reason: string };

/**
 * Reads every entry of every table in a child process. A damaged LMDB file can make the reader
 * fault or loop instead of throwing; in a child that costs the child, not the broker.
 */
export async function probe(
  dir: string,
  tables: readonly string[],
  timeoutMs = 30_000,
): Promise<ProbeResult> {
  const r = await runChild('./probe.js', [dir, ...tables], timeoutMs, 4096);
  if (r.spawnError !== undefined) {
    return { ok: false, reason: `cannot run the integrity probe: ${r.spawnError.message}` };
  }
  if (r.code === 0) {
    try {
      return { ok: true, counts: JSON.parse(r.out) as Record<string, number> };
    } catch {
      return { ok: false, reason: 'integrity probe printed garbage' };
    }
  }
  const why =
    r.signal !== null
      ? `reading the database killed the probe (${r.signal})`
      : lastLine(r.err) || `probe exited with ${r.code}`;
  return { ok: false, reason: why };
}

function lastLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('Error') || l.includes('MDB_'));
  return lines[0] ?? s.trim().split('\n')[0] ?? '';
}

/**
 * Makes LMDB fall back to the previous commit: clears the magic number of the meta page with
 * the higher transaction id. Only ever used on a salvage copy, never on the live file.
 */
export function invalidateNewestMeta(file: string): boolean {
  const fd = openSync(file, 'r+');
  try {
    const head = Buffer.alloc(OFF_TXNID + 8);
    if (readSync(fd, head, 0, head.length, 0) < head.length) return false;
    const psize = head.readUInt32LE(OFF_PSIZE);
    const second = Buffer.alloc(OFF_TXNID + 8);
    if (readSync(fd, second, 0, second.length, psize) < second.length) return false;
    const valid = (m: Buffer) => m.readUInt32LE(OFF_MAGIC) === MDB_MAGIC;
    if (!valid(head) || !valid(second)) return false;
    const newest = head.readBigUInt64LE(OFF_TXNID) >= second.readBigUInt64LE(OFF_TXNID) ? 0 : psize;
    writeSync(fd, Buffer.alloc(4), 0, 4, newest + OFF_MAGIC);
    return true;
  } finally {
    closeSync(fd);
  }
}
