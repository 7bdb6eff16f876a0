import type { Duplex } from 'node:stream';
import type { Transport, TransportEvents } from '../client/transport.js';
import { PacketType, type ProtocolVersion } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { encodePacket } from '../codec/encode.js';
import { Framer } from '../codec/framer.js';
import type { ConnackPacket, ConnectPacket, Packet } from '../codec/types.js';

/** What a {@link Link} reports to its owner once connected. */
export interface LinkOwner {
  /** A packet other than CONNACK and PINGRESP. The packet's buffers are views: copy to keep. */
  onPacket(link: Link, packet: Packet): void;
  /** The link is closed (called once); `error` says why when it was not asked for. */
  onClose(link: Link, error: Error | undefined): void;
  /** The link's transport can take more bytes again after a write returned false. */
  onDrain(link: Link): void;
}

/** Opens a transport given its event callbacks. */
export type Opener = (events: TransportEvents) => Promise<Transport>;

/** How to open a {@link Link}. */
export interface LinkOptions {
  /** Which side of the bridge this is. */
  side: 'local' | 'remote';
  /** The CONNECT to send. */
  connect: ConnectPacket;
  /** How long CONNACK may take, ms. */
  timeoutMs: number;
  /** Largest packet accepted from the peer, bytes. */
  maxPacketSize: number;
}

/** A refused CONNACK: `code` is the v3 return code or the v5 reason code. */
export class ConnackError extends Error {
  constructor(readonly code: number) {
    super(`connection refused with code 0x${code.toString(16).padStart(2, '0')}`);
  }
}

/**
 * One MQTT connection from the client side, packet in, packet out, with no state of its own
 * beyond keep-alive: the bridge mirrors each exchange between its two links with the same
 * packet ids, so the broker's stored session is the only record of what is in flight.
 * (`MqttClient` acknowledges on receipt and chooses its own ids, which this must not.)
 */
export class Link {
  readonly version: ProtocolVersion;
  readonly side: 'local' | 'remote';
  private transport: Transport | undefined = undefined;
  private readonly framer: Framer;
  private closed = false;
  /** A successful CONNACK was read: packets after it go to the owner at once, in order. */
  private connected = false;
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined = undefined;
  private connack: ((p: ConnackPacket) => void) | undefined = undefined;
  private failed: ((e: Error) => void) | undefined = undefined;

  private constructor(
    options: LinkOptions,
    private readonly owner: LinkOwner,
  ) {
    this.version = options.connect.protocolVersion;
    this.side = options.side;
    this.framer = new Framer((header, body) => this.onFrame(header, body), options.maxPacketSize);
  }

  /**
   * Opens the transport, sends CONNECT and waits for a successful CONNACK. Rejects with a
   * {@link ConnackError} when refused, or the transport's error; nothing stays open then.
   */
  static async open(
    opener: Opener,
    options: LinkOptions,
    owner: LinkOwner,
  ): Promise<{ link: Link; connack: ConnackPacket }> {
    const link = new Link(options, owner);
    const connack = new Promise<ConnackPacket>((resolve, reject) => {
      link.connack = resolve;
      link.failed = reject;
    });
    // A transport that fails to open rejects this before anyone awaits it.
    connack.catch(() => {});
    const timeout = setTimeout(
      () => link.destroy(new Error(`no CONNACK within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    timeout.unref();
    try {
      link.transport = await opener({
        onData: (chunk) => link.onData(chunk),
        onDrain: () => {
          if (link.connected) owner.onDrain(link);
        },
        onClose: (err) => link.onTransportClose(err),
      });
      if (link.closed) link.transport.destroy();
      else link.transport.write(encodePacket(options.connect, options.connect.protocolVersion));
      const ack = await connack;
      if (ack.reasonCode !== 0) {
        link.destroy(undefined);
        throw new ConnackError(ack.reasonCode);
      }
      const keepAlive = options.connect.keepAlive;
      if (keepAlive > 0) {
        link.timer = setInterval(() => link.onKeepAlive(keepAlive * 1000), keepAlive * 500);
        link.timer.unref();
      }
      return { link, connack: ack };
    } catch (err) {
      link.destroy(err as Error);
      throw err;
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Whether the link is still open. */
  get open(): boolean {
    return !this.closed;
  }

  /** Sends a packet; false when the transport's buffer is full (wait for `onDrain`). */
  send(packet: Packet): boolean {
    if (this.closed || this.transport === undefined) return true;
    return this.transport.write(encodePacket(packet, this.version));
  }

  /** Stops reading from the peer (back-pressure from the other link). */
  pause(): void {
    this.transport?.pause();
  }

  resume(): void {
    this.transport?.resume();
  }

  /** Sends DISCONNECT and closes. */
  end(): void {
    if (this.closed) return;
    this.send({ type: PacketType.DISCONNECT, reasonCode: 0, properties: undefined });
    this.transport?.end();
    this.finish(undefined);
  }

  /** Closes at once; the owner hears `error`. */
  destroy(error: Error | undefined): void {
    if (this.closed) return;
    this.transport?.destroy();
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.failed?.(error ?? new Error('connection closed before CONNACK'));
    this.failed = undefined;
    this.connack = undefined;
    if (this.connected) this.owner.onClose(this, error);
  }

  private onTransportClose(err: Error | undefined): void {
    this.finish(err ?? (this.closed ? undefined : new Error('connection closed by the peer')));
  }

  private onKeepAlive(keepAliveMs: number): void {
    // [MQTT-3.1.2-24] the server may close after 1.5 keep-alives of silence; we give it as long.
    if (Date.now() - this.lastHeard > keepAliveMs * 1.5) {
      this.destroy(new Error('keep-alive timeout: no packet from the peer'));
      return;
    }
    this.send({ type: PacketType.PINGREQ });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastHeard = Date.now();
    try {
      this.framer.push(chunk);
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  private onFrame(header: number, body: Buffer): void {
    if (this.closed) return;
    const packet = decodePacket(header, body, this.version);
    if (packet.type === PacketType.CONNACK) {
      const resolve = this.connack;
      this.connack = undefined;
      this.failed = undefined;
      if (resolve === undefined) throw new Error('unexpected CONNACK');
      // Set before the next frame of the same read: a broker sends queued messages right after.
      this.connected = packet.reasonCode === 0;
      resolve(packet);
      return;
    }
    if (packet.type === PacketType.PINGRESP) return;
    if (!this.connected) throw new Error(`packet type ${packet.type} before CONNACK`);
    this.owner.onPacket(this, packet);
  }
}

/** A {@link Transport} over an in-process stream (the local end of the bridge's pipe). */
export function streamOpener(stream: Duplex): Opener {
  return (events) => {
    let failure: Error | undefined;
    stream.on('data', (chunk: Buffer) => events.onData(chunk));
    stream.on('drain', () => events.onDrain());
    stream.on('error', (err: Error) => {
      failure ??= err;
    });
    stream.once('close', () => events.onClose(failure));
    return Promise.resolve({
      write: (data) => stream.write(data),
      end: () => {
        stream.end();
      },
      destroy: () => stream.destroy(),
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    });
  };
}
