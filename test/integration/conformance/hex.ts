/** Hex helpers for the conformance data: placeholders, computed lengths and byte patterns. */

/** Encodes a Variable Byte Integer (for the `~` placeholder). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** Per-execution values: the client ids and the packet id captured by an `ii ii` pattern. */
export interface Ids {
  cid: string;
  cid2: string;
  cid3: string;
  /** Hex of the last captured packet id, substituted for `{pid}`. */
  pid: string;
}

function expandIds(hex: string, ids: Ids): string {
  return hex
    .replace(/\{(cid2|cid3|cid)\}/g, (_m, k: 'cid' | 'cid2' | 'cid3') =>
      Buffer.from(ids[k], 'ascii').toString('hex'),
    )
    .replace(/\{pid\}/g, ids.pid);
}

/** Turns a `send` string into bytes. `~` becomes the varint length of everything after it. */
export function toBytes(hex: string, ids: Ids): Buffer {
  const clean = expandIds(hex, ids).replace(/\s+/g, '');
  const tilde = clean.indexOf('~');
  if (tilde < 0) return hexBuf(clean);
  const before = hexBuf(clean.slice(0, tilde));
  const after = toBytes(clean.slice(tilde + 1), ids);
  return Buffer.concat([before, varint(after.length), after]);
}

function hexBuf(hex: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`bad hex in case data: ${hex}`);
  return Buffer.from(hex, 'hex');
}

/**
 * A compiled expectation: exact bytes, `null` for any byte, `'cap'` for a byte captured into
 * `{pid}` (`ii`), `rest` for a trailing `*`.
 */
export interface Pattern {
  bytes: (number | null | 'cap')[];
  rest: boolean;
  source: string;
}

export function toPattern(hex: string, ids: Ids): Pattern {
  let src = expandIds(hex, ids).replace(/\s+/g, '');
  let rest = false;
  if (src.endsWith('*')) {
    rest = true;
    src = src.slice(0, -1);
  }
  const tilde = src.indexOf('~');
  if (tilde >= 0) {
    // `~` in a pattern: the exact Remaining Length of the bytes after it.
    const after = tokens(src.slice(tilde + 1), hex);
    const len = [...varint(after.length)];
    return { bytes: [...tokens(src.slice(0, tilde), hex), ...len, ...after], rest, source: hex };
  }
  return { bytes: tokens(src, hex), rest, source: hex };
}

function tokens(src: string, hex: string): (number | null | 'cap')[] {
  if (src.length % 2 !== 0) throw new Error(`bad pattern in case data: ${hex}`);
  const bytes: (number | null | 'cap')[] = [];
  for (let i = 0; i < src.length; i += 2) {
    const t = src.slice(i, i + 2);
    if (t === '..') bytes.push(null);
    else if (t === 'ii') bytes.push('cap');
    else if (/^[0-9a-fA-F]{2}$/.test(t)) bytes.push(Number.parseInt(t, 16));
    else throw new Error(`bad pattern token ${t} in ${hex}`);
  }
  return bytes;
}

/** True when `packet` fits the pattern; captured bytes are stored in `ids.pid`. */
export function matches(p: Pattern, packet: Buffer, ids?: Ids): boolean {
  if (p.rest ? packet.length < p.bytes.length : packet.length !== p.bytes.length) return false;
  let cap = '';
  for (let i = 0; i < p.bytes.length; i++) {
    const b = p.bytes[i];
    if (b === 'cap') cap += (packet[i] ?? 0).toString(16).padStart(2, '0');
    else if (b !== null && b !== packet[i]) return false;
  }
  if (cap !== '' && ids !== undefined) ids.pid = cap;
  return true;
}

/** Space-separated hex for failure messages. */
export function show(b: Buffer): string {
  return b.toString('hex').replace(/(..)(?!$)/g, '$1 ');
}
