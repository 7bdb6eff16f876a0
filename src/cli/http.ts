// `petrel broker`'s admin listener: the `http` config section (and --http-* flags) turned into
// startAdmin options. Imported only when that section exists.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AdminServer } from '../admin/index.js';
import { startAdmin, validateAdminOptions } from '../admin/index.js';
import type { AdminOptions } from '../admin/options.js';
import type { DynamicSecurity } from '../auth/dynamic/security.js';
import type { Broker } from '../broker/broker.js';
import type { BrokerConfig, HttpConfig } from './config.js';
import { ConfigError } from './config.js';
import { workerIndex } from './worker-index.js';

/** Reads a token file: one token per line; blank lines and `#` comments are skipped. */
async function readTokens(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`http.tokenFile: cannot read ${path}: ${(err as Error).message}`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Starts the admin listener of `petrel broker`. */
export async function startHttp(
  broker: Broker,
  http: HttpConfig,
  cfg: BrokerConfig,
  configFile: string | undefined,
  reload: () => Promise<string[]>,
  security?: DynamicSecurity,
): Promise<AdminServer> {
  const { tokenFile, ...rest } = http;
  const tokens = [...(rest.tokens ?? [])];
  if (tokenFile !== undefined) {
    const fromFile = await readTokens(tokenFile);
    const problems = validateAdminOptions({ tokens: fromFile });
    if (problems.length > 0) {
      throw new ConfigError(`${tokenFile}: ${problems[0]?.replace('http.tokens', 'token line')}`);
    }
    tokens.push(...fromFile);
  }
  const options: AdminOptions = { ...rest, tokens, reload, config: { ...cfg } };
  if (security !== undefined) options.security = security;
  // With --workers each worker is a broker of its own: worker i serves its API on port + i.
  const index = workerIndex();
  const base = rest.port ?? 8080;
  if (index !== undefined && base !== 0) options.port = base + index;
  if (configFile !== undefined)
    (options.config as Record<string, unknown>).configFile = resolve(configFile);
  return startAdmin(broker, options);
}
