// Probes for orchestrators: /healthz (the process answers) and /readyz (the broker serves).
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import { clusterView } from '../cluster-view.js';

const STATUS = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    listeners: { type: 'boolean' },
    store: { type: 'boolean' },
    cluster: { type: 'boolean', description: 'the NATS link is up (clustered brokers only)' },
  },
};

/** `GET /healthz` and `GET /readyz`. */
export function healthRoutes(app: FastifyInstance, broker: Broker): void {
  app.get('/healthz', { schema: { response: { 200: STATUS } } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: STATUS, 503: STATUS } } }, (_req, reply) => {
    const listeners = broker.ready;
    const store = broker.persist.store.healthy;
    const node = clusterView(broker);
    const cluster = node === undefined ? undefined : node.natsState === 'connected';
    const ok = listeners && store && cluster !== false;
    void reply.code(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      listeners,
      store,
      ...(cluster === undefined ? {} : { cluster }),
    };
  });
}
