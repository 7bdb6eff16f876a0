import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import type { Session } from './session/session.js';

// Back-pressure (`overflow: 'backpressure'`, the default): a QoS 1/2 message for a connected
// subscriber whose queue is full is still queued, since its publisher gets (or already got) a
// PUBACK/PUBREC that promises delivery, and the publishing connection's PUBLISH frames are held
// until the queue has drained to half its limits (its acks still pass, and reading stops at
// HOLD_MAX_BYTES held: Connection.throttle). A subscriber's queue exceeds its limits by at most
// the frames its publishers had already routed when they were throttled. A subscriber that stays congested for `slowConsumerTimeoutMs`
// is disconnected, which releases its publishers (offline, the session's queue limits drop).

/**
 * The queue of connected `session` is full and `publisher` (the connection whose PUBLISH is being
 * routed; undefined for wills, `$SYS` and server publishes) put a message into it: hold the
 * publisher's PUBLISH frames until the queue drains. A client is never throttled by its own session: it
 * could not read the acknowledgements that drain it.
 */
export function throttle(session: Session, publisher: Connection | undefined): void {
  if (publisher === undefined || publisher.session === session) return;
  let waiters = session.waiters;
  if (waiters === undefined) waiters = session.waiters = [];
  else if (waiters.includes(publisher)) return;
  waiters.push(publisher);
  publisher.throttle();
}

/** Whether `session`'s queue has drained enough to read its publishers again (half its limits). */
export function drained(broker: BrokerCore, session: Session): boolean {
  const o = broker.options;
  return (
    session.queue.length <= o.maxQueuedMessages >>> 1 &&
    session.queuedBytes <= Math.floor(o.maxQueuedBytes / 2)
  );
}

/** Reads again from every publisher `session` held back (drained, or no longer connected). */
export function releasePublishers(session: Session): void {
  const waiters = session.waiters;
  if (waiters === undefined) return;
  session.waiters = undefined;
  for (let i = 0; i < waiters.length; i++) (waiters[i] as Connection).unthrottle();
}
