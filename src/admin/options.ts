// Options of the admin HTTP listener, and their validation (shared by startAdmin and the
// config-file reader, so both name the same key in the same words).
import type { DynamicSecurity } from '../auth/dynamic/security.js';
import { isLoopback } from '../broker/listener.js';

/** The admin HTTP listener: see docs/admin.md. */
export interface AdminOptions {
  /** TCP port (0 picks a free one; default 8080). */
  port?: number;
  /** Interface to bind (default `127.0.0.1`); any other than loopback needs `tokens`. */
  host?: string;
  /** PEM certificate chain file: with `keyFile`, the listener speaks HTTPS. */
  certFile?: string;
  /** PEM private key file of `certFile`. */
  keyFile?: string;
  /**
   * Bearer tokens (at least 16 characters each) that open the API: `Authorization: Bearer
   * <token>`. When set, every request but `/healthz` and `/readyz` needs one.
   */
  tokens?: string[];
  /**
   * Re-reads the broker's configuration (`POST /api/v1/broker/reload`); `petrel broker` passes
   * its SIGHUP reload. May resolve with an array of messages, one per part that failed and kept
   * its previous state (the endpoint then answers 500 naming them); anything else means all was
   * applied. Unset: that endpoint answers 501.
   */
  reload?: () => Promise<unknown>;
  /** The broker's effective configuration, shown (secrets redacted) by `GET /api/v1/broker`. */
  config?: Record<string, unknown>;
  /**
   * Runtime users, roles and rules (src/auth/dynamic), served under `/api/v1/users`, `/roles`
   * and `/client-rules`; without it those routes do not exist.
   */
  security?: DynamicSecurity;
  /** Directory of static files served at `/`. Unset: the bundled dashboard (docs/admin.md). */
  staticDir?: string;
}

/** Shortest bearer token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** Keys of the `http` section of a config file. */
const FILE_KEYS = ['port', 'host', 'certFile', 'keyFile', 'tokens', 'tokenFile', 'staticDir'];

/**
 * Checks an `http` config section (or the same keys given in code). Returns one message per
 * problem, each naming the key, e.g. `http.port: must be an integer between 0 and 65535`.
 */
export function validateAdminOptions(input: unknown, prefix = 'http'): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [`${prefix}: must be an object`];
  }
  const o = input as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(o)) {
    if (!FILE_KEYS.includes(key) && key !== 'reload' && key !== 'config' && key !== 'security') {
      errors.push(`${prefix}.${key}: unknown option`);
    }
  }
  const p = o.port;
  if (p !== undefined && (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535)) {
    errors.push(`${prefix}.port: must be an integer between 0 and 65535`);
  }
  for (const key of ['host', 'certFile', 'keyFile', 'tokenFile', 'staticDir']) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      errors.push(`${prefix}.${key}: must be a non-empty string`);
    }
  }
  if ((o.certFile === undefined) !== (o.keyFile === undefined)) {
    errors.push(
      `${prefix}.${o.certFile === undefined ? 'certFile' : 'keyFile'}: HTTPS needs both certFile and keyFile`,
    );
  }
  const t = o.tokens;
  if (t !== undefined) {
    if (!Array.isArray(t)) errors.push(`${prefix}.tokens: must be an array of strings`);
    else {
      t.forEach((tok, i) => {
        if (typeof tok !== 'string' || tok.length < MIN_TOKEN_LENGTH || /\s/.test(tok)) {
          errors.push(
            `${prefix}.tokens[${i}]: must be a string of at least ${MIN_TOKEN_LENGTH} characters without spaces`,
          );
        }
      });
    }
  }
  return errors;
}

/**
 * The refusal to serve an open API beyond this machine: a host other than loopback needs
 * tokens. Returns the message, or undefined when the options are acceptable.
 */
export function exposureProblem(host: string, tokens: readonly string[]): string | undefined {
  if (isLoopback(host) || tokens.length > 0) return undefined;
  return `http.host: ${host} is not a loopback address: refusing to serve the admin API there without credentials (set http.tokens or --http-token-file)`;
}

/** The JSON Schema of the config file's `http` section (for `petrel broker --schema`). */
export function adminOptionsJsonSchema(): Record<string, unknown> {
  const file = { type: 'string', minLength: 1 };
  return {
    type: 'object',
    description: 'the admin HTTP listener (docs/admin.md)',
    additionalProperties: false,
    properties: {
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
      host: { type: 'string', default: '127.0.0.1' },
      certFile: { ...file, description: 'PEM certificate chain: HTTPS (with keyFile)' },
      keyFile: { ...file, description: 'PEM private key of certFile' },
      tokens: {
        type: 'array',
        description: 'bearer tokens',
        items: { type: 'string', minLength: MIN_TOKEN_LENGTH, pattern: '^\\S+$' },
      },
      tokenFile: { ...file, description: 'file of bearer tokens, one per line' },
      staticDir: { ...file, description: 'directory served at /' },
    },
  };
}
