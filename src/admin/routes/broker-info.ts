// /api/v1/broker: version, uptime, listeners, effective configuration, reload.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import { packageVersion } from '../../broker/sys.js';
import { ApiError } from '../errors.js';
import type { AdminOptions } from '../options.js';

/** Keys whose values are secrets (or name where secrets are): shown as "[redacted]". */
const SECRET = /token|password|secret|key|credential/i;

/** A copy of `value` with the value of every secret-looking key replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET.test(k) && v !== undefined ? '[redacted]' : redact(v);
  }
  return out;
}

const LISTENER = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'integer' },
    path: { type: 'string' },
  },
};

/** `GET /api/v1/broker`, `POST /api/v1/broker/reload`. */
export function brokerRoutes(app: FastifyInstance, broker: Broker, options: AdminOptions): void {
  const version = packageVersion();
  app.get(
    '/api/v1/broker',
    {
      schema: {
        summary: 'Version, uptime, listeners and effective configuration (secrets redacted)',
        tags: ['broker'],
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'string' },
              uptimeSeconds: { type: 'integer' },
              listeners: { type: 'array', items: LISTENER },
              config: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    () => {
      const { store: _s, logger: _l, hooks: _h, ...plain } = broker.options;
      return {
        version,
        uptimeSeconds: Math.floor((Date.now() - broker.sys.startedAt) / 1000),
        listeners: broker.addresses(),
        config: redact({ ...plain, ...(options.config ?? {}) }),
      };
    },
  );
  app.post(
    '/api/v1/broker/reload',
    {
      schema: {
        summary: 'Re-read the configuration, password file, ACL and certificates (as SIGHUP)',
        tags: ['broker'],
        response: { 200: { type: 'object', properties: { reloaded: { type: 'boolean' } } } },
      },
    },
    async () => {
      if (options.reload === undefined) {
        throw new ApiError(
          501,
          'not_supported',
          'this broker was started without a reload function',
        );
      }
      // A part that failed kept its previous state; the others were applied (as on SIGHUP).
      const result = await options.reload();
      const failures = Array.isArray(result) ? (result as unknown[]).map(String) : [];
      if (failures.length > 0) {
        throw new ApiError(500, 'reload_failed', `reload failed: ${failures.join('; ')}`);
      }
      return { reloaded: true };
    },
  );
}
