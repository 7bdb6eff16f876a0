import type { Properties } from '../../codec/types.js';
import type {
  ChangeRecord,
  QueueEntryState,
  SecurityEntryType,
  StoredMessage,
  StoredQueueEntry,
  StoredRetained,
  StoredSession,
  StoredSubscription,
  StoredWill,
} from '../types.js';

// One journal entry holds one committed batch: a header (magic, version, commit time, record
// count) and the records in a compact binary form. Numbers that can exceed 32 bits (ids, seqs,
// times, intervals) are float64; everything is bounds-checked when read, and a damaged entry
// throws instead of yielding half a record.

const MAGIC = 0x4a; // 'J'
/**
 * 3: lengths, counts, ids and sequence numbers as unsigned LEB128 varints, and a string's
 * header (a varint) is 0 or 1 when the string equals the last or the second-to-last string of
 * its field kind (client ids, topics and filters, others): a batch names the same subscriber,
 * publishers and topics over and over. Otherwise the header is the byte length plus 2.
 * 2 had one pair of back-references for all strings, as the length words REPEAT_0 and REPEAT_1;
 * 1 had none. All three are read.
 */
const VERSION = 3;
const REPEAT_0 = 0xffffffff;
const REPEAT_1 = 0xfffffffe;
/** A varint holds at most 2^53 - 1 (8 groups of 7 bits). */
const MAX_VARINT_BYTES = 8;
/** String field kinds, each with its own two back-references. */
const CID = 0;
const TOPIC = 2;
const OTHER = 4;

/** Two back-references for each string kind. */
function backReferences(): Array<string | undefined> {
  return new Array<string | undefined>(OTHER + 2).fill(undefined);
}

/** Record kind codes: the position of each kind in the journal format, never to change. */
const K = {
  'session.put': 0,
  'session.delete': 1,
  'sub.put': 2,
  'sub.delete': 3,
  'msg.put': 4,
  'msg.delete': 5,
  'queue.put': 6,
  'queue.update': 7,
  'queue.delete': 8,
  'incoming.put': 9,
  'incoming.delete': 10,
  'retain.put': 11,
  'retain.delete': 12,
  'will.put': 13,
  'will.delete': 14,
  'security.put': 15,
  'security.delete': 16,
} as const satisfies Record<ChangeRecord['kind'], number>;
const KINDS = Object.keys(K) as ChangeRecord['kind'][];

/** Security entry types by their code (the position never changes). */
const SECURITY_TYPES: readonly SecurityEntryType[] = ['user', 'role', 'client'];

const STATES: readonly QueueEntryState[] = [
  'queued',
  'awaitingPuback',
  'awaitingPubrec',
  'awaitingPubcomp',
];
function stateCode(s: QueueEntryState): number {
  switch (s) {
    case 'queued':
      return 0;
    case 'awaitingPuback':
      return 1;
    case 'awaitingPubrec':
      return 2;
    case 'awaitingPubcomp':
      return 3;
  }
}

// Property value tags.
const T_NUM = 1;
const T_STR = 2;
const T_BUF = 3;
const T_NUMS = 4;
const T_PAIRS = 5;

/** A decoded journal entry. */
export interface JournalEntry {
  /** When the batch was committed (ms since the epoch). */
  time: number;
  records: ChangeRecord[];
}

/** Scratch space reused by every encode (the caller copies the result before the next one). */
let scratch = Buffer.allocUnsafeSlow(1 << 18);
/** Larger scratch buffers are not kept after the encode that needed them. */
const KEEP_LIMIT = 8 << 20;

class Out {
  buf: Buffer = scratch;
  pos = 0;
  /** Per field kind (CID, TOPIC, OTHER): the last string written, then the one before it. */
  private readonly last = backReferences();

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    if (next.length <= KEEP_LIMIT) scratch = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A count, length, id or sequence number: a non-negative safe integer, as a varint. */
  uint(v: number): void {
    this.room(MAX_VARINT_BYTES);
    const buf = this.buf;
    let pos = this.pos;
    // Any integer in 0..2^32-1 (and nothing else) survives `>>> 0` unchanged.
    let x = v >>> 0;
    if (x !== v) {
      if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) {
        throw new RangeError(`journal: ${v} is not a count or id`);
      }
      x = v;
      while (x > 0x7fffffff) {
        buf[pos++] = (x % 0x80) | 0x80;
        x = Math.floor(x / 0x80);
      }
    }
    while (x >= 0x80) {
      buf[pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[pos++] = x;
    this.pos = pos;
  }

  str(s: string, kind = OTHER): void {
    const last = this.last;
    const newest = last[kind];
    if (s === newest) {
      this.u8(0);
      return;
    }
    const older = last[kind + 1];
    last[kind + 1] = newest;
    last[kind] = s;
    if (s === older) {
      this.u8(1);
      return;
    }
    const len = s.length;
    if (len <= 64) {
      // Client ids and topics are short and mostly ASCII: a loop beats a call into C++, and the
      // header (len + 2 < 128) is one byte.
      this.room(1 + len);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === len) {
        buf[this.pos] = len + 2;
        this.pos = start + len;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.uint(n + 2);
    this.room(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  optNum(v: number | undefined): void {
    if (v === undefined) this.u8(0);
    else {
      this.u8(1);
      this.f64(v);
    }
  }

  optStr(v: string | undefined, kind = OTHER): void {
    if (v === undefined) this.u8(0);
    else {
      this.u8(1);
      this.str(v, kind);
    }
  }

  props(p: Properties | undefined): void {
    if (p === undefined) {
      this.u8(0);
      return;
    }
    const rec = p as Record<string, unknown>;
    let n = 0;
    for (const k in rec) if (rec[k] !== undefined) n++;
    this.u8(1);
    this.uint(n);
    for (const k in rec) {
      const v = rec[k];
      if (v === undefined) continue;
      this.str(k);
      if (typeof v === 'number') {
        this.u8(T_NUM);
        this.f64(v);
      } else if (typeof v === 'string') {
        this.u8(T_STR);
        this.str(v);
      } else if (v instanceof Uint8Array) {
        this.u8(T_BUF);
        this.bytes(v);
      } else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
        this.u8(T_NUMS);
        this.uint(v.length);
        for (const x of v as number[]) this.f64(x);
      } else if (Array.isArray(v)) {
        this.u8(T_PAIRS);
        this.uint(v.length);
        for (const pair of v as Array<[string, string]>) {
          this.str(String(pair[0]));
          this.str(String(pair[1]));
        }
      } else {
        throw new TypeError(`property ${k} has a value the journal cannot store`);
      }
    }
  }
}

/**
 * Encodes one batch as a journal entry. The result is a view of a scratch buffer that the next
 * call overwrites: hand it to the database (which copies it) before encoding again.
 */
export function encodeJournal(records: readonly ChangeRecord[], time: number): Buffer {
  const o = new Out();
  o.u8(MAGIC);
  o.u8(VERSION);
  o.f64(time);
  o.uint(records.length);
  for (const r of records) encodeRecord(o, r);
  return o.buf.subarray(0, o.pos);
}

/**
 * One record: its kind code, then its fields (the larger kinds each have a function). Each case
 * writes its own constant code: `K[r.kind]` measured some 15% slower on a whole batch.
 */
function encodeRecord(o: Out, r: ChangeRecord): void {
  switch (r.kind) {
    case 'session.put':
      o.u8(K['session.put']);
      encodeSession(o, r.session);
      break;
    case 'session.delete':
    case 'will.delete':
      o.u8(r.kind === 'session.delete' ? K['session.delete'] : K['will.delete']);
      o.str(r.clientId, CID);
      break;
    case 'sub.put':
      o.u8(K['sub.put']);
      encodeSub(o, r.sub);
      break;
    case 'sub.delete':
      o.u8(K['sub.delete']);
      o.str(r.clientId, CID);
      o.str(r.filter, TOPIC);
      break;
    case 'msg.put':
      o.u8(K['msg.put']);
      encodeMessage(o, r.msg);
      break;
    case 'msg.delete':
      o.u8(K['msg.delete']);
      o.uint(r.id);
      break;
    case 'queue.put':
      o.u8(K['queue.put']);
      encodeQueueEntry(o, r.entry);
      break;
    case 'queue.update':
      o.u8(K['queue.update']);
      o.str(r.clientId, CID);
      o.uint(r.seq);
      o.u8(stateCode(r.state));
      o.u16(r.packetId);
      break;
    case 'queue.delete':
      o.u8(K['queue.delete']);
      o.str(r.clientId, CID);
      o.uint(r.seq);
      break;
    case 'incoming.put':
      o.u8(K['incoming.put']);
      o.str(r.incoming.clientId, CID);
      o.u16(r.incoming.packetId);
      o.optNum(r.incoming.messageId);
      break;
    case 'incoming.delete':
      o.u8(K['incoming.delete']);
      o.str(r.clientId, CID);
      o.u16(r.packetId);
      break;
    case 'retain.put':
      o.u8(K['retain.put']);
      encodeRetained(o, r.retained);
      break;
    case 'retain.delete':
      o.u8(K['retain.delete']);
      o.str(r.topic, TOPIC);
      break;
    case 'security.put':
      o.u8(K['security.put']);
      o.u8(SECURITY_TYPES.indexOf(r.entry.type));
      o.str(r.entry.name);
      o.str(r.entry.data);
      break;
    case 'security.delete':
      o.u8(K['security.delete']);
      o.u8(SECURITY_TYPES.indexOf(r.type));
      o.str(r.name);
      break;
    case 'will.put':
      o.u8(K['will.put']);
      encodeWill(o, r.will);
      break;
  }
}

function encodeSession(o: Out, s: StoredSession): void {
  o.str(s.clientId, CID);
  o.u8(s.protocolVersion);
  o.f64(s.expiryInterval);
  o.optNum(s.disconnectedAt);
  o.optStr(s.username);
}

function encodeSub(o: Out, s: StoredSubscription): void {
  o.str(s.clientId, CID);
  o.str(s.filter, TOPIC);
  o.u8(s.qos);
  o.u8((s.noLocal ? 1 : 0) | (s.retainAsPublished ? 2 : 0) | (s.retainHandling << 2));
  o.optNum(s.subscriptionId);
}

function encodeMessage(o: Out, m: StoredMessage): void {
  o.uint(m.id);
  o.str(m.topic, TOPIC);
  o.bytes(m.payload);
  o.u8(m.qos);
  o.u8(m.retain ? 1 : 0);
  o.props(m.properties);
  o.optNum(m.expiresAt);
  o.optStr(m.origin, CID);
}

function encodeQueueEntry(o: Out, e: StoredQueueEntry): void {
  o.str(e.clientId, CID);
  o.uint(e.seq);
  o.uint(e.messageId);
  o.u8(e.qos);
  o.u8(stateCode(e.state));
  o.u16(e.packetId);
  o.uint(e.subscriptionIds.length);
  for (const id of e.subscriptionIds) o.uint(id);
  o.u8(e.retain ? 1 : 0);
}

function encodeRetained(o: Out, m: StoredRetained): void {
  o.str(m.topic, TOPIC);
  o.bytes(m.payload);
  o.u8(m.qos);
  o.props(m.properties);
  o.optNum(m.expiresAt);
}

function encodeWill(o: Out, w: StoredWill): void {
  o.str(w.clientId, CID);
  o.str(w.topic, TOPIC);
  o.bytes(w.payload);
  o.u8(w.qos);
  o.u8(w.retain ? 1 : 0);
  o.props(w.properties);
  o.f64(w.delayInterval);
  o.optNum(w.dueAt);
}

class In {
  pos = 0;
  /** Mirrors Out's back-references (version 2 keeps all strings under CID). */
  private readonly last = backReferences();
  /** Entry format version (see VERSION). */
  version = VERSION;

  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('journal entry is truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned varint of at most 53 bits. */
  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) throw new Error('journal entry has an oversized number');
        return v;
      }
      scale *= 0x80;
    }
    throw new Error('journal entry has an overlong number');
  }

  /** A count or length: u32 before version 3. */
  len(): number {
    return this.version >= 3 ? this.varint() : this.u32();
  }

  /** An id or sequence number: float64 before version 3. */
  id(): number {
    return this.version >= 3 ? this.varint() : this.f64();
  }

  str(kind = OTHER): string {
    let n: number;
    let repeat = -1;
    if (this.version >= 3) {
      n = this.varint();
      if (n < 2) repeat = n;
      else n -= 2;
    } else {
      n = this.u32();
      if (this.version === 2 && (n === REPEAT_0 || n === REPEAT_1)) repeat = n === REPEAT_0 ? 0 : 1;
    }
    const k = this.version === 2 ? CID : kind;
    const last = this.last;
    let s: string | undefined;
    if (repeat === 0) s = last[k];
    else if (repeat === 1) s = last[k + 1];
    else {
      this.need(n);
      s = this.buf.toString('utf8', this.pos, this.pos + n);
      this.pos += n;
    }
    if (s === undefined) throw new Error('journal entry repeats a string it never wrote');
    if (repeat !== 0) {
      last[k + 1] = last[k];
      last[k] = s;
    }
    return s;
  }

  bytes(): Buffer {
    const n = this.len();
    this.need(n);
    // A copy: the entry's buffer may belong to the database's read transaction.
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }

  flag(): boolean {
    const v = this.u8();
    if (v > 1) throw new Error(`journal entry has a bad flag ${v}`);
    return v === 1;
  }

  qos(): 0 | 1 | 2 {
    const v = this.u8();
    if (v > 2) throw new Error(`journal entry has a bad QoS ${v}`);
    return v as 0 | 1 | 2;
  }

  state(): QueueEntryState {
    const s = STATES[this.u8()];
    if (s === undefined) throw new Error('journal entry has a bad queue state');
    return s;
  }

  optNum(): number | undefined {
    return this.flag() ? this.f64() : undefined;
  }

  optStr(kind = OTHER): string | undefined {
    return this.flag() ? this.str(kind) : undefined;
  }

  props(): Properties | undefined {
    if (!this.flag()) return undefined;
    const n = this.len();
    const p: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.str();
      const tag = this.u8();
      if (tag === T_NUM) p[k] = this.f64();
      else if (tag === T_STR) p[k] = this.str();
      else if (tag === T_BUF) p[k] = this.bytes();
      else if (tag === T_NUMS) {
        const len = this.len();
        this.need(len * 8);
        const a: number[] = [];
        for (let j = 0; j < len; j++) a.push(this.f64());
        p[k] = a;
      } else if (tag === T_PAIRS) {
        const len = this.len();
        const a: Array<[string, string]> = [];
        for (let j = 0; j < len; j++) a.push([this.str(), this.str()]);
        p[k] = a;
      } else throw new Error(`journal entry has a bad property tag ${tag}`);
    }
    return p as Properties;
  }
}

/** Decodes a journal entry; throws an Error naming the damage if it is not well formed. */
export function decodeJournal(buf: Buffer): JournalEntry {
  const i = new In(buf);
  if (i.u8() !== MAGIC) throw new Error('journal entry has a bad magic byte');
  const version = i.u8();
  if (version < 1 || version > VERSION) {
    throw new Error(`journal entry has unknown version ${version}`);
  }
  i.version = version;
  const time = i.f64();
  const count = i.len();
  const records: ChangeRecord[] = [];
  for (let n = 0; n < count; n++) records.push(decodeRecord(i));
  if (i.pos !== buf.length) throw new Error('journal entry has trailing bytes');
  return { time, records };
}

/** One record: its kind code, then its fields (the larger kinds each have a function). */
function decodeRecord(i: In): ChangeRecord {
  const kind = KINDS[i.u8()];
  if (kind === undefined) throw new Error('journal entry has an unknown record kind');
  switch (kind) {
    case 'session.put':
      return { kind, session: decodeSession(i) };
    case 'session.delete':
    case 'will.delete':
      return { kind, clientId: i.str(CID) };
    case 'sub.put':
      return { kind, sub: decodeSub(i) };
    case 'sub.delete':
      return { kind, clientId: i.str(CID), filter: i.str(TOPIC) };
    case 'msg.put':
      return { kind, msg: decodeMessage(i) };
    case 'msg.delete':
      return { kind, id: i.id() };
    case 'queue.put':
      return { kind, entry: decodeQueueEntry(i) };
    case 'queue.update':
      return { kind, clientId: i.str(CID), seq: i.id(), state: i.state(), packetId: i.u16() };
    case 'queue.delete':
      return { kind, clientId: i.str(CID), seq: i.id() };
    case 'incoming.put':
      return {
        kind,
        incoming: { clientId: i.str(CID), packetId: i.u16(), messageId: i.optNum() },
      };
    case 'incoming.delete':
      return { kind, clientId: i.str(CID), packetId: i.u16() };
    case 'retain.put':
      return { kind, retained: decodeRetained(i) };
    case 'retain.delete':
      return { kind, topic: i.str(TOPIC) };
    case 'will.put':
      return { kind, will: decodeWill(i) };
    case 'security.put': {
      const type = securityType(i.u8());
      return { kind, entry: { type, name: i.str(), data: i.str() } };
    }
    case 'security.delete':
      return { kind, type: securityType(i.u8()), name: i.str() };
  }
}

function securityType(code: number): SecurityEntryType {
  const t = SECURITY_TYPES[code];
  if (t === undefined) throw new Error(`journal entry has bad security entry type ${code}`);
  return t;
}

function decodeSession(i: In): StoredSession {
  const clientId = i.str(CID);
  const v = i.u8();
  if (v !== 3 && v !== 4 && v !== 5) throw new Error(`journal entry has bad version ${v}`);
  return {
    clientId,
    protocolVersion: v,
    expiryInterval: i.f64(),
    disconnectedAt: i.optNum(),
    username: i.optStr(),
  };
}

function decodeSub(i: In): StoredSubscription {
  const clientId = i.str(CID);
  const filter = i.str(TOPIC);
  const qos = i.qos();
  const f = i.u8();
  const rh = f >> 2;
  if (rh > 2) throw new Error('journal entry has a bad retain handling');
  return {
    clientId,
    filter,
    qos,
    noLocal: (f & 1) !== 0,
    retainAsPublished: (f & 2) !== 0,
    retainHandling: rh as 0 | 1 | 2,
    subscriptionId: i.optNum(),
  };
}

function decodeMessage(i: In): StoredMessage {
  return {
    id: i.id(),
    topic: i.str(TOPIC),
    payload: i.bytes(),
    qos: i.qos(),
    retain: i.flag(),
    properties: i.props(),
    expiresAt: i.optNum(),
    origin: i.optStr(CID),
  };
}

function decodeQueueEntry(i: In): StoredQueueEntry {
  const clientId = i.str(CID);
  const seq = i.id();
  const messageId = i.id();
  const qos = i.qos();
  const state = i.state();
  const packetId = i.u16();
  const n = i.len();
  i.need(n);
  const subscriptionIds: number[] = [];
  for (let k = 0; k < n; k++) subscriptionIds.push(i.id());
  const retain = i.flag();
  return { clientId, seq, messageId, qos, state, packetId, subscriptionIds, retain };
}

function decodeRetained(i: In): StoredRetained {
  return {
    topic: i.str(TOPIC),
    payload: i.bytes(),
    qos: i.qos(),
    properties: i.props(),
    expiresAt: i.optNum(),
  };
}

function decodeWill(i: In): StoredWill {
  return {
    clientId: i.str(CID),
    topic: i.str(TOPIC),
    payload: i.bytes(),
    qos: i.qos(),
    retain: i.flag(),
    properties: i.props(),
    delayInterval: i.f64(),
    dueAt: i.optNum(),
  };
}
