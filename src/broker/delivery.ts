import type { QoS } from '../codec/constants.js';
import { PacketType } from '../codec/constants.js';
import {
  encodePacket,
  encodePublish,
  encodePublishHeader,
  publishPacketIdOffset,
  writePacketId,
} from '../codec/encode.js';
import type { Properties, PublishPacket } from '../codec/types.js';
import { ConnState } from './conn-state.js';
import type { Connection } from './connection.js';
import type { BrokerCore } from './core.js';
import { drained, releasePublishers, throttle } from './flow.js';
import { isTrustedId } from './listener.js';
import type { Message } from './message.js';
import { Delivery, DeliveryState } from './message.js';
import type { SharedGroup } from './routing/shared.js';
import type { Session } from './session/session.js';

/**
 * Encodings of one message shared by every subscriber of one fan-out: one slot per
 * (protocol family, QoS, retain). QoS>0 encodings are templates whose packet id is patched
 * into a copy per subscriber.
 */
export class FanoutCache {
  readonly bufs: Array<Buffer | undefined> = new Array<Buffer | undefined>(12).fill(undefined);
  readonly offsets: number[] = new Array<number>(12).fill(0);
  /** Bit i set: `bufs[i]` holds an encoding of the current message. */
  used = 0;

  /** Forgets the encodings of the previous message (only the slots it used). */
  reset(): void {
    let used = this.used;
    for (let i = 0; used !== 0; i++, used >>>= 1) if ((used & 1) !== 0) this.bufs[i] = undefined;
    this.used = 0;
  }
}

const EMPTY = Buffer.alloc(0);

// One scratch packet object for every encode: encodePublish reads it synchronously.
const scratch: PublishPacket = {
  type: PacketType.PUBLISH,
  topic: '',
  payload: Buffer.alloc(0),
  qos: 0,
  retain: false,
  dup: false,
  packetId: 0,
  properties: undefined,
};

/**
 * Payloads at least this big are not copied into the encoded PUBLISH: only its header is encoded
 * and the payload follows it as a second buffer of the same write (see {@link send}).
 */
const SPLIT_MIN = 16 * 1024;

/** Whether `msg` is sent as an encoded header followed by its payload buffer. */
function split(msg: Message): boolean {
  return msg.payload.length >= SPLIT_MIN;
}

/** Wire size of a PUBLISH of `msg` whose encoding (or encoded header) is `buf`. */
function wireSize(msg: Message, buf: Buffer): number {
  return split(msg) ? buf.length + msg.payload.length : buf.length;
}

/**
 * Writes an encoding from {@link encodeFor}, followed by the payload when only a header. A
 * recycled payload written to a plain TCP socket stays pinned until the socket has handed it to
 * the kernel; other transports (TLS, WebSocket) may hold it beyond what their stream reports,
 * so it is never recycled once written to one.
 */
function send(conn: Connection, msg: Message, buf: Buffer): void {
  if (conn.heldPublishes > 0) {
    // Behind a QoS 2 PUBLISH waiting for its commit: keep the order of deliveries.
    holdPublish(conn, msg, buf);
    return;
  }
  conn.write(buf);
  if (!split(msg)) return;
  if (msg.pins > 0) {
    if (conn.plainTcp) conn.writing(msg);
    else msg.keep();
  }
  conn.write(msg.payload);
}

/**
 * Sends a PUBLISH once the current store batch is durable (the whole packet copied: the held bytes
 * outlive the encoding and the payload's pins).
 */
function holdPublish(conn: Connection, msg: Message, buf: Buffer): void {
  const bytes = split(msg) ? Buffer.concat([buf, msg.payload]) : Buffer.from(buf);
  const persist = conn.broker.persist;
  conn.holdPublish(persist.seq, bytes);
  persist.awaitCommit(conn);
}

/**
 * Whether a QoS 2 PUBLISH to `session` must wait for its in-flight record: with `sync`
 * durability, a persistent session's packet id must be on disk before the client sees it. Were it
 * not, a crash could lose the record while the client holds the id awaiting PUBREL, and after the
 * restart the id could be given to another message, which the client would take for a resend of
 * the first and never deliver [MQTT-4.3.3-10].
 */
function mustHoldQos2(broker: BrokerCore, session: Session): boolean {
  const persist = broker.persist;
  return persist.holdsAcks && session.persistent && persist.dirty;
}

/**
 * What {@link encodeFor} returns: one object, reused by every call (read it before the next).
 */
class Encoded {
  /** The encoded PUBLISH (or only its header, for a big payload: see {@link split}). */
  buf: Buffer = EMPTY;
  /** Offset of the packet id in `buf` (QoS > 0). */
  offset = 0;
  /** `buf` is shared through the fan-out cache: copy it before patching the packet id. */
  shared = false;
}

const encoded = new Encoded();

/**
 * Encodes `d`'s message for `conn`. With `cache` and nothing subscriber-specific (no
 * subscription ids, no topic alias, not a resend), the encoding is shared across the fan-out.
 * QoS>0 results are templates: copy then patch the packet id. For a big payload the result is
 * only the PUBLISH header ({@link split}): send it with {@link send}.
 */
function encodeFor(
  broker: BrokerCore,
  conn: Connection,
  msg: Message,
  qos: QoS,
  retain: boolean,
  subIds: number[] | undefined,
  dup: boolean,
  cache: FanoutCache | undefined,
): Encoded {
  const v5 = conn.protocolVersion === 5;
  let aliasTopic = false;
  let alias = 0;
  if (v5 && conn.outAliasMax > 0 && !dup) {
    const aliases = conn.outAliases as Map<string, number>;
    const a = aliases.get(msg.topic);
    if (a !== undefined) {
      alias = a;
      aliasTopic = true;
    } else if (aliases.size < conn.outAliasMax) {
      alias = aliases.size + 1;
      aliases.set(msg.topic, alias);
    }
  }
  const shared = cache !== undefined && !dup && alias === 0 && (!v5 || subIds === undefined);
  const key = (v5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
  if (shared) {
    const hit = cache.bufs[key];
    if (hit !== undefined) {
      encoded.buf = hit;
      encoded.offset = cache.offsets[key] as number;
      encoded.shared = true;
      return encoded;
    }
  }
  let props: Properties | undefined;
  if (v5) {
    props = msg.properties;
    const remaining = msg.remainingExpiry(broker.clock.now);
    if (remaining !== undefined || subIds !== undefined || alias !== 0) {
      props = { ...props };
      if (remaining !== undefined) props.messageExpiryInterval = remaining;
      if (subIds !== undefined) props.subscriptionIdentifiers = subIds;
      if (alias !== 0) props.topicAlias = alias;
    }
  }
  scratch.topic = aliasTopic ? '' : msg.topic;
  scratch.payload = msg.payload;
  scratch.qos = qos;
  scratch.retain = retain;
  scratch.dup = dup;
  scratch.packetId = qos > 0 ? 1 : 0;
  scratch.properties = props;
  const buf = split(msg)
    ? encodePublishHeader(scratch, conn.protocolVersion)
    : encodePublish(scratch, conn.protocolVersion);
  scratch.payload = EMPTY;
  scratch.properties = undefined;
  if (alias !== 0 && !aliasTopic && !fits(conn, wireSize(msg, buf))) {
    // The client will never see this packet, so it must not learn (or be assumed to know) the alias.
    conn.outAliases?.delete(msg.topic);
  }
  const offset = qos > 0 ? publishPacketIdOffset(buf) : 0;
  if (shared) {
    cache.bufs[key] = buf;
    cache.offsets[key] = offset;
    cache.used |= 1 << key;
  }
  encoded.buf = buf;
  encoded.offset = offset;
  encoded.shared = shared;
  return encoded;
}

/** Whether an encoded packet fits the client's Maximum Packet Size. */
function fits(conn: Connection, size: number): boolean {
  return conn.maxOutPacketSize === 0 || size <= conn.maxOutPacketSize;
}

/**
 * Routes one message to one session at the granted QoS: written at once when the client is
 * connected and nothing is queued ahead of it, otherwise queued (bounded; see enqueue). `group`
 * is the shared subscription that chose the session; `cache` the encodings shared by the
 * fan-out in progress.
 */
export function deliver(
  broker: BrokerCore,
  session: Session,
  msg: Message,
  qos: QoS,
  retain: boolean,
  subIds: number[] | undefined,
  group: SharedGroup | undefined,
  cache: FanoutCache | undefined,
): void {
  offer(broker, session, msg, qos, retain, subIds, group, cache, false);
}

/**
 * Delivers a retained message that a new subscription asked for (retain flag set): like
 * {@link deliver}, but queued even past the session's queue limits, since the retained store
 * already bounds them and a subscription to `#` must not lose most of them to the overflow
 * policy meant for live traffic.
 */
export function deliverRetained(
  broker: BrokerCore,
  session: Session,
  msg: Message,
  qos: QoS,
  subIds: number[] | undefined,
): void {
  offer(broker, session, msg, qos, true, subIds, undefined, undefined, true);
}

function offer(
  broker: BrokerCore,
  session: Session,
  msg: Message,
  qos: QoS,
  retain: boolean,
  subIds: number[] | undefined,
  group: SharedGroup | undefined,
  cache: FanoutCache | undefined,
  force: boolean,
): void {
  const read = broker.hooks.authorizeRead;
  if (
    read !== undefined &&
    !isTrustedId(session.clientId) &&
    !safeRead(broker, read, session, msg.topic)
  ) {
    return;
  }
  const conn = session.connection;
  if (conn === undefined || conn.state !== ConnState.Connected) {
    // QoS 0 messages are kept for offline sessions only when asked (queueQos0Messages).
    if (!session.persistent || (qos === 0 && !broker.options.queueQos0Messages)) return;
    enqueue(broker, session, new Delivery(msg, qos, retain, subIds, group), force);
    return;
  }
  if (session.queue.length === 0 && !conn.backpressured && conn.ready) {
    if (qos === 0) {
      const buf = encodeFor(broker, conn, msg, 0, retain, subIds, false, cache).buf;
      if (!fits(conn, wireSize(msg, buf))) {
        broker.stats.drops.tooLarge++;
        return;
      }
      send(conn, msg, buf);
      broker.stats.publishSent++;
      broker.stats.publishSentByQos[0]++;
      return;
    }
    if (session.inflight.size < conn.sendQuota) {
      sendNew(broker, session, conn, new Delivery(msg, qos, retain, subIds, group), cache);
      return;
    }
  }
  enqueue(broker, session, new Delivery(msg, qos, retain, subIds, group), force);
}

function safeRead(
  broker: BrokerCore,
  read: (s: Session, topic: string) => boolean,
  session: Session,
  topic: string,
): boolean {
  try {
    return read(session, topic);
  } catch (err) {
    broker.log.warn({ clientId: session.clientId, err }, 'authorizeRead hook threw');
    return false;
  }
}

/** Sends a QoS>0 delivery for the first time: allocates a packet id and records it in flight. */
function sendNew(
  broker: BrokerCore,
  session: Session,
  conn: Connection,
  d: Delivery,
  cache: FanoutCache | undefined,
): boolean {
  const msg = d.message;
  const e = encodeFor(broker, conn, msg, d.qos, d.retain, d.subscriptionIds, false, cache);
  const template = e.buf;
  const offset = e.offset;
  const shared = e.shared;
  if (!fits(conn, wireSize(msg, template))) {
    // [MQTT-3.1.2-25] too big for this client: dropped for it alone.
    broker.stats.dropped++;
    broker.stats.drops.tooLarge++;
    broker.persist.queueDelete(session, d);
    msg.unpin();
    return false;
  }
  // Cannot fail while sendQuota <= 65535 ids are in flight; counted as a drop if it ever does.
  const id = session.packetIds.allocate();
  if (id === 0) {
    broker.stats.dropped++;
    broker.stats.drops.noPacketId++;
    broker.persist.queueDelete(session, d);
    msg.unpin();
    return false;
  }
  msg.own();
  d.packetId = id;
  d.state = d.qos === 1 ? DeliveryState.AwaitingPuback : DeliveryState.AwaitingPubrec;
  d.sent = true;
  session.inflight.set(id, d);
  broker.persist.inflightPut(session, d);
  // A template nobody else will read is patched in place; a shared one is copied first.
  let buf = template;
  if (shared) {
    buf = Buffer.allocUnsafe(template.length);
    template.copy(buf);
  }
  writePacketId(buf, offset, id);
  if (d.qos === 2 && mustHoldQos2(broker, session)) holdPublish(conn, msg, buf);
  else send(conn, msg, buf);
  broker.stats.publishSent++;
  broker.stats.publishSentByQos[d.qos]++;
  return true;
}

/**
 * Queues a delivery within the session limits (`force`: beyond them, for the retained messages
 * a new subscription asked for, which the retained store already bounds). When full:
 * - a QoS 1/2 message for a connected session, with `overflow: 'backpressure'` (the default), is
 *   queued anyway and its publisher is no longer read until the queue drains (flow.ts);
 * - otherwise a QoS 0 message is dropped, and a QoS 1/2 one evicts the oldest queued QoS 0
 *   message or is dropped when there is none.
 * Either starts the slow-consumer clock of a connected session; drops are counted, and logged
 * once per absence for an offline session.
 */
export function enqueue(broker: BrokerCore, session: Session, d: Delivery, force = false): void {
  const o = broker.options;
  const size = d.message.payload.length;
  const q = session.queue;
  if (
    !force &&
    (q.length >= o.maxQueuedMessages || session.queuedBytes + size > o.maxQueuedBytes)
  ) {
    const online = session.connection !== undefined;
    if (d.qos > 0 && online && o.overflow === 'backpressure') {
      throttle(session, broker.router.publisher);
      congested(broker, session);
    } else if (!evictQos0(session, d, o.maxQueuedBytes)) {
      broker.stats.dropped++;
      broker.stats.drops.queueFull++;
      if (online) congested(broker, session);
      else if (!session.dropLogged) {
        session.dropLogged = true;
        broker.log.warn(
          { clientId: session.clientId, queued: q.length, bytes: session.queuedBytes },
          'offline session queue full: dropping messages for it (logged once until it reconnects)',
        );
      }
      d.message.unpin();
      return;
    } else {
      // A queued QoS 0 message made room for this one.
      broker.stats.dropped++;
      broker.stats.drops.queueFull++;
      if (online) congested(broker, session);
    }
  }
  d.message.own();
  q.push(d);
  session.queuedBytes += size;
  if (d.qos === 0) session.queuedQos0++;
  else broker.persist.queuePut(session, d);
}

/**
 * Makes room for QoS 1/2 delivery `d` in a full queue by evicting its oldest QoS 0 message (which
 * is dropped). Returns whether `d` now fits.
 */
function evictQos0(session: Session, d: Delivery, maxBytes: number): boolean {
  if (d.qos === 0 || session.queuedQos0 === 0) return false;
  const q = session.queue;
  for (let i = 0; i < q.length; i++) {
    const e = q.at(i) as Delivery;
    if (e.qos === 0) {
      q.removeAt(i);
      session.queuedQos0--;
      session.queuedBytes -= e.message.payload.length;
      e.message.unpin();
      return session.queuedBytes + d.message.payload.length <= maxBytes;
    }
  }
  return false;
}

function congested(broker: BrokerCore, session: Session): void {
  if (session.connection === undefined || session.congestedSince !== 0) return;
  session.congestedSince = broker.clock.now;
  broker.wheel.schedule(session.slowTimer, broker.options.slowConsumerTimeoutMs);
}

/**
 * Moves queued deliveries to the client while the socket accepts writes and the in-flight window
 * has room. Called on CONNACK, on drain, and when an ack frees a slot.
 */
export function pump(broker: BrokerCore, session: Session): void {
  const conn = session.connection;
  if (conn === undefined || conn.state !== ConnState.Connected || !conn.ready) return;
  const q = session.queue;
  const now = broker.clock.now;
  while (!conn.backpressured) {
    const d = q.peek();
    if (d === undefined) break;
    if (d.qos > 0 && session.inflight.size >= conn.sendQuota) break;
    q.shift();
    session.queuedBytes -= d.message.payload.length;
    if (d.qos === 0) session.queuedQos0--;
    if (d.message.expired(now)) {
      broker.stats.drops.expired++;
      if (d.qos > 0) broker.persist.queueDelete(session, d);
      d.message.unpin();
      continue;
    }
    if (d.qos === 0) {
      const buf = encodeFor(
        broker,
        conn,
        d.message,
        0,
        d.retain,
        d.subscriptionIds,
        false,
        undefined,
      ).buf;
      if (fits(conn, wireSize(d.message, buf))) {
        send(conn, d.message, buf);
        broker.stats.publishSent++;
        broker.stats.publishSentByQos[0]++;
      } else broker.stats.drops.tooLarge++;
      d.message.unpin();
      continue;
    }
    sendNew(broker, session, conn, d, undefined);
  }
  if (session.congestedSince !== 0 && q.length < broker.options.maxQueuedMessages) {
    session.congestedSince = 0;
    broker.wheel.cancel(session.slowTimer);
  }
  if (session.waiters !== undefined && drained(broker, session)) releasePublishers(session);
}

/**
 * Re-sends everything in flight after a session resumes: PUBLISH with DUP for messages not yet
 * acknowledged, PUBREL for QoS 2 messages already PUBREC'd ([MQTT-4.4.0-1]).
 */
export function resendInflight(broker: BrokerCore, session: Session, conn: Connection): void {
  for (const d of session.inflight.values()) {
    if (d.state === DeliveryState.AwaitingPubcomp) {
      conn.write(
        encodePacket(
          { type: PacketType.PUBREL, packetId: d.packetId, reasonCode: 0, properties: undefined },
          conn.protocolVersion,
        ),
      );
      continue;
    }
    const e = encodeFor(
      broker,
      conn,
      d.message,
      d.qos,
      d.retain,
      d.subscriptionIds,
      true,
      undefined,
    );
    const buf = Buffer.from(e.buf);
    writePacketId(buf, e.offset, d.packetId);
    send(conn, d.message, buf);
    broker.stats.publishSent++;
    broker.stats.publishSentByQos[d.qos]++;
  }
}

/** Frees an in-flight delivery after its final ack and refills the window. */
export function completeInflight(broker: BrokerCore, session: Session, d: Delivery): void {
  session.inflight.delete(d.packetId);
  session.packetIds.release(d.packetId);
  broker.persist.inflightDelete(session, d);
  d.message.unpin();
  if (session.queue.length > 0) pump(broker, session);
}
