// Mosquitto's `connection` sections → Petrel's `bridges` (docs/bridges.md has the table of keys).
// Each key keeps Mosquitto's meaning; a key that cannot is a warning naming file and line, and
// a bad value an error naming file and line.
import { type BridgeOptions, type BridgeTopicOptions, resolveBridge } from '../bridge/options.js';
import { parseBool, parseInt10 } from './mosquitto-keys.js';
import type { BridgeMapper } from './mosquitto-map.js';
import {
  type ConnectionSection,
  type Directive,
  type Location,
  MosquittoConfigError,
  where,
} from './mosquitto-read.js';

type Warn = (at: Location, message: string) => void;

/** Keys read with a warning: what Petrel does instead. */
const IGNORED: Readonly<Record<string, string>> = {
  bridge_alpn: 'not supported; no ALPN protocol is sent',
  bridge_attempt_unsubscribe: 'ignored; filters no longer configured are always unsubscribed',
  bridge_bind_address: 'not supported; the system chooses the local address',
  bridge_capath: 'not supported; use bridge_cafile (Node reads one CA bundle)',
  bridge_identity: 'not supported; TLS-PSK bridges are not available',
  bridge_psk: 'not supported; TLS-PSK bridges are not available',
  bridge_outgoing_retain: 'ignored; retained messages keep their retain flag',
  bridge_require_ocsp: 'not supported; no OCSP check is made',
  bridge_tls_version: 'ignored; Node negotiates TLS 1.2 or 1.3',
  idle_timeout: 'ignored; the bridge stays connected (start_type automatic)',
  local_cleansession:
    'ignored; the local session is always persistent (its queue is the bridge queue)',
  local_username: 'ignored; the bridge is trusted on this broker',
  local_password: 'ignored; the bridge is trusted on this broker',
  notifications_local_only: 'ignored; notifications go to both brokers',
  threshold: 'ignored; the bridge stays connected (start_type automatic)',
};

function fail(d: Location, message: string): never {
  throw new MosquittoConfigError(`${where(d)}: ${message}`);
}

/** Mosquitto writes an empty prefix as `""`. */
function unquote(s: string | undefined): string | undefined {
  return s === '""' ? '' : s;
}

function topicOf(d: Directive): BridgeTopicOptions {
  const [pattern, direction, qos, localPrefix, remotePrefix, extra] = d.args.map(unquote);
  if (pattern === undefined) fail(d, 'topic: expected a pattern');
  if (extra !== undefined) fail(d, 'topic: too many values');
  const t: BridgeTopicOptions = { pattern };
  if (direction !== undefined) {
    if (direction !== 'in' && direction !== 'out' && direction !== 'both') {
      fail(d, `topic: direction must be in, out or both, got '${direction}'`);
    }
    t.direction = direction;
  }
  if (qos !== undefined) t.qos = parseInt10(d, 0, 2, qos) as 0 | 1 | 2;
  // Mosquitto: a local prefix without a remote one is an error.
  if (localPrefix !== undefined && remotePrefix === undefined) {
    fail(d, 'topic: a local prefix needs a remote prefix (write "" for none)');
  }
  if (localPrefix) t.localPrefix = localPrefix;
  if (remotePrefix) t.remotePrefix = remotePrefix;
  return t;
}

function restartTimeout(d: Directive): number | [number, number] {
  const [base, cap] = d.args;
  const b = parseInt10(d, 1, 86_400, base);
  return cap === undefined ? b : [b, parseInt10(d, b, 86_400, cap)];
}

function protocolVersion(d: Directive, warn: Warn): 4 | 5 {
  switch (d.value) {
    case 'mqttv50':
      return 5;
    case 'mqttv311':
      return 4;
    case 'mqttv31':
      warn(d, 'bridge_protocol_version: mqttv31 is not offered; the bridge uses mqttv311');
      return 4;
    default:
      return fail(
        d,
        `bridge_protocol_version: expected mqttv31, mqttv311 or mqttv50, got '${d.value}'`,
      );
  }
}

/** One `connection` section as a bridge object of Petrel's configuration. */
export function mapConnection(section: ConnectionSection, warn: Warn): BridgeOptions {
  const addresses: string[] = [];
  const topics: BridgeTopicOptions[] = [];
  const b: Partial<BridgeOptions> & { tls?: NonNullable<BridgeOptions['tls']> } = {};
  const tls: NonNullable<BridgeOptions['tls']> = {};
  let roundRobin = false;
  for (const d of section.directives) {
    const ignored = IGNORED[d.key];
    if (ignored !== undefined) {
      warn(d, `${d.key}: ${ignored}`);
      continue;
    }
    switch (d.key) {
      case 'address':
      case 'addresses':
        addresses.push(...d.args);
        break;
      case 'topic':
        topics.push(topicOf(d));
        break;
      case 'remote_clientid':
      case 'clientid':
        b.remoteClientId = d.value;
        break;
      case 'local_clientid':
        // The local session must stay under $bridge/, which ordinary clients cannot take.
        b.localClientId = d.value.startsWith('$bridge/') ? d.value : `$bridge/${d.value}`;
        break;
      case 'remote_username':
      case 'username':
        b.username = d.value;
        break;
      case 'remote_password':
      case 'password':
        b.password = d.value;
        break;
      case 'bridge_protocol_version':
        b.protocolVersion = protocolVersion(d, warn);
        break;
      case 'cleansession':
        b.cleanSession = parseBool(d);
        break;
      case 'keepalive_interval':
        b.keepalive = parseInt10(d, 0, 65_535);
        break;
      case 'restart_timeout':
        b.restartTimeout = restartTimeout(d);
        break;
      case 'try_private':
        b.tryPrivate = parseBool(d);
        break;
      case 'notifications':
        b.notifications = parseBool(d);
        break;
      case 'notification_topic':
        b.notificationTopic = d.value;
        break;
      case 'bridge_cafile':
        tls.caFile = d.value;
        break;
      case 'bridge_certfile':
        tls.certFile = d.value;
        break;
      case 'bridge_keyfile':
        tls.keyFile = d.value;
        break;
      case 'bridge_insecure':
        tls.insecure = parseBool(d);
        break;
      case 'bridge_max_packet_size':
        b.maxPacketSize = parseInt10(d, 64, 268_435_460);
        break;
      case 'round_robin':
        roundRobin = parseBool(d);
        break;
      case 'start_type':
        if (d.value !== 'automatic') {
          warn(d, `start_type: ${d.value} is not supported; the bridge starts at once (automatic)`);
        }
        break;
      default:
        fail(d, `${d.key}: not a bridge key`);
    }
  }
  if (addresses.length === 0) fail(section, `connection ${section.name}: no address`);
  if (topics.length === 0) fail(section, `connection ${section.name}: no topic`);
  if (addresses.length > 1 && !roundRobin) {
    // Mosquitto's default (round_robin false) keeps returning to the first address.
    warn(
      section,
      `connection ${section.name}: round_robin false is not supported; a bridge stays on the address that works until it fails (round_robin true)`,
    );
  }
  const out: BridgeOptions = { name: section.name, addresses, topics, ...b };
  // As Mosquitto: a CA file (bridge_cafile) is what makes the bridge use TLS.
  if (Object.keys(tls).length > 0) {
    out.tls = tls;
    if (tls.caFile !== undefined) out.transport = 'mqtts';
  }
  try {
    resolveBridge(out, `connection ${section.name}`);
  } catch (err) {
    fail(section, (err as Error).message);
  }
  return out;
}

/** The {@link BridgeMapper} of `petrel broker -c mosquitto.conf` and `petrel convert`. */
export const mosquittoBridges: BridgeMapper = (sections, warn) =>
  sections.map((s) => mapConnection(s, warn));
