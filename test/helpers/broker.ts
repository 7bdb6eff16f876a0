// Starts an embedded Petrel broker on 127.0.0.1 port 0 for tests, and a raw MQTT socket client
// (codec-based) for byte-level checks.

import type { Socket } from 'node:net';
import { createConnection } from 'node:net';
import type { Broker, BrokerOptions } from '../../src/broker.js';
import { createBroker } from '../../src/broker.js';
import type { ProtocolVersion } from '../../src/codec/constants.js';
import { decodePacket } from '../../src/codec/decode.js';
import { encodePacket } from '../../src/codec/encode.js';
import { Framer } from '../../src/codec/framer.js';
import type { Packet } from '../../src/codec/types.js';
import { connectPacket } from './packets.js';

/** A running test broker. */
export interface TestBroker {
  broker: Broker;
  port: number;
  /** WebSocket port when `wsPort` was asked for. */
  wsPort: number | undefined;
  url: string;
  close(): Promise<void>;
}

/** Starts a broker on an ephemeral port ($SYS off unless asked for). */
export async function startBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const broker = createBroker({
    port: 0,
    host: '127.0.0.1',
    sysInterval: 0,
    closeTimeoutMs: 500,
    ...options,
  });
  await broker.listen();
  const tcp = broker.addresses().find((a) => a.type === 'tcp');
  const ws = broker.addresses().find((a) => a.type === 'ws');
  const port = tcp?.port ?? 0;
  return {
    broker,
    port,
    wsPort: ws?.port,
    url: `mqtt://127.0.0.1:${port}`,
    close: () => broker.close(),
  };
}

/** A raw MQTT connection: send packets or bytes, read decoded packets, observe the close. */
export class RawClient {
  readonly socket: Socket;
  version: ProtocolVersion;
  private readonly packets: Packet[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;
  private readonly framer: Framer;

  private constructor(socket: Socket, version: ProtocolVersion) {
    this.socket = socket;
    this.version = version;
    this.framer = new Framer((h, b) => {
      this.packets.push(decodePacket(h, b, this.version));
      this.wake();
    });
    socket.on('data', (c: Buffer) => this.framer.push(c));
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Opens a TCP connection (no CONNECT sent). */
  static open(port: number, version: ProtocolVersion = 4): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port }, () =>
        resolve(new RawClient(s, version)),
      );
      s.once('error', reject);
    });
  }

  /**
   * Opens a connection and completes CONNECT/CONNACK; rejects unless the CONNACK accepts.
   * `extra` overrides fields of the CONNECT packet; the CONNACK may take up to `ms`.
   */
  static async connect(
    port: number,
    version: ProtocolVersion,
    extra: Partial<Extract<Packet, { type: 1 }>> = {},
    ms = 2000,
  ): Promise<{ client: RawClient; connack: Extract<Packet, { type: 2 }> }> {
    const c = await RawClient.open(port, version);
    c.send(
      connectPacket({
        protocolVersion: version,
        keepAlive: 30,
        clientId: `raw-${Math.random().toString(16).slice(2, 10)}`,
        ...extra,
      }),
    );
    const p = await c.next(ms);
    if (p.type !== 2) throw new Error(`expected CONNACK, got type ${p.type}`);
    return { client: c, connack: p };
  }

  /** Sends a packet (encoded for this client's version) or raw bytes. */
  send(p: Packet | Buffer): void {
    this.socket.write(Buffer.isBuffer(p) ? p : encodePacket(p, this.version));
  }

  /** The next packet, or a rejection after `ms` or when the connection closes first. */
  async next(ms = 2000): Promise<Packet> {
    const deadline = Date.now() + ms;
    for (;;) {
      const p = this.packets.shift();
      if (p !== undefined) return p;
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Resolves true if nothing arrives within `ms`. */
  async silent(ms = 200): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Waits for the server to close the connection; rejects after `ms`. */
  async waitClose(ms = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connection not closed within ${ms} ms`)), ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Closes the socket abruptly (no DISCONNECT). */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A subscription with v3 defaults for the options. */
export function subOf(
  topicFilter: string,
  qos: 0 | 1 | 2,
  extra: Partial<import('../../src/codec/types.js').Subscription> = {},
): import('../../src/codec/types.js').Subscription {
  return {
    topicFilter,
    qos,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    ...extra,
  };
}

/** A PUBLISH packet. */
export function publishOf(
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 | 2,
  packetId = 0,
  extra: Partial<import('../../src/codec/types.js').PublishPacket> = {},
): import('../../src/codec/types.js').PublishPacket {
  return {
    type: 3,
    topic,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
    qos,
    retain: false,
    dup: false,
    packetId,
    properties: undefined,
    ...extra,
  };
}

/** Sends SUBSCRIBE and returns the SUBACK codes. */
export async function subscribeRaw(
  c: RawClient,
  subs: import('../../src/codec/types.js').Subscription[],
  packetId = 1,
  properties?: import('../../src/codec/types.js').Properties,
): Promise<number[]> {
  c.send({ type: 8, packetId, subscriptions: subs, properties });
  const p = await c.next();
  if (p.type !== 9) throw new Error(`expected SUBACK, got type ${p.type}`);
  return p.reasonCodes;
}

/** The next packet, asserted to be a PUBLISH. */
export async function nextPublishOf(
  c: RawClient,
  ms = 2000,
): Promise<import('../../src/codec/types.js').PublishPacket> {
  const p = await c.next(ms);
  if (p.type !== 3) throw new Error(`expected PUBLISH, got type ${p.type}`);
  return p;
}
