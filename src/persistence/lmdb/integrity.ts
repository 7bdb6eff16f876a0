import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { runChild } from './child.js';

const MDB_MAGIC = 0xbeefc0de;
// MDB_meta sits after the 24-byte page header: magic at 24, psize (mm_dbs[0].md_pad) at 48,
// the free-space and main trees' md_root at 88 and 136, mm_last_pg at 144, mm_txnid at 152
// (64-bit build of lmdb-js's LMDB).
const OFF_MAGIC = 24;
const OFF_PSIZE = 48;
const OFF_FREE_ROOT = 88;
const OFF_MAIN_ROOT = 136;
const OFF_LAST_PG = 144;
const OFF_TXNID = 152;
// Page header: mp_pgno (8), mp_txnid (8), mp_pad (2), mp_flags at 16+2, then mp_lower and
// mp_upper (2 each) or, on an overflow page, mp_pages (4) at 20. Node offsets (mp_ptrs) start
// at 24 and count from there. A node: mn_lo, mn_hi, mn_flags, mn_ksize (2 each), key, data.
const PAGEHDRSZ = 24;
const OFF_PAGE_FLAGS = 18;
const OFF_PAGE_LOWER = 20;
const OFF_OV_PAGES = 20;
const NODESIZE = 8;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
/** md_root of an MDB_db (48 bytes) inside a leaf node's data. */
const OFF_DB_ROOT = 40;
const DB_SIZE = 48;
const P_INVALID = 0xffff_ffff_ffff_ffffn;

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
      // mm_last_pg is the end of the allocated range, not of what was written: pages taken
      // from the end of the file and freed again in the same transaction ("loose" pages, and
      // dirty overflow pages given back) go to the free list unwritten, so after a kill the
      // file can end before them. LMDB's own comment on mm_last_pg: "the file may be shorter
      // if the freeDB lists the final pages". Such a file is intact; it is truncated only if a
      // page that the committed trees reach lies past its end (LMDB would fault reading it).
      const lost = pageBeyondEnd(fd, best, psize, size, lastPg);
      if (lost !== undefined) {
        return {
          ok: false,
          reason: `file is ${size} bytes, short of the ${need} its meta page covers, and ${lost} (truncated)`,
          needBytes: need,
        };
      }
    }
    return { ok: true, empty: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks the free-space tree and the main tree (and every named database in it) of `meta`
 * through their branch, leaf and overflow pages with plain reads, and says which reachable
 * page lies past the end of a `size`-byte file, or is not the page it should be; `undefined`
 * when all of them are within the file. Only pages that LMDB would read are followed: free
 * pages never are (without MDB_WRITEMAP a reused page is written from a fresh buffer).
 */
export function pageBeyondEnd(
  fd: number,
  meta: Buffer,
  psize: number,
  size: number,
  lastPg: number,
): string | undefined {
  const inFile = Math.floor(size / psize);
  const page = Buffer.alloc(psize);
  const seen = new Set<number>();
  const stack: Array<{ pgno: bigint; tree: string }> = [
    { pgno: meta.readBigUInt64LE(OFF_FREE_ROOT), tree: 'free-space tree' },
    { pgno: meta.readBigUInt64LE(OFF_MAIN_ROOT), tree: 'main tree' },
  ];
  const check = (pgno: bigint, count: number, tree: string): string | undefined => {
    if (pgno < 2n || pgno + BigInt(count) - 1n > BigInt(lastPg)) {
      return `the ${tree} refers to page ${pgno}, outside its pages 2..${lastPg}`;
    }
    if (pgno + BigInt(count) > BigInt(inFile)) {
      return `page ${pgno} of the ${tree} lies past the end of the file`;
    }
    return undefined;
  };
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { pgno, tree } = item;
    if (pgno === P_INVALID) continue; // an empty tree
    const bad = check(pgno, 1, tree);
    if (bad !== undefined) return bad;
    const n = Number(pgno);
    if (seen.has(n)) return `page ${n} is reached twice (the ${tree} is damaged)`;
    seen.add(n);
    readSync(fd, page, 0, psize, n * psize);
    const flags = page.readUInt16LE(OFF_PAGE_FLAGS);
    if ((flags & (P_BRANCH | P_LEAF)) === 0) return `page ${n} of the ${tree} is not a tree page`;
    if ((flags & P_LEAF2) !== 0) continue; // fixed-size duplicates: keys only
    const count = page.readUInt16LE(OFF_PAGE_LOWER) >> 1;
    if (PAGEHDRSZ + count * 2 > psize) return `page ${n} of the ${tree} is damaged`;
    for (let i = 0; i < count; i++) {
      const at = PAGEHDRSZ + page.readUInt16LE(PAGEHDRSZ + i * 2);
      if (at + NODESIZE > psize) return `page ${n} of the ${tree} is damaged`;
      const lo = page.readUInt16LE(at);
      const hi = page.readUInt16LE(at + 2);
      const nodeFlags = page.readUInt16LE(at + 4);
      if ((flags & P_BRANCH) !== 0) {
        // A branch node's child page number: mn_lo | mn_hi << 16 | mn_flags << 32.
        stack.push({ pgno: BigInt(lo) + (BigInt(hi) << 16n) + (BigInt(nodeFlags) << 32n), tree });
        continue;
      }
      const data = at + NODESIZE + page.readUInt16LE(at + 6);
      if ((nodeFlags & F_BIGDATA) !== 0) {
        if (data + 8 > psize) return `page ${n} of the ${tree} is damaged`;
        const ov = page.readBigUInt64LE(data);
        const head = check(ov, 1, tree);
        if (head !== undefined) return head;
        const ovHead = Buffer.alloc(PAGEHDRSZ);
        readSync(fd, ovHead, 0, PAGEHDRSZ, Number(ov) * psize);
        if ((ovHead.readUInt16LE(OFF_PAGE_FLAGS) & P_OVERFLOW) === 0) {
          return `page ${ov} of the ${tree} is not an overflow page`;
        }
        const all = check(ov, ovHead.readUInt32LE(OFF_OV_PAGES), tree);
        if (all !== undefined) return all;
      } else if ((nodeFlags & F_SUBDATA) !== 0) {
        // A named database (or a tree of duplicates): an MDB_db record.
        if (data + DB_SIZE > psize) return `page ${n} of the ${tree} is damaged`;
        const key = page.toString('latin1', at + NODESIZE, data);
        stack.push({ pgno: page.readBigUInt64LE(data + OFF_DB_ROOT), tree: `tree '${key}'` });
      }
    }
  }
  return undefined;
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
