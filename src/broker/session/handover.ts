import type { ProtocolVersion, QoS } from '../../codec/constants.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { Properties } from '../../codec/types.js';
import type { StoredSubscription } from '../../persistence/types.js';
import type { BrokerCore } from '../core.js';
import { deliver } from '../delivery.js';
import { Delivery, DeliveryState, Message } from '../message.js';
import { rejectWith } from '../refuse.js';
import { endSession } from './registry.js';
import { NEVER_EXPIRES, Session } from './session.js';

/** A message waiting for the session, as it moves to another node. */
export interface HandoverMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  /** The retain flag the subscriber gets (Retain As Published applied). */
  retain: boolean;
  properties: Properties | undefined;
  origin: string;
  /** Absolute expiry (ms since the epoch), 0 = never. */
  expiresAt: number;
  subscriptionIds: number[] | undefined;
  /**
   * In flight: the packet id it was sent with and its {@link DeliveryState}, so that the new
   * node resends it as the old one would (PUBLISH with DUP and the same id, or PUBREL).
   * Absent for a queued message.
   */
  packetId?: number;
  state?: number;
}

/** A persistent session leaving this node for another (cluster take-over). */
export interface SessionHandover {
  protocolVersion: ProtocolVersion;
  expiryInterval: number;
  username: string | undefined;
  subscriptions: StoredSubscription[];
  /** In-flight messages first (in send order), then the queue. */
  messages: HandoverMessage[];
  /** QoS 2 packet ids the client sent and got PUBREC for, awaiting its PUBREL. */
  inbound?: number[];
}

function handoverMessage(d: Delivery): HandoverMessage {
  const m = d.message;
  const h: HandoverMessage = {
    topic: m.topic,
    payload: m.payload,
    qos: d.qos,
    retain: d.retain,
    properties: m.properties,
    origin: m.origin,
    expiresAt: m.expiresAt,
    subscriptionIds: d.subscriptionIds,
  };
  if (d.state !== DeliveryState.Queued) {
    h.packetId = d.packetId;
    h.state = d.state;
  }
  return h;
}

/**
 * Gives up the session of `clientId` to another node: a live connection is closed as in a
 * take-over ([MQTT-3.1.4-3]: v5 DISCONNECT 0x8E, its will published), and a persistent session
 * is returned and ended here: subscriptions, in-flight messages with their packet ids and
 * states, the queue, and the inbound QoS 2 ids awaiting PUBREL. Undefined when there is no
 * persistent session.
 */
export function exportSession(broker: BrokerCore, clientId: string): SessionHandover | undefined {
  const live = broker.sessions.get(clientId)?.connection;
  if (live !== undefined) rejectWith(live, ReasonCode.SessionTakenOver, undefined, true);
  const s = broker.sessions.get(clientId);
  if (s === undefined) return undefined;
  const h: SessionHandover = {
    protocolVersion: s.protocolVersion,
    expiryInterval: s.expiryInterval,
    username: s.username,
    subscriptions: [],
    messages: [],
  };
  if (s.hasSubscriptions) {
    for (const e of s.subscriptions.values()) h.subscriptions.push(e.toStored());
  }
  for (const d of s.inflight.values()) h.messages.push(handoverMessage(d));
  for (const d of s.queue) h.messages.push(handoverMessage(d));
  if (s.inboundQos2.size > 0) h.inbound = [...s.inboundQos2];
  const persistent = s.persistent;
  endSession(broker, s);
  return persistent ? h : undefined;
}

/**
 * Re-creates a session handed over by another node (replacing any stale local one), as an
 * offline session: in-flight messages keep their packet ids and states (the attaching
 * connection resends them as a resumed session does, [MQTT-4.4.0-1]), the others are queued,
 * and the connection that claimed it attaches next.
 */
export function importSession(broker: BrokerCore, clientId: string, h: SessionHandover): void {
  const old = broker.sessions.get(clientId);
  if (old !== undefined) {
    if (old.connection !== undefined) return; // a newer local connection won meanwhile
    endSession(broker, old);
  }
  const s = new Session(clientId, h.protocolVersion, broker);
  s.expiryInterval = h.expiryInterval;
  s.username = h.username;
  broker.sessions.set(clientId, s);
  broker.persist.sessionPut(s);
  for (const sub of h.subscriptions) {
    broker.router.restoreSubscription(s, sub);
    const e = s.subscriptions.get(sub.filter);
    if (e !== undefined) broker.persist.subPut(s, e);
  }
  const now = broker.clock.now;
  for (const hm of h.messages) {
    const m = new Message(hm.topic, hm.payload, hm.qos, hm.retain, hm.properties, hm.origin, now);
    m.expiresAt = hm.expiresAt;
    m.owned = true;
    if (restoreInflight(broker, s, m, hm)) continue;
    if (m.expired(now)) continue;
    deliver(broker, s, m, hm.qos, hm.retain, hm.subscriptionIds, undefined, undefined);
  }
  for (const id of h.inbound ?? []) {
    s.inboundQos2.add(id);
    broker.persist.incomingPut(s, id);
  }
  // Until a connection attaches (it may have gone while the session moved), it expires as usual.
  if (s.expiryInterval !== NEVER_EXPIRES) {
    broker.wheel.schedule(s.expiryTimer, s.expiryInterval * 1000);
  }
}

/**
 * An in-flight message of a moved session, back in flight under its packet id (the client may
 * hold that id: a QoS 2 receiver drops a new message reusing it before PUBREL). False when the
 * id is not valid or already taken here (the message is then queued as a new delivery).
 */
function restoreInflight(broker: BrokerCore, s: Session, m: Message, hm: HandoverMessage): boolean {
  const id = hm.packetId;
  if (id === undefined) return false;
  const inFlight =
    hm.state === DeliveryState.AwaitingPuback ||
    hm.state === DeliveryState.AwaitingPubrec ||
    hm.state === DeliveryState.AwaitingPubcomp;
  if (!inFlight || !Number.isInteger(id) || id < 1 || id > 0xffff) return false;
  if (!s.packetIds.take(id)) return false;
  const d = new Delivery(m, hm.qos, hm.retain, hm.subscriptionIds, undefined);
  d.packetId = id;
  d.state = hm.state as number;
  d.sent = true;
  s.inflight.set(id, d);
  broker.persist.inflightPut(s, d);
  return true;
}
