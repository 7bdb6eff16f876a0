import { PacketType } from '../../codec/constants.js';
import { encodePacket } from '../../codec/encode.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { UnsubscribePacket } from '../../codec/types.js';
import type { Connection } from '../connection.js';
import { dropSubscription } from '../session/subscriptions.js';

/** UNSUBSCRIBE: removes each filter; v5 UNSUBACK says 0x11 for filters that did not exist. */
export function handleUnsubscribe(conn: Connection, p: UnsubscribePacket): void {
  const broker = conn.broker;
  const session = conn.session;
  if (session === undefined) return;
  const codes: number[] = [];
  for (const filter of p.topicFilters) {
    const entry = session.subscriptions.get(filter);
    if (entry === undefined) {
      codes.push(ReasonCode.NoSubscriptionExisted);
      continue;
    }
    dropSubscription(broker, entry);
    codes.push(ReasonCode.Success);
  }
  conn.write(
    encodePacket(
      {
        type: PacketType.UNSUBACK,
        packetId: p.packetId,
        reasonCodes: codes,
        properties: undefined,
      },
      conn.protocolVersion,
    ),
  );
  if (broker.subscribeListeners) {
    broker.emitEvent('unsubscribe', { clientId: conn.clientId, topicFilters: p.topicFilters });
  }
}
