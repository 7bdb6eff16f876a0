import { isUtf8 } from 'node:buffer';
import type { QoS } from '../../codec/constants.js';
import { PacketType } from '../../codec/constants.js';
import { MqttError, protocolError } from '../../codec/errors.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { Properties, PublishPacket } from '../../codec/types.js';
import { isLentBody } from '../../shared/body-pool.js';
import { deferAck, resendQos2 } from '../cluster-acks.js';
import { ConnState } from '../conn-state.js';
import type { Connection } from '../connection.js';
import { isPromise } from '../hooks.js';
import { checkTopicLimits } from '../limits.js';
import { BRIDGE_STATE_TOPICS, markBridged } from '../listener.js';
import { Message } from '../message.js';
import { fail, rateExceeded } from '../refuse.js';
import { sendAck } from './ack.js';

/**
 * Inbound PUBLISH: resolves topic aliases, applies limits and authorisation, routes, and
 * acknowledges (QoS 1 PUBACK; QoS 2 PUBREC, routing only the first copy of a packet id until its
 * PUBREL: exactly once).
 */
export function handlePublish(conn: Connection, p: PublishPacket): void {
  const broker = conn.broker;
  const o = broker.options;
  const session = conn.session;
  if (session === undefined) return;
  broker.stats.publishReceived++;
  broker.stats.publishReceivedByQos[p.qos]++;
  const bucket = conn.publishBucket;
  if (bucket !== undefined && !bucket.take(1, broker.clock.now)) {
    rateExceeded(conn, 'message rate');
    return;
  }
  const v5 = conn.protocolVersion === 5;

  let topic = p.topic;
  let props = p.properties;
  if (v5 && props !== undefined) {
    const alias = props.topicAlias;
    if (alias !== undefined) {
      if (alias === 0 || alias > o.topicAliasMaximum) {
        throw new MqttError(
          'TOPIC_ALIAS_INVALID',
          `topic alias ${alias} out of range`,
          ReasonCode.TopicAliasInvalid,
          'MQTT-3.3.2-9',
        );
      }
      if (topic === '') {
        const known = conn.inAliases?.[alias];
        if (known === undefined) {
          throw protocolError('TOPIC_ALIAS_UNKNOWN', `topic alias ${alias} not set`);
        }
        topic = known;
      } else {
        if (conn.inAliases === undefined) conn.inAliases = [];
        conn.inAliases[alias] = topic;
      }
      const { topicAlias: _a, ...rest } = props;
      props = Object.keys(rest).length === 0 ? undefined : rest;
    }
    if (props?.subscriptionIdentifiers !== undefined) {
      throw protocolError(
        'SUBSCRIPTION_ID_IN_PUBLISH',
        'PUBLISH from a client carries a subscription identifier',
        'MQTT-3.3.4-6',
      );
    }
    if (props?.payloadFormatIndicator === 1 && !isUtf8(p.payload)) {
      throw new MqttError(
        'PAYLOAD_FORMAT_INVALID',
        'payload is not UTF-8',
        ReasonCode.PayloadFormatInvalid,
        'MQTT-3.3.2-4',
      );
    }
  }
  if (topic === '') throw protocolError('EMPTY_TOPIC', 'PUBLISH without topic', 'MQTT-3.3.2-1');
  // A message from a Mosquitto-style bridge (try_private) is marked as bridged, so that this
  // broker's own bridges do not send it on (no loops between brokers bridged over 3.1.1).
  if (conn.bridge) props = markBridged(props, conn.clientId);
  if (p.qos > o.maximumQoS) {
    throw new MqttError(
      'QOS_NOT_SUPPORTED',
      `QoS ${p.qos} not supported`,
      ReasonCode.QoSNotSupported,
      'MQTT-3.2.2-11',
    );
  }
  if (p.retain && !o.retainAvailable) {
    throw new MqttError(
      'RETAIN_NOT_SUPPORTED',
      'retain not supported',
      ReasonCode.RetainNotSupported,
      'MQTT-3.2.2-14',
    );
  }
  checkTopicLimits(topic, o);

  if (p.qos === 2) {
    if (session.inboundQos2.has(p.packetId)) {
      // [MQTT-4.3.3-9] a resend before PUBREL: acknowledge again, do not deliver again.
      if (broker.cluster !== undefined) resendQos2(conn, broker.cluster, p.packetId);
      else sendAck(conn, PacketType.PUBREC, p.packetId, 0);
      return;
    }
    if (session.inboundQos2.size >= o.receiveMaximum) {
      throw new MqttError(
        'RECEIVE_MAXIMUM_EXCEEDED',
        'too many QoS 2 messages awaiting PUBREL',
        ReasonCode.ReceiveMaximumExceeded,
        'MQTT-3.3.4-9',
      );
    }
  }

  if (p.qos > 0 && !broker.persist.store.healthy) {
    // Never acknowledge what the store cannot keep: v5 refuses, 3.x has no way but to close.
    if (!v5)
      throw new MqttError('STORE_UNAVAILABLE', 'store unavailable', ReasonCode.ServerUnavailable);
    finishPublish(conn, p, topic, props, ReasonCode.QuotaExceeded);
    return;
  }
  if (
    topic.charCodeAt(0) === 36 &&
    topic.startsWith('$SYS') &&
    !(conn.bridge && topic.startsWith(BRIDGE_STATE_TOPICS))
  ) {
    finishPublish(conn, p, topic, props, ReasonCode.NotAuthorized);
    return;
  }
  const hook = conn.listener.trusted ? undefined : broker.hooks.authorizePublish;
  if (hook === undefined) {
    finishPublish(conn, p, topic, props, 0);
    return;
  }
  let verdict: boolean | number | Promise<boolean | number>;
  try {
    verdict = hook(conn, { topic, payload: p.payload, qos: p.qos, retain: p.retain });
  } catch (err) {
    broker.log.warn({ clientId: conn.clientId, err }, 'authorizePublish hook threw');
    verdict = false;
  }
  if (!isPromise(verdict)) {
    finishPublish(conn, p, topic, props, reasonOf(verdict));
    return;
  }
  // The payload view must outlive this read: copy it while waiting.
  const held: PublishPacket = { ...p, payload: Buffer.from(p.payload) };
  conn.block();
  verdict.then(
    (v) => resume(conn, held, topic, props, reasonOf(v)),
    () => resume(conn, held, topic, props, ReasonCode.NotAuthorized),
  );
}

function resume(
  conn: Connection,
  p: PublishPacket,
  topic: string,
  props: Properties | undefined,
  reason: number,
): void {
  if (conn.state === ConnState.Closed) return;
  try {
    finishPublish(conn, p, topic, props, reason);
  } catch (err) {
    fail(conn, err);
    return;
  }
  conn.unblock();
}

function reasonOf(v: boolean | number): number {
  if (v === true) return 0;
  if (v === false) return ReasonCode.NotAuthorized;
  return v;
}

function finishPublish(
  conn: Connection,
  p: PublishPacket,
  topic: string,
  props: Properties | undefined,
  reason: number,
): void {
  const broker = conn.broker;
  const cluster = broker.cluster;
  let code = reason;
  let forwarded: boolean | Promise<boolean> = false;
  if (reason < 0x80) {
    const msg = new Message(
      topic,
      p.payload,
      p.qos,
      p.retain,
      props,
      conn.clientId,
      broker.clock.now,
    );
    // A payload in recycled frame memory goes back to the pool once every delivery and socket
    // write is done with it, unless code outside the broker may keep it (hook, event listener).
    const recycle =
      !p.retain &&
      broker.hooks.authorizePublish === undefined &&
      !broker.publishListeners &&
      isLentBody(p.payload);
    if (recycle) msg.recycle();
    // Forwarded first: the cluster picks which node serves each shared group before the local
    // fan-out, and copies the payload before a recycled one can be released.
    if (cluster !== undefined) forwarded = cluster.forward(msg, p.qos === 2 ? p.packetId : 0);
    const reached = broker.router.publish(msg, conn);
    if (reached === 0 && forwarded === false && conn.protocolVersion === 5) {
      code = ReasonCode.NoMatchingSubscribers;
    }
    if (broker.publishListeners) {
      broker.emitEvent('publish', {
        clientId: conn.clientId,
        topic,
        payload: p.payload,
        qos: p.qos as QoS,
        retain: p.retain,
      });
    }
    if (recycle) msg.unpin();
  } else {
    broker.log.debug({ clientId: conn.clientId, topic, reason }, 'publish refused');
  }
  const why = code >= 0x80 && conn.problemInformation ? reasonProps(code) : undefined;
  // With a cluster, the ack waits for the other nodes' confirmation (cluster-acks.ts).
  const wait = typeof forwarded === 'boolean' ? undefined : forwarded;
  if (p.qos === 1) {
    if (cluster === undefined || !deferAck(conn, wait, PacketType.PUBACK, p.packetId, code, why))
      sendAck(conn, PacketType.PUBACK, p.packetId, code, why);
  } else if (p.qos === 2) {
    const session = conn.session;
    if (code < 0x80 && session !== undefined) {
      session.inboundQos2.add(p.packetId);
      broker.persist.incomingPut(session, p.packetId);
    }
    if (cluster === undefined || !deferAck(conn, wait, PacketType.PUBREC, p.packetId, code, why))
      sendAck(conn, PacketType.PUBREC, p.packetId, code, why);
  }
}

function reasonProps(code: number): Properties {
  switch (code) {
    case ReasonCode.NotAuthorized:
      return { reasonString: 'not authorized' };
    case ReasonCode.QuotaExceeded:
      return { reasonString: 'store unavailable' };
    default:
      return { reasonString: `refused (0x${code.toString(16)})` };
  }
}
