// The JSON shapes the page reads from the admin API (/api/v1; views in src/admin/routes/views.ts,
// paging in src/admin/paging.ts); /api/v1/openapi.json is their reference.

/** A page of a list; pass `next` as `after` for the following page (absent on the last). */
export interface Page<T> {
  total: number;
  items: T[];
  next?: string;
}

export interface ClientSummary {
  clientId: string;
  username?: string;
  address?: string;
  listener?: string;
  /** '3.1', '3.1.1' or '5.0' */
  protocol?: string;
  /** ISO date-time */
  connectedAt?: string;
}

/** GET /api/v1/clients/{id}: one connected client in full. */
export interface ClientDetail extends ClientSummary {
  /** Seconds granted; 0: none. */
  keepAlive?: number;
  /** Seconds the session outlives the connection. */
  sessionExpiryInterval?: number;
  queued?: number;
  inflight?: number;
  subscriptions: SubscriptionInfo[];
}

export interface SubscriptionInfo {
  clientId: string;
  /** As subscribed, with any $share/group/ prefix. */
  filter: string;
  qos: number;
}

export interface SessionSummary {
  clientId: string;
  online: boolean;
  username?: string;
  protocol?: string;
  expiryInterval?: number;
  subscriptions?: number;
  queued?: number;
  inflight?: number;
  willTopic?: string;
}

export interface SessionDetail extends Omit<SessionSummary, 'subscriptions'> {
  subscriptions: SubscriptionInfo[];
}

export interface RetainedSummary {
  topic: string;
  qos: number;
  bytes: number;
}

export interface RetainedMessage extends RetainedSummary {
  /** The payload as text, absent when it is not UTF-8. */
  payload?: string;
  payloadBase64: string;
  contentType?: string;
}
