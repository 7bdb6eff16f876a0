// What an operator does to the broker's state from outside MQTT (the admin API): subscribe or
// unsubscribe a session, delete a session or a retained message. Each reuses the trie, the
// session and the Persister as the packet handlers do, and checks everything before changing
// anything, so a refusal leaves no trace.
import type { QoS } from '../codec/constants.js';
import {
  hasWildcard,
  parseSharedSubscription,
  validateTopicFilter,
  validateTopicName,
} from '../codec/topic.js';
import { ConnState } from './conn-state.js';
import type { BrokerCore } from './core.js';
import { topicWithinLimits } from './limits.js';
import { Message, topicLevels } from './message.js';
import { rejectWith } from './refuse.js';
import { SubEntry } from './routing/subscription.js';
import { endSession } from './session/registry.js';
import { dropSubscription, putSubscription } from './session/subscriptions.js';

/** Options of a subscription made by the server for a session. */
export interface ServerSubscribeOptions {
  /** Maximum QoS (default 0; capped by `maximumQoS`). */
  qos?: QoS;
  /** v5 No Local (not allowed on a shared subscription). */
  noLocal?: boolean;
  /** v5 Retain As Published. */
  retainAsPublished?: boolean;
  /** v5 Retain Handling: 0 send retained messages, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

/**
 * Adds (or replaces) a subscription of an existing session, without the `authorizeSubscribe`
 * hook: the operator decides. A connected subscriber gets the matching retained messages as for
 * its own SUBSCRIBE. Throws a TypeError naming the problem (bad filter, shared with No Local,
 * features switched off) before changing anything; returns false when there is no such session.
 */
export function serverSubscribe(
  broker: BrokerCore,
  clientId: string,
  filter: string,
  o: ServerSubscribeOptions = {},
): boolean {
  const session = broker.sessions.get(clientId);
  if (session === undefined) return false;
  const opts = broker.options;
  validateTopicFilter(filter);
  const shared = parseSharedSubscription(filter);
  const topicFilter = shared?.filter ?? filter;
  if (shared !== undefined && !opts.sharedSubscriptionAvailable) {
    throw new TypeError('shared subscriptions are switched off (sharedSubscriptionAvailable)');
  }
  if (shared !== undefined && o.noLocal === true) {
    throw new TypeError('noLocal is not allowed on a shared subscription');
  }
  if (!opts.wildcardSubscriptionAvailable && hasWildcard(topicFilter)) {
    throw new TypeError('wildcard subscriptions are switched off (wildcardSubscriptionAvailable)');
  }
  if (!topicWithinLimits(topicFilter, opts)) {
    throw new TypeError('filter exceeds maxTopicLevels or maxTopicLength');
  }
  const qos = Math.min(o.qos ?? 0, opts.maximumQoS) as QoS;
  const entry = new SubEntry(
    session,
    filter,
    topicFilter,
    qos,
    o.noLocal ?? false,
    o.retainAsPublished ?? false,
    o.retainHandling ?? 0,
    0,
    shared?.group,
  );
  const old = putSubscription(broker, entry);
  if (session.connection?.state === ConnState.Connected) {
    broker.router.sendRetained(session, entry, old === undefined);
  }
  return true;
}

/** Removes one subscription of a session; false when the session or the filter is unknown. */
export function serverUnsubscribe(broker: BrokerCore, clientId: string, filter: string): boolean {
  const session = broker.sessions.get(clientId);
  const entry = session?.subscriptions.get(filter);
  if (session === undefined || entry === undefined) return false;
  dropSubscription(broker, entry);
  return true;
}

/**
 * Ends a session, connected or not: a connected client is disconnected first (v5: DISCONNECT
 * with `reasonCode`), without its will; the subscriptions, queued messages and stored state
 * go. Returns false when there is no such session.
 */
export function deleteSession(broker: BrokerCore, clientId: string, reasonCode: number): boolean {
  const session = broker.sessions.get(clientId);
  if (session === undefined) return false;
  const conn = session.connection;
  if (conn !== undefined) rejectWith(conn, reasonCode, 'session deleted by an operator', false);
  // The close may have ended a non-persistent session already; a persistent one is ended here.
  if (broker.sessions.get(clientId) === session) endSession(broker, session);
  return true;
}

/**
 * Deletes the retained message of `topic` without publishing anything locally (an empty
 * retained PUBLISH would also reach the subscribers). In a cluster the deletion must reach the
 * shared retained store and the other nodes, which only an empty retained message does: it is
 * forwarded, so subscribers on other nodes may see it. Throws a TypeError for an invalid topic
 * name; returns false when the topic has no retained message here.
 */
export function deleteRetained(broker: BrokerCore, topic: string): boolean {
  validateTopicName(topic);
  const levels = topicLevels(topic);
  if (levels[0] === '$SYS') throw new TypeError('$SYS topics are the broker’s own');
  const old = broker.router.retained.set(levels, undefined);
  if (old === undefined) return false;
  broker.persist.retainDelete(old);
  if (broker.cluster !== undefined) {
    const m = new Message(topic, Buffer.alloc(0), 0, true, undefined, '', broker.clock.now, levels);
    m.owned = true;
    void broker.cluster.forward(m, 0);
  }
  return true;
}
