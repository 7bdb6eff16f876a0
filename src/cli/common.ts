// What `petrel pub`, `petrel sub` and `petrel rr` share, following the meanings of
// mosquitto_pub / mosquitto_sub / mosquitto_rr: flag parsing, the client they connect with and
// payload sources. How messages and packets are printed is in output.ts.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseProxy } from '../client/socks.js';
import type { ProtocolVersion, QoS } from '../codec/constants.js';
import { type CommonArgs, type FlagSpec, switchFlag, valueFlag } from './args.js';
import { parseProperty } from './cli-properties.js';
import { int, num, UsageError } from './usage.js';

export type { CommonArgs, FlagSpec } from './args.js';
export { switchFlag, valueFlag } from './args.js';
export type { CliProperties } from './cli-properties.js';
export { applySrv, clientOptions, createClient, openClient } from './client-setup.js';
export { errorMessage, fail, int, num, UsageError } from './usage.js';

/** One parsing pass: common flags plus the command's own. */
export function parseArgs(argv: string[], specs: FlagSpec[]): CommonArgs {
  const a: CommonArgs = {
    host: 'localhost',
    port: undefined,
    url: undefined,
    urlTopic: undefined,
    clientId: undefined,
    idPrefix: undefined,
    username: undefined,
    password: undefined,
    keepAlive: 60,
    protocolVersion: 4,
    clean: true,
    sessionExpiry: undefined,
    qos: 0,
    debug: false,
    quiet: false,
    willTopic: undefined,
    willPayload: undefined,
    willQos: 0,
    willRetain: false,
    cafile: undefined,
    cert: undefined,
    key: undefined,
    insecure: false,
    psk: undefined,
    pskIdentity: undefined,
    ciphers: undefined,
    proxy: undefined,
    tls: false,
    connectTimeout: 10,
    bindAddress: undefined,
    unixSocket: undefined,
    maxInflight: undefined,
    srv: false,
    properties: {
      connect: {},
      publish: {},
      subscribe: {},
      unsubscribe: {},
      disconnect: {},
      will: {},
    },
  };
  const common: FlagSpec[] = [
    valueFlag(['-h', '--host'], (v) => {
      a.host = v;
    }),
    valueFlag(['-p', '--port'], (v, f) => {
      a.port = int(v, f, 1, 65535);
    }),
    valueFlag(['-L', '--url'], (v, f) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new UsageError(`${f}: invalid URL '${v}'`);
      }
      if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(u.protocol)) {
        throw new UsageError(`${f}: unsupported URL scheme '${u.protocol}'`);
      }
      a.url = v;
      if (u.username) a.username = decodeURIComponent(u.username);
      if (u.password) a.password = decodeURIComponent(u.password);
      const isWs = u.protocol === 'ws:' || u.protocol === 'wss:';
      // For mqtt(s) URLs the path is the topic (mosquitto's -L); for WebSocket it is the path.
      // Taken from the raw text: a '#' wildcard would otherwise parse as the URL fragment.
      const rest = v.slice(v.indexOf('//') + 2);
      const slash = rest.indexOf('/');
      const path = slash >= 0 ? rest.slice(slash + 1) : '';
      if (!isWs && path.length > 0) a.urlTopic = decodeURIComponent(path);
    }),
    valueFlag(['-i', '--id'], (v) => {
      a.clientId = v;
    }),
    valueFlag(['-I', '--id-prefix'], (v) => {
      a.idPrefix = v;
    }),
    valueFlag(['-u', '--username'], (v) => {
      a.username = v;
    }),
    valueFlag(['-P', '--pw'], (v) => {
      a.password = v;
    }),
    valueFlag(['-k', '--keepalive'], (v, f) => {
      a.keepAlive = int(v, f, 0, 65535);
    }),
    valueFlag(['-V', '--protocol-version'], (v, f) => {
      a.protocolVersion = protocolVersion(v, f);
    }),
    switchFlag(['-c', '--disable-clean-session'], () => {
      a.clean = false;
    }),
    valueFlag(['-x', '--session-expiry-interval'], (v, f) => {
      a.sessionExpiry = int(v, f, 0, 0xffffffff);
    }),
    valueFlag(['-q', '--qos'], (v, f) => {
      a.qos = qos(v, f);
    }),
    switchFlag(['-d', '--debug'], () => {
      a.debug = true;
    }),
    switchFlag(['--quiet'], () => {
      a.quiet = true;
    }),
    valueFlag(['--will-topic'], (v) => {
      a.willTopic = v;
    }),
    valueFlag(['--will-payload'], (v) => {
      a.willPayload = v;
    }),
    valueFlag(['--will-qos'], (v, f) => {
      a.willQos = qos(v, f);
    }),
    switchFlag(['--will-retain'], () => {
      a.willRetain = true;
    }),
    valueFlag(['--cafile'], (v) => {
      a.cafile = v;
      a.tls = true;
    }),
    valueFlag(['--cert'], (v) => {
      a.cert = v;
      a.tls = true;
    }),
    valueFlag(['--key'], (v) => {
      a.key = v;
      a.tls = true;
    }),
    switchFlag(['--insecure'], () => {
      a.insecure = true;
    }),
    switchFlag(['--tls'], () => {
      a.tls = true;
    }),
    valueFlag(['--psk'], (v, f) => {
      if (!/^([0-9a-fA-F]{2})+$/.test(v)) {
        throw new UsageError(`option '${f}': the key must be hexadecimal digits (no 0x), in pairs`);
      }
      a.psk = Buffer.from(v, 'hex');
      a.tls = true;
    }),
    valueFlag(['--psk-identity'], (v) => {
      a.pskIdentity = v;
    }),
    valueFlag(['--ciphers'], (v) => {
      a.ciphers = v;
    }),
    valueFlag(['--proxy'], (v, f) => {
      try {
        parseProxy(v);
      } catch (err) {
        throw new UsageError(`option '${f}': ${(err as Error).message}`);
      }
      a.proxy = v;
    }),
    valueFlag(['--connect-timeout'], (v, f) => {
      a.connectTimeout = num(v, f, 0.001);
    }),
    valueFlag(['-A'], (v, f) => {
      if (!isIP(v)) throw new UsageError(`option '${f}': '${v}' is not an IP address`);
      a.bindAddress = v;
    }),
    valueFlag(['--unix'], (v) => {
      a.unixSocket = v;
    }),
    valueFlag(['-M'], (v, f) => {
      a.maxInflight = int(v, f, 1, 65535);
    }),
    switchFlag(['-S'], () => {
      a.srv = true;
    }),
    // Accepted for mosquitto's scripts: the client always disables Nagle's algorithm.
    switchFlag(['--nodelay'], () => undefined),
  ];
  const table = new Map<string, FlagSpec>();
  for (const s of [...common, ...specs]) for (const n of s.names) table.set(n, s);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      const eq = arg.indexOf('=');
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '-D' || arg === '--property') {
      const consumed = parseProperty(argv, i, a.properties);
      i += consumed;
      continue;
    }
    const spec = table.get(arg);
    if (spec === undefined) {
      throw new UsageError(
        arg.startsWith('-') ? `unknown option '${arg}'` : `unexpected argument '${arg}'`,
      );
    }
    if (spec.arity === 0) {
      if (inline !== undefined) throw new UsageError(`option '${arg}' takes no value`);
      spec.apply('', arg);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new UsageError(`option '${arg}' needs a value`);
      i++;
    }
    spec.apply(value, arg);
  }
  if (!a.clean && a.clientId === undefined) {
    // As mosquitto: a persistent session under a generated id could never be resumed.
    throw new UsageError("option '-c' needs a client id given with '-i'");
  }
  if (a.clientId !== undefined && a.idPrefix !== undefined) {
    throw new UsageError("options '-i' and '-I' cannot be used together");
  }
  if (a.willTopic === undefined && (a.willPayload !== undefined || a.willRetain)) {
    throw new UsageError("option '--will-payload'/'--will-retain' needs '--will-topic'");
  }
  if (a.password !== undefined && a.username === undefined) {
    throw new UsageError("option '-P' needs '-u'");
  }
  if (a.unixSocket !== undefined && a.url !== undefined && /^wss?:/.test(a.url)) {
    throw new UsageError("option '--unix' cannot be used with a WebSocket URL");
  }
  if ((a.psk === undefined) !== (a.pskIdentity === undefined)) {
    throw new UsageError("options '--psk' and '--psk-identity' go together");
  }
  if (a.psk !== undefined && (a.cafile !== undefined || a.cert !== undefined)) {
    throw new UsageError("option '--psk' replaces certificates: not with '--cafile' or '--cert'");
  }
  if (a.proxy !== undefined && a.unixSocket !== undefined) {
    throw new UsageError("option '--proxy' cannot be used with '--unix'");
  }
  if (a.proxy !== undefined && a.url !== undefined && /^wss?:/.test(a.url)) {
    throw new UsageError("option '--proxy' needs an mqtt:// or mqtts:// URL, not a WebSocket");
  }
  if (a.srv && (a.url !== undefined || a.unixSocket !== undefined || a.port !== undefined)) {
    throw new UsageError(
      "option '-S' takes host and port from DNS: not with '-L', '--unix' or '-p'",
    );
  }
  return a;
}

function qos(v: string, flag: string): QoS {
  return int(v, flag, 0, 2) as QoS;
}

function protocolVersion(v: string, flag: string): ProtocolVersion {
  switch (v) {
    case '31':
    case 'mqttv31':
      return 3;
    case '311':
    case 'mqttv311':
      return 4;
    case '5':
    case 'mqttv5':
      return 5;
    default:
      throw new UsageError(`option '${flag}': unknown protocol version '${v}' (31, 311 or 5)`);
  }
}

/** Where a payload comes from: `-m`, `-f`, `-s`, `-n`, or `-l` (pub: one message a line). */
export type Source =
  | { kind: 'message'; data: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'lines' }
  | { kind: 'null' };

/** The flags `-m`, `-f`, `-s` and `-n`; each one given is appended to `sources`. */
export function sourceFlags(sources: Source[]): FlagSpec[] {
  return [
    valueFlag(['-m', '--message'], (v) => {
      sources.push({ kind: 'message', data: Buffer.from(v, 'utf8') });
    }),
    valueFlag(['-f', '--file'], (v) => {
      sources.push({ kind: 'file', path: v });
    }),
    switchFlag(['-s', '--stdin-file'], () => {
      sources.push({ kind: 'stdin' });
    }),
    switchFlag(['-n', '--null-message'], () => {
      sources.push({ kind: 'null' });
    }),
  ];
}

/** The payload known before connecting (reads `-f`'s file); undefined for stdin sources. */
export function fixedPayload(source: Source): Buffer | undefined {
  if (source.kind === 'message') return source.data;
  if (source.kind === 'null') return Buffer.alloc(0);
  if (source.kind === 'file') return readFileSync(source.path);
  return undefined;
}

/** With `--help` among the arguments, prints `help` and returns true. */
export function printHelp(argv: string[], help: string): boolean {
  if (!argv.includes('--help')) return false;
  process.stdout.write(help);
  return true;
}

/** Reads all of stdin. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const commonHelp = `Connection:
  -h, --host HOST          broker host (default localhost)
  -p, --port PORT          broker port (default 1883, 8883 with TLS)
  -L, --url URL            mqtt[s]://[user[:pass]@]host[:port]/topic or ws[s]://host:port/path
  -V, --protocol-version   31, 311 or 5 (default 311)
  -i, --id ID              client id;  -I, --id-prefix PREFIX
  -u, --username USER      -P, --pw PASSWORD
  -k, --keepalive SECONDS  (default 60)
  -c                       persistent session (clean session off); -x SECONDS session expiry (v5)
  -q, --qos 0|1|2          QoS
  -d, --debug              print every packet on stderr
  --will-topic T --will-payload P --will-qos Q --will-retain
  --cafile FILE --cert FILE --key FILE --insecure --tls --ciphers LIST
  --psk HEX --psk-identity ID   TLS-PSK instead of certificates (TLS 1.2)
  --proxy socks5h://[USER[:PASS]@]HOST[:PORT]   reach the broker through a SOCKS5 proxy
  -D COMMAND PROPERTY VALUE   v5 property (e.g. -D publish user-property k v)
  --connect-timeout SECONDS
  -A ADDRESS               bind the connection to this local address
  --unix PATH              connect over a Unix socket instead of host and port
  -M N                     at most N QoS 1/2 messages in flight (default 65535)
  -S                       find host and port with a DNS SRV lookup (_mqtt._tcp.HOST)
  --nodelay                accepted; Nagle's algorithm is always off
`;
