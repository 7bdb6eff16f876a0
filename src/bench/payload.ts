// The payload every generated message carries: who sent it, its sequence number and when, so a
// subscriber measures latency and spots losses and duplicates without any shared state.
//   0..1 magic 'PB' | 2..5 run tag | 6..9 publisher | 10..13 sequence | 14..21 send time (f64 ms)
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import { encodePublish, publishPacketIdOffset } from '../codec/encode.js';
import { PAYLOAD_HEADER } from './options.js';

const MAGIC0 = 0x50;
const MAGIC1 = 0x42;
/** Offsets inside the payload. */
export const TAG_AT = 2;
export const PUB_AT = 6;
export const SEQ_AT = 10;
export const TIME_AT = 14;

/** Encoded PUBLISH packets of this size and more are sent as a patched head and a shared tail. */
export const SPLIT_AT = 16 * 1024;

/** One encoded PUBLISH to copy per message, with where to patch the id, sequence and time. */
export interface PublishTemplate {
  bytes: Buffer;
  /**
   * Big packets: the bytes after the payload's header, written as they are after each
   * message's patched head (`bytes` up to there) in the same writev, never copied.
   */
  tail: Buffer | undefined;
  /** Offset of the packet id, -1 at QoS 0. */
  idAt: number;
  /** Offset of the payload. */
  payloadAt: number;
}

/** Encodes publisher `pub`'s PUBLISH once; only id, sequence and time change per message. */
export function publishTemplate(
  topic: string,
  qos: QoS,
  size: number,
  tag: number,
  pub: number,
  version: ProtocolVersion,
): PublishTemplate {
  const payload = Buffer.alloc(Math.max(size, PAYLOAD_HEADER), 0x2e);
  payload[0] = MAGIC0;
  payload[1] = MAGIC1;
  payload.writeUInt32BE(tag >>> 0, TAG_AT);
  payload.writeUInt32BE(pub, PUB_AT);
  const encoded = encodePublish(
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
    version,
  );
  // The codec may hand out a slice of a shared slab: keep a private copy.
  const bytes = Buffer.from(encoded);
  const payloadAt = bytes.length - payload.length;
  return {
    bytes,
    tail: bytes.length >= SPLIT_AT ? bytes.subarray(payloadAt + PAYLOAD_HEADER) : undefined,
    idAt: qos > 0 ? publishPacketIdOffset(bytes) : -1,
    payloadAt,
  };
}

/** Whether the payload at `body[at..end)` carries a generator header. */
export function isBenchPayload(body: Buffer, at: number, end: number): boolean {
  return end - at >= PAYLOAD_HEADER && body[at] === MAGIC0 && body[at + 1] === MAGIC1;
}
