// A trivial MQTT relay: the ceiling the generator can drive, and issue 12's reference for large
// messages. It frames the byte stream just enough to forward it, nothing else: CONNECT ->
// CONNACK, SUBSCRIBE -> SUBACK (granting what was asked), PUBLISH -> PUBACK / PUBREC at once and
// the PUBLISH frame forwarded as it arrived (same bytes, same packet id) to the subscribers of its
// exact topic, and to every subscriber whose filter has a wildcard (no matching: the generator's
// wildcard scenarios want every message), PUBREL -> PUBCOMP, a subscriber's PUBREC -> PUBREL,
// PINGREQ -> PINGRESP, DISCONNECT -> close. No sessions, no queues, no retained messages, no
// validation, no packet-id bookkeeping.
//
// Forwarding copies nothing it can reference: a frame inside one read is a view of that read, a
// frame across reads is kept as the list of its pieces (never joined) and written with them.
// Small frames bound for one subscriber in one read are gathered and written once per read
// (consecutive ones as one view of the read, no copy).
// A subscriber whose socket is full pauses the connection whose PUBLISH filled it until 'drain'.
//
//   node dist/bench/macro/relay-server.js PORT [HOST]
import type { Socket } from 'node:net';
import { createServer } from 'node:net';
import { readVarint, varintBytes } from '../../src/codec/varint.js';

/** Frames at least this big are written as their pieces rather than gathered per read. */
const BIG = 64 * 1024;
/** Bytes of a frame split across reads kept together before its first piece is taken as is. */
const HEAD_BYTES = 512;

interface Client {
  socket: Socket;
  version: number;
  /** Frame being assembled: header byte, remaining length, pieces, bytes still to come. */
  head: Buffer | undefined;
  pieces: Buffer[];
  missing: number;
  /** Small frames to write to this client at the end of the current read. */
  out: Buffer[];
  outQueued: boolean;
  /** Sockets paused because this client's socket is full. */
  pausedBy: Set<Socket>;
  topics: string[];
  wildcard: boolean;
}

const byTopic = new Map<string, Set<Client>>();
const wildcards = new Set<Client>();
const touched: Client[] = [];

function subscribe(c: Client, filter: string): void {
  if (filter.includes('+') || filter.includes('#')) {
    wildcards.add(c);
    c.wildcard = true;
    return;
  }
  let set = byTopic.get(filter);
  if (set === undefined) {
    set = new Set();
    byTopic.set(filter, set);
  }
  set.add(c);
  c.topics.push(filter);
}

function forget(c: Client): void {
  wildcards.delete(c);
  for (const t of c.topics) byTopic.get(t)?.delete(c);
  for (const s of c.pausedBy) s.resume();
  c.pausedBy.clear();
}

/** Acks are cut from a slab, so that consecutive ones to a client merge into one view. */
let slab = Buffer.allocUnsafe(65_536);
let slabAt = 0;

function ack(c: Client, first: number, a: number, b: number): void {
  if (slabAt + 4 > slab.length) {
    slab = Buffer.allocUnsafe(65_536);
    slabAt = 0;
  }
  const buf = slab.subarray(slabAt, slabAt + 4);
  slabAt += 4;
  buf[0] = first;
  buf[1] = 2;
  buf[2] = a;
  buf[3] = b;
  queue(c, buf);
}

function queue(c: Client, buf: Buffer): void {
  const out = c.out;
  const last = out[out.length - 1];
  // Consecutive frames of one read (or acks of one slab) bound for one client: one view.
  if (
    last !== undefined &&
    last.buffer === buf.buffer &&
    last.byteOffset + last.length === buf.byteOffset
  ) {
    out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + buf.length);
  } else {
    out.push(buf);
  }
  if (!c.outQueued) {
    c.outQueued = true;
    touched.push(c);
  }
}

function flushTouched(source: Socket): void {
  for (let i = 0; i < touched.length; i++) {
    const c = touched[i] as Client;
    c.outQueued = false;
    const out = c.out;
    if (out.length === 0 || c.socket.destroyed) {
      out.length = 0;
      continue;
    }
    const ok = c.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    out.length = 0;
    if (!ok) hold(c, source);
  }
  touched.length = 0;
}

/** `target`'s socket is full: stop reading from `source` until it drains. */
function hold(target: Client, source: Socket): void {
  if (source === target.socket || target.pausedBy.has(source)) return;
  target.pausedBy.add(source);
  source.pause();
}

/** Whole frame (as one or more pieces) with header byte `h`: answer or forward it. */
function onFrame(
  c: Client,
  h: number,
  pieces: Buffer[],
  body: Buffer,
  bodyAt: number,
  bodyEnd: number,
): void {
  const type = h >> 4;
  switch (type) {
    case 1: {
      // CONNECT: protocol name (2 + n bytes), then the level.
      const nameLen = ((body[bodyAt] as number) << 8) | (body[bodyAt + 1] as number);
      c.version = body[bodyAt + 2 + nameLen] as number;
      queue(c, c.version === 5 ? Buffer.from([0x20, 3, 0, 0, 0]) : Buffer.from([0x20, 2, 0, 0]));
      return;
    }
    case 3: {
      const qos = (h >> 1) & 3;
      const topicLen = ((body[bodyAt] as number) << 8) | (body[bodyAt + 1] as number);
      const topic = body.toString('latin1', bodyAt + 2, bodyAt + 2 + topicLen);
      if (qos > 0) {
        const at = bodyAt + 2 + topicLen;
        ack(c, qos === 1 ? 0x40 : 0x50, body[at] as number, body[at + 1] as number);
      }
      forward(c, topic, pieces);
      return;
    }
    case 5: // PUBREC from a subscriber -> PUBREL
      ack(c, 0x62, body[bodyAt] as number, body[bodyAt + 1] as number);
      return;
    case 6: // PUBREL from a publisher -> PUBCOMP
      ack(c, 0x70, body[bodyAt] as number, body[bodyAt + 1] as number);
      return;
    case 8:
      onSubscribe(c, body, bodyAt, bodyEnd);
      return;
    case 12:
      queue(c, Buffer.from([0xd0, 0]));
      return;
    case 14:
      c.socket.end();
      return;
    default:
      // PUBACK, PUBCOMP from subscribers, UNSUBSCRIBE, AUTH: nothing to do.
      return;
  }
}

function onSubscribe(c: Client, body: Buffer, at: number, end: number): void {
  const idHi = body[at] as number;
  const idLo = body[at + 1] as number;
  let pos = at + 2;
  if (c.version === 5) pos += readVarint(body, pos, end) + varintBytes;
  const codes: number[] = [];
  while (pos + 2 < end) {
    const len = ((body[pos] as number) << 8) | (body[pos + 1] as number);
    subscribe(c, body.toString('utf8', pos + 2, pos + 2 + len));
    pos += 2 + len;
    codes.push((body[pos] as number) & 3);
    pos++;
  }
  const props = c.version === 5 ? 1 : 0;
  const out = Buffer.alloc(4 + props + codes.length);
  out[0] = 0x90;
  out[1] = 2 + props + codes.length;
  out[2] = idHi;
  out[3] = idLo;
  for (let i = 0; i < codes.length; i++) out[4 + props + i] = codes[i] as number;
  queue(c, out);
}

function forward(from: Client, topic: string, pieces: Buffer[]): void {
  const exact = byTopic.get(topic);
  if (exact !== undefined) for (const s of exact) send(from, s, pieces);
  for (const s of wildcards) send(from, s, pieces);
}

function send(from: Client, to: Client, pieces: Buffer[]): void {
  if (to.socket.destroyed) return;
  if (pieces.length === 1 && (pieces[0] as Buffer).length < BIG) {
    queue(to, pieces[0] as Buffer);
    return;
  }
  // A big frame: its pieces in one writev, never joined; what is gathered for `to` goes first.
  const sock = to.socket;
  sock.cork();
  if (to.out.length > 0) {
    sock.write(to.out.length === 1 ? (to.out[0] as Buffer) : Buffer.concat(to.out));
    to.out.length = 0;
  }
  let ok = true;
  for (const p of pieces) ok = sock.write(p);
  sock.uncork();
  if (!ok) hold(to, from.socket);
}

/** Splits one read into frames; pieces of a frame across reads are kept, not copied. */
function onData(c: Client, chunk: Buffer): void {
  let pos = 0;
  const n = chunk.length;
  if (c.missing > 0) {
    const take = Math.min(c.missing, n);
    c.pieces.push(take === n ? chunk : chunk.subarray(0, take));
    c.missing -= take;
    pos = take;
    if (c.missing === 0) {
      const first = c.pieces[0] as Buffer;
      const pieces = c.pieces;
      c.pieces = [];
      // The body's first bytes (topic, packet id) sit in the first piece (HEAD_BYTES at least).
      onFrame(c, first[0] as number, pieces, first, bodyOffset(first), first.length);
    }
  } else if (c.head !== undefined) {
    chunk = Buffer.concat([c.head, chunk]);
    c.head = undefined;
  }
  const len = chunk.length;
  while (pos < len) {
    // The codec's reader: -1 while the length bytes are incomplete, throws when malformed.
    const rem = pos + 1 < len ? readVarint(chunk, pos + 1, len) : -1;
    const i = pos + 1 + varintBytes;
    // Enough of the frame to read its header fields: the whole of it, or HEAD_BYTES of a big one.
    const end = i + rem;
    if (rem < 0 || (end > len && len - pos < HEAD_BYTES)) {
      c.head = Buffer.from(chunk.subarray(pos));
      break;
    }
    if (end <= len) {
      const frame = chunk.subarray(pos, end);
      onFrame(c, chunk[pos] as number, [frame], chunk, i, end);
      pos = end;
      continue;
    }
    c.pieces = [chunk.subarray(pos)];
    c.missing = end - len;
    break;
  }
  flushTouched(c.socket);
}

/** Offset of the body in a buffer that starts with a fixed header. */
function bodyOffset(b: Buffer): number {
  readVarint(b, 1, b.length);
  return 1 + varintBytes;
}

const port = Number(process.argv[2] ?? '1883');
const host = process.argv[3] ?? '127.0.0.1';
const server = createServer({ noDelay: true }, (socket) => {
  const c: Client = {
    socket,
    version: 4,
    head: undefined,
    pieces: [],
    missing: 0,
    out: [],
    outQueued: false,
    pausedBy: new Set(),
    topics: [],
    wildcard: false,
  };
  socket.on('data', (d: Buffer) => {
    try {
      onData(c, d);
    } catch {
      // A malformed length: this is a benchmark relay, it just drops the connection.
      socket.destroy();
    }
  });
  socket.on('drain', () => {
    for (const s of c.pausedBy) s.resume();
    c.pausedBy.clear();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => forget(c));
});
server.listen(port, host, () => {
  const a = server.address();
  const bound = typeof a === 'object' && a !== null ? a.port : port;
  // Port 0 asks for a free one: the line says which (tests read it).
  process.stdout.write(`relay listening on ${host}:${bound}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
