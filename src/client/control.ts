import { PacketType } from '../codec/constants.js';
import type {
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from '../codec/types.js';
import type { Connection } from './connection.js';
import type { ClientCore, ControlPart } from './core.js';
import { closedError } from './errors.js';
import { Queue } from './queue.js';

interface PendingAck {
  packet: SubscribePacket | UnsubscribePacket;
  resolve: (p: SubackPacket | UnsubackPacket) => void;
  reject: (e: Error) => void;
  /** Internal resubscription: failures are emitted, not rejected. */
  internal: boolean;
  /** The connection the packet went out on: only one that is gone calls for a resend. */
  sentOn: Connection | undefined;
}

/**
 * SUBSCRIBE and UNSUBSCRIBE requests: those waiting for a connection and those waiting for
 * their SUBACK / UNSUBACK, by packet id.
 */
export class ControlRequests implements ControlPart {
  private readonly pending = new Map<number, PendingAck>();
  private readonly waiting = new Queue<PendingAck>();

  constructor(private readonly ctx: ClientCore) {}

  /** True while a request is unanswered. */
  get busy(): boolean {
    return this.pending.size > 0 || this.waiting.length > 0;
  }

  /** Sends `packet` (or queues it until connected); resolves with its acknowledgement. */
  request(
    packet: SubscribePacket | UnsubscribePacket,
    internal: boolean,
  ): Promise<SubackPacket | UnsubackPacket> {
    const ctx = this.ctx;
    if (ctx.state === 'closed' || (ctx.state === 'disconnecting' && !internal)) {
      return Promise.reject(closedError());
    }
    return new Promise((resolve, reject) => {
      const pending: PendingAck = { packet, resolve, reject, internal, sentOn: undefined };
      if (ctx.state === 'connected' && ctx.conn?.open) this.sendNow(pending);
      else this.waiting.push(pending);
    });
  }

  /**
   * After CONNACK: sends again, with the same packet id, the requests left unanswered by an
   * earlier connection, then those that waited for one. Requests already sent on this
   * connection (resubscriptions made since CONNACK) are not sent twice.
   */
  resume(): void {
    const conn = this.ctx.conn;
    for (const [, pending] of this.pending) {
      if (pending.sentOn === conn) continue;
      pending.sentOn = conn;
      this.ctx.send(pending.packet);
    }
    while (this.waiting.length > 0) {
      const pending = this.waiting.shift()!;
      this.sendNow(pending);
    }
  }

  /** SUBACK or UNSUBACK. */
  onAck(packet: SubackPacket | UnsubackPacket): void {
    const pending = this.pending.get(packet.packetId);
    const expected =
      packet.type === PacketType.SUBACK ? PacketType.SUBSCRIBE : PacketType.UNSUBSCRIBE;
    if (pending === undefined || pending.packet.type !== expected) return;
    this.pending.delete(packet.packetId);
    this.ctx.packetIds.release(packet.packetId);
    pending.resolve(packet);
  }

  /** Rejects every request made by the application and forgets all (the client is closing). */
  failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.ctx.packetIds.release(id);
      if (!p.internal) p.reject(err);
    }
    this.pending.clear();
    for (const p of this.waiting.drain()) if (!p.internal) p.reject(err);
  }

  private sendNow(pending: PendingAck): void {
    const id = this.ctx.allocatePacketId();
    pending.packet = { ...pending.packet, packetId: id };
    this.pending.set(id, pending);
    pending.sentOn = this.ctx.conn;
    this.ctx.send(pending.packet);
  }
}
