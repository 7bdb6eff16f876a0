/**
 * `petrel/codec`: the MQTT 3.1 / 3.1.1 / 5.0 codec shared by the broker and the client.
 * @packageDocumentation
 */
export * from './codec/constants.js';
export * from './codec/errors.js';
export * from './codec/reason-codes.js';
export type * from './codec/types.js';
export {
  PropertyId,
  PropertyType,
  PROPERTIES,
  PROPERTY_BY_ID,
  PROPERTY_BY_NAME,
  WILL_PROPERTIES,
  isPropertyAllowed,
  type PropertyInfo,
} from './codec/properties.js';
export { Framer, type FrameHandler } from './codec/framer.js';
export { decodePacket } from './codec/decode.js';
export { encodePacket, encodePublish, publishPacketIdOffset, writePacketId } from './codec/encode.js';
export {
  validateTopicName,
  validateTopicFilter,
  isValidTopicName,
  isValidTopicFilter,
  parseSharedSubscription,
  topicMatches,
} from './codec/topic.js';
export { validateUtf8 } from './codec/utf8.js';
export { varintLength } from './codec/varint.js';
