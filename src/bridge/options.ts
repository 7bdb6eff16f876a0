import { hostname } from 'node:os';
import { TRUSTED_ID_PREFIX } from '../broker/listener.js';
import { validateTopicFilter } from '../codec/topic.js';

/** Which way a bridged topic flows: `out` (local → remote), `in` (remote → local) or `both`. */
export type BridgeDirection = 'in' | 'out' | 'both';

/** How a bridge reaches its remote broker. */
export type BridgeTransport = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** One `topic` line of a bridge (Mosquitto's `topic PATTERN [in|out|both] [qos] [local] [remote]`). */
export interface BridgeTopicOptions {
  /** Topic filter, without prefixes (`+` and `#` allowed). */
  pattern: string;
  /** Default `out`, as in Mosquitto. */
  direction?: BridgeDirection;
  /** Highest QoS used on this topic (0, 1 or 2; default 0, as in Mosquitto). */
  qos?: 0 | 1 | 2;
  /** Prepended to `pattern` on the local side (default none). */
  localPrefix?: string;
  /** Prepended to `pattern` on the remote side (default none). */
  remotePrefix?: string;
}

/** TLS towards the remote broker (`mqtts` and `wss`). */
export interface BridgeTlsOptions {
  /** PEM CA bundle the remote's certificate must chain to (default: Node's CAs). */
  caFile?: string;
  /** PEM client certificate, for remotes that require one. */
  certFile?: string;
  /** PEM private key of `certFile`. */
  keyFile?: string;
  /** Skip the remote certificate's host name check (Mosquitto's `bridge_insecure`); never in production. */
  insecure?: boolean;
}

/** One bridge: Mosquitto's `connection` section as an object of Petrel's configuration. */
export interface BridgeOptions {
  /** Name of the connection: letters, digits, `_`, `-` and `.`. Unique among the bridges. */
  name: string;
  /** Remote brokers as `host[:port]`, tried in order (fail-over). */
  addresses: string[];
  /** Topics to bridge (at least one). */
  topics: BridgeTopicOptions[];
  /** Default `mqtt` (plain TCP). */
  transport?: BridgeTransport;
  /** Client id on the remote broker (default `<hostname>.<name>`, as in Mosquitto). */
  remoteClientId?: string;
  /** Client id of the bridge's session on this broker (default `$bridge/<name>`). */
  localClientId?: string;
  /** User name on the remote broker. */
  username?: string;
  /** Password on the remote broker. */
  password?: string;
  /** MQTT version towards the remote: 4 (3.1.1, default) or 5. */
  protocolVersion?: 4 | 5;
  /** Clean session on the remote (default false: the remote keeps the bridge's session). */
  cleanSession?: boolean;
  /** Keep-alive towards the remote, seconds (default 60). */
  keepalive?: number;
  /**
   * Seconds before reconnecting: a number (constant), or `[base, cap]` for exponential backoff
   * with jitter (default `[5, 30]`).
   */
  restartTimeout?: number | [number, number];
  /** Tell a 3.1.1 remote that this is a bridge (protocol level bit 0x80; default true). */
  tryPrivate?: boolean;
  /** Publish `1`/`0` on the notification topic, locally and remotely (default true). */
  notifications?: boolean;
  /** Default `$SYS/broker/connection/<remoteClientId>/state`. */
  notificationTopic?: string;
  /** TLS files and checks for `mqtts` and `wss`. */
  tls?: BridgeTlsOptions;
  /** Largest packet accepted from the remote, bytes, announced to a v5 remote (default: the broker's `maxPacketSize`). */
  maxPacketSize?: number;
}

/** A topic with its defaults applied and its two full filters. */
export interface ResolvedBridgeTopic {
  pattern: string;
  direction: BridgeDirection;
  qos: 0 | 1 | 2;
  localPrefix: string;
  remotePrefix: string;
  /** `localPrefix + pattern`: the filter subscribed here (out) or the topic space written (in). */
  localFilter: string;
  /** `remotePrefix + pattern`. */
  remoteFilter: string;
}

/** A bridge with every default applied. */
export interface ResolvedBridge {
  name: string;
  addresses: { host: string; port: number }[];
  topics: ResolvedBridgeTopic[];
  transport: BridgeTransport;
  remoteClientId: string;
  localClientId: string;
  username: string | undefined;
  password: string | undefined;
  protocolVersion: 4 | 5;
  cleanSession: boolean;
  keepalive: number;
  restartBase: number;
  restartCap: number;
  tryPrivate: boolean;
  notifications: boolean;
  notificationTopic: string;
  tls: BridgeTlsOptions;
  maxPacketSize: number | undefined;
}

/** Client ids of the bridges' sessions on this broker start with this; clients may not use it. */
export const BRIDGE_ID_PREFIX = TRUSTED_ID_PREFIX;

const DEFAULT_PORTS: Record<BridgeTransport, number> = {
  mqtt: 1883,
  mqtts: 8883,
  ws: 80,
  wss: 443,
};
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const KEYS = new Set([
  'name',
  'addresses',
  'topics',
  'transport',
  'remoteClientId',
  'localClientId',
  'username',
  'password',
  'protocolVersion',
  'cleanSession',
  'keepalive',
  'restartTimeout',
  'tryPrivate',
  'notifications',
  'notificationTopic',
  'tls',
  'maxPacketSize',
]);
const TOPIC_KEYS = new Set(['pattern', 'direction', 'qos', 'localPrefix', 'remotePrefix']);
const TLS_KEYS = new Set(['caFile', 'certFile', 'keyFile', 'insecure']);

/** A bad bridge option; the message names the field, e.g. `bridges[0].topics[1].qos: …`. */
export class BridgeConfigError extends TypeError {}

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw new BridgeConfigError(`${path}: ${problem}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function onlyKeys(o: Obj, keys: Set<string>, path: string): void {
  for (const k of Object.keys(o)) if (!keys.has(k)) fail(`${path}.${k}`, 'unknown bridge option');
}

function str(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${path}.${key}`, 'must be a string');
  return v;
}

function int(o: Obj, key: string, path: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`${path}.${key}`, `must be an integer between ${min} and ${max}`);
  }
  return v;
}

function bool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'must be true or false');
  return v;
}

function oneOf<T extends string | number>(
  o: Obj,
  key: string,
  path: string,
  values: readonly T[],
): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) fail(`${path}.${key}`, `must be one of ${values.join(', ')}`);
  return v as T;
}

function address(v: unknown, path: string, port: number): { host: string; port: number } {
  if (typeof v !== 'string' || v.trim() === '') fail(path, 'must be "host" or "host:port"');
  const s = v.trim();
  // [v6]:port, v6 without a port (several colons), or host:port.
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  const host = m?.[1] ?? (s.includes(':') ? s : undefined);
  const p = m?.[2] === undefined ? port : Number(m[2]);
  if (host === undefined || !Number.isInteger(p) || p < 1 || p > 65535) {
    fail(path, `'${s}' is not "host" or "host:port" with a port between 1 and 65535`);
  }
  return { host, port: p };
}

function prefix(o: Obj, key: string, path: string): string {
  const v = str(o, key, path) ?? '';
  if (v.includes('+') || v.includes('#')) fail(`${path}.${key}`, 'must not contain + or #');
  return v;
}

function topic(v: unknown, path: string): ResolvedBridgeTopic {
  const t = obj(v, path);
  onlyKeys(t, TOPIC_KEYS, path);
  const pattern = str(t, 'pattern', path);
  if (pattern === undefined) fail(`${path}.pattern`, 'is required');
  const localPrefix = prefix(t, 'localPrefix', path);
  const remotePrefix = prefix(t, 'remotePrefix', path);
  const localFilter = localPrefix + pattern;
  const remoteFilter = remotePrefix + pattern;
  for (const [f, key] of [
    [localFilter, 'pattern'],
    [remoteFilter, 'pattern'],
  ] as const) {
    try {
      validateTopicFilter(f, { shared: false });
    } catch (err) {
      fail(`${path}.${key}`, `'${f}' is not a valid topic filter (${(err as Error).message})`);
    }
  }
  return {
    pattern,
    direction: oneOf(t, 'direction', path, ['in', 'out', 'both'] as const) ?? 'out',
    qos: oneOf(t, 'qos', path, [0, 1, 2] as const) ?? 0,
    localPrefix,
    remotePrefix,
    localFilter,
    remoteFilter,
  };
}

function restart(o: Obj, path: string): [number, number] {
  const v = o.restartTimeout;
  if (v === undefined) return [5, 30];
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= 86_400;
  if (ok(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]) {
    return [v[0] as number, v[1] as number];
  }
  return fail(
    `${path}.restartTimeout`,
    'must be seconds (0 < s <= 86400) or [base, cap] with base <= cap',
  );
}

/** Checks and completes one bridge; throws a {@link BridgeConfigError} naming the field. */
export function resolveBridge(input: unknown, path: string): ResolvedBridge {
  const o = obj(input, path);
  onlyKeys(o, KEYS, path);
  const name = str(o, 'name', path);
  if (name === undefined) fail(`${path}.name`, 'is required');
  if (!NAME.test(name)) fail(`${path}.name`, 'must be 1-64 letters, digits, _, - or .');
  const transport = oneOf(o, 'transport', path, ['mqtt', 'mqtts', 'ws', 'wss'] as const) ?? 'mqtt';
  const list = o.addresses;
  if (!Array.isArray(list) || list.length === 0) {
    fail(`${path}.addresses`, 'must be a non-empty array of "host[:port]"');
  }
  const addresses = list.map((a, i) =>
    address(a, `${path}.addresses[${i}]`, DEFAULT_PORTS[transport]),
  );
  const topics = o.topics;
  if (!Array.isArray(topics) || topics.length === 0) {
    fail(`${path}.topics`, 'must be a non-empty array of {pattern, direction?, qos?, …}');
  }
  const remoteClientId = str(o, 'remoteClientId', path) ?? `${hostname()}.${name}`;
  if (remoteClientId === '' || Buffer.byteLength(remoteClientId) > 65535) {
    fail(`${path}.remoteClientId`, 'must be 1 to 65535 bytes');
  }
  const localClientId = str(o, 'localClientId', path) ?? `${BRIDGE_ID_PREFIX}${name}`;
  if (!localClientId.startsWith(BRIDGE_ID_PREFIX) || localClientId === BRIDGE_ID_PREFIX) {
    fail(`${path}.localClientId`, `must start with '${BRIDGE_ID_PREFIX}' and name something`);
  }
  const tlsIn = o.tls === undefined ? {} : obj(o.tls, `${path}.tls`);
  onlyKeys(tlsIn, TLS_KEYS, `${path}.tls`);
  const tls: BridgeTlsOptions = {};
  for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
    const v = str(tlsIn, k, `${path}.tls`);
    if (v !== undefined) tls[k] = v;
  }
  const insecure = bool(tlsIn, 'insecure', `${path}.tls`);
  if (insecure !== undefined) tls.insecure = insecure;
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    fail(`${path}.tls`, 'certFile and keyFile go together');
  }
  const [restartBase, restartCap] = restart(o, path);
  const notificationTopic =
    str(o, 'notificationTopic', path) ?? `$SYS/broker/connection/${remoteClientId}/state`;
  if (notificationTopic === '' || /[+#]/.test(notificationTopic)) {
    fail(`${path}.notificationTopic`, 'must be a topic name without + or #');
  }
  return {
    name,
    addresses,
    topics: topics.map((t, i) => topic(t, `${path}.topics[${i}]`)),
    transport,
    remoteClientId,
    localClientId,
    username: str(o, 'username', path),
    password: str(o, 'password', path),
    protocolVersion: oneOf(o, 'protocolVersion', path, [4, 5] as const) ?? 4,
    cleanSession: bool(o, 'cleanSession', path) ?? false,
    keepalive: int(o, 'keepalive', path, 0, 65535) ?? 60,
    restartBase,
    restartCap,
    tryPrivate: bool(o, 'tryPrivate', path) ?? true,
    notifications: bool(o, 'notifications', path) ?? true,
    notificationTopic,
    tls,
    maxPacketSize: int(o, 'maxPacketSize', path, 64, 268_435_460),
  };
}

/** Checks a `bridges` array: every bridge valid, names and local client ids unique. */
export function resolveBridges(input: unknown): ResolvedBridge[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) fail('bridges', 'must be an array of bridge objects');
  const out = input.map((b, i) => resolveBridge(b, `bridges[${i}]`));
  const names = new Set<string>();
  const ids = new Set<string>();
  out.forEach((b, i) => {
    if (names.has(b.name)) fail(`bridges[${i}].name`, `'${b.name}' is used by another bridge`);
    if (ids.has(b.localClientId)) {
      fail(`bridges[${i}].localClientId`, `'${b.localClientId}' is used by another bridge`);
    }
    names.add(b.name);
    ids.add(b.localClientId);
  });
  return out;
}
