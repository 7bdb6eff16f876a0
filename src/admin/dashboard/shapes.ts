// The JSON shapes the page reads from the admin API (/api/v1); the OpenAPI document at
// /api/v1/openapi.json is their reference.

/** A page of a list; `next` is the cursor of the following page, absent on the last. */
export interface Page<T> {
  items: T[];
  next?: string;
}

export interface ClientSummary {
  clientId: string;
  username?: string;
  address?: string;
  listener?: string;
  protocolVersion?: number;
  connectedAt?: number | string;
}

export interface SubscriptionInfo {
  clientId?: string;
  topicFilter: string;
  qos: number;
}

export interface SessionSummary {
  clientId: string;
  connected: boolean;
  expiryInterval?: number;
  subscriptions?: number;
  queued?: number;
}

export interface SessionDetail extends SessionSummary {
  subscriptionList?: SubscriptionInfo[];
}

export interface RetainedSummary {
  topic: string;
  qos: number;
  size: number;
}

export interface RetainedMessage {
  topic: string;
  qos: number;
  /** The payload, base64-encoded. */
  payload: string;
}

export interface UserInfo {
  username: string;
  disabled?: boolean;
  roles: string[];
}

export interface AclRule {
  action: string;
  topic: string;
  allow: boolean;
}

export interface RoleInfo {
  name: string;
  rules: AclRule[];
}
