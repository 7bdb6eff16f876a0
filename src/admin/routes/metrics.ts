// GET /metrics: the Prometheus text format of the broker's private registry.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** `GET /metrics`. */
export function metricsRoutes(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics();
    void reply.type(registry.contentType);
    return text;
  });
}
