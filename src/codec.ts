/**
 * `petrel/codec`: the MQTT 3.1 / 3.1.1 / 5.0 codec shared by the broker and the client.
 * @packageDocumentation
 */
export * from './codec/constants.js';
export { decodePacket } from './codec/decode.js';
export {
  encodePacket,
  encodePublish,
  publishPacketIdOffset,
  writePacketId,
} from './codec/encode.js';
export * from './codec/errors.js';
export { type FrameHandler, Framer } from './codec/framer.js';
export {
  isPropertyAllowed,
  PROPERTIES,
  PROPERTY_BY_ID,
  PROPERTY_BY_NAME,
  PropertyId,
  type PropertyInfo,
  PropertyType,
  WILL_PROPERTIES,
} from './codec/properties.js';
export * from './codec/reason-codes.js';
export {
  isValidTopicFilter,
  isValidTopicName,
  parseSharedSubscription,
  type TopicFilterOptions,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from './codec/topic.js';
export type * from './codec/types.js';
export { validateUtf8 } from './codec/utf8.js';
export { varintLength } from './codec/varint.js';
