import { createConnection } from 'node:net';
import { WebSocket } from 'ws';
import type { Ids } from './hex.js';
import { matches, show, toBytes, toPattern } from './hex.js';
import type { CloseStep, ConformanceCase, OpenStep, Step, Version } from './types.js';

/** Where the cases run and how strict the reason-code checks are. */
export interface Target {
  name: string;
  host: string;
  port: number;
  /** v5: a CONNACK/DISCONNECT with a reason code must precede every server-side close. */
  requireV5Reason: boolean;
  /** Default time a server gets to close after bad input (Petrel: 1 s, per issue 3). */
  closeMs?: number;
  /**
   * MQTT over WebSocket instead of TCP: `port`/`path` of the WebSocket listener, subprotocol
   * `mqtt`; every `send` step goes out as one binary frame.
   */
  webSocketPath?: string;
  /**
   * Several brokers (nodes of a cluster): connection `i` goes to `ports[i % ports.length]`, so a
   * case's publisher and subscriber are on different nodes. Default: `port` for every one.
   */
  ports?: number[];
}

/** The byte pipe under a RawConn: a TCP socket or a WebSocket. */
interface Wire {
  write(b: Buffer): void;
  destroy(): void;
}

function tcpWire(host: string, port: number, conn: RawConn): { wire: Wire; ready: Promise<void> } {
  const socket = createConnection({ host, port });
  socket.setNoDelay(true);
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('data', (d: Buffer) => conn.onData(d));
  socket.on('error', () => undefined);
  socket.on('close', () => conn.onClose());
  return { wire: { write: (b) => socket.write(b), destroy: () => socket.destroy() }, ready };
}

function wsWire(url: string, conn: RawConn): { wire: Wire; ready: Promise<void> } {
  const ws = new WebSocket(url, 'mqtt');
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (d: Buffer) => conn.onData(Buffer.from(d)));
  ws.on('error', () => undefined);
  ws.on('close', () => conn.onClose());
  return { wire: { write: (b) => ws.send(b), destroy: () => ws.terminate() }, ready };
}

const EXPECT_MS = 2000;
const CLOSE_MS = 2000;

/** One raw connection that splits what it receives into MQTT packets. */
class RawConn {
  private buf = Buffer.alloc(0);
  private packets: Buffer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  connacked = false;
  private readonly wire: Wire;
  readonly ready: Promise<void>;

  constructor(target: Target, port: number) {
    const { wire, ready } =
      target.webSocketPath === undefined
        ? tcpWire(target.host, port, this)
        : wsWire(`ws://${target.host}:${port}${target.webSocketPath}`, this);
    this.wire = wire;
    this.ready = ready;
  }

  onClose(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) break;
      let len = 0;
      let mul = 1;
      let i = 1;
      let complete = false;
      for (; i < 5 && i < this.buf.length; i++) {
        const b = this.buf[i] ?? 0;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const total = i + 1 + len;
      if (this.buf.length < total) break;
      this.packets.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    if (this.packets.length > 0) this.wake();
  }

  /** Next packet, or undefined when the connection closed or the time ran out. */
  async next(ms: number): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const p = this.packets.shift();
      if (p !== undefined) return p;
      if (this.closed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  pending(): number {
    return this.packets.length;
  }

  write(b: Buffer): void {
    if (!this.closed) this.wire.write(b);
  }

  destroy(): void {
    this.wire.destroy();
  }
}

let counter = 0;
/** Three 8-character ids unique to this process and execution. */
function makeIds(): Ids {
  const tag = (process.pid % 1296).toString(36).padStart(2, '0');
  const n = (counter++).toString(36).padStart(5, '0');
  return { cid: `p${tag}${n}`, cid2: `q${tag}${n}`, cid3: `r${tag}${n}`, pid: '0000' };
}

/** The runner's standard CONNECT: keep alive 60, v5 asks for no problem information. */
export function standardConnect(v: Version, clean: boolean, idKey: string): string {
  const flags = clean ? '02' : '00';
  const id = `0008 {${idKey}}`;
  if (v === 3) return `10 ~ 0006 4d5149736470 03 ${flags} 003c ${id}`;
  if (v === 4) return `10 ~ 0004 4d515454 04 ${flags} 003c ${id}`;
  const props = clean ? '02 1700' : '07 1700 11 0000012c';
  return `10 ~ 0004 4d515454 05 ${flags} 003c ${props} ${id}`;
}

function connackPattern(v: Version, present: boolean): string {
  const sp = present ? '01' : '00';
  return v === 5 ? `20 .. ${sp} 00 *` : `20 02 ${sp} 00`;
}

function applies(step: Step, v: Version): boolean {
  return step.v === undefined || step.v.includes(v);
}

function fail(c: ConformanceCase, v: Version, i: number, msg: string): never {
  throw new Error(`${c.id} (v${v}) step ${i}: ${msg}`);
}

/** The reason code of a v5 CONNACK or DISCONNECT, if that is what `p` is. */
function v5Reason(p: Buffer): number | undefined {
  const t = (p[0] ?? 0) >> 4;
  if (t === 2) return p[3];
  if (t === 14) return p.length === 2 ? 0 : p[2];
  return undefined;
}

/** Replays one case for one protocol version against a target; throws on the first mismatch. */
export async function runCase(c: ConformanceCase, v: Version, target: Target): Promise<void> {
  const ids = makeIds();
  const conns = new Map<number, RawConn>();
  const conn = async (i: number): Promise<RawConn> => {
    let k = conns.get(i);
    if (k === undefined) {
      const ports = target.ports;
      k = new RawConn(
        target,
        ports === undefined ? target.port : (ports[i % ports.length] as number),
      );
      conns.set(i, k);
      await k.ready;
    }
    return k;
  };
  const steps: Step[] = c.raw === true ? c.steps : [{ open: true }, ...c.steps];
  try {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i] as Step;
      if (!applies(s, v)) continue;
      const k = await conn(s.c ?? 0);
      if ('send' in s) {
        k.write(toBytes(s.send, ids));
      } else if ('open' in s) {
        await open(k, s, v, ids, c, i);
      } else if ('expect' in s) {
        const want = typeof s.expect === 'string' ? [s.expect] : s.expect;
        const p = await k.next(EXPECT_MS);
        if (p === undefined) {
          fail(c, v, i, `expected ${want.join(' | ')}, got ${k.closed ? 'close' : 'nothing'}`);
        }
        if (!want.some((w) => matches(toPattern(w, ids), p, ids))) {
          fail(c, v, i, `expected ${want.join(' | ')}, got ${show(p)}`);
        }
        if ((p[0] ?? 0) >> 4 === 2) k.connacked = true;
      } else if ('close' in s) {
        await expectClose(k, s, v, ids, target, c, i);
      } else if ('silent' in s) {
        const p = await k.next(s.silent);
        if (p !== undefined) fail(c, v, i, `expected silence, got ${show(p)}`);
        if (k.closed) fail(c, v, i, 'expected the connection to stay open, it closed');
      } else if ('wait' in s) {
        await new Promise((r) => setTimeout(r, s.wait));
      } else if ('drop' in s) {
        k.destroy();
      }
    }
  } finally {
    for (const k of conns.values()) k.destroy();
  }
}

async function open(
  k: RawConn,
  s: OpenStep,
  v: Version,
  ids: Ids,
  c: ConformanceCase,
  i: number,
): Promise<void> {
  const idKey = s.id ?? (s.c === undefined || s.c === 0 ? 'cid' : s.c === 1 ? 'cid2' : 'cid3');
  k.write(toBytes(standardConnect(v, s.clean !== false, idKey), ids));
  const want = connackPattern(v, s.present === true);
  const p = await k.next(EXPECT_MS);
  if (p === undefined) fail(c, v, i, `no CONNACK to the standard CONNECT (closed=${k.closed})`);
  if (!matches(toPattern(want, ids), p, ids)) fail(c, v, i, `CONNACK ${show(p)}, expected ${want}`);
  k.connacked = true;
}

async function expectClose(
  k: RawConn,
  s: CloseStep,
  v: Version,
  ids: Ids,
  target: Target,
  c: ConformanceCase,
  i: number,
): Promise<void> {
  const within = s.within ?? target.closeMs ?? CLOSE_MS;
  const reason = s.reason;
  const deadline = Date.now() + within;
  let sawReason: number | undefined;
  for (;;) {
    const p = await k.next(Math.max(0, deadline - Date.now()));
    if (p === undefined) break;
    if (s.or !== undefined && matches(toPattern(s.or, ids), p, ids)) return;
    if (s.allow?.some((a) => matches(toPattern(a, ids), p, ids)) === true) continue;
    const r = v === 5 ? v5Reason(p) : undefined;
    if (r === undefined) fail(c, v, i, `expected the connection to close, got ${show(p)}`);
    if (reason !== undefined && !reason.includes(r)) {
      const want = reason.map((x) => `0x${x.toString(16)}`).join(' or ');
      fail(c, v, i, `v5 reason 0x${r.toString(16)} before close, expected ${want}`);
    }
    sawReason = r;
  }
  if (!k.closed) fail(c, v, i, `connection still open after ${within} ms`);
  if (v === 5 && target.requireV5Reason && reason !== undefined && sawReason === undefined) {
    const want = reason.map((x) => `0x${x.toString(16)}`).join(' or ');
    fail(c, v, i, `closed without a CONNACK/DISCONNECT carrying ${want}`);
  }
}

/** Test title: id, version, title and the statement ids that apply to this version. */
export function caseTitle(c: ConformanceCase, v: Version): string {
  const st = v === 5 && c.statements5 !== undefined ? c.statements5 : c.statements;
  const tags = st.map((s) => `[${s}]`).join(' ');
  const name = v === 3 ? '3.1' : v === 4 ? '3.1.1' : '5.0';
  return `${c.id} (${name}) ${c.title} ${tags}`;
}
