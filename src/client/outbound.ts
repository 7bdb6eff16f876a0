import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { validateTopicName } from '../codec/topic.js';
import type { Packet, PublishPacket } from '../codec/types.js';
import type { ClientCore, OutboundPart } from './core.js';
import { ClientError, ClientErrorCode, closedError, invalid, offlineError } from './errors.js';
import type { InflightHost, Outgoing } from './inflight.js';
import { fail, Inflight, settle } from './inflight.js';
import { BoundedQueue } from './queue.js';

/**
 * The path of `publish()`: checks, the queue of messages waiting for the connection or for the
 * broker's Receive Maximum, packet ids, topic aliases at write time, and the in-flight table.
 */
export class Outbound implements InflightHost, OutboundPart {
  /** Messages waiting to be sent (offline or beyond the broker's Receive Maximum). */
  readonly queue: BoundedQueue<Outgoing>;
  /** QoS 1/2 messages sent and not yet fully acknowledged. */
  readonly inflight: Inflight;

  constructor(private readonly ctx: ClientCore) {
    this.queue = new BoundedQueue(ctx.opts.maxQueuedMessages, ctx.opts.maxQueuedBytes);
    this.inflight = new Inflight(this, ctx.packetIds);
  }

  /** The protocol level in use (for the in-flight table). */
  get protocolVersion(): ProtocolVersion {
    return this.ctx.version;
  }

  /** Sends a PUBREL (for the in-flight table). */
  send(packet: Packet): void {
    this.ctx.send(packet);
  }

  /** Why `packet` cannot be published now, or undefined. */
  check(packet: PublishPacket): Error | undefined {
    const ctx = this.ctx;
    if (ctx.state === 'closed' || ctx.state === 'disconnecting') return closedError();
    const alias = packet.properties?.topicAlias;
    if (!(packet.topic === '' && alias !== undefined)) {
      try {
        validateTopicName(packet.topic);
      } catch (err) {
        return err as Error;
      }
    }
    if (packet.qos !== 0 && packet.qos !== 1 && packet.qos !== 2) {
      return invalid(`invalid QoS ${String(packet.qos)}`);
    }
    if (ctx.connack !== undefined) return ctx.limits.check(packet, ctx.version);
    return undefined;
  }

  /** Sends a checked message now, or queues it. */
  submit(entry: Outgoing): void {
    if (this.canSendNow(entry.packet.qos)) this.sendPublish(entry);
    else this.enqueue(entry);
  }

  /** Sends queued messages while the connection and the broker's Receive Maximum allow. */
  drain(): void {
    const ctx = this.ctx;
    const conn = ctx.conn;
    while (ctx.state === 'connected' || ctx.state === 'disconnecting') {
      if (conn === undefined || !conn.open || !conn.writable || ctx.connack === undefined) return;
      const entry = this.queue.peek();
      if (entry === undefined) break;
      if (entry.packet.qos > 0 && this.inflight.size >= ctx.limits.sendQuota) break;
      this.queue.shift();
      entry.offlineSince = 0;
      this.sendPublish(entry);
    }
    ctx.idle.notify();
  }

  /** An acknowledgement arrived; `freed` when it ended an exchange. */
  onAck(freed: boolean): void {
    if (freed) this.drain();
  }

  /** Writes a PUBLISH for `entry`, choosing a topic alias for this connection. */
  writePublish(entry: Outgoing, packetId: number, dup: boolean): void {
    const p = entry.packet;
    let topic = p.topic;
    let properties = p.properties;
    // Topic aliases live for one connection, so they are chosen at write time.
    if (this.ctx.version === 5 && properties?.topicAlias === undefined) {
      const alias = this.ctx.aliases.outbound(topic);
      if (alias !== undefined) {
        properties = { ...properties, topicAlias: alias.alias };
        if (alias.known) topic = '';
      }
    }
    this.ctx.send({ ...p, topic, properties, packetId, dup });
  }

  /** Rejects everything queued or in flight and forgets it (the client is closing). */
  failAll(err: Error): void {
    for (const entry of this.queue.drain()) fail(entry, err);
    this.inflight.failAll(err);
  }

  private canSendNow(qos: QoS): boolean {
    const ctx = this.ctx;
    const conn = ctx.conn;
    return (
      ctx.state === 'connected' &&
      conn !== undefined &&
      conn.writable &&
      this.queue.length === 0 &&
      (qos === 0 || this.inflight.size < ctx.limits.sendQuota)
    );
  }

  private enqueue(entry: Outgoing): void {
    const offline = this.ctx.state !== 'connected';
    if (offline && this.ctx.opts.offlineTimeout <= 0) {
      entry.reject(offlineError(0));
      return;
    }
    if (offline) entry.offlineSince = Date.now();
    // Online, the queue only waits for the broker's Receive Maximum (flow control, drained by
    // acknowledgements); the limits bound what piles up while no broker drains it.
    if (!this.queue.push(entry, offline)) {
      entry.reject(
        new ClientError(
          ClientErrorCode.QueueFull,
          `offline queue full (limits: ${this.queue.maxItems} messages, ` +
            `${this.queue.maxBytes} bytes; holding ${this.queue.length} messages, ` +
            `${this.queue.bytes} bytes)`,
          0x97,
        ),
      );
      return;
    }
    if (offline) this.ctx.offline.schedule();
  }

  private sendPublish(entry: Outgoing): void {
    if (entry.packet.qos === 0) {
      this.writePublish(entry, 0, false);
      settle(entry, { packetId: 0, reasonCode: 0, properties: undefined });
      return;
    }
    const id = this.ctx.allocatePacketId();
    this.inflight.add(id, entry);
    this.writePublish(entry, id, false);
  }
}
