import type { Properties, Will } from '../codec/types.js';
import type { BrokerCore } from './core.js';
import { Message } from './message.js';

/** Copies a will out of the CONNECT packet (its payload is a view into the read chunk). */
export function ownWill(will: Will | undefined): Will | undefined {
  if (will === undefined) return undefined;
  return {
    topic: will.topic,
    payload: Buffer.from(will.payload),
    qos: will.qos,
    retain: will.retain,
    properties: will.properties,
  };
}

/** The will's properties that travel with the message (everything but the Will Delay). */
function forwardable(p: Properties | undefined): Properties | undefined {
  if (p === undefined) return undefined;
  const { willDelayInterval: _delay, ...rest } = p;
  if (rest.correlationData !== undefined) rest.correlationData = Buffer.from(rest.correlationData);
  return Object.keys(rest).length === 0 ? undefined : rest;
}

/** Publishes a client's will message ([MQTT-3.1.2-8]). */
export function publishWill(broker: BrokerCore, clientId: string, will: Will): void {
  const msg = new Message(
    will.topic,
    will.payload,
    will.qos,
    will.retain,
    forwardable(will.properties),
    clientId,
    broker.clock.now,
  );
  msg.owned = true;
  broker.log.debug({ clientId, topic: will.topic }, 'publishing will');
  // A will has no publisher waiting for an ack: the forward is not awaited.
  void broker.cluster?.forward(msg, 0);
  broker.router.publish(msg);
}

/**
 * When a will is due after its connection's loss, ms: its Will Delay bounded by the session's
 * expiry (a session ending first sends it then), 0 for at once.
 */
export function willDueMs(will: Will, expiryInterval: number): number {
  const delay = willDelay(will);
  return delay > 0 && expiryInterval > 0 ? Math.min(delay, expiryInterval) * 1000 : 0;
}

/** Will Delay Interval in seconds (v5), 0 otherwise. */
export function willDelay(will: Will): number {
  return will.properties?.willDelayInterval ?? 0;
}
