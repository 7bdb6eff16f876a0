import type { Properties } from '../../codec/types.js';
import type {
  QueueEntryState,
  StoredIncoming,
  StoredMessage,
  StoredQueueEntry,
  StoredRetained,
  StoredSecurityEntry,
  StoredSession,
  StoredSubscription,
  StoredWill,
} from '../types.js';

// Every value read back is checked for shape before the broker sees it: a damaged record is
// dropped (and counted in a log line) rather than served as garbage.

type Rec = Record<string, unknown>;
type Validator = (v: unknown) => object | undefined;

const STATES: ReadonlySet<string> = new Set<QueueEntryState>([
  'queued',
  'awaitingPuback',
  'awaitingPubrec',
  'awaitingPubcomp',
]);

function rec(v: unknown): Rec | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isQos = (v: unknown): v is 0 | 1 | 2 => v === 0 || v === 1 || v === 2;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const optUint = (v: unknown): v is number | undefined => v === undefined || isUint(v);
const optStr = (v: unknown): v is string | undefined => v === undefined || isStr(v);

function buf(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

function props(v: unknown): { ok: boolean; value: Properties | undefined } {
  if (v === undefined || v === null) return { ok: true, value: undefined };
  const r = rec(v);
  if (r === undefined) return { ok: false, value: undefined };
  if (r.correlationData !== undefined) {
    const b = buf(r.correlationData);
    if (b === undefined) return { ok: false, value: undefined };
    return { ok: true, value: { ...(r as Properties), correlationData: b } };
  }
  return { ok: true, value: r as Properties };
}

function session(v: unknown): StoredSession | undefined {
  const r = rec(v);
  if (r === undefined || !isStr(r.clientId) || !isUint(r.expiryInterval)) return undefined;
  if (r.protocolVersion !== 3 && r.protocolVersion !== 4 && r.protocolVersion !== 5) return;
  if (!optUint(r.disconnectedAt) || !optStr(r.username)) return undefined;
  return {
    clientId: r.clientId,
    protocolVersion: r.protocolVersion,
    expiryInterval: r.expiryInterval,
    disconnectedAt: r.disconnectedAt,
    username: r.username,
  };
}

function sub(v: unknown): StoredSubscription | undefined {
  const r = rec(v);
  if (r === undefined || !isStr(r.clientId) || !isStr(r.filter) || !isQos(r.qos)) return;
  if (!isBool(r.noLocal) || !isBool(r.retainAsPublished) || !optUint(r.subscriptionId)) return;
  if (r.retainHandling !== 0 && r.retainHandling !== 1 && r.retainHandling !== 2) return;
  return {
    clientId: r.clientId,
    filter: r.filter,
    qos: r.qos,
    noLocal: r.noLocal,
    retainAsPublished: r.retainAsPublished,
    retainHandling: r.retainHandling,
    subscriptionId: r.subscriptionId,
  };
}

function message(v: unknown): StoredMessage | undefined {
  const r = rec(v);
  const payload = buf(r?.payload);
  if (r === undefined || payload === undefined || !isUint(r.id) || !isStr(r.topic)) return;
  const p = props(r.properties);
  if (!isQos(r.qos) || !isBool(r.retain) || !p.ok || !optUint(r.expiresAt)) return;
  if (!optStr(r.origin)) return;
  return {
    id: r.id,
    topic: r.topic,
    payload,
    qos: r.qos,
    retain: r.retain,
    properties: p.value,
    expiresAt: r.expiresAt,
    origin: r.origin,
  };
}

function queueEntry(v: unknown): StoredQueueEntry | undefined {
  const r = rec(v);
  if (r === undefined || !isStr(r.clientId) || !isUint(r.seq) || !isUint(r.messageId)) return;
  if (!isQos(r.qos) || !isStr(r.state) || !STATES.has(r.state) || !isUint(r.packetId)) return;
  if (!Array.isArray(r.subscriptionIds) || !r.subscriptionIds.every(isUint)) return;
  if (!isBool(r.retain)) return;
  return {
    clientId: r.clientId,
    seq: r.seq,
    messageId: r.messageId,
    qos: r.qos,
    state: r.state as QueueEntryState,
    packetId: r.packetId,
    subscriptionIds: r.subscriptionIds as number[],
    retain: r.retain,
  };
}

function incoming(v: unknown): StoredIncoming | undefined {
  const r = rec(v);
  if (r === undefined || !isStr(r.clientId) || !isUint(r.packetId) || !optUint(r.messageId)) {
    return undefined;
  }
  return { clientId: r.clientId, packetId: r.packetId, messageId: r.messageId };
}

function retained(v: unknown): StoredRetained | undefined {
  const r = rec(v);
  const payload = buf(r?.payload);
  if (r === undefined || payload === undefined || !isStr(r.topic) || !isQos(r.qos)) return;
  const p = props(r.properties);
  if (!p.ok || !optUint(r.expiresAt)) return undefined;
  return { topic: r.topic, payload, qos: r.qos, properties: p.value, expiresAt: r.expiresAt };
}

function will(v: unknown): StoredWill | undefined {
  const r = rec(v);
  const payload = buf(r?.payload);
  if (r === undefined || payload === undefined || !isStr(r.clientId) || !isStr(r.topic)) return;
  const p = props(r.properties);
  if (!isQos(r.qos) || !isBool(r.retain) || !p.ok) return undefined;
  if (!isUint(r.delayInterval) || !optUint(r.dueAt)) return undefined;
  return {
    clientId: r.clientId,
    topic: r.topic,
    payload,
    qos: r.qos,
    retain: r.retain,
    properties: p.value,
    delayInterval: r.delayInterval,
    dueAt: r.dueAt,
  };
}

function security(v: unknown): StoredSecurityEntry | undefined {
  const r = rec(v);
  if (r === undefined || !isStr(r.name) || !isStr(r.data)) return undefined;
  if (r.type !== 'user' && r.type !== 'role' && r.type !== 'client') return undefined;
  return { type: r.type, name: r.name, data: r.data };
}

/** Shape check and normalisation per table; `undefined` means a damaged record. */
export const VALIDATORS: Readonly<Record<string, Validator>> & {
  sessions: Validator;
  subs: Validator;
  msgs: Validator;
  queue: Validator;
  incoming: Validator;
  retained: Validator;
  wills: Validator;
  security: Validator;
} = {
  sessions: session,
  subs: sub,
  msgs: message,
  queue: queueEntry,
  incoming,
  retained,
  wills: will,
  security,
};
