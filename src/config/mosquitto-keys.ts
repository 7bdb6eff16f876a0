// What each mosquitto.conf key does to Petrel's options: one handler per key, applied in file
// order to a MappingState (mosquitto-map.ts turns the state into Petrel's JSON config). A key that
// asks for something Petrel does not do is a warning that says what happens instead; one whose
// omission would let clients do more than under Mosquitto is an error.
import type { ListenerSecurityOptions } from '../broker/options.js';
import type { Directive, Location } from './mosquitto-read.js';
import { MosquittoConfigError, where } from './mosquitto-read.js';

/** The keys that follow `per_listener_settings`: per listener when it is true, else global. */
export interface AuthKeys {
  passwordFile?: Directive;
  aclFile?: Directive;
  allowAnonymous?: boolean;
  allowZeroLengthClientId?: { value: boolean; at: Directive };
}

/** A listener being described: the `listener` line (none for the default one) and its keys. */
export interface ListenerDraft {
  at: Directive | undefined;
  port: number | undefined;
  host: string | undefined;
  websockets: boolean;
  socketDomain: 'ipv4' | 'ipv6' | undefined;
  bindInterface: Directive | undefined;
  tls: ListenerSecurityOptions;
  certfile: Directive | undefined;
  keyfile: Directive | undefined;
  maxConnections: number | undefined;
  maxQos: { value: number; at: Directive } | undefined;
  maxTopicAlias: { value: number; at: Directive } | undefined;
  auth: AuthKeys;
  /** Keys given for the default listener (Mosquitto then opens it next to explicit ones). */
  touched: boolean;
}

export interface MappingState {
  options: Record<string, unknown>;
  perListenerSettings: boolean;
  auth: AuthKeys;
  defaultListener: ListenerDraft;
  listeners: ListenerDraft[];
  current: ListenerDraft;
  logTypes: Set<string> | undefined;
  logNone: boolean;
  persistence: boolean;
  persistenceLocation: Directive | undefined;
  messageSizeLimit: number | undefined;
  warn(at: Location, message: string): void;
}

export function newDraft(at: Directive | undefined): ListenerDraft {
  return {
    at,
    port: undefined,
    host: undefined,
    websockets: false,
    socketDomain: undefined,
    bindInterface: undefined,
    tls: {},
    certfile: undefined,
    keyfile: undefined,
    maxConnections: undefined,
    maxQos: undefined,
    maxTopicAlias: undefined,
    auth: {},
    touched: false,
  };
}

type Handler = (d: Directive, s: MappingState) => void;

function fail(d: Location, message: string): never {
  throw new MosquittoConfigError(`${where(d)}: ${message}`);
}

export function parseBool(d: Directive): boolean {
  // Mosquitto's conf__parse_bool accepts these four spellings.
  if (d.value === 'true' || d.value === '1') return true;
  if (d.value === 'false' || d.value === '0') return false;
  return fail(d, `${d.key}: expected true or false, got '${d.value}'`);
}

export function parseInt10(d: Directive, min: number, max: number, text = d.value): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < min || n > max) {
    fail(d, `${d.key}: expected an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

/** The listener a listener-scoped key applies to (the default listener before any `listener`). */
function listenerOf(s: MappingState): ListenerDraft {
  s.current.touched = true;
  return s.current;
}

/** The auth keys of the current listener, or the global ones (per_listener_settings). */
function authOf(s: MappingState): AuthKeys {
  return s.perListenerSettings ? listenerOf(s).auth : s.auth;
}

const setOption =
  (key: string, convert: (d: Directive) => unknown): Handler =>
  (d, s) => {
    s.options[key] = convert(d);
  };

const ignored =
  (instead: string): Handler =>
  (d, s) =>
    s.warn(d, `${d.key}: not supported; ${instead}`);

const refused =
  (why: string): Handler =>
  (d) =>
    fail(d, `${d.key}: not supported: ${why}`);

/** Warns only when the value asks for something other than Petrel's behaviour. */
const onlyIf =
  (differs: (v: boolean) => boolean, instead: string): Handler =>
  (d, s) => {
    if (differs(parseBool(d))) s.warn(d, `${d.key} ${d.value}: not supported; ${instead}`);
  };

/** Mosquitto's 0 means "no limit"; Petrel takes the largest value it accepts instead. */
const limit = (key: string, max: number, min = 0): Handler =>
  setOption(key, (d) => {
    const n = parseInt10(d, 0, max);
    if (n === 0) return max;
    if (n < min) fail(d, `${d.key}: must be 0 (no limit) or at least ${min}`);
    return n;
  });

const PERIOD: Record<string, number> = {
  h: 3600,
  d: 86_400,
  w: 7 * 86_400,
  m: 30 * 86_400,
  y: 365 * 86_400,
};

const TLS_VERSIONS: Record<string, 'TLSv1.2' | 'TLSv1.3'> = {
  'tlsv1.3': 'TLSv1.3',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.1': 'TLSv1.2',
};

const MAX_PACKET = 268_435_460;
const U32 = 0xffffffff;
const LOG_TYPES = [
  'debug',
  'error',
  'warning',
  'notice',
  'information',
  'subscribe',
  'unsubscribe',
  'websockets',
  'none',
  'all',
];

/** Every mosquitto.conf key (bridge keys aside) of Mosquitto 2.0, and what it does here. */
export const KEYS: Readonly<Record<string, Handler>> = {
  // ---- Listeners
  listener(d, s) {
    const port = parseInt10(d, 0, 65535, d.args[0]);
    const draft = newDraft(d);
    if (port === 0 && d.args[1] !== undefined && d.args[1].startsWith('/')) {
      s.warn(d, 'listener: unix sockets are not supported; this listener is not opened');
      // Still a configured listener: Mosquitto's local-only mode does not apply.
      s.listeners.push(draft);
      s.current = draft;
      return;
    }
    if (d.args.length > 2) fail(d, 'listener: expected PORT [ADDRESS]');
    draft.port = port;
    draft.host = d.args[1];
    s.listeners.push(draft);
    s.current = draft;
  },
  port(d, s) {
    s.warn(d, "port: deprecated in Mosquitto; read as the default listener's port");
    s.defaultListener.port = parseInt10(d, 1, 65535);
    s.defaultListener.touched = true;
  },
  bind_address(d, s) {
    s.defaultListener.host = d.value;
    s.defaultListener.touched = true;
  },
  bind_interface(d, s) {
    listenerOf(s).bindInterface = d;
  },
  socket_domain(d, s) {
    if (d.value !== 'ipv4' && d.value !== 'ipv6') fail(d, 'socket_domain: expected ipv4 or ipv6');
    listenerOf(s).socketDomain = d.value;
  },
  protocol(d, s) {
    if (d.value !== 'mqtt' && d.value !== 'websockets') {
      fail(d, `protocol: expected mqtt or websockets, got '${d.value}'`);
    }
    listenerOf(s).websockets = d.value === 'websockets';
  },
  max_connections(d, s) {
    const n = parseInt10(d, -1, 10_000_000);
    if (n === 0) fail(d, 'max_connections: expected -1 (no limit) or a positive integer');
    listenerOf(s).maxConnections = n === -1 ? undefined : n;
  },
  max_qos(d, s) {
    listenerOf(s).maxQos = { value: parseInt10(d, 0, 2), at: d };
  },
  max_topic_alias(d, s) {
    listenerOf(s).maxTopicAlias = { value: parseInt10(d, 0, 65535), at: d };
  },
  http_dir: (d, s) => {
    listenerOf(s);
    s.warn(d, 'http_dir: not supported; the WebSocket listener serves no HTTP files');
  },
  mount_point: refused(
    'Petrel has no per-listener topic prefix, so clients would reach every topic',
  ),
  use_username_as_clientid: refused(
    'clients could take client ids that are not theirs; Petrel has no such mapping',
  ),
  websockets_log_level: ignored('WebSocket events are in the broker log at debug level'),
  websockets_headers_size: ignored('Node accepts HTTP headers up to 16 KiB'),

  // ---- TLS, per listener
  certfile(d, s) {
    listenerOf(s).certfile = d;
  },
  keyfile(d, s) {
    listenerOf(s).keyfile = d;
  },
  cafile(d, s) {
    listenerOf(s).tls.caFile = d.value;
  },
  capath: refused('put the CA certificates into one PEM file and name it with cafile'),
  crlfile(d, s) {
    listenerOf(s).tls.crlFile = d.value;
  },
  require_certificate(d, s) {
    listenerOf(s).tls.requireCertificate = parseBool(d);
  },
  use_identity_as_username(d, s) {
    listenerOf(s).tls.useIdentityAsUsername = parseBool(d);
  },
  use_subject_as_username: (d, s) => {
    listenerOf(s);
    s.warn(
      d,
      'use_subject_as_username: not supported; clients on this listener log in with their MQTT user name and password instead',
    );
  },
  tls_version(d, s) {
    const v = TLS_VERSIONS[d.value];
    if (v === undefined) fail(d, 'tls_version: expected tlsv1.3, tlsv1.2 or tlsv1.1');
    if (d.value === 'tlsv1.1') s.warn(d, 'tls_version tlsv1.1: Petrel accepts TLS 1.2 and up');
    listenerOf(s).tls.tlsMinVersion = v;
  },
  ciphers(d, s) {
    listenerOf(s).tls.ciphers = d.value;
  },
  'ciphers_tls1.3': (d, s) => {
    listenerOf(s);
    s.warn(d, "ciphers_tls1.3: not supported; TLS 1.3 uses Node's default cipher suites");
  },
  dhparamfile: ignored('Node negotiates ECDHE key exchange, which needs no DH parameters'),
  psk_hint: refused('TLS-PSK listeners; use certificates'),
  psk_file: ignored('no listener uses pre-shared keys here'),
  tls_engine: refused('OpenSSL engines; use a PEM key file'),
  tls_keyform: (d, s) => {
    if (d.value !== 'pem') fail(d, 'tls_keyform: only pem is supported');
    listenerOf(s);
  },
  tls_engine_kpass_sha1: refused('OpenSSL engines; use a PEM key file'),

  // ---- Authentication and access control (per listener with per_listener_settings)
  per_listener_settings() {
    // Read before the other keys (mosquitto-map.ts): it decides where the auth keys go.
  },
  password_file(d, s) {
    authOf(s).passwordFile = d;
  },
  acl_file(d, s) {
    authOf(s).aclFile = d;
  },
  allow_anonymous(d, s) {
    authOf(s).allowAnonymous = parseBool(d);
  },
  allow_zero_length_clientid(d, s) {
    authOf(s).allowZeroLengthClientId = { value: parseBool(d), at: d };
  },
  auto_id_prefix: ignored("assigned client ids have Petrel's own form"),
  auth_plugin: refused(
    'Petrel cannot load Mosquitto plugins (dynamic security included); use password_file and acl_file',
  ),
  plugin: refused(
    'Petrel cannot load Mosquitto plugins (dynamic security included); use password_file and acl_file',
  ),
  auth_plugin_deny_special_chars: ignored('there are no plugins to protect'),
  clientid_prefixes: refused('clients with any client id would be admitted'),
  check_retain_source: onlyIf(
    (v) => v,
    'a retained message is sent to every subscriber allowed to read it, whoever published it',
  ),

  // ---- Limits
  max_inflight_messages(d, s) {
    // Mosquitto announces the same number as its v5 Receive Maximum.
    limit('maxInflight', 65535)(d, s);
    s.options.receiveMaximum = s.options.maxInflight;
  },
  max_inflight_bytes: (d, s) => {
    if (parseInt10(d, 0, Number.MAX_SAFE_INTEGER) !== 0) {
      s.warn(
        d,
        'max_inflight_bytes: not supported; only max_inflight_messages limits messages in flight',
      );
    }
  },
  max_queued_messages: limit('maxQueuedMessages', 100_000_000),
  max_queued_bytes: limit('maxQueuedBytes', Number.MAX_SAFE_INTEGER),
  max_packet_size: (d, s) => {
    const n = parseInt10(d, 0, MAX_PACKET);
    if (n !== 0 && n < 20) fail(d, 'max_packet_size: below 20 bytes is forbidden');
    if (n !== 0 && n < 64) s.warn(d, 'max_packet_size: Petrel accepts no less than 64; using 64');
    s.options.maxPacketSize = n === 0 ? MAX_PACKET : Math.max(n, 64);
  },
  message_size_limit(d, s) {
    const n = parseInt10(d, 0, 268_435_455);
    s.messageSizeLimit = n === 0 ? undefined : n;
    if (n !== 0) {
      s.warn(
        d,
        'message_size_limit: Petrel limits whole packets; maxPacketSize is set to this plus room for the longest topic, and a larger PUBLISH closes the connection instead of being dropped',
      );
    }
  },
  max_keepalive: setOption('maxKeepAlive', (d) => parseInt10(d, 0, 65535)),
  persistent_client_expiration: setOption('maxSessionExpiryInterval', (d) => {
    const m = /^(\d+)([hdwmy])$/.exec(d.value);
    if (m === null)
      fail(d, 'persistent_client_expiration: expected a number followed by h, d, w, m or y');
    return Math.min(U32, Number(m[1]) * (PERIOD[m[2] as string] as number));
  }),
  memory_limit: ignored('Petrel bounds memory through the queue and packet limits'),
  retain_available: setOption('retainAvailable', parseBool),
  queue_qos0_messages: setOption('queueQos0Messages', parseBool),
  sys_interval: setOption('sysInterval', (d) => parseInt10(d, 0, 86_400)),
  set_tcp_nodelay: onlyIf((v) => !v, 'Petrel always sets TCP_NODELAY'),
  upgrade_outgoing_qos: onlyIf(
    (v) => v,
    'messages keep the QoS they were published with, as MQTT requires',
  ),
  allow_duplicate_messages: onlyIf(
    (v) => !v,
    'each client receives a message once, whatever its overlapping subscriptions',
  ),

  // ---- Persistence
  persistence(d, s) {
    s.persistence = parseBool(d);
  },
  persistence_location(d, s) {
    s.persistenceLocation = d;
  },
  persistence_file: ignored('the store is a directory (persistence_location/petrel)'),
  autosave_interval: ignored('every change is committed to the store as it happens'),
  autosave_on_changes: ignored('every change is committed to the store as it happens'),

  // ---- Logging
  log_type(d, s) {
    for (const t of d.args) {
      if (!LOG_TYPES.includes(t)) fail(d, `log_type: unknown type '${t}'`);
    }
    s.logTypes ??= new Set();
    for (const t of d.args) s.logTypes.add(t);
  },
  log_dest(d, s) {
    const dest = d.args[0] as string;
    if (dest === 'none') s.logNone = true;
    else if (dest === 'file' && d.args.length < 2) fail(d, 'log_dest file: expected a file name');
    else if (!['stdout', 'stderr', 'syslog', 'topic', 'file', 'dlt'].includes(dest)) {
      fail(d, `log_dest: unknown destination '${dest}'`);
    } else if (dest !== 'stderr') {
      s.warn(d, `log_dest ${dest}: not supported; the log goes to stderr`);
    }
  },
  log_facility: ignored('the log goes to stderr'),
  log_timestamp: ignored('every log line carries its time'),
  log_timestamp_format: ignored('every log line carries its time in milliseconds since the epoch'),
  connection_messages: ignored('connections are logged at debug level'),

  // ---- Process
  pid_file: ignored('pass --pid-file FILE to petrel broker'),
  user: ignored('start Petrel as the user it should run as'),
};
