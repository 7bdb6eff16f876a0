import type { ProtocolVersion } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import type { AckPacket, Packet, PublishPacket } from '../codec/types.js';
import type { PacketIdAllocator } from '../shared/packet-id.js';
import { ClientError, ClientErrorCode, reasonText } from './errors.js';
import type { PublishResult } from './types.js';

/** Where an outgoing message stands. */
export enum Stage {
  Queued = 0,
  /** PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2). */
  Sent = 1,
  /** PUBREL sent, waiting for PUBCOMP. */
  Released = 2,
}

/** One `publish()` call from queueing to its final acknowledgement. */
export interface Outgoing {
  /** With the full topic: aliases are chosen per connection when written. */
  packet: PublishPacket;
  bytes: number;
  stage: Stage;
  /** The promise was settled (a rejected QoS 1/2 message may still finish its exchange). */
  settled: boolean;
  /** When this message started waiting while offline (0 = not waiting offline). */
  offlineSince: number;
  resolve: (r: PublishResult) => void;
  reject: (e: Error) => void;
}

/** Resolves the publish promise once. */
export function settle(entry: Outgoing, result: PublishResult): void {
  if (entry.settled) return;
  entry.settled = true;
  entry.resolve(result);
}

/** Rejects the publish promise once. */
export function fail(entry: Outgoing, err: Error): void {
  if (entry.settled) return;
  entry.settled = true;
  entry.reject(err);
}

/** What the in-flight table needs from the client. */
export interface InflightHost {
  readonly protocolVersion: ProtocolVersion;
  send(packet: Packet): void;
  /** Writes a PUBLISH for `entry` (choosing a topic alias for this connection). */
  writePublish(entry: Outgoing, packetId: number, dup: boolean): void;
}

/**
 * The QoS 1/2 messages sent and not yet fully acknowledged, by packet id, in sending order:
 * the PUBACK / PUBREC-PUBREL-PUBCOMP state machines and the resend after reconnecting.
 */
export class Inflight {
  private readonly entries = new Map<number, Outgoing>();

  /** `ids` is where the packet ids come from: each is released when its exchange ends. */
  constructor(
    private readonly host: InflightHost,
    private readonly ids: PacketIdAllocator,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(packetId: number): boolean {
    return this.entries.has(packetId);
  }

  /** Records a PUBLISH just written with `packetId`. */
  add(packetId: number, entry: Outgoing): void {
    entry.stage = Stage.Sent;
    this.entries.set(packetId, entry);
  }

  /** PUBACK; true when it freed a slot. */
  onPuback(ack: AckPacket): boolean {
    const entry = this.entries.get(ack.packetId);
    if (entry === undefined || entry.packet.qos !== 1) return false;
    this.remove(ack.packetId);
    finish(entry, ack);
    return true;
  }

  /** PUBREC: answer with PUBREL, or end the exchange on a failure code; true when freed. */
  onPubrec(ack: AckPacket): boolean {
    const entry = this.entries.get(ack.packetId);
    const v5 = this.host.protocolVersion === 5;
    if (entry === undefined || entry.packet.qos !== 2) {
      // An unknown PUBREC still gets a PUBREL (0x92 in v5) so the broker can clean up.
      this.host.send(pubrel(ack.packetId, v5 ? 0x92 : 0));
      return false;
    }
    if (ack.reasonCode >= 0x80) {
      // A failed PUBREC ends the exchange: no PUBREL follows.
      this.remove(ack.packetId);
      finish(entry, ack);
      return true;
    }
    entry.stage = Stage.Released;
    this.host.send(pubrel(ack.packetId, 0));
    return false;
  }

  /** PUBCOMP; true when it freed a slot. */
  onPubcomp(ack: AckPacket): boolean {
    const entry = this.entries.get(ack.packetId);
    if (entry === undefined || entry.stage !== Stage.Released) return false;
    this.remove(ack.packetId);
    // The broker accepted the message with its successful PUBREC: a PUBCOMP 0x92 (Packet
    // Identifier not found) answers a PUBREL resent after the broker had already completed the
    // exchange (it restarted before its PUBCOMP reached us). Not a refusal.
    settle(entry, {
      packetId: ack.packetId,
      reasonCode: ack.reasonCode,
      properties: ack.properties,
    });
    return true;
  }

  /**
   * After CONNACK. With the session present, [MQTT-4.4.0-1]: resend unacknowledged PUBLISH
   * with DUP and PUBREL, with their original ids, in order. Without it, the broker kept
   * nothing: messages it had taken (PUBREC) are done, rejected ones are dropped, the rest is
   * sent again as new.
   */
  resend(sessionPresent: boolean): void {
    for (const [id, entry] of [...this.entries]) {
      if (sessionPresent) {
        if (entry.stage === Stage.Released) this.host.send(pubrel(id, 0));
        else this.host.writePublish(entry, id, true);
      } else if (entry.stage === Stage.Released) {
        this.remove(id);
        settle(entry, { packetId: id, reasonCode: 0, properties: undefined });
      } else if (entry.settled) {
        this.remove(id);
      } else {
        this.host.writePublish(entry, id, false);
      }
    }
  }

  /** Starts the offline clock of every message not already waiting. */
  markOffline(now: number): void {
    for (const [, e] of this.entries) if (e.offlineSince === 0) e.offlineSince = now;
  }

  /**
   * Rejects the promises of messages offline for `limit` ms; they keep their packet ids so the
   * exchange can finish after reconnecting. Returns whether unsettled messages remain.
   */
  expire(now: number, limit: number, error: () => Error): boolean {
    let waiting = false;
    for (const [, e] of this.entries) {
      if (e.settled) continue;
      if (e.offlineSince > 0 && now - e.offlineSince >= limit) fail(e, error());
      else waiting = true;
    }
    return waiting;
  }

  /** True while a promise is still pending. */
  get busy(): boolean {
    for (const [, e] of this.entries) if (!e.settled) return true;
    return false;
  }

  /** Rejects everything and forgets it (the client is closing). */
  failAll(err: Error): void {
    for (const [id, e] of this.entries) {
      fail(e, err);
      this.ids.release(id);
    }
    this.entries.clear();
  }

  /** Ends the exchange of `packetId`: its id may be used again. */
  private remove(packetId: number): void {
    this.entries.delete(packetId);
    this.ids.release(packetId);
  }
}

function pubrel(packetId: number, reasonCode: number): Packet {
  return { type: PacketType.PUBREL, packetId, reasonCode, properties: undefined };
}

function finish(entry: Outgoing, ack: AckPacket): void {
  if (ack.reasonCode >= 0x80) {
    const why = ack.properties?.reasonString ? ` (${ack.properties.reasonString})` : '';
    fail(
      entry,
      new ClientError(
        ClientErrorCode.PublishFailed,
        `publish to '${entry.packet.topic}' refused: ${reasonText(ack.reasonCode)}${why}`,
        ack.reasonCode,
      ),
    );
    return;
  }
  settle(entry, { packetId: ack.packetId, reasonCode: ack.reasonCode, properties: ack.properties });
}
