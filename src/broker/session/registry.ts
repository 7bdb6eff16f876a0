import type { QoS } from '../../codec/constants.js';
import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import { isValidTopicName } from '../../codec/topic.js';
import type { ConnectPacket, Properties } from '../../codec/types.js';
import { ConnState } from '../conn-state.js';
import type { Connection } from '../connection.js';
import type { BrokerCore } from '../core.js';
import { deliver, pump, resendInflight } from '../delivery.js';
import { releasePublishers } from '../flow.js';
import type { Delivery } from '../message.js';
import { DeliveryState } from '../message.js';
import { rejectWith } from '../refuse.js';
import { ownWill, publishWill, willDelay, willDueMs } from '../will.js';
import { NEVER_EXPIRES, Session, SessionTimer } from './session.js';

const MAX_PACKET = 268_435_460;

// A 3.1/3.1.1 CONNACK accepting the connection is one of two constant byte strings (3.1 has no
// Session Present flag): shared, never encoded per client (written buffers are not modified).
const CONNACK_NEW = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const CONNACK_PRESENT = Buffer.from([0x20, 0x02, 0x01, 0x00]);

/**
 * Binds an authenticated connection to its session (taking over a live connection with the same
 * client id, resuming or discarding the stored session), sends CONNACK, then resends what was
 * in flight and drains the queue.
 */
export function attachSession(
  conn: Connection,
  p: ConnectPacket,
  assignedId: string | undefined,
  authProps: Properties | undefined,
): void {
  const broker = conn.broker;
  const o = broker.options;
  const clientId = conn.clientId;
  const { session, present } = takeSession(broker, conn, p);
  const requested =
    p.protocolVersion === 5
      ? (p.properties?.sessionExpiryInterval ?? 0)
      : p.clean
        ? 0
        : NEVER_EXPIRES;
  const granted = Math.min(requested, o.maxSessionExpiryInterval);
  session.expiryInterval = granted;
  session.will = ownWill(p.will);
  if (session.will !== undefined) {
    broker.cluster?.willChanged(clientId, session.will, willDueMs(session.will, granted));
  }
  conn.session = session;
  session.connection = conn;
  const serverKeepAlive = applyConnectSettings(conn, p);
  let properties: Properties | undefined;
  if (p.protocolVersion === 5) {
    const expiry = granted !== requested ? granted : undefined;
    properties = connackProperties(conn, p, authProps, expiry, assignedId, serverKeepAlive);
  }
  conn.state = ConnState.Connected;
  conn.pendingConnect = undefined;
  // Written at once: the CONNACK goes out on its own, ahead of anything a listener sends.
  conn.writeNow(
    properties === undefined
      ? present && p.protocolVersion === 4
        ? CONNACK_PRESENT
        : CONNACK_NEW
      : encodePacket(
          { type: PacketType.CONNACK, sessionPresent: present, reasonCode: 0, properties },
          p.protocolVersion,
        ),
  );
  conn.connectedAt = broker.clock.now;
  broker.stats.connected++;
  if (broker.stats.connected > broker.stats.maxConnected)
    broker.stats.maxConnected = broker.stats.connected;
  broker.stats.clientsTotal++;
  if (session.persistent) broker.persist.sessionPut(session);
  broker.log.debug({ clientId, version: p.protocolVersion, present }, 'client connected');
  if (broker.listenerCount('clientConnected') > 0) {
    broker.emitEvent('clientConnected', {
      clientId,
      username: conn.username,
      protocolVersion: p.protocolVersion,
      sessionPresent: present,
    });
  }
  // Queued and resent messages follow one turn after the CONNACK. Clients that attach their
  // message handler when the connect completes then see them (a CONNACK and a PUBLISH in one
  // read would be handled before the application had a chance to listen).
  toResume.push(conn);
  if (toResume.length === 1) setImmediate(resumeAll);
}

/**
 * The session of a connecting client: a live connection with the same client id is taken over;
 * a stored session is resumed (Session Present) unless the client asks for a clean start, in
 * which case it ends and a new one begins.
 */
function takeSession(
  broker: BrokerCore,
  conn: Connection,
  p: ConnectPacket,
): { session: Session; present: boolean } {
  const clientId = conn.clientId;
  let existing = broker.sessions.get(clientId);
  if (existing?.connection !== undefined) {
    // [MQTT-3.1.4-3] Take-over: the old connection is closed (v5 reason 0x8E), its will fires.
    rejectWith(existing.connection, ReasonCode.SessionTakenOver, undefined, true);
    existing = broker.sessions.get(clientId);
  }
  let session: Session;
  let present = false;
  if (existing !== undefined && !p.clean) {
    session = existing;
    present = true;
    session.cancelTimers(broker.wheel);
    if (session.willPending) {
      // [MQTT-3.1.3-9] reconnected within the will delay: the will is not sent.
      broker.wheel.cancel(session.willTimer);
      session.will = undefined;
      broker.cluster?.willChanged(clientId, undefined, 0);
    }
  } else {
    if (existing !== undefined) endSession(broker, existing);
    session = new Session(clientId, p.protocolVersion, broker);
    broker.sessions.set(clientId, session);
  }
  session.protocolVersion = p.protocolVersion;
  session.username = conn.username;
  session.dropLogged = false;
  return { session, present };
}

/**
 * Applies what the CONNECT sets for the connection's life: the packet size limit after
 * authentication, the keep-alive (its timer replaces the connect timeout), the v5 client limits
 * (Receive Maximum, Maximum Packet Size, topic aliases). Returns the Server Keep Alive a v5
 * client is told when its keep-alive exceeds the maximum.
 */
function applyConnectSettings(conn: Connection, p: ConnectPacket): number | undefined {
  const broker = conn.broker;
  const o = broker.options;
  conn.framer.maxPacketSize = o.maxPacketSize;
  let keepAlive = p.keepAlive;
  let serverKeepAlive: number | undefined;
  const v5 = p.protocolVersion === 5;
  if (v5 && o.maxKeepAlive < 65535 && (keepAlive > o.maxKeepAlive || keepAlive === 0)) {
    keepAlive = o.maxKeepAlive;
    serverKeepAlive = keepAlive;
  }
  conn.keepAliveGraceMs = keepAlive * 1500;
  // The connect timeout also bounds authentication (a hook or an AUTH exchange that never ends);
  // it ends here, before the keep-alive takes over the connection's one timer.
  broker.wheel.cancel(conn.connectTimer);
  if (keepAlive > 0) broker.wheel.schedule(conn.keepAliveTimer, conn.keepAliveGraceMs);
  const cp = v5 ? p.properties : undefined;
  conn.sendQuota = Math.min(cp?.receiveMaximum ?? 65535, o.maxInflight);
  conn.maxOutPacketSize = cp?.maximumPacketSize ?? 0;
  conn.problemInformation = cp?.requestProblemInformation !== 0;
  const aliasMax = cp?.topicAliasMaximum ?? 0;
  if (o.outboundTopicAliases && aliasMax > 0) {
    conn.outAliasMax = aliasMax;
    conn.outAliases = new Map();
  }
  return serverKeepAlive;
}

/** The properties of a v5 CONNACK: the server's limits where they differ from the defaults. */
function connackProperties(
  conn: Connection,
  p: ConnectPacket,
  authProps: Properties | undefined,
  sessionExpiry: number | undefined,
  assignedId: string | undefined,
  serverKeepAlive: number | undefined,
): Properties {
  const o = conn.broker.options;
  const properties: Properties = { ...authProps };
  if (sessionExpiry !== undefined) properties.sessionExpiryInterval = sessionExpiry;
  if (o.receiveMaximum < 65535) properties.receiveMaximum = o.receiveMaximum;
  if (o.maximumQoS < 2) properties.maximumQoS = o.maximumQoS;
  if (!o.retainAvailable) properties.retainAvailable = 0;
  if (o.maxPacketSize < MAX_PACKET) properties.maximumPacketSize = o.maxPacketSize;
  if (assignedId !== undefined) properties.assignedClientIdentifier = assignedId;
  if (o.topicAliasMaximum > 0) properties.topicAliasMaximum = o.topicAliasMaximum;
  if (!o.wildcardSubscriptionAvailable) properties.wildcardSubscriptionAvailable = 0;
  if (!o.subscriptionIdentifiersAvailable) properties.subscriptionIdentifiersAvailable = 0;
  if (!o.sharedSubscriptionAvailable) properties.sharedSubscriptionAvailable = 0;
  if (serverKeepAlive !== undefined) properties.serverKeepAlive = serverKeepAlive;
  const info = responseInformation(
    o.responseInformation,
    p.properties?.requestResponseInformation,
    conn.clientId,
  );
  if (info !== undefined) properties.responseInformation = info;
  return properties;
}

/**
 * Connections whose CONNACK went out during this turn, made ready in the next check phase: one
 * `setImmediate` for all of them (an Immediate per connection was a measurable share of the
 * connection setup during connect storms).
 */
const toResume: Connection[] = [];

function resumeAll(): void {
  for (let i = 0; i < toResume.length; i++) resume(toResume[i] as Connection);
  toResume.length = 0;
}

function resume(conn: Connection): void {
  const session = conn.session;
  if (conn.state !== ConnState.Connected || session === undefined || session.connection !== conn)
    return;
  conn.ready = true;
  // Only a resumed session (Session Present) can have messages in flight.
  if (session.inflightCount > 0) resendInflight(conn.broker, session, conn);
  // An empty queue has nothing to pump (and a new session has no queue yet).
  if (session.queuedCount > 0) pump(conn.broker, session);
}

/**
 * Unbinds a closing connection from its session: re-routes shared-subscription messages it held,
 * publishes or schedules the will, and ends the session when it does not outlive the connection.
 */
export function detachSession(broker: BrokerCore, conn: Connection, publish: boolean): void {
  const session = conn.session;
  if (session === undefined || session.connection !== conn) return;
  session.connection = undefined;
  broker.stats.connected--;
  session.congestedSince = 0;
  session.cancelTimers(broker.wheel);
  // Offline, a full queue drops instead (offline limits): nothing left to wait for.
  releasePublishers(session);
  rerouteShared(broker, session);

  const will = session.will;
  if (will !== undefined) {
    if (!publish) session.will = undefined;
    else {
      const delay = willDelay(will);
      if (delay > 0 && session.expiryInterval > 0) {
        broker.wheel.schedule(session.willTimer, Math.min(delay, session.expiryInterval) * 1000);
      } else {
        session.will = undefined;
        publishWill(broker, session.clientId, will);
      }
    }
    // Discarded or sent: the cluster's record of it goes (a delayed one stays until due).
    if (session.will === undefined) broker.cluster?.willChanged(session.clientId, undefined, 0);
  }
  if (session.expiryInterval === 0) {
    endSession(broker, session);
    return;
  }
  if (session.expiryInterval !== NEVER_EXPIRES) {
    broker.wheel.schedule(session.expiryTimer, session.expiryInterval * 1000);
  }
  broker.persist.sessionPut(session);
}

/**
 * Ends a session: publishes a will still waiting for its delay, removes its subscriptions and
 * drops what it queued.
 */
export function endSession(broker: BrokerCore, session: Session): void {
  session.cancelTimers(broker.wheel);
  releasePublishers(session);
  if (session.willPending) {
    broker.wheel.cancel(session.willTimer);
    const will = session.will;
    session.will = undefined;
    if (will !== undefined) publishWill(broker, session.clientId, will);
    broker.cluster?.willChanged(session.clientId, undefined, 0);
  }
  if (session.hasSubscriptions) {
    for (const entry of session.subscriptions.values()) broker.router.trie.remove(entry);
  }
  session.clearState();
  if (broker.sessions.get(session.clientId) === session) broker.sessions.delete(session.clientId);
  broker.persist.sessionDelete(session);
  broker.cluster?.sessionEnded(session.clientId);
}

/** Session timers: expiry, delayed will, slow consumer. */
export function onSessionTimer(broker: BrokerCore, session: Session, kind: number): void {
  switch (kind) {
    case SessionTimer.Expiry:
      if (session.connection === undefined) {
        broker.log.debug({ clientId: session.clientId }, 'session expired');
        endSession(broker, session);
      }
      return;
    case SessionTimer.WillDelay: {
      const will = session.will;
      if (session.connection === undefined && will !== undefined) {
        session.will = undefined;
        publishWill(broker, session.clientId, will);
        broker.cluster?.willChanged(session.clientId, undefined, 0);
      }
      return;
    }
    case SessionTimer.SlowConsumer: {
      const conn = session.connection;
      if (conn !== undefined && session.congestedSince !== 0) {
        broker.log.info({ clientId: session.clientId }, 'disconnecting slow consumer');
        rejectWith(conn, ReasonCode.QuotaExceeded, 'slow consumer', true);
      }
      return;
    }
  }
}

/**
 * [MQTT-4.8.2] A shared-subscription member that goes away with messages it has not acknowledged:
 * they go to another connected member of the same group instead.
 */
function rerouteShared(broker: BrokerCore, session: Session): void {
  if (session.inflightCount === 0 && session.queuedCount === 0) return;
  let moved: Delivery[] | undefined;
  for (const d of session.inflight.values()) {
    if (d.group === undefined) continue;
    if (d.state !== DeliveryState.AwaitingPuback && d.state !== DeliveryState.AwaitingPubrec)
      continue;
    if (moved === undefined) moved = [];
    moved.push(d);
  }
  if (moved === undefined && session.queue.length === 0) return;
  if (moved !== undefined) {
    for (const d of moved) {
      const g = d.group;
      if (g === undefined) continue;
      const target = g.pick(g.memberOf(session.clientId));
      // None here: a member on another node of a cluster takes it, if there is one.
      if (target === undefined && broker.cluster?.reshare(d.message, g.key) !== true) continue;
      session.inflight.delete(d.packetId);
      session.packetIds.release(d.packetId);
      broker.persist.inflightDelete(session, d);
      if (target === undefined) {
        d.message.unpin();
        continue;
      }
      const qos = Math.min(target.qos, d.qos) as QoS;
      const ids = target.subscriptionId !== 0 ? [target.subscriptionId] : undefined;
      deliver(broker, target.session, d.message, qos, d.retain, ids, g, undefined);
    }
  }
  const q = session.queue;
  for (let i = 0; i < q.length; ) {
    const d = q.at(i) as Delivery;
    const g = d.group;
    const target = g?.pick(g.memberOf(session.clientId));
    if (g === undefined || target === undefined) {
      i++;
      continue;
    }
    q.removeAt(i);
    session.queuedBytes -= d.message.payload.length;
    if (d.qos === 0) session.queuedQos0--;
    else broker.persist.queueDelete(session, d);
    const qos = Math.min(target.qos, d.qos) as QoS;
    const ids = target.subscriptionId !== 0 ? [target.subscriptionId] : undefined;
    deliver(broker, target.session, d.message, qos, d.retain, ids, g, undefined);
  }
}

/**
 * The v5 Response Information for a CONNECT: the configured prefix plus the client id, only when
 * the client asked for it ([MQTT-3.1.2-28]: never when it did not) and only when the result can
 * serve as a topic (a client id with `+`, `#` or NUL cannot).
 */
function responseInformation(
  prefix: string | undefined,
  requested: number | undefined,
  clientId: string,
): string | undefined {
  if (prefix === undefined || requested !== 1) return undefined;
  const info = prefix + clientId;
  return isValidTopicName(info) ? info : undefined;
}
