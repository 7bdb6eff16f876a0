// Broker configuration file: JSON, every broker option (docs/config.md), plus the CLI-only keys
// that wire the password file and ACL. Only the CLI reads files.
import { readFileSync } from 'node:fs';
import { validateAdminOptions } from '../admin/options.js';
import type { BrokerOptions } from '../broker/options.js';
import { validateOptions } from '../broker/options.js';
import type { ClusterOptions } from '../cluster/options.js';
import { parseClusterOptions } from '../cluster/options.js';

/** The `http` section: the admin listener (docs/admin.md). */
export interface HttpConfig {
  port?: number;
  host?: string;
  certFile?: string;
  keyFile?: string;
  tokens?: string[];
  /** A file of bearer tokens, one per line (read at start). */
  tokenFile?: string;
  staticDir?: string;
}

/** Keys only the command line understands (files wired into hooks). */
export interface CliOnlyConfig {
  /** Password file (Mosquitto format; see docs/security.md). */
  passwordFile?: string;
  /** ACL file (Mosquitto format). */
  aclFile?: string;
  /** Accept CONNECTs without a user name when a password file is set (default false). */
  allowAnonymous?: boolean;
  /** Runtime users, roles and ACL rules kept in the store (docs/admin.md, "Dynamic security"). */
  dynamicSecurity?: boolean;
  /** Log level: fatal, error, warn, info (default), debug, trace, silent. */
  logLevel?: string;
  /**
   * Directory of the LMDB store (default `data` beside the config file, else in the working
   * directory). Unused with `durability: "none"`.
   */
  dataDir?: string;
  /** What to do with a damaged database: `refuse` (default), `salvage` or `reset`. */
  storeOnCorrupt?: 'refuse' | 'salvage' | 'reset';
  /** Join a cluster of nodes through NATS (docs/cluster.md). */
  cluster?: ClusterOptions;
  /** The admin HTTP listener; unset: none (and no HTTP code is loaded). */
  http?: HttpConfig;
}

/** A config file's contents after validation. */
export type BrokerConfig = Omit<BrokerOptions, 'store' | 'logger' | 'hooks'> & CliOnlyConfig;

/** A bad config file; the message names the file, the key and the problem. */
export class ConfigError extends Error {}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Validates parsed config data; throws ConfigError for the first problem. */
export function parseConfig(data: unknown, source = 'config'): BrokerConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${source}: must be a JSON object`);
  }
  const rest: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  const cli: CliOnlyConfig = {};
  for (const key of ['passwordFile', 'aclFile', 'dataDir'] as const) {
    const v = rest[key];
    delete rest[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '')
      throw new ConfigError(`${source}: ${key}: must be a file path`);
    cli[key] = v;
  }
  if (rest.allowAnonymous !== undefined) {
    if (typeof rest.allowAnonymous !== 'boolean') {
      throw new ConfigError(`${source}: allowAnonymous: must be true or false`);
    }
    cli.allowAnonymous = rest.allowAnonymous;
  }
  delete rest.allowAnonymous;
  if (rest.dynamicSecurity !== undefined) {
    if (typeof rest.dynamicSecurity !== 'boolean') {
      throw new ConfigError(`${source}: dynamicSecurity: must be true or false`);
    }
    cli.dynamicSecurity = rest.dynamicSecurity;
  }
  delete rest.dynamicSecurity;
  if (rest.logLevel !== undefined) {
    if (typeof rest.logLevel !== 'string' || !LEVELS.includes(rest.logLevel)) {
      throw new ConfigError(`${source}: logLevel: must be one of ${LEVELS.join(', ')}`);
    }
    cli.logLevel = rest.logLevel;
  }
  delete rest.logLevel;
  if (rest.storeOnCorrupt !== undefined) {
    const v = rest.storeOnCorrupt;
    if (v !== 'refuse' && v !== 'salvage' && v !== 'reset') {
      throw new ConfigError(`${source}: storeOnCorrupt: must be one of refuse, salvage, reset`);
    }
    cli.storeOnCorrupt = v;
  }
  delete rest.storeOnCorrupt;
  if (rest.cluster !== undefined) {
    try {
      cli.cluster = parseClusterOptions(rest.cluster);
    } catch (err) {
      throw new ConfigError(`${source}: ${(err as Error).message}`);
    }
  }
  delete rest.cluster;
  if (rest.http !== undefined) {
    const problems = validateAdminOptions(rest.http);
    if (problems.length > 0) throw new ConfigError(`${source}: ${problems[0]}`);
    cli.http = rest.http as HttpConfig;
  }
  delete rest.http;
  const errors = validateOptions(rest, true);
  if (errors.length > 0) throw new ConfigError(`${source}: ${errors[0]}`);
  delete rest.$schema;
  return { ...(rest as BrokerOptions), ...cli };
}

/** How to read a config file: by its content (`auto`), as JSON, or as a mosquitto.conf. */
export type ConfigFormat = 'auto' | 'json' | 'mosquitto';

/** JSON when it says so: a `.json` name or a first character `{`; a mosquitto.conf otherwise. */
export function detectFormat(path: string, text: string): 'json' | 'mosquitto' {
  return path.endsWith('.json') || text.trimStart().startsWith('{') ? 'json' : 'mosquitto';
}

/**
 * Reads and validates a config file, JSON or mosquitto.conf (docs/mosquitto.md). A
 * mosquitto.conf's warnings (`file:line: …`) are appended to `warnings`.
 */
export async function loadConfig(
  path: string,
  format: ConfigFormat = 'auto',
  warnings: string[] = [],
): Promise<BrokerConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`);
  }
  if ((format === 'auto' ? detectFormat(path, text) : format) === 'mosquitto') {
    // Loaded only for a mosquitto.conf: a JSON config never pays for the reader.
    const { convertMosquittoFile, formatWarning } = await import('../config/mosquitto-map.js');
    const { MosquittoConfigError } = await import('../config/mosquitto-read.js');
    try {
      const { config, warnings: w } = convertMosquittoFile(path);
      for (const x of w) warnings.push(formatWarning(x));
      return parseConfig(config, path);
    } catch (err) {
      if (err instanceof MosquittoConfigError) throw new ConfigError(err.message);
      throw err;
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  return parseConfig(data, path);
}
