// Turns a read mosquitto.conf into Petrel's JSON configuration (the same object a JSON config
// file holds, validated afterwards by cli/config.ts), with Mosquitto's defaults where they differ
// from Petrel's and a warning, naming file and line, for each key that cannot mean here what it
// means in Mosquitto. docs/mosquitto.md lists both.
//
// Bridges plug in here: `mapMosquitto` hands the `connection` sections (mosquitto-read.ts) to a
// BridgeMapper and puts what it returns, when not empty, into the config's `bridges` array, which
// cli/config.ts then validates as it validates a JSON config's. The default mapper is
// `mosquittoBridges` (mosquitto-bridge.ts).
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { ListenerOptions } from '../broker/options.js';
import { mosquittoBridges } from './mosquitto-bridge.js';
import type { AuthKeys, ListenerDraft, MappingState } from './mosquitto-keys.js';
import { KEYS, newDraft, parseBool } from './mosquitto-keys.js';
import type { ConnectionSection, Directive, Location, MosquittoFile } from './mosquitto-read.js';
import { MosquittoConfigError, readMosquittoConfig, where } from './mosquitto-read.js';

/** A warning about one line: what Petrel does instead of what the key asks. */
export interface MosquittoWarning extends Location {
  message: string;
}

/** `file:line: message` */
export function formatWarning(w: MosquittoWarning): string {
  return `${where(w)}: ${w.message}`;
}

/**
 * Maps the `connection` sections to Petrel's `bridges` config (the JSON array of that name).
 * `warn` reports a key that cannot be honoured; throw MosquittoConfigError for a bad one.
 */
export type BridgeMapper = (
  sections: readonly ConnectionSection[],
  warn: (at: Location, message: string) => void,
) => unknown[];

/**
 * Mosquitto 2.0's defaults where they differ from Petrel's; a Mosquitto file gets these unless
 * it sets the key. (allow_anonymous, listener addresses and persistence are decided in
 * {@link mapMosquitto}.)
 */
export const MOSQUITTO_DEFAULTS: Readonly<Record<string, unknown>> = {
  // TOPIC_HIERARCHY_LIMIT in Mosquitto's source.
  maxTopicLevels: 200,
  // MQTT's own limit: Mosquitto checks none of its own.
  maxClientIdLength: 65535,
  // max_inflight_messages defaults to 20, which Mosquitto also announces as Receive Maximum.
  maxInflight: 20,
  receiveMaximum: 20,
  // max_queued_bytes and max_packet_size default to no limit, max_connections to -1 (none).
  maxQueuedBytes: Number.MAX_SAFE_INTEGER,
  maxPacketSize: 268_435_460,
  maxConnections: 10_000_000,
  // max_topic_alias defaults to 10.
  topicAliasMaximum: 10,
};

export interface MosquittoConversion {
  /** Petrel's JSON configuration. */
  config: Record<string, unknown>;
  warnings: MosquittoWarning[];
}

export interface MapOptions {
  /** Maps `connection` sections (default: {@link mosquittoBridges}). */
  bridges?: BridgeMapper;
  /** Base of a relative persistence_location (Mosquitto's working directory). */
  cwd?: string;
}

/** Reads and maps a mosquitto.conf; throws MosquittoConfigError naming file and line. */
export function convertMosquittoFile(path: string, options: MapOptions = {}): MosquittoConversion {
  return mapMosquitto(readMosquittoConfig(path), options);
}

export function mapMosquitto(file: MosquittoFile, options: MapOptions = {}): MosquittoConversion {
  const warnings: MosquittoWarning[] = [];
  const warn = (at: Location, message: string) =>
    warnings.push({ file: at.file, line: at.line, message });
  const defaultListener = newDraft(undefined);
  const s: MappingState = {
    options: {},
    perListenerSettings: perListenerSettings(file.directives),
    auth: {},
    defaultListener,
    listeners: [],
    current: defaultListener,
    logTypes: undefined,
    logNone: false,
    persistence: false,
    persistenceLocation: undefined,
    messageSizeLimit: undefined,
    warn,
  };
  for (const d of file.directives) {
    const handler = KEYS[d.key] ?? (d.key.startsWith('auth_opt_') ? authOpt : undefined);
    if (handler === undefined) throw new MosquittoConfigError(`${where(d)}: ${d.key}: unknown key`);
    handler(d, s);
  }
  const config: Record<string, unknown> = { ...MOSQUITTO_DEFAULTS, ...s.options };
  mapListeners(s, config);
  mapPersistence(s, config, options.cwd ?? process.cwd());
  mapLogging(s, config);
  if (s.messageSizeLimit !== undefined) {
    // Room for the fixed header, the topic (at most 65,535 bytes) and a packet identifier.
    const packet = s.messageSizeLimit + 5 + 2 + 65_535 + 2;
    config.maxPacketSize = Math.min(config.maxPacketSize as number, packet);
  }
  const bridges = (options.bridges ?? mosquittoBridges)(file.connections, warn);
  if (bridges.length > 0) config.bridges = bridges;
  return { config, warnings };
}

function authOpt(d: Directive, s: MappingState): void {
  s.warn(d, `${d.key}: not supported; there are no plugins to configure`);
}

/** The last per_listener_settings wins, wherever it is, as it decides where auth keys go. */
function perListenerSettings(directives: readonly Directive[]): boolean {
  let on = false;
  for (const d of directives) if (d.key === 'per_listener_settings') on = parseBool(d);
  return on;
}

function mapListeners(s: MappingState, config: Record<string, unknown>): void {
  // A unix socket listener has no port: it is reported and not opened.
  const drafts = s.listeners.filter((l) => l.port !== undefined);
  // Mosquitto opens the default listener when keys were given for it, or when nothing else is.
  if (s.defaultListener.touched || s.listeners.length === 0) drafts.unshift(s.defaultListener);
  const localOnly = s.listeners.length === 0 && !s.defaultListener.touched;
  const listeners: ListenerOptions[] = [];
  if (!localOnly) {
    for (const l of drafts) listeners.push(listenerOf(l));
    config.listeners = listeners;
  }
  const auths = s.perListenerSettings ? drafts.map((l) => l.auth) : [s.auth];
  const files = (pick: (a: AuthKeys) => Directive | undefined, key: 'passwordFile' | 'aclFile') => {
    const given = auths.map(pick).filter((d): d is Directive => d !== undefined);
    const first = given[0];
    if (first === undefined) return;
    for (const d of given) {
      if (d.value !== first.value) {
        throw new MosquittoConfigError(
          `${where(d)}: ${d.key}: Petrel has one ${d.key} for all listeners, and ${where(first)} names another; use one file`,
        );
      }
    }
    if (given.length < auths.length) {
      s.warn(first, `${first.key}: Petrel has one ${first.key}: it applies to every listener`);
    }
    config[key] = first.value;
  };
  files((a) => a.passwordFile, 'passwordFile');
  files((a) => a.aclFile, 'aclFile');
  // Mosquitto 2.0: anonymous clients are refused unless allowed, except in "local only" mode
  // (no listener configured), where the loopback listener takes them.
  const anonymous = (a: AuthKeys) => a.allowAnonymous ?? localOnly;
  if (s.perListenerSettings && !localOnly) {
    for (let i = 0; i < drafts.length; i++) {
      (listeners[i] as ListenerOptions).allowAnonymous = anonymous(drafts[i]?.auth as AuthKeys);
    }
    // The password check lets anonymous clients through wherever a listener admits them.
    config.allowAnonymous = drafts.some((l) => anonymous(l.auth));
  } else {
    config.allowAnonymous = anonymous(s.perListenerSettings ? defaultOr(drafts) : s.auth);
  }
  const zero = auths.map((a) => a.allowZeroLengthClientId).filter((z) => z !== undefined);
  if (zero.length > 0) {
    config.allowEmptyClientId = zero.every((z) => z.value);
    if (zero.some((z) => z.value !== config.allowEmptyClientId) || zero.length < auths.length) {
      const z = zero[0] as { at: Directive };
      if (s.perListenerSettings) {
        s.warn(
          z.at,
          `allow_zero_length_clientid: Petrel decides this for all listeners; ${String(config.allowEmptyClientId)} everywhere`,
        );
      }
    }
  }
  perListenerLimit(s, config, drafts, (l) => l.maxQos, 'maximumQoS', 2);
  perListenerLimit(s, config, drafts, (l) => l.maxTopicAlias, 'topicAliasMaximum', 10);
}

function defaultOr(drafts: ListenerDraft[]): AuthKeys {
  return drafts[0]?.auth ?? {};
}

/** A per-listener Mosquitto limit that Petrel applies broker-wide: the lowest one. */
function perListenerLimit(
  s: MappingState,
  config: Record<string, unknown>,
  drafts: ListenerDraft[],
  pick: (l: ListenerDraft) => { value: number; at: Directive } | undefined,
  key: string,
  def: number,
): void {
  const set = drafts.map(pick).filter((v) => v !== undefined);
  const first = set[0];
  if (first === undefined) return;
  const values = drafts.map((l) => pick(l)?.value ?? def);
  const lowest = Math.min(...values);
  config[key] = lowest;
  if (values.some((v) => v !== lowest)) {
    s.warn(
      first.at,
      `${first.at.key}: Petrel applies one value to all listeners; the lowest, ${lowest}, everywhere`,
    );
  }
}

function listenerOf(l: ListenerDraft): ListenerOptions {
  if ((l.certfile === undefined) !== (l.keyfile === undefined)) {
    const d = (l.certfile ?? l.keyfile) as Directive;
    throw new MosquittoConfigError(`${where(d)}: certfile and keyfile must be given together`);
  }
  const tls = l.certfile !== undefined;
  const type = l.websockets ? (tls ? 'wss' : 'ws') : tls ? 'tls' : 'tcp';
  const out: ListenerOptions = { type, port: l.port ?? 1883, host: hostOf(l) };
  // Mosquitto's WebSocket listeners take any path.
  if (l.websockets) out.path = '*';
  if (tls) {
    out.certFile = (l.certfile as Directive).value;
    out.keyFile = (l.keyfile as Directive).value;
  }
  Object.assign(out, l.tls);
  if (l.maxConnections !== undefined) out.maxConnections = l.maxConnections;
  return out;
}

function hostOf(l: ListenerDraft): string {
  if (l.bindInterface !== undefined) return interfaceAddress(l.bindInterface, l.socketDomain);
  if (l.host !== undefined) return l.host;
  // Mosquitto listens on every interface when no address is given.
  return l.socketDomain === 'ipv6' ? '::' : '0.0.0.0';
}

/** Node cannot bind to a device: bind to the address the interface has now. */
function interfaceAddress(d: Directive, domain: 'ipv4' | 'ipv6' | undefined): string {
  const addrs = networkInterfaces()[d.value];
  if (addrs === undefined) {
    throw new MosquittoConfigError(`${where(d)}: bind_interface: no interface '${d.value}'`);
  }
  const family = domain === 'ipv6' ? 'IPv6' : 'IPv4';
  const a = addrs.find((x) => x.family === family);
  if (a === undefined) {
    throw new MosquittoConfigError(
      `${where(d)}: bind_interface: '${d.value}' has no ${family} address`,
    );
  }
  return a.address;
}

function mapPersistence(s: MappingState, config: Record<string, unknown>, cwd: string): void {
  // Mosquitto keeps state in memory unless persistence is on; on, Petrel commits every change.
  config.durability = s.persistence ? 'sync' : 'none';
  if (s.persistence && s.persistenceLocation !== undefined) {
    // A directory of its own beside mosquitto.db, which Petrel neither reads nor touches.
    config.dataDir = resolve(cwd, s.persistenceLocation.value, 'petrel');
  }
}

/** log_type → the lowest pino level that shows every type asked for. */
function mapLogging(s: MappingState, config: Record<string, unknown>): void {
  if (s.logNone) {
    config.logLevel = 'silent';
    return;
  }
  const t = s.logTypes;
  if (t === undefined) return;
  if (t.has('debug') || t.has('all') || t.has('websockets')) config.logLevel = 'debug';
  else if (['information', 'notice', 'subscribe', 'unsubscribe'].some((x) => t.has(x))) {
    config.logLevel = 'info';
  } else if (t.has('warning')) config.logLevel = 'warn';
  else if (t.has('error')) config.logLevel = 'error';
  else config.logLevel = 'silent';
}
