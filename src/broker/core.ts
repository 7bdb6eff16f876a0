import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { TimingWheel } from '../shared/timing-wheel.js';
import type { ClusterLink } from './cluster-link.js';
import type { Connection } from './connection.js';
import type { BrokerEvents } from './events.js';
import type { BrokerHooks } from './hooks.js';
import type { ResolvedOptions } from './options.js';
import type { Persister } from './persist.js';
import type { Router } from './routing/router.js';
import type { Session, SessionOwner } from './session/session.js';
import type { BrokerStats } from './sys.js';

/**
 * What the protocol modules (connection, dispatch, handlers, sessions, routing, delivery,
 * persistence of state, `$SYS`) may ask of the broker, and nothing more. `Broker` implements it;
 * those modules import this interface as a type only, so none of them imports `broker.ts` and
 * the broker's lifecycle (listeners, store opening, shutdown) stays out of their reach.
 *
 * Plug-ins (cluster, bridges, admin) use the public `Broker` API and its events instead.
 */
export interface BrokerCore extends SessionOwner {
  /** The options with every default applied (some are live: see `LIVE_OPTIONS`). */
  readonly options: ResolvedOptions;
  /** The broker's logger (silent when embedded without one). */
  readonly log: Logger;
  /** The one clock: read once per tick, never per packet. */
  readonly clock: Clock;
  /** The one timing wheel: keep-alive, will delay, expiry and connect timeouts. */
  readonly wheel: TimingWheel;
  /** Plain counters behind `$SYS` and the events. */
  readonly stats: BrokerStats;
  /** Subscriptions, shared groups, retained messages and the fan-out. */
  readonly router: Router;
  /** Sessions by client id, connected or not. */
  readonly sessions: Map<string, Session>;
  /** Turns state changes into store records; holds acks until their commit. */
  readonly persist: Persister;
  /** The other nodes of a cluster; undefined (one null check per publish) without one. */
  readonly cluster: ClusterLink | undefined;
  /** Authentication and authorization hooks. */
  readonly hooks: BrokerHooks;
  /** Whether someone listens to `publish` (checked per message so that the event is free otherwise). */
  readonly publishListeners: boolean;
  /** Whether someone listens to `subscribe` or `unsubscribe`. */
  readonly subscribeListeners: boolean;
  /** Number of listeners of one event (e.g. skip building a payload nobody reads). */
  listenerCount(name: keyof BrokerEvents): number;
  /** Emits an event; a throwing listener is logged, never allowed to break a connection. */
  emitEvent<K extends keyof BrokerEvents>(name: K, ...args: BrokerEvents[K]): void;
  /**
   * Closes a connection once: cancels its timers, ends the socket after pending writes and
   * detaches its session (publishing the will when `publishWill`).
   */
  closeConnection(conn: Connection, reason: string, publishWill: boolean): void;
  /**
   * The socket of `conn` is gone (`destroyed`) or its peer ended its side: forgets the
   * connection, and an unannounced close publishes the will.
   */
  socketClosed(conn: Connection, destroyed: boolean): void;
}
