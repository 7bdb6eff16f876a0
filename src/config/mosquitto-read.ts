// Reads a mosquitto.conf (and the files its `include_dir` lines name) into located directives,
// with Mosquitto's own line rules, so that every later warning or error can name file and line.
//
// Structure, for the mappers that consume it (mosquitto-map.ts for the broker options, a bridge
// mapper for `connection` sections):
// - `directives`: every line that is not a bridge key, in the order Mosquitto applies them
//   (an `include_dir` is replaced by its files' lines, in Mosquitto's order). Listener-scoped
//   keys belong to the last `listener` line before them, as in Mosquitto.
// - `connections`: one `ConnectionSection` per `connection NAME` line, holding the bridge keys
//   (address, topic, remote_clientid… see BRIDGE_KEYS) that follow it up to the next
//   `connection`, each with its file and line. Bridge keys before any `connection` are an error
//   (Mosquitto refuses them too); other keys after a `connection` stay global, as in Mosquitto.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where a line came from. */
export interface Location {
  file: string;
  line: number;
}

/** One `key value` line. */
export interface Directive extends Location {
  key: string;
  /** The value split on white space (`listener 1883 0.0.0.0` → ['1883', '0.0.0.0']). */
  args: string[];
  /** The whole value after the key, for paths and free text (may contain spaces). */
  value: string;
}

/** A `connection NAME` section: the bridge keys that follow it. */
export interface ConnectionSection extends Location {
  name: string;
  directives: Directive[];
}

export interface MosquittoFile {
  /** The main file, as given. */
  path: string;
  directives: Directive[];
  connections: ConnectionSection[];
}

/** A line Mosquitto would refuse; the message starts with `file:line:`. */
export class MosquittoConfigError extends Error {}

/** `file:line` for messages. */
export function where(loc: Location): string {
  return `${loc.file}:${loc.line}`;
}

/** The keys of a bridge (`connection`) section, from mosquitto.conf(5) "Configuring bridges". */
export const BRIDGE_KEYS: ReadonlySet<string> = new Set([
  'address',
  'addresses',
  'bridge_alpn',
  'bridge_attempt_unsubscribe',
  'bridge_bind_address',
  'bridge_cafile',
  'bridge_capath',
  'bridge_certfile',
  'bridge_identity',
  'bridge_insecure',
  'bridge_keyfile',
  'bridge_max_packet_size',
  'bridge_outgoing_retain',
  'bridge_protocol_version',
  'bridge_psk',
  'bridge_require_ocsp',
  'bridge_tls_version',
  'cleansession',
  'clientid',
  'idle_timeout',
  'keepalive_interval',
  'local_cleansession',
  'local_clientid',
  'local_password',
  'local_username',
  'notification_topic',
  'notifications',
  'notifications_local_only',
  'password',
  'remote_clientid',
  'remote_password',
  'remote_username',
  'restart_timeout',
  'round_robin',
  'start_type',
  'threshold',
  'topic',
  'try_private',
  'username',
]);

/**
 * Mosquitto's include_dir order: compared letter by letter ignoring case, then upper case before
 * lower case of the same letter (00.conf, 01.conf, A.conf, a.conf, B.conf, b.conf).
 */
export function compareIncludeNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    const folded = upper(x) - upper(y);
    if (folded !== 0) return folded;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

function upper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

interface Reader {
  main: string;
  out: MosquittoFile;
  current: ConnectionSection | undefined;
}

/** Reads a Mosquitto configuration file; throws MosquittoConfigError naming file and line. */
export function readMosquittoConfig(path: string): MosquittoFile {
  const r: Reader = {
    main: resolve(path),
    out: { path, directives: [], connections: [] },
    current: undefined,
  };
  readFile(r, path, true);
  return r.out;
}

function readText(file: string, from?: Location): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const prefix = from === undefined ? file : `${where(from)}: ${file}`;
    throw new MosquittoConfigError(`${prefix}: cannot read: ${(err as Error).message}`);
  }
}

function readFile(r: Reader, file: string, main: boolean, from?: Location): void {
  const lines = readText(file, from).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    // Mosquitto: a comment is a '#' in the very first column; blank lines are skipped.
    if (raw.startsWith('#') || raw.trim() === '') continue;
    const text = raw.trim();
    const loc = { file, line: i + 1 };
    const space = text.search(/\s/);
    const key = space < 0 ? text : text.slice(0, space);
    const value = space < 0 ? '' : text.slice(space).trim();
    if (key.startsWith('#')) {
      throw new MosquittoConfigError(
        `${where(loc)}: a comment must start in the first column (Mosquitto refuses this line too)`,
      );
    }
    if (value === '') throw new MosquittoConfigError(`${where(loc)}: ${key}: missing value`);
    const d: Directive = { ...loc, key, args: value.split(/\s+/), value };
    if (key === 'include_dir') {
      if (!main) {
        throw new MosquittoConfigError(
          `${where(loc)}: include_dir: only allowed in the main configuration file`,
        );
      }
      includeDir(r, d);
    } else if (key === 'connection') {
      r.current = { ...loc, name: value, directives: [] };
      r.out.connections.push(r.current);
    } else if (BRIDGE_KEYS.has(key)) {
      if (r.current === undefined) {
        throw new MosquittoConfigError(
          `${where(loc)}: ${key}: a bridge key outside a 'connection' section`,
        );
      }
      r.current.directives.push(d);
    } else {
      r.out.directives.push(d);
    }
  }
}

function includeDir(r: Reader, d: Directive): void {
  const dir = d.value;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new MosquittoConfigError(
      `${where(d)}: include_dir: cannot read ${dir}: ${(err as Error).message}`,
    );
  }
  const files = names
    .filter((n) => n.endsWith('.conf'))
    .sort(compareIncludeNames)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
  for (const f of files) {
    if (resolve(f) === r.main) {
      throw new MosquittoConfigError(
        `${where(d)}: include_dir: ${dir} contains the main configuration file`,
      );
    }
    readFile(r, f, false, d);
  }
}
