import type { QoS } from '../../codec/constants.js';
import type { StoredSubscription } from '../../persistence/types.js';
import type { Session } from '../session/session.js';

/** One subscription of one session, as stored in the topic trie. */
export class SubEntry {
  constructor(
    readonly session: Session,
    /** The filter as sent by the client (with the `$share/group/` prefix for shared ones). */
    readonly filter: string,
    /** The filter without a `$share/group/` prefix. */
    readonly topicFilter: string,
    public qos: QoS,
    public noLocal: boolean,
    public retainAsPublished: boolean,
    public retainHandling: 0 | 1 | 2,
    /** v5 Subscription Identifier, 0 when none. */
    public subscriptionId: number,
    /** Share name for `$share/<group>/...`, undefined otherwise. */
    readonly group: string | undefined,
  ) {}

  /** The subscription as the store (and a session handed to another node) records it. */
  toStored(): StoredSubscription {
    return {
      clientId: this.session.clientId,
      filter: this.filter,
      qos: this.qos,
      noLocal: this.noLocal,
      retainAsPublished: this.retainAsPublished,
      retainHandling: this.retainHandling,
      subscriptionId: this.subscriptionId === 0 ? undefined : this.subscriptionId,
    };
  }
}
