import type { Socket } from 'node:net';
import { createConnection } from 'node:net';
import type { QoS } from '../../src/codec.js';
import {
  encodePacket,
  encodePublish,
  Framer,
  PacketType,
  publishPacketIdOffset,
  writePacketId,
} from '../../src/codec.js';

/** One benchmark load shape. */
export interface Scenario {
  name: string;
  publishers: number;
  subscribers: number;
  qos: QoS;
  /** Topic published by publisher i. */
  topic(i: number): string;
  /** Filter every subscriber subscribes to. */
  filter: string;
  /**
   * Messages a publisher may have sent but not yet seen delivered (to every subscriber): keeps
   * the pipes full while bounding broker memory, so the rate measured is sustainable.
   */
  window: number;
}

export interface LoadResult {
  /** Deliveries per second to subscribers, measured after the warm-up. */
  rate: number;
  delivered: number;
  published: number;
  /** Messages written off after stalling (dropped by the broker). */
  lost: number;
}

const PAYLOAD_BYTES = 32;
const BATCH = 32;
const V311 = 4 as const;
const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** A raw MQTT 3.1.1 client with a Framer; `onPacket` sees every frame after CONNACK. */
class BenchClient {
  readonly socket: Socket;
  private readonly framer: Framer;
  private waiting: ((header: number, body: Buffer) => void) | undefined;
  onPacket: (header: number, body: Buffer) => void = () => undefined;

  constructor(port: number) {
    this.socket = createConnection({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.framer = new Framer((h, b) => {
      const w = this.waiting;
      if (w !== undefined) {
        this.waiting = undefined;
        w(h, b);
      } else this.onPacket(h, b);
    });
    this.socket.on('data', (d: Buffer) => this.framer.push(d));
    this.socket.on('error', () => undefined);
  }

  /** Resolves with the next packet (used during setup only). */
  next(): Promise<{ header: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new Error('connection closed by the broker'));
      this.socket.once('close', onClose);
      this.waiting = (header, body) => {
        this.socket.off('close', onClose);
        resolve({ header, body: Buffer.from(body) });
      };
    });
  }

  async connect(clientId: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    const ack = this.next();
    this.socket.write(
      encodePacket(
        {
          type: PacketType.CONNECT,
          protocolName: 'MQTT',
          protocolVersion: V311,
          clean: true,
          keepAlive: 0,
          clientId,
          username: undefined,
          password: undefined,
          will: undefined,
          properties: undefined,
        },
        V311,
      ),
    );
    const { header, body } = await ack;
    if (header >> 4 !== PacketType.CONNACK || body[1] !== 0)
      throw new Error(`${clientId}: refused`);
  }

  async subscribe(filter: string, qos: QoS): Promise<void> {
    const ack = this.next();
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
        V311,
      ),
    );
    const { header, body } = await ack;
    if (header >> 4 !== PacketType.SUBACK || (body[2] ?? 0x80) >= 0x80) {
      throw new Error(`subscribe ${filter} refused`);
    }
  }
}

/** Pre-encoded batch of BATCH PUBLISH packets with the packet-id offsets of each copy. */
function makeBatch(topic: string, qos: QoS, index: number): { buf: Buffer; idOffsets: number[] } {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  payload.writeUInt16BE(index, 0);
  const one = encodePublish(
    {
      type: PacketType.PUBLISH,
      topic,
      payload,
      qos,
      retain: false,
      dup: false,
      packetId: qos > 0 ? 1 : 0,
      properties: undefined,
    },
    V311,
  );
  const buf = Buffer.alloc(one.length * BATCH);
  const idOffsets: number[] = [];
  const off = qos > 0 ? publishPacketIdOffset(one) : -1;
  for (let i = 0; i < BATCH; i++) {
    one.copy(buf, i * one.length);
    if (off >= 0) idOffsets.push(i * one.length + off);
  }
  return { buf, idOffsets };
}

/** Runs one scenario for `seconds` (the first one is warm-up) against 127.0.0.1:port. */
export async function runLoad(
  port: number,
  s: Scenario,
  seconds: number,
  tag: string,
): Promise<LoadResult> {
  const subs: BenchClient[] = [];
  const pubs: BenchClient[] = [];
  // receivedBy[p] = deliveries of publisher p's messages summed over subscribers.
  const receivedBy = new Float64Array(s.publishers);
  const sent = new Float64Array(s.publishers);
  const lostBy = new Float64Array(s.publishers);
  let delivered = 0;
  let running = true;

  let started = false;
  const batches: { buf: Buffer; idOffsets: number[] }[] = [];
  let nextId = 1;
  const fanout = s.subscribers;
  function pump(i: number): void {
    const c = pubs[i] as BenchClient;
    const b = batches[i] as { buf: Buffer; idOffsets: number[] };
    while (running && !c.socket.writableNeedDrain) {
      const outstanding =
        (sent[i] ?? 0) - ((receivedBy[i] ?? 0) + (lostBy[i] ?? 0) * fanout) / fanout;
      if (outstanding + BATCH > s.window) return;
      let out = b.buf;
      if (b.idOffsets.length > 0) {
        out = Buffer.from(b.buf);
        for (const off of b.idOffsets) {
          writePacketId(out, off, nextId);
          nextId = nextId === 65535 ? 1 : nextId + 1;
        }
      }
      c.socket.write(out);
      sent[i] = (sent[i] ?? 0) + BATCH;
    }
  }
  function pumpAll(): void {
    if (!started) return;
    for (let i = 0; i < pubs.length; i++) pump(i);
  }

  try {
    for (let i = 0; i < s.subscribers; i++) {
      const c = new BenchClient(port);
      await c.connect(`${tag}-s${i}`);
      await c.subscribe(s.filter, s.qos);
      const acks: Buffer[] = [];
      c.onPacket = (header, body) => {
        if (header >> 4 !== PacketType.PUBLISH) return;
        const tlen = body.readUInt16BE(0);
        let p = 2 + tlen;
        if (((header >> 1) & 3) > 0) {
          acks.push(Buffer.from([0x40, 0x02, body[p] ?? 0, body[p + 1] ?? 0]));
          p += 2;
        }
        const from = body.readUInt16BE(p);
        receivedBy[from] = (receivedBy[from] ?? 0) + 1;
        delivered++;
      };
      c.socket.on('data', () => {
        if (acks.length > 0) {
          c.socket.write(acks.length === 1 ? (acks[0] as Buffer) : Buffer.concat(acks));
          acks.length = 0;
        }
        if (running) pumpAll();
      });
      subs.push(c);
    }
    for (let i = 0; i < s.publishers; i++) {
      const c = new BenchClient(port);
      await c.connect(`${tag}-p${i}`);
      c.onPacket = () => undefined; // PUBACKs: the window already bounds what is in flight
      c.socket.on('drain', () => {
        if (running) pump(i);
      });
      pubs.push(c);
      batches.push(makeBatch(s.topic(i), s.qos, i));
    }

    // Stall detector: a broker that drops messages (queue policy) would freeze the window, so
    // after 2 s without any delivery the outstanding messages are written off as lost.
    let lastDelivered = -1;
    const stall = setInterval(() => {
      if (delivered === lastDelivered) {
        for (let i = 0; i < pubs.length; i++) {
          const out = (sent[i] ?? 0) - ((receivedBy[i] ?? 0) + (lostBy[i] ?? 0) * fanout) / fanout;
          if (out > 0) lostBy[i] = (lostBy[i] ?? 0) + out;
        }
        pumpAll();
      }
      lastDelivered = delivered;
    }, 2000);

    started = true;
    pumpAll();
    await sleep(1000);
    const d0 = delivered;
    const t0 = performance.now();
    await sleep((seconds - 1) * 1000);
    const d1 = delivered;
    const t1 = performance.now();
    running = false;
    clearInterval(stall);
    // Let what is in flight drain, then leave politely: some brokers choke on abrupt resets.
    await sleep(300);
    for (const c of [...pubs, ...subs]) c.socket.end(DISCONNECT);
    await sleep(100);
    const published = sent.reduce((a, b) => a + b, 0);
    if (delivered > published * s.subscribers) {
      throw new Error(`${delivered} deliveries for ${published} messages: duplicates`);
    }
    return {
      rate: ((d1 - d0) * 1000) / (t1 - t0),
      delivered: d1,
      published,
      lost: lostBy.reduce((a, b) => a + b, 0),
    };
  } finally {
    running = false;
    for (const c of [...pubs, ...subs]) c.socket.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
