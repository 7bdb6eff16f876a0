// The admin HTTP listener: fastify, loaded only when someone starts it (startAdmin), with bearer
// tokens, JSON errors, the OpenAPI document and the route modules of routes/.
import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Broker } from '../broker/broker.js';
import { packageVersion } from '../broker/sys.js';
import { TokenCheck } from './auth.js';
import { clusterView } from './cluster-view.js';
import { DASHBOARD_DIR, dashboardProblem } from './dashboard-dir.js';
import { errorHandler } from './errors.js';
import { OpenApiCollector } from './openapi.js';
import type { AdminOptions } from './options.js';
import { exposureProblem, validateAdminOptions } from './options.js';
import { apiRoutes } from './routes/api.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { staticRoutes } from './routes/static.js';

/** A running admin listener. */
export interface AdminServer {
  /** `http://host:port` or `https://…` (the bound port when 0 was asked for). */
  readonly url: string;
  /** The bound interface and port. */
  readonly address: { host: string; port: number };
  /** Stops listening (the broker also calls this from its own `close()`). */
  close(): Promise<void>;
}

/** Paths answered without credentials: orchestrators probe them. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Starts the admin HTTP(S) listener of `broker`: `/healthz`, `/readyz`, `/metrics` and the
 * `/api/v1/` API (docs/admin.md). Rejects, binding nothing, when the options are invalid, when a
 * host other than loopback is asked for without tokens, or when the port cannot be bound. The
 * broker's `close()` closes it.
 */
export async function startAdmin(broker: Broker, options: AdminOptions = {}): Promise<AdminServer> {
  const { reload: _r, config: _c, security: _s, ...data } = options;
  const errors = validateAdminOptions(data);
  if (errors.length > 0) throw new TypeError(`invalid admin option ${errors[0]}`);
  const host = options.host ?? '127.0.0.1';
  const tokens = new TokenCheck(options.tokens ?? []);
  const exposed = exposureProblem(host, options.tokens ?? []);
  if (exposed !== undefined) throw new Error(exposed);
  const https =
    options.certFile !== undefined && options.keyFile !== undefined
      ? { cert: await readFile(options.certFile), key: await readFile(options.keyFile) }
      : undefined;

  const [{ fastify }, prom, { createMetrics }] = await Promise.all([
    import('fastify'),
    import('prom-client'),
    import('../observability/metrics.js'),
  ]);
  const app: FastifyInstance = (
    https === undefined
      ? fastify({ logger: false, ajv: AJV })
      : fastify({ logger: false, ajv: AJV, https })
  ) as FastifyInstance;
  const metrics = createMetrics(prom, broker, clusterView(broker));
  const openapi = new OpenApiCollector(packageVersion());
  app.addHook('onRoute', openapi.onRoute);
  app.setErrorHandler(errorHandler(broker.log));
  const refuse = (reply: FastifyReply) =>
    reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="petrel"')
      .send({ error: 'unauthorized', message: 'a valid bearer token is required' });
  app.setNotFoundHandler((req, reply) => {
    // Without a valid token an unknown path is refused like a known one: a 404 would tell a
    // caller without credentials which routes exist.
    if (!tokens.check(req.headers.authorization)) return void refuse(reply);
    void reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` });
  });
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] as string;
    if (OPEN_PATHS.has(path)) return;
    // The dashboard's files (static.ts marks its route public) hold no broker data: the page
    // loads, then asks for a token when the API answers 401. Its `/*` route also catches GETs of
    // unknown API paths: those stay closed, for the reason given in the not-found handler.
    const isPublic = (req.routeOptions.config as { public?: boolean } | undefined)?.public === true;
    if (isPublic && !path.startsWith('/api/') && path !== '/metrics') return;
    // Only the Authorization header counts: a cookie would let any page the operator visits
    // drive the API from the browser (cross-site request forgery).
    if (!tokens.check(req.headers.authorization)) await refuse(reply);
  });
  healthRoutes(app, broker);
  metricsRoutes(app, metrics.registry);
  apiRoutes(app, broker, options);
  app.get('/api/v1/openapi.json', () => openapi.document());
  const staticDir = options.staticDir ?? DASHBOARD_DIR;
  const unbuilt = options.staticDir === undefined ? dashboardProblem() : undefined;
  if (unbuilt !== undefined) broker.log.warn(unbuilt);
  staticRoutes(app, staticDir);

  try {
    // A worker of Node's cluster module would otherwise share the port with the other workers,
    // and each request would see a random process's broker: the listener stays its own.
    await app.listen({ port: options.port ?? 8080, host, exclusive: cluster.isWorker });
  } catch (err) {
    metrics.stop();
    await app.close();
    throw err;
  }
  const a = app.server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  const url = `${https === undefined ? 'http' : 'https'}://${shown}:${a.port}`;
  let closed: Promise<void> | undefined;
  let detach: () => void = () => {};
  const server: AdminServer = {
    url,
    address: { host: a.address, port: a.port },
    close() {
      closed ??= (async () => {
        detach();
        metrics.stop();
        await app.close();
      })();
      return closed;
    },
  };
  detach = broker.attach(server);
  broker.log.info(
    { url, auth: tokens.enabled ? 'bearer' : 'none (loopback)' },
    'admin API listening',
  );
  return server;
}

/**
 * Validation settings: unknown body fields are refused rather than silently dropped, and
 * query strings are coerced (they arrive as text).
 */
const AJV = { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } };
