// /api/v1/bridges: the state of each bridge to another broker (docs/bridges.md).
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';

const BRIDGE = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    connected: { type: 'boolean' },
    queued: { type: 'integer', description: 'messages waiting for the remote broker' },
    forwardedIn: { type: 'integer' },
    forwardedOut: { type: 'integer' },
    lastError: {
      type: 'string',
      description: 'why the last connection failed (absent once connected)',
    },
  },
};

/** `GET /api/v1/bridges`. */
export function bridgeRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{ Querystring: PageQuery }>(
    '/api/v1/bridges',
    {
      schema: {
        summary: 'Bridges to other brokers and their state, by name',
        tags: ['bridges'],
        querystring: { type: 'object', additionalProperties: false, properties: { ...PAGE_QUERY } },
        response: { 200: pageSchema(BRIDGE) },
      },
    },
    (req) =>
      page(
        broker.bridges(),
        (b) => b.name,
        req.query,
        (b) => b,
      ),
  );
}
