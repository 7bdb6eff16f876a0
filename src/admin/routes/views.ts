// JSON views of the broker's objects (clients, sessions, subscriptions, retained messages) and
// their schemas, shared by the routes that return them.
import type { Connection } from '../../broker/connection.js';
import type { Message } from '../../broker/message.js';
import type { SubEntry } from '../../broker/routing/subscription.js';
import type { Session } from '../../broker/session/session.js';

const PROTOCOLS: Record<number, string> = { 3: '3.1', 4: '3.1.1', 5: '5.0' };

export const SUBSCRIPTION = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    filter: { type: 'string', description: 'as subscribed, with a $share/group/ prefix' },
    qos: { type: 'integer' },
    noLocal: { type: 'boolean' },
    retainAsPublished: { type: 'boolean' },
    retainHandling: { type: 'integer' },
    group: { type: 'string', description: 'share name of a shared subscription' },
  },
};

export function subscriptionView(e: SubEntry) {
  return {
    clientId: e.session.clientId,
    filter: e.filter,
    qos: e.qos,
    noLocal: e.noLocal,
    retainAsPublished: e.retainAsPublished,
    retainHandling: e.retainHandling,
    ...(e.group === undefined ? {} : { group: e.group }),
  };
}

export const CLIENT = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    username: { type: 'string' },
    address: { type: 'string' },
    listener: { type: 'string', description: 'tcp, tls, ws, wss or custom' },
    protocol: { type: 'string', enum: ['3.1', '3.1.1', '5.0'] },
    keepAlive: { type: 'integer', description: 'seconds granted; 0: none' },
    sessionExpiryInterval: { type: 'integer', description: 'seconds' },
    connectedAt: { type: 'string', format: 'date-time' },
    subscriptions: { type: 'integer' },
    queued: { type: 'integer', description: 'messages in the session queue' },
    inflight: { type: 'integer', description: 'outbound QoS 1/2 messages unacknowledged' },
  },
};

export function clientView(c: Connection) {
  const s = c.session;
  return {
    clientId: c.clientId,
    ...(c.username === undefined ? {} : { username: c.username }),
    ...(c.remoteAddress === undefined ? {} : { address: c.remoteAddress }),
    listener: c.transport,
    protocol: PROTOCOLS[c.protocolVersion] ?? String(c.protocolVersion),
    keepAlive: Math.round(c.keepAliveGraceMs / 1500),
    sessionExpiryInterval: s?.expiryInterval ?? 0,
    connectedAt: new Date(c.connectedAt).toISOString(),
    subscriptions: s?.hasSubscriptions === true ? s.subscriptions.size : 0,
    queued: s?.queuedCount ?? 0,
    inflight: s?.inflightCount ?? 0,
  };
}

export const CLIENT_DETAIL = {
  type: 'object',
  properties: {
    ...CLIENT.properties,
    subscriptions: { type: 'array', items: SUBSCRIPTION },
  },
};

export const SESSION = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    online: { type: 'boolean' },
    username: { type: 'string', description: 'of its last connection' },
    protocol: { type: 'string' },
    expiryInterval: { type: 'integer', description: 'seconds it outlives its connection' },
    subscriptions: { type: 'integer' },
    queued: { type: 'integer' },
    queuedBytes: { type: 'integer' },
    inflight: { type: 'integer' },
    willTopic: { type: 'string', description: 'topic of its will, if it has one' },
  },
};

export function sessionView(s: Session) {
  return {
    clientId: s.clientId,
    online: s.connection !== undefined,
    ...(s.username === undefined ? {} : { username: s.username }),
    protocol: PROTOCOLS[s.protocolVersion] ?? String(s.protocolVersion),
    expiryInterval: s.expiryInterval,
    subscriptions: s.hasSubscriptions ? s.subscriptions.size : 0,
    queued: s.queuedCount,
    queuedBytes: s.queuedBytes,
    inflight: s.inflightCount,
    ...(s.will === undefined ? {} : { willTopic: s.will.topic }),
  };
}

export const SESSION_DETAIL = {
  type: 'object',
  properties: { ...SESSION.properties, subscriptions: { type: 'array', items: SUBSCRIPTION } },
};

export const RETAINED = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    qos: { type: 'integer' },
    bytes: { type: 'integer', description: 'payload size' },
  },
};

export function retainedView(m: Message) {
  return { topic: m.topic, qos: m.qos, bytes: m.payload.length };
}

export const RETAINED_DETAIL = {
  type: 'object',
  properties: {
    ...RETAINED.properties,
    payload: { type: 'string', description: 'the payload as UTF-8 text, absent if it is not text' },
    payloadBase64: { type: 'string' },
    contentType: { type: 'string' },
    responseTopic: { type: 'string' },
    messageExpiryInterval: { type: 'integer' },
    userProperties: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
  },
};

const decoder = new TextDecoder('utf-8', { fatal: true });

export function retainedDetail(m: Message) {
  let text: string | undefined;
  try {
    text = decoder.decode(m.payload);
  } catch {
    text = undefined;
  }
  const p = m.properties;
  return {
    ...retainedView(m),
    ...(text === undefined ? {} : { payload: text }),
    payloadBase64: m.payload.toString('base64'),
    ...(p?.contentType === undefined ? {} : { contentType: p.contentType }),
    ...(p?.responseTopic === undefined ? {} : { responseTopic: p.responseTopic }),
    ...(p?.messageExpiryInterval === undefined
      ? {}
      : { messageExpiryInterval: p.messageExpiryInterval }),
    ...(p?.userProperties === undefined ? {} : { userProperties: p.userProperties }),
  };
}
