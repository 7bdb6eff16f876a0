// What travels between nodes on NATS. Forwarded messages travel in batches, one NATS payload for
// the messages one node sends another in an event-loop turn: a version byte, then per message
// its length and a record: a small prefix (origin client id, message id, the shared groups the
// receiver serves) followed by the message as an MQTT 5 PUBLISH packet, so the codec that reads
// clients' packets carries topic, QoS, retain flag, properties and payload, and a topic needs no
// encoding into a subject. Interest, heartbeats and snapshots are small JSON documents.

import type { Message } from '../broker/message.js';
import { PacketType } from '../codec/constants.js';
import { decodePacket } from '../codec/decode.js';
import { encodePacket } from '../codec/encode.js';
import type { Properties, PublishPacket } from '../codec/types.js';
import { readVarint, varintBytes } from '../codec/varint.js';

const VERSION = 1;
/** First byte of a batch of forwarded messages. */
const BATCH_VERSION = 2;
/** A batch's first part: its version byte (shared, never modified). */
export const BATCH_START: Buffer = Buffer.of(BATCH_VERSION);

/** A forwarded message as the receiving node reads it. */
export interface ForwardedMessage {
  /** Client id of the publisher ('' for wills' … of server messages): No Local needs it. */
  origin: string;
  /**
   * Cluster-unique id: a second copy (a QoS 2 resend) is recognised by it. Empty for QoS 0,
   * which is never sent twice.
   */
  msgId: string;
  /** Shared groups (`SharedGroup.key`) the receiver serves for this message. */
  groups: string[];
  packet: PublishPacket;
}

/**
 * The PUBLISH part of a forwarded message, encoded once for every receiver. Message Expiry is
 * sent as what is left of it ([MQTT-3.3.2-6]); the caller does not forward an expired message.
 */
export function encodePublishPart(msg: Message, now: number): Buffer {
  let props: Properties | undefined = msg.properties;
  if (msg.expiresAt !== 0 && props !== undefined) {
    props = {
      ...props,
      messageExpiryInterval: Math.max(1, Math.ceil((msg.expiresAt - now) / 1000)),
    };
  }
  return encodePacket(
    {
      type: PacketType.PUBLISH,
      topic: msg.topic,
      payload: msg.payload,
      qos: msg.qos,
      retain: msg.retain,
      dup: false,
      packetId: msg.qos > 0 ? 1 : 0,
      properties: props,
    },
    5,
  );
}

/** One receiver's record: the prefix for it, then the shared PUBLISH part. */
export function encodeForward(
  origin: string,
  msgId: string,
  groups: readonly string[],
  publish: Buffer,
): Buffer {
  const out = Buffer.allocUnsafe(batchRecordSize(origin, msgId, groups, publish));
  writeBatchRecord(out, 0, origin, msgId, groups, publish);
  return out.subarray(4);
}

/** Bytes {@link writeBatchRecord} writes: the record's length (u32) and the record. */
export function batchRecordSize(
  origin: string,
  msgId: string,
  groups: readonly string[],
  publish: Buffer,
): number {
  let n = 4 + 1 + 2 + Buffer.byteLength(origin, 'utf8') + 1 + msgId.length + 2;
  for (const g of groups) n += 2 + Buffer.byteLength(g, 'utf8');
  return n + publish.length;
}

/**
 * Writes a record's place in a batch at `pos` of `out` (which has room for
 * {@link batchRecordSize} bytes): its length (u32), its prefix (origin, message id, groups), then
 * the PUBLISH part, encoded once for every receiving node. Returns the position after it.
 */
export function writeBatchRecord(
  out: Buffer,
  pos: number,
  origin: string,
  msgId: string,
  groups: readonly string[],
  publish: Buffer,
): number {
  const start = pos;
  pos += 4;
  pos = out.writeUInt8(VERSION, pos);
  const ol = out.write(origin, pos + 2, 'utf8');
  out.writeUInt16BE(ol, pos);
  pos += 2 + ol;
  pos = out.writeUInt8(msgId.length, pos);
  pos += out.write(msgId, pos, 'latin1');
  pos = out.writeUInt16BE(groups.length, pos);
  for (const g of groups) {
    const gl = out.write(g, pos + 2, 'utf8');
    out.writeUInt16BE(gl, pos);
    pos += 2 + gl;
  }
  pos += publish.copy(out, pos);
  out.writeUInt32BE(pos - start - 4, start);
  return pos;
}

/** A batch of records (each as {@link encodeForward} makes it): what a node sends another. */
export function encodeBatch(records: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [BATCH_START];
  for (const r of records) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(r.length, 0);
    parts.push(len, r);
  }
  return Buffer.concat(parts);
}

/**
 * Reads a batch of forwarded messages, every one of them or none: throws an Error naming the
 * problem (and the record) for bytes that are not one.
 */
export function decodeBatch(data: Uint8Array): ForwardedMessage[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 1 || buf[0] !== BATCH_VERSION) {
    throw new Error(`forwarded batch version ${buf[0] ?? '(empty)'} unknown`);
  }
  const out: ForwardedMessage[] = [];
  let pos = 1;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new Error(`forwarded batch truncated at byte ${pos}`);
    const len = buf.readUInt32BE(pos);
    pos += 4;
    if (pos + len > buf.length) throw new Error(`forwarded batch: record ${out.length} truncated`);
    try {
      out.push(decodeForward(buf.subarray(pos, pos + len)));
    } catch (err) {
      throw new Error(`forwarded batch: record ${out.length}: ${(err as Error).message}`);
    }
    pos += len;
  }
  return out;
}

/** Reads a forwarded message; throws an Error naming the problem for bytes that are not one. */
export function decodeForward(data: Uint8Array): ForwardedMessage {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const need = (pos: number, n: number) => {
    if (pos + n > buf.length) throw new Error(`forwarded message truncated at byte ${pos}`);
  };
  need(0, 3);
  if (buf[0] !== VERSION) throw new Error(`forwarded message version ${buf[0]} unknown`);
  let pos = 1;
  const ol = buf.readUInt16BE(pos);
  pos += 2;
  need(pos, ol + 1);
  const origin = buf.toString('utf8', pos, pos + ol);
  pos += ol;
  const il = buf.readUInt8(pos);
  pos += 1;
  need(pos, il + 2);
  const msgId = buf.toString('latin1', pos, pos + il);
  pos += il;
  const count = buf.readUInt16BE(pos);
  pos += 2;
  const groups: string[] = [];
  for (let i = 0; i < count; i++) {
    need(pos, 2);
    const gl = buf.readUInt16BE(pos);
    pos += 2;
    need(pos, gl);
    groups.push(buf.toString('utf8', pos, pos + gl));
    pos += gl;
  }
  return { origin, msgId, groups, packet: decodePublishAt(buf, pos, 'forwarded message') };
}

/** The MQTT 5 PUBLISH packet that fills `buf` from `pos`; `what` names the container in errors. */
function decodePublishAt(buf: Buffer, pos: number, what: string): PublishPacket {
  if (pos + 2 > buf.length) throw new Error(`${what} truncated at byte ${pos}`);
  const header = buf[pos] as number;
  const len = readVarint(buf, pos + 1, buf.length);
  if (len < 0) throw new Error(`${what} truncated in its PUBLISH header`);
  const start = pos + 1 + varintBytes;
  if (start + len !== buf.length) throw new Error(`${what} length mismatch`);
  const packet = decodePacket(header, buf.subarray(start), 5);
  if (packet.type !== PacketType.PUBLISH) throw new Error(`${what} is not a PUBLISH`);
  return packet;
}

/**
 * A retained message as kept in the KV bucket: the time it was published (ms since the epoch,
 * for its Message Expiry) and the message as an MQTT 5 PUBLISH packet.
 */
export function encodeRetained(publish: Buffer, publishedAt: number): Buffer {
  const out = Buffer.allocUnsafe(9 + publish.length);
  out.writeUInt8(VERSION, 0);
  out.writeDoubleBE(publishedAt, 1);
  publish.copy(out, 9);
  return out;
}

export function decodeRetained(data: Uint8Array): { publishedAt: number; packet: PublishPacket } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 11) throw new Error('retained entry truncated');
  if (buf[0] !== VERSION) throw new Error(`retained entry version ${buf[0]} unknown`);
  return {
    publishedAt: buf.readDoubleBE(1),
    packet: decodePublishAt(buf, 9, 'retained entry'),
  };
}

/**
 * A topic or client id as a KV key: base64url of its UTF-8 (KV keys allow only letters, digits
 * and a few marks, and `.` separates tokens), so any string maps to one key and back.
 */
export function kvKey(topic: string): string {
  return Buffer.from(topic, 'utf8').toString('base64url');
}

export function kvKeyText(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}

/** A node's announcement of its interest: changes numbered by `seq`, or the whole set. */
export interface InterestDoc {
  node: string;
  /** Random per process start: a new run means the node's interest starts over. */
  run: string;
  /** Number of the last change included. */
  seq: number;
  /** Filters added, as clients sent them (`$share/g/f` for shared ones). */
  add?: string[];
  remove?: string[];
  /** Snapshots only: every filter of the node. */
  filters?: string[];
}

/** A node's heartbeat. */
/** A node's confirmation that it applied interest change `seq` of the announcer. */
export interface InterestAckDoc {
  node: string;
  seq: number;
}

export interface HeartbeatDoc {
  node: string;
  run: string;
  /** Its last interest change: a receiver that saw fewer asks for a snapshot. */
  seq: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(doc: object): Uint8Array {
  return encoder.encode(JSON.stringify(doc));
}

/** Parses a JSON document from another node; throws naming the subject for anything else. */
export function decodeJson<T extends { node: string }>(data: Uint8Array, subject: string): T {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    throw new Error(`${subject}: not JSON`);
  }
  if (typeof v !== 'object' || v === null || typeof (v as { node?: unknown }).node !== 'string') {
    throw new Error(`${subject}: not a node document`);
  }
  return v as T;
}

/** Buffers in a JSON document (payloads, correlation data) travel as `{ "$b": base64 }`. */
export function encodeJsonWithBuffers(doc: object): Uint8Array {
  return encoder.encode(
    JSON.stringify(doc, function (this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      return Buffer.isBuffer(raw) ? { $b: raw.toString('base64') } : value;
    }),
  );
}

export function decodeJsonWithBuffers<T>(data: Uint8Array): T {
  return JSON.parse(decoder.decode(data), (_key, value: unknown) => {
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { $b?: unknown }).$b === 'string'
    ) {
      return Buffer.from((value as { $b: string }).$b, 'base64');
    }
    return value;
  }) as T;
}
