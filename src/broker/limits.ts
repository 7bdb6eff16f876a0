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
  if (topic.length > options.maxTopicLength && Buffer.byteLength(topic) > options.maxTopicLength) {
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
  if (Buffer.byteLength(topic) > options.maxTopicLength) return false;
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  return levels <= options.maxTopicLevels;
}
