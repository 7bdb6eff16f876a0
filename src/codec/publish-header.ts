import { PacketType, type ProtocolVersion } from './constants.js';
import { encodePublish } from './packets/publish.js';
import type { PublishPacket } from './types.js';
import { varintLength, writeVarint } from './varint.js';
import { allocBuffer } from './writer.js';

const EMPTY = Buffer.alloc(0);

// A reused packet object: the header is encoded from `packet` with an empty payload.
const scratch: PublishPacket = {
  type: PacketType.PUBLISH,
  topic: '',
  payload: EMPTY,
  qos: 0,
  retain: false,
  dup: false,
  packetId: 0,
  properties: undefined,
};

/**
 * Encodes everything of a PUBLISH but its payload: the fixed header (whose Remaining Length
 * counts the payload), topic, packet id and properties. Sending this buffer followed by
 * `packet.payload` puts the same bytes on the wire as {@link encodePublish}, without copying a
 * large payload into a new buffer. Validates like {@link encodePublish}.
 * {@link publishPacketIdOffset} and {@link writePacketId} work on the result.
 */
export function encodePublishHeader(packet: PublishPacket, version: ProtocolVersion): Buffer {
  scratch.topic = packet.topic;
  scratch.qos = packet.qos;
  scratch.retain = packet.retain;
  scratch.dup = packet.dup;
  scratch.packetId = packet.packetId;
  scratch.properties = packet.properties;
  let bare: Buffer;
  try {
    bare = encodePublish(scratch, version);
  } finally {
    scratch.properties = undefined;
  }
  // `bare` = first byte, Remaining Length of the header alone, then the rest of the header.
  let pos = 1;
  while (((bare[pos] as number) & 0x80) !== 0) pos++;
  pos++;
  const rest = bare.length - pos;
  const remaining = rest + packet.payload.length;
  const out = allocBuffer(1 + varintLength(remaining) + rest);
  out[0] = bare[0] as number;
  const at = writeVarint(out, 1, remaining);
  bare.copy(out, at, pos);
  return out;
}
