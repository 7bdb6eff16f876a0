import { MqttError } from '../codec/errors.js';
import { ReasonCode } from '../codec/reason-codes.js';
import type { ResolvedOptions } from './options.js';

/**
 * Checks a topic name or filter against the configured maximum length and level count.
 * Throws MqttError with `reason` (0x90 for names in PUBLISH, 0x8F for filters).
 */
export function checkTopicLimits(
  topic: string,
  options: ResolvedOptions,
  reason: number = ReasonCode.TopicNameInvalid,
): void {
  if (longerThan(topic, options.maxTopicLength)) {
    throw new MqttError(
      'TOPIC_TOO_LONG',
      `topic longer than ${options.maxTopicLength} bytes`,
      reason,
    );
  }
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  if (levels > options.maxTopicLevels) {
    throw new MqttError(
      'TOPIC_TOO_DEEP',
      `topic has more than ${options.maxTopicLevels} levels`,
      reason,
    );
  }
}

/** Whether a topic is within the limits (for subscriptions, which refuse per filter). */
export function topicWithinLimits(topic: string, options: ResolvedOptions): boolean {
  if (longerThan(topic, options.maxTopicLength)) return false;
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  return levels <= options.maxTopicLevels;
}

/**
 * Whether `s` takes more than `max` bytes in UTF-8, without encoding it in the common cases
 * (a UTF-16 unit is 1 to 3 UTF-8 bytes).
 */
export function longerThan(s: string, max: number): boolean {
  if (s.length > max) return true;
  if (s.length * 3 <= max) return false;
  return Buffer.byteLength(s) > max;
}
