import type { QoS } from '../../codec/constants.js';
import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import { MqttError, protocolError } from '../../codec/errors.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import { hasWildcard, parseSharedSubscription } from '../../codec/topic.js';
import type { SubscribePacket, Subscription } from '../../codec/types.js';
import { ConnState } from '../conn-state.js';
import type { Connection } from '../connection.js';
import { isPromise } from '../hooks.js';
import { topicWithinLimits } from '../limits.js';
import { fail } from '../refuse.js';
import { SubEntry } from '../routing/subscription.js';
import type { Session } from '../session/session.js';
import { putSubscription } from '../session/subscriptions.js';

/** A subscription after the checks: granted QoS, or a failure reason (>= 0x80). */
interface Verdict {
  sub: Subscription;
  group: string | undefined;
  topicFilter: string;
  code: number;
}

/**
 * SUBSCRIBE: checks every filter (limits, shared-subscription rules, features, authorisation),
 * stores the granted ones, answers SUBACK with one code per filter, then sends matching retained
 * messages.
 */
export function handleSubscribe(conn: Connection, p: SubscribePacket): void {
  const broker = conn.broker;
  const o = broker.options;
  const subId = p.properties?.subscriptionIdentifiers?.[0] ?? 0;
  if (subId !== 0 && !o.subscriptionIdentifiersAvailable) {
    throw new MqttError(
      'SUBSCRIPTION_IDS_NOT_SUPPORTED',
      'subscription identifiers not supported',
      ReasonCode.SubscriptionIdentifiersNotSupported,
    );
  }
  const verdicts: Verdict[] = [];
  let asyncs: Array<Promise<void>> | undefined;
  for (const sub of p.subscriptions) {
    const shared = parseSharedSubscription(sub.topicFilter);
    const topicFilter = shared?.filter ?? sub.topicFilter;
    const v: Verdict = {
      sub,
      group: shared?.group,
      topicFilter,
      code: Math.min(sub.qos, o.maximumQoS),
    };
    verdicts.push(v);
    if (shared !== undefined) {
      if (sub.noLocal) {
        throw protocolError(
          'NO_LOCAL_ON_SHARED',
          'No Local set on a shared subscription',
          'MQTT-3.8.3-4',
        );
      }
      if (!o.sharedSubscriptionAvailable) {
        v.code = ReasonCode.SharedSubscriptionsNotSupported;
        continue;
      }
    }
    if (!o.wildcardSubscriptionAvailable && hasWildcard(topicFilter)) {
      v.code = ReasonCode.WildcardSubscriptionsNotSupported;
      continue;
    }
    if (!topicWithinLimits(topicFilter, o)) {
      v.code = ReasonCode.TopicFilterInvalid;
      continue;
    }
    const hook = conn.listener.trusted ? undefined : broker.hooks.authorizeSubscribe;
    if (hook === undefined) continue;
    let r: boolean | number | Promise<boolean | number>;
    try {
      r = hook(conn, sub);
    } catch (err) {
      broker.log.warn({ clientId: conn.clientId, err }, 'authorizeSubscribe hook threw');
      r = false;
    }
    if (isPromise(r)) {
      if (asyncs === undefined) asyncs = [];
      asyncs.push(
        r.then(
          (x) => applyVerdict(v, x),
          () => applyVerdict(v, false),
        ),
      );
    } else applyVerdict(v, r);
  }
  if (asyncs === undefined) {
    finishSubscribe(conn, p, verdicts, subId, false);
    return;
  }
  conn.block();
  void Promise.all(asyncs).then(() => {
    if (conn.state === ConnState.Closed) return;
    try {
      finishSubscribe(conn, p, verdicts, subId, true);
    } catch (err) {
      fail(conn, err);
    }
  });
}

function applyVerdict(v: Verdict, r: boolean | number): void {
  if (r === true) return;
  if (r === false) v.code = ReasonCode.NotAuthorized;
  else if (r >= 0x80) v.code = r;
  else v.code = Math.min(v.code, r);
}

/**
 * Stores the granted subscriptions and answers. In a cluster the SUBACK waits (reading paused,
 * bounded by the cluster's timeout) until the other nodes know a new filter, so that a publish
 * on any node after the SUBACK reaches the subscription. `blocked`: the connection is paused
 * (by an authorisation hook) and is resumed here once answered.
 */
function finishSubscribe(
  conn: Connection,
  p: SubscribePacket,
  verdicts: Verdict[],
  subId: number,
  blocked: boolean,
): void {
  const broker = conn.broker;
  const session = conn.session;
  if (session === undefined) return;
  const codes: number[] = [];
  const added: Array<{ entry: SubEntry; isNew: boolean }> = [];
  for (const v of verdicts) {
    if (v.code >= 0x80) {
      // 3.x has a single failure code.
      codes.push(conn.protocolVersion === 5 ? v.code : 0x80);
      continue;
    }
    const qos = v.code as QoS;
    const s = v.sub;
    const entry = new SubEntry(
      session,
      s.topicFilter,
      v.topicFilter,
      qos,
      // A Mosquitto bridge (try_private) gets nothing of its own back, as from Mosquitto.
      s.noLocal || conn.bridge,
      s.retainAsPublished,
      s.retainHandling,
      subId,
      v.group,
    );
    // [MQTT-3.8.4-3] an identical filter replaces the existing subscription.
    const old = putSubscription(broker, entry);
    added.push({ entry, isNew: old === undefined });
    codes.push(qos);
  }
  if (broker.subscribeListeners) {
    broker.emitEvent('subscribe', {
      clientId: conn.clientId,
      subscriptions: verdicts.map((v, i) => ({
        topicFilter: v.sub.topicFilter,
        code: codes[i] as number,
      })),
    });
  }
  const settled = added.length > 0 ? broker.cluster?.interestSettled() : undefined;
  if (settled === undefined) {
    answerSubscribe(conn, session, p.packetId, codes, added);
    if (blocked) conn.unblock();
    return;
  }
  if (!blocked) conn.block();
  void settled.then(() => {
    if (conn.state === ConnState.Closed) return;
    try {
      answerSubscribe(conn, session, p.packetId, codes, added);
    } catch (err) {
      fail(conn, err);
      return;
    }
    conn.unblock();
  });
}

function answerSubscribe(
  conn: Connection,
  session: Session,
  packetId: number,
  codes: number[],
  added: Array<{ entry: SubEntry; isNew: boolean }>,
): void {
  const broker = conn.broker;
  const ack = encodePacket(
    { type: PacketType.SUBACK, packetId, reasonCodes: codes, properties: undefined },
    conn.protocolVersion,
  );
  const persist = broker.persist;
  // [MQTT-3.3.1-6] retained messages follow the SUBACK, also when it waits for a commit.
  if (persist.holdsAcks && (persist.dirty || conn.hasHeldAcks)) {
    const then = added.length > 0 ? () => sendRetained(conn, session, added) : undefined;
    conn.holdAck(persist.seq, ack, broker.options.receiveMaximum, then);
    persist.awaitCommit(conn);
  } else {
    conn.write(ack);
    sendRetained(conn, session, added);
  }
}

function sendRetained(
  conn: Connection,
  session: Session,
  added: ReadonlyArray<{ entry: SubEntry; isNew: boolean }>,
): void {
  // A held SUBACK is released later: by then the client may have gone or been taken over.
  if (conn.session !== session) return;
  for (const a of added) conn.broker.router.sendRetained(session, a.entry, a.isNew);
}
