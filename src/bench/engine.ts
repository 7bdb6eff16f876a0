// One thread's share of a run: its publishers and subscribers, driven by socket events. The
// per-message work is a memcpy of a pre-encoded PUBLISH and three patched fields on the way out,
// and a few byte reads on the way in; acks and writes are batched per socket per event-loop turn.
import type { Histogram } from 'hdr-histogram-js';
import { readVarint, varintBytes } from '../codec/varint.js';
import { BenchConnection, connectPacket, nowMs } from './connection.js';
import { encodeHistogram, newHistogram, RunRecorder } from './histogram.js';
import type { BenchPlan } from './options.js';
import { expand, fanoutOf, hears } from './options.js';
import type { PublishTemplate } from './payload.js';
import { isBenchPayload, PUB_AT, publishTemplate, SEQ_AT, TAG_AT, TIME_AT } from './payload.js';
import type { SharedCounters } from './shared.js';
import { SequenceTracker } from './tracker.js';

/** What a thread hands back at the end of a run. */
export interface ThreadResult {
  unique: number;
  duplicates: number;
  /** Gaps seen in foreign publishers' sequences (`sub`). */
  gaps: number;
  /** Encoded latency histogram (µs). */
  latency: string;
  /** Encoded publisher-side ack latency histogram (µs): PUBLISH written to PUBACK/PUBCOMP. */
  ack: string;
  /** Encoded CONNACK latency histogram (µs), `conn` only. */
  connack: string;
  /** Wall-clock ms of the first connect attempt and the last CONNACK (`conn`). */
  connectStart: number;
  connectEnd: number;
  errors: string[];
}

/** Slots of a publisher's send-time ring: a power of two above the window, at most 65536. */
function ackRingSize(window: number): number {
  let n = 2;
  while (n <= window && n < 65536) n *= 2;
  return n;
}

/** Largest batch written in one go (bytes), so huge payloads do not build huge buffers. */
const MAX_BATCH_BYTES = 1 << 20;
const MAX_BATCH = 256;

/** A small growable buffer of 4-byte acks (PUBACK, PUBREC, PUBREL, PUBCOMP). */
class AckBuffer {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;
  /** Queued for the end-of-turn flush. */
  queued = false;

  get pending(): boolean {
    return this.len > 0;
  }

  push(first: number, id: number): void {
    if (this.len + 4 > this.buf.length) {
      const b = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(b, 0, 0, this.len);
      this.buf = b;
    }
    const b = this.buf;
    b[this.len] = first;
    b[this.len + 1] = 2;
    b[this.len + 2] = id >> 8;
    b[this.len + 3] = id & 0xff;
    this.len += 4;
  }

  /** Writes what was collected as one buffer. */
  flush(c: BenchConnection): void {
    if (this.len === 0) return;
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.len = 0;
    if (!c.closed) c.socket.write(out);
  }
}

interface Publisher {
  index: number;
  conn: BenchConnection;
  t: PublishTemplate;
  fanout: number;
  seq: number;
  nextId: number;
  sent: number;
  acked: number;
  acks: AckBuffer;
  /**
   * QoS 1/2: send time (ms) of the PUBLISH with packet id i at sentAt[i & ackMask]. At most
   * `window` messages are in flight and their ids are consecutive, so a ring of window + 1
   * slots (rounded up to a power of two) never mixes two of them up.
   */
  sentAt: Float64Array;
  ackMask: number;
}

interface Subscriber {
  index: number;
  conn: BenchConnection;
  acks: AckBuffer;
  /** trackers[p]: publisher p of this run, when this subscriber hears it. */
  trackers: (SequenceTracker | undefined)[];
  foreign: Map<number, SequenceTracker>;
}

type WaitAsync = (
  a: Int32Array,
  i: number,
  v: number,
  timeout: number,
) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Publishers and subscribers of one thread. */
export class Engine {
  private readonly pubs: Publisher[] = [];
  private readonly subs: Subscriber[] = [];
  private readonly latency = new RunRecorder();
  private readonly ackLatency = new RunRecorder();
  private readonly connack: Histogram = newHistogram();
  private sending = false;
  private startAt = 0;
  private measureFrom = Number.POSITIVE_INFINITY;
  private rateTimer: NodeJS.Timeout | undefined;
  private sleeping = false;
  private readonly errors: string[] = [];
  private readonly conns: BenchConnection[] = [];
  private connectStart = 0;
  private connectEnd = 0;
  private readonly deliveredBase: number;
  private readonly limit: number;
  private readonly minBatch: number;
  /** Local publishers by index, and those whose deliveries moved during the current chunk. */
  private readonly pubByIndex: (Publisher | undefined)[] = [];
  private readonly touched: number[] = [];
  private readonly isTouched: Uint8Array;
  private delivered = false;
  private turnScheduled = false;
  private readonly ackQueue: AckBuffer[] = [];
  private readonly ackConns: BenchConnection[] = [];

  constructor(
    private readonly plan: BenchPlan,
    private readonly shared: SharedCounters,
    private readonly thread: number,
  ) {
    this.deliveredBase = thread * shared.publishers;
    this.limit = plan.count > 0 ? plan.count : Number.POSITIVE_INFINITY;
    this.minBatch = Math.max(1, Math.floor(plan.window / 4));
    this.isTouched = new Uint8Array(Math.max(1, plan.publishers));
  }

  /** Subscriber i runs on thread i mod T. */
  private mineSub(i: number): boolean {
    return i % this.shared.threads === this.thread;
  }

  /**
   * Publisher i runs on thread (S + i) mod T, S = subscribers: the clients are dealt out as one
   * list, so 1 publisher -> 1 subscriber on two threads puts each on its own thread.
   */
  private minePub(i: number): boolean {
    return (this.plan.subscribers + i) % this.shared.threads === this.thread;
  }

  private error(msg: string): void {
    if (this.errors.length < 20) this.errors.push(msg);
  }

  /** Connects this thread's subscribers (subscribed) and publishers. */
  async setup(): Promise<void> {
    const plan = this.plan;
    const prefix = plan.idPrefix;
    const subWork: Promise<void>[] = [];
    for (let i = 0; i < plan.subscribers; i++) {
      if (!this.mineSub(i)) continue;
      const s: Subscriber = {
        index: i,
        conn: undefined as unknown as BenchConnection,
        acks: new AckBuffer(),
        trackers: [],
        foreign: new Map(),
      };
      for (let p = 0; p < plan.publishers; p++) {
        s.trackers.push(hears(plan, i, p) ? new SequenceTracker(0) : undefined);
      }
      s.conn = new BenchConnection(
        plan,
        (h, b, st, e) => this.onSubscriberFrame(s, h, b, st, e),
        plan.subHost ?? plan.host,
        plan.subPort ?? plan.port,
      );
      s.conn.afterChunk = () => this.afterSubscriberChunk(s);
      s.conn.socket.on('close', () => {
        if (this.sending) this.error(`subscriber ${i}: connection closed by the broker`);
      });
      this.subs.push(s);
      const id = `${prefix}-s${i}`;
      subWork.push(
        s.conn
          .connect(connectPacket(plan, id), id)
          .then(() => s.conn.subscribe(expand(plan.filter, i), plan.qos, plan.version)),
      );
    }
    await Promise.all(subWork);
    const pubWork: Promise<void>[] = [];
    for (let i = 0; i < plan.publishers; i++) {
      if (!this.minePub(i)) continue;
      const p: Publisher = {
        index: i,
        conn: undefined as unknown as BenchConnection,
        t: publishTemplate(
          expand(plan.topic, i),
          plan.qos,
          plan.payloadSize,
          plan.tag,
          i,
          plan.version,
        ),
        fanout: fanoutOf(plan, i),
        seq: 0,
        nextId: 1,
        sent: 0,
        acked: 0,
        acks: new AckBuffer(),
        sentAt: new Float64Array(plan.qos > 0 ? ackRingSize(plan.window) : 1),
        ackMask: plan.qos > 0 ? ackRingSize(plan.window) - 1 : 0,
      };
      p.conn = new BenchConnection(plan, (h, b, st) => this.onPublisherFrame(p, h, b, st));
      p.conn.afterChunk = () => {
        Atomics.store(this.shared.acked, p.index, p.acked);
        this.queueAcks(p.acks, p.conn);
        this.touch(p.index);
        this.scheduleTurn();
      };
      p.conn.socket.on('drain', () => this.pump(p));
      p.conn.socket.on('close', () => {
        if (this.sending) this.error(`publisher ${i}: connection closed by the broker`);
      });
      this.pubs.push(p);
      this.pubByIndex[i] = p;
      const id = `${prefix}-p${i}`;
      pubWork.push(p.conn.connect(connectPacket(plan, id), id));
    }
    await Promise.all(pubWork);
  }

  /** Starts publishing; messages sent from `measureFrom` on feed the latency histogram. */
  start(startAt: number, measureFrom: number): void {
    this.startAt = startAt;
    this.measureFrom = measureFrom;
    this.sending = true;
    if (this.plan.rate > 0 && this.pubs.length > 0) {
      this.rateTimer = setInterval(() => this.pumpAll(), 1);
    }
    this.pumpAll();
  }

  /**
   * Stops publishing. Every message sent is measured, those a worker thread sent between the
   * run's end and this call included: they are counted as sent and received too.
   */
  stop(): void {
    this.sending = false;
    if (this.rateTimer !== undefined) clearInterval(this.rateTimer);
    this.rateTimer = undefined;
  }

  private pumpAll(): void {
    if (!this.sending) return;
    const threaded = this.shared.threads > 1;
    let wakeSeen = 0;
    if (threaded) {
      // Announce the sleep before looking at the windows: a delivery counted in between bumps
      // the cell, and the wait below then returns at once.
      wakeSeen = Atomics.load(this.shared.wake, this.thread);
      Atomics.store(this.shared.waiting, this.thread, 1);
    }
    let blocked = false;
    for (let i = 0; i < this.pubs.length; i++) {
      if (this.pump(this.pubs[i] as Publisher)) blocked = true;
    }
    if (threaded) {
      if (blocked) this.sleep(wakeSeen);
      else Atomics.store(this.shared.waiting, this.thread, 0);
    }
  }

  private sleep(seen: number): void {
    if (this.sleeping) return;
    this.sleeping = true;
    const r = waitAsync(this.shared.wake, this.thread, seen, 20);
    const done = (): void => {
      this.sleeping = false;
      this.pumpAll();
    };
    if (r.async) void (r.value as Promise<string>).then(done);
    else queueMicrotask(done);
  }

  /** Writes as many messages as the window, rate and count allow; true if the window is full. */
  private pump(p: Publisher): boolean {
    const plan = this.plan;
    let blocked = false;
    while (this.sending && !p.conn.closed && !p.conn.socket.writableNeedDrain) {
      let done = plan.qos > 0 ? p.acked : p.fanout > 0 ? p.sent : Number.NaN;
      if (p.fanout > 0) {
        const d = Math.floor(this.shared.deliveredOf(p.index) / p.fanout);
        if (!(d >= done)) done = d;
      }
      const outstanding = Number.isNaN(done) ? 0 : p.sent - done;
      let k = Number.isNaN(done) ? MAX_BATCH : plan.window - outstanding;
      // Closed loop: wait for a quarter of the window to free up rather than trickling out one
      // message per returning ack, so writes stay batched while the pipe stays full.
      if (
        k <= 0 ||
        (plan.rate === 0 && outstanding > 0 && k < this.minBatch && this.limit - p.sent > k)
      ) {
        blocked = true;
        break;
      }
      if (plan.rate > 0) {
        const due = Math.floor(((nowMs() - this.startAt) * plan.rate) / 1000) + 1;
        k = Math.min(k, due - p.sent);
      }
      k = Math.min(k, this.limit - p.sent, MAX_BATCH);
      const len = p.t.bytes.length;
      k = Math.min(k, Math.max(1, Math.floor(MAX_BATCH_BYTES / len)));
      if (k <= 0) break;
      this.write(p, k);
    }
    return blocked;
  }

  private write(p: Publisher, k: number): void {
    const t = p.t;
    const tail = t.tail;
    // Big packets: only each message's head is built; the shared tail follows it in the writev.
    const len = tail === undefined ? t.bytes.length : t.bytes.length - tail.length;
    const buf = Buffer.allocUnsafe(k * len);
    const ts = nowMs();
    const seqAt = t.payloadAt + SEQ_AT;
    const timeAt = t.payloadAt + TIME_AT;
    let id = p.nextId;
    const sentAt = p.sentAt;
    const mask = p.ackMask;
    for (let j = 0, o = 0; j < k; j++, o += len) {
      t.bytes.copy(buf, o, 0, len);
      if (t.idAt >= 0) {
        buf[o + t.idAt] = id >> 8;
        buf[o + t.idAt + 1] = id & 0xff;
        sentAt[id & mask] = ts;
        id = id === 65535 ? 1 : id + 1;
      }
      buf.writeUInt32BE(p.seq++, o + seqAt);
      buf.writeDoubleBE(ts, o + timeAt);
    }
    p.nextId = id;
    p.sent += k;
    Atomics.store(this.shared.sent, p.index, p.sent);
    const socket = p.conn.socket;
    if (tail === undefined) {
      socket.write(buf);
      return;
    }
    socket.cork();
    for (let o = 0; o < buf.length; o += len) {
      socket.write(buf.subarray(o, o + len));
      socket.write(tail);
    }
    socket.uncork();
  }

  private onPublisherFrame(p: Publisher, header: number, buf: Buffer, start: number): void {
    const type = header >> 4;
    if (type === 4 || type === 7) {
      p.acked++;
      const id = ((buf[start] as number) << 8) | (buf[start + 1] as number);
      const ts = p.sentAt[id & p.ackMask] as number;
      if (ts >= this.measureFrom) {
        this.ackLatency.record(Math.max(Math.round((p.conn.chunkAt - ts) * 1000), 0));
      }
    } else if (type === 5) {
      p.acks.push(0x62, ((buf[start] as number) << 8) | (buf[start + 1] as number));
    }
  }

  private onSubscriberFrame(
    s: Subscriber,
    header: number,
    buf: Buffer,
    start: number,
    end: number,
  ): void {
    const type = header >> 4;
    if (type === 3) {
      const qos = (header >> 1) & 3;
      let pos = start + 2 + (((buf[start] as number) << 8) | (buf[start + 1] as number));
      if (qos > 0) {
        s.acks.push(
          qos === 1 ? 0x40 : 0x50,
          ((buf[pos] as number) << 8) | (buf[pos + 1] as number),
        );
        pos += 2;
      }
      if (this.plan.version === 5) {
        // Properties length: the codec's reader (a cut-short frame keeps its properties whole).
        const n = readVarint(buf, pos, end);
        pos += n < 0 ? end - pos : varintBytes + n;
      }
      this.onMessage(s, buf, pos, end);
    } else if (type === 6) {
      s.acks.push(0x70, ((buf[start] as number) << 8) | (buf[start + 1] as number));
    }
  }

  private onMessage(s: Subscriber, body: Buffer, at: number, end: number): void {
    const shared = this.shared;
    shared.received[this.thread] = (shared.received[this.thread] as number) + 1;
    if (!isBenchPayload(body, at, end)) return;
    const tag = body.readUInt32BE(at + TAG_AT);
    const pub = body.readUInt32BE(at + PUB_AT);
    const seq = body.readUInt32BE(at + SEQ_AT);
    const ts = body.readDoubleBE(at + TIME_AT);
    if (ts >= this.measureFrom) {
      this.latency.record(Math.max(Math.round((s.conn.chunkAt - ts) * 1000), 0));
    }
    let tr: SequenceTracker | undefined;
    if (tag === this.plan.tag >>> 0 && this.plan.matrix !== 'foreign') {
      tr = s.trackers[pub];
      if (tr === undefined) return;
      if (tr.see(seq)) {
        const i = this.deliveredBase + pub;
        shared.delivered[i] = (shared.delivered[i] as number) + 1;
        this.touch(pub);
        this.delivered = true;
      }
      return;
    }
    const key = tag * 1048576 + pub;
    tr = s.foreign.get(key);
    if (tr === undefined) {
      tr = new SequenceTracker(-1);
      s.foreign.set(key, tr);
    }
    tr.see(seq);
  }

  private afterSubscriberChunk(s: Subscriber): void {
    this.queueAcks(s.acks, s.conn);
    this.scheduleTurn();
  }

  private touch(pub: number): void {
    if (this.isTouched[pub] === 0) {
      this.isTouched[pub] = 1;
      this.touched.push(pub);
    }
  }

  private queueAcks(acks: AckBuffer, conn: BenchConnection): void {
    if (!acks.pending || acks.queued) return;
    acks.queued = true;
    this.ackQueue.push(acks);
    this.ackConns.push(conn);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.endTurn);
  }

  /**
   * Once per event-loop turn, after every socket read of the turn: one write of acks per socket,
   * then the publishers whose acks or deliveries moved get to send (one write each).
   */
  private readonly endTurn = (): void => {
    this.turnScheduled = false;
    const q = this.ackQueue;
    for (let i = 0; i < q.length; i++) {
      const a = q[i] as AckBuffer;
      a.queued = false;
      a.flush(this.ackConns[i] as BenchConnection);
    }
    q.length = 0;
    this.ackConns.length = 0;
    const touched = this.touched;
    const delivered = this.delivered;
    this.delivered = false;
    if (this.shared.threads > 1) {
      for (const p of touched) this.isTouched[p] = 0;
      touched.length = 0;
      if (this.pubs.length > 0) this.pumpAll();
      if (delivered) this.shared.wakeOthers(this.thread);
      return;
    }
    // One thread: only the publishers whose messages moved can send more.
    for (let i = 0; i < touched.length; i++) {
      const idx = touched[i] as number;
      this.isTouched[idx] = 0;
      const p = this.pubByIndex[idx];
      if (p !== undefined) this.pump(p);
    }
    touched.length = 0;
  };

  /** `conn`: opens this thread's share of the connections at the plan's rate. */
  connectAll(startAt: number): Promise<void> {
    const plan = this.plan;
    const T = this.shared.threads;
    const mineTotal =
      Math.floor(plan.connections / T) + (this.thread < plan.connections % T ? 1 : 0);
    const perThreadRate = plan.connectRate > 0 ? plan.connectRate / T : 0;
    const concurrency = Math.max(1, Math.ceil(plan.connectConcurrency / T));
    let launched = 0;
    let pending = 0;
    let finished = 0;
    this.connectStart = nowMs();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const launch = (): void => {
        while (launched < mineTotal && pending < concurrency) {
          if (perThreadRate > 0) {
            const due = Math.floor(((nowMs() - startAt) * perThreadRate) / 1000) + 1;
            if (launched >= due) break;
          }
          const i = launched * T + this.thread;
          launched++;
          pending++;
          const id = `${plan.idPrefix}-c${i}`;
          const t0 = nowMs();
          const c = new BenchConnection(plan, () => undefined);
          this.conns.push(c);
          c.connect(connectPacket(plan, id), id).then(
            () => {
              const t1 = nowMs();
              this.connack.recordValue(Math.max(0, Math.round((t1 - t0) * 1000)));
              this.connectEnd = t1;
              this.shared.connected[this.thread] =
                (this.shared.connected[this.thread] as number) + 1;
              settle();
            },
            (err: unknown) => {
              this.error((err as Error).message);
              this.shared.failed[this.thread] = (this.shared.failed[this.thread] as number) + 1;
              settle();
            },
          );
        }
      };
      const settle = (): void => {
        pending--;
        finished++;
        if (finished === mineTotal) {
          if (timer !== undefined) clearInterval(timer);
          resolve();
        } else launch();
      };
      if (mineTotal === 0) {
        resolve();
        return;
      }
      timer = setInterval(launch, 2);
      launch();
    });
  }

  /** Closes every connection (DISCONNECT first) and returns this thread's figures. */
  async finish(): Promise<ThreadResult> {
    this.stop();
    const all = [...this.pubs.map((p) => p.conn), ...this.subs.map((s) => s.conn), ...this.conns];
    for (const c of all) c.end();
    const deadline = Date.now() + 1000;
    while (all.some((c) => !c.closed) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of all) c.socket.destroy();
    let unique = 0;
    let duplicates = 0;
    let gaps = 0;
    for (const s of this.subs) {
      for (const tr of s.trackers) {
        if (tr === undefined) continue;
        unique += tr.unique;
        duplicates += tr.duplicates;
      }
      for (const tr of s.foreign.values()) {
        unique += tr.unique;
        duplicates += tr.duplicates;
        gaps += tr.gaps;
      }
    }
    return {
      unique,
      duplicates,
      gaps,
      latency: this.latency.encode(),
      ack: this.ackLatency.encode(),
      connack: this.connack.totalCount > 0 ? encodeHistogram(this.connack) : '',
      connectStart: this.connectStart,
      connectEnd: this.connectEnd,
      errors: this.errors,
    };
  }
}
