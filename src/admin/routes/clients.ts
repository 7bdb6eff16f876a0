// /api/v1/clients: connected clients, listed, inspected, disconnected.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import { ConnState } from '../../broker/conn-state.js';
import type { Connection } from '../../broker/connection.js';
import { DISCONNECT_CODES } from '../../broker/refuse.js';
import { notFound } from '../errors.js';
import type { PageQuery } from '../paging.js';
import { PAGE_QUERY, page, pageSchema } from '../paging.js';
import { CLIENT, CLIENT_DETAIL, clientView, subscriptionView } from './views.js';

interface ListQuery extends PageQuery {
  prefix?: string;
  user?: string;
  address?: string;
  listener?: string;
}

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'client id' } },
};

/** The connected client `id`, or a 404. */
function connected(broker: Broker, id: string): Connection {
  const conn = broker.sessions.get(id)?.connection;
  if (conn === undefined || conn.state !== ConnState.Connected) {
    throw notFound(`connected client ${JSON.stringify(id)}`, 'params.id');
  }
  return conn;
}

/** `GET /api/v1/clients`, `GET /api/v1/clients/{id}`, `DELETE /api/v1/clients/{id}`. */
export function clientRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/clients',
    {
      schema: {
        summary: 'Connected clients, by client id, filtered and paged',
        tags: ['clients'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            prefix: { type: 'string', description: 'client ids starting with this' },
            user: { type: 'string', description: 'user name, exactly' },
            address: { type: 'string', description: 'remote address, exactly' },
            listener: { type: 'string', enum: ['tcp', 'tls', 'ws', 'wss', 'custom'] },
            ...PAGE_QUERY,
          },
        },
        response: { 200: pageSchema(CLIENT) },
      },
    },
    (req) => {
      const q = req.query;
      const matched: Connection[] = [];
      for (const c of broker.connections) {
        if (c.state !== ConnState.Connected) continue;
        if (q.prefix !== undefined && !c.clientId.startsWith(q.prefix)) continue;
        if (q.user !== undefined && c.username !== q.user) continue;
        if (q.address !== undefined && c.remoteAddress !== q.address) continue;
        if (q.listener !== undefined && c.transport !== q.listener) continue;
        matched.push(c);
      }
      return page(matched, (c) => c.clientId, q, clientView);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/clients/:id',
    {
      schema: {
        summary: 'One connected client, with its subscriptions',
        tags: ['clients'],
        params: ID_PARAMS,
        response: { 200: CLIENT_DETAIL },
      },
    },
    (req) => {
      const c = connected(broker, req.params.id);
      const subs =
        c.session?.hasSubscriptions === true ? [...c.session.subscriptions.values()] : [];
      return { ...clientView(c), subscriptions: subs.map(subscriptionView) };
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { reasonCode?: number; reason?: string } }>(
    '/api/v1/clients/:id',
    {
      schema: {
        summary: 'Disconnect a client (a 5.0 client gets DISCONNECT with the reason code)',
        description:
          'The session stays as its expiry says; the will is published, as for any close the client did not ask for. Default reason code 0x98 (152, Administrative action).',
        tags: ['clients'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            reasonCode: {
              type: 'integer',
              enum: [...DISCONNECT_CODES],
              description: 'a DISCONNECT reason code a server may send (decimal)',
            },
            reason: { type: 'string', maxLength: 256, description: 'v5 Reason String' },
          },
        },
        response: { 200: { type: 'object', properties: { disconnected: { type: 'boolean' } } } },
      },
    },
    (req) => {
      connected(broker, req.params.id);
      broker.disconnect(req.params.id, req.query.reasonCode, req.query.reason);
      return { disconnected: true };
    },
  );
}
