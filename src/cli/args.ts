// The parsed-argument shapes `petrel pub`, `sub` and `rr` share (and the helpers that build
// command flags): a leaf, so the modules that parse, connect and print can all name them.

import type { ProtocolVersion, QoS } from '../codec/constants.js';
import type { CliProperties } from './cli-properties.js';

/** Settings every command shares. */
export interface CommonArgs {
  host: string;
  port: number | undefined;
  url: string | undefined;
  /** Topic taken from the `-L` URL path. */
  urlTopic: string | undefined;
  clientId: string | undefined;
  idPrefix: string | undefined;
  username: string | undefined;
  password: string | undefined;
  keepAlive: number;
  protocolVersion: ProtocolVersion;
  clean: boolean;
  sessionExpiry: number | undefined;
  qos: QoS;
  debug: boolean;
  quiet: boolean;
  willTopic: string | undefined;
  willPayload: string | undefined;
  willQos: QoS;
  willRetain: boolean;
  cafile: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  insecure: boolean;
  tls: boolean;
  /** `--psk`: TLS-PSK key, from hex. */
  psk: Buffer | undefined;
  /** `--psk-identity`. */
  pskIdentity: string | undefined;
  /** `--ciphers`: OpenSSL cipher list. */
  ciphers: string | undefined;
  /** `--proxy`: SOCKS5 proxy URL. */
  proxy: string | undefined;
  connectTimeout: number;
  /** `-A`: local address to bind to. */
  bindAddress: string | undefined;
  /** `--unix`: Unix socket path instead of host and port. */
  unixSocket: string | undefined;
  /** `-M`: QoS 1/2 messages in flight at most. */
  maxInflight: number | undefined;
  /** `-S`: look the broker up with a DNS SRV record. */
  srv: boolean;
  properties: CliProperties;
}

/** A command-specific flag: `arity` values follow it. */
export interface FlagSpec {
  names: string[];
  arity: 0 | 1;
  apply: (value: string, flag: string) => void;
}

/** A flag followed by a value. */
export function valueFlag(names: string[], apply: (value: string, flag: string) => void): FlagSpec {
  return { names, arity: 1, apply };
}

/** A flag without a value. */
export function switchFlag(names: string[], apply: () => void): FlagSpec {
  return { names, arity: 0, apply };
}
