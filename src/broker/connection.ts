import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ProtocolVersion } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { MqttError, protocolError } from '../codec/errors.js';
import type { FrameHandler } from '../codec/framer.js';
import { Framer } from '../codec/framer.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { bodyPool } from '../shared/body-pool.js';
import { FixedQueue } from '../shared/fixed-queue.js';
import type { TimerTarget } from '../shared/timing-wheel.js';
import { Timer } from '../shared/timing-wheel.js';
import { ConnState, UNREAD } from './conn-state.js';
import type { BrokerCore } from './core.js';
import { pump } from './delivery.js';
import { dispatchFrame } from './dispatch.js';
import { HeldAcks } from './held-acks.js';
import type { ClientInfo } from './hooks.js';
import type { ListenerState } from './listener.js';
import type { Message } from './message.js';
import type { ListenerType } from './options.js';
import { TokenBucket } from './rate-limit.js';
import { fail, rateExceeded, rejectWith } from './refuse.js';
import type { ReusedReads } from './reused-reads.js';
import { REUSED_READS_MIN, reuseReadMemory } from './reused-reads.js';
import type { Session } from './session/session.js';

/** Back-reference from a socket to its connection, so one listener function serves every socket. */
const kConn = Symbol('petrel.connection');

type ConnSocket = Duplex & { [kConn]: Connection };

function onSocketData(this: ConnSocket, chunk: Buffer): void {
  this[kConn].onData(chunk);
}

function onSocketDrain(this: ConnSocket): void {
  this[kConn].onDrain();
}

function onSocketError(this: ConnSocket, err: Error): void {
  const conn = this[kConn];
  conn.broker.log.debug({ clientId: conn.clientId, err: err.message }, 'socket error');
}

function onSocketClose(this: ConnSocket): void {
  const conn = this[kConn];
  conn.broker.socketClosed(conn, true);
}

// The peer ended its side: no DISCONNECT came first, so this is an abnormal close.
function onSocketEnd(this: ConnSocket): void {
  const conn = this[kConn];
  conn.broker.socketClosed(conn, false);
}

/** A connection's frame splitter, which knows its connection (no closure per connection). */
class ConnectionFramer extends Framer {
  /** The connection's reused read memory, once it carries big frames. */
  reads: ReusedReads | undefined = undefined;

  constructor(
    readonly conn: Connection,
    maxPacketSize: number,
  ) {
    super(onConnFrame as FrameHandler, maxPacketSize);
    this.bodies = bodyPool;
  }
}

// The Framer calls its handler as a method, so the handler finds its framer as `this`.
function onConnFrame(this: ConnectionFramer, header: number, body: Buffer): void {
  const reads = this.reads;
  if (reads !== undefined && body.buffer === reads.memory.buffer && keepsBody(header)) {
    reads.escaped = true;
  }
  dispatchFrame(this.conn, header, body);
}

/**
 * Whether a frame's body may be kept past its read (the payload, will or password of PUBLISH,
 * CONNECT and AUTH; properties of the others): not so for the acks and pings, read as numbers.
 */
function keepsBody(header: number): boolean {
  const type = header >> 4;
  return type < 4 || (type > 7 && type !== 12 && type !== 13);
}

/** A frame read while the connection waits for an asynchronous hook or store commit. */
interface PendingFrame {
  header: number;
  body: Buffer;
}

/**
 * One network connection (TCP socket or WebSocket stream): framing, coalesced writes with
 * backpressure, timers and per-connection protocol state. Protocol decisions live in
 * `dispatch.ts` and `handlers/`; this class only moves bytes.
 */
export class Connection implements TimerTarget, ClientInfo {
  state: number = ConnState.AwaitConnect;
  /** CONNACK sent and the resumed session's backlog scheduled: deliveries may be written. */
  ready = false;
  /** A CONNECT frame arrived (refusals are then sent as CONNACK). */
  sawConnect = false;
  protocolVersion: ProtocolVersion = 4;
  /** Connected as a Mosquitto bridge (`try_private`): gets none of its own messages back. */
  bridge = false;
  clientId = '';
  /** When its CONNACK was sent (clock ms); 0 before. */
  connectedAt = 0;
  username: string | undefined = undefined;
  session: Session | undefined = undefined;

  /** Splits the bytes read into frames, handed to `dispatchFrame`. */
  readonly framer: ConnectionFramer;

  /** Keep-alive grace (1.5x the keep-alive) in ms; 0 = no keep-alive. */
  keepAliveGraceMs = 0;
  /** Clock time of the last bytes read. */
  lastActivity: number;

  /** The connection waits in {@link pending} for the end of the current callback. */
  private flushQueued = false;
  /** Packets written since the last flush, sent as one buffer (or a few) by {@link flush}. */
  private out: Buffer[] | undefined = undefined;
  private outBytes = 0;
  /** One of the collected packets is big enough to be written without copying. */
  private outBig = false;
  /** `write()` returned false: stop pulling from the session queue until `drain`. */
  backpressured = false;
  /**
   * Messages whose recycled payload was written and may still sit in the socket's buffer:
   * unpinned once the socket's buffer is empty (see {@link releaseWritten}).
   */
  private _writing: Message[] | undefined = undefined;
  /**
   * The socket is a plain `net.Socket`: its buffer empty means every byte written went to the
   * kernel. Not so for TLS (encrypts on its own schedule) or a WebSocket stream (frames go to
   * another socket), so recycled payloads are never written to those.
   */
  readonly plainTcp: boolean;

  /** Outbound QoS>0 messages allowed in flight: min(client Receive Maximum, maxInflight). */
  sendQuota = 65535;
  /** v5 Request Problem Information: reason strings allowed on acks (default true). */
  problemInformation = true;
  /** Client's Maximum Packet Size (0 = protocol maximum). */
  maxOutPacketSize = 0;
  /** Inbound topic aliases (v5), index = alias. */
  inAliases: Array<string | undefined> | undefined = undefined;
  /** Outbound topic aliases (v5): topic → alias. */
  outAliases: Map<string, number> | undefined = undefined;
  outAliasMax = 0;

  /** Reading is paused while a hook promise is pending… */
  private hookBlocked = false;
  /** …or while as many acks as the Receive Maximum wait for the store (sync durability)… */
  private ackBlocked = false;
  /** …or while this many congested subscriber queues wait to drain (flow.ts). */
  private throttled = 0;
  /** Outbound PUBLISHes held until a commit is durable (see delivery.ts `holdPublish`). */
  heldPublishes = 0;
  private publishWritten: (() => void) | undefined = undefined;
  /** Body bytes of the frames held in the backlog. */
  private heldBytes = 0;
  // Created on first use: most connections never block or hold an ack.
  private _backlog: FixedQueue<PendingFrame> | undefined = undefined;
  private _heldAcks: HeldAcks | undefined = undefined;

  /** v5 enhanced authentication in progress: the method, and the step count. */
  authMethod: string | undefined = undefined;
  authStep = 0;
  /** Data kept between CONNECT and the end of asynchronous authentication. */
  pendingConnect: unknown = undefined;
  /** Whether the will must be published when this connection closes. */
  publishWillOnClose = true;
  /** Why the connection closed (for logs and events). */
  closeReason = '';

  /** PUBLISH and byte rate limits of this client; undefined when unlimited. */
  readonly publishBucket: TokenBucket | undefined;
  readonly byteBucket: TokenBucket | undefined;

  /** The connection's one timer (see {@link onTimer}). */
  private readonly timer: Timer;

  /** Peer address once read; {@link UNREAD} until first asked for. */
  private _remoteAddress: string | undefined | typeof UNREAD;

  constructor(
    readonly broker: BrokerCore,
    readonly socket: Duplex,
    /** The peer address, or {@link UNREAD} to ask the socket the first time it is needed. */
    remoteAddress: string | undefined | typeof UNREAD,
    readonly transport: ListenerType | 'custom',
    readonly listener: ListenerState,
    /** The TLS socket under this connection (`tls`, `wss`), for the certificate identity. */
    readonly peer: TLSSocket | undefined = undefined,
  ) {
    this.framer = new ConnectionFramer(this, broker.options.maxConnectPacketSize);
    this.plainTcp =
      socket instanceof Socket && (socket as Socket & { encrypted?: boolean }).encrypted !== true;
    this._remoteAddress = remoteAddress;
    const o = broker.options;
    const now = broker.clock.now;
    this.publishBucket =
      o.maxPublishRate > 0
        ? new TokenBucket(o.maxPublishRate, o.maxPublishBurst ?? o.maxPublishRate, now)
        : undefined;
    this.byteBucket =
      o.maxByteRate > 0
        ? new TokenBucket(o.maxByteRate, o.maxByteBurst ?? o.maxByteRate, now)
        : undefined;
    this.lastActivity = broker.clock.now;
    this.timer = new Timer(this, 0);
    (socket as ConnSocket)[kConn] = this;
    socket.on('data', onSocketData);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.on('end', onSocketEnd);
  }

  /**
   * Peer IP address; undefined for custom transports that have none. A TCP socket is asked on
   * first use (hooks, logs): a `getpeername` call and its result object per accepted socket were
   * a measurable share of the connection setup, and most connections are never asked.
   */
  get remoteAddress(): string | undefined {
    let a = this._remoteAddress;
    if (a === UNREAD)
      a = this._remoteAddress = (this.socket as { remoteAddress?: string }).remoteAddress;
    return a;
  }

  /** The connect timeout (armed from accept until CONNACK). Same timer as the others. */
  get connectTimer(): Timer {
    return this.timer;
  }

  /** The keep-alive check (armed while connected). Same timer as the others. */
  get keepAliveTimer(): Timer {
    return this.timer;
  }

  /** Destroys a socket that does not close within 1 s of {@link end}. Same timer as the others. */
  get forceCloseTimer(): Timer {
    return this.timer;
  }

  private get backlog(): FixedQueue<PendingFrame> {
    let v = this._backlog;
    if (v === undefined) v = this._backlog = new FixedQueue<PendingFrame>(4);
    return v;
  }

  private get heldAcks(): HeldAcks {
    let v = this._heldAcks;
    if (v === undefined) v = this._heldAcks = new HeldAcks();
    return v;
  }

  /** The client's protocol version (for hooks). */
  get version(): ProtocolVersion {
    return this.protocolVersion;
  }

  /** Whether the socket can still be written to. */
  get writable(): boolean {
    return this.state !== ConnState.Closed && !this.socket.destroyed;
  }

  /** @internal Bytes read from the socket. */
  onData(chunk: Buffer): void {
    if (this.state === ConnState.Closed) {
      // Nothing more is read from a closed connection: a peer that keeps sending (a huge
      // announced packet, say) waits in the kernel's buffers until the forced close.
      this.socket.pause();
      return;
    }
    const now = this.broker.clock.now;
    this.lastActivity = now;
    this.broker.stats.bytesReceived += chunk.length;
    if (this.byteBucket !== undefined && !this.byteBucket.take(chunk.length, now)) {
      rateExceeded(this, 'byte rate');
      return;
    }
    // The connection's very first byte: nothing was read before it.
    const first = this.state === ConnState.AwaitConnect && this.framer.buffered === 0;
    const framer = this.framer;
    try {
      if (first) checkFirstBytes(chunk);
      framer.push(chunk);
    } catch (err) {
      if (first) refusedConnect(this, err, chunk);
      fail(this, err);
      return;
    }
    if (framer.assembling >= REUSED_READS_MIN && framer.reads === undefined && this.plainTcp) {
      framer.reads = reuseReadMemory(this.socket as Socket, this);
      framer.chunksReused = framer.reads !== undefined;
    }
  }

  /**
   * Queues `bytes` for sending. Packets are collected and flushed in one microtask after the
   * callback that wrote them (one read of one socket): all packets it sends to one client become
   * one `socket.write()` of one buffer (or one per high-water mark). A flush per event-loop turn
   * (setImmediate) batched more at QoS 0 but delayed every PUBACK to the turn's end and cost a
   * third of the QoS 1 fan-in rate (docs/benchmarks.md). A flush that leaves the socket's buffer
   * full sets {@link backpressured}.
   * `bytes` must not be modified afterwards (it may be written as is).
   */
  write(bytes: Buffer): void {
    if (this.state === ConnState.Closed || this.socket.destroyed) return;
    if (!this.flushQueued) {
      this.flushQueued = true;
      pending.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flushPending);
      }
    }
    const n = bytes.length;
    this.broker.stats.bytesSent += n;
    let out = this.out;
    if (out === undefined) out = this.out = [];
    out.push(bytes);
    this.outBytes += n;
    if (n >= DIRECT_MIN) this.outBig = true;
    // A high-water mark's worth goes out at once: the kernel may take it now, and what it does not
    // take shows as backpressure right away, not at the end of the turn.
    if (this.outBytes >= this.socket.writableHighWaterMark && !this.backpressured) this.flush();
  }

  /**
   * Writes `bytes` to the socket at once, after whatever was collected before it, without
   * waiting for the end of the callback (a CONNACK goes out on its own). Same rules as
   * {@link write}; costs no flush scheduling when nothing else is pending.
   */
  writeNow(bytes: Buffer): void {
    if (this.out !== undefined && this.out.length > 0) {
      this.write(bytes);
      this.flush();
      return;
    }
    const s = this.socket;
    if (this.state === ConnState.Closed || s.destroyed) return;
    this.broker.stats.bytesSent += bytes.length;
    if (!s.write(bytes) && s.writableLength >= s.writableHighWaterMark) this.backpressured = true;
  }

  /**
   * Pins `msg`'s recycled payload until this socket has handed it to the kernel. Call before
   * writing the payload.
   */
  writing(msg: Message): void {
    let w = this._writing;
    if (w === undefined) w = this._writing = [];
    if (w.length >= WRITING_MAX) {
      // The socket's buffer has not been seen empty for a long time: leave these to the GC
      // rather than hold a growing list.
      for (let i = 0; i < w.length; i++) (w[i] as Message).keep();
      w.length = 0;
      msg.keep();
      return;
    }
    msg.pin();
    w.push(msg);
  }

  /**
   * Unpins the payloads written so far once nothing of them can be in flight: nothing collected
   * and not flushed, and the socket's buffer empty (every write completed, its bytes copied into
   * the kernel).
   */
  private releaseWritten(): void {
    const w = this._writing;
    if (w === undefined || w.length === 0) return;
    if (this.outBytes !== 0 || (this.out !== undefined && this.out.length > 0)) return;
    const s = this.socket;
    if (s.destroyed || s.writableLength !== 0) return;
    for (let i = 0; i < w.length; i++) (w[i] as Message).unpin();
    w.length = 0;
  }

  /** Sends the collected writes now. */
  flush(): void {
    this.flushQueued = false;
    const out = this.out;
    if (out === undefined || out.length === 0) return;
    const total = this.outBytes;
    const big = this.outBig;
    this.outBytes = 0;
    this.outBig = false;
    const s = this.socket;
    if (s.destroyed) {
      out.length = 0;
      return;
    }
    let ok: boolean;
    if (out.length === 1) {
      ok = s.write(out[0] as Buffer);
    } else if (!big) {
      ok = s.write(join(out, 0, out.length, total));
    } else {
      ok = writeRuns(s, out);
    }
    out.length = 0;
    // Not `ok`: a write the kernel took at once may still return false. The socket's buffer at
    // the high-water mark means that write returned false, so 'drain' will follow.
    if (!ok && s.writableLength >= s.writableHighWaterMark) this.backpressured = true;
    this.releaseWritten();
  }

  /** @internal The socket's buffer drained. */
  onDrain(): void {
    this.backpressured = false;
    this.releaseWritten();
    const s = this.session;
    if (this.state === ConnState.Connected && s !== undefined) pump(this.broker, s);
  }

  /** Whether frames are being held instead of processed. */
  get blocked(): boolean {
    return this.hookBlocked || this.ackBlocked || this.throttled > 0;
  }

  /**
   * A subscriber's queue this connection published to is full: hold its PUBLISH frames (see
   * flow.ts). Reading goes on, so that the acknowledgements this client owes for its own
   * deliveries still drain its queue (two clients publishing to each other would otherwise wait
   * on each other until the slow-consumer timeout); {@link hold} pauses the socket once
   * {@link HOLD_MAX_BYTES} of frames are held.
   */
  throttle(): void {
    if (this.throttled++ === 0) this.broker.stats.publishersThrottled++;
  }

  /**
   * Whether a frame read while {@link blocked} may be processed at once: when only throttled, an
   * acknowledgement of a delivery to this client (PUBACK, PUBREC, PUBCOMP) or a PINGREQ. Neither
   * depends on the PUBLISH frames held before it; a PUBREL does (it completes one of them).
   */
  passesThrottle(header: number): boolean {
    if (this.hookBlocked || this.ackBlocked) return false;
    const type = header >> 4;
    return (
      type === PacketType.PUBACK ||
      type === PacketType.PUBREC ||
      type === PacketType.PUBCOMP ||
      type === PacketType.PINGREQ
    );
  }

  /** One of the full queues drained: read again once none is left. */
  unthrottle(): void {
    if (this.throttled === 0) return;
    if (--this.throttled === 0) this.replay();
  }

  /** Stops processing frames until {@link unblock}; frames read meanwhile are kept in order. */
  block(): void {
    this.hookBlocked = true;
    this.socket.pause();
  }

  /**
   * Keeps a frame read while blocked (copied: the read chunk is not ours to keep). Reading stops
   * once {@link HOLD_MAX_BYTES} are held.
   */
  hold(header: number, body: Buffer): void {
    this.backlog.push({ header, body: Buffer.from(body) });
    this.heldBytes += body.length;
    if (this.heldBytes >= HOLD_MAX_BYTES) this.socket.pause();
  }

  /** Resumes processing: replays held frames until empty or blocked again. */
  unblock(): void {
    this.hookBlocked = false;
    this.replay();
  }

  private replay(): void {
    while (!this.blocked && this.state !== ConnState.Closed && this._backlog !== undefined) {
      const f = this._backlog.shift();
      if (f === undefined) break;
      this.heldBytes -= f.body.length;
      dispatchFrame(this, f.header, f.body);
    }
    if (!this.blocked && this.state !== ConnState.Closed) this.socket.resume();
  }

  /**
   * Holds an ack until store commit `seq` is durable (sync durability). Reaching `limit` held
   * acks pauses reading: the client cannot have more unacknowledged messages than that.
   * `then` runs once the ack has been written.
   */
  holdAck(seq: number, bytes: Buffer, limit: number, then?: () => void): void {
    this.heldAcks.pushOther(seq, bytes, then);
    this.afterHold(limit);
  }

  /**
   * Holds an outbound PUBLISH (`bytes`, the whole packet) until store commit `seq` is durable,
   * in order with the held acks; {@link heldPublishes} counts those not yet written.
   */
  holdPublish(seq: number, bytes: Buffer): void {
    this.heldPublishes++;
    let done = this.publishWritten;
    if (done === undefined) done = this.publishWritten = () => this.heldPublishes--;
    // Never blocks reading: held publishes are bounded by the send quota, and this client's
    // PUBRECs must still be read.
    this.heldAcks.pushOther(seq, bytes, done);
  }

  /** {@link holdAck} for the 4-byte success ack of packet `type` (no buffer needed yet). */
  holdShortAck(seq: number, type: number, packetId: number, limit: number): void {
    this.heldAcks.pushShort(seq, type, packetId);
    this.afterHold(limit);
  }

  private afterHold(limit: number): void {
    if (this.heldAcks.length >= limit && !this.ackBlocked) {
      this.ackBlocked = true;
      this.socket.pause();
    }
  }

  /** Whether acks are waiting for a commit. */
  get hasHeldAcks(): boolean {
    return this._heldAcks !== undefined && this._heldAcks.length > 0;
  }

  /** Acks waiting for a commit (unacknowledged inbound messages, for Receive Maximum). */
  get heldAckCount(): number {
    return this._heldAcks === undefined ? 0 : this._heldAcks.length;
  }

  /** Writes every held ack whose commit (≤ `committed`) is durable. */
  releaseAcks(committed: number): void {
    this.heldAcks.release(committed, this);
    if (this.ackBlocked && this.heldAcks.length === 0) {
      this.ackBlocked = false;
      this.replay();
    }
  }

  /** Closes the socket gracefully (after pending writes), destroying it if that takes over 1 s. */
  end(): void {
    this.flush();
    if (this.socket.destroyed) return;
    this.socket.end();
    this.broker.wheel.schedule(this.forceCloseTimer, 1000);
  }

  /**
   * The one timer fired. Its uses never overlap, so its kind follows from the state: the connect
   * timeout until CONNACK, the keep-alive check while connected, the forced close once closed.
   */
  onTimer(): void {
    const broker = this.broker;
    switch (this.state) {
      case ConnState.AwaitConnect:
      case ConnState.Authenticating:
        broker.log.info({ remoteAddress: this.remoteAddress }, 'connect timeout');
        broker.closeConnection(this, 'connect timeout', false);
        return;
      case ConnState.Connected: {
        if (this.keepAliveGraceMs === 0) return;
        // lastActivity comes from the coarse clock (up to one tick old): add a tick of slack.
        const due = this.lastActivity + this.keepAliveGraceMs + 100;
        if (broker.clock.now >= due) {
          // [MQTT-3.1.2-24] nothing received for 1.5x the keep-alive.
          broker.log.info({ clientId: this.clientId }, 'keep-alive timeout');
          rejectWith(this, ReasonCode.KeepAliveTimeout, undefined, true);
        } else broker.wheel.scheduleAt(this.timer, due);
        return;
      }
      default:
        this.socket.destroy();
    }
  }
}

/**
 * Doors closed before CONNECT: a connection's first byte must be a CONNECT's fixed header
 * ([MQTT-3.1.0-1]); anything else (an HTTP request, TLS to a plain port, garbage) closes it at
 * once, before a length its next bytes may claim is waited for.
 */
function checkFirstBytes(chunk: Buffer): void {
  if (chunk.length > 0 && chunk[0] !== CONNECT_HEADER) {
    throw protocolError(
      'FIRST_PACKET_NOT_CONNECT',
      `first byte 0x${(chunk[0] as number).toString(16)} does not start a CONNECT`,
      'MQTT-3.1.0-1',
    );
  }
}

/**
 * A CONNECT refused from its fixed header alone (larger than `maxConnectPacketSize`): when the
 * same read holds its protocol level, the refusal is a CONNACK in the client's dialect (5.0:
 * 0x95 Packet too large), rather than a bare close.
 */
function refusedConnect(conn: Connection, err: unknown, chunk: Buffer): void {
  if (!(err instanceof MqttError) || err.code !== 'PACKET_TOO_LARGE') return;
  let i = 1;
  while (i < chunk.length && i < 5 && ((chunk[i] as number) & 0x80) !== 0) i++;
  i++; // the last length byte
  if (i + 2 > chunk.length) return;
  const level = chunk[i + 2 + chunk.readUInt16BE(i)];
  if (level !== 3 && level !== 4 && level !== 5) return;
  conn.protocolVersion = level;
  conn.sawConnect = true;
}

const CONNECT_HEADER = PacketType.CONNECT << 4;

/** Connections written to during the current callback, flushed by {@link flushPending}. */
const pending: Connection[] = [];
let flushScheduled = false;

/**
 * Flushes every connection written to during the current callback: one microtask for the whole
 * process, however many connections the callback wrote to.
 */
function flushPending(): void {
  flushScheduled = false;
  // A flush may write to other connections (a drain pumps a queue): they join the list.
  for (let i = 0; i < pending.length; i++) (pending[i] as Connection).flush();
  pending.length = 0;
}

/**
 * Frames held while a connection is blocked, at most (body bytes): beyond it the socket is
 * paused and the rest waits in the kernel's buffers. At least one frame is always held.
 */
const HOLD_MAX_BYTES = 1024 * 1024;

/** Recycled payloads a connection tracks at most while its socket's buffer never empties. */
const WRITING_MAX = 256;

/** A packet at least this big is written as is rather than copied into a joined buffer. */
const DIRECT_MIN = 16 * 1024;

/** Copies `list[from..to)` (`total` bytes) into one new buffer. */
function join(list: Buffer[], from: number, to: number, total: number): Buffer {
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = from; i < to; i++) {
    const b = list[i] as Buffer;
    buf.set(b, off);
    off += b.length;
  }
  return buf;
}

/**
 * Writes a long list in runs: small packets joined, big ones as they are (no copy), inside one
 * cork so that the socket still gets a single writev.
 */
function writeRuns(s: Duplex, list: Buffer[]): boolean {
  let ok = true;
  s.cork();
  let start = 0;
  let run = 0;
  for (let i = 0; i < list.length; i++) {
    const b = list[i] as Buffer;
    if (b.length < DIRECT_MIN) {
      run += b.length;
      continue;
    }
    if (i > start)
      ok = s.write(i - start === 1 ? (list[start] as Buffer) : join(list, start, i, run)) && ok;
    ok = s.write(b) && ok;
    start = i + 1;
    run = 0;
  }
  const n = list.length;
  if (n > start)
    ok = s.write(n - start === 1 ? (list[start] as Buffer) : join(list, start, n, run)) && ok;
  s.uncork();
  return ok;
}
