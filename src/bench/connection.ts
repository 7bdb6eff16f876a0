// A bare MQTT connection for the load generator: raw socket, the codec's Framer, pre-encoded
// control packets. No client state machine: the generator handles the few packets it expects.
import type { Socket } from 'node:net';
import { createConnection } from 'node:net';
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { encodePacket } from '../codec/encode.js';
import type { BenchPlan } from './options.js';
import { SPLIT_AT } from './payload.js';
import { FrameScanner } from './scanner.js';

/** One read buffer per thread (module instance), shared by its sockets. */
const readBuffer = Buffer.allocUnsafe(1 << 20);

/** Receives every frame after CONNACK: the body is `buf[start..end)`. */
export type FrameSink = (header: number, buf: Buffer, start: number, end: number) => void;

/** Wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The CONNECT packet of one bench client. */
export function connectPacket(plan: BenchPlan, clientId: string): Buffer {
  const v: ProtocolVersion = plan.version;
  return encodePacket(
    {
      type: PacketType.CONNECT,
      protocolName: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clean: plan.clean,
      keepAlive: plan.keepAlive,
      clientId,
      username: plan.username,
      password: plan.password === undefined ? undefined : Buffer.from(plan.password),
      will: undefined,
      // A kept session must outlive the connection in v5 too.
      properties: v === 5 && !plan.clean ? { sessionExpiryInterval: 3600 } : undefined,
    },
    v,
  );
}

/** Opens a TCP connection and completes CONNECT/CONNACK; frames after that go to `sink`. */
export class BenchConnection {
  readonly socket: Socket;
  private readonly framer: FrameScanner;
  private onConnack: ((code: number) => void) | undefined;
  private onSuback: ((code: number) => void) | undefined;
  sink: FrameSink;
  /** Called after each chunk's frames were handled (flush acks, pump publishers). */
  afterChunk: () => void = () => undefined;
  closed = false;
  /** The socket's last error, for the message when CONNECT fails. */
  private lastError: string | undefined;
  /** Arrival time of the chunk being handled (one clock read per chunk, not per message). */
  chunkAt = 0;

  constructor(plan: BenchPlan, sink: FrameSink, host = plan.host, port = plan.port) {
    this.sink = sink;
    // Reads land in one buffer shared by the thread's sockets instead of a fresh one per read:
    // every read is handled before the next one happens, and the scanner copies what it keeps.
    this.socket = createConnection({
      host,
      port,
      onread: { buffer: readBuffer, callback: (n, buf) => this.onRead(n, buf) },
    });
    this.socket.setNoDelay(true);
    // A big PUBLISH is handed over cut short (its header read, the rest of the payload skipped).
    this.framer = new FrameScanner((h, b, s, e) => this.frame(h, b, s, e), SPLIT_AT);
    this.socket.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.onConnack?.(-1);
      this.onSuback?.(-1);
    });
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    this.chunkAt = nowMs();
    this.framer.push((buf as Buffer).subarray(0, n));
    this.afterChunk();
    return true;
  }

  private frame(header: number, buf: Buffer, start: number, end: number): void {
    const type = header >> 4;
    if (type === PacketType.CONNACK && this.onConnack !== undefined) {
      const cb = this.onConnack;
      this.onConnack = undefined;
      cb(end - start >= 2 ? (buf[start + 1] as number) : 0xff);
    } else if (type === PacketType.SUBACK && this.onSuback !== undefined) {
      const cb = this.onSuback;
      this.onSuback = undefined;
      // v3/v4: id(2) codes; v5: id(2) props-length(varint, usually 0) codes.
      cb(end - start >= 3 ? (buf[end - 1] as number) : 0x80);
    } else {
      this.sink(header, buf, start, end);
    }
  }

  /** Sends CONNECT once the socket is up; resolves on an accepting CONNACK. */
  connect(connect: Buffer, clientId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onConnack = (code) => {
        if (code === 0) resolve();
        else
          reject(
            new Error(
              code >= 0
                ? `${clientId}: CONNACK code ${code}`
                : `${clientId}: ${this.lastError ?? 'connection closed before CONNACK'}`,
            ),
          );
      };
      this.socket.once('connect', () => this.socket.write(connect));
    });
  }

  /** Subscribes to one filter; resolves on a granting SUBACK. */
  subscribe(filter: string, qos: QoS, version: ProtocolVersion): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onSuback = (code) => {
        if (code >= 0 && code < 0x80) resolve();
        else reject(new Error(`subscribe ${filter}: ${code < 0 ? 'closed' : `code ${code}`}`));
      };
      this.socket.write(
        encodePacket(
          {
            type: PacketType.SUBSCRIBE,
            packetId: 1,
            subscriptions: [
              {
                topicFilter: filter,
                qos,
                noLocal: false,
                retainAsPublished: false,
                retainHandling: 0,
              },
            ],
            properties: undefined,
          },
          version,
        ),
      );
    });
  }

  /** DISCONNECT and close. */
  end(): void {
    if (this.closed) return;
    this.socket.end(DISCONNECT);
  }
}

const DISCONNECT = Buffer.from([0xe0, 0x00]);
